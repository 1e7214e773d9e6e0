import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../lambda/core/decide.ts";
import { buildWarningRecord, type StopRecord } from "../../lambda/core/stop-record.ts";
import type { NamedVerdict, RunningModel, VerdictCause } from "../../lambda/core/types.ts";
import {
  MAX_VANISHED_CHECKS,
  type RunMode,
  settleWarnings,
  warnBeforeStop,
} from "../../lambda/phases/warn.ts";
import {
  awsError,
  configWith,
  FakeDirectory,
  FakeLogger,
  FakeNotifier,
  FakeStopLog,
  FakeUsage,
  MINUTE,
  NOW,
  runningModel,
} from "./fakes.ts";

const HOUR = 60 * MINUTE;
const MODEL = runningModel("cats", "v1");
const TOPIC = "arn:aws:sns:us-east-1:123456789012:cats-team";

const idle = (model: RunningModel = MODEL, notify?: Decision["notify"]): Decision => ({
  model,
  verdict: {
    action: "stop",
    reason: "idle: no requests from A to B",
    facts: { idleMinutes: 180, estimatedHourlyCostUsd: 4, evidenceUntil: "2026-11-28T01:58:00Z" },
    cause: "idle",
  },
  ...(notify && { notify }),
});

const kept = (cause: VerdictCause, model: RunningModel = MODEL): Decision => ({
  model,
  verdict: { action: "keep", reason: `kept: ${cause}`, facts: { idleMinutes: 180 }, cause },
});

/** A warning an earlier run wrote, `hoursAgo` before NOW, for a stop `warnHours` after it. */
function warning(hoursAgo: number, warnHours = 8, overrides: Partial<StopRecord> = {}): StopRecord {
  const at = NOW - hoursAgo * HOUR;
  return {
    ...buildWarningRecord(
      {
        ...idle(),
        verdict: {
          ...idle().verdict,
          facts: { idleMinutes: 180, evidenceUntil: new Date(at - 2 * MINUTE).toISOString() },
        },
      },
      { runId: "earlier", now: at, dryRun: false, ttlDays: 400, stopNotBefore: at + warnHours * HOUR },
    ),
    ...overrides,
  };
}

function world(env: Record<string, string> = { WARN_BEFORE_STOP_HOURS: "8" }) {
  const directory = new FakeDirectory();
  const usage = new FakeUsage();
  const log = new FakeStopLog();
  const logger = new FakeLogger();
  const notifier = new FakeNotifier();
  let remaining = Number.POSITIVE_INFINITY;
  const deps = {
    directory,
    usage,
    log,
    logger,
    notifier,
    clock: () => NOW + 1000,
    remainingMs: () => remaining,
  };
  const config = configWith(env);
  const warn = (
    decisions: Decision[],
    options: { mode?: RunMode; scheduledAt?: number; judgedByName?: NamedVerdict[] } = {},
  ) =>
    warnBeforeStop(deps, config, {
      runId: "run-now",
      now: NOW,
      scheduledAt: options.scheduledAt ?? NOW,
      mode: options.mode ?? "run",
      decisions,
      ...(options.judgedByName && { judgedByName: options.judgedByName }),
    });
  /** Sets the function's time left, in ms. */
  const setRemaining = (ms: number) => {
    remaining = ms;
  };
  return { directory, usage, log, logger, notifier, warn, setRemaining };
}

const statusOf = (log: FakeStopLog) => log.records.map((r) => [r.kind, r.status]);

describe("the warn phase: a model about to be stopped", () => {
  it("with warnings off, is left to be stopped, and the open warnings are still looked for", async () => {
    // Prepare
    const { log, warn } = world({});

    // Act
    const warned = await warn([idle()]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "stop");
    assert.deepEqual(log.records, []);
    assert.deepEqual(log.calls, ["followUps us-east-1"]);
  });

  it("with warnings on, is warned instead: a WARNED record, kept this run, in the digest's list", async () => {
    // Prepare
    const { log, notifier, warn } = world();
    const scheduledAt = NOW - 3000;

    // Act
    const warned = await warn([idle()], { scheduledAt });

    // Assess
    const [decision] = warned.decisions;
    assert.equal(decision?.verdict.action, "keep");
    assert.equal(decision?.verdict.cause, "held");
    assert.equal(
      decision?.verdict.reason,
      "warned: will be stopped at about 2026-11-28T09:59:57Z unless it is used or tagged; idle: no requests from A to B",
    );
    assert.deepEqual(
      warned.warned.map((w) => [w.decision.verdict.action, w.stopNotBefore]),
      [["stop", scheduledAt + 8 * HOUR]],
    );
    const [record] = log.records;
    assert.deepEqual(
      [record?.kind, record?.status, record?.followUpRegion, record?.stopNotBefore, record?.stoppedAt],
      ["warning", "WARNED", "us-east-1", "2026-11-28T09:59:57Z", "2026-11-28T02:00:00.000Z"],
    );
    assert.equal(record?.evidenceUntil, "2026-11-28T01:58:00Z");
    assert.deepEqual(notifier.sentTo, [], "no notify tag, no message of its own");
    assert.deepEqual(warned.errors, []);
  });

  it("gets a message of its own on the topic its notify tag names", async () => {
    // Prepare
    const { notifier, warn } = world();

    // Act
    const warned = await warn([
      idle(MODEL, { topicArn: TOPIC, source: "tag auto-stop:notify on the model" }),
    ]);

    // Assess
    assert.deepEqual(
      notifier.sentTo.map((m) => [m.topicArn, m.subject]),
      [[TOPIC, "idle-model-stopper: cats/v1 to be stopped at about 2026-11-28T10:00:00Z"]],
    );
    assert.equal(warned.warned[0]?.notifiedTopicArn, TOPIC);
    assert.deepEqual(notifier.sent, [], "the digest is the report phase's");
  });

  it("with a bad notify tag, is warned all the same, and the tag is reported, not used", async () => {
    // Prepare
    const { notifier, warn } = world();
    const bad = {
      invalid: "arn:aws:sns:us-east-1:999999999999:x",
      source: "tag auto-stop:notify on the project",
      problem: "another account",
    };

    // Act
    const warned = await warn([idle(MODEL, bad)]);

    // Assess
    assert.deepEqual(notifier.sentTo, []);
    assert.equal(warned.warned.length, 1);
    assert.deepEqual(warned.errors, [
      {
        arn: MODEL.modelArn,
        message:
          "tag auto-stop:notify on the project=arn:aws:sns:us-east-1:999999999999:x was not used: another account; " +
          "the warning went to the stopper's own topic only",
      },
    ]);
  });

  it("in a dry run, is recorded as a dry run's warning and no owner is told", async () => {
    // Prepare
    const { log, notifier, warn } = world({ WARN_BEFORE_STOP_HOURS: "8", DRY_RUN: "true" });

    // Act
    await warn([idle(MODEL, { topicArn: TOPIC, source: "tag auto-stop:notify on the model" })]);

    // Assess
    assert.deepEqual(
      log.records.map((r) => [r.status, r.dryRun]),
      [["WARNED", true]],
    );
    assert.deepEqual(notifier.sentTo, []);
  });

  it("is kept, not stopped unwarned, when its warning cannot be written", async () => {
    // Prepare
    const { log, notifier, warn } = world();
    log.failures.set("writeIntent", awsError("ProvisionedThroughputExceededException", "slow down"));

    // Act
    const warned = await warn([
      idle(MODEL, { topicArn: TOPIC, source: "tag auto-stop:notify on the model" }),
    ]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "keep");
    assert.equal(warned.decisions[0]?.verdict.cause, "unsure");
    assert.deepEqual(warned.warned, []);
    assert.deepEqual(notifier.sentTo, []);
    assert.match(
      warned.errors[0]?.message ?? "",
      /^could not write its warning record, so it was neither warned nor stopped: /,
    );
  });

  it("is kept to be safe when the region's open warnings cannot be read", async () => {
    // Prepare
    const { log, warn } = world();
    log.failures.set("followUps", awsError("AccessDeniedException", "no index"));

    // Act
    const warned = await warn([idle(), kept("in-use", runningModel("dogs", "v1"))]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "keep");
    assert.match(
      warned.decisions[0]?.verdict.reason ?? "",
      /^kept to be safe: could not read the open warnings in us-east-1, so whether the model was warned cannot be told/,
    );
    assert.deepEqual(warned.errors, [
      { message: "could not read the open warnings in us-east-1: AccessDeniedException: no index" },
    ]);
    assert.deepEqual(log.records, []);
  });
});

describe("the warn phase: a model warned earlier", () => {
  // The warning was written 8 hours before NOW, for a stop 8 hours after it: due exactly at NOW.
  const timing: { name: string; scheduledAt: number; mode?: RunMode; action: string; reason?: RegExp }[] = [
    { name: "due at the run's scheduled time", scheduledAt: NOW, action: "stop" },
    {
      name: "due a millisecond after the run's scheduled time",
      scheduledAt: NOW - 1,
      action: "keep",
      reason:
        /^warned at 2026-11-27T18:00:00Z: will be stopped at about 2026-11-28T02:00:00Z unless it is used or tagged; idle/,
    },
    {
      name: "due, but this run is a warning pass",
      scheduledAt: NOW + HOUR,
      mode: "warn",
      action: "keep",
      reason:
        /^warned at 2026-11-27T18:00:00Z: the warning is due, and the next full run stops it unless it is used or tagged/,
    },
  ];
  for (const { name, scheduledAt, mode, action, reason } of timing) {
    it(`is ${action === "stop" ? "left to be stopped" : "kept"} when ${name}`, async () => {
      // Prepare
      const { log, warn } = world();
      log.records.push(warning(8));

      // Act
      const warned = await warn([idle()], { scheduledAt, ...(mode && { mode }) });

      // Assess
      const verdict = warned.decisions[0]?.verdict;
      assert.equal(verdict?.action, action, verdict?.reason);
      if (reason) assert.match(verdict?.reason ?? "", reason);
      assert.equal(log.records.length, 1, "no second warning");
      assert.deepEqual(warned.warned, []);
      assert.equal(warned.due.has(MODEL.modelArn), action === "stop");
    });
  }

  it("is kept to be safe, not stopped, when its warning record gives no time it may be stopped from", async () => {
    // Prepare: a record edited by hand.
    const { log, warn } = world();
    log.records.push(warning(8, 8, { stopNotBefore: "tomorrow" }));

    // Act
    const warned = await warn([idle()], { scheduledAt: NOW + HOUR });

    // Assess
    const verdict = warned.decisions[0]?.verdict;
    assert.equal(verdict?.action, "keep");
    assert.equal(verdict?.cause, "unsure");
    assert.match(
      verdict?.reason ?? "",
      /^kept to be safe: its warning record \(2026-11-27T18:00:00.000Z\) gives no time it may be stopped from \(stopNotBefore "tomorrow"\); idle/,
    );
    assert.equal(warned.due.has(MODEL.modelArn), false);
    assert.deepEqual(warned.warned, []);
  });

  it("is stopped when due and idle since the warning's horizon, read in one call from that horizon", async () => {
    // Prepare
    const { log, usage, warn } = world();
    log.records.push(warning(8));

    // Act
    const warned = await warn([idle()]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "stop");
    assert.equal(
      warned.decisions[0]?.verdict.reason,
      "idle: no requests from A to B; warned at 2026-11-27T18:00:00Z, and no request since",
    );
    assert.deepEqual(
      usage.requestCalls.map((call) => [call.arns, call.range]),
      [[[MODEL.modelArn], { start: NOW - 8 * HOUR - 5 * MINUTE, end: NOW, periodSeconds: 300 }]],
    );
    assert.deepEqual(statusOf(log), [["warning", "WARNED"]], "closed only after the stop");
  });

  it("is kept, and its warning cleared, when a request arrived since the warning", async () => {
    // Prepare
    const { log, usage, warn } = world();
    log.records.push(warning(8));
    usage.requests.set(MODEL.modelArn, {
      requests: {
        SuccessfulRequestCount: [{ at: NOW - 4 * HOUR, value: 7 }],
        UserErrorCount: [],
        ServerErrorCount: [],
        ThrottledCount: [],
      },
    });

    // Act
    const warned = await warn([idle()]);

    // Assess
    const verdict = warned.decisions[0]?.verdict;
    assert.equal(verdict?.action, "keep");
    assert.equal(verdict?.cause, "in-use");
    assert.equal(
      verdict?.reason,
      "in use since the warning at 2026-11-27T18:00:00Z: 7 requests (7 successful) since 2026-11-27T17:55:00Z; " +
        "last request at 2026-11-27T22:00:00Z",
    );
    assert.deepEqual(statusOf(log), [["warning", "CLEARED"]]);
    assert.equal(log.records[0]?.note, `used since the warning: ${verdict?.reason}`);
    assert.equal(log.records[0]?.followUpRegion, undefined, "out of the FollowUps index");
    assert.deepEqual(
      warned.closed.map((c) => c.status),
      ["CLEARED"],
    );
  });

  it("is kept, still warned, when the requests since the warning cannot be read", async () => {
    // Prepare
    const { log, usage, warn } = world();
    log.records.push(warning(8));
    usage.requestFailure = awsError("Throttling", "Rate exceeded");

    // Act
    const warned = await warn([idle()]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "keep");
    assert.match(
      warned.decisions[0]?.verdict.reason ?? "",
      /^kept to be safe: could not read the requests since the warning at 2026-11-27T18:00:00Z \(GetMetricData failed: Throttling: Rate exceeded\)/,
    );
    assert.deepEqual(statusOf(log), [["warning", "WARNED"]]);
    assert.equal(warned.errors.length, 1);
  });

  const keeps: { cause: VerdictCause; status: string; note?: RegExp }[] = [
    { cause: "in-use", status: "CLEARED", note: /^used since the warning: kept: in-use$/ },
    {
      cause: "opted-out",
      status: "CLEARED",
      note: /^opted out or snoozed since the warning: kept: opted-out$/,
    },
    { cause: "started-recently", status: "CLEARED", note: /^started again since the warning: / },
    { cause: "unsure", status: "WARNED" },
  ];
  for (const { cause, status, note } of keeps) {
    it(`has its warning ${status === "CLEARED" ? "cleared" : "kept open"} when the model is kept as ${cause}`, async () => {
      // Prepare
      const { log, warn } = world();
      log.records.push(warning(2));

      // Act
      const warned = await warn([kept(cause)]);

      // Assess
      assert.deepEqual(statusOf(log), [["warning", status]]);
      if (note) assert.match(log.records[0]?.note ?? "", note);
      assert.equal(warned.decisions[0]?.verdict.reason, `kept: ${cause}`, "the verdict is left as it was");
    });
  }

  const vanished: { name: string; status?: string; failure?: Error; after: string; errors: number }[] = [
    { name: "stopped by someone", status: "STOPPED", after: "EXPIRED", errors: 0 },
    { name: "deleted", after: "EXPIRED", errors: 0 },
    { name: "still running (its project was not reached)", status: "RUNNING", after: "WARNED", errors: 0 },
    {
      name: "of a status that cannot be read",
      failure: awsError("ThrottlingException", "x"),
      after: "WARNED",
      errors: 1,
    },
  ];
  for (const { name, status, failure, after, errors } of vanished) {
    it(`has its warning ${after === "EXPIRED" ? "expired" : "kept open"} when the model was not judged and is ${name}`, async () => {
      // Prepare
      const { directory, log, warn } = world();
      log.records.push(warning(2));
      if (status) directory.statuses.set(MODEL.modelArn, status);
      if (failure) directory.failures.set(MODEL.modelArn, failure);

      // Act
      const warned = await warn([]);

      // Assess
      assert.deepEqual(statusOf(log), [["warning", after]]);
      if (after === "EXPIRED")
        assert.equal(
          log.records[0]?.note,
          `run run-now found the model ${status ?? "gone"}, no longer running`,
        );
      assert.equal(warned.errors.length, errors);
    });
  }

  // Metrics-first discovery keeps a busy model by its names, without describing it, so without its ARN.
  const byName = (cause: VerdictCause, region = MODEL.region): NamedVerdict => ({
    model: { region, projectName: MODEL.projectName, versionName: MODEL.versionName },
    verdict: kept(cause).verdict,
  });
  const namedKeeps: { cause: VerdictCause; status: string; note?: RegExp }[] = [
    { cause: "in-use", status: "CLEARED", note: /^used since the warning: kept: in-use$/ },
    { cause: "started-recently", status: "CLEARED", note: /^started again since the warning: / },
    { cause: "unsure", status: "WARNED" },
  ];
  for (const { cause, status, note } of namedKeeps) {
    it(`has its warning ${status === "CLEARED" ? "cleared" : "kept open"} when the model is judged by name only, as ${cause}`, async () => {
      // Prepare
      const { directory, log, warn } = world();
      log.records.push(warning(2));

      // Act
      const warned = await warn([], { judgedByName: [byName(cause)] });

      // Assess
      assert.deepEqual(statusOf(log), [["warning", status]]);
      if (note) assert.match(log.records[0]?.note ?? "", note);
      assert.deepEqual(
        directory.calls,
        [],
        "judged by name: its status is not read to see whether it vanished",
      );
      assert.deepEqual(warned.errors, []);
    });
  }

  it("keeps a warning open when only a model of the same names in another region was judged", async () => {
    // Prepare
    const { directory, log, warn } = world();
    log.records.push(warning(2));
    directory.statuses.set(MODEL.modelArn, "RUNNING");

    // Act
    await warn([], { judgedByName: [byName("in-use", "eu-west-1")] });

    // Assess
    assert.deepEqual(statusOf(log), [["warning", "WARNED"]]);
    assert.deepEqual(directory.calls, [`modelStatuses ${MODEL.region} ${MODEL.modelArn}`]);
  });

  it("reads the status of the warned models it did not judge a region at a time, and expires only those gone", async () => {
    // Prepare: three warned models its discovery did not reach; one still runs, one stopped, one unreadable.
    const { directory, log, warn } = world();
    const [running, stopped, unreadable] = ["v1", "v2", "v3"].map((version) =>
      runningModel("owls", version),
    ) as [RunningModel, RunningModel, RunningModel];
    for (const model of [running, stopped, unreadable])
      log.records.push(warning(2, 8, { modelArn: model.modelArn, versionName: model.versionName }));
    directory.statuses.set(running.modelArn, "RUNNING");
    directory.statuses.set(stopped.modelArn, "STOPPED");
    directory.failures.set(unreadable.modelArn, new Error("AccessDeniedException: no"));

    // Act
    const warned = await warn([]);

    // Assess
    assert.deepEqual(directory.calls, [
      `modelStatuses ${MODEL.region} ${running.modelArn} ${stopped.modelArn} ${unreadable.modelArn}`,
    ]);
    assert.deepEqual(
      log.records.map((r) => [r.versionName, r.status]),
      [
        ["v1", "WARNED"],
        ["v2", "EXPIRED"],
        ["v3", "WARNED"],
      ],
    );
    assert.deepEqual(warned.errors, [
      {
        arn: unreadable.modelArn,
        message: "could not read the status of a warned model: AccessDeniedException: no",
      },
    ]);
  });

  it(`reads the status of at most ${MAX_VANISHED_CHECKS} warned models it did not judge a run, the oldest warnings first`, async () => {
    // Prepare: one more warned, gone model than a run checks; the newest warning is left for a later run.
    const { directory, log, warn } = world();
    for (let index = 0; index <= MAX_VANISHED_CHECKS; index += 1) {
      const model = runningModel(`p${index}`, "v1");
      log.records.push(warning(3 - index / 100, 8, { modelArn: model.modelArn, projectName: `p${index}` }));
      directory.statuses.set(model.modelArn, "STOPPED");
    }

    // Act
    await warn([]);

    // Assess
    const statuses = log.records.map((r) => r.status);
    assert.equal(statuses.filter((status) => status === "EXPIRED").length, MAX_VANISHED_CHECKS);
    assert.equal(log.records.at(-1)?.status, "WARNED", "the newest warning waits");
  });

  it("leaves the warnings of models it did not judge open, unread, when the run is short of time", async () => {
    // Prepare: less left than the 3 deadline margins (30 s each) discovery keeps for the phases after it.
    const { directory, log, warn, setRemaining } = world();
    log.records.push(warning(2));
    directory.statuses.set(MODEL.modelArn, "STOPPED");
    setRemaining(89_000);

    // Act
    const warned = await warn([]);

    // Assess
    assert.deepEqual(directory.calls, []);
    assert.deepEqual(statusOf(log), [["warning", "WARNED"]]);
    assert.deepEqual(warned.errors, []);
  });

  it("has its warning expired once warnings are turned off, and is judged without one", async () => {
    // Prepare
    const { log, warn } = world({});
    log.records.push(warning(2));

    // Act
    const warned = await warn([idle()]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "stop");
    assert.deepEqual(statusOf(log), [["warning", "EXPIRED"]]);
    assert.match(log.records[0]?.note ?? "", /^warnings were turned off \(WARN_BEFORE_STOP_HOURS=0\)/);
  });

  it("is warned again by a live run when its only warning was a dry run's, which expires", async () => {
    // Prepare
    const { log, warn } = world();
    log.records.push(warning(9, 8, { dryRun: true }));

    // Act
    const warned = await warn([idle()]);

    // Assess
    assert.equal(warned.decisions[0]?.verdict.action, "keep");
    assert.deepEqual(
      log.records.map((r) => [r.dryRun, r.status]),
      [
        [true, "EXPIRED"],
        [false, "WARNED"],
      ],
    );
  });
});

describe("settling the warnings after the stops", () => {
  const looked = (action: "stop" | "keep", cause: VerdictCause): Decision => ({
    model: MODEL,
    verdict: { action, reason: `${cause} at the last look`, facts: { idleMinutes: 180 }, cause },
  });
  const cases: { name: string; decision: Decision; stopped: boolean; status: string; note?: string }[] = [
    {
      name: "stopped",
      decision: looked("stop", "idle"),
      stopped: true,
      status: "STOPPED_AFTER_WARNING",
      note: "stopped by run run-now",
    },
    {
      name: "kept at the last look",
      decision: looked("keep", "in-use"),
      stopped: false,
      status: "CLEARED",
      note: "used since the warning: in-use at the last look",
    },
    { name: "held by the cap", decision: looked("keep", "held"), stopped: false, status: "WARNED" },
    {
      name: "not stopped (the stop failed)",
      decision: looked("stop", "idle"),
      stopped: false,
      status: "WARNED",
    },
  ];
  for (const { name, decision, stopped, status, note } of cases) {
    it(`closes a due warning as ${status} when the model was ${name}`, async () => {
      // Prepare
      const log = new FakeStopLog();
      const record = warning(8);
      log.records.push(record);

      // Act
      const settled = await settleWarnings(
        { log, logger: new FakeLogger(), clock: () => NOW + 5000 },
        {
          runId: "run-now",
          due: new Map([[MODEL.modelArn, [record]]]),
          decisions: [decision],
          stopped: stopped ? [decision] : [],
        },
      );

      // Assess
      assert.deepEqual(statusOf(log), [["warning", status]]);
      if (note) assert.equal(log.records[0]?.note, note);
      assert.equal(settled.closed.length, status === "WARNED" ? 0 : 1);
    });
  }

  it("counts a warning another run closed first as closed, without an error", async () => {
    // Prepare
    const log = new FakeStopLog();
    const record = warning(8, 8, { status: "CLEARED" });
    log.records.push(record);

    // Act
    const settled = await settleWarnings(
      { log, logger: new FakeLogger(), clock: () => NOW },
      {
        runId: "run-now",
        due: new Map([[MODEL.modelArn, [record]]]),
        decisions: [looked("stop", "idle")],
        stopped: [looked("stop", "idle")],
      },
    );

    // Assess
    assert.deepEqual(settled.errors, []);
    assert.equal(log.records[0]?.status, "CLEARED");
  });
});
