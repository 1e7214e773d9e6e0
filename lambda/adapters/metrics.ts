/**
 * CloudWatch: each model's request and in-service metrics, fetched for many models at once in GetMetricData
 * calls of up to 500 queries, following NextToken. Plain MetricStat queries only; sums are done in the core.
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
  type RunningModel,
  type UsageEvidence,
  type UsageWindow,
} from "../core/types.ts";
import { errorMessage } from "./errors.ts";
import { type Gate, openGate } from "./gate.ts";
import { forEachPage } from "./paging.ts";

/** A model whose request metrics are read again over a span of time (epoch ms, `to` excluded). */
export interface RequestSpan {
  readonly model: Pick<RunningModel, "modelArn" | "projectName" | "versionName">;
  readonly from: number;
  readonly to: number;
}

/** A model's request metrics over a span (at least), or why they could not be read. */
export type RequestEvidence = ModelUsage["requests"] | { readonly error: string };

/** Reads usage metrics for many models of one region. */
export interface UsageReader {
  /** Returns each model's usage, or the reason it could not be read, keyed by model ARN. */
  readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>>;
  /**
   * Returns each model's request metrics in 1-minute periods over (at least) its span, keyed by model ARN: one
   * GetMetricData call per batch of models whose spans lie close together, not one per model.
   */
  readRequests(region: string, spans: readonly RequestSpan[]): Promise<Map<string, RequestEvidence>>;
}

/** GetMetricData accepts at most 500 MetricDataQueries per call. */
export const MAX_QUERIES_PER_CALL = 500;

const METRICS_PER_MODEL = REQUEST_METRICS.length + 1;

/** Models per GetMetricData call: as many as fit in 500 queries. */
export const MODELS_PER_CALL = Math.floor(MAX_QUERIES_PER_CALL / METRICS_PER_MODEL);

/** Models per GetMetricData call when only the request metrics are read: 125. */
export const REQUEST_SPANS_PER_CALL = Math.floor(MAX_QUERIES_PER_CALL / REQUEST_METRICS.length);

// One call covers the time from its earliest span's start to its latest span's end, in 1-minute periods: spans
// further apart than this go to calls of their own, so no call reads days of minutes for a handful of models.
const MAX_SPAN_RANGE_MS = 6 * 3_600_000;
const MINUTE_MS = 60_000;

// Query ids must start with a lowercase letter and be unique within a call: m<model>_<metric>.
const queryId = (modelIndex: number, metricIndex: number) => `m${modelIndex}_${metricIndex}`;

/** The queries for one batch of models: the request metrics (Sum), then InServiceInferenceUnits (Average). */
export function buildQueries(
  models: readonly Pick<RunningModel, "projectName" | "versionName">[],
  periodSeconds: number,
): MetricDataQuery[] {
  return models.flatMap((model, modelIndex) => {
    const dimensions = [
      { Name: "ProjectName", Value: model.projectName },
      { Name: "VersionName", Value: model.versionName },
    ];
    const metrics = [
      ...REQUEST_METRICS.map((name) => ({ name, stat: "Sum" })),
      { name: IN_SERVICE_METRIC, stat: "Average" },
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

  async readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>> {
    const usage = new Map<string, UsageEvidence>();
    await Promise.all(
      chunk(models, MODELS_PER_CALL).map(async (batch) => {
        try {
          const results = await this.fetchAll(region, buildQueries(batch, window.periodSeconds), window);
          for (const [modelIndex, model] of batch.entries())
            usage.set(model.modelArn, toUsage(results, modelIndex));
        } catch (error) {
          for (const model of batch) {
            usage.set(model.modelArn, { error: `GetMetricData failed: ${errorMessage(error)}` });
          }
        }
      }),
    );
    return usage;
  }

  async readRequests(region: string, spans: readonly RequestSpan[]): Promise<Map<string, RequestEvidence>> {
    const requests = new Map<string, RequestEvidence>();
    await Promise.all(
      spanBatches(spans).map(async (batch) => {
        const start = Math.floor(Math.min(...batch.map((span) => span.from)) / MINUTE_MS) * MINUTE_MS;
        const end = Math.ceil(Math.max(...batch.map((span) => span.to)) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
        const queries = buildQueries(
          batch.map((span) => span.model),
          60,
        ).filter((query) => !query.Id?.endsWith(`_${REQUEST_METRICS.length}`));
        try {
          const results = await this.fetchAll(region, queries, { queryStart: start, end });
          for (const [index, span] of batch.entries())
            requests.set(span.model.modelArn, toRequests(results, index));
        } catch (error) {
          for (const span of batch)
            requests.set(span.model.modelArn, { error: `GetMetricData failed: ${errorMessage(error)}` });
        }
      }),
    );
    return requests;
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

/** Spans in batches of at most {@link REQUEST_SPANS_PER_CALL}, each covering at most a few hours. */
function spanBatches(spans: readonly RequestSpan[]): RequestSpan[][] {
  const batches: RequestSpan[][] = [];
  let batch: RequestSpan[] = [];
  let batchStart = 0;
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    if (
      batch.length >= REQUEST_SPANS_PER_CALL ||
      (batch.length > 0 && span.to - batchStart > MAX_SPAN_RANGE_MS)
    ) {
      batches.push(batch);
      batch = [];
    }
    if (batch.length === 0) batchStart = span.from;
    batch.push(span);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** One model's request metrics from the merged results, or an error when CloudWatch did not answer fully. */
function toRequests(merged: Merged, modelIndex: number): RequestEvidence {
  const series = seriesOf(merged, modelIndex, REQUEST_METRICS.length);
  if ("error" in series) return series;
  return Object.fromEntries(
    REQUEST_METRICS.map((name, index) => [name, series[index] ?? []]),
  ) as unknown as ModelUsage["requests"];
}

/** The first `count` series of a model, sorted, or an error when CloudWatch did not answer each query fully. */
function seriesOf(merged: Merged, modelIndex: number, count: number): Datapoint[][] | { error: string } {
  const series: Datapoint[][] = [];
  for (let metricIndex = 0; metricIndex < count; metricIndex += 1) {
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

/** One model's usage from the merged results, or an error when CloudWatch did not answer every query fully. */
function toUsage(merged: Merged, modelIndex: number): UsageEvidence {
  const series = seriesOf(merged, modelIndex, METRICS_PER_MODEL);
  if ("error" in series) return series;
  const requests = Object.fromEntries(REQUEST_METRICS.map((name, index) => [name, series[index] ?? []]));
  return {
    requests: requests as unknown as ModelUsage["requests"],
    inService: series[REQUEST_METRICS.length] ?? [],
  };
}
