/**
 * The sandbox knobs the reliability tests lean on: latency spikes, faults drawn per call, callers that hang up
 * mid-call, the key a DynamoDB call touches, and wire quirks (short, empty and looping pages, odd descriptions,
 * metric results left PartialData or InternalError). Real SDK clients, no retries, against one sandbox.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  ListTagsForResourceCommand,
  RekognitionClient,
  StopProjectVersionCommand,
} from "@aws-sdk/client-rekognition";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CLIENT_GONE, type Sandbox, startSandbox } from "../../sandbox/index.ts";

const idle = { inService: [{ fromMinutesAgo: 60, toMinutesAgo: 0, units: 1 }] };
// The sandbox's clock and the seed stand still at this instant; the metric queries ask about the half hour before it.
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);

let sandbox: Sandbox;
let rekognition: RekognitionClient;
let cloudwatch: CloudWatchClient;
let dynamo: DynamoDBClient;
let documents: DynamoDBDocumentClient;

before(async () => {
  sandbox = await startSandbox({
    clock: () => NOW,
    seed: {
      projects: [
        {
          name: "cats",
          versions: ["v1", "v2", "v3", "v4", "v5"].map((name) => ({
            name,
            status: "RUNNING" as const,
            ...idle,
          })),
        },
        ...["dogs", "owls", "bats"].map((name) => ({ name, versions: [] })),
      ],
    },
  });
  const config = {
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
  };
  rekognition = new RekognitionClient({ ...config, endpoint: sandbox.endpoints.rekognition });
  cloudwatch = new CloudWatchClient({ ...config, endpoint: sandbox.endpoints.cloudwatch });
  dynamo = new DynamoDBClient({ ...config, endpoint: sandbox.endpoints.dynamodb });
  documents = DynamoDBDocumentClient.from(dynamo);
  await dynamo.send(
    new CreateTableCommand({
      TableName: "log",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "modelArn", AttributeType: "S" },
        { AttributeName: "stoppedAt", AttributeType: "S" },
        { AttributeName: "pendingRegion", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "modelArn", KeyType: "HASH" },
        { AttributeName: "stoppedAt", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "Pending",
          KeySchema: [
            { AttributeName: "pendingRegion", KeyType: "HASH" },
            { AttributeName: "stoppedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
});

after(async () => {
  for (const client of [rekognition, cloudwatch, dynamo]) client.destroy();
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

beforeEach(() => {
  sandbox.setFaults({});
  sandbox.setQuirks({});
  sandbox.clearCalls();
});

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: Error) => error.name,
  );

const modelArn = (version: string) => sandbox.rekognition.modelArn("cats", version);

describe("latency spikes", () => {
  it("marks each call a spike slowed, adds spikeMs to its latency and counts it per service", async () => {
    sandbox.setFaults({
      rekognition: { operations: { ListTagsForResource: { spikeRate: 1, spikeMs: 20 } } },
    });

    await rekognition.send(new ListTagsForResourceCommand({ ResourceArn: modelArn("v1") }));
    await rekognition.send(new DescribeProjectsCommand({}));

    assert.deepEqual(
      sandbox.calls.map((call) => [call.operation, call.spiked, call.addedLatencyMs]),
      [
        ["ListTagsForResource", true, 20],
        ["DescribeProjects", undefined, 0],
      ],
    );
    assert.equal(sandbox.faultCounts().rekognition.latencySpikes, 1);
  });

  it("draws spikes from a stream of their own, so turning them on changes no call's fault", async () => {
    const fates = async (spikeRate: number) => {
      sandbox.setFaults({ seed: 5, rekognition: { throttleRate: 0.5, spikeRate, spikeMs: 1 } });
      const seen: string[] = [];
      for (let call = 0; call < 12; call += 1)
        seen.push(await outcome(rekognition.send(new DescribeProjectsCommand({}))));
      return seen;
    };

    assert.deepEqual(await fates(0.5), await fates(0));
  });
});

describe("lost answers", () => {
  it("carry the call out and answer the 5xx anyway, so a retry meets its own first attempt", async () => {
    sandbox.setFaults({
      rekognition: { operations: { StopProjectVersion: { lostAnswerRate: 1 } } },
      dynamodb: { operations: { PutItem: { lostAnswerRate: 1 } } },
    });
    const put = () =>
      outcome(
        documents.send(
          new PutCommand({
            TableName: "log",
            Item: { modelArn: "lost", stoppedAt: "t1" },
            ConditionExpression: "attribute_not_exists(modelArn)",
          }),
        ),
      );
    const stop = () =>
      outcome(rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: modelArn("v5") })));

    const answers = [await stop(), await stop(), await put(), await put()];

    assert.deepEqual(answers, [
      "InternalServerError",
      "ResourceInUseException",
      "InternalServerError",
      "ConditionalCheckFailedException",
    ]);
    assert.match(sandbox.rekognition.model(modelArn("v5"))?.status ?? "", /^STOPP(ING|ED)$/);
    assert.deepEqual(
      sandbox.calls.map((call) => call.injected),
      ["lost-answer", undefined, "lost-answer", undefined],
    );
    const counts = sandbox.faultCounts();
    assert.deepEqual([counts.rekognition.lostAnswers, counts.rekognition.serverErrors], [1, 0]);
    assert.equal(counts.dynamodb.lostAnswers, 1);
  });
});

describe("faults drawn per call", () => {
  it("gives each call the same fate whatever order the calls arrive in", async () => {
    const arns = ["v1", "v2", "v3", "v4", "v5"].map(modelArn);
    const fates = async (order: string[]) => {
      sandbox.setFaults({ seed: 9, drawsBy: "call", rekognition: { throttleRate: 0.5 } });
      const seen: Record<string, string> = {};
      for (const arn of order)
        seen[arn] = await outcome(rekognition.send(new ListTagsForResourceCommand({ ResourceArn: arn })));
      return seen;
    };

    const forward = await fates(arns);
    const backward = await fates([...arns].reverse());

    assert.deepEqual(backward, forward);
    assert.ok(
      Object.values(forward).includes("ok") && Object.values(forward).includes("ThrottlingException"),
    );
  });

  it("draws afresh for each retry of the same call", async () => {
    sandbox.setFaults({ seed: 9, drawsBy: "call", rekognition: { throttleRate: 0.5 } });

    const seen: string[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1)
      seen.push(
        await outcome(rekognition.send(new ListTagsForResourceCommand({ ResourceArn: modelArn("v1") }))),
      );

    assert.ok(seen.includes("ok") && seen.includes("ThrottlingException"), seen.join(","));
  });

  it("refuses a drawsBy it does not know, leaving the knobs as they were", () => {
    assert.throws(
      () => sandbox.setFaults({ drawsBy: "chance" as "call" }),
      /drawsBy is "chance"; it must be "order" or "call"/,
    );
  });
});

describe("a caller that hangs up", () => {
  it("is never served: a held StopProjectVersion does not stop the model, a held PutItem writes nothing", async () => {
    sandbox.setFaults({
      rekognition: { operations: { StopProjectVersion: { latencyMs: 60_000 } } },
      dynamodb: { operations: { PutItem: { latencyMs: 60_000 } } },
    });
    const hangUp = new AbortController();

    const stop = outcome(
      rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: modelArn("v2") }), {
        abortSignal: hangUp.signal,
      }),
    );
    const put = outcome(
      documents.send(
        new PutCommand({ TableName: "log", Item: { modelArn: modelArn("v2"), stoppedAt: "t1" } }),
        { abortSignal: hangUp.signal },
      ),
    );
    // Give both requests time to reach the sandbox, which holds them; then hang up.
    await sleep(300);
    hangUp.abort();
    await Promise.all([stop, put]);
    for (let wait = 0; sandbox.calls.length < 2 && wait < 100; wait += 1) await sleep(20);

    assert.deepEqual(sandbox.calls.map((call) => [call.operation, call.outcome, call.statusCode]).sort(), [
      ["PutItem", CLIENT_GONE, 499],
      ["StopProjectVersion", CLIENT_GONE, 499],
    ]);
    assert.equal(sandbox.rekognition.model(modelArn("v2"))?.status, "RUNNING");
    sandbox.setFaults({});
    const items = await documents.send(
      new QueryCommand({
        TableName: "log",
        KeyConditionExpression: "modelArn = :arn",
        ExpressionAttributeValues: { ":arn": modelArn("v2") },
      }),
    );
    assert.deepEqual(items.Items, []);
  });
});

describe("the Date of an answer", () => {
  it("is the request's signing time, so a client whose clock runs fast sees no clock skew", async () => {
    const signedAt = "20300101T120000Z";

    const answers = await Promise.all(
      [sandbox.endpoints.rekognition, sandbox.endpoints.dynamodb].map((endpoint) =>
        fetch(endpoint, {
          method: "POST",
          headers: { "x-amz-date": signedAt, "x-amz-target": "RekognitionService.DescribeProjects" },
          body: "{}",
        }),
      ),
    );

    for (const answer of answers) assert.equal(answer.headers.get("date"), "Tue, 01 Jan 2030 12:00:00 GMT");
  });
});

describe("the DynamoDB call log", () => {
  it("names the item or partition each call touches, from the key schema the table was created with", async () => {
    await documents.send(
      new PutCommand({
        TableName: "log",
        Item: { modelArn: "m1", stoppedAt: "t1", pendingRegion: "us-east-1", status: "STOP_PENDING" },
      }),
    );
    await documents.send(
      new UpdateCommand({
        TableName: "log",
        Key: { modelArn: "m1", stoppedAt: "t1" },
        UpdateExpression: "SET #s = :s REMOVE pendingRegion",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": "STOPPING" },
      }),
    );
    await documents.send(
      new QueryCommand({
        TableName: "log",
        KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
        ExpressionAttributeValues: { ":arn": "m1", ":since": "t0" },
      }),
    );
    await documents.send(
      new QueryCommand({
        TableName: "log",
        IndexName: "Pending",
        KeyConditionExpression: "#r = :region",
        ExpressionAttributeNames: { "#r": "pendingRegion" },
        ExpressionAttributeValues: { ":region": "us-east-1" },
      }),
    );

    assert.deepEqual(
      sandbox.calls.map((call) => [call.operation, call.input.IndexName, call.input.key]),
      [
        ["PutItem", undefined, { partition: "m1", sort: "t1" }],
        ["UpdateItem", undefined, { partition: "m1", sort: "t1" }],
        ["Query", undefined, { partition: "m1" }],
        ["Query", "Pending", { partition: "us-east-1" }],
      ],
    );
  });
});

describe("wire quirks", () => {
  const listProjects = async (token?: string) =>
    rekognition.send(new DescribeProjectsCommand({ MaxResults: 100, NextToken: token }));

  it("maxPageSize pages shorter than MaxResults asks, and emptyFirstPage leads to the real first page", async () => {
    sandbox.setQuirks({ rekognition: { maxPageSize: 3, emptyFirstPage: ["DescribeProjects"] } });

    const empty = await listProjects();
    const first = await listProjects(empty.NextToken);
    const second = await listProjects(first.NextToken);

    assert.deepEqual(empty.ProjectDescriptions, []);
    assert.ok(empty.NextToken);
    assert.equal(first.ProjectDescriptions?.length, 3);
    assert.equal(second.ProjectDescriptions?.length, 1);
    assert.equal(second.NextToken, undefined);
  });

  it("repeatNextToken answers a page with the token it was asked with, even on the last page", async () => {
    sandbox.setQuirks({ rekognition: { maxPageSize: 3, repeatNextToken: ["DescribeProjects"] } });

    const first = await listProjects();
    const second = await listProjects(first.NextToken);

    assert.equal(second.NextToken, first.NextToken);
    assert.equal(second.ProjectDescriptions?.length, 1);
  });

  it("describe overrides fields of one version on the wire, null removing one, without changing the model", async () => {
    sandbox.setQuirks({
      rekognition: {
        describe: { [modelArn("v3")]: { Status: "HIBERNATING", Feature: null, MinInferenceUnits: null } },
      },
    });

    const versions = await rekognition.send(
      new DescribeProjectVersionsCommand({ ProjectArn: sandbox.rekognition.projectArn("cats") }),
    );

    const odd = versions.ProjectVersionDescriptions?.find((v) => v.ProjectVersionArn === modelArn("v3"));
    const plain = versions.ProjectVersionDescriptions?.find((v) => v.ProjectVersionArn === modelArn("v4"));
    assert.deepEqual(
      [odd?.Status, odd?.Feature, odd?.MinInferenceUnits],
      ["HIBERNATING", undefined, undefined],
    );
    assert.deepEqual(
      [plain?.Status, plain?.Feature, plain?.MinInferenceUnits],
      ["RUNNING", "CUSTOM_LABELS", 1],
    );
    assert.equal(sandbox.rekognition.model(modelArn("v3"))?.status, "RUNNING");
  });

  it("metricResults sets a model's StatusCode and Messages, or leaves its results out", async () => {
    sandbox.setQuirks({
      cloudwatch: {
        metricResults: {
          "cats/v1": {
            statusCode: "InternalError",
            messages: [{ Code: "InternalError", Value: "try again" }],
          },
          "cats/v2": { statusCode: "PartialData" },
          "cats/v3": { omit: true },
        },
      },
    });
    const query = (id: string, version: string): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: "AWS/Rekognition",
          MetricName: "InServiceInferenceUnits",
          Dimensions: [
            { Name: "ProjectName", Value: "cats" },
            { Name: "VersionName", Value: version },
          ],
        },
        Period: 60,
        Stat: "Average",
      },
    });

    const answer = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(NOW - 30 * 60_000),
        EndTime: new Date(NOW),
        MetricDataQueries: [query("a", "v1"), query("b", "v2"), query("c", "v3"), query("d", "v4")],
      }),
    );

    assert.deepEqual(
      answer.MetricDataResults?.map((r) => [r.Id, r.StatusCode, (r.Values ?? []).length > 0, r.Messages]),
      [
        ["a", "InternalError", false, [{ Code: "InternalError", Value: "try again" }]],
        ["b", "PartialData", true, []],
        ["d", "Complete", true, []],
      ],
    );
  });

  it("refuses a quirk it cannot apply", () => {
    assert.throws(() => sandbox.setQuirks({ rekognition: { maxPageSize: 0 } }), /maxPageSize is 0/);
    assert.throws(
      () =>
        sandbox.setQuirks({ rekognition: { emptyFirstPage: ["ListTagsForResource" as "DescribeProjects"] } }),
      /ListTagsForResource is not one of DescribeProjects, DescribeProjectVersions/,
    );
  });
});
