/**
 * CloudWatch: each model's request and in-service metrics, fetched for many models at once in GetMetricData
 * calls of up to 500 queries, following NextToken. Plain MetricStat queries only; sums are done in the core.
 * The last look re-reads the request metrics alone, 4 queries a model. And the models in service lately, from
 * ListMetrics: what metrics-first discovery starts from.
 */

import {
  type CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MessageData,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import {
  type Datapoint,
  IN_SERVICE_METRIC,
  METRIC_NAMESPACE,
  type ModelUsage,
  type NamedModel,
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
  /** Each model's usage, or why it could not be read, in the order given: for models known by name only. */
  readUsageByName(
    region: string,
    models: readonly NamedModel[],
    window: UsageWindow,
  ): Promise<UsageEvidence[]>;
  /**
   * Returns each model's request datapoints (the four request metrics) over `range`, or the reason they could not
   * be read, keyed by model ARN: {@link REQUEST_MODELS_PER_CALL} models a GetMetricData call.
   */
  readRequests(
    region: string,
    models: readonly MetricsOf[],
    range: RequestRange,
  ): Promise<Map<string, RequestEvidence>>;
  /**
   * The models that published InServiceInferenceUnits in the past three hours (ListMetrics, RecentlyActive=PT3H,
   * every page), each once. A model started less than about 15 minutes ago may not be listed yet.
   */
  listInService(region: string): Promise<NamedModel[]>;
}

/** What the metrics of a model are found by: its project and version names, and its ARN for the answer's key. */
export type MetricsOf = Pick<RunningModel, "modelArn" | "projectName" | "versionName">;

/** What a query of a model's metrics needs: its dimensions, the project and version names. */
export type MetricNames = Pick<NamedModel, "projectName" | "versionName">;

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
  models: readonly MetricNames[],
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

/** ListMetrics answers at most this many metrics a page. */
export const METRICS_PER_LIST_PAGE = 500;

// The dimensions of a Custom Labels model's metrics; a metric with any other set is not one model's.
const MODEL_DIMENSIONS = ["ProjectName", "VersionName"] as const;

/** The SDK-backed {@link UsageReader}. `clientFor` and the gates give one client and gate per region. */
export class CloudWatchUsageReader implements UsageReader {
  constructor(
    private readonly clientFor: (region: string) => CloudWatchClient,
    /** The gate of GetMetricData. */
    private readonly gateFor: (region: string) => Gate = () => openGate,
    /** The gate of ListMetrics, which has its own limit (25 TPS to GetMetricData's 50). */
    private readonly listGateFor: (region: string) => Gate = () => openGate,
  ) {}

  readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>> {
    return this.byArn(models, this.inBatches(region, models, false, window.periodSeconds, window, toUsage));
  }

  readUsageByName(
    region: string,
    models: readonly NamedModel[],
    window: UsageWindow,
  ): Promise<UsageEvidence[]> {
    return this.inBatches(region, models, false, window.periodSeconds, window, toUsage);
  }

  readRequests(
    region: string,
    models: readonly MetricsOf[],
    range: RequestRange,
  ): Promise<Map<string, RequestEvidence>> {
    const read = this.inBatches(
      region,
      models,
      true,
      range.periodSeconds,
      { queryStart: range.start, end: range.end },
      (results, index) => {
        const series = toSeries(results, index, REQUEST_METRICS.length);
        return "error" in series ? series : { requests: requestsOf(series) };
      },
    );
    return this.byArn(models, read);
  }

  /** The evidence read in the models' order, keyed by each model's ARN. */
  private async byArn<T>(models: readonly MetricsOf[], read: Promise<T[]>): Promise<Map<string, T>> {
    const evidence = await read;
    return new Map(models.map((model, index) => [model.modelArn, evidence[index] as T]));
  }

  /**
   * Reads the models in batches of as many as fit in 500 queries, one GetMetricData call (and its pages) each, at
   * once; a batch that fails gives each of its models the error. The evidence comes in the models' order.
   */
  private async inBatches<T>(
    region: string,
    models: readonly MetricNames[],
    requestsOnly: boolean,
    periodSeconds: number,
    span: Pick<UsageWindow, "queryStart" | "end">,
    evidenceOf: (results: Merged, modelIndex: number) => T | { error: string },
  ): Promise<(T | { error: string })[]> {
    const perCall = requestsOnly ? REQUEST_MODELS_PER_CALL : MODELS_PER_CALL;
    const evidence: (T | { error: string })[] = [];
    await Promise.all(
      chunk(models, perCall).map(async (batch, batchIndex) => {
        const first = batchIndex * perCall;
        try {
          const results = await this.fetchAll(region, buildQueries(batch, periodSeconds, requestsOnly), span);
          for (const modelIndex of batch.keys())
            evidence[first + modelIndex] = evidenceOf(results, modelIndex);
        } catch (error) {
          for (const modelIndex of batch.keys())
            evidence[first + modelIndex] = { error: `GetMetricData failed: ${errorMessage(error)}` };
        }
      }),
    );
    return evidence;
  }

  async listInService(region: string): Promise<NamedModel[]> {
    const client = this.clientFor(region);
    const gate = this.listGateFor(region);
    const found = new Map<string, NamedModel>();
    await forEachPage(
      "ListMetrics",
      async (token) => {
        const page = await gate(() =>
          client.send(
            new ListMetricsCommand({
              Namespace: METRIC_NAMESPACE,
              MetricName: IN_SERVICE_METRIC,
              Dimensions: MODEL_DIMENSIONS.map((name) => ({ Name: name })),
              // The only value CloudWatch accepts: metrics with datapoints in the past three hours.
              RecentlyActive: "PT3H",
              NextToken: token,
            }),
          ),
        );
        return { items: page.Metrics ?? [], nextToken: page.NextToken };
      },
      (metrics) => {
        for (const metric of metrics) {
          const dimensions = metric.Dimensions ?? [];
          // The filter matches metrics that have these dimensions and maybe more: only the exact pair is one model.
          if (dimensions.length !== MODEL_DIMENSIONS.length) continue;
          const value = (name: string) => dimensions.find((dimension) => dimension.Name === name)?.Value;
          const projectName = value("ProjectName");
          const versionName = value("VersionName");
          if (!projectName || !versionName) continue;
          found.set(`${projectName}/${versionName}`, { region, projectName, versionName });
        }
      },
    );
    return [...found.values()];
  }

  /** Runs one batch of queries through every page, merging each query's datapoints. */
  private async fetchAll(
    region: string,
    queries: MetricDataQuery[],
    window: Pick<UsageWindow, "queryStart" | "end">,
  ) {
    const client = this.clientFor(region);
    const gate = this.gateFor(region);
    const merged: Merged = { results: new Map(), messages: [] };
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
        // Messages about the call as a whole: "as much of the operation as possible is still executed", so a
        // result may be missing; they say why.
        for (const message of response.Messages ?? []) {
          const text = messageText(message);
          // Each page may repeat them: said once.
          if (!merged.messages.includes(text)) merged.messages.push(text);
        }
        return { items: response.MetricDataResults ?? [], nextToken: response.NextToken };
      },
      (results) => {
        for (const result of results) mergeResult(merged, result);
      },
    );
    return merged;
  }
}

/** Each query's datapoints, status and messages over every page, by query ID; and the call's own messages. */
interface Merged {
  readonly results: Map<string, { points: Datapoint[]; status?: string; messages: string[] }>;
  readonly messages: string[];
}

const messageText = (message: MessageData) => `${message.Code}: ${message.Value}`;

function mergeResult(merged: Merged, result: MetricDataResult): void {
  if (!result.Id) return;
  const entry = merged.results.get(result.Id) ?? { points: [], messages: [] };
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  timestamps.forEach((timestamp, index) => {
    const value = values[index];
    if (value !== undefined) entry.points.push({ at: timestamp.getTime(), value });
  });
  if (result.StatusCode !== undefined) entry.status = result.StatusCode;
  for (const message of result.Messages ?? []) entry.messages.push(messageText(message));
  merged.results.set(result.Id, entry);
}

/** The call's own messages, for an error that they may explain; nothing when it had none. */
const callSaid = (merged: Merged) =>
  merged.messages.length > 0 ? `; the call said ${merged.messages.join("; ")}` : "";

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
    const entry = merged.results.get(queryId(modelIndex, metricIndex));
    if (entry === undefined)
      return { error: `CloudWatch returned no result for one of the model's metrics${callSaid(merged)}` };
    // After the last page every result should be Complete; anything else means the data may be incomplete.
    if (entry.status !== undefined && entry.status !== "Complete") {
      const detail = entry.messages.length > 0 ? ` (${entry.messages.join("; ")})` : "";
      return { error: `CloudWatch returned status ${entry.status} for a metric${detail}${callSaid(merged)}` };
    }
    series.push(entry.points.sort((a, b) => a.at - b.at));
  }
  return series;
}
