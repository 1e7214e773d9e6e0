/**
 * CloudWatch's datapoint store: raw samples per series (region, namespace, metric name and exact dimension set),
 * kept sorted by time on demand so GetMetricData can binary-search a window over ~100k points quickly.
 *
 * Datapoints can arrive late, as AWS's own metrics do: a sample is visible to GetMetricData only once the sandbox's
 * clock has passed its timestamp plus a delivery delay (its own `delaySeconds`, else the store's
 * `deliveryDelayMs`), and, when it says `visibleAfterCalls: n`, only once the store has answered n more GetMetricData
 * calls after storing it (pages count, faults and refusals do not): so a test can hide a request from a run's decision and show it
 * to the run's last look, whatever the wall clock says.
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
  /** Seconds after `timestamp` (on the sandbox's clock) before GetMetricData sees it. @default the store's delay */
  readonly delaySeconds?: number;
  /** GetMetricData sees it only once the store has answered this many calls after storing it. @default 0 */
  readonly visibleAfterCalls?: number;
}

/** A stored sample: the statistics of everything put at one instant. */
export interface Sample {
  readonly at: number;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** Epoch ms from which it is visible, when the datum set its own delay. */
  readonly visibleAt?: number;
  /** How many GetMetricData calls the store must have answered in all before it is visible, when the datum said. */
  readonly afterCalls?: number;
}

/** When a GetMetricData answer is computed: the sandbox's clock and the calls answered before this one. */
export interface Visibility {
  readonly now: number;
  readonly answered: number;
}

interface Series {
  readonly region: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  samples: Sample[];
  sorted: boolean;
}

/** A series as ListMetrics sees it: what names it, and when its datapoints begin and end. */
export interface SeriesInfo {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The time of its first datapoint after the last gap of `gapMs` or more (epoch ms): when it was last new. */
  readonly since: number;
  /** The time of its newest datapoint at or before the time asked about (epoch ms). */
  readonly latest: number;
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
  /** GetMetricData calls answered so far. */
  answered = 0;
  /** Milliseconds after its timestamp before a datapoint without its own delay is visible. */
  deliveryDelayMs = 0;

  /** Whether a sample is visible to an answer computed at `when`. */
  isVisible(sample: Sample, when: Visibility): boolean {
    if (when.now < (sample.visibleAt ?? sample.at + this.deliveryDelayMs)) return false;
    return sample.afterCalls === undefined || when.answered >= sample.afterCalls;
  }

  /** Stores datapoints in a region without going through HTTP. */
  insert(region: string, data: readonly MetricDatum[]): void {
    for (const datum of data) {
      checkLateness(`delaySeconds of a ${datum.metricName} datapoint`, datum.delaySeconds);
      checkLateness(`visibleAfterCalls of a ${datum.metricName} datapoint`, datum.visibleAfterCalls);
    }
    for (const datum of data) {
      const key = seriesKey(region, datum.namespace, datum.metricName, datum.dimensions ?? {});
      let series = this.series.get(key);
      if (!series) {
        series = {
          region,
          namespace: datum.namespace,
          metricName: datum.metricName,
          dimensions: { ...datum.dimensions },
          samples: [],
          sorted: true,
        };
        this.series.set(key, series);
      }
      const sample = toSample(datum, this.answered);
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
    return series ? this.sortedSamples(series) : [];
  }

  private sortedSamples(series: Series): readonly Sample[] {
    if (!series.sorted) {
      series.samples.sort((a, b) => a.at - b.at);
      series.sorted = true;
    }
    return series.samples;
  }

  /**
   * The series of a region with a datapoint at or before `until`, in key order. `gapMs` is how long a series must
   * have had no data to be new again when data comes back (ListMetrics forgets a metric after two weeks).
   */
  listSeries(region: string, until: number, gapMs: number): SeriesInfo[] {
    const found: { key: string; info: SeriesInfo }[] = [];
    for (const [key, series] of this.series) {
      if (series.region !== region) continue;
      const samples = this.sortedSamples(series);
      const end = lowerBound(samples, until + 1);
      if (end === 0) continue;
      let first = end - 1;
      while (first > 0 && (samples[first] as Sample).at - (samples[first - 1] as Sample).at < gapMs)
        first -= 1;
      found.push({
        key,
        info: {
          namespace: series.namespace,
          metricName: series.metricName,
          dimensions: series.dimensions,
          since: (samples[first] as Sample).at,
          latest: (samples[end - 1] as Sample).at,
        },
      });
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(({ info }) => info);
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

function toSample(datum: MetricDatum, answered: number): Sample {
  const late = {
    ...(datum.delaySeconds !== undefined && { visibleAt: datum.timestamp + datum.delaySeconds * 1000 }),
    ...(datum.visibleAfterCalls !== undefined && { afterCalls: answered + datum.visibleAfterCalls }),
  };
  if (datum.statistics) {
    const { sampleCount, sum, minimum, maximum } = datum.statistics;
    return { at: datum.timestamp, sum, count: sampleCount, min: minimum, max: maximum, ...late };
  }
  if (datum.value === undefined)
    throw new Error(`Datapoint of ${datum.metricName} has neither a value nor statistics`);
  const count = datum.count ?? 1;
  return {
    at: datum.timestamp,
    sum: datum.value * count,
    count,
    min: datum.value,
    max: datum.value,
    ...late,
  };
}

/** Throws a RangeError naming the knob when a lateness knob is not a whole number ≥ 0. */
export function checkLateness(what: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${what} must be a number ≥ 0, got ${value}`);
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
