/**
 * Restarts announced, with plain fakes: every restart the stopper makes (the regret check's undo, a restart by rule)
 * puts `Idle Model Restarted` with why in its detail and tags the model `last-action=restarted <time>`, from the
 * follow-up function and from the nightly run, best effort like a stop. A start by hand is announced nowhere.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runFollowUp } from "../../lambda/follow-up.ts";
import { actionsOfRun, announcementOf } from "../../lambda/phases/announce.ts";
import type { Restart } from "../../lambda/phases/restart-model.ts";
import { runStopper } from "../../lambda/run.ts";
import {
  awsError,
  configWith,
  FakeDirectory,
  FakeEvents,
  FakeTagger,
  MINUTE,
  NOW,
  runningModel,
} from "./fakes.ts";
import { followedStop, followUpWorld, requestsAt } from "./follow-up-fixtures.ts";

/** A follow-up's fakes with an event publisher and a tagger, at `now`. */
function announcingWorld(stop: ReturnType<typeof followedStop>, now = NOW + 65 * MINUTE) {
  return { ...followUpWorld([stop], now), events: new FakeEvents(), tagger: new FakeTagger() };
}

const detailOf = (events: FakeEvents, index = 0) => JSON.parse(events.entries[index]?.detail ?? "{}");

describe("a restart the follow-up function makes", () => {
  it("after a regret check puts 'Idle Model Restarted' with the late requests seen, and tags the model restarted <its record's time>", async () => {
    // Prepare: two requests (01:59 and 02:00) between the evidence horizon (01:58) and the stop (02:00:05).
    const stop = followedStop("cats", "v1");
    const deps = announcingWorld(stop);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:59:00Z", "2026-11-28T02:00:00Z"));

    // Act
    const summary = await runFollowUp(deps, configWith(), "follow-up-1");

    // Assess
    assert.equal(summary.restarted.length, 1);
    assert.deepEqual(summary.announced, { events: 1, tagged: 1, failed: 0 });
    const record = deps.record(stop.modelArn);
    assert.equal(record?.status, "RESTARTED");
    const [entry, ...more] = deps.events.entries;
    assert.deepEqual(more, []);
    assert.equal(entry?.detailType, "Idle Model Restarted");
    assert.deepEqual(entry?.resources, [stop.modelArn]);
    assert.deepEqual(detailOf(deps.events), {
      version: "1",
      action: "restarted",
      modelArn: stop.modelArn,
      accountId: "123456789012",
      projectName: "cats",
      versionName: "v1",
      region: stop.region,
      runId: "follow-up-1",
      at: record?.restartedAt,
      reason: "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
      inferenceUnits: 2,
      estimatedHourlyCostUsd: 8,
      logRecord: { tableName: "stops", modelArn: stop.modelArn, stoppedAt: stop.stoppedAt },
      restart: {
        by: "regret-check",
        lateRequests: {
          from: "2026-11-28T01:45:00Z",
          to: "2026-11-28T02:00:05Z",
          firstAt: "2026-11-28T01:59:00Z",
          count: 2,
        },
      },
    });
    assert.deepEqual(deps.tagger.tags.get(stop.modelArn), {
      "auto-stop:last-action": `restarted ${record?.restartedAt}`,
    });
  });

  it("by a restart rule puts its event with the rule and where it was found", async () => {
    // Prepare: 07:30 in Paris is 06:30 UTC; with the 45-minute lead the start is due from 05:45 UTC.
    const rule = "daily 07:30 Europe/Paris";
    const stop = followedStop("forms", "reader", {
      restartRule: rule,
      restartRuleSource: "tag auto-stop:restart on the project",
    });
    const deps = announcingWorld(stop, Date.parse("2026-11-28T05:45:00Z"));
    deps.directory.tags.set(stop.projectArn as string, { "auto-stop:restart": rule });

    // Act
    const summary = await runFollowUp(deps, configWith(), "follow-up-2");

    // Assess
    assert.deepEqual(
      summary.restarted.map((restart) => restart.by),
      ["schedule"],
    );
    const detail = detailOf(deps.events);
    assert.equal(deps.events.entries[0]?.detailType, "Idle Model Restarted");
    assert.deepEqual(detail.restart, {
      by: "restart-rule",
      rule,
      ruleSource: "tag auto-stop:restart on the project",
    });
    assert.equal(detail.reason, `restart rule "${rule}" (tag auto-stop:restart on the project)`);
    assert.equal(
      deps.tagger.tags.get(stop.modelArn)?.["auto-stop:last-action"],
      `restarted ${deps.record(stop.modelArn)?.restartedAt}`,
    );
  });

  it("stands when EventBridge and TagResource fail: recorded RESTARTED, each failure named with the model", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = announcingWorld(stop);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:59:00Z"));
    deps.events.failure = awsError("InternalException", "try again");
    deps.tagger.failures.set(stop.modelArn, awsError("ThrottlingException", "Rate exceeded"));

    // Act
    const summary = await runFollowUp(deps, configWith(), "follow-up-3");

    // Assess
    assert.equal(deps.record(stop.modelArn)?.status, "RESTARTED");
    assert.equal(deps.directory.calls.filter((call) => call.startsWith("startModel")).length, 1);
    assert.deepEqual(summary.announced, { events: 0, tagged: 0, failed: 2 });
    assert.deepEqual(
      summary.errors.map((error) => [error.arn, error.message.replace(/ \(the model.*$/, "")]),
      [
        [stop.modelArn, 'could not put its "Idle Model Restarted" event on the default bus of us-east-1'],
        [
          stop.modelArn,
          `could not tag it auto-stop:last-action=restarted ${deps.record(stop.modelArn)?.restartedAt}`,
        ],
      ],
    );
    assert.match(summary.errors[0]?.message ?? "", /\(the model was restarted all the same\)/);
  });

  it("announces nothing for a model started again by hand: that start is not the stopper's", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = announcingWorld(stop);
    deps.directory.statuses.set(stop.modelArn, "RUNNING");

    // Act
    const summary = await runFollowUp(deps, configWith(), "follow-up-4");

    // Assess
    assert.equal(summary.startedByHand.length, 1);
    assert.deepEqual(deps.events.entries, []);
    assert.deepEqual(deps.tagger.calls, []);
    assert.deepEqual(summary.announced, { events: 0, tagged: 0, failed: 0 });
  });

  it("with publishEvents and tagLastAction off, restarts as before and announces nothing", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = announcingWorld(stop);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:59:00Z"));

    // Act
    const summary = await runFollowUp(
      deps,
      configWith({ PUBLISH_EVENTS: "false", TAG_LAST_ACTION: "false" }),
      "follow-up-5",
    );

    // Assess
    assert.equal(summary.restarted.length, 1);
    assert.deepEqual(deps.events.entries, []);
    assert.deepEqual(deps.tagger.calls, []);
  });
});

describe("a restart the nightly run's regret check makes", () => {
  it("is announced by the run, before its stops", async () => {
    // Prepare: yesterday's stop proved wrong by a late request, and one idle model running now.
    const stop = followedStop("cats", "v1", {
      stoppedAt: new Date(NOW - 24 * 60 * MINUTE).toISOString(),
      completedAt: "2026-11-27T02:00:05Z",
      evidenceUntil: "2026-11-27T01:58:00Z",
      runId: "scheduled-2026-11-27T02:00:00Z",
    });
    const deps = announcingWorld(stop, NOW);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-27T01:59:00Z"));
    const idle = runningModel("dogs", "v1");
    const directory = new FakeDirectory([[idle]]);
    directory.statuses.set(stop.modelArn, "STOPPED");
    const world = { ...deps, directory };

    // Act
    const summary = await runStopper(world, configWith({ DISCOVERY: "full" }), "run-2");

    // Assess
    assert.deepEqual(
      summary.restarted.map((restart) => restart.arn),
      [stop.modelArn],
    );
    assert.deepEqual(summary.stopped, [idle.modelArn]);
    assert.equal(directory.calls.filter((call) => call.startsWith("startModel")).length, 1);
    assert.deepEqual(
      deps.events.entries.map((entry) => [entry.detailType, entry.resources[0]]),
      [
        ["Idle Model Restarted", stop.modelArn],
        ["Idle Model Stopped", idle.modelArn],
      ],
    );
    assert.equal(detailOf(deps.events).restart.by, "regret-check");
    assert.equal(
      deps.tagger.tags.get(stop.modelArn)?.["auto-stop:last-action"],
      `restarted ${deps.record(stop.modelArn)?.restartedAt}`,
    );
    assert.deepEqual(summary.announced, { events: 2, tagged: 2, failed: 0 });
  });
});

describe("the actions of a run with restarts", () => {
  it("are told in the digest's order: stops undone by a regret check, stops, restarts by rule, warnings", () => {
    // Prepare
    const restart = (version: string, by: Restart["by"]): Restart => ({
      record: followedStop("cats", version),
      by,
      reason: by,
      hourlyCostUsd: 8,
      at: NOW,
    });
    const decision = (version: string) => ({
      model: runningModel("dogs", version),
      verdict: {
        action: "stop" as const,
        reason: "idle",
        facts: { idleMinutes: 60 },
        cause: "idle" as const,
      },
    });
    const stopped = decision("stopped");

    // Act
    const actions = actionsOfRun({
      restarted: [restart("by-rule", "schedule"), restart("regretted", "regret")],
      stops: {
        stopped: [stopped],
        stopRecords: new Map([[stopped.model.modelArn, { stoppedAt: "s", answeredAt: NOW }]]),
      },
      warned: [{ decision: decision("warned"), stopNotBefore: NOW }],
      now: NOW,
    });

    // Assess
    assert.deepEqual(
      actions.map((action) => `${action.action} ${action.model.versionName}`),
      ["restarted regretted", "stopped stopped", "restarted by-rule", "warned warned"],
    );
    assert.deepEqual(
      actions.map((action) => action.restart?.by),
      ["regret-check", undefined, "restart-rule", undefined],
    );
    assert.equal(announcementOf(stopped, "stopped", { at: NOW }).restart, undefined);
  });
});
