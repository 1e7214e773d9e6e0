/**
 * PutMetricData, GetMetricData and ListMetrics over the {@link MetricStore}. Inputs arrive as the AWS JSON 1.0 wire
 * shapes (timestamps in epoch seconds); errors use CloudWatch's awsQuery codes (InvalidParameterValue,
 * ValidationError…).
 */

import { AwsServiceError } from "./aws-error.ts";
import {
  lowerBound,
  type MetricDatum,
  type MetricStore,
  type Sample,
  type Visibility,
} from "./metric-store.ts";
import { decodePageToken, encodePageToken, fingerprintOf } from "./paging.ts";
import type { CloudWatchQuirks } from "./quirks.ts";

/** GetMetricData accepts at most this many queries. */
export const MAX_QUERIES = 500;
/** GetMetricData's default (and largest) MaxDatapoints. */
export const DEFAULT_MAX_DATAPOINTS = 100_800;
/** PutMetricData accepts at most this many datums per call. */
export const MAX_METRIC_DATA = 1000;
/** ListMetrics answers at most this many metrics a page. */
export const LIST_METRICS_PAGE_SIZE = 500;
/** ListMetrics lists a metric with data in the past two weeks; without, CloudWatch forgets it. */
export const LIST_METRICS_MEMORY_MS = 14 * 86_400_000;
/** RecentlyActive=PT3H: datapoints in the past three hours. */
export const RECENTLY_ACTIVE_MS = 3 * 3_600_000;
/** The statistics the sandbox computes; percentiles and trimmed means are not emulated. */
export const STATISTICS = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"] as const;

type Statistic = (typeof STATISTICS)[number];

const MINUTE = 60_000;
const DAY = 86_400_000;

const invalidValue = (message: string) => new AwsServiceError("InvalidParameterValue", message);
const missingParameter = (name: string) =>
  new AwsServiceError("MissingParameter", `The parameter ${name} is required.`);
const validationError = (detail: string) =>
  new AwsServiceError("ValidationError", `1 validation error detected: ${detail}`);
const serialization = (message: string) => new AwsServiceError("SerializationException", message);

type Input = Record<string, unknown>;

const isObject = (value: unknown): value is Input =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Epoch seconds (what the SDK sends) or an ISO-8601 string, as epoch milliseconds. */
function timestampOf(value: unknown, name: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value * 1000;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw serialization(`${name} must be a timestamp (epoch seconds)`);
}

function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw serialization(`${name} must be a list`);
  return value;
}

function requiredString(input: Input, field: string, path: string): string {
  const value = input[field];
  if (value === undefined || value === null) throw missingParameter(path);
  if (typeof value !== "string") throw serialization(`${path} must be a string`);
  return value;
}

/** Dimensions `[{Name, Value}]` as a record; names must be unique. */
function dimensionsOf(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const dimensions: Record<string, string> = {};
  const items = list(value, path);
  if (items.length > 30) throw invalidValue(`The collection ${path} must not have a size greater than 30.`);
  items.forEach((item, index) => {
    if (!isObject(item)) throw serialization(`${path}.member.${index + 1} must be a structure`);
    const name = requiredString(item, "Name", `${path}.member.${index + 1}.Name`);
    const dimensionValue = requiredString(item, "Value", `${path}.member.${index + 1}.Value`);
    if (name in dimensions) throw invalidValue(`No metric may have duplicate dimension names: ${name}`);
    dimensions[name] = dimensionValue;
  });
  return dimensions;
}

// ---- PutMetricData

/** Stores the datums of a PutMetricData request. */
export function putMetricData(
  store: MetricStore,
  region: string,
  input: Input,
  now: number,
): Record<string, never> {
  const namespace = requiredString(input, "Namespace", "Namespace");
  // AWS reserves AWS/ namespaces for its own services; seed them through the in-process API instead.
  if (namespace.startsWith("AWS/")) throw invalidValue("The value AWS/ for parameter Namespace is invalid.");
  if (input.MetricData === undefined || input.MetricData === null) throw missingParameter("MetricData");
  const items = list(input.MetricData, "MetricData");
  if (items.length > MAX_METRIC_DATA)
    throw validationError(
      `Value at 'metricData' failed to satisfy constraint: Member must have length less than or equal to ${MAX_METRIC_DATA}`,
    );
  const data: MetricDatum[] = [];
  items.forEach((item, index) => {
    const path = `MetricData.member.${index + 1}`;
    if (!isObject(item)) throw serialization(`${path} must be a structure`);
    const metricName = requiredString(item, "MetricName", `${path}.MetricName`);
    const dimensions = dimensionsOf(item.Dimensions, `${path}.Dimensions`);
    const timestamp = item.Timestamp === undefined ? now : timestampOf(item.Timestamp, `${path}.Timestamp`);
    const base = { namespace, metricName, dimensions, timestamp };
    const given = ["Value", "Values", "StatisticValues"].filter((field) => item[field] !== undefined);
    if (given.length > 1)
      throw new AwsServiceError(
        "InvalidParameterCombination",
        `The parameters ${given.map((field) => `${path}.${field}`).join(" and ")} are mutually exclusive and you have specified more than one.`,
      );
    if (typeof item.Value === "number") {
      data.push({ ...base, value: item.Value });
    } else if (item.Values !== undefined) {
      const values = list(item.Values, `${path}.Values`);
      const counts = item.Counts === undefined ? undefined : list(item.Counts, `${path}.Counts`);
      if (counts && counts.length !== values.length)
        throw invalidValue(`The parameters ${path}.Values and ${path}.Counts must be of the same size.`);
      values.forEach((value, valueIndex) => {
        const count = counts?.[valueIndex] ?? 1;
        if (typeof value !== "number" || typeof count !== "number")
          throw serialization(`${path}.Values and Counts must hold numbers`);
        data.push({ ...base, value, count });
      });
    } else if (isObject(item.StatisticValues)) {
      const stats = item.StatisticValues;
      const statistic = (field: string) => {
        const value = stats[field];
        if (typeof value !== "number") throw missingParameter(`${path}.StatisticValues.${field}`);
        return value;
      };
      data.push({
        ...base,
        statistics: {
          sampleCount: statistic("SampleCount"),
          sum: statistic("Sum"),
          minimum: statistic("Minimum"),
          maximum: statistic("Maximum"),
        },
      });
    } else {
      throw new AwsServiceError(
        "InvalidParameterCombination",
        `${path} must specify one of Value, Values or StatisticValues.`,
      );
    }
  });
  store.insert(region, data);
  return {};
}

// ---- GetMetricData

interface MetricQuery {
  readonly id: string;
  readonly label: string;
  readonly returnData: boolean;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly periodMs: number;
  readonly stat: Statistic;
}

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;

function parseQuery(value: unknown, index: number): MetricQuery {
  const path = `MetricDataQueries.member.${index + 1}`;
  if (!isObject(value)) throw serialization(`${path} must be a structure`);
  const id = requiredString(value, "Id", `${path}.Id`);
  if (id.length > 255 || !QUERY_ID.test(id))
    throw validationError(
      `Value '${id}' at 'metricDataQueries.${index + 1}.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: ${QUERY_ID.source}`,
    );
  if (value.Expression !== undefined)
    throw invalidValue(
      `${path} (Id ${id}) is a metric math Expression; the sandbox does not evaluate metric math. Use MetricStat queries and aggregate in code.`,
    );
  if (!isObject(value.MetricStat))
    throw invalidValue(`${path} (Id ${id}) must specify exactly one of MetricStat or Expression.`);
  const stat = value.MetricStat;
  if (!isObject(stat.Metric)) throw missingParameter(`${path}.MetricStat.Metric`);
  const metric = stat.Metric;
  const period = stat.Period;
  if (period === undefined || period === null) throw missingParameter(`${path}.MetricStat.Period`);
  if (typeof period !== "number" || !Number.isInteger(period) || period < 1)
    throw invalidValue(`The parameter ${path}.MetricStat.Period must be a positive integer.`);
  if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0)
    throw invalidValue(
      `The parameter ${path}.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60; it is ${period}.`,
    );
  const statistic = requiredString(stat, "Stat", `${path}.MetricStat.Stat`);
  if (!(STATISTICS as readonly string[]).includes(statistic))
    throw invalidValue(
      `The statistic ${statistic} in ${path}.MetricStat.Stat is not supported by the sandbox; use one of ${STATISTICS.join(", ")}.`,
    );
  const metricName = requiredString(metric, "MetricName", `${path}.MetricStat.Metric.MetricName`);
  return {
    id,
    label: typeof value.Label === "string" ? value.Label : metricName,
    returnData: value.ReturnData !== false,
    namespace: requiredString(metric, "Namespace", `${path}.MetricStat.Metric.Namespace`),
    metricName,
    dimensions: dimensionsOf(metric.Dimensions, `${path}.MetricStat.Metric.Dimensions`),
    periodMs: period * 1000,
    stat: statistic as Statistic,
  };
}

/**
 * AWS rounds StartTime down by its age: to the minute under 15 days, to 5 minutes under 63 days, else to the hour
 * (GetMetricData API reference, StartTime).
 */
export function roundStartTime(start: number, now: number): number {
  const age = now - start;
  const unit = age < 15 * DAY ? MINUTE : age < 63 * DAY ? 5 * MINUTE : 60 * MINUTE;
  return Math.floor(start / unit) * unit;
}

/**
 * One query's datapoints: period buckets aligned to the epoch, whose start is in [start, end), of the samples
 * `visible` lets through (all by default).
 */
export function aggregate(
  samples: readonly Sample[],
  periodMs: number,
  stat: Statistic,
  start: number,
  end: number,
  visible: (sample: Sample) => boolean = () => true,
): { at: number; value: number }[] {
  const firstBucket = Math.ceil(start / periodMs) * periodMs;
  const pastLastBucket = Math.ceil(end / periodMs) * periodMs;
  const points: { at: number; value: number }[] = [];
  let index = lowerBound(samples, firstBucket);
  while (index < samples.length) {
    const first = samples[index] as Sample;
    if (first.at >= pastLastBucket) break;
    const bucket = Math.floor(first.at / periodMs) * periodMs;
    const bucketEnd = bucket + periodMs;
    let sum = 0;
    let count = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let seen = false;
    for (; index < samples.length; index += 1) {
      const sample = samples[index] as Sample;
      if (sample.at >= bucketEnd) break;
      if (!visible(sample)) continue;
      seen = true;
      sum += sample.sum;
      count += sample.count;
      min = Math.min(min, sample.min);
      max = Math.max(max, sample.max);
    }
    const value = {
      Sum: sum,
      Average: count > 0 ? sum / count : 0,
      Minimum: min,
      Maximum: max,
      SampleCount: count,
    }[stat];
    // A bucket whose every sample is still on its way has no datapoint yet.
    if (seen) points.push({ at: bucket, value });
  }
  return points;
}

/** PutMetricData's parameter errors; GetMetricData declares none of them. */
const PARAMETER_ERRORS = new Set([
  "InvalidParameterValue",
  "MissingParameter",
  "InvalidParameterCombination",
]);

/**
 * Answers a GetMetricData request, one page of at most MaxDatapoints datapoints at a time. `quirks` can change the
 * status of a model's results or leave them out.
 */
export function getMetricData(
  store: MetricStore,
  region: string,
  input: Input,
  now: number,
  quirks: CloudWatchQuirks = {},
) {
  try {
    return answerGetMetricData(store, region, input, now, quirks);
  } catch (error) {
    // GetMetricData's model declares InvalidNextToken only; AWS answers a bad query with the common ValidationError
    // (e.g. "The values for parameter id in MetricDataQueries are not unique", aws-solutions/quota-monitor-for-aws#171).
    if (error instanceof AwsServiceError && PARAMETER_ERRORS.has(error.code))
      throw new AwsServiceError("ValidationError", error.message, error.statusCode);
    throw error;
  }
}

function answerGetMetricData(
  store: MetricStore,
  region: string,
  input: Input,
  now: number,
  quirks: CloudWatchQuirks,
) {
  if (input.MetricDataQueries === undefined || input.MetricDataQueries === null)
    throw missingParameter("MetricDataQueries");
  const rawQueries = list(input.MetricDataQueries, "MetricDataQueries");
  if (rawQueries.length > MAX_QUERIES)
    throw validationError(
      `Value at 'metricDataQueries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_QUERIES} (it has ${rawQueries.length})`,
    );
  if (rawQueries.length === 0)
    throw validationError(
      "Value '[]' at 'metricDataQueries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  if (input.StartTime === undefined || input.StartTime === null) throw missingParameter("StartTime");
  if (input.EndTime === undefined || input.EndTime === null) throw missingParameter("EndTime");
  const start = timestampOf(input.StartTime, "StartTime");
  const end = timestampOf(input.EndTime, "EndTime");
  if (start >= end) throw invalidValue("The parameter StartTime must be less than the parameter EndTime.");
  const scanBy = input.ScanBy ?? "TimestampDescending";
  if (scanBy !== "TimestampDescending" && scanBy !== "TimestampAscending")
    throw validationError(
      `Value '${String(scanBy)}' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]`,
    );
  const maxDatapoints = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (typeof maxDatapoints !== "number" || !Number.isInteger(maxDatapoints) || maxDatapoints < 1)
    throw invalidValue("The parameter MaxDatapoints must be a positive integer.");
  const queries = rawQueries.map(parseQuery);
  const ids = new Set<string>();
  for (const query of queries) {
    if (ids.has(query.id))
      throw invalidValue("The values for parameter id in MetricDataQueries are not unique.");
    ids.add(query.id);
  }

  const fingerprint = fingerprintOf({ region, queries: rawQueries, start, end, scanBy });
  let offset = 0;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    const decoded =
      typeof input.NextToken === "string" ? decodePageToken(input.NextToken, fingerprint) : undefined;
    if (decoded === undefined)
      throw new AwsServiceError("InvalidNextToken", "The service couldn't process the token.");
    offset = decoded;
  }

  const roundedStart = roundStartTime(start, now);
  const when: Visibility = { now, answered: store.answered };
  const visible = (sample: Sample) => store.isVisible(sample, when);
  const series = queries
    .filter((query) => query.returnData)
    .map((query) => {
      const samples = store.samples(region, query.namespace, query.metricName, query.dimensions);
      const points = aggregate(samples, query.periodMs, query.stat, roundedStart, end, visible);
      if (scanBy === "TimestampDescending") points.reverse();
      return { query, points };
    });

  // MaxDatapoints counts across the whole response: queries fill pages in order, the last one may continue.
  const pageEnd = offset + maxDatapoints;
  let first = 0;
  const results = series.map(({ query, points }) => {
    const from = Math.min(Math.max(offset - first, 0), points.length);
    const to = Math.min(Math.max(pageEnd - first, 0), points.length);
    const continues = to < points.length;
    first += points.length;
    const quirk =
      quirks.metricResults?.[`${query.dimensions.ProjectName}/${query.dimensions.VersionName}`] ?? {};
    if (quirk.omit) return undefined;
    const failed = quirk.statusCode === "InternalError" || quirk.statusCode === "Forbidden";
    const slice = failed ? [] : points.slice(from, to);
    return {
      Id: query.id,
      Label: query.label,
      Timestamps: slice.map((point) => point.at / 1000),
      Values: slice.map((point) => point.value),
      StatusCode: quirk.statusCode ?? (continues ? "PartialData" : "Complete"),
      Messages: quirk.messages ?? [],
    };
  });
  store.answered += 1;
  return {
    MetricDataResults: results.filter((result) => result !== undefined),
    ...(first > pageEnd && { NextToken: encodePageToken(pageEnd, fingerprint) }),
    Messages: quirks.getMetricDataMessages ?? [],
  };
}

// ---- ListMetrics

/**
 * Answers a ListMetrics request: the series of the region that match the filters, 500 a page in a stable order.
 * A series is listed once `quirks.listingDelayMinutes` have passed since it became new (its first datapoint, or
 * the first after two weeks without data): AWS lists a new metric up to 15 minutes late. RecentlyActive=PT3H keeps
 * the series with a datapoint in the past three hours; without it, those with one in the past two weeks.
 * IncludeLinkedAccounts and OwningAccount are accepted and ignored: the sandbox is one account, not a monitoring
 * account.
 */
export function listMetrics(
  store: MetricStore,
  region: string,
  input: Input,
  now: number,
  quirks: CloudWatchQuirks = {},
) {
  const namespace = typeof input.Namespace === "string" ? input.Namespace : undefined;
  const metricName = typeof input.MetricName === "string" ? input.MetricName : undefined;
  const filters = (
    input.Dimensions === undefined || input.Dimensions === null ? [] : list(input.Dimensions, "Dimensions")
  ).map((item, index) => {
    if (!isObject(item)) throw serialization(`Dimensions.member.${index + 1} must be a structure`);
    const name = requiredString(item, "Name", `Dimensions.member.${index + 1}.Name`);
    const value = typeof item.Value === "string" ? item.Value : undefined;
    return { name, value };
  });
  const recent = input.RecentlyActive === "PT3H";
  const fingerprint = fingerprintOf({ region, namespace, metricName, filters, recent });
  let offset = 0;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    const decoded =
      typeof input.NextToken === "string" ? decodePageToken(input.NextToken, fingerprint) : undefined;
    if (decoded === undefined) throw invalidValue("The value for parameter NextToken is not valid.");
    offset = decoded;
  }
  const delayMs = (quirks.listingDelayMinutes ?? 0) * MINUTE;
  const activeSince = now - (recent ? RECENTLY_ACTIVE_MS : LIST_METRICS_MEMORY_MS);
  const matching = store
    .listSeries(region, now, LIST_METRICS_MEMORY_MS)
    .filter(
      (series) =>
        (namespace === undefined || series.namespace === namespace) &&
        (metricName === undefined || series.metricName === metricName) &&
        filters.every(
          ({ name, value }) =>
            name in series.dimensions && (value === undefined || series.dimensions[name] === value),
        ) &&
        series.latest >= activeSince &&
        series.since + delayMs <= now,
    );
  const end = offset + LIST_METRICS_PAGE_SIZE;
  return {
    Metrics: matching.slice(offset, end).map((series) => ({
      Namespace: series.namespace,
      MetricName: series.metricName,
      Dimensions: Object.entries(series.dimensions).map(([Name, Value]) => ({ Name, Value })),
    })),
    ...(end < matching.length && { NextToken: encodePageToken(end, fingerprint) }),
  };
}
