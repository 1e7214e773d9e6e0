import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildDigest } from "../../lambda/core/digest.ts";
import { buildWarningRecord, isOpenWarning, isStopRecord } from "../../lambda/core/stop-record.ts";
import type { RunningModel, Verdict } from "../../lambda/core/types.ts";
import { notifyTargetOf, stopNotBeforeOf, warningMessage } from "../../lambda/core/warning.ts";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 28, 18, 0, 3);
const SCHEDULED = Date.UTC(2026, 10, 28, 18, 0, 0);
const ACCOUNT = "123456789012";

const model: RunningModel = {
  region: "eu-west-1",
  projectArn: `arn:aws:rekognition:eu-west-1:${ACCOUNT}:project/shelf/1700000000000`,
  projectName: "shelf",
  modelArn: `arn:aws:rekognition:eu-west-1:${ACCOUNT}:project/shelf/version/shelf.v2/1700000000001`,
  versionName: "shelf.v2",
  minInferenceUnits: 2,
};
const idle: Verdict = {
  action: "stop",
  reason:
    "idle: no requests from 2026-11-28T15:00:00Z to 2026-11-28T17:58:00Z, the newest metrics (3h00m idle window)",
  facts: {
    idleMinutes: 180,
    inferenceUnits: 2,
    estimatedHourlyCostUsd: 8,
    evidenceUntil: "2026-11-28T17:58:00Z",
  },
  cause: "idle",
};
const REGIONS = ["us-east-1", "eu-west-1"];

describe("the notify tag", () => {
  const target = (value: string, where: "model" | "project" = "model") =>
    notifyTargetOf(
      where === "model"
        ? { model: { "auto-stop:notify": value }, project: {} }
        : { model: {}, project: { "auto-stop:notify": value } },
      model.modelArn,
      { optOutTagKey: "auto-stop", regions: REGIONS },
    );

  it("names a topic of this account in a configured region", () => {
    assert.deepEqual(target(`arn:aws:sns:eu-west-1:${ACCOUNT}:shelf-team`), {
      topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:shelf-team`,
      source: "tag auto-stop:notify on the model",
    });
    assert.deepEqual(target(` arn:aws:sns:us-east-1:${ACCOUNT}:ops_alerts-2 `, "project"), {
      topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:ops_alerts-2`,
      source: "tag auto-stop:notify on the project",
    });
  });

  it("is the model's when both carry it", () => {
    const found = notifyTargetOf(
      {
        model: { "auto-stop:notify": `arn:aws:sns:eu-west-1:${ACCOUNT}:model-team` },
        project: { "auto-stop:notify": `arn:aws:sns:eu-west-1:${ACCOUNT}:project-team` },
      },
      model.modelArn,
      { optOutTagKey: "auto-stop", regions: REGIONS },
    );
    assert.deepEqual(found, {
      topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:model-team`,
      source: "tag auto-stop:notify on the model",
    });
  });

  it("is absent without the tag, and read under the configured key only", () => {
    assert.equal(
      notifyTargetOf({ model: {}, project: {} }, model.modelArn, {
        optOutTagKey: "auto-stop",
        regions: REGIONS,
      }),
      undefined,
    );
    const other = { model: { "auto-stop:notify": `arn:aws:sns:eu-west-1:${ACCOUNT}:t` }, project: {} };
    assert.equal(
      notifyTargetOf(other, model.modelArn, { optOutTagKey: "cost:auto-stop", regions: REGIONS }),
      undefined,
    );
  });

  const bad: { value: string; problem: RegExp }[] = [
    { value: "ops@example.com", problem: /^it is not an SNS topic ARN/ },
    { value: `arn:aws:sqs:eu-west-1:${ACCOUNT}:queue`, problem: /^it is not an SNS topic ARN/ },
    {
      value: `arn:aws:sns:eu-west-1:${ACCOUNT}:team:subscription-id`,
      problem: /^it is not an SNS topic ARN/,
    },
    { value: `arn:aws:sns:eu-west-1:${ACCOUNT}:bad.name`, problem: /^it is not an SNS topic ARN/ },
    { value: "", problem: /^it is not an SNS topic ARN/ },
    { value: `arn:aws:sns:eu-west-1:${ACCOUNT}:team.fifo`, problem: /FIFO topic/ },
    {
      value: "arn:aws:sns:eu-west-1:210987654321:team",
      problem: /^the topic belongs to account 210987654321, not to this account 123456789012$/,
    },
    {
      value: `arn:aws-cn:sns:eu-west-1:${ACCOUNT}:team`,
      problem: /^the topic is in partition aws-cn, not aws$/,
    },
    {
      value: `arn:aws:sns:ap-south-1:${ACCOUNT}:team`,
      problem:
        /^the topic is in ap-south-1, and the function may publish only to topics in the configured regions \(us-east-1, eu-west-1\)$/,
    },
  ];
  for (const { value, problem } of bad) {
    it(`refuses ${JSON.stringify(value)}, saying why`, () => {
      const found = target(value);
      assert.ok(found && "invalid" in found, JSON.stringify(found));
      assert.equal(found.invalid, value);
      assert.equal(found.source, "tag auto-stop:notify on the model");
      assert.match(found.problem, problem);
    });
  }
});

describe("a warning's record and message", () => {
  it("is a WARNED record of kind warning, in the FollowUps index, with when it may be stopped", () => {
    const stopNotBefore = stopNotBeforeOf(SCHEDULED, 8);
    const record = buildWarningRecord(
      { model, verdict: idle },
      { runId: "scheduled-2026-11-28T18:00:00Z", now: NOW, dryRun: false, ttlDays: 400, stopNotBefore },
    );
    assert.deepEqual(record, {
      modelArn: model.modelArn,
      stoppedAt: "2026-11-28T18:00:03.000Z",
      kind: "warning",
      dryRun: false,
      projectName: "shelf",
      versionName: "shelf.v2",
      region: "eu-west-1",
      reason: idle.reason,
      idleMinutes: 180,
      inferenceUnits: 2,
      minInferenceUnits: 2,
      estimatedHourlyCostUsd: 8,
      runId: "scheduled-2026-11-28T18:00:00Z",
      status: "WARNED",
      followUpRegion: "eu-west-1",
      stopNotBefore: "2026-11-29T02:00:00Z",
      evidenceUntil: "2026-11-28T17:58:00Z",
      expiresAt: Math.floor(NOW / 1000) + 400 * 86_400,
    });
    assert.equal(isOpenWarning(record), true);
    assert.equal(isStopRecord(record), false);
    assert.equal(isStopRecord({}), true, "a record written before kinds existed is a stop");
    assert.equal(isOpenWarning({ ...record, status: "CLEARED" }), false);
  });

  it("tells the owner when, why, how to keep the model and how to check it", () => {
    const { subject, message } = warningMessage(
      { model, verdict: idle },
      {
        stopNotBefore: SCHEDULED + 8 * HOUR,
        optOutTagKey: "auto-stop",
        logTableName: "log",
        homeRegion: "us-east-1",
      },
    );
    assert.equal(subject, "idle-model-stopper: shelf/shelf.v2 to be stopped at about 2026-11-29T02:00:00Z");
    const long = warningMessage(
      { model: { ...model, projectName: "p".repeat(255), versionName: "v".repeat(255) }, verdict: idle },
      {
        stopNotBefore: SCHEDULED + 8 * HOUR,
        optOutTagKey: "auto-stop",
        logTableName: "log",
        homeRegion: "us-east-1",
      },
    );
    assert.ok(long.subject.length < 100, long.subject);
    assert.match(long.subject, /^idle-model-stopper: p+ to be stopped at about 2026-11-29T02:00:00Z$/);
    assert.match(
      message,
      /^The Rekognition Custom Labels model shelf\/shelf\.v2 \(eu-west-1\) will be stopped at about 2026-11-29T02:00:00Z unless it is used or tagged\.$/m,
    );
    assert.match(message, /^Why: idle: no requests from /m);
    assert.match(message, /^It costs about \$8\.00 an hour while it runs\.$/m);
    assert.match(
      message,
      /aws rekognition tag-resource --region eu-west-1 --resource-arn arn:\S+ --tags auto-stop=never$/m,
    );
    assert.match(
      message,
      /^To check it: npx idle-model-stopper scan --region eu-west-1 --table log --table-region us-east-1$/m,
    );
  });
});

describe("the digest's warnings", () => {
  const digest = (dryRun: boolean, notified?: string) =>
    buildDigest({
      runId: "scheduled-2026-11-28T18:00:00Z",
      dryRun,
      now: NOW,
      regions: ["eu-west-1"],
      scanned: 3,
      kept: 3,
      stopped: [],
      errors: [],
      unfinished: [],
      logTableName: "log",
      warnOnly: true,
      warned: [
        {
          model,
          verdict: idle,
          stopNotBefore: SCHEDULED + 8 * HOUR,
          ...(notified && { notifiedTopicArn: notified }),
        },
      ],
      optOutTagKey: "auto-stop",
      homeRegion: "eu-west-1",
    });

  it("are a digest on their own, with the promise, the tag to set and the command to check", () => {
    const sent = digest(false, `arn:aws:sns:eu-west-1:${ACCOUNT}:shelf-team`);
    assert.equal(sent?.subject, "idle-model-stopper: warned 1 model");
    const message = sent?.message ?? "";
    assert.match(
      message,
      /^Warning pass scheduled-2026-11-28T18:00:00Z at 2026-11-28T18:00:03Z scanned 3 running models in eu-west-1\.$/m,
    );
    assert.match(message, /^Warned 1, each to be stopped by a later run unless it is used or tagged:$/m);
    assert.match(
      message,
      /^- shelf\/shelf\.v2 \(eu-west-1\), \$8\.00\/h: will be stopped at about 2026-11-29T02:00:00Z unless it is used or tagged$/m,
    );
    assert.match(
      message,
      /^ {2}To keep it running: tag it auto-stop=never, or auto-stop=<ISO date> to snooze it until then:$/m,
    );
    assert.match(message, /^ {2}To check it: npx idle-model-stopper scan --region eu-west-1 --table log$/m);
    assert.match(message, /^ {2}Its owner was told on arn:aws:sns:eu-west-1:123456789012:shelf-team$/m);
  });

  it("say 'would warn' in a dry run, which tells no owner", () => {
    const sent = digest(true);
    assert.equal(sent?.subject, "idle-model-stopper dry run: would warn 1 model");
    assert.match(sent?.message ?? "", /^Would warn 1, /m);
    assert.doesNotMatch(sent?.message ?? "", /Its owner was told/);
  });

  it("come after the stops and before the errors", () => {
    const sent = buildDigest({
      runId: "r",
      dryRun: false,
      now: NOW,
      regions: ["eu-west-1"],
      scanned: 3,
      kept: 1,
      stopped: [{ model: { ...model, versionName: "old", modelArn: `${model.modelArn}0` }, verdict: idle }],
      errors: [{ message: "boom" }],
      unfinished: [],
      logTableName: "log",
      warned: [{ model, verdict: idle, stopNotBefore: SCHEDULED + 8 * HOUR }],
    });
    assert.equal(sent?.subject, "idle-model-stopper: stopped 1 model ($8.00/h), warned 1 model, 1 error");
    const message = sent?.message ?? "";
    const order = ["Stopped 1", "Warned 1", "Errors (1)"].map((title) => message.indexOf(title));
    assert.ok(
      order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] as number))),
      String(order),
    );
  });
});
