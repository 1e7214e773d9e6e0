/**
 * CloudWatch: each model's request and in-service metrics, fetched for many models at once in GetMetricData
 * calls of up to 500 queries, following NextToken. Plain MetricStat queries only; sums are done in the core.
 * The last look re-reads the request metrics alone, 4 queries a model.
 */

import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import {
  type Datapoint,
  IN_SERVICE_METRIC,
  METRIC_NAMESPACE,
  type ModelUsage,
  REQUEST_METRICS,
  type RequestEvidence,
  type RequestRange,
  type RunningModel,
  type UsageEvidence,
  type UsageWindow,
} from "../core/types.ts";
import { errorMessage } from "./errors.ts";
import { type Gate, openGate } from "./gate.ts";
import { forEachPage } from "./paging.ts";

/** Reads usage metrics for many models of one region. */
export interface UsageReader {
  /** Returns each model's usage, or the reason it could not be read, keyed by model ARN. */
  readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>>;
  /**
   * Returns each model's request datapoints (the four request metrics) over `range`, or the reason they could not
   * be read, keyed by model ARN: {@link REQUEST_MODELS_PER_CALL} models a GetMetricData call.
   */
  readRequests(
    region: string,
    models: readonly MetricsOf[],
    range: RequestRange,
  ): Promise<Map<string, RequestEvidence>>;
}

/** What the metrics of a model are found by: its project and version names, and its ARN for the answer's key. */
export type MetricsOf = Pick<RunningModel, "modelArn" | "projectName" | "versionName">;

/** GetMetricData accepts at most 500 MetricDataQueries per call. */
export const MAX_QUERIES_PER_CALL = 500;

const METRICS_PER_MODEL = REQUEST_METRICS.length + 1;

/** Models per GetMetricData call: as many as fit in 500 queries. */
export const MODELS_PER_CALL = Math.floor(MAX_QUERIES_PER_CALL / METRICS_PER_MODEL);

/** Models per GetMetricData call of the request metrics alone (the last look): 125. */
export const REQUEST_MODELS_PER_CALL = Math.floor(MAX_QUERIES_PER_CALL / REQUEST_METRICS.length);

// Query ids must start with a lowercase letter and be unique within a call: m<model>_<metric>.
const queryId = (modelIndex: number, metricIndex: number) => `m${modelIndex}_${metricIndex}`;

const REQUEST_QUERIES = REQUEST_METRICS.map((name) => ({ name, stat: "Sum" }));
const USAGE_QUERIES = [...REQUEST_QUERIES, { name: IN_SERVICE_METRIC, stat: "Average" }];

/**
 * The queries for one batch of models: the request metrics (Sum), then InServiceInferenceUnits (Average); with
 * `requestsOnly`, the request metrics alone.
 */
export function buildQueries(
  models: readonly MetricsOf[],
  periodSeconds: number,
  requestsOnly = false,
): MetricDataQuery[] {
  const metrics = requestsOnly ? REQUEST_QUERIES : USAGE_QUERIES;
  return models.flatMap((model, modelIndex) => {
    const dimensions = [
      { Name: "ProjectName", Value: model.projectName },
      { Name: "VersionName", Value: model.versionName },
    ];
    return metrics.map(({ name, stat }, metricIndex) => ({
      Id: queryId(modelIndex, metricIndex),
      MetricStat: {
        Metric: { Namespace: METRIC_NAMESPACE, MetricName: name, Dimensions: dimensions },
        Period: periodSeconds,
        Stat: stat,
      },
      ReturnData: true,
    }));
  });
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

/** The SDK-backed {@link UsageReader}. `clientFor` and `gateFor` give one client and gate per region. */
export class CloudWatchUsageReader implements UsageReader {
  constructor(
    private readonly clientFor: (region: string) => CloudWatchClient,
    private readonly gateFor: (region: string) => Gate = () => openGate,
  ) {}

  readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>> {
    return this.inBatches(region, models, false, window.periodSeconds, window, toUsage);
  }

  readRequests(
    region: string,
    models: readonly MetricsOf[],
    range: RequestRange,
  ): Promise<Map<string, RequestEvidence>> {
    return this.inBatches(
      region,
      models,
      true,
      range.periodSeconds,
      { queryStart: range.start, end: range.end },
      (results, index) => {
        const read = toSeries(results, index, REQUEST_METRICS.length);
        return "error" in read ? read : { requests: requestsOf(read) };
      },
    );
  }

  /**
   * Reads the models in batches of as many as fit in 500 queries, one GetMetricData call (and its pages) each, at
   * once; a batch that fails gives each of its models the error.
   */
  private async inBatches<T>(
    region: string,
    models: readonly MetricsOf[],
    requestsOnly: boolean,
    periodSeconds: number,
    span: Pick<UsageWindow, "queryStart" | "end">,
    evidenceOf: (results: Merged, modelIndex: number) => T | { error: string },
  ): Promise<Map<string, T | { error: string }>> {
    const evidence = new Map<string, T | { error: string }>();
    await Promise.all(
      chunk(models, requestsOnly ? REQUEST_MODELS_PER_CALL : MODELS_PER_CALL).map(async (batch) => {
        try {
          const results = await this.fetchAll(region, buildQueries(batch, periodSeconds, requestsOnly), span);
          for (const [modelIndex, model] of batch.entries())
            evidence.set(model.modelArn, evidenceOf(results, modelIndex));
        } catch (error) {
          for (const model of batch)
            evidence.set(model.modelArn, { error: `GetMetricData failed: ${errorMessage(error)}` });
        }
      }),
    );
    return evidence;
  }

  /** Runs one batch of queries through every page, merging each query's datapoints. */
  private async fetchAll(
    region: string,
    queries: MetricDataQuery[],
    window: Pick<UsageWindow, "queryStart" | "end">,
  ) {
    const client = this.clientFor(region);
    const gate = this.gateFor(region);
    const merged: Merged = new Map();
    await forEachPage(
      "GetMetricData",
      async (token) => {
        const response = await gate(() =>
          client.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(window.queryStart),
              EndTime: new Date(window.end),
              ScanBy: "TimestampAscending",
              NextToken: token,
            }),
          ),
        );
        return { items: response.MetricDataResults ?? [], nextToken: response.NextToken };
      },
      (results) => {
        for (const result of results) mergeResult(merged, result);
      },
    );
    return merged;
  }
}

type Merged = Map<string, { points: Datapoint[]; status?: string; messages: string[] }>;

function mergeResult(merged: Merged, result: MetricDataResult): void {
  if (!result.Id) return;
  const entry = merged.get(result.Id) ?? { points: [], messages: [] };
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  timestamps.forEach((timestamp, index) => {
    const value = values[index];
    if (value !== undefined) entry.points.push({ at: timestamp.getTime(), value });
  });
  if (result.StatusCode !== undefined) entry.status = result.StatusCode;
  for (const message of result.Messages ?? []) entry.messages.push(`${message.Code}: ${message.Value}`);
  merged.set(result.Id, entry);
}

/** One model's usage from the merged results, or an error when CloudWatch did not answer every query fully. */
function toUsage(merged: Merged, modelIndex: number): UsageEvidence {
  const series = toSeries(merged, modelIndex, METRICS_PER_MODEL);
  if ("error" in series) return series;
  return { requests: requestsOf(series), inService: series[REQUEST_METRICS.length] ?? [] };
}

/** The request metrics' series, by name, from a model's series in query order. */
const requestsOf = (series: readonly Datapoint[][]): ModelUsage["requests"] =>
  Object.fromEntries(
    REQUEST_METRICS.map((name, index) => [name, series[index] ?? []]),
  ) as unknown as ModelUsage["requests"];

/** One model's series, sorted, in query order; or an error when CloudWatch did not answer every query fully. */
function toSeries(merged: Merged, modelIndex: number, metrics: number): Datapoint[][] | { error: string } {
  const series: Datapoint[][] = [];
  for (let metricIndex = 0; metricIndex < metrics; metricIndex += 1) {
    const entry = merged.get(queryId(modelIndex, metricIndex));
    if (entry === undefined) return { error: "CloudWatch returned no result for one of the model's metrics" };
    // After the last page every result should be Complete; anything else means the data may be incomplete.
    if (entry.status !== undefined && entry.status !== "Complete") {
      const detail = entry.messages.length > 0 ? ` (${entry.messages.join("; ")})` : "";
      return { error: `CloudWatch returned status ${entry.status} for a metric${detail}` };
    }
    series.push(entry.points.sort((a, b) => a.at - b.at));
  }
  return series;
}
