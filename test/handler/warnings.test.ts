/**
 * Warnings before a stop over the real adapters and SDK commands (aws-sdk-client-mock): the warning's Put, the
 * FollowUps query of each region, the model's own message through a client of its topic's region, the request
 * re-read since the warning, and the conditional close after the stop.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoStopLog } from "../../lambda/adapters/stop-log.ts";
import { fakeAccount, idleFor, modelArn, NOW, project, setupHandler } from "./fake-account.ts";

const HOUR = 3_600_000;
const TEAM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:shelf-team";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe("warnings through the real adapters", () => {
  it("write a warning at the warning pass, and stop and close it at the night's run", async () => {
    // Prepare
    const p = project(
      "shelf",
      [{ versionName: "v1", metrics: idleFor(20, 2), tags: { "auto-stop:notify": TEAM_TOPIC } }],
      {
        region: "eu-west-1",
      },
    );
    const { run, account, setClock } = setupHandler([p], {
      WARN_BEFORE_STOP_HOURS: "8",
      REGIONS: "us-east-1,eu-west-1",
      NOTIFICATION_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:idle-model-stopper",
    });
    restore = () => account.restore();
    const arn = modelArn(p, { versionName: "v1" });

    // Act: the warning pass at 18:00.
    setClock(NOW - 8 * HOUR);
    const evening = await run("warn-pass", { mode: "warn", scheduledTime: "2026-11-27T18:00:00Z" });

    // Assess
    assert.deepEqual(evening.warned, [{ arn, stopNotBefore: "2026-11-28T02:00:00Z" }]);
    assert.deepEqual(
      account.calls.filter((c) => /^(Query FollowUps|PutItem|Publish|StopProjectVersion)/.test(c)),
      [
        "Query FollowUps us-east-1",
        "Query FollowUps eu-west-1",
        `PutItem ${arn} WARNED`,
        `Publish ${TEAM_TOPIC} eu-west-1`,
        "Publish arn:aws:sns:us-east-1:123456789012:idle-model-stopper us-east-1",
      ],
    );
    const [warning] = [...account.table.values()];
    assert.deepEqual(
      [warning?.kind, warning?.followUpRegion, warning?.stopNotBefore, warning?.stoppedAt],
      ["warning", "eu-west-1", "2026-11-28T02:00:00Z", "2026-11-27T18:00:00.000Z"],
    );

    // Act: the night's run at 02:00.
    account.calls.length = 0;
    setClock(NOW);
    const night = await run("night", { scheduledTime: "2026-11-28T02:00:00Z" });

    // Assess: the requests since the warning read in one call, the stop, then the warning closed.
    assert.deepEqual(night.stopped, [arn]);
    assert.deepEqual(night.errors, []);
    assert.deepEqual(
      account.calls.filter((c) => c.startsWith("GetMetricData")),
      ["GetMetricData 5 -", "GetMetricData 4 -", "GetMetricData 4 -"],
    );
    const order = account.calls.filter(
      (c) => c.startsWith(`StopProjectVersion ${arn}`) || c.startsWith(`UpdateItem ${arn}`),
    );
    assert.deepEqual(order, [
      `StopProjectVersion ${arn}`,
      `UpdateItem ${arn} STOPPING`,
      `UpdateItem ${arn} STOPPED_AFTER_WARNING`,
    ]);
    const closed = [...account.table.values()].find((item) => item.kind === "warning");
    assert.equal(closed?.status, "STOPPED_AFTER_WARNING");
    assert.equal(closed?.followUpRegion, undefined);
    assert.equal(closed?.note, "stopped by run scheduled-2026-11-28T02:00:00Z");
  });
});

describe("closing a warning", () => {
  it("reports a warning another run closed first as not closed, rather than failing or closing it twice", async () => {
    // Prepare
    const account = fakeAccount([]);
    restore = () => account.restore();
    const log = new DynamoStopLog(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
      "stops",
    );
    const arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1";
    account.table.set(`${arn}|t`, { modelArn: arn, stoppedAt: "t", kind: "warning", status: "CLEARED" });

    // Act
    const closed = await log.closeWarning(arn, "t", {
      status: "STOPPED_AFTER_WARNING",
      completedAt: "now",
      note: "x",
    });

    // Assess
    assert.equal(closed, false);
    assert.equal(account.table.get(`${arn}|t`)?.status, "CLEARED");
  });
});
