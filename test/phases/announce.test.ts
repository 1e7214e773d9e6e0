/**
 * The announce phase with plain fakes: one event per action on its model's region's default bus, the last-action
 * tag on each model, nothing in a dry run or with a setting off, and every failure named with its model while the
 * stops stand. Also a whole run: a failing EventBridge or TagResource changes no stop.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Announcement } from "../../lambda/core/announcement.ts";
import type { Decision } from "../../lambda/core/decide.ts";
import { actionsOfRun, announce, announcementOf } from "../../lambda/phases/announce.ts";
import { runStopper } from "../../lambda/run.ts";
import {
  awsError,
  configWith,
  FakeDirectory,
  FakeEvents,
  FakeLogger,
  FakeStopLog,
  FakeTagger,
  FakeUsage,
  NOW,
  runningModel,
} from "./fakes.ts";

const decisionOf = (project: string, version: string, region = "us-east-1"): Decision => ({
  model: runningModel(project, version, region),
  verdict: {
    action: "stop",
    reason: "no requests for 3h00m; in service for the whole window",
    facts: {
      idleMinutes: 180,
      inferenceUnits: 2,
      estimatedHourlyCostUsd: 8,
      evidenceUntil: "2026-11-28T01:57:00Z",
    },
    cause: "idle",
  },
});

const STOP_AT = NOW + 5_000;
const stopped = (project: string, version: string, region = "us-east-1"): Announcement =>
  announcementOf(decisionOf(project, version, region), "stopped", {
    at: STOP_AT,
    loggedAt: new Date(NOW).toISOString(),
  });

function world(env: Record<string, string> = {}) {
  const events = new FakeEvents();
  const tagger = new FakeTagger();
  const logger = new FakeLogger();
  return { events, tagger, logger, config: configWith(env) };
}

describe("the announce phase", () => {
  it("puts each stop's event on the default bus of its model's region, in batches per region", async () => {
    // Prepare
    const w = world();
    const actions = [stopped("cats", "v1"), stopped("dogs", "v1", "eu-west-1"), stopped("cats", "v2")];

    // Act
    const announced = await announce(w, w.config, { runId: "run-1", actions });

    // Assess
    assert.deepEqual(
      w.events.put_.map((call) => [call.region, call.entries.map((e) => e.resources[0])]),
      [
        ["us-east-1", [actions[0]?.model.modelArn, actions[2]?.model.modelArn]],
        ["eu-west-1", [actions[1]?.model.modelArn]],
      ],
    );
    assert.deepEqual(announced, { events: 3, tagged: 3, errors: [] });
    const first = w.events.entries[0];
    assert.equal(first?.source, "idle-model-stopper");
    assert.equal(first?.detailType, "Idle Model Stopped");
    assert.equal(first?.time, NOW + 5_000);
    assert.equal(JSON.parse(first?.detail ?? "{}").logRecord.tableName, "stops");
  });

  it("tags each model <optOutTagKey>:last-action with the action and its time, to the second", async () => {
    // Prepare
    const w = world({ OPT_OUT_TAG_KEY: "team:auto-stop" });
    const action = announcementOf(decisionOf("cats", "v1"), "stopped", { at: NOW + 5_678 });

    // Act
    await announce(w, w.config, { runId: "run-1", actions: [action] });

    // Assess
    assert.deepEqual(w.tagger.tags.get(action.model.modelArn), {
      "team:auto-stop:last-action": "stopped 2026-11-28T02:00:05Z",
    });
  });

  it("announces a restart with its own event and tag", async () => {
    // Prepare
    const w = world();
    const action = announcementOf(decisionOf("cats", "v1"), "restarted", { at: NOW });

    // Act
    const announced = await announce(w, w.config, { runId: "follow-up-1", actions: [action] });

    // Assess
    assert.equal(announced.events, 1);
    assert.equal(w.events.entries[0]?.detailType, "Idle Model Restarted");
    assert.equal(
      w.tagger.tags.get(action.model.modelArn)?.["auto-stop:last-action"],
      "restarted 2026-11-28T02:00:00Z",
    );
  });

  it("in a dry run puts no event and writes no tag", async () => {
    // Prepare
    const w = world({ DRY_RUN: "true" });

    // Act
    const announced = await announce(w, w.config, { runId: "run-1", actions: [stopped("cats", "v1")] });

    // Assess
    assert.deepEqual(announced, { events: 0, tagged: 0, errors: [] });
    assert.deepEqual(w.events.put_, []);
    assert.deepEqual(w.tagger.calls, []);
  });

  it("with publishEvents off puts no event, and with tagLastAction off writes no tag", async () => {
    // Prepare
    const noEvents = world({ PUBLISH_EVENTS: "false" });
    const noTags = world({ TAG_LAST_ACTION: "false" });
    const actions = [stopped("cats", "v1")];

    // Act
    const a = await announce(noEvents, noEvents.config, { runId: "run-1", actions });
    const b = await announce(noTags, noTags.config, { runId: "run-1", actions });

    // Assess
    assert.deepEqual([noEvents.events.put_, a.events, a.tagged], [[], 0, 1]);
    assert.deepEqual([noTags.tagger.calls, b.events, b.tagged], [[], 1, 0]);
  });

  it("names each refused entry and each failed tag with its model, and goes on with the others", async () => {
    // Prepare
    const w = world();
    const [cats, dogs] = [stopped("cats", "v1"), stopped("dogs", "v1")];
    w.events.refused.set(cats.model.modelArn, "ThrottlingException");
    w.tagger.failures.set(dogs.model.modelArn, awsError("AccessDeniedException", "not authorized"));

    // Act
    const announced = await announce(w, w.config, { runId: "run-1", actions: [cats, dogs] });

    // Assess
    assert.equal(announced.events, 1);
    assert.equal(announced.tagged, 1);
    assert.deepEqual(announced.errors, [
      {
        arn: cats.model.modelArn,
        message:
          'could not put its "Idle Model Stopped" event on the default bus of us-east-1 (the model was stopped all ' +
          "the same): PutEvents refused the entry: ThrottlingException",
      },
      {
        arn: dogs.model.modelArn,
        message:
          "could not tag it auto-stop:last-action=stopped 2026-11-28T02:00:05Z (the model was stopped all the " +
          "same): AccessDeniedException: not authorized",
      },
    ]);
  });

  it("never rejects: a publisher that throws fails each of its entries", async () => {
    // Prepare
    const w = world({ TAG_LAST_ACTION: "false" });
    w.events.failure = new Error("socket hang up");

    // Act
    const announced = await announce(w, w.config, {
      runId: "run-1",
      actions: [stopped("cats", "v1"), stopped("cats", "v2")],
    });

    // Assess
    assert.equal(announced.events, 0);
    assert.deepEqual(
      announced.errors.map((error) => error.message.replace(/^.*: /, "")),
      ["socket hang up", "socket hang up"],
    );
  });
});

describe("the actions of a run", () => {
  it("are the models stopped (those with a stop record), then the models warned, each with its log key", () => {
    // Prepare
    const [a, b, c] = [decisionOf("cats", "a"), decisionOf("cats", "b"), decisionOf("cats", "c")];
    const loggedAt = new Date(NOW).toISOString();

    // Act
    const actions = actionsOfRun({
      stops: {
        stopped: [a, b],
        stopRecords: new Map([[a.model.modelArn, { stoppedAt: loggedAt, answeredAt: STOP_AT }]]),
      },
      warned: [{ decision: c, stopNotBefore: NOW + 8 * 3_600_000, loggedAt }],
      now: NOW,
    });

    // Assess
    assert.deepEqual(
      actions.map((action) => [
        action.action,
        action.model.versionName,
        action.at,
        action.logRecord?.stoppedAt,
      ]),
      [
        ["stopped", "a", STOP_AT, loggedAt],
        ["warned", "c", NOW, loggedAt],
      ],
    );
    assert.equal(actions[1]?.stopNotBefore, NOW + 8 * 3_600_000);
  });
});

describe("a run whose events and tags fail", () => {
  it("stops every idle model and records it; the failures are in the summary with each model's ARN", async () => {
    // Prepare
    const models = [runningModel("cats", "v1"), runningModel("cats", "v2")];
    const directory = new FakeDirectory([models]);
    const log = new FakeStopLog();
    const events = new FakeEvents();
    events.failure = awsError("InternalException", "try again");
    const tagger = new FakeTagger();
    tagger.failures.set(models[0]?.modelArn ?? "", awsError("ThrottlingException", "Rate exceeded"));
    const deps = {
      directory,
      usage: new FakeUsage(),
      log,
      logger: new FakeLogger(),
      clock: () => NOW,
      events,
      tagger,
    };

    // Act
    const summary = await runStopper(deps, configWith({ DISCOVERY: "full" }), "run-1");

    // Assess
    assert.deepEqual([...summary.stopped].sort(), models.map((m) => m.modelArn).sort());
    assert.deepEqual(directory.calls.filter((call) => call.startsWith("stopModel")).length, 2);
    assert.deepEqual(summary.announced, { events: 0, tagged: 1, failed: 3 });
    assert.deepEqual(
      summary.errors.map((error) => [error.arn, error.message.replace(/ \(the model.*$/, "")]).sort(),
      [
        [models[0]?.modelArn, 'could not put its "Idle Model Stopped" event on the default bus of us-east-1'],
        [models[0]?.modelArn, "could not tag it auto-stop:last-action=stopped 2026-11-28T02:00:00Z"],
        [models[1]?.modelArn, 'could not put its "Idle Model Stopped" event on the default bus of us-east-1'],
      ].sort(),
    );
    assert.equal(
      tagger.tags.get(models[1]?.modelArn ?? "")?.["auto-stop:last-action"],
      "stopped 2026-11-28T02:00:00Z",
    );
  });
});

describe("a run's last-action tags", () => {
  it("tags each model as soon as it is stopped, while the other stops go on, and once only", async () => {
    // Prepare
    const models = [runningModel("cats", "v1"), runningModel("cats", "v2"), runningModel("cats", "v3")];
    const directory = new FakeDirectory([models]);
    const tagger = new FakeTagger();
    // One timeline of the stops and the tags.
    const tag = tagger.tag.bind(tagger);
    tagger.tag = async (region, modelArn, tags) => {
      directory.calls.push(`tag ${modelArn}`);
      return tag(region, modelArn, tags);
    };
    const deps = {
      directory,
      usage: new FakeUsage(),
      log: new FakeStopLog(),
      logger: new FakeLogger(),
      clock: () => NOW,
      tagger,
    };

    // Act
    const summary = await runStopper(deps, configWith({ DISCOVERY: "full", STOP_CONCURRENCY: "1" }), "run-1");

    // Assess
    const timeline = directory.calls
      .filter((call) => /^(stopModel|tag) /.test(call))
      .map((call) => `${call.split(" ")[0]} ${call.split("/version/")[1]?.split("/")[0]}`);
    assert.deepEqual(timeline, [
      "stopModel v1",
      "tag v1",
      "stopModel v2",
      "tag v2",
      "stopModel v3",
      "tag v3",
    ]);
    assert.equal(tagger.calls.length, 3, "each model tagged once, not again by the announce phase");
    assert.deepEqual(summary.announced, { events: 0, tagged: 3, failed: 0 });
  });
});
