/**
 * An in-memory account behind aws-sdk-client-mock: Rekognition describe/tag/stop with real paging, CloudWatch
 * GetMetricData answering per query from stored series and ListMetrics listing the models with recent
 * InServiceInferenceUnits data, and a DynamoDB log table. Handler tests drive the real adapters and SDK commands
 * through it; every call is recorded in order.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import {
  CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  ListMetricsCommand,
  type Metric,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  ListTagsForResourceCommand,
  RekognitionClient,
  StopProjectVersionCommand,
  TagResourceCommand,
} from "@aws-sdk/client-rekognition";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { createAwsAdapters } from "../../lambda/aws-clients.ts";
import { loadConfig } from "../../lambda/config.ts";
import type { Datapoint } from "../../lambda/core/types.ts";
import { createHandler } from "../../lambda/create-handler.ts";

export const ACCOUNT = "123456789012";
export const MINUTE = 60_000;
export const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);

export interface FakeModel {
  versionName: string;
  status?: string;
  feature?: string;
  tags?: Record<string, string>;
  minInferenceUnits?: number;
  /** Metric name → datapoints. */
  metrics?: Record<string, Datapoint[]>;
}

export interface FakeProject {
  name: string;
  region?: string;
  feature?: string;
  tags?: Record<string, string>;
  models: FakeModel[];
}

export const projectArn = (project: FakeProject) =>
  `arn:aws:rekognition:${project.region ?? "us-east-1"}:${ACCOUNT}:project/${project.name}/1700000000000`;
export const modelArn = (project: FakeProject, model: FakeModel) =>
  `arn:aws:rekognition:${project.region ?? "us-east-1"}:${ACCOUNT}:project/${project.name}/version/${model.versionName}/1700000000001`;

/** One datapoint a minute from `from` up to (not including) `to`. */
export function everyMinute(from: number, to: number, value: number): Datapoint[] {
  const points: Datapoint[] = [];
  for (let at = from; at < to; at += MINUTE) points.push({ at, value });
  return points;
}

/** Metrics of a model in service for the last `hours` hours with the given units and no requests. */
export const idleFor = (hours: number, units = 1) => ({
  InServiceInferenceUnits: everyMinute(NOW - hours * 60 * MINUTE, NOW - 2 * MINUTE, units),
});

/** Like {@link idleFor}, with one successful request `minutesAgo`. */
export const busy = (minutesAgo: number) => ({
  ...idleFor(6),
  SuccessfulRequestCount: [{ at: NOW - minutesAgo * MINUTE, value: 5 }],
});

/** Page size the fake uses: small, so a handful of projects spans several pages. */
export const FAKE_PAGE_SIZE = 2;

export interface LoggedItem {
  [key: string]: unknown;
  modelArn: string;
  stoppedAt: string;
  status: string;
}

/** Installs the mocks; returns the call log, the table and helpers. Call `restore()` after each test. */
export function fakeAccount(projects: FakeProject[]) {
  const rekognition = mockClient(RekognitionClient);
  const cloudwatch = mockClient(CloudWatchClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  const sns = mockClient(SNSClient);
  const eventbridge = mockClient(EventBridgeClient);
  const calls: string[] = [];
  // The announce phase's calls, kept apart from `calls` so that the tests of the other phases read as before.
  const announced: string[] = [];
  const published: { subject: string; message: string }[] = [];
  const table = new Map<string, LoggedItem>();
  const failures = new Map<string, Error>();
  const key = (arn: string, at: string) => `${arn}|${at}`;

  const fail = (name: string, arn?: string) => {
    const error = failures.get(`${name}:${arn ?? ""}`) ?? failures.get(`${name}:*`);
    if (error) throw error;
  };
  const page = <T>(items: T[], token: string | undefined, size: number | undefined) => {
    const start = token ? Number(token) : 0;
    const end = start + Math.min(size ?? 100, FAKE_PAGE_SIZE);
    return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
  };
  const region = (p: FakeProject) => p.region ?? "us-east-1";

  rekognition.on(DescribeProjectsCommand).callsFake(async (input, getClient) => {
    const clientRegion = await getClient().config.region();
    calls.push(`DescribeProjects ${clientRegion} ${input.NextToken ?? "-"}`);
    fail("DescribeProjects");
    const features: string[] = input.Features ?? ["CUSTOM_LABELS"];
    const matching = projects.filter(
      (p) =>
        region(p) === clientRegion &&
        features.includes(p.feature ?? "CUSTOM_LABELS") &&
        (input.ProjectNames === undefined || input.ProjectNames.includes(p.name)),
    );
    const { items, next } = page(matching, input.NextToken, input.MaxResults);
    return {
      ProjectDescriptions: items.map((p) => ({
        ProjectArn: projectArn(p),
        Status: "CREATED",
        Feature: p.feature,
      })),
      NextToken: next,
    };
  });
  rekognition.on(DescribeProjectVersionsCommand).callsFake(async (input) => {
    calls.push(`DescribeProjectVersions ${input.ProjectArn} ${input.NextToken ?? "-"}`);
    fail("DescribeProjectVersions", input.ProjectArn);
    const project = projects.find((p) => projectArn(p) === input.ProjectArn);
    const versions = (project?.models ?? []).filter(
      (m) => input.VersionNames === undefined || input.VersionNames.includes(m.versionName),
    );
    const { items, next } = page(versions, input.NextToken, input.MaxResults);
    return {
      ProjectVersionDescriptions: items.map((m) => ({
        ProjectVersionArn: modelArn(project as FakeProject, m),
        Status: m.status ?? "RUNNING",
        Feature: m.feature,
        MinInferenceUnits: m.minInferenceUnits ?? 1,
      })),
      NextToken: next,
    };
  });
  rekognition.on(ListTagsForResourceCommand).callsFake(async (input) => {
    calls.push(`ListTagsForResource ${input.ResourceArn}`);
    fail("ListTagsForResource", input.ResourceArn);
    for (const p of projects) {
      if (projectArn(p) === input.ResourceArn) return { Tags: p.tags ?? {} };
      for (const m of p.models) if (modelArn(p, m) === input.ResourceArn) return { Tags: m.tags ?? {} };
    }
    throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
  });
  rekognition.on(StopProjectVersionCommand).callsFake(async (input) => {
    calls.push(`StopProjectVersion ${input.ProjectVersionArn}`);
    fail("StopProjectVersion", input.ProjectVersionArn);
    for (const p of projects) {
      for (const m of p.models) {
        if (modelArn(p, m) === input.ProjectVersionArn) {
          m.status = "STOPPING";
          return { Status: "STOPPING" };
        }
      }
    }
    throw new Error("unknown model");
  });

  cloudwatch.on(GetMetricDataCommand).callsFake(async (input) => {
    const queries: MetricDataQuery[] = input.MetricDataQueries ?? [];
    calls.push(`GetMetricData ${queries.length} ${input.NextToken ?? "-"}`);
    fail("GetMetricData");
    const start = (input.StartTime as Date).getTime();
    const end = (input.EndTime as Date).getTime();
    const results: MetricDataResult[] = queries.map((query) => {
      const dims = Object.fromEntries(
        (query.MetricStat?.Metric?.Dimensions ?? []).map((d: Dimension) => [d.Name, d.Value]),
      );
      const model = projects
        .find((p) => p.name === dims.ProjectName)
        ?.models.find((m) => m.versionName === dims.VersionName);
      const points = (model?.metrics?.[query.MetricStat?.Metric?.MetricName ?? ""] ?? []).filter(
        (point) => point.at >= start && point.at < end,
      );
      return {
        Id: query.Id,
        StatusCode: "Complete",
        Timestamps: points.map((point) => new Date(point.at)),
        Values: points.map((point) => point.value),
      };
    });
    return { MetricDataResults: results };
  });

  // What ListMetrics lists: each model with InServiceInferenceUnits data in the past three hours, and, to show the
  // filter at work, a per-project metric without VersionName that CloudWatch would also list.
  cloudwatch.on(ListMetricsCommand).callsFake(async (input, getClient) => {
    const clientRegion = await getClient().config.region();
    calls.push(`ListMetrics ${clientRegion} ${input.NextToken ?? "-"}`);
    fail("ListMetrics");
    const metrics: Metric[] = projects
      .filter((p) => region(p) === clientRegion)
      .flatMap((p) => {
        const active = p.models.filter((m) =>
          (m.metrics?.InServiceInferenceUnits ?? []).some((point) => point.at >= NOW - 180 * MINUTE),
        );
        const byModel = active.map((m) => ({
          Namespace: "AWS/Rekognition",
          MetricName: "InServiceInferenceUnits",
          Dimensions: [
            { Name: "ProjectName", Value: p.name },
            { Name: "VersionName", Value: m.versionName },
          ],
        }));
        return active.length === 0
          ? []
          : [
              ...byModel,
              {
                Namespace: "AWS/Rekognition",
                MetricName: "InServiceInferenceUnits",
                Dimensions: [{ Name: "ProjectName", Value: p.name }],
              },
            ];
      });
    const { items, next } = page(metrics, input.NextToken, undefined);
    return { Metrics: items, NextToken: next };
  });

  dynamo.on(PutCommand).callsFake(async (input) => {
    const item = input.Item as LoggedItem;
    calls.push(`PutItem ${item.modelArn} ${item.status}`);
    fail("PutItem", item.modelArn);
    const k = key(item.modelArn, item.stoppedAt);
    if (table.has(k))
      throw Object.assign(new Error("The conditional request failed"), {
        name: "ConditionalCheckFailedException",
      });
    table.set(k, { ...item });
    return {};
  });
  dynamo.on(UpdateCommand).callsFake(async (input) => {
    const { modelArn: arn, stoppedAt } = input.Key as { modelArn: string; stoppedAt: string };
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    calls.push(`UpdateItem ${arn} ${values[":status"] ?? ""}`.trimEnd());
    fail("UpdateItem", arn);
    const item = table.get(key(arn, stoppedAt));
    if (!item)
      throw Object.assign(new Error("The conditional request failed"), {
        name: "ConditionalCheckFailedException",
      });
    // A warning is closed only while it is open (the adapter's condition); other conditions are not evaluated (the
    // sandbox's DynamoDB tests them).
    if (
      values[":warned"] !== undefined &&
      (item.status !== values[":warned"] || item.kind !== values[":warning"])
    )
      throw Object.assign(new Error("The conditional request failed"), {
        name: "ConditionalCheckFailedException",
      });
    // `SET a = :a, #b = :b REMOVE c, d`.
    const expression = String(input.UpdateExpression);
    const sets = /^SET (.*?)(?: REMOVE |$)/.exec(expression)?.[1] ?? "";
    const removes = /REMOVE (.*)$/.exec(expression)?.[1] ?? "";
    for (const assignment of sets.split(", ").filter((part) => part !== "")) {
      const [name = "", value = ""] = assignment.split(" = ");
      item[names[name] ?? name] = values[value];
    }
    for (const name of removes.split(", ").filter((part) => part !== "")) delete item[name];
    return {};
  });
  dynamo.on(QueryCommand).callsFake(async (input) => {
    const values = input.ExpressionAttributeValues as Record<string, string>;
    if (input.IndexName === "PendingStops") {
      calls.push(`Query PendingStops ${values[":region"]}`);
      fail("QueryPending");
      return { Items: [...table.values()].filter((item) => item.pendingRegion === values[":region"]) };
    }
    if (input.IndexName === "FollowUps") {
      calls.push(`Query FollowUps ${values[":region"]}`);
      fail("QueryFollowUps");
      return { Items: [...table.values()].filter((item) => item.followUpRegion === values[":region"]) };
    }
    calls.push(`Query ${values[":arn"]}`);
    fail("Query", values[":arn"]);
    const items = [...table.values()]
      .filter((item) => item.modelArn === values[":arn"] && item.stoppedAt >= (values[":since"] as string))
      .sort((a, b) => b.stoppedAt.localeCompare(a.stoppedAt));
    return { Items: items };
  });

  sns.on(PublishCommand).callsFake(async (input, getClient) => {
    calls.push(`Publish ${input.TopicArn} ${await getClient().config.region()}`);
    fail("Publish");
    published.push({ subject: String(input.Subject), message: String(input.Message) });
    return { MessageId: `m-${published.length}` };
  });
  eventbridge.on(PutEventsCommand).callsFake(async (input, getClient) => {
    const entries = input.Entries ?? [];
    announced.push(`PutEvents ${await getClient().config.region()} ${entries.length}`);
    return { FailedEntryCount: 0, Entries: entries.map((_: unknown, i: number) => ({ EventId: `e-${i}` })) };
  });
  rekognition.on(TagResourceCommand).callsFake(async (input) => {
    announced.push(`TagResource ${input.ResourceArn} ${JSON.stringify(input.Tags)}`);
    return {};
  });

  return {
    calls,
    announced,
    table,
    published,
    /** Makes every call of `operation` (on `arn`, or on any resource with "*") throw `error`. */
    failOn(operation: string, arn: string, error: Error) {
      failures.set(`${operation}:${arn}`, error);
    },
    restore() {
      rekognition.restore();
      cloudwatch.restore();
      dynamo.restore();
      sns.restore();
      eventbridge.restore();
    },
  };
}

/** An AWS-style error with a name, as the SDK raises them. */
export function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A project of the fake account. */
export const project = (
  name: string,
  models: FakeProject["models"],
  extra: Partial<FakeProject> = {},
): FakeProject => ({
  name,
  models,
  ...extra,
});

/**
 * An account of mixed models: running ones idle for 1 to 8 hours (a1 at 2 units), a busy one, a stopped one, a
 * trained one never started, a starting one, and a project with no versions. The handler's first test and
 * metrics-first's both run on it, so that the two discoveries are compared on the same account.
 */
export function mixedAccount(): FakeProject[] {
  return [
    project("alpha", [
      { versionName: "a1", metrics: idleFor(5, 2) },
      { versionName: "a2", metrics: busy(10) },
      // Stopped a moment ago: its in-service data still looks current, so only describing it tells.
      { versionName: "a3", status: "STOPPED", metrics: idleFor(5) },
    ]),
    project("beta", [{ versionName: "b1.2024-01", metrics: idleFor(4) }]),
    project("gamma", [
      { versionName: "g1", status: "TRAINING_COMPLETED" },
      { versionName: "g2", status: "STARTING" },
      { versionName: "g3", metrics: idleFor(1) },
    ]),
    project("delta", [{ versionName: "d1", metrics: idleFor(8) }]),
    project("epsilon", []),
  ];
}

export const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:idle-model-stopper`;
// The fake account has no rate limits; at the default pace of 5 Rekognition calls a second per API, the tests of
// 240 and 250 models would spend over two minutes waiting on the function's own gates. Most handler tests drive
// the full discovery, page by page; the metrics-first ones set DISCOVERY themselves.
const ENV = {
  LOG_TABLE_NAME: "stops",
  AWS_REGION: "us-east-1",
  REKOGNITION_TPS: "100",
  DISCOVERY: "full",
};

/** Metrics as Powertools would publish them, kept for assertions. */
export function fakeMetrics() {
  const published: Record<string, number>[] = [];
  let stored: Record<string, number> = {};
  return {
    published,
    addMetric(name: string, _unit: string, value: number) {
      stored[name] = value;
    },
    publishStoredMetrics() {
      published.push(stored);
      stored = {};
    },
  };
}

/**
 * Installs the fake account and returns a handler over the real adapters, a run function, the logger and the
 * metrics. `remainingMs` plays Lambda's context.getRemainingTimeInMillis.
 */
export function setupHandler(
  projects: FakeProject[],
  env: Record<string, string> = {},
  options: { remainingMs?: () => number } = {},
) {
  const account = fakeAccount(projects);
  const config = loadConfig({ ...ENV, ...env });
  const logger = new Logger({ logLevel: "SILENT" });
  const metrics = fakeMetrics();
  let clock = NOW;
  const handler = createHandler(config, {
    ...createAwsAdapters(config),
    logger,
    metrics,
    clock: () => clock++,
  });
  const run = (runId = "run-1", event: Record<string, unknown> = {}) =>
    handler(event, {
      awsRequestId: runId,
      ...(options.remainingMs && { getRemainingTimeInMillis: options.remainingMs }),
    });
  /** Moves the function's clock to `at` (epoch ms). */
  const setClock = (at: number) => {
    clock = at;
  };
  return { account, handler, run, logger, metrics, setClock };
}
