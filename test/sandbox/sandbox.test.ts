import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDataResult,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  ListTagsForResourceCommand,
  paginateDescribeProjects,
  paginateDescribeProjectVersions,
  RekognitionClient,
  ResourceNotFoundException,
  StartProjectVersionCommand,
  StopProjectVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-rekognition";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  modelArnOf,
  projectArnOf,
  type Sandbox,
  seedCreationMillis,
  startSandbox,
} from "../../sandbox/index.ts";

const ACCOUNT = "123456789012";
const MINUTE = 60_000;
// A whole hour, a bucket boundary for every period the tests use.
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
// The sandbox's clock: it stands at NOW and moves only when a test moves it, so no test waits for time to pass.
let clockNow = NOW;

let sandbox: Sandbox;
const clients: { destroy(): void }[] = [];

/** A client of the real SDK that finds the sandbox through AWS_ENDPOINT_URL_* and fails on the first error. */
function client<T extends { destroy(): void }>(
  create: (config: { region: string; maxAttempts: number }) => T,
  region = "us-east-1",
): T {
  const created = create({ region, maxAttempts: 1 });
  clients.push(created);
  return created;
}

let rekognition: RekognitionClient;
let cloudwatch: CloudWatchClient;

before(async () => {
  sandbox = await startSandbox({ account: ACCOUNT, clock: () => clockNow });
  // The child processes of the end-to-end tests get the same variables; the SDK must find the sandbox by them.
  Object.assign(process.env, sandbox.env);
  rekognition = client((config) => new RekognitionClient(config));
  cloudwatch = client((config) => new CloudWatchClient(config));
});

after(async () => {
  for (const created of clients) created.destroy();
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

beforeEach(() => {
  sandbox.setFaults({});
  sandbox.clearCalls();
  sandbox.rekognition.transitionDelayMs = 0;
});

/** Asserts that a promise rejects with an SDK error of that name, and returns the error. */
async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
): Promise<Error & Record<string, unknown>> {
  const error = await promise.then(
    () => assert.fail(`expected ${name}, but the call succeeded`),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof Error, "the SDK threw an Error");
  assert.equal(error.name, name, `error was ${error.name}: ${error.message}`);
  return error as Error & Record<string, unknown>;
}

const httpStatus = (error: Record<string, unknown>) =>
  (error.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;

describe("sandbox Rekognition endpoint", () => {
  before(() => {
    sandbox.seed({
      account: ACCOUNT,
      projects: [
        { name: "p0", region: "us-east-1", tags: { team: "vision" } },
        {
          name: "p1",
          region: "us-east-1",
          versions: [
            { name: "p1.v1", status: "STOPPED" },
            {
              name: "p1.v2",
              status: "RUNNING",
              minInferenceUnits: 2,
              maxInferenceUnits: 4,
              tags: { owner: "ana" },
            },
            { name: "p1.v3", status: "TRAINING_COMPLETED" },
          ],
        },
        { name: "p2", region: "us-east-1" },
        { name: "moderation", region: "us-east-1", feature: "CONTENT_MODERATION" },
        { name: "p4", region: "us-east-1" },
        { name: "p5", region: "us-east-1" },
        { name: "dublin", region: "eu-west-1", versions: [{ name: "d.v1", status: "RUNNING" }] },
      ],
    });
  });

  it("pages DescribeProjects with a small MaxResults and lists only Custom Labels projects of the signed region", async () => {
    const pages: string[][] = [];
    for await (const page of paginateDescribeProjects({ client: rekognition, pageSize: 2 }, {}))
      pages.push((page.ProjectDescriptions ?? []).map((project) => project.ProjectArn ?? ""));

    assert.deepEqual(
      pages.map((page) => page.length),
      [2, 2, 1],
    );
    const expected = ["p0", "p1", "p2", "p4", "p5"].map((name) =>
      projectArnOf(
        "us-east-1",
        ACCOUNT,
        name,
        seedCreationMillis(["p0", "p1", "p2", "moderation", "p4", "p5"].indexOf(name)),
      ),
    );
    assert.deepEqual(pages.flat(), expected);
    assert.equal(sandbox.rekognition.projectArn("p1"), expected[1]);
  });

  it("answers each region from its own state, taking the region from the SigV4 credential scope", async () => {
    const dublin = client((config) => new RekognitionClient(config), "eu-west-1");

    const projects = await dublin.send(new DescribeProjectsCommand({}));

    assert.deepEqual(
      projects.ProjectDescriptions?.map((project) => project.ProjectArn),
      [sandbox.rekognition.projectArn("dublin", "eu-west-1")],
    );
    assert.equal(sandbox.calls.at(-1)?.region, "eu-west-1");
  });

  it("filters by Features and ProjectNames", async () => {
    const moderation = await rekognition.send(
      new DescribeProjectsCommand({ Features: ["CONTENT_MODERATION"] }),
    );
    const named = await rekognition.send(
      new DescribeProjectsCommand({
        Features: ["CUSTOM_LABELS", "CONTENT_MODERATION"],
        ProjectNames: ["p2", "moderation"],
      }),
    );

    assert.deepEqual(
      moderation.ProjectDescriptions?.map((project) => [project.Feature, project.Status]),
      [["CONTENT_MODERATION", "CREATED"]],
    );
    assert.equal(named.ProjectDescriptions?.length, 2);
  });

  it("pages DescribeProjectVersions newest first, with the fields the stopper reads", async () => {
    const projectArn = sandbox.rekognition.projectArn("p1");
    const pages = [];
    for await (const page of paginateDescribeProjectVersions(
      { client: rekognition, pageSize: 2 },
      { ProjectArn: projectArn },
    ))
      pages.push(page.ProjectVersionDescriptions ?? []);

    assert.deepEqual(
      pages.map((page) => page.length),
      [2, 1],
    );
    const versions = pages.flat();
    assert.deepEqual(
      versions.map((version) => version.ProjectVersionArn),
      ["p1.v3", "p1.v2", "p1.v1"].map((name, index) =>
        modelArnOf("us-east-1", ACCOUNT, "p1", name, seedCreationMillis(1, 2 - index)),
      ),
    );
    const running = versions[1];
    assert.equal(running?.Status, "RUNNING");
    assert.equal(running?.MinInferenceUnits, 2);
    assert.equal(running?.MaxInferenceUnits, 4);
    assert.equal(running?.Feature, "CUSTOM_LABELS");
    assert.equal(running?.CreationTimestamp?.getTime(), seedCreationMillis(1, 1));
    assert.ok((running?.TrainingEndTimestamp?.getTime() ?? 0) > seedCreationMillis(1, 1));
    assert.equal(typeof running?.StatusMessage, "string");
  });

  it("rejects MaxResults outside 1–100 with a named ValidationException", async () => {
    const tooMany = await rejectsWith(
      rekognition.send(new DescribeProjectsCommand({ MaxResults: 101 })),
      "ValidationException",
    );
    await rejectsWith(
      rekognition.send(
        new DescribeProjectVersionsCommand({
          ProjectArn: sandbox.rekognition.projectArn("p1"),
          MaxResults: 0,
        }),
      ),
      "ValidationException",
    );

    assert.equal(httpStatus(tooMany), 400);
    assert.match(tooMany.message, /less than or equal to 100/);
  });

  it("answers ResourceNotFoundException for an unknown model, and logs the call", async () => {
    const unknown = modelArnOf("us-east-1", ACCOUNT, "p1", "nope", 1);

    const error = await rejectsWith(
      rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: unknown })),
      "ResourceNotFoundException",
    );

    assert.ok(error instanceof ResourceNotFoundException, "the SDK's own exception class");
    const call = sandbox.calls.at(-1);
    assert.equal(call?.operation, "StopProjectVersion");
    assert.equal(call?.region, "us-east-1");
    assert.equal(call?.input.ProjectVersionArn, unknown);
    assert.equal(call?.outcome, "ResourceNotFoundException");
  });

  it("stops a RUNNING model: STOPPING at once, STOPPED after the delay, ResourceInUse when asked again", async () => {
    const arn = sandbox.rekognition.modelArn("p1", "p1.v2");
    sandbox.rekognition.transitionDelayMs = 150;
    const describe = async () =>
      (
        await rekognition.send(
          new DescribeProjectVersionsCommand({
            ProjectArn: sandbox.rekognition.projectArn("p1"),
            VersionNames: ["p1.v2"],
          }),
        )
      ).ProjectVersionDescriptions?.[0]?.Status;

    const stop = await rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: arn }));
    const during = await describe();
    await rejectsWith(
      rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: arn })),
      "ResourceInUseException",
    );
    clockNow += 150;
    const afterDelay = await describe();

    assert.equal(stop.Status, "STOPPING");
    assert.equal(during, "STOPPING");
    assert.equal(afterDelay, "STOPPED");
  });

  it("starts a stopped model with MinInferenceUnits and refuses to start it twice", async () => {
    const arn = sandbox.rekognition.modelArn("p1", "p1.v1");

    await rejectsWith(
      rekognition.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 0 })),
      "ValidationException",
    );
    const start = await rekognition.send(
      new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1, MaxInferenceUnits: 3 }),
    );
    await rejectsWith(
      rekognition.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 })),
      "ResourceInUseException",
    );

    assert.equal(start.Status, "STARTING");
    assert.deepEqual(
      {
        status: sandbox.rekognition.model(arn)?.status,
        max: sandbox.rekognition.model(arn)?.maxInferenceUnits,
      },
      { status: "RUNNING", max: 3 },
    );
  });

  it("round-trips tags on models and projects", async () => {
    const model = sandbox.rekognition.modelArn("p1", "p1.v2");
    const project = sandbox.rekognition.projectArn("p0");

    await rekognition.send(
      new TagResourceCommand({ ResourceArn: model, Tags: { "idle-stopper:keep": "true" } }),
    );
    await rekognition.send(new UntagResourceCommand({ ResourceArn: model, TagKeys: ["owner"] }));
    const modelTags = await rekognition.send(new ListTagsForResourceCommand({ ResourceArn: model }));
    const projectTags = await rekognition.send(new ListTagsForResourceCommand({ ResourceArn: project }));

    assert.deepEqual(modelTags.Tags, { "idle-stopper:keep": "true" });
    assert.deepEqual(projectTags.Tags, { team: "vision" });
    await rejectsWith(
      rekognition.send(new TagResourceCommand({ ResourceArn: model, Tags: { "aws:reserved": "x" } })),
      "ValidationException",
    );
  });

  it("answers AWS's wire shape for errors and unknown operations", async () => {
    const response = await fetch(sandbox.endpoints.rekognition, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "RekognitionService.DetectLabels",
      },
      body: "{}",
    });

    assert.equal(response.status, 400);
    assert.equal(response.headers.get("x-amzn-errortype"), "UnknownOperationException");
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.__type, "UnknownOperationException");
    assert.equal(typeof body.message, "string");
  });
});

describe("sandbox CloudWatch endpoint", () => {
  const dimensions = (version: string) => [
    { Name: "ProjectName", Value: "usage" },
    { Name: "VersionName", Value: version },
  ];
  const query = (
    id: string,
    metric: string,
    stat: string,
    period: number,
    version = "usage.v1",
  ): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: "AWS/Rekognition", MetricName: metric, Dimensions: dimensions(version) },
      Period: period,
      Stat: stat,
    },
  });
  const points = (result: MetricDataResult | undefined) =>
    (result?.Timestamps ?? []).map((timestamp, index) => [
      (timestamp.getTime() - NOW) / MINUTE,
      result?.Values?.[index],
    ]);

  before(() => {
    sandbox.seed({
      now: NOW,
      projects: [
        {
          name: "usage",
          versions: [
            {
              name: "usage.v1",
              status: "RUNNING",
              inService: [{ fromMinutesAgo: 20, toMinutesAgo: 0, units: 2 }],
              requests: [
                { minutesAgo: 3, count: 2 },
                { minutesAgo: 4, count: 5 },
                { minutesAgo: 7, count: 1 },
                { minutesAgo: 12, count: 4 },
                { minutesAgo: 4, count: 9, metric: "UserErrorCount" },
              ],
            },
            {
              name: "usage.v2",
              status: "RUNNING",
              inService: [{ fromMinutesAgo: 250, toMinutesAgo: 0, units: 1 }],
            },
          ],
        },
      ],
    });
    // A scale-up to 5 units two minutes ago, written straight into the store.
    sandbox.cloudwatch.insert("us-east-1", [
      {
        namespace: "AWS/Rekognition",
        metricName: "InServiceInferenceUnits",
        dimensions: { ProjectName: "usage", VersionName: "usage.v1" },
        timestamp: NOW - 2 * MINUTE,
        value: 5,
      },
    ]);
  });

  it("sums and averages seeded datapoints into epoch-aligned buckets, in ScanBy order", async () => {
    const window = { StartTime: new Date(NOW - 15 * MINUTE), EndTime: new Date(NOW) };

    const ascending = await cloudwatch.send(
      new GetMetricDataCommand({
        ...window,
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          query("success", "SuccessfulRequestCount", "Sum", 300),
          query("units", "InServiceInferenceUnits", "Average", 300),
          query("errors", "UserErrorCount", "Sum", 60),
        ],
      }),
    );
    const descending = await cloudwatch.send(
      new GetMetricDataCommand({
        ...window,
        MetricDataQueries: [query("success", "SuccessfulRequestCount", "Sum", 300)],
      }),
    );

    const [success, units, errors] = ascending.MetricDataResults ?? [];
    assert.deepEqual(points(success), [
      [-15, 4],
      [-10, 1],
      [-5, 7],
    ]);
    // The last bucket holds 2,2,2,2,2 and the scale-up to 5: (10 + 5) / 6.
    assert.deepEqual(points(units), [
      [-15, 2],
      [-10, 2],
      [-5, 2.5],
    ]);
    assert.deepEqual(points(errors), [[-4, 9]]);
    assert.deepEqual(points(descending.MetricDataResults?.[0]), [
      [-5, 7],
      [-10, 1],
      [-15, 4],
    ]);
    assert.equal(success?.StatusCode, "Complete");
    assert.equal(success?.Label, "SuccessfulRequestCount");
  });

  it("aligns buckets to the epoch, not to StartTime, and rounds StartTime down to the minute", async () => {
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(NOW - 13 * MINUTE - 30_000),
        EndTime: new Date(NOW - 1),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          query("fiveMinutes", "SuccessfulRequestCount", "Sum", 300),
          query("minutes", "SuccessfulRequestCount", "Sum", 60),
        ],
      }),
    );

    assert.deepEqual(points(result.MetricDataResults?.[0]), [
      [-10, 1],
      [-5, 7],
    ]);
    assert.deepEqual(points(result.MetricDataResults?.[1]), [
      [-12, 4],
      [-7, 1],
      [-4, 5],
      [-3, 2],
    ]);
  });

  it("rejects more than 500 queries with the SDK's ValidationException", async () => {
    const queries = Array.from({ length: 501 }, (_, index) =>
      query(`q${index}`, "SuccessfulRequestCount", "Sum", 60),
    );

    const error = await rejectsWith(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(NOW - MINUTE),
          EndTime: new Date(NOW),
          MetricDataQueries: queries,
        }),
      ),
      "ValidationException",
    );

    assert.equal(error.Code, "ValidationError");
    assert.match(error.message, /less than or equal to 500/);
  });

  it("refuses metric math with a ValidationError saying the sandbox does not evaluate it", async () => {
    const error = await rejectsWith(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(NOW - MINUTE),
          EndTime: new Date(NOW),
          MetricDataQueries: [{ Id: "total", Expression: "SUM(METRICS())" }],
        }),
      ),
      "ValidationException",
    );

    // GetMetricData's model declares InvalidNextToken only: a bad query is the common ValidationError.
    assert.equal(error.Code, "ValidationError");
    assert.match(error.message, /sandbox does not evaluate metric math/);
  });

  it("answers duplicate query ids and a StartTime after EndTime with ValidationError, as AWS does", async () => {
    const duplicate = rejectsWith(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(NOW - MINUTE),
          EndTime: new Date(NOW),
          MetricDataQueries: [
            query("same", "SuccessfulRequestCount", "Sum", 60),
            query("same", "UserErrorCount", "Sum", 60),
          ],
        }),
      ),
      "ValidationException",
    );
    const backwards = rejectsWith(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(NOW),
          EndTime: new Date(NOW - MINUTE),
          MetricDataQueries: [query("q", "SuccessfulRequestCount", "Sum", 60)],
        }),
      ),
      "ValidationException",
    );

    const errors = await Promise.all([duplicate, backwards]);

    assert.deepEqual(
      errors.map((error) => [error.Code, error.message]),
      [
        ["ValidationError", "The values for parameter id in MetricDataQueries are not unique."],
        ["ValidationError", "The parameter StartTime must be less than the parameter EndTime."],
      ],
    );
  });

  it("pages by MaxDatapoints with NextToken, marking results that continue as PartialData", async () => {
    const input: GetMetricDataCommandInput = {
      StartTime: new Date(NOW - 300 * MINUTE),
      EndTime: new Date(NOW),
      ScanBy: "TimestampAscending",
      MetricDataQueries: [
        query("longer", "InServiceInferenceUnits", "Average", 60, "usage.v2"),
        query("shorter", "InServiceInferenceUnits", "Average", 60, "usage.v1"),
      ],
    };
    const full = await cloudwatch.send(new GetMetricDataCommand(input));

    const pages: GetMetricDataCommandOutput[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({ ...input, MaxDatapoints: 100, NextToken: nextToken }),
      );
      pages.push(page);
      nextToken = page.NextToken;
    } while (nextToken);

    // 250 + 20 datapoints, 100 a page.
    assert.equal(pages.length, 3);
    assert.deepEqual(
      pages.map((page) =>
        page.MetricDataResults?.map((result) => [result.Timestamps?.length, result.StatusCode]),
      ),
      [
        [
          [100, "PartialData"],
          [0, "PartialData"],
        ],
        [
          [100, "PartialData"],
          [0, "PartialData"],
        ],
        [
          [50, "Complete"],
          [20, "Complete"],
        ],
      ],
    );
    const merged = (index: number) => pages.flatMap((page) => points(page.MetricDataResults?.[index]));
    assert.deepEqual(merged(0), points(full.MetricDataResults?.[0]));
    assert.deepEqual(merged(1), points(full.MetricDataResults?.[1]));
    await rejectsWith(
      cloudwatch.send(new GetMetricDataCommand({ ...input, NextToken: "not-a-token" })),
      "InvalidNextToken",
    );
  });

  it("round-trips PutMetricData, including a body over 10 KiB that the SDK gzips", async () => {
    const encodings: (string | undefined)[] = [];
    cloudwatch.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers?.["x-amz-target"]?.endsWith("PutMetricData"))
          encodings.push(request.headers["content-encoding"]);
        return next(args);
      },
      { step: "finalizeRequest", name: "captureContentEncoding" },
    );
    const dimensions = [{ Name: "Service", Value: "sandbox-test" }];
    const many = Array.from({ length: 300 }, (_, index) => ({
      MetricName: "Requests",
      Dimensions: dimensions,
      Timestamp: new Date(NOW - 30 * MINUTE + (index % 10) * MINUTE),
      Value: 1,
    }));

    await cloudwatch.send(new PutMetricDataCommand({ Namespace: "Sandbox/Test", MetricData: many }));
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "Sandbox/Test",
        MetricData: [
          {
            MetricName: "Latency",
            Dimensions: dimensions,
            Timestamp: new Date(NOW - MINUTE),
            Values: [1, 2],
            Counts: [3, 1],
          },
          {
            MetricName: "Latency",
            Dimensions: dimensions,
            Timestamp: new Date(NOW - MINUTE),
            StatisticValues: { SampleCount: 2, Sum: 20, Minimum: 6, Maximum: 14 },
          },
        ],
      }),
    );
    const stat = (id: string, metric: string, statistic: string, period: number): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: "Sandbox/Test", MetricName: metric, Dimensions: dimensions },
        Period: period,
        Stat: statistic,
      },
    });
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(NOW - 60 * MINUTE),
        EndTime: new Date(NOW),
        MetricDataQueries: [
          stat("requests", "Requests", "Sum", 3600),
          ...["Sum", "SampleCount", "Average", "Minimum", "Maximum"].map((statistic) =>
            stat(statistic.toLowerCase(), "Latency", statistic, 60),
          ),
        ],
      }),
    );

    assert.deepEqual(encodings, ["gzip", undefined]);
    assert.deepEqual(
      result.MetricDataResults?.map((entry) => entry.Values),
      [[300], [25], [6], [25 / 6], [1], [14]],
    );
    await rejectsWith(
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: "AWS/Rekognition",
          MetricData: [{ MetricName: "X", Value: 1 }],
        }),
      ),
      "InvalidParameterValueException",
    );
  });

  it("answers a 500-query GetMetricData over 100k seeded datapoints quickly", async () => {
    const versions = Array.from({ length: 100 }, (_, index) => ({
      name: `bulk.v${index}`,
      status: "RUNNING" as const,
      inService: [{ fromMinutesAgo: 1000, toMinutesAgo: 0, units: 1 }],
    }));
    const seeded = sandbox.seed({
      now: NOW,
      projects: [{ name: "bulk", region: "ap-southeast-2", versions }],
    });
    const bulk = client((config) => new CloudWatchClient(config), "ap-southeast-2");
    const metrics = [
      "SuccessfulRequestCount",
      "UserErrorCount",
      "ServerErrorCount",
      "ThrottledCount",
      "InServiceInferenceUnits",
    ];
    const queries = versions.flatMap((version, modelIndex) =>
      metrics.map((metric, metricIndex) => ({
        Id: `m${modelIndex}_${metricIndex}`,
        MetricStat: {
          Metric: {
            Namespace: "AWS/Rekognition",
            MetricName: metric,
            Dimensions: [
              { Name: "ProjectName", Value: "bulk" },
              { Name: "VersionName", Value: version.name },
            ],
          },
          Period: 300,
          Stat: metric === "InServiceInferenceUnits" ? "Average" : "Sum",
        },
      })),
    );

    const started = performance.now();
    const result = await bulk.send(
      new GetMetricDataCommand({
        StartTime: new Date(NOW - 1000 * MINUTE),
        EndTime: new Date(NOW),
        ScanBy: "TimestampAscending",
        MetricDataQueries: queries,
      }),
    );
    const elapsed = performance.now() - started;

    assert.equal(seeded.datapoints, 100_000);
    assert.equal(result.MetricDataResults?.length, 500);
    assert.equal(result.MetricDataResults?.[4]?.Values?.length, 200);
    assert.ok(result.MetricDataResults?.every((entry) => entry.StatusCode === "Complete"));
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  });
});

describe("sandbox DynamoDB (dynalite)", () => {
  it("creates a table, puts and queries items through the document client", async () => {
    const raw = client((config) => new DynamoDBClient(config));
    const documents = DynamoDBDocumentClient.from(raw);

    await raw.send(
      new CreateTableCommand({
        TableName: "stops",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "modelArn", AttributeType: "S" },
          { AttributeName: "stoppedAt", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "modelArn", KeyType: "HASH" },
          { AttributeName: "stoppedAt", KeyType: "RANGE" },
        ],
      }),
    );
    for (const stoppedAt of ["2026-11-27T10:00:00Z", "2026-11-28T10:00:00Z"])
      await documents.send(
        new PutCommand({ TableName: "stops", Item: { modelArn: "m1", stoppedAt, status: "STOPPING" } }),
      );
    const page = await documents.send(
      new QueryCommand({
        TableName: "stops",
        KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
        ExpressionAttributeValues: { ":arn": "m1", ":since": "2026-11-28" },
        ScanIndexForward: false,
      }),
    );

    assert.deepEqual(page.Items, [{ modelArn: "m1", stoppedAt: "2026-11-28T10:00:00Z", status: "STOPPING" }]);
    assert.deepEqual(
      sandbox.calls.map((call) => [call.service, call.operation, call.input.TableName, call.outcome]),
      [
        ["dynamodb", "CreateTable", "stops", "ok"],
        ["dynamodb", "PutItem", "stops", "ok"],
        ["dynamodb", "PutItem", "stops", "ok"],
        ["dynamodb", "Query", "stops", "ok"],
      ],
    );
  });
});

describe("sandbox fault knobs", () => {
  it("throttleRate 1 answers each service's throttling error, which the SDK names, and counts it", async () => {
    const dynamo = client((config) => new DynamoDBClient(config));
    sandbox.setFaults({
      rekognition: { operations: { DescribeProjects: { throttleRate: 1 } } },
      cloudwatch: { throttleRate: 1 },
      dynamodb: { throttleRate: 1, operations: { ListTables: { throttleError: "ThrottlingException" } } },
    });
    const getMetricData = new GetMetricDataCommand({
      StartTime: new Date(NOW - MINUTE),
      EndTime: new Date(NOW),
      MetricDataQueries: [
        { Id: "a", MetricStat: { Metric: { Namespace: "N", MetricName: "M" }, Period: 60, Stat: "Sum" } },
      ],
    });

    const rekognitionError = await rejectsWith(
      rekognition.send(new DescribeProjectsCommand({})),
      "ThrottlingException",
    );
    await rekognition.send(
      new ListTagsForResourceCommand({ ResourceArn: sandbox.rekognition.projectArn("p0") }),
    );
    await rejectsWith(cloudwatch.send(getMetricData), "Throttling");
    await rejectsWith(dynamo.send(new ListTablesCommand({})), "ThrottlingException");
    await rejectsWith(
      dynamo.send(new CreateTableCommand({ TableName: "x", AttributeDefinitions: [], KeySchema: [] })),
      "ProvisionedThroughputExceededException",
    );

    // The API reference gives ThrottlingException HTTP 500.
    assert.equal(httpStatus(rekognitionError), 500);
    const counts = sandbox.faultCounts();
    assert.deepEqual(
      [counts.rekognition.throttled, counts.cloudwatch.throttled, counts.dynamodb.throttled],
      [1, 1, 2],
    );
    assert.deepEqual(counts.rekognition.byOperation, { DescribeProjects: { throttled: 1, serverErrors: 0 } });
    assert.deepEqual(
      sandbox.calls.map((call) => [call.operation, call.outcome, call.injected]),
      [
        ["DescribeProjects", "ThrottlingException", "throttle"],
        ["ListTagsForResource", "ok", undefined],
        ["GetMetricData", "Throttling", "throttle"],
        ["ListTables", "ThrottlingException", "throttle"],
        ["CreateTable", "ProvisionedThroughputExceededException", "throttle"],
      ],
    );
  });

  it("serverErrorRate 1 answers 5xx errors the SDK classifies as server faults", async () => {
    const dynamo = client((config) => new DynamoDBClient(config));
    sandbox.setFaults({
      rekognition: { serverErrorRate: 1 },
      cloudwatch: { serverErrorRate: 1, serverError: "ServiceUnavailable" },
      dynamodb: { serverErrorRate: 1 },
    });

    const errors = [
      await rejectsWith(rekognition.send(new DescribeProjectsCommand({})), "InternalServerError"),
      await rejectsWith(
        cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: "Sandbox/Test",
            MetricData: [{ MetricName: "M", Value: 1 }],
          }),
        ),
        "ServiceUnavailable",
      ),
      await rejectsWith(dynamo.send(new ListTablesCommand({})), "InternalServerError"),
    ];

    assert.deepEqual(
      errors.map((error) => [httpStatus(error), error.$fault]),
      [
        [500, "server"],
        [503, "server"],
        [500, "server"],
      ],
    );
    assert.equal(sandbox.faultCounts().cloudwatch.serverErrors, 1);
  });

  it("repeats the same faults for the same seed and sequence of calls", async () => {
    const run = async () => {
      sandbox.setFaults({ seed: 42, rekognition: { throttleRate: 0.5 } });
      const outcomes: string[] = [];
      for (let call = 0; call < 20; call += 1)
        outcomes.push(
          await rekognition.send(new DescribeProjectsCommand({})).then(
            () => "ok",
            (error: Error) => error.name,
          ),
        );
      return outcomes;
    };

    const first = await run();
    const second = await run();

    assert.deepEqual(second, first);
    assert.ok(first.includes("ok") && first.includes("ThrottlingException"), first.join(","));
  });

  it("the SDK's retry gets through an occasional throttle", async () => {
    sandbox.setFaults({ seed: 7, rekognition: { throttleRate: 0.5 } });
    const patient = client(
      (config) => new RekognitionClient({ ...config, maxAttempts: 10, retryMode: "standard" }),
    );

    for (let call = 0; call < 3; call += 1)
      await patient.send(new DescribeProjectsCommand({ MaxResults: 1 }));

    assert.ok(sandbox.faultCounts().rekognition.throttled > 0);
  });

  it("latencyMs delays the answer of that operation only", async () => {
    sandbox.setFaults({ rekognition: { operations: { DescribeProjects: { latencyMs: 200 } } } });

    const started = performance.now();
    await rekognition.send(new DescribeProjectsCommand({}));
    const slow = performance.now() - started;
    const fastStart = performance.now();
    await rekognition.send(
      new ListTagsForResourceCommand({ ResourceArn: sandbox.rekognition.projectArn("p0") }),
    );
    const fast = performance.now() - fastStart;

    assert.ok(slow >= 195, `DescribeProjects took ${slow} ms`);
    assert.ok(fast < slow - 100, `ListTagsForResource took ${fast} ms`);
    assert.equal(sandbox.calls[0]?.addedLatencyMs, 200);
  });

  it("refuses a probability outside 0–1 or an unknown operation, and keeps the previous knobs", async () => {
    sandbox.setFaults({ cloudwatch: { latencyMs: 5 } });

    assert.throws(
      () => sandbox.setFaults({ cloudwatch: { latencyMs: 0 }, rekognition: { throttleRate: 1.5 } }),
      /throttleRate is 1.5/,
    );
    assert.throws(
      () => sandbox.setFaults({ rekognition: { operations: { StopProjectVersions: { throttleRate: 1 } } } }),
      /unknown operation/,
    );
    await cloudwatch.send(
      new PutMetricDataCommand({ Namespace: "Sandbox/Test", MetricData: [{ MetricName: "M", Value: 1 }] }),
    );

    assert.equal(sandbox.calls.at(-1)?.addedLatencyMs, 5);
  });
});

describe("sandbox stop()", () => {
  it("closes every server and connection, so a process that used it exits by itself", async () => {
    // The child keeps its SDK clients (and their keep-alive sockets) open on purpose.
    const script = `
      import { startSandbox } from "./sandbox/index.ts";
      import { RekognitionClient, DescribeProjectsCommand } from "@aws-sdk/client-rekognition";
      import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
      import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
      const sandbox = await startSandbox({ faults: { rekognition: { latencyMs: 5000 } } });
      Object.assign(process.env, sandbox.env);
      const slow = new RekognitionClient({ maxAttempts: 1 }).send(new DescribeProjectsCommand({})).catch(() => "aborted");
      await new CloudWatchClient({}).send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(60_000), MetricDataQueries: [] })).catch(() => {});
      await new DynamoDBClient({}).send(new ListTablesCommand({}));
      await sandbox.stop();
      console.log("stopped", await slow);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
      cwd: new URL("../..", import.meta.url),
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });

    const exitCode = await new Promise<number | string | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve("timed out");
      }, 10_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

    assert.equal(exitCode, 0, output);
    assert.match(output, /stopped aborted/);
  });
});

describe("the sandbox against the API models", () => {
  it("refuses inputs the models forbid, which it used to accept: AWS's ValidationException or ValidationError", async () => {
    const projectArn = sandbox.rekognition.projectArn("p1");
    const longName = "v".repeat(256);
    const metric = { Namespace: "AWS/Rekognition", MetricName: "SuccessfulRequestCount" };

    const errors = await Promise.all([
      rejectsWith(rekognition.send(new DescribeProjectsCommand({ ProjectNames: [] })), "ValidationException"),
      rejectsWith(
        rekognition.send(
          new DescribeProjectVersionsCommand({ ProjectArn: projectArn, VersionNames: [longName] }),
        ),
        "ValidationException",
      ),
      rejectsWith(
        rekognition.send(new UntagResourceCommand({ ResourceArn: projectArn, TagKeys: ["aws:owner"] })),
        "ValidationException",
      ),
      rejectsWith(
        cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(NOW - MINUTE),
            EndTime: new Date(NOW),
            MetricDataQueries: [
              {
                Id: "q",
                MetricStat: { Metric: metric, Period: 60, Stat: "Sum", Unit: "Parsecs" as "Count" },
              },
            ],
          }),
        ),
        "ValidationException",
      ),
      rejectsWith(
        cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: "n".repeat(256),
            MetricData: [{ MetricName: "X", Value: 1 }],
          }),
        ),
        "ValidationException",
      ),
    ]);

    assert.deepEqual(
      errors.map((error) => [error.Code ?? error.name, httpStatus(error)]),
      [
        ["ValidationException", 400],
        ["ValidationException", 400],
        ["ValidationException", 400],
        ["ValidationError", 400],
        ["ValidationError", 400],
      ],
    );
    assert.deepEqual(
      errors.map((error) => /at '([^']+)'/.exec(error.message)?.[1]),
      [
        "projectNames",
        "versionNames.1.member",
        "tagKeys.1.member",
        "metricDataQueries.1.member.metricStat.unit",
        "namespace",
      ],
    );
    assert.match(
      errors[0]?.message ?? "",
      /^1 validation error detected: Value '\[\]' at 'projectNames' failed to satisfy constraint: Member must have length greater than or equal to 1$/,
    );
    // Nothing changed: the refusal came before the operation.
    assert.equal(sandbox.modelMismatches().length, 0);
  });

  it("checks every answer it sends, per operation, and keeps no mismatch of its own", async () => {
    const before = sandbox.modelCheckCounts().find((tally) => tally.operation === "DescribeProjects");

    await rekognition.send(new DescribeProjectsCommand({}));
    await rejectsWith(
      rekognition.send(new DescribeProjectsCommand({ MaxResults: 101 })),
      "ValidationException",
    );

    const after = sandbox.modelCheckCounts().find((tally) => tally.operation === "DescribeProjects");
    assert.equal((after?.validated ?? 0) - (before?.validated ?? 0), 2);
    assert.deepEqual(sandbox.modelMismatches(), []);
    assert.doesNotThrow(() => sandbox.assertMatchesApiModels());
  });

  it("checks nothing when asked not to (to measure what the check costs)", async () => {
    const unchecked = await startSandbox({ checkApiModels: false });
    const plain = new RekognitionClient({
      region: "us-east-1",
      maxAttempts: 1,
      endpoint: unchecked.endpoints.rekognition,
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    });
    try {
      await plain.send(new DescribeProjectsCommand({}));

      assert.deepEqual(unchecked.modelCheckCounts(), []);
    } finally {
      plain.destroy();
      await unchecked.stop();
    }
  });
});
