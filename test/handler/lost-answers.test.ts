/**
 * Answers lost after the work was done: AWS carried out a StopProjectVersion or a PutItem, the answer was a 5xx (or
 * the connection dropped), and the SDK's retry met the result of its own first attempt. The adapters over SDK
 * clients mocked with aws-sdk-client-mock, the retry's error carrying `$metadata.attempts` as the SDK sets it.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  type ProjectVersionStatus,
  RekognitionClient,
  StopProjectVersionCommand,
} from "@aws-sdk/client-rekognition";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import type { UsageReader } from "../../lambda/adapters/metrics.ts";
import {
  type ModelDirectory,
  RekognitionModelDirectory,
  StopOutcomeUnknownError,
} from "../../lambda/adapters/rekognition.ts";
import { DynamoStopLog, type StopLog } from "../../lambda/adapters/stop-log.ts";
import { loadConfig } from "../../lambda/config.ts";
import type { StopRecord } from "../../lambda/core/stop-record.ts";
import type { Datapoint, RunningModel, UsageWindow } from "../../lambda/core/types.ts";
import { runStopper } from "../../lambda/run.ts";

const PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/cats/1700000000000";
const MODEL = "arn:aws:rekognition:us-east-1:123456789012:project/cats/version/cats.v1/1700000000001";

const sdkError = (name: string, message: string, attempts: number) =>
  Object.assign(new Error(message), { name, $metadata: { attempts } });

const mocks: { restore(): void }[] = [];
afterEach(() => {
  for (const mock of mocks.splice(0)) mock.restore();
});

function rekognitionWith(status: string | Error) {
  const mock = mockClient(RekognitionClient);
  mocks.push(mock);
  mock.on(DescribeProjectsCommand).resolves({ ProjectDescriptions: [{ ProjectArn: PROJECT }] });
  if (status instanceof Error) mock.on(DescribeProjectVersionsCommand).rejects(status);
  else
    mock.on(DescribeProjectVersionsCommand).resolves({
      ProjectVersionDescriptions: [{ ProjectVersionArn: MODEL, Status: status as ProjectVersionStatus }],
    });
  const directory = new RekognitionModelDirectory(() => new RekognitionClient({ region: "us-east-1" }));
  return { mock, directory };
}

describe("a StopProjectVersion whose answer was lost", () => {
  it("counts as the stop when the retry finds the model in use and it is stopping, and says so", async () => {
    const { mock, directory } = rekognitionWith("STOPPING");
    mock.on(StopProjectVersionCommand).rejects(sdkError("ResourceInUseException", "not RUNNING", 3));

    const outcome = await directory.stopModel("us-east-1", MODEL);

    assert.deepEqual(outcome, {
      kind: "stopping",
      status: "STOPPING",
      note:
        "StopProjectVersion answered ResourceInUseException: not RUNNING after 3 attempts, but the model is " +
        "STOPPING: an attempt went through and its answer was lost",
    });
  });

  it("counts as the stop when the call failed for good but the model is stopping", async () => {
    const { mock, directory } = rekognitionWith("STOPPED");
    mock.on(StopProjectVersionCommand).rejects(sdkError("ThrottlingException", "Rate exceeded", 2));

    const outcome = await directory.stopModel("us-east-1", MODEL);

    assert.equal(outcome.kind, "stopping");
    assert.equal(
      (outcome as { note?: string }).note?.startsWith("StopProjectVersion answered ThrottlingException"),
      true,
    );
  });

  it("fails as it was when a single attempt was throttled: nothing was done, nothing to look up", async () => {
    const { mock, directory } = rekognitionWith("STOPPING");
    mock.on(StopProjectVersionCommand).rejects(sdkError("ThrottlingException", "Rate exceeded", 1));

    await assert.rejects(directory.stopModel("us-east-1", MODEL), { name: "ThrottlingException" });
    assert.equal(mock.commandCalls(DescribeProjectsCommand).length, 0);
  });

  it("fails as it was when the call failed and the model is still running", async () => {
    const { mock, directory } = rekognitionWith("RUNNING");
    mock.on(StopProjectVersionCommand).rejects(sdkError("InternalServerError", "oops", 6));

    await assert.rejects(directory.stopModel("us-east-1", MODEL), { name: "InternalServerError" });
  });

  it("says the outcome is unknown when the call failed and the model's status cannot be read", async () => {
    const { mock, directory } = rekognitionWith(sdkError("ThrottlingException", "slow down", 6));
    mock.on(StopProjectVersionCommand).rejects(sdkError("InternalServerError", "oops", 6));

    await assert.rejects(directory.stopModel("us-east-1", MODEL), (error: unknown) => {
      assert.ok(error instanceof StopOutcomeUnknownError);
      assert.equal(
        error.message,
        "StopProjectVersion failed (InternalServerError: oops) and the model's status could not be read",
      );
      return true;
    });
  });

  it("stays 'already changing' when the first attempt already found the model in use", async () => {
    const { mock, directory } = rekognitionWith("STOPPING");
    mock.on(StopProjectVersionCommand).rejects(sdkError("ResourceInUseException", "not RUNNING", 1));

    const outcome = await directory.stopModel("us-east-1", MODEL);

    assert.equal(outcome.kind, "already-changing");
    assert.equal(mock.commandCalls(DescribeProjectVersionsCommand).length, 0);
  });

  it("stays 'already changing' when the retry finds the model starting", async () => {
    const { mock, directory } = rekognitionWith("STARTING");
    mock.on(StopProjectVersionCommand).rejects(sdkError("ResourceInUseException", "not RUNNING", 2));

    const outcome = await directory.stopModel("us-east-1", MODEL);

    assert.deepEqual(outcome, {
      kind: "already-changing",
      status: "ALREADY_CHANGING: ResourceInUseException: not RUNNING",
    });
  });
});

describe("a log write whose answer was lost", () => {
  const record = {
    modelArn: MODEL,
    stoppedAt: "2026-11-28T02:00:00.000Z",
    status: "STOP_PENDING",
  } as StopRecord;

  function logWith(error: Error) {
    const mock = mockClient(DynamoDBDocumentClient);
    mocks.push(mock);
    mock.on(PutCommand).rejects(error);
    return new DynamoStopLog(DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })), "log");
  }

  it("is taken as written when the retry finds the record of this run already there", async () => {
    const log = logWith(sdkError("ConditionalCheckFailedException", "The conditional request failed", 2));

    await log.writeIntent(record);
  });

  it("fails when the first attempt finds a record with the key", async () => {
    const log = logWith(sdkError("ConditionalCheckFailedException", "The conditional request failed", 1));

    await assert.rejects(log.writeIntent(record), { name: "ConditionalCheckFailedException" });
  });
});

describe("a run whose stop has an unknown outcome", () => {
  it("leaves the record STOP_PENDING, says so, and the next run completes it from the model's status", async () => {
    const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
    const model: RunningModel = {
      region: "us-east-1",
      projectArn: PROJECT,
      projectName: "cats",
      modelArn: MODEL,
      versionName: "cats.v1",
      minInferenceUnits: 1,
    };
    let status = "RUNNING";
    let stops = 0;
    const directory: ModelDirectory = {
      async discover(_region, onModels) {
        if (status === "RUNNING") onModels([model]);
        return { projects: 1, errors: [], unfinished: [], notConsidered: [] };
      },
      projectArns: async () => ({ arns: new Map([["cats", PROJECT]]), notConsidered: [] }),
      describeModels: async () => ({
        running: status === "RUNNING" ? [model] : [],
        notConsidered: [],
        problems: [],
      }),
      listTags: async () => ({}),
      modelStatus: async () => status,
      async stopModel() {
        stops += 1;
        // The stop went through; its answer and the status read after it were both lost.
        status = "STOPPING";
        throw new StopOutcomeUnknownError(MODEL, sdkError("InternalServerError", "oops", 6));
      },
      modelStatuses: async (_region, arns) => new Map(arns.map((arn) => [arn, { status }])),
      startModel: async () => {
        throw new Error("no model is started in this test");
      },
    };
    const requests = {
      SuccessfulRequestCount: [],
      UserErrorCount: [],
      ServerErrorCount: [],
      ThrottledCount: [],
    };
    // In service the whole window, never called; stopped, it publishes nothing more.
    const idleUsage = (window: UsageWindow) => {
      const inService: Datapoint[] = [];
      if (status === "RUNNING")
        for (let at = window.queryStart; at < window.end - 60_000; at += 60_000)
          inService.push({ at, value: 1 });
      return { requests, inService };
    };
    const usage: UsageReader = {
      readUsage: async (_region, models, window) =>
        new Map(models.map((m) => [m.modelArn, idleUsage(window)])),
      readUsageByName: async (_region, models, window) => models.map(() => idleUsage(window)),
      readRequests: async (_region, models) => new Map(models.map((m) => [m.modelArn, { requests }])),
      listInService: async () => (status === "RUNNING" ? [model] : []),
    };
    const table = new Map<string, StopRecord>();
    const log: StopLog = {
      recordsSince: async (arn, since) =>
        [...table.values()].filter((r) => r.modelArn === arn && r.stoppedAt >= since),
      pendingRecords: async (region) => [...table.values()].filter((r) => r.pendingRegion === region),
      async writeIntent(record) {
        table.set(record.stoppedAt, record);
      },
      async recordOutcome(_arn, stoppedAt, outcome) {
        const { pendingRegion: _, ...rest } = table.get(stoppedAt) as StopRecord;
        table.set(stoppedAt, { ...rest, ...outcome });
      },
      followUps: async (region) => [...table.values()].filter((r) => r.followUpRegion === region),
      async changeFollowUp(key, change) {
        const record = table.get(key.stoppedAt) as StopRecord;
        if (change.kind === "regret-checked")
          table.set(key.stoppedAt, { ...record, regretCheckedAt: change.at });
        return change.kind === "regret-checked" || change.kind === "restart-rule";
      },
      closeWarning: async () => false,
    };
    const quiet = { info() {}, warn() {}, error() {} };
    let clock = NOW;
    const deps = { directory, usage, log, logger: quiet, clock: () => clock++ };
    const config = loadConfig({ LOG_TABLE_NAME: "log", AWS_REGION: "us-east-1" });

    const first = await runStopper(deps, config, "run-1");

    assert.deepEqual(first.stopped, []);
    assert.deepEqual(first.errors, [
      {
        arn: MODEL,
        message:
          "StopProjectVersion failed (InternalServerError: oops) and the model's status could not be read, so " +
          "whether it stopped is unknown; the log record still says STOP_PENDING and the next run completes it " +
          "from the model's status",
      },
    ]);
    assert.deepEqual(
      [...table.values()].map((r) => r.status),
      ["STOP_PENDING"],
    );

    clock += 86_400_000;
    const second = await runStopper(deps, config, "run-2");

    assert.deepEqual(second.errors, []);
    assert.equal(stops, 1);
    const [record] = [...table.values()];
    assert.deepEqual(
      [record?.status, record?.reconciledBy, record?.pendingRegion],
      ["STOPPING", "run-2", undefined],
    );
    assert.equal(table.size, 1);
  });
});
