import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type StopOutcome, StopOutcomeUnknownError } from "../../lambda/adapters/rekognition.ts";
import type { Decision } from "../../lambda/core/decide.ts";
import { DRY_RUN_STATUS, STOP_PENDING, type StopRecord } from "../../lambda/core/stop-record.ts";
import type { RunningModel } from "../../lambda/core/types.ts";
import { type StopInput, stopAndRecord } from "../../lambda/phases/stop-and-record.ts";
import { awsError, configWith, FakeDirectory, FakeLogger, FakeStopLog, NOW, runningModel } from "./fakes.ts";

const MODEL = runningModel("cats", "v1");
const OTHER = runningModel("dogs", "v1");

/** The core's verdict on a model, as the decide phase hands it on. */
function decision(model: RunningModel, action: "stop" | "keep", costUsd = 4): Decision {
  return {
    model,
    verdict: {
      action,
      reason: action === "stop" ? "idle: no requests in the last 3h00m" : "in use: 3 requests",
      facts: { idleMinutes: 180, inferenceUnits: costUsd / 4, estimatedHourlyCostUsd: costUsd },
    },
  };
}

function world(env: Record<string, string> = {}, remainingMs?: number | (() => number)) {
  const directory = new FakeDirectory();
  const log = new FakeStopLog(directory.calls);
  const logger = new FakeLogger();
  const deps = {
    directory,
    log,
    logger,
    clock: () => NOW + 1000,
    ...(remainingMs !== undefined && {
      remainingMs: typeof remainingMs === "function" ? remainingMs : () => remainingMs,
    }),
  };
  const run = (input: Partial<StopInput>) =>
    stopAndRecord(deps, configWith(env), {
      runId: "run-now",
      now: NOW,
      decisions: [],
      notConsidered: [],
      pending: new Map(),
      ...input,
    });
  return { directory, log, logger, run };
}

/** A record of the model written by an earlier run. */
const earlierRecord = (status: string, overrides: Partial<StopRecord> = {}): StopRecord => ({
  modelArn: MODEL.modelArn,
  stoppedAt: new Date(NOW - 60 * 60_000).toISOString(),
  dryRun: false,
  projectName: "cats",
  versionName: "v1",
  region: MODEL.region,
  reason: "idle",
  idleMinutes: 180,
  runId: "run-before",
  status,
  ...(status === STOP_PENDING && { pendingRegion: MODEL.region }),
  expiresAt: 0,
  ...overrides,
});

describe("the stop-and-record phase", () => {
  const outcomes: {
    name: string;
    answer: StopOutcome | Error;
    stopped: boolean;
    skipped?: string;
    error?: string;
    recorded: Partial<StopRecord>;
  }[] = [
    {
      name: "stopping",
      answer: { kind: "stopping", status: "STOPPING" },
      stopped: true,
      // A stop that took effect is followed up.
      recorded: { status: "STOPPING", followUpRegion: MODEL.region },
    },
    {
      name: "stopping, after an answer was lost",
      answer: { kind: "stopping", status: "STOPPING", note: "an attempt went through" },
      stopped: true,
      recorded: { status: "STOPPING", note: "an attempt went through", followUpRegion: MODEL.region },
    },
    {
      name: "already changing",
      answer: { kind: "already-changing", status: "ALREADY_CHANGING: in use" },
      stopped: false,
      skipped: "not stopped: the model is already changing (ALREADY_CHANGING: in use)",
      recorded: { status: "ALREADY_CHANGING: in use", followUpRegion: undefined },
    },
    {
      name: "gone",
      answer: { kind: "not-found", status: "NOT_FOUND: no such version" },
      stopped: false,
      skipped: "not stopped: the model no longer exists (NOT_FOUND: no such version)",
      recorded: { status: "NOT_FOUND: no such version", followUpRegion: undefined },
    },
    {
      name: "refused",
      answer: awsError("AccessDeniedException", "not allowed"),
      stopped: false,
      error: "StopProjectVersion failed: AccessDeniedException: not allowed",
      recorded: { status: "FAILED: AccessDeniedException: not allowed", followUpRegion: undefined },
    },
    {
      name: "outcome unknown",
      answer: new StopOutcomeUnknownError(MODEL.modelArn, awsError("InternalServerError", "5xx")),
      stopped: false,
      error:
        "StopProjectVersion failed (InternalServerError: 5xx) and the model's status could not be read, so " +
        "whether it stopped is unknown; the log record still says STOP_PENDING and the next run completes it " +
        "from the model's status",
      recorded: { status: STOP_PENDING, pendingRegion: MODEL.region, followUpRegion: undefined },
    },
  ];
  for (const { name, answer, stopped, skipped, error, recorded } of outcomes) {
    it(`records what StopProjectVersion answered: ${name}`, async () => {
      // Prepare
      const { directory, log, run } = world();
      directory.stopOutcomes.set(MODEL.modelArn, answer);

      // Act
      const results = await run({ decisions: [decision(MODEL, "stop")] });

      // Assess
      assert.deepEqual(
        results.stopped.map((d) => d.model.modelArn),
        stopped ? [MODEL.modelArn] : [],
      );
      assert.deepEqual(results.skipped, skipped ? [{ arn: MODEL.modelArn, reason: skipped }] : []);
      assert.deepEqual(results.errors, error ? [{ arn: MODEL.modelArn, message: error }] : []);
      assert.equal(log.records.length, 1);
      assert.deepEqual(
        Object.fromEntries(
          Object.keys(recorded).map((key) => [key, log.records[0]?.[key as keyof StopRecord]]),
        ),
        recorded,
      );
    });
  }

  it("records the restart rule the model's tags carry with the stop, for the follow-up to start it again by", async () => {
    // Prepare
    const { log, run } = world();
    const tagged = {
      ...decision(MODEL, "stop"),
      restart: { rule: "weekdays 07:30 Europe/Paris", source: "tag auto-stop:restart on the project" },
    };

    // Act
    await run({ decisions: [tagged, decision(OTHER, "stop")] });

    // Assess
    const rules = log.records.map((record) => [
      record.modelArn,
      record.restartRule,
      record.restartRuleSource,
    ]);
    assert.deepEqual(rules, [
      [MODEL.modelArn, "weekdays 07:30 Europe/Paris", "tag auto-stop:restart on the project"],
      [OTHER.modelArn, undefined, undefined],
    ]);
    assert.deepEqual(
      log.records.map((record) => [record.kind, record.projectArn]),
      [
        ["stop", MODEL.projectArn],
        ["stop", OTHER.projectArn],
      ],
    );
  });

  it("writes the record before StopProjectVersion and completes it after, and leaves kept models alone", async () => {
    // Prepare
    const { directory, run } = world();

    // Act
    await run({ decisions: [decision(MODEL, "stop"), decision(OTHER, "keep")] });

    // Assess
    assert.deepEqual(directory.calls, [
      `recordsSince ${MODEL.modelArn}`,
      `writeIntent ${MODEL.modelArn}`,
      `stopModel us-east-1 ${MODEL.modelArn}`,
      `recordOutcome ${MODEL.modelArn} STOPPING`,
    ]);
  });

  const logFailures: { step: "recordsSince" | "writeIntent"; says: string }[] = [
    { step: "recordsSince", says: "could not read its earlier log records" },
    { step: "writeIntent", says: "could not write its log record" },
  ];
  for (const { step, says } of logFailures) {
    it(`does not call StopProjectVersion when ${step} fails, and says which step failed`, async () => {
      // Prepare
      const { directory, log, run } = world();
      log.failures.set(step, awsError("ProvisionedThroughputExceededException", "slow down"));

      // Act
      const results = await run({ decisions: [decision(MODEL, "stop")] });

      // Assess
      assert.ok(!directory.calls.some((call) => call.startsWith("stopModel")));
      assert.deepEqual(results.errors, [
        {
          arn: MODEL.modelArn,
          message: `${says}, so the model was not stopped: ProvisionedThroughputExceededException: slow down`,
        },
      ]);
    });
  }

  it("reports a stop whose outcome could not be recorded, twice, and what it loses, and still counts the stop", async () => {
    // Prepare
    const { log, run } = world();
    log.failures.set("recordOutcome", awsError("InternalServerError", "try again"));

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop")] });

    // Assess
    assert.equal(results.stopped.length, 1);
    assert.equal(log.calls.filter((call) => call.startsWith("recordOutcome")).length, 2);
    assert.deepEqual(results.errors, [
      {
        arn: MODEL.modelArn,
        message:
          'could not record the outcome "STOPPING", twice; the log record still says STOP_PENDING, so the ' +
          "follow-ups will not see this stop (no undo, no restart by rule): InternalServerError: try again",
      },
    ]);
  });

  it("reports a stop whose outcome could not be recorded with the first error when no time is left to try again", async () => {
    // Prepare: time enough for the stop, but only 20 s (under the 30 s margin) once the stops are done.
    let remaining = 60_000;
    const { log, logger, run } = world({}, () => remaining);
    log.failures.set("recordOutcome", awsError("InternalServerError", "try again"));
    const write = log.recordOutcome.bind(log);
    log.recordOutcome = async (...args: Parameters<typeof write>) => {
      remaining = 20_000;
      return write(...args);
    };

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop")] });

    // Assess
    assert.equal(results.stopped.length, 1);
    assert.equal(log.calls.filter((call) => call.startsWith("recordOutcome")).length, 1);
    assert.deepEqual(
      results.errors.map((e) => e.message),
      [
        'could not record the outcome "STOPPING" (no time left to try again); the log record still says ' +
          "STOP_PENDING, so the follow-ups will not see this stop (no undo, no restart by rule): " +
          "InternalServerError: try again",
      ],
    );
    assert.ok(
      logger.lines.some((line) => line.message === "outcome not recorded; tried again after the run's stops"),
    );
  });

  it("records a stop's outcome on its second try, after the run's other stops, when the first write fails", async () => {
    // Prepare: the first write fails (past the SDK's own retries), the second goes through.
    const { log, run } = world();
    const write = log.recordOutcome.bind(log);
    let failuresLeft = 1;
    log.recordOutcome = async (...args: Parameters<typeof write>) => {
      if (failuresLeft-- > 0) throw awsError("ProvisionedThroughputExceededException", "slow down");
      return write(...args);
    };

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop"), decision(OTHER, "stop")] });

    // Assess
    assert.deepEqual(results.errors, []);
    assert.deepEqual(
      log.records.map((r) => [r.modelArn, r.status, r.followUpRegion]),
      [
        [MODEL.modelArn, "STOPPING", MODEL.region],
        [OTHER.modelArn, "STOPPING", OTHER.region],
      ],
    );
  });

  it("in a dry run, calls no StopProjectVersion, records the would-stop once, and reports it every time", async () => {
    // Prepare
    const { directory, log, run } = world({ DRY_RUN: "true" });

    // Act
    const first = await run({ decisions: [decision(MODEL, "stop")] });
    const second = await run({ decisions: [decision(MODEL, "stop")] });

    // Assess
    assert.ok(!directory.calls.some((call) => call.startsWith("stopModel")));
    assert.deepEqual(
      log.records.map((r) => [r.status, r.dryRun]),
      [[DRY_RUN_STATUS, true]],
    );
    assert.equal(first.stopped.length, 1);
    assert.equal(second.stopped.length, 1);
  });

  it("does not stop or record again a model an earlier run stopped inside the window", async () => {
    // Prepare
    const { directory, log, run } = world();
    log.records.push(earlierRecord("STOPPING"));

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop")] });

    // Assess
    assert.ok(!directory.calls.some((call) => call.startsWith("stopModel")));
    assert.equal(log.records.length, 1);
    assert.deepEqual(results.skipped, [
      {
        arn: MODEL.modelArn,
        reason: `already handled by run run-before at ${earlierRecord("x").stoppedAt} (status STOPPING); not stopped or recorded again`,
      },
    ]);
  });

  for (const status of [
    "NOT_STOPPED",
    "ALREADY_CHANGING: ResourceInUseException: busy",
    "FAILED: Throttling: x",
  ])
    it(`stops a model whose earlier record in the window says no stop took effect (${status.split(":")[0]})`, async () => {
      // Prepare: an earlier run's record of a model it kept, or whose stop it could not make.
      const { directory, log, run } = world();
      log.records.push(earlierRecord(status));

      // Act
      const results = await run({ decisions: [decision(MODEL, "stop")] });

      // Assess
      assert.deepEqual(
        results.stopped.map((d) => d.model.modelArn),
        [MODEL.modelArn],
      );
      assert.deepEqual(results.skipped, []);
      assert.equal(directory.calls.filter((call) => call.startsWith("stopModel")).length, 1);
      assert.deepEqual(
        log.records.map((r) => [r.runId, r.status]),
        [
          ["run-before", status],
          ["run-now", "STOPPING"],
        ],
      );
    });

  it("supersedes an earlier run's STOP_PENDING record with its own, holding tonight's evidence", async () => {
    // Prepare: yesterday's run wrote its record and ended before the stop; the model served all day since.
    const { directory, log, run } = world();
    const pending = earlierRecord(STOP_PENDING, { evidenceUntil: "2026-11-27T01:58:00Z" });
    log.records.push(pending);
    const tonight = decision(MODEL, "stop");

    // Act
    await run({ decisions: [tonight], pending: new Map([[MODEL.modelArn, pending]]) });

    // Assess
    assert.deepEqual(
      log.records.map((r) => [r.runId, r.status, r.reconciledBy, r.followUpRegion]),
      [
        ["run-before", "SUPERSEDED", "run-now", undefined],
        ["run-now", "STOPPING", undefined, MODEL.region],
      ],
    );
    const own = log.records[1];
    assert.equal(own?.stoppedAt, new Date(NOW).toISOString());
    assert.equal(own?.reason, tonight.verdict.reason);
    assert.notEqual(own?.evidenceUntil, pending.evidenceUntil);
    assert.equal(
      log.records[0]?.note,
      "run run-before ended before stopping the model; run run-now found it RUNNING and idle, decided again and " +
        "recorded its stop under a record of its own",
    );
    assert.equal(directory.calls.filter((call) => call.startsWith("stopModel")).length, 1);
  });

  it("completes its own STOP_PENDING record, left by an attempt of this very run, instead of writing a second one", async () => {
    // Prepare: Lambda's retry of the run carries its run id.
    const { log, run } = world();
    const pending = earlierRecord(STOP_PENDING, { runId: "run-now" });
    log.records.push(pending);

    // Act
    await run({ decisions: [decision(MODEL, "stop")], pending: new Map([[MODEL.modelArn, pending]]) });

    // Assess
    assert.deepEqual(
      log.records.map((r) => [r.runId, r.status, r.followUpRegion]),
      [["run-now", "STOPPING", MODEL.region]],
    );
  });

  it("stops nothing when the earlier run's record cannot be superseded, and says so", async () => {
    // Prepare
    const { directory, log, run } = world();
    const pending = earlierRecord(STOP_PENDING);
    log.records.push(pending);
    log.failures.set("recordOutcome", awsError("ProvisionedThroughputExceededException", "slow down"));

    // Act
    const results = await run({
      decisions: [decision(MODEL, "stop")],
      pending: new Map([[MODEL.modelArn, pending]]),
    });

    // Assess
    assert.ok(!directory.calls.some((call) => call.startsWith("stopModel")));
    assert.deepEqual(results.errors, [
      {
        arn: MODEL.modelArn,
        message:
          "could not complete run run-before's STOP_PENDING record, so the model was not stopped: " +
          "ProvisionedThroughputExceededException: slow down",
      },
    ]);
  });

  it("closes an earlier run's STOP_PENDING record of a model it keeps, with the reason", async () => {
    // Prepare
    const { log, run } = world();
    const pending = earlierRecord(STOP_PENDING);
    log.records.push(pending);

    // Act
    await run({ decisions: [decision(MODEL, "keep")], pending: new Map([[MODEL.modelArn, pending]]) });

    // Assess
    assert.equal(log.records[0]?.status, "NOT_STOPPED");
    assert.equal(
      log.records[0]?.note,
      "run run-before ended before stopping the model; run run-now found it RUNNING and kept it: in use: 3 requests",
    );
  });

  it("stops at most MAX_STOPS_PER_RUN models, the most expensive first, and says why it kept the rest", async () => {
    // Prepare
    const { run } = world({ MAX_STOPS_PER_RUN: "1" });

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop", 4), decision(OTHER, "stop", 8)] });

    // Assess
    assert.deepEqual(
      results.stopped.map((d) => d.model.modelArn),
      [OTHER.modelArn],
    );
    assert.match(
      results.skipped[0]?.reason ?? "",
      /but kept: this run reached its cap of 1 stop \(MAX_STOPS_PER_RUN\)/,
    );
  });

  it("starts no stop with less time left than the margin, and lists the model as unfinished", async () => {
    // Prepare
    const { directory, run } = world({ DEADLINE_MARGIN_SECONDS: "30" }, 29_500);

    // Act
    const results = await run({ decisions: [decision(MODEL, "stop")] });

    // Assess
    assert.deepEqual(directory.calls, []);
    assert.deepEqual(results.unfinished, [
      {
        arn: MODEL.modelArn,
        reason:
          "idle, but not stopped: 29 s of the function's time left, under the 30 s kept for a stop and its log " +
          "write; it will be considered next run",
      },
    ]);
  });

  it("logs every verdict and every model not considered, and lists those first among the kept", async () => {
    // Prepare
    const { logger, run } = world();
    const notConsidered = [{ arn: "arn:odd", reason: "not considered: status NEW" }];

    // Act
    const results = await run({
      decisions: [decision(OTHER, "keep"), decision(MODEL, "stop")],
      notConsidered,
    });

    // Assess
    assert.deepEqual(results.skipped, [
      { arn: "arn:odd", reason: "not considered: status NEW" },
      { arn: OTHER.modelArn, reason: "in use: 3 requests" },
    ]);
    assert.deepEqual(
      logger.lines.map((line) => [line.level, line.message, line.extra.modelArn]),
      [
        ["warn", "not considered", "arn:odd"],
        ["info", "model kept", OTHER.modelArn],
        ["info", "idle model", MODEL.modelArn],
      ],
    );
  });
});
