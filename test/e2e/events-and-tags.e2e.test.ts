/**
 * End to end: what a user sees in their account after a run, besides the stops: one EventBridge event per stop,
 * warning and restart on the default bus of the model's region, and the tag `auto-stop:last-action` on the model. The
 * real bundle against the sandbox (both functions), its calls checked against each function's synthesized role; one
 * `cdk synth` per setting.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FOLLOW_UP_ACCESS_KEY_ID } from "../../sandbox/function-permissions.ts";
import type { SeedProject, SeedVersion } from "../../sandbox/index.ts";
import type { StopperWorld } from "../../sandbox/stopper-world.ts";
import { insertLateRequest } from "../support/late-request.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const stopper = useSynthesizedStopper({ regions: "us-east-1,eu-west-1" });
const quiet = useSynthesizedStopper({ publishEvents: "false", tagLastAction: "false" });

const idle = (name: string, units = 1, extra: Partial<SeedVersion> = {}): SeedVersion => ({
  name,
  status: "RUNNING",
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units }],
  ...extra,
});
const busy = (name: string): SeedVersion => idle(name, 1, { requests: [{ minutesAgo: 15, count: 3 }] });

/** Two idle models in us-east-1, one in eu-west-1, and a busy one. */
const account = (): SeedProject[] => [
  { name: "shelf", versions: [idle("a", 2), idle("b"), busy("busy")] },
  { name: "fleet", region: "eu-west-1", versions: [idle("v1")] },
];

// An ISO-8601 UTC time without milliseconds.
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe("events and the last-action tag", () => {
  it("puts one 'Idle Model Stopped' event per stop on the default bus of its model's region, with its detail", async () => {
    const w = await stopper.world({ seed: { projects: account() } });
    const arn = (project: string, version: string, region = "us-east-1") =>
      w.sandbox.rekognition.modelArn(project, version, region);

    const run = await w.invoke({}, { requestId: "events-run" });

    assert.equal(run.exitCode, 0, run.stderr);
    const stopped = [arn("shelf", "a"), arn("shelf", "b"), arn("fleet", "v1", "eu-west-1")].sort();
    assert.deepEqual([...(run.result?.stopped ?? [])].sort(), stopped);
    assert.deepEqual(run.result?.errors, []);
    assert.deepEqual(run.result?.announced, { events: 3, tagged: 3, failed: 0 });
    const events = w.sandbox.eventbridge.events;
    assert.deepEqual(events.map((event) => event.resources[0]).sort(), stopped);
    const items = await w.items();
    for (const event of events) {
      const modelArn = event.resources[0] as string;
      const region = modelArn.split(":")[3] as string;
      const item = items.find((record) => record.modelArn === modelArn);
      assert.equal(event.source, "idle-model-stopper");
      assert.equal(event.detailType, "Idle Model Stopped");
      assert.equal(event.region, region, "the model's own region");
      assert.equal(event.eventBusArn, `arn:aws:events:${region}:${w.sandbox.account}:event-bus/default`);
      const { at, ...detail } = event.detail as { at: string } & Record<string, unknown>;
      assert.match(at, TIME);
      assert.equal(event.time, Date.parse(at), "the event's time is the stop's");
      assert.deepEqual(detail, {
        version: "1",
        action: "stopped",
        modelArn,
        accountId: w.sandbox.account,
        projectName: item?.projectName,
        versionName: item?.versionName,
        region,
        runId: "events-run",
        reason: item?.reason,
        inferenceUnits: item?.inferenceUnits,
        estimatedHourlyCostUsd: item?.estimatedHourlyCostUsd,
        evidenceUntil: item?.evidenceUntil,
        logRecord: { tableName: w.env.LOG_TABLE_NAME, modelArn, stoppedAt: item?.stoppedAt },
      });
    }
    const a = events.find((event) => event.resources[0] === arn("shelf", "a"));
    assert.equal(a?.detail.inferenceUnits, 2);
    assert.equal(a?.detail.estimatedHourlyCostUsd, 8);
  });

  it("tags each stopped model auto-stop:last-action=stopped <time>, keeps its other tags, and tags no other model", async () => {
    const [shelf, fleet] = account() as [SeedProject, SeedProject];
    const [a, ...rest] = shelf.versions ?? [];
    const projects = [
      { ...shelf, versions: [{ ...(a as SeedVersion), tags: { team: "vision" } }, ...rest] },
      fleet,
    ];
    const w = await stopper.world({ seed: { projects } });
    const arn = (project: string, version: string, region = "us-east-1") =>
      w.sandbox.rekognition.modelArn(project, version, region);

    const run = await w.invoke();

    assert.equal(run.exitCode, 0, run.stderr);
    const tagOf = (modelArn: string) => w.sandbox.rekognition.model(modelArn)?.tags["auto-stop:last-action"];
    const events = new Map(w.sandbox.eventbridge.events.map((e) => [e.resources[0], e.detail.at]));
    for (const modelArn of [arn("shelf", "a"), arn("shelf", "b"), arn("fleet", "v1", "eu-west-1")])
      assert.equal(tagOf(modelArn), `stopped ${events.get(modelArn)}`, modelArn);
    assert.equal(w.sandbox.rekognition.model(arn("shelf", "a"))?.tags.team, "vision");
    assert.equal(tagOf(arn("shelf", "busy")), undefined);
    const tagCalls = w.sandbox.calls.filter((call) => call.operation === "TagResource");
    assert.deepEqual(tagCalls.map((call) => call.resource).sort(), [...events.keys()].sort());
  });

  it("a model tagged by an earlier run is judged as before: the tag is no opt-out and no near miss", async () => {
    const w = await stopper.world({
      seed: {
        projects: [
          {
            name: "shelf",
            versions: [idle("a", 1, { tags: { "auto-stop:last-action": "stopped 2026-11-20T02:00:05Z" } })],
          },
        ],
      },
    });

    const run = await w.invoke();

    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(run.result?.stopped, [w.sandbox.rekognition.modelArn("shelf", "a")]);
    assert.doesNotMatch(run.stdout + run.stderr, /looks like an opt-out/);
    assert.match(
      w.sandbox.rekognition.model(w.sandbox.rekognition.modelArn("shelf", "a"))?.tags[
        "auto-stop:last-action"
      ] ?? "",
      /^stopped (?!2026-11-20T02:00:05Z)/,
    );
  });

  it("warns with an 'Idle Model Warned' event and a 'warned <time>' tag, the event saying when the stop may come", async () => {
    const w = await stopper.world({ seed: { projects: [{ name: "shelf", versions: [idle("a")] }] } });
    const modelArn = w.sandbox.rekognition.modelArn("shelf", "a");

    const run = await w.invoke({ WARN_BEFORE_STOP_HOURS: "8" }, { requestId: "warn-run" });

    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(run.result?.stopped, []);
    const [event, ...more] = w.sandbox.eventbridge.events;
    assert.deepEqual(more, []);
    assert.equal(event?.detailType, "Idle Model Warned");
    assert.equal(event?.detail.action, "warned");
    assert.equal(event?.detail.stopNotBefore, run.result?.warned[0]?.stopNotBefore);
    const [warning] = await w.items();
    assert.deepEqual(event?.detail.logRecord, {
      tableName: w.env.LOG_TABLE_NAME,
      modelArn,
      stoppedAt: warning?.stoppedAt,
    });
    assert.equal(
      w.sandbox.rekognition.model(modelArn)?.tags["auto-stop:last-action"],
      `warned ${event?.detail.at}`,
    );
  });

  it("in a dry run puts no event and writes no tag: nothing in the account changes", async () => {
    const w = await stopper.world({ seed: { projects: account() } });

    const run = await w.invoke({ DRY_RUN: "true" });

    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.result?.stopped.length, 3);
    assert.deepEqual(w.sandbox.eventbridge.events, []);
    const changes = w.sandbox.calls.filter((c) => ["PutEvents", "TagResource"].includes(c.operation));
    assert.deepEqual(changes, []);
    assert.deepEqual(run.result?.announced, { events: 0, tagged: 0, failed: 0 });
  });

  it("with a failing EventBridge and TagResource still stops every idle model, and names each failure", async () => {
    const w = await stopper.world({
      seed: { projects: account() },
      faults: {
        eventbridge: { operations: { PutEvents: { serverErrorRate: 1 } } },
        rekognition: { operations: { TagResource: { throttleRate: 1 } } },
      },
    });

    const run = await w.invoke({ AWS_MAX_ATTEMPTS: "2" });

    assert.equal(run.exitCode, 0, run.stderr);
    const stopped = run.result?.stopped ?? [];
    assert.equal(stopped.length, 3);
    for (const modelArn of stopped)
      assert.match(w.sandbox.rekognition.model(modelArn)?.status ?? "", /^STOPP(ING|ED)$/);
    assert.deepEqual(run.result?.announced, { events: 0, tagged: 0, failed: 6 });
    const errors = run.result?.errors ?? [];
    for (const modelArn of stopped) {
      const own = errors.filter((error) => error.arn === modelArn).map((error) => error.message);
      assert.equal(own.length, 2, modelArn);
      assert.ok(own.some((m) => /^could not put its "Idle Model Stopped" event .*InternalException/.test(m)));
      assert.ok(
        own.some((m) => /^could not tag it auto-stop:last-action=stopped .*ThrottlingException/.test(m)),
      );
    }
    // Each call was tried twice (AWS_MAX_ATTEMPTS=2): the SDK's retry, not ours, handles a failed call.
    assert.equal(w.sandbox.calls.filter((c) => c.operation === "PutEvents").length, 2 * 2);
    assert.equal(w.sandbox.calls.filter((c) => c.operation === "TagResource").length, 3 * 2);
    const records = await w.items();
    assert.ok(records.every((record) => record.status === "STOPPING"));
  });

  it("with publishEvents and tagLastAction off, stops as before, puts no event and writes no tag", async () => {
    const w = await quiet.world({ seed: { projects: account().slice(0, 1) } });

    const run = await w.invoke();

    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.result?.stopped.length, 2);
    assert.deepEqual(w.sandbox.eventbridge.events, []);
    assert.deepEqual(
      w.sandbox.calls.filter((c) => ["PutEvents", "TagResource"].includes(c.operation)),
      [],
    );
  });
});

const MINUTE = 60_000;

/** A world at 02:00 UTC whose sandbox clock the test moves, with one idle model `batch/nightly` of 2 units. */
async function nightAt(fixture: typeof stopper, versionTags: Record<string, string> = {}) {
  const T = Date.UTC(2026, 10, 28, 2, 0, 0);
  const clock = { now: T };
  const world = await fixture.world({
    clock: () => clock.now,
    seed: {
      projects: [
        {
          name: "batch",
          versions: [idle("nightly", 2, { tags: versionTags })],
        },
      ],
    },
  });
  const arn = world.sandbox.rekognition.modelArn("batch", "nightly");
  return {
    world,
    arn,
    T,
    /** Moves the sandbox's clock, and returns the options that start the function's clock there too. */
    at(time: number) {
      clock.now = time;
      return { clockStart: time };
    },
  };
}

const announcingCalls = (world: StopperWorld) =>
  world.sandbox.calls.filter((call) => ["PutEvents", "TagResource"].includes(call.operation));

describe("restarts announced", () => {
  it("a stop the regret check undoes after a late datapoint puts 'Idle Model Stopped' then 'Idle Model Restarted', and leaves the tag restarted <time>", async () => {
    // Prepare
    const { world, arn, T, at } = await nightAt(stopper);
    insertLateRequest(world, { project: "batch", version: "nightly" }, T - MINUTE, 4);
    const night = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual(night.result?.stopped, [arn], "the request was not visible yet: the model is stopped");

    // Act
    const followUp = await world.invokeFollowUp({}, at(T + 65 * MINUTE));

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.deepEqual(followUp.result?.errors, []);
    assert.equal(followUp.result?.restarted.length, 1);
    assert.deepEqual(followUp.result?.announced, { events: 1, tagged: 1, failed: 0 });
    const [stopped, restarted, ...more] = world.sandbox.eventbridge.events;
    assert.deepEqual(more, []);
    assert.deepEqual(
      [stopped?.detailType, restarted?.detailType],
      ["Idle Model Stopped", "Idle Model Restarted"],
    );
    const [record] = (await world.items()).filter((item) => item.modelArn === arn);
    assert.equal(record?.status, "RESTARTED");
    assert.equal(restarted?.detail.at, record?.restartedAt);
    assert.equal(restarted?.time, Date.parse(String(record?.restartedAt)));
    assert.deepEqual(restarted?.resources, [arn]);
    assert.equal(
      restarted?.eventBusArn,
      `arn:aws:events:us-east-1:${world.sandbox.account}:event-bus/default`,
    );
    assert.equal(
      restarted?.detail.reason,
      "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
    );
    assert.deepEqual(restarted?.detail.restart, {
      by: "regret-check",
      lateRequests: {
        from: "2026-11-28T01:45:00Z",
        to: record?.completedAt,
        firstAt: "2026-11-28T01:59:00Z",
        count: 4,
      },
    });
    assert.deepEqual(restarted?.detail.logRecord, stopped?.detail.logRecord, "the stop's own record");
    assert.equal(restarted?.detail.estimatedHourlyCostUsd, 8);
    assert.equal(
      world.sandbox.rekognition.model(arn)?.tags["auto-stop:last-action"],
      `restarted ${record?.restartedAt}`,
    );
    // The follow-up function made its own calls, each checked against its own role.
    assert.deepEqual(
      announcingCalls(world)
        .filter((call) => call.accessKeyId === FOLLOW_UP_ACCESS_KEY_ID)
        .map((call) => call.operation)
        .sort(),
      ["PutEvents", "TagResource"],
    );
  });

  it("a restart by tag puts 'Idle Model Restarted' with the rule and where it was found", async () => {
    // Prepare: the rule says 06:00 UTC; with the default 45-minute lead the start is due from 05:15.
    const { world, arn, T, at } = await nightAt(stopper, { "auto-stop:restart": "daily 06:00 UTC" });
    const night = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual(night.result?.stopped, [arn]);

    // Act
    const followUp = await world.invokeFollowUp({}, at(Date.UTC(2026, 10, 28, 5, 20)));

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.deepEqual(
      followUp.result?.restarted.map((restart) => restart.by),
      ["schedule"],
    );
    const restarted = world.sandbox.eventbridge.events.find((e) => e.detailType === "Idle Model Restarted");
    assert.deepEqual(restarted?.detail.restart, {
      by: "restart-rule",
      rule: "daily 06:00 UTC",
      ruleSource: "tag auto-stop:restart on the model",
    });
    const [record] = (await world.items()).filter((item) => item.modelArn === arn);
    assert.equal(
      world.sandbox.rekognition.model(arn)?.tags["auto-stop:last-action"],
      `restarted ${record?.restartedAt}`,
    );
  });

  it("with publishEvents and tagLastAction off, the follow-up undoes the stop and announces nothing", async () => {
    // Prepare
    const { world, arn, T, at } = await nightAt(quiet);
    insertLateRequest(world, { project: "batch", version: "nightly" }, T - MINUTE, 4);
    await world.invoke({}, { ...at(T), requestId: "nightly-1" });

    // Act
    const followUp = await world.invokeFollowUp({}, at(T + 65 * MINUTE));

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.equal(followUp.result?.restarted.length, 1);
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
    assert.deepEqual(world.sandbox.eventbridge.events, []);
    assert.deepEqual(announcingCalls(world), []);
    assert.deepEqual(followUp.result?.announced, { events: 0, tagged: 0, failed: 0 });
  });
});
