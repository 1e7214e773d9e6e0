import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../lambda/core/decide.ts";
import type { RunningModel } from "../../lambda/core/types.ts";
import type { RunMetrics } from "../../lambda/dependencies.ts";
import { type ReportInput, report } from "../../lambda/phases/report.ts";
import type { StopResults } from "../../lambda/phases/stop-and-record.ts";
import { awsError, configWith, FakeLogger, FakeNotifier, MINUTE, NOW, runningModel } from "./fakes.ts";

const [A, B, C] = ["a", "b", "c"].map((name) => runningModel(name, "v1")) as [
  RunningModel,
  RunningModel,
  RunningModel,
];

const stop = (model: RunningModel, costUsd: number): Decision => ({
  model,
  verdict: { action: "stop", reason: "idle", facts: { idleMinutes: 180, estimatedHourlyCostUsd: costUsd } },
});

const NOTHING: StopResults = { stopped: [], skipped: [], errors: [], unfinished: [] };

class FakeMetrics implements RunMetrics {
  readonly added: [string, string, number][] = [];
  published = 0;
  addMetric(name: string, unit: "Count" | "None", value: number): void {
    this.added.push([name, unit, value]);
  }
  publishStoredMetrics(): void {
    this.published += 1;
  }
}

function world() {
  const deps = {
    logger: new FakeLogger(),
    notifier: new FakeNotifier(),
    metrics: new FakeMetrics(),
    clock: () => NOW + 2 * MINUTE,
  };
  const run = (input: Partial<ReportInput>) =>
    report(deps, configWith(), {
      runId: "run-now",
      now: NOW,
      reconciled: { errors: [] },
      assessment: { decisions: [], errors: [], unfinished: [] },
      stops: NOTHING,
      ...input,
    });
  return { ...deps, run };
}

describe("the report phase", () => {
  it("lists the stops in the order they were decided, whatever order they finished in, with their savings", async () => {
    // Prepare
    const { run } = world();
    const decisions = [stop(A, 4), stop(B, 8.126), stop(C, 2)];

    // Act
    const summary = await run({
      assessment: { decisions, errors: [], unfinished: [] },
      stops: { ...NOTHING, stopped: [decisions[2], decisions[0], decisions[1]] as Decision[] },
    });

    // Assess
    assert.deepEqual(summary.stopped, [A.modelArn, B.modelArn, C.modelArn]);
    assert.equal(summary.scanned, 3);
    assert.equal(summary.estimatedHourlySavingsUsd, 14.13);
  });

  it("puts together the errors and the unfinished of every phase, in the order the phases ran", async () => {
    // Prepare
    const { run } = world();

    // Act
    const summary = await run({
      reconciled: { errors: [{ message: "reconcile" }] },
      assessment: {
        decisions: [],
        errors: [{ message: "assess" }],
        unfinished: [{ arn: "p", reason: "late" }],
      },
      stops: { ...NOTHING, errors: [{ message: "stop" }], unfinished: [{ arn: "m", reason: "later" }] },
    });

    // Assess
    assert.deepEqual(
      summary.errors.map((e) => e.message),
      ["reconcile", "assess", "stop"],
    );
    assert.deepEqual(
      summary.unfinished.map((u) => u.arn),
      ["p", "m"],
    );
  });

  const digests: { name: string; stops: StopResults; sent: number }[] = [
    { name: "a run that stopped a model", stops: { ...NOTHING, stopped: [stop(A, 4)] }, sent: 1 },
    { name: "a run that hit an error", stops: { ...NOTHING, errors: [{ message: "boom" }] }, sent: 1 },
    { name: "a quiet run", stops: NOTHING, sent: 0 },
  ];
  for (const { name, stops, sent } of digests) {
    it(`sends ${sent} digest for ${name}`, async () => {
      // Prepare
      const { notifier, run } = world();

      // Act
      await run({ stops });

      // Assess
      assert.equal(notifier.sent.length, sent);
    });
  }

  it("reports a digest that could not be sent among the errors, and still publishes the metrics", async () => {
    // Prepare
    const { notifier, metrics, logger, run } = world();
    notifier.failure = awsError("AuthorizationError", "no");

    // Act
    const summary = await run({ stops: { ...NOTHING, stopped: [stop(A, 4)] } });

    // Assess
    assert.deepEqual(summary.errors, [{ message: "could not publish the digest: AuthorizationError: no" }]);
    assert.equal(metrics.published, 1);
    assert.deepEqual(logger.lines.at(-1)?.extra, { summary, took: "2m" });
  });

  it("publishes the run's counts and savings once", async () => {
    // Prepare
    const { metrics, run } = world();

    // Act
    await run({
      assessment: { decisions: [stop(A, 4), stop(B, 4)], errors: [], unfinished: [] },
      stops: { ...NOTHING, stopped: [stop(A, 4)], skipped: [{ arn: B.modelArn, reason: "cap" }] },
    });

    // Assess
    assert.deepEqual(metrics.added, [
      ["ModelsScanned", "Count", 2],
      ["ModelsStopped", "Count", 1],
      ["ModelsKept", "Count", 1],
      ["Errors", "Count", 0],
      ["EstimatedHourlySavingsUsd", "None", 4],
      ["ModelsWarned", "Count", 0],
      ["ModelsRestarted", "Count", 0],
      ["ModelsRegretted", "Count", 0],
      ["ModelsStartedByHand", "Count", 0],
    ]);
    assert.equal(metrics.published, 1);
  });

  it("reports the warnings: the models warned in the summary, the digest and ModelsWarned, and those closed", async () => {
    // Prepare
    const { metrics, notifier, run } = world();
    const stopNotBefore = NOW + 8 * 60 * MINUTE;

    // Act
    const summary = await run({
      mode: "warn",
      assessment: { decisions: [stop(A, 4), stop(B, 4)], errors: [], unfinished: [] },
      warnings: {
        warned: [{ decision: stop(A, 4), stopNotBefore }],
        closed: [{ arn: C.modelArn, status: "CLEARED", note: "used since the warning: in use" }],
        errors: [{ arn: B.modelArn, message: "tag auto-stop:notify on the model=x was not used" }],
      },
    });

    // Assess
    assert.equal(summary.mode, "warn");
    assert.deepEqual(summary.warned, [{ arn: A.modelArn, stopNotBefore: "2026-11-28T10:00:00Z" }]);
    assert.deepEqual(summary.warningsClosed, [
      { arn: C.modelArn, status: "CLEARED", note: "used since the warning: in use" },
    ]);
    assert.deepEqual(summary.errors, [
      { arn: B.modelArn, message: "tag auto-stop:notify on the model=x was not used" },
    ]);
    assert.equal(notifier.sent.length, 1);
    assert.equal(notifier.sent[0]?.subject, "idle-model-stopper: warned 1 model, 1 error");
    assert.match(notifier.sent[0]?.message ?? "", /^Warning pass run-now /);
    assert.deepEqual(
      metrics.added.find(([name]) => name === "ModelsWarned"),
      ["ModelsWarned", "Count", 1],
    );
  });
});
