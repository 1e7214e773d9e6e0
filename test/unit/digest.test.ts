import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildDigest, type DigestInput, MAX_MESSAGE_BYTES } from "../../lambda/core/digest.ts";
import type { RunningModel, Verdict } from "../../lambda/core/types.ts";

const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);

function stop(
  versionName: string,
  units: number,
  projectName = "vision",
): { model: RunningModel; verdict: Verdict } {
  return {
    model: {
      region: "us-east-1",
      projectArn: `arn:aws:rekognition:us-east-1:123456789012:project/${projectName}/1700000000000`,
      projectName,
      modelArn: `arn:aws:rekognition:us-east-1:123456789012:project/${projectName}/version/${versionName}/1700000000001`,
      versionName,
      minInferenceUnits: units,
    },
    verdict: {
      action: "stop",
      reason: `idle at ${units} units`,
      facts: { idleMinutes: 180, inferenceUnits: units, estimatedHourlyCostUsd: 4 * units },
    },
  };
}

/** A nightly run with nothing to report yet: run-1 scanned 4 models in us-east-1 and kept 1. */
const RUN: DigestInput = {
  runId: "run-1",
  dryRun: false,
  now: NOW,
  regions: ["us-east-1"],
  scanned: 4,
  kept: 1,
  stopped: [],
  errors: [],
  unfinished: [],
  logTableName: "log",
};

/** A follow-up with nothing to report yet: follow-up-1 looked after 3 recent stops. */
const FOLLOW_UP: DigestInput = { ...RUN, mode: "follow-up", runId: "follow-up-1", scanned: 3, kept: 0 };

function digestOf(stopped: DigestInput["stopped"], errors: DigestInput["errors"] = []) {
  return buildDigest({ ...RUN, stopped, errors });
}

const listedModels = (message: string) =>
  [...message.matchAll(/^- vision\/(\S+) /gm)].map((match) => match[1]);

describe("the digest's list of stops", () => {
  it("lists the stopped models most expensive first, then by ARN, whatever order the stops finished in", () => {
    const [cheap, dear, alsoCheap] = [stop("b-cheap", 1), stop("dear", 3), stop("a-cheap", 1)];

    const finishedOneWay = digestOf([cheap, dear, alsoCheap]);
    const finishedAnother = digestOf([alsoCheap, cheap, dear]);

    assert.deepEqual(listedModels(finishedOneWay?.message ?? ""), ["dear", "a-cheap", "b-cheap"]);
    assert.equal(finishedAnother?.message, finishedOneWay?.message);
    assert.equal(finishedOneWay?.subject, "idle-model-stopper: stopped 3 models ($20.00/h)");
  });
});

describe("the digest's size", () => {
  const bytes = (text: string) => Buffer.byteLength(text, "utf8");

  it("fits SNS's 262,144-byte limit with 1,000 stops of 255-character names, and says how many it left out", () => {
    // MAX_STOPS_PER_RUN allows 1,000 stops; names may be 255 characters, and é takes two bytes in UTF-8.
    const longName = (index: number) => `${"é".repeat(120)}-${String(index).padStart(4, "0")}`;
    const stops = Array.from({ length: 1000 }, (_, index) => stop(longName(index), 1, "p".repeat(255)));
    const errors = Array.from({ length: 50 }, (_, index) => ({
      arn: `arn:${index}`,
      message: "AccessDenied",
    }));

    const digest = digestOf(stops, errors);

    const message = digest?.message ?? "";
    assert.ok(bytes(message) <= MAX_MESSAGE_BYTES, `${bytes(message)} bytes`);
    assert.ok(bytes(message) > MAX_MESSAGE_BYTES - 2_000, "the room is used, not thrown away");
    const listed = listedCount(message);
    assert.ok(listed > 100 && listed < 1000, `${listed} stops listed`);
    assert.match(message, new RegExp(`^- and ${1000 - listed} more, not listed .*: see the log table$`, "m"));
    // The errors get what room the stops leave: every one is listed or counted.
    const errorsListed = [...message.matchAll(/^- arn:\d+: AccessDenied$/gm)].length;
    const errorsLeft = Number(
      /^- and (\d+) more, not listed .*: see the run summary in the function's log$/m.exec(message)?.[1] ?? 0,
    );
    assert.equal(errorsListed + errorsLeft, 50);
    assert.match(message, /^Every stop is recorded in the DynamoDB table log\.$/m);
    assert.equal(digest?.subject, "idle-model-stopper: stopped 1000 models ($4000.00/h), 50 errors");
  });

  it("lists everything, with no 'more' line, when it fits", () => {
    const digest = digestOf([stop("a", 1), stop("b", 2)], [{ message: "discovery in eu-west-1 failed" }]);

    assert.equal(listedCount(digest?.message ?? ""), 2);
    assert.doesNotMatch(digest?.message ?? "", /and \d+ more/);
    assert.match(digest?.message ?? "", /^- discovery in eu-west-1 failed$/m);
  });
});

describe("the digest's follow-up sections", () => {
  const record = (versionName: string) => {
    const { model } = stop(versionName, 1);
    return {
      ...model,
      stoppedAt: "2026-11-27T02:00:00.000Z",
      completedAt: "2026-11-27T02:00:04Z",
      reason: "idle: no requests in the last 3h00m",
    };
  };
  const restarts: DigestInput["restarted"] = [
    {
      record: record("scheduled"),
      by: "schedule",
      reason: 'restart rule "daily 06:00 UTC" (tag auto-stop:restart on the model)',
      hourlyCostUsd: 4,
    },
    {
      record: record("regretted"),
      by: "regret",
      reason: "regretted: a request at 2026-11-27T01:59:00Z arrived before the stop",
      hourlyCostUsd: 8,
    },
  ];

  it("in a nightly run: the undone stops first, then the stops, restarts by rule, starts by hand, warnings, errors", () => {
    // Act
    const digest = buildDigest({
      ...RUN,
      stopped: [stop("idle", 2)],
      errors: [{ message: "something failed" }],
      restarted: restarts,
      startedByHand: [{ record: record("by-hand"), seenAt: Date.parse("2026-11-27T09:15:00Z") }],
      warned: [{ ...stop("warned", 1), stopNotBefore: NOW + 24 * 3_600_000 }],
    });

    // Assess
    const message = digest?.message ?? "";
    const titles = message.split("\n").filter((line) => /^[A-Z]/.test(line));
    assert.deepEqual(titles, [
      "Run run-1 at 2026-11-28T02:00:00Z scanned 4 running models in us-east-1.",
      "Undid 1 stop that proved wrong, starting the model again (about $8.00/h again):",
      "Stopped 1, about $8.00/h:",
      "Started again by restart rule 1, about $4.00/h:",
      "Started again by hand within a day of the stop (1): the idle threshold may be wrong for these models (a tag auto-stop:idle-minutes sets a model's own):",
      "Warned 1, each to be stopped by a later run unless it is used or tagged:",
      "Errors (1):",
      "Kept running: 1 (each with its reason in the function's log).",
      "Every stop is recorded in the DynamoDB table log.",
    ]);
    assert.match(
      message,
      /^- vision\/regretted \(us-east-1\), \$8\.00\/h\n {2}regretted: a request at 2026-11-27T01:59:00Z arrived before the stop \(stopped at 2026-11-27T02:00:04Z\)$/m,
    );
    assert.match(
      message,
      /^- vision\/by-hand \(us-east-1\): started again by hand 7 hours after the stop \(seen running at 2026-11-27T09:15:00Z\)$/m,
    );
    // SNS takes 99 characters: the subject ends at a whole part.
    assert.equal(
      digest?.subject,
      "idle-model-stopper: undid 1 stop, stopped 1 model ($8.00/h), restarted 1 on schedule ...",
    );
  });

  it("in a follow-up: says what it looked after, and nothing about stops it does not make", () => {
    // Act
    const digest = buildDigest({
      ...FOLLOW_UP,
      restarted: restarts.filter((restart) => restart.by === "schedule"),
    });

    // Assess
    assert.equal(digest?.subject, "idle-model-stopper: restarted 1 on schedule");
    assert.match(
      digest?.message ?? "",
      /^Follow-up follow-up-1 at 2026-11-28T02:00:00Z looked after 3 recent stops in us-east-1\.\n/,
    );
    assert.match(
      digest?.message ?? "",
      /\nEvery restart is recorded in the DynamoDB table log, on the stop it undid\.$/,
    );
    assert.doesNotMatch(digest?.message ?? "", /Kept running|Stopped/);
  });

  it("sends nothing for a follow-up that did nothing", () => {
    const digest = buildDigest({ ...FOLLOW_UP, restarted: [], startedByHand: [] });

    assert.equal(digest, undefined);
  });
});

function listedCount(message: string): number {
  return [...message.matchAll(/^- \S+\/\S+ \(us-east-1\), /gm)].length;
}
