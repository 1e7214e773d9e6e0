/** The phases that read and settle followed stops without starting anything: follow-ups, started by hand. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { followUps } from "../../lambda/phases/follow-ups.ts";
import { startedByHand } from "../../lambda/phases/started-by-hand.ts";
import { awsError, configWith, HOUR, NOW, REGION } from "./fakes.ts";
import { followedStop, followUpWorld } from "./follow-up-fixtures.ts";

describe("the follow-ups phase", () => {
  it("hands on the newest live stop of each model, and lets go of older ones, saying why on each record", async () => {
    // Prepare
    const older = followedStop("cats", "v1", { stoppedAt: new Date(NOW - 3 * HOUR).toISOString() });
    const newer = followedStop("cats", "v1");
    const other = followedStop("dogs", "v1");
    const deps = followUpWorld([older, newer, other]);

    // Act
    const found = await followUps(deps, configWith(), { runId: "run-now", now: deps.now });

    // Assess
    assert.deepEqual(
      found.records.map((record) => [record.modelArn, record.stoppedAt]),
      [
        [newer.modelArn, newer.stoppedAt],
        [other.modelArn, other.stoppedAt],
      ],
    );
    assert.deepEqual(found.retired, [
      {
        arn: older.modelArn,
        reason: "followed no more: the model was stopped again at 2026-11-28T02:00:00Z",
      },
    ]);
    const kept = deps.log.records.find((record) => record.stoppedAt === older.stoppedAt);
    assert.equal(kept?.followUpRegion, undefined);
  });

  it("lets go of a stop 8 days after it, saying that a stop without an evidence horizon was never regret-checked", async () => {
    // Prepare
    const { evidenceUntil: _, ...older } = followedStop("cats", "v1");
    const deps = followUpWorld([older], NOW + 8 * 24 * HOUR + 10_000);

    // Act
    const found = await followUps(deps, configWith(), { runId: "run-now", now: deps.now });

    // Assess
    assert.deepEqual(found.records, []);
    assert.equal(
      deps.record(older.modelArn)?.note,
      "followed no more: 8 days after the stop, its restart rule no longer applies; no regret check: the record " +
        "has no evidenceUntil (it was written before the stopper recorded its evidence horizon)",
    );
  });

  it("ignores warnings and dry-run records in the index, and follows nothing up in a dry run", async () => {
    // Prepare
    const warning = followedStop("cats", "v1", { kind: "warning", status: "WARNED" });
    const deps = followUpWorld([warning]);

    // Act
    const found = await followUps(deps, configWith(), { runId: "run-now", now: deps.now });
    const dry = await followUps(deps, configWith({ DRY_RUN: "true" }), { runId: "run-now", now: deps.now });

    // Assess
    assert.deepEqual(found, { records: [], retired: [], errors: [] });
    assert.equal(
      deps.record(warning.modelArn)?.followUpRegion,
      REGION,
      "a warning is the nightly run's business",
    );
    assert.deepEqual(dry, { records: [], retired: [], errors: [] });
  });

  it("reports a region whose followed stops could not be read", async () => {
    // Prepare
    const deps = followUpWorld([]);
    deps.log.failures.set("followUps", awsError("ProvisionedThroughputExceededException", "slow down"));

    // Act
    const found = await followUps(deps, configWith(), { runId: "run-now", now: deps.now });

    // Assess
    assert.deepEqual(found.errors, [
      {
        message:
          "could not read the stops followed up in us-east-1: ProvisionedThroughputExceededException: slow down",
      },
    ]);
  });
});

describe("the started-by-hand phase", () => {
  it("marks a model found running within a day of its stop, reading the statuses of the region in one call", async () => {
    // Prepare
    const byHand = followedStop("cats", "v1");
    const stillStopped = followedStop("cats", "v2");
    const deps = followUpWorld([byHand, stillStopped], NOW + 5 * HOUR + 30 * 60_000);
    deps.directory.statuses.set(byHand.modelArn, "RUNNING");

    // Act
    const found = await startedByHand(deps, { now: deps.now, followed: [byHand, stillStopped] });

    // Assess
    assert.deepEqual(
      found.startedByHand.map(({ record, seenAt }) => [record.modelArn, seenAt]),
      [[byHand.modelArn, deps.now]],
    );
    assert.deepEqual(found.remaining, [stillStopped]);
    assert.deepEqual(
      deps.directory.calls.filter((call) => call.startsWith("modelStatuses")),
      [`modelStatuses ${REGION} ${byHand.modelArn} ${stillStopped.modelArn}`],
    );
    const record = deps.record(byHand.modelArn);
    assert.equal(record?.status, "STARTED_BY_HAND");
    assert.equal(record?.startedByHandAt, "2026-11-28T07:30:00Z");
    assert.match(
      String(record?.note),
      /^started again by hand 5 hours after the stop \(seen running at 2026-11-28T07:30:00Z\); the stopper did not start it$/,
    );
  });

  it("looks no further than a day after the stop", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop], NOW + 25 * HOUR);
    deps.directory.statuses.set(stop.modelArn, "RUNNING");

    // Act
    const found = await startedByHand(deps, { now: deps.now, followed: [stop] });

    // Assess
    assert.deepEqual(found.startedByHand, []);
    assert.deepEqual(deps.directory.calls, []);
  });

  it("reports a status it could not read, and lets go of a model that no longer exists", async () => {
    // Prepare
    const unreadable = followedStop("cats", "v1");
    const gone = followedStop("cats", "v2");
    const deps = followUpWorld([unreadable, gone]);
    deps.directory.failures.set(unreadable.modelArn, awsError("ThrottlingException", "Rate exceeded"));
    deps.directory.statuses.delete(gone.modelArn);

    // Act
    const found = await startedByHand(deps, { now: deps.now, followed: [unreadable, gone] });

    // Assess
    assert.deepEqual(found.errors, [
      { arn: unreadable.modelArn, message: "could not read the model's status: Rate exceeded" },
    ]);
    assert.deepEqual(found.remaining, [unreadable]);
    assert.equal(deps.record(gone.modelArn)?.note, "followed no more: the model no longer exists");
  });
});
