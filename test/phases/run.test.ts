/**
 * The composition of the phases: the assessment streams within a region when overlapPhases is on, and takes one
 * phase at a time when it is off; a run goes reconcile, assess, stop and record, report. The streaming is shown
 * with the full discovery, whose source hands models over page by page (discover-from-metrics.test.ts shows the
 * other source).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MODELS_PER_CALL } from "../../lambda/adapters/metrics.ts";
import type { StopLog } from "../../lambda/adapters/stop-log.ts";
import type { Decision } from "../../lambda/core/decide.ts";
import { buildWarningRecord } from "../../lambda/core/stop-record.ts";
import type { RunningModel } from "../../lambda/core/types.ts";
import { assess, runStopper } from "../../lambda/run.ts";
import {
  awsError,
  busyUsage,
  configWith,
  FakeDirectory,
  FakeLogger,
  FakeStopLog,
  FakeUsage,
  HOUR,
  MINUTE,
  modelsOf,
  NOW,
  runningModel,
  settle,
} from "./fakes.ts";
import { followedStop, requestsAt } from "./follow-up-fixtures.ts";

/** An account whose first page holds a full metric batch of models, and whose second page waits. */
function twoPageAccount() {
  const directory = new FakeDirectory([modelsOf("cats", MODELS_PER_CALL), [runningModel("dogs", "v1")]]);
  const usage = new FakeUsage();
  const tagReads = () => directory.calls.filter((call) => call.startsWith("listTags")).length;
  // What the other phases had done when discovery was about to read its second page.
  const whileDiscovering = { tagReads: 0, metricCalls: 0 };
  directory.betweenPages = async () => {
    await settle();
    whileDiscovering.tagReads = tagReads();
    whileDiscovering.metricCalls = usage.calls.length;
  };
  // How many tag reads had been made when the first GetMetricData batch went out.
  let tagReadsAtFirstBatch: number | undefined;
  const readUsage = usage.readUsage.bind(usage);
  usage.readUsage = (...args) => {
    tagReadsAtFirstBatch ??= tagReads();
    return readUsage(...args);
  };
  return { directory, usage, whileDiscovering, tagReadsAtFirstBatch: () => tagReadsAtFirstBatch };
}

// Every model and both projects: 100 + 1 models, 2 projects.
const ALL_TAG_READS = MODELS_PER_CALL + 1 + 2;

describe("the assessment of a region", () => {
  it("with overlapPhases on, reads tags and sends a full metric batch while discovery is still going", async () => {
    // Prepare
    const account = twoPageAccount();

    // Act
    const assessment = await assess(account, configWith({ OVERLAP_PHASES: "true", DISCOVERY: "full" }), NOW);

    // Assess
    assert.deepEqual(account.whileDiscovering, { tagReads: MODELS_PER_CALL + 1, metricCalls: 1 });
    assert.equal(assessment.decisions.length, MODELS_PER_CALL + 1);
    assert.deepEqual(
      account.usage.calls.map((call) => call.arns.length),
      [MODELS_PER_CALL, 1],
    );
  });

  it("with overlapPhases off, reads no tag until discovery ends and no metric until every tag is read", async () => {
    // Prepare
    const account = twoPageAccount();

    // Act
    const assessment = await assess(account, configWith({ OVERLAP_PHASES: "false", DISCOVERY: "full" }), NOW);

    // Assess
    assert.deepEqual(account.whileDiscovering, { tagReads: 0, metricCalls: 0 });
    assert.equal(account.tagReadsAtFirstBatch(), ALL_TAG_READS);
    assert.equal(assessment.decisions.length, MODELS_PER_CALL + 1);
    assert.deepEqual(
      account.usage.calls.map((call) => call.arns.length),
      [MODELS_PER_CALL, 1],
    );
  });

  for (const overlap of ["true", "false"]) {
    it(`lists decisions in the order discovery found them, region by region, and every problem (overlap ${overlap})`, async () => {
      // Prepare
      const east = modelsOf("cats", 3, "us-east-1");
      const west = modelsOf("cats", 2, "eu-west-1");
      const directory = new FakeDirectory([[...east, ...west]], {
        errors: [{ message: "DescribeProjectVersions failed for one project" }],
        unfinished: [],
        notConsidered: [],
      });
      const usage = new FakeUsage();
      usage.usage.set(east[0]?.modelArn ?? "", busyUsage());
      usage.usage.set(west[1]?.modelArn ?? "", { error: "GetMetricData failed: Throttling" });
      const told: Decision[] = [];

      // Act
      const assessment = await assess(
        { directory, usage },
        configWith({ OVERLAP_PHASES: overlap, REGIONS: "us-east-1,eu-west-1", DISCOVERY: "full" }),
        NOW,
        { onDecision: (decision) => told.push(decision) },
      );

      // Assess
      assert.deepEqual(
        assessment.decisions.map((d) => [d.model.modelArn, d.verdict.action]),
        [
          [east[0]?.modelArn, "keep"],
          [east[1]?.modelArn, "stop"],
          [east[2]?.modelArn, "stop"],
          [west[0]?.modelArn, "stop"],
          [west[1]?.modelArn, "keep"],
        ],
      );
      assert.equal(told.length, 5);
      assert.deepEqual(assessment.errors.map((e) => e.message).sort(), [
        "DescribeProjectVersions failed for one project",
        "DescribeProjectVersions failed for one project",
        "GetMetricData failed: Throttling",
      ]);
    });
  }
});

describe("a run", () => {
  for (const discovery of ["full", "metrics-first"]) {
    it(`reconciles first, stops only after every decision, and reports last (discovery ${discovery})`, async () => {
      // Prepare
      const [busy, idle] = modelsOf("cats", 2);
      const directory = new FakeDirectory([[busy, idle].filter((m) => m !== undefined)]);
      const usage = new FakeUsage();
      usage.usage.set(busy?.modelArn ?? "", busyUsage());
      usage.usage.set("cats/v0", busyUsage());
      usage.listed = [busy, idle].filter((m) => m !== undefined);
      const log = new FakeStopLog(directory.calls);
      const logger = new FakeLogger();

      // Act
      const summary = await runStopper(
        { directory, usage, log, logger, clock: () => NOW },
        configWith({ DISCOVERY: discovery }),
        "run-now",
      );

      // Assess
      const steps = directory.calls.map((call) => call.split(" ")[0]);
      assert.equal(steps[0], "pendingRecords");
      assert.ok(steps.indexOf("stopModel") > steps.lastIndexOf("listTags"));
      assert.deepEqual(summary.stopped, [idle?.modelArn]);
      assert.equal(summary.scanned, 2);
      // Metrics-first discovery keeps the busy model by name, without describing it.
      assert.deepEqual(
        summary.skipped.map((s) => s.arn ?? `${s.region} ${s.model}`),
        [discovery === "full" ? busy?.modelArn : "us-east-1 cats/v0"],
      );
      assert.equal(logger.lines.at(-1)?.message, "run summary");
    });
  }

  /** One idle model, found by either discovery, and a run with `leftMs` of the function's time at its start. */
  const runWithTimeLeft = async (leftMs: number, env: Record<string, string>) => {
    const [idle] = modelsOf("cats", 1) as [RunningModel];
    const directory = new FakeDirectory([[idle]]);
    const usage = new FakeUsage();
    usage.listed = [idle];
    const deps = { directory, usage, log: new FakeStopLog(directory.calls), logger: new FakeLogger() };
    const summary = await runStopper(
      { ...deps, clock: () => NOW, remainingMs: () => leftMs },
      configWith(env),
      "run-now",
    );
    return { idle, summary };
  };

  // The shortest timeout synth allows for a margin, and the longest margin for the default timeout: a fresh
  // invocation of either still has time to discover, decide and stop.
  for (const [timeoutSeconds, margin] of [
    [120, "30"],
    [600, "150"],
  ] as const) {
    for (const discovery of ["full", "metrics-first"]) {
      it(`stops an idle model in a fresh ${timeoutSeconds} s invocation with a ${margin} s margin (discovery ${discovery})`, async () => {
        // Act: half a second of the timeout went on the cold start.
        const { idle, summary } = await runWithTimeLeft(timeoutSeconds * 1000 - 500, {
          DEADLINE_MARGIN_SECONDS: margin,
          DISCOVERY: discovery,
        });

        // Assess
        assert.deepEqual(summary.unfinished, []);
        assert.deepEqual(summary.errors, []);
        assert.deepEqual(summary.stopped, [idle.modelArn]);
      });
    }
  }

  it("reports a margin that leaves it nothing to discover, naming the margin, and stops nothing", async () => {
    // Act: a margin raised in the function's environment past what synth allows for a 2-minute timeout.
    const { summary } = await runWithTimeLeft(119_500, { DEADLINE_MARGIN_SECONDS: "40", DISCOVERY: "full" });

    // Assess
    assert.deepEqual(summary.stopped, []);
    assert.deepEqual(
      summary.errors.map((e) => e.message),
      [
        "the run started with 119 s left, no more than the 3 × DEADLINE_MARGIN_SECONDS=40 s discovery leaves for " +
          "deciding and stopping, so it discovered nothing: keep the margin at most 1/4 of the function's timeout " +
          "(lower DEADLINE_MARGIN_SECONDS or raise the timeout)",
      ],
    );
  });

  it("gives a candidate the metrics screen found the evidence horizon and the last look, like any other (discovery metrics-first)", async () => {
    // Prepare: two idle models, found by their metrics; one is called after the decision's read.
    const [quiet, called] = modelsOf("cats", 2) as [RunningModel, RunningModel];
    const directory = new FakeDirectory([[quiet, called]]);
    const usage = new FakeUsage();
    usage.listed = [quiet, called];
    const none = { SuccessfulRequestCount: [], UserErrorCount: [], ServerErrorCount: [], ThrottledCount: [] };
    usage.requests.set(called.modelArn, {
      requests: { ...none, SuccessfulRequestCount: [{ at: NOW - 60_000, value: 3 }] },
    });
    const log = new FakeStopLog(directory.calls);

    // Act
    const summary = await runStopper(
      { directory, usage, log, logger: new FakeLogger(), clock: () => NOW },
      configWith({ DISCOVERY: "metrics-first" }),
      "run-now",
    );

    // Assess: the screen's reading was the evidence (no second read), and the last look re-read both candidates.
    assert.equal(usage.screenCalls.length, 1);
    assert.equal(usage.calls.length, 0);
    assert.deepEqual(
      usage.requestCalls.map((call) => call.arns.sort()),
      [[quiet.modelArn, called.modelArn].sort()],
    );
    assert.deepEqual(summary.stopped, [quiet.modelArn]);
    assert.match(
      summary.skipped.find((s) => s.arn === called.modelArn)?.reason ?? "",
      /kept at the last look: 3 requests/,
    );
    // Its stop's record says how far the evidence reached and what the last look saw.
    const record = log.records.find((r) => r.modelArn === quiet.modelArn);
    assert.match(record?.evidenceUntil ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(record?.lastLook && "requests" in record.lastLook && record.lastLook.requests, 0);
  });
});

/**
 * An account in two regions with warnings on: in us-east-1 a stop of last night that a late request proved wrong and
 * an idle model never warned; in eu-west-1 an idle model whose warning (written 9 hours ago) is due.
 */
function followedAndWarned() {
  const fresh = runningModel("cats", "v1", "us-east-1");
  const warned = runningModel("dogs", "v1", "eu-west-1");
  const directory = new FakeDirectory([[fresh, warned]]);
  const usage = new FakeUsage();
  const log = new FakeStopLog();
  const wrong = followedStop("batch", "nightly", {
    stoppedAt: "2026-11-27T02:00:00.000Z",
    completedAt: "2026-11-27T02:00:05Z",
    evidenceUntil: "2026-11-27T01:58:00Z",
    runId: "scheduled-2026-11-27T02:00:00Z",
    status: "STOPPED",
  });
  directory.statuses.set(wrong.modelArn, "STOPPED");
  usage.requests.set(wrong.modelArn, requestsAt("2026-11-27T01:59:00Z"));
  const warnedAt = NOW - 9 * HOUR;
  const warning = buildWarningRecord(
    {
      model: warned,
      verdict: {
        action: "stop",
        reason: "idle",
        facts: { idleMinutes: 180, evidenceUntil: new Date(warnedAt - 2 * MINUTE).toISOString() },
        cause: "idle",
      },
    },
    {
      runId: "scheduled-2026-11-27T18:00:00Z",
      now: warnedAt,
      dryRun: false,
      ttlDays: 400,
      stopNotBefore: NOW - HOUR,
    },
  );
  log.records.push(wrong, warning);
  const config = configWith({
    REGIONS: "us-east-1,eu-west-1",
    DISCOVERY: "full",
    WARN_BEFORE_STOP_HOURS: "8",
  });
  const run = (runId: string, stopLog: StopLog = log) =>
    runStopper({ directory, usage, log: stopLog, logger: new FakeLogger(), clock: () => NOW }, config, runId);
  const followUpReads = () => log.calls.filter((call) => call.startsWith("followUps ")).sort();
  return { log, run, followUpReads, fresh, warned, wrong };
}

describe("a run's reads of the FollowUps index", () => {
  it("are one Query per region, whose stops the follow-ups take and whose open warnings the warn phase takes", async () => {
    // Prepare
    const { run, followUpReads, fresh, warned, wrong } = followedAndWarned();

    // Act
    const summary = await run("run-1");

    // Assess
    assert.deepEqual(followUpReads(), ["followUps eu-west-1", "followUps us-east-1"]);
    assert.deepEqual(
      summary.restarted.map((restart) => [restart.arn, restart.by]),
      [[wrong.modelArn, "regret"]],
    );
    assert.deepEqual(summary.stopped, [warned.modelArn], "the due warning was found");
    assert.deepEqual(
      summary.warningsClosed.map((closed) => [closed.arn, closed.status]),
      [[warned.modelArn, "STOPPED_AFTER_WARNING"]],
    );
    assert.deepEqual(
      summary.warned.map((w) => w.arn),
      [fresh.modelArn],
    );
  });

  it("are made again by the next run, which finds the warning this one wrote", async () => {
    // Prepare
    const { run, followUpReads, fresh } = followedAndWarned();
    await run("run-1");

    // Act
    const next = await run("run-2");

    // Assess
    assert.equal(followUpReads().length, 4);
    assert.ok(!next.warned.some((w) => w.arn === fresh.modelArn), "not warned twice");
    assert.match(next.skipped.find((kept) => kept.arn === fresh.modelArn)?.reason ?? "", /warned at/);
  });

  it("read a region again for the warnings when the follow-ups' read of it failed", async () => {
    // Prepare: the first Query of us-east-1 fails, as a throttled one would after the SDK's retries.
    const { log, run, followUpReads, fresh } = followedAndWarned();
    let failed = false;
    const flaky: StopLog = Object.assign(Object.create(log) as StopLog, {
      followUps: async (region: string) => {
        if (region === "us-east-1" && !failed) {
          failed = true;
          log.calls.push(`followUps ${region}`);
          throw awsError("ProvisionedThroughputExceededException", "slow down");
        }
        return log.followUps(region);
      },
    });

    // Act
    const summary = await run("run-1", flaky);

    // Assess
    assert.deepEqual(followUpReads(), ["followUps eu-west-1", "followUps us-east-1", "followUps us-east-1"]);
    assert.deepEqual(
      summary.errors.map((error) => error.message),
      [
        "could not read the stops followed up in us-east-1: ProvisionedThroughputExceededException: slow down",
      ],
    );
    assert.deepEqual(
      summary.warned.map((w) => w.arn),
      [fresh.modelArn],
      "warned, not kept for want of its open warnings",
    );
  });
});
