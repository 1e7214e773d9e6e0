/**
 * The sandbox's CloudWatch ListMetrics, through the real SDK client: the filters (namespace, metric name,
 * dimensions by name or value, RecentlyActive=PT3H), pages of 500 with NextToken, the two weeks after which
 * CloudWatch forgets a metric, and the delay before a new metric is listed.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CloudWatchClient,
  ListMetricsCommand,
  type ListMetricsCommandInput,
  paginateListMetrics,
} from "@aws-sdk/client-cloudwatch";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { minuteSeries, metricNames as names } from "../support/metric-series.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const NAMESPACE = "AWS/Rekognition";

/** InServiceInferenceUnits of one model, a datapoint a minute from `fromMinutesAgo` until `toMinutesAgo`. */
const inService = (model: string, fromMinutesAgo: number, toMinutesAgo: number) =>
  minuteSeries(NOW, model, "InServiceInferenceUnits", fromMinutesAgo, toMinutesAgo);

describe("sandbox CloudWatch ListMetrics", () => {
  let sandbox: Sandbox;
  let cloudwatch: CloudWatchClient;
  const list = (input: ListMetricsCommandInput) => cloudwatch.send(new ListMetricsCommand(input));

  before(async () => {
    sandbox = await startSandbox({ clock: () => NOW });
    cloudwatch = new CloudWatchClient({
      region: "us-east-1",
      maxAttempts: 1,
      endpoint: sandbox.endpoints.cloudwatch,
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
      },
    });
  });

  after(async () => {
    cloudwatch.destroy();
    await sandbox.stop();
    sandbox.assertMatchesApiModels();
  });

  beforeEach(() => {
    sandbox.cloudwatch.clear();
    sandbox.setQuirks({});
  });

  it("lists with RecentlyActive=PT3H only the metrics with data in the past three hours", async () => {
    // Prepare
    sandbox.cloudwatch.insert("us-east-1", [
      ...inService("cats/running", 600, 0),
      ...inService("cats/stopped-4h-ago", 600, 240),
      ...inService("cats/stopped-20-days-ago", 30 * 1_440, 20 * 1_440),
    ]);
    sandbox.cloudwatch.insert("eu-west-1", inService("dogs/running", 600, 0));

    // Act
    const recent = await list({ Namespace: NAMESPACE, RecentlyActive: "PT3H" });
    const twoWeeks = await list({ Namespace: NAMESPACE });

    // Assess
    assert.deepEqual(names(recent.Metrics), ["InServiceInferenceUnits ProjectName=cats VersionName=running"]);
    assert.deepEqual(names(twoWeeks.Metrics), [
      "InServiceInferenceUnits ProjectName=cats VersionName=running",
      "InServiceInferenceUnits ProjectName=cats VersionName=stopped-4h-ago",
    ]);
    assert.equal(recent.NextToken, undefined);
  });

  it("filters by metric name and by dimension name or value; a name alone matches metrics with more dimensions", async () => {
    // Prepare
    const at = NOW - MINUTE;
    sandbox.cloudwatch.insert("us-east-1", [
      ...inService("cats/v1", 10, 0),
      {
        namespace: NAMESPACE,
        metricName: "SuccessfulRequestCount",
        dimensions: { ProjectName: "cats", VersionName: "v1" },
        timestamp: at,
        value: 1,
      },
      {
        namespace: NAMESPACE,
        metricName: "InServiceInferenceUnits",
        dimensions: { ProjectName: "cats" },
        timestamp: at,
        value: 1,
      },
      {
        namespace: "Other",
        metricName: "InServiceInferenceUnits",
        dimensions: { ProjectName: "cats", VersionName: "v1" },
        timestamp: at,
        value: 1,
      },
    ]);

    // Act
    const byName = await list({
      Namespace: NAMESPACE,
      MetricName: "InServiceInferenceUnits",
      Dimensions: [{ Name: "ProjectName" }, { Name: "VersionName" }],
    });
    const byProject = await list({
      Namespace: NAMESPACE,
      MetricName: "InServiceInferenceUnits",
      Dimensions: [{ Name: "ProjectName", Value: "cats" }],
    });
    const noMatch = await list({
      Namespace: NAMESPACE,
      Dimensions: [{ Name: "ProjectName", Value: "dogs" }],
    });

    // Assess
    assert.deepEqual(names(byName.Metrics), ["InServiceInferenceUnits ProjectName=cats VersionName=v1"]);
    assert.deepEqual(names(byProject.Metrics).sort(), [
      "InServiceInferenceUnits ProjectName=cats",
      "InServiceInferenceUnits ProjectName=cats VersionName=v1",
    ]);
    assert.deepEqual(noMatch.Metrics, []);
  });

  it("answers 500 metrics a page with a NextToken, every metric once", async () => {
    // Prepare
    const models = Array.from({ length: 1_201 }, (_, index) => `p${index % 40}/v${index}`);
    sandbox.cloudwatch.insert(
      "us-east-1",
      models.flatMap((model) => inService(model, 3, 0)),
    );

    // Act
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateListMetrics(
      { client: cloudwatch },
      { Namespace: NAMESPACE, RecentlyActive: "PT3H" },
    )) {
      pages.push(page.Metrics?.length ?? 0);
      seen.push(...names(page.Metrics));
    }

    // Assess
    assert.deepEqual(pages, [500, 500, 201]);
    assert.equal(new Set(seen).size, 1_201);
  });

  it("lists a new metric only once the listing delay has passed since its first datapoint", async () => {
    // Prepare: AWS lists a new metric up to 15 minutes late; data after two weeks without any is new again.
    sandbox.setQuirks({ cloudwatch: { listingDelayMinutes: 15 } });
    sandbox.cloudwatch.insert("us-east-1", [
      ...inService("cats/started-10m-ago", 10, 0),
      ...inService("cats/started-15m-ago", 15, 0),
      ...inService("cats/running-for-hours", 600, 0),
      ...inService("cats/back-after-3-weeks", 40 * 1_440, 21 * 1_440),
      ...inService("cats/back-after-3-weeks", 10, 0),
    ]);

    // Act
    const listed = await list({ Namespace: NAMESPACE, RecentlyActive: "PT3H" });

    // Assess
    assert.deepEqual(names(listed.Metrics), [
      "InServiceInferenceUnits ProjectName=cats VersionName=running-for-hours",
      "InServiceInferenceUnits ProjectName=cats VersionName=started-15m-ago",
    ]);
  });

  it("refuses a NextToken of another request with InvalidParameterValue", async () => {
    // Prepare
    sandbox.cloudwatch.insert(
      "us-east-1",
      Array.from({ length: 501 }, (_, index) => inService(`p/v${index}`, 2, 0)).flat(),
    );
    const first = await list({ Namespace: NAMESPACE });

    // Act
    const error = await list({ Namespace: "Other", NextToken: first.NextToken }).catch((e: Error) => e);

    // Assess
    assert.equal((error as Error).name, "InvalidParameterValueException");
  });

  it("refuses a RecentlyActive other than PT3H as the API model does", async () => {
    // Act
    const error = await list({ RecentlyActive: "PT1H" as "PT3H" }).catch((e: Error) => e);

    // Assess
    assert.equal((error as Error).name, "ValidationException");
    assert.match((error as Error).message, /recentlyActive/);
  });
});
