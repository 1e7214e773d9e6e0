/** Restart rules: the follow-up's restart on schedule, and the nightly refresh of each stop's cached rule. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StopRecord } from "../../lambda/core/stop-record.ts";
import { refreshRestartRules } from "../../lambda/phases/refresh-restart-rules.ts";
import { restartOnSchedule } from "../../lambda/phases/restart-on-schedule.ts";
import { awsError, configWith, NOW } from "./fakes.ts";
import { followedStop, followUpWorld } from "./follow-up-fixtures.ts";

const RULE = "daily 07:30 Europe/Paris";
const SOURCE = "tag auto-stop:restart on the project";
// The stop is at 02:00 UTC on 2026-11-28; 07:30 in Paris (CET) is 06:30 UTC, and the start is due from 05:45 UTC.
const at = (time: string) => Date.parse(`2026-11-28T${time}Z`);

function scheduled(tags: { model?: Record<string, string>; project?: Record<string, string> }, now: number) {
  const stop = followedStop("forms", "reader", { restartRule: RULE, restartRuleSource: SOURCE });
  const deps = followUpWorld([stop], now);
  deps.directory.tags.set(stop.modelArn, tags.model ?? {});
  deps.directory.tags.set(stop.projectArn as string, tags.project ?? { "auto-stop:restart": RULE });
  return { stop, deps };
}

describe("the restart-on-schedule phase", () => {
  const timing: [string, boolean][] = [
    ["05:44:59", false],
    ["05:45:00", true],
    ["09:00:00", true],
  ];
  for (const [time, started] of timing) {
    it(`at ${time} UTC, with the default 45-minute lead before 06:30 UTC, ${started ? "starts" : "waits"}`, async () => {
      // Prepare
      const { stop, deps } = scheduled({}, at(time));

      // Act
      const result = await restartOnSchedule(deps, configWith(), {
        runId: "run-now",
        now: deps.now,
        followed: [stop],
      });

      // Assess
      assert.equal(result.restarted.length, started ? 1 : 0);
      assert.equal(
        deps.directory.calls.some((call) => call.startsWith("startModel")),
        started,
      );
      assert.equal(deps.record(stop.modelArn)?.status, started ? "RESTARTED" : "STOPPING");
      if (started) {
        assert.equal(
          deps.record(stop.modelArn)?.restartReason,
          'restart rule "daily 07:30 Europe/Paris" (tag auto-stop:restart on the project)',
        );
      }
    });
  }

  it("starts earlier with a longer lead", async () => {
    // Prepare
    const { stop, deps } = scheduled({}, at("05:00:00"));

    // Act
    const result = await restartOnSchedule(deps, configWith({ RESTART_LEAD_MINUTES: "90" }), {
      runId: "run-now",
      now: deps.now,
      followed: [stop],
    });

    // Assess
    assert.equal(result.restarted.length, 1);
  });

  it("reads the tags again just before starting, and follows a rule changed since to a later time", async () => {
    // Prepare: the model's own tag now says 09:00, which wins over the project's.
    const { stop, deps } = scheduled(
      { model: { "auto-stop:restart": "daily 09:00 Europe/Paris" } },
      at("05:50:00"),
    );

    // Act
    const result = await restartOnSchedule(deps, configWith(), {
      runId: "run-now",
      now: deps.now,
      followed: [stop],
    });

    // Assess
    assert.deepEqual(result.restarted, []);
    assert.deepEqual(
      deps.directory.calls.filter((call) => call.startsWith("listTags")),
      [`listTags us-east-1 ${stop.projectArn}`, `listTags us-east-1 ${stop.modelArn}`],
    );
    const record = deps.record(stop.modelArn);
    assert.equal(record?.restartRule, "daily 09:00 Europe/Paris");
    assert.equal(record?.restartRuleSource, "tag auto-stop:restart on the model");
    assert.equal(record?.restartRuleSince, new Date(at("05:50:00")).toISOString());
  });

  it("follows a rule changed since to a time already past since the stop at its next time, not at once", async () => {
    // Prepare: the model's own tag now says 03:00 UTC; that time passed an hour after the stop, unseen.
    const { stop, deps } = scheduled({ model: { "auto-stop:restart": "daily 03:00 UTC" } }, at("05:50:00"));

    // Act
    const result = await restartOnSchedule(deps, configWith(), {
      runId: "run-now",
      now: deps.now,
      followed: [stop],
    });

    // Assess
    assert.deepEqual(result.restarted, []);
    assert.ok(!deps.directory.calls.some((call) => call.startsWith("startModel")));
    assert.equal(deps.record(stop.modelArn)?.restartRule, "daily 03:00 UTC");
  });

  it("does not start a model whose tag is gone, and forgets the rule", async () => {
    // Prepare
    const { stop, deps } = scheduled({ project: {} }, at("06:00:00"));

    // Act
    const result = await restartOnSchedule(deps, configWith(), {
      runId: "run-now",
      now: deps.now,
      followed: [stop],
    });

    // Assess
    assert.deepEqual(result.restarted, []);
    assert.deepEqual(result.errors, []);
    assert.equal(deps.record(stop.modelArn)?.restartRule, undefined);
  });

  it("reports a tag that is no longer a rule, with what is allowed, and starts nothing", async () => {
    // Prepare
    const { stop, deps } = scheduled({ project: { "auto-stop:restart": "daily at 7" } }, at("06:00:00"));

    // Act
    const result = await restartOnSchedule(deps, configWith(), {
      runId: "run-now",
      now: deps.now,
      followed: [stop],
    });

    // Assess
    assert.deepEqual(result.restarted, []);
    assert.match(
      result.errors[0]?.message ?? "",
      /^not restarted on schedule: tag auto-stop:restart on the project: "daily at 7" is not a restart rule: "at" is not a 24-hour time from 00:00 to 23:59\. Allowed: <days> <HH:MM> <time zone>/,
    );
    assert.equal(deps.record(stop.modelArn)?.restartRule, undefined);
  });

  it("does nothing for a stop without a rule, and reports a tag read that failed", async () => {
    // Prepare
    const plain = followedStop("cats", "v1");
    const { stop, deps } = scheduled({}, at("06:00:00"));
    deps.directory.failures.set(stop.modelArn, awsError("ThrottlingException", "Rate exceeded"));

    // Act
    const result = await restartOnSchedule(deps, configWith(), {
      runId: "run-now",
      now: deps.now,
      followed: [plain, stop],
    });

    // Assess
    assert.deepEqual(result.errors, [
      { arn: stop.modelArn, message: "not restarted on schedule: ThrottlingException: Rate exceeded" },
    ]);
    assert.deepEqual(result.remaining, [plain, stop]);
    assert.ok(!deps.directory.calls.some((call) => call.includes(plain.modelArn)));
  });
});

describe("the refresh-restart-rules phase", () => {
  it("caches a rule tagged after the stop, drops a removed one, reports an invalid one, and reads each project once", async () => {
    // Prepare
    const added = followedStop("forms", "v1");
    const removed = followedStop("forms", "v2", { restartRule: RULE, restartRuleSource: SOURCE });
    const invalid = followedStop("forms", "v3", { restartRule: RULE, restartRuleSource: SOURCE });
    const deps = followUpWorld([added, removed, invalid], NOW);
    deps.directory.tags.set(added.modelArn, { "auto-stop:restart": "weekdays 06:00 UTC" });
    deps.directory.tags.set(invalid.modelArn, { "auto-stop:restart": "weekdays 6am UTC" });

    // Act
    const refreshed = await refreshRestartRules(deps, configWith(), {
      followed: [added, removed, invalid],
      now: deps.now,
    });

    // Assess
    assert.equal(refreshed.updated, 3);
    assert.deepEqual(
      [added, removed, invalid].map((stop) => deps.record(stop.modelArn)?.restartRule),
      ["weekdays 06:00 UTC", undefined, undefined],
    );
    assert.equal(deps.record(added.modelArn)?.restartRuleSince, new Date(NOW).toISOString());
    assert.equal(refreshed.errors.length, 1);
    assert.match(refreshed.errors[0]?.message ?? "", /"6am" is not a 24-hour time from 00:00 to 23:59/);
    assert.equal(
      deps.directory.calls.filter((call) => call === `listTags us-east-1 ${added.projectArn}`).length,
      1,
    );
  });
});

describe("a rule tagged days after the stop", () => {
  // The stop is at 02:00 UTC on 2026-11-28; the owner tags the rule on the 29th, and the nightly run of the 30th
  // reads it. Its first time after the stop (07:30 in Paris on the 28th) is long past.
  const day = (date: string, time: string) => Date.parse(`2026-11-${date}T${time}Z`);
  const world = async () => {
    const stop = followedStop("forms", "reader");
    const deps = followUpWorld([stop], day("30", "02:00:00"));
    deps.directory.tags.set(stop.projectArn as string, { "auto-stop:restart": RULE });
    await refreshRestartRules(deps, configWith(), { followed: [stop], now: day("30", "02:00:00") });
    const cached = deps.record(stop.modelArn) as StopRecord;
    const follow = (now: number) =>
      restartOnSchedule(deps, configWith(), { runId: "follow-up", now, followed: [cached] });
    return { stop, deps, follow };
  };

  it("does not start the model at the next follow-up", async () => {
    // Prepare
    const { deps, follow } = await world();

    // Act
    const result = await follow(day("30", "02:15:00"));

    // Assess
    assert.deepEqual(result.restarted, []);
    assert.ok(!deps.directory.calls.some((call) => call.startsWith("startModel")));
  });

  it("starts it at the rule's next time after the nightly run read it, less the lead", async () => {
    // Prepare
    const { stop, deps, follow } = await world();

    // Act: 07:30 in Paris on the 30th is 06:30 UTC; the default 45-minute lead starts it from 05:45.
    const early = await follow(day("30", "05:44:59"));
    const due = await follow(day("30", "05:45:00"));

    // Assess
    assert.deepEqual(early.restarted, []);
    assert.equal(due.restarted.length, 1);
    assert.equal(deps.record(stop.modelArn)?.status, "RESTARTED");
  });
});
