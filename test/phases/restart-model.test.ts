import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StartOutcomeUnknownError } from "../../lambda/adapters/rekognition.ts";
import { RESTART_PENDING, type StopRecord } from "../../lambda/core/stop-record.ts";
import { restartModel, resumeClaims } from "../../lambda/phases/restart-model.ts";
import { awsError, configWith, HOUR, MINUTE, NOW, REGION } from "./fakes.ts";
import { followedStop, followUpWorld } from "./follow-up-fixtures.ts";

const config = configWith();
const REASON = "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop";

/** Restarts the stopped model as the regret check does, in the run "run-now". */
const restartRegretted = (deps: ReturnType<typeof followUpWorld>, stop: StopRecord) =>
  restartModel(deps, config, { runId: "run-now", record: stop, by: "regret", reason: REASON });

/** The StartProjectVersion calls made, as the fake directory lists them. */
const starts = (deps: ReturnType<typeof followUpWorld>) =>
  deps.directory.calls.filter((call) => call.startsWith("startModel"));

describe("restarting a stopped model", () => {
  it("reads its status, claims its record, starts it with its units, then records the restart", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);

    // Act
    const result = await restartRegretted(deps, stop);

    // Assess
    assert.equal(result.kind, "restarted");
    assert.deepEqual(deps.directory.calls, [
      `modelStatus ${REGION} ${stop.modelArn}`,
      `changeFollowUp ${stop.modelArn} claim-restart`,
      `startModel ${REGION} ${stop.modelArn} 2-3`,
      `changeFollowUp ${stop.modelArn} restarted`,
    ]);
    const record = deps.record(stop.modelArn);
    assert.deepEqual(
      {
        status: record?.status,
        by: record?.restartedBy,
        reason: record?.restartReason,
        cost: record?.restartHourlyCostUsd,
        claimedBy: record?.restartClaimedBy,
        followed: record?.followUpRegion,
      },
      {
        status: "RESTARTED",
        by: "regret",
        reason: REASON,
        cost: 8,
        claimedBy: "run-now",
        followed: undefined,
      },
    );
  });

  const notStopped: { status: string | undefined; kind: string; why: RegExp; followed: boolean }[] = [
    {
      status: "STOPPING",
      kind: "not-restarted",
      why: /^not restarted yet: the model is STOPPING/,
      followed: true,
    },
    {
      status: "DELETING",
      kind: "not-restarted",
      why: /^not restarted yet: the model is DELETING/,
      followed: true,
    },
    {
      status: undefined,
      kind: "not-restarted",
      why: /^followed no more: the model no longer exists$/,
      followed: false,
    },
    { status: "RUNNING", kind: "started-by-hand", why: /./, followed: false },
    { status: "STARTING", kind: "started-by-hand", why: /./, followed: false },
  ];
  for (const { status, kind, why, followed } of notStopped) {
    it(`never starts a model that is ${status ?? "gone"}, nor claims it`, async () => {
      // Prepare
      const stop = followedStop("cats", "v1");
      const deps = followUpWorld([stop]);
      if (status) deps.directory.statuses.set(stop.modelArn, status);
      else deps.directory.statuses.delete(stop.modelArn);

      // Act
      const result = await restartRegretted(deps, stop);

      // Assess
      assert.equal(result.kind, kind);
      if (result.kind === "not-restarted") assert.match(result.reason, why);
      assert.deepEqual(starts(deps), []);
      assert.ok(!deps.directory.calls.some((call) => call.endsWith("claim-restart")));
      assert.equal(deps.record(stop.modelArn)?.followUpRegion !== undefined, followed);
    });
  }

  it("counts a model running again more than a day after the stop as no longer the stopper's, not as started by hand", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop], NOW + 30 * HOUR);
    deps.directory.statuses.set(stop.modelArn, "RUNNING");

    // Act
    const result = await restartModel(deps, config, {
      runId: "run-now",
      record: stop,
      by: "schedule",
      reason: "rule",
    });

    // Assess
    assert.equal(result.kind, "not-restarted");
    assert.equal(deps.record(stop.modelArn)?.status, "STOPPING");
    assert.match(
      String(deps.record(stop.modelArn)?.note),
      /^followed no more: the model was found RUNNING at /,
    );
  });

  it("does not start a model whose record another run has claimed", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    Object.assign(deps.log.records[0] as object, {
      status: RESTART_PENDING,
      restartClaimedBy: "other-run",
      restartClaimedAt: new Date(deps.now).toISOString(),
    });

    // Act
    const result = await restartRegretted(deps, stop);

    // Assess
    assert.deepEqual(result, {
      kind: "not-restarted",
      reason: "another run claimed its restart first",
      done: false,
    });
    assert.deepEqual(starts(deps), []);
    assert.equal(deps.record(stop.modelArn)?.restartClaimedBy, "other-run");
  });

  it("counts a start whose record could not be completed only once recorded, by the follow-up that completes it", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    const change = deps.log.changeFollowUp.bind(deps.log);
    deps.log.changeFollowUp = async (key, update) => {
      if (update.kind === "restarted") throw awsError("InternalServerError", "lost");
      return change(key, update);
    };

    // Act
    const result = await restartRegretted(deps, stop);

    // Assess
    assert.equal(result.kind, "not-restarted");
    assert.match(
      result.kind === "not-restarted" ? (result.problem?.message ?? "") : "",
      /^started again, but the outcome could not be recorded; the log record still says RESTART_PENDING/,
    );
    assert.equal(deps.directory.statuses.get(stop.modelArn), "STARTING");
    assert.equal(deps.record(stop.modelArn)?.status, RESTART_PENDING);
  });

  it("keeps the claim when whether the model started is unknown, for a later follow-up to settle", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    deps.directory.startOutcomes.set(
      stop.modelArn,
      new StartOutcomeUnknownError(stop.modelArn, awsError("InternalServerError", "oops")),
    );

    // Act
    const result = await restartRegretted(deps, stop);

    // Assess
    assert.equal(result.kind, "not-restarted");
    assert.match(
      result.kind === "not-restarted" ? (result.problem?.message ?? "") : "",
      /whether it started is unknown; the log record still says RESTART_PENDING and a later follow-up completes it/,
    );
    assert.equal(deps.record(stop.modelArn)?.status, RESTART_PENDING);
  });

  const refusals: { error: Error; done: boolean }[] = [
    { error: awsError("ThrottlingException", "Rate exceeded"), done: false },
    {
      error: Object.assign(awsError("AccessDeniedException", "not allowed"), { $fault: "client" }),
      done: true,
    },
    {
      error: Object.assign(awsError("LimitExceededException", "too many units"), { $fault: "client" }),
      done: false,
    },
  ];
  for (const { error, done } of refusals) {
    it(`gives the claim back when AWS refuses the start with ${error.name}, ${done ? "and stops following" : "to try again next time"}`, async () => {
      // Prepare
      const stop = followedStop("cats", "v1");
      const deps = followUpWorld([stop]);
      deps.directory.startOutcomes.set(stop.modelArn, error);

      // Act
      const result = await restartRegretted(deps, stop);

      // Assess
      assert.equal(result.kind, "not-restarted");
      const record = deps.record(stop.modelArn);
      assert.equal(record?.status, "STOPPED");
      assert.equal(record?.restartedBy, undefined);
      assert.equal(record?.followUpRegion !== undefined, !done);
      assert.match(
        String(record?.note),
        new RegExp(`not restarted: StartProjectVersion failed: ${error.name}`),
      );
    });
  }
});

describe("the resume claims phase", () => {
  it("completes a claim left by a run that died after its start, from the model's status, without starting it again", async () => {
    // Prepare
    const stop = followedStop("cats", "v1", {
      status: RESTART_PENDING,
      restartClaimedBy: "dead-run",
      restartClaimedAt: new Date(NOW + 30 * MINUTE).toISOString(),
      restartedBy: "regret",
      restartReason: REASON,
    });
    const deps = followUpWorld([stop]);
    deps.directory.statuses.set(stop.modelArn, "STARTING");

    // Act
    const result = await resumeClaims(deps, config, { runId: "run-now", now: deps.now, followed: [stop] });

    // Assess: the run that records a restart counts it.
    assert.deepEqual(
      result.restarted.map(({ by, reason }) => [by, reason]),
      [["regret", REASON]],
    );
    assert.deepEqual(starts(deps), []);
    assert.equal(deps.record(stop.modelArn)?.status, "RESTARTED");
    assert.match(
      String(deps.record(stop.modelArn)?.note),
      /run dead-run claimed the restart and ended before recording/,
    );
  });

  it("starts the model when the run that claimed it died before its start, and leaves a fresh claim alone", async () => {
    // Prepare
    const stale = followedStop("cats", "v1", {
      status: RESTART_PENDING,
      restartClaimedBy: "dead-run",
      restartClaimedAt: new Date(NOW + 30 * MINUTE).toISOString(),
      restartedBy: "schedule",
      restartReason: "rule",
    });
    const fresh = followedStop("cats", "v2", {
      status: RESTART_PENDING,
      restartClaimedBy: "running-run",
      restartClaimedAt: new Date(NOW + 60 * MINUTE).toISOString(),
    });
    const deps = followUpWorld([stale, fresh]);

    // Act
    const result = await resumeClaims(deps, config, {
      runId: "run-now",
      now: deps.now,
      followed: [stale, fresh],
    });

    // Assess
    assert.deepEqual(
      result.restarted.map(({ record }) => record.modelArn),
      [stale.modelArn],
    );
    assert.deepEqual(starts(deps), [`startModel ${REGION} ${stale.modelArn} 2-3`]);
    assert.equal(deps.record(fresh.modelArn)?.restartClaimedBy, "running-run");
    assert.deepEqual(result.remaining, []);
  });
});
