import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STOP_PENDING, type StopRecord } from "../../lambda/core/stop-record.ts";
import { followUps } from "../../lambda/phases/follow-ups.ts";
import { reconcile } from "../../lambda/phases/reconcile.ts";
import { regretCheck } from "../../lambda/phases/regret-check.ts";
import {
  awsError,
  configWith,
  FakeDirectory,
  FakeLogger,
  FakeStopLog,
  FakeUsage,
  HOUR,
  NOW,
  REGION,
  runningModel,
} from "./fakes.ts";
import { requestsAt } from "./follow-up-fixtures.ts";

const MODEL = runningModel("cats", "v1");

/** A record an earlier run wrote before its stop and never completed. */
const pendingRecord: StopRecord = {
  modelArn: MODEL.modelArn,
  stoppedAt: "2026-11-27T02:00:00.000Z",
  dryRun: false,
  projectName: "cats",
  versionName: "v1",
  region: REGION,
  reason: "idle",
  idleMinutes: 180,
  evidenceUntil: "2026-11-27T01:58:00Z",
  runId: "run-before",
  status: STOP_PENDING,
  pendingRegion: REGION,
  expiresAt: 0,
};

function world(status: string | undefined | Error) {
  const directory = new FakeDirectory();
  if (status instanceof Error) directory.failures.set(MODEL.modelArn, status);
  else if (status) directory.statuses.set(MODEL.modelArn, status);
  const log = new FakeStopLog();
  log.records.push(pendingRecord);
  return { directory, log, usage: new FakeUsage(), logger: new FakeLogger(), clock: () => NOW };
}

describe("the reconcile phase", () => {
  const UNTOLD =
    "; not followed up (no undo, no restart by rule): whether that run's stop or someone else stopped the model " +
    "cannot be told";
  const completions: { status: string | undefined; recorded: string; found: string; untold: boolean }[] = [
    { status: "STOPPED", recorded: "STOPPED", found: "STOPPED", untold: true },
    { status: "STOPPING", recorded: "STOPPING", found: "STOPPING", untold: true },
    { status: undefined, recorded: "NOT_FOUND", found: "gone", untold: false },
  ];
  for (const { status, recorded, found, untold } of completions) {
    it(`completes an earlier run's record from the model's real status, following up none: ${status ?? "no such model"}`, async () => {
      // Prepare
      const deps = world(status);

      // Act
      const reconciled = await reconcile(deps, configWith(), { runId: "run-now" });

      // Assess
      assert.deepEqual(reconciled, { pending: new Map(), errors: [] });
      // Completing a record takes it out of the PendingStops index; the model may have been stopped by its owner
      // meanwhile, so it goes into no follow-up.
      const { pendingRegion: _, ...completed } = pendingRecord;
      assert.deepEqual(deps.log.records, [
        {
          ...completed,
          status: recorded,
          completedAt: "2026-11-28T02:00:00Z",
          reconciledBy: "run-now",
          note:
            `run run-before ended before recording the outcome of its stop; run run-now found the model ${found}` +
            (untold ? UNTOLD : ""),
        },
      ]);
    });
  }

  it("follows up a stop that a retry of the same run finds having taken effect", async () => {
    // Prepare: Lambda's retry of the run, minutes later, carries the same run id.
    const deps = world("STOPPING");

    // Act
    await reconcile(deps, configWith(), { runId: "run-before" });

    // Assess
    assert.equal(deps.log.records[0]?.status, "STOPPING");
    assert.equal(deps.log.records[0]?.followUpRegion, REGION);
    assert.equal(
      deps.log.records[0]?.note,
      "run run-before ended before recording the outcome of its stop; run run-before found the model STOPPING",
    );
  });

  it("never lets a follow-up start a model its owner stopped after a run ended before its stop", async () => {
    // Prepare: the run ended before StopProjectVersion; the model served all day; its owner stopped it by hand.
    const deps = world("STOPPED");
    deps.usage.requests.set(MODEL.modelArn, requestsAt("2026-11-27T14:00:00Z"));
    await reconcile(deps, configWith(), { runId: "run-now" });

    // Act
    const followed = await followUps(deps, configWith(), { runId: "follow-up", now: NOW + HOUR });
    const regretted = await regretCheck(deps, configWith(), {
      runId: "follow-up",
      now: NOW + HOUR,
      followed: followed.records,
      by: "follow-up",
    });

    // Assess
    assert.deepEqual(followed.records, []);
    assert.deepEqual(regretted.restarted, []);
    assert.ok(!deps.directory.calls.some((call) => call.startsWith("startModel")));
  });

  it("hands on the record of a model still running, for this run's decision to complete", async () => {
    // Prepare
    const deps = world("RUNNING");

    // Act
    const reconciled = await reconcile(deps, configWith(), { runId: "run-now" });

    // Assess
    assert.deepEqual([...reconciled.pending], [[MODEL.modelArn, pendingRecord]]);
    assert.deepEqual(deps.log.records, [pendingRecord]);
  });

  it("reports a record whose model's status cannot be read, and leaves it pending", async () => {
    // Prepare
    const deps = world(awsError("ThrottlingException", "Rate exceeded"));

    // Act
    const reconciled = await reconcile(deps, configWith(), { runId: "run-now" });

    // Assess
    assert.deepEqual(reconciled.errors, [
      {
        arn: MODEL.modelArn,
        message: "could not complete its STOP_PENDING record: ThrottlingException: Rate exceeded",
      },
    ]);
    assert.deepEqual(deps.log.records, [pendingRecord]);
  });

  it("reports each region whose unfinished records cannot be looked for", async () => {
    // Prepare
    const deps = world("STOPPED");
    deps.log.failures.set("pendingRecords", awsError("ResourceNotFoundException", "no table"));

    // Act
    const reconciled = await reconcile(deps, configWith({ REGIONS: "us-east-1,eu-west-1" }), {
      runId: "run-now",
    });

    // Assess
    assert.deepEqual(
      reconciled.errors.map((error) => error.message),
      ["us-east-1", "eu-west-1"].map(
        (region) =>
          `could not look for unfinished log records in ${region}: ResourceNotFoundException: no table`,
      ),
    );
  });

  it("in a dry run, neither reads nor completes any record", async () => {
    // Prepare
    const deps = world("STOPPED");

    // Act
    const reconciled = await reconcile(deps, configWith({ DRY_RUN: "true" }), { runId: "run-now" });

    // Assess
    assert.deepEqual(reconciled, { pending: new Map(), errors: [] });
    assert.deepEqual([...deps.log.calls, ...deps.directory.calls], []);
  });
});
