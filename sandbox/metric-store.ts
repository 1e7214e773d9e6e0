/**
 * CloudWatch's datapoint store: raw samples per series (region, namespace, metric name and exact dimension set),
 * kept sorted by time on demand so GetMetricData can binary-search a window over ~100k points quickly.
 */

/** One datapoint to store, as the in-process seeding API and PutMetricData take it. */
export interface MetricDatum {
  readonly namespace: string;
  readonly metricName: string;
  /** The exact dimension set; a query matches only the same set. @default {} */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** The value of one sample, or of each of `count` samples. Ignored when `statistics` is given. */
  readonly value?: number;
  /** How many samples had `value`. @default 1 */
  readonly count?: number;
  /** Pre-aggregated samples, as PutMetricData's StatisticValues. */
  readonly statistics?: {
    readonly sampleCount: number;
    readonly sum: number;
    readonly minimum: number;
    readonly maximum: number;
  };
}

/** A stored sample: the statistics of everything put at one instant. */
export interface Sample {
  readonly at: number;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

interface Series {
  samples: Sample[];
  sorted: boolean;
}

/** The key of a series: its dimensions are a set, so their order does not matter. */
export function seriesKey(
  region: string,
  namespace: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((name) => `${name}=${dimensions[name]}`)
    .join("\u0001");
  return [region, namespace, metricName, dims].join("\u0000");
}

/** Every datapoint of the sandbox, in every region. */
export class MetricStore {
  private readonly series = new Map<string, Series>();
  private count = 0;
  /**
   * How late datapoints arrive, in ms: GetMetricData sees a datapoint only once the sandbox's clock is this far past
   * its timestamp, as CloudWatch receives AWS services' metrics minutes late. 0 (the default) shows every one.
   */
  delayMs = 0;

  /** Stores datapoints in a region without going through HTTP. */
  insert(region: string, data: readonly MetricDatum[]): void {
    for (const datum of data) {
      const key = seriesKey(region, datum.namespace, datum.metricName, datum.dimensions ?? {});
      let series = this.series.get(key);
      if (!series) {
        series = { samples: [], sorted: true };
        this.series.set(key, series);
      }
      const sample = toSample(datum);
      const last = series.samples[series.samples.length - 1];
      if (last && sample.at < last.at) series.sorted = false;
      series.samples.push(sample);
      this.count += 1;
    }
  }

  /** A series' samples sorted by time, or an empty list. */
  samples(
    region: string,
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
  ): readonly Sample[] {
    const series = this.series.get(seriesKey(region, namespace, metricName, dimensions));
    if (!series) return [];
    if (!series.sorted) {
      series.samples.sort((a, b) => a.at - b.at);
      series.sorted = true;
    }
    return series.samples;
  }

  /** A series' samples that have arrived by `now` (see {@link delayMs}), sorted by time. */
  visibleSamples(
    region: string,
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
    now: number,
  ): readonly Sample[] {
    const samples = this.samples(region, namespace, metricName, dimensions);
    if (this.delayMs <= 0) return samples;
    return samples.slice(0, lowerBound(samples, now - this.delayMs + 1));
  }

  /** How many datapoints are stored. */
  get size(): number {
    return this.count;
  }

  /** Forgets every datapoint. */
  clear(): void {
    this.series.clear();
    this.count = 0;
  }
}

function toSample(datum: MetricDatum): Sample {
  if (datum.statistics) {
    const { sampleCount, sum, minimum, maximum } = datum.statistics;
    return { at: datum.timestamp, sum, count: sampleCount, min: minimum, max: maximum };
  }
  if (datum.value === undefined)
    throw new Error(`Datapoint of ${datum.metricName} has neither a value nor statistics`);
  const count = datum.count ?? 1;
  return { at: datum.timestamp, sum: datum.value * count, count, min: datum.value, max: datum.value };
}

/** The first index whose sample is at or after `at`. */
export function lowerBound(samples: readonly Sample[], at: number): number {
  let low = 0;
  let high = samples.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((samples[middle] as Sample).at < at) low = middle + 1;
    else high = middle;
  }
  return low;
}
