/** The log table per account (issue 11): new records carry accountId and their account's pending key. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoStopLog } from "../../lambda/adapters/stop-log.ts";
import type { StopRecord } from "../../lambda/core/stop-record.ts";

const record = (account: string, extra: Partial<StopRecord> = {}): StopRecord => ({
  modelArn: `arn:aws:rekognition:us-east-1:${account}:project/p/version/v/1700000000000`,
  stoppedAt: "2026-11-28T02:00:05.000Z",
  dryRun: false,
  projectName: "p",
  versionName: "v",
  region: "us-east-1",
  reason: "idle",
  idleMinutes: 180,
  runId: "r1",
  status: "STOP_PENDING",
  pendingRegion: "us-east-1",
  expiresAt: 1,
  ...extra,
});

function logFor(account?: { accountId: string; readsAccountlessRecords: boolean }) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
  const mock = mockClient(documents);
  return { mock, log: new DynamoStopLog(documents, "stops", account) };
}

describe("the log of one account", () => {
  it("writes accountId and keys a pending stop by <account>:<region>", async () => {
    const { mock, log } = logFor({ accountId: "111111111111", readsAccountlessRecords: false });
    mock.on(PutCommand).resolves({});
    await log.writeIntent(record("111111111111"));
    const item = mock.commandCalls(PutCommand)[0]?.args[0].input.Item;
    assert.equal(item?.accountId, "111111111111");
    assert.equal(item?.pendingRegion, "111111111111:us-east-1");
  });

  it("of a member account finds only its own pending stops", async () => {
    const { mock, log } = logFor({ accountId: "111111111111", readsAccountlessRecords: false });
    mock.on(QueryCommand).resolves({ Items: [] });
    await log.pendingRecords("us-east-1");
    assert.deepEqual(
      mock.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[":region"]),
      ["111111111111:us-east-1"],
    );
  });

  it("of the hub also finds the records written before the organization mode, without accountId", async () => {
    const { mock, log } = logFor({ accountId: "999999999999", readsAccountlessRecords: true });
    const old = record("999999999999", { stoppedAt: "2026-11-27T02:00:05.000Z" });
    const recent = {
      ...record("999999999999"),
      accountId: "999999999999",
      pendingRegion: "999999999999:us-east-1",
    };
    mock
      .on(QueryCommand, { ExpressionAttributeValues: { ":region": "us-east-1" } })
      .resolves({ Items: [old] })
      .on(QueryCommand, { ExpressionAttributeValues: { ":region": "999999999999:us-east-1" } })
      .resolves({ Items: [recent] });
    const found = await log.pendingRecords("us-east-1");
    assert.deepEqual(
      found.map((r) => r.stoppedAt),
      ["2026-11-27T02:00:05.000Z", "2026-11-28T02:00:05.000Z"],
    );
  });

  it("without an account (one-account mode) writes and reads as before", async () => {
    const { mock, log } = logFor();
    mock.on(PutCommand).resolves({}).on(QueryCommand).resolves({ Items: [] });
    await log.writeIntent(record("123456789012"));
    await log.pendingRecords("us-east-1");
    const item = mock.commandCalls(PutCommand)[0]?.args[0].input.Item;
    assert.equal(item?.accountId, undefined);
    assert.equal(item?.pendingRegion, "us-east-1");
    assert.equal(
      mock.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues?.[":region"],
      "us-east-1",
    );
  });

  it("follows up a member account's stop that took effect under <account>:<region>", async () => {
    // Prepare
    const { mock, log } = logFor({ accountId: "111111111111", readsAccountlessRecords: false });
    mock.on(UpdateCommand).resolves({});

    // Act
    await log.recordOutcome(record("111111111111").modelArn, "2026-11-28T02:00:05.000Z", {
      status: "STOPPING",
      completedAt: "2026-11-28T02:00:06.000Z",
      followUpRegion: "us-east-1",
    });

    // Assess
    const values = mock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues;
    assert.equal(values?.[":followUpRegion"], "111111111111:us-east-1");
  });
});

describe("the keys of the FollowUps index", () => {
  it("are every distinct account and region with something to follow up, over every page of one Scan", async () => {
    // Prepare
    const { mock, log } = logFor();
    mock
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ followUpRegion: "111111111111:us-east-1" }, { followUpRegion: "us-east-1" }],
        LastEvaluatedKey: { modelArn: "a", stoppedAt: "b", followUpRegion: "us-east-1" },
      })
      .resolvesOnce({
        Items: [{ followUpRegion: "111111111111:us-east-1" }, { followUpRegion: "222222222222:eu-west-1" }],
      });

    // Act
    const keys = await log.followUpKeys();

    // Assess
    assert.deepEqual(keys, ["111111111111:us-east-1", "222222222222:eu-west-1", "us-east-1"]);
    const scans = mock.commandCalls(ScanCommand).map((call) => call.args[0].input);
    assert.equal(scans.length, 2);
    assert.deepEqual([scans[0]?.IndexName, scans[0]?.ProjectionExpression], ["FollowUps", "followUpRegion"]);
  });
});
