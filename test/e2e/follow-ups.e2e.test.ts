/**
 * End to end, the follow-ups: the synthesized bundle's nightly handler stops models, and its follow-up handler (the
 * same asset, `index.followUp`) runs later, in child `node` processes against the sandbox. Every clock is pinned: the
 * sandbox's (`clock`) and the functions' (`clockStart`), so a test reads no wall-clock minute. Assertions read the
 * sandbox's models and call log, the log table and the digests.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RekognitionClient, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-rekognition";
import type { CallRecord, SeedProject } from "../../sandbox/index.ts";
import type { LogItem, StopperWorld } from "../../sandbox/stopper-world.ts";
import { insertLateRequest } from "../support/late-request.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const stopper = useSynthesizedStopper();

/** A world whose sandbox clock the test moves by hand. */
async function worldAt(start: number, projects: SeedProject[]) {
  const clock = { now: start };
  const world = await stopper.world({ seed: { projects }, clock: () => clock.now });
  return {
    world,
    /** Moves the sandbox's clock, and returns the options that start the function's clock there too. */
    at(time: number) {
      clock.now = time;
      return { clockStart: time };
    },
  };
}

const idleFor = (hours: number, units = 1) => ({
  status: "RUNNING" as const,
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: hours * 60, toMinutesAgo: 0, units }],
});

/** StopProjectVersion and StartProjectVersion calls that went through (answered, or carried out with the answer lost). */
const wentThrough = (calls: readonly CallRecord[], operation: string, arn: string) =>
  calls.filter(
    (call) =>
      call.operation === operation &&
      call.input.ProjectVersionArn === arn &&
      (call.outcome === "ok" || call.injected === "lost-answer"),
  );

/** Calls the sandbox's Rekognition as a model's owner would, with their own client. */
async function asTheOwner(world: StopperWorld, act: (owner: RekognitionClient) => Promise<unknown>) {
  const owner = new RekognitionClient({
    region: world.sandbox.region,
    endpoint: world.sandbox.endpoints.rekognition,
    credentials: {
      accessKeyId: world.sandbox.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: world.sandbox.env.AWS_SECRET_ACCESS_KEY,
    },
  });
  try {
    await act(owner);
  } finally {
    owner.destroy();
  }
}

const recordOf = async (world: StopperWorld, arn: string): Promise<LogItem[]> =>
  (await world.items()).filter((item) => item.modelArn === arn);

describe("a stop that a late request proves wrong", () => {
  // 02:00 UTC, a minute boundary: the request at 01:59 reaches CloudWatch three minutes late, after the stop.
  const T = Date.UTC(2026, 10, 28, 2, 0, 0);
  const projects = (): SeedProject[] => [
    {
      name: "batch",
      versions: [{ name: "nightly", ...idleFor(10, 2), maxInferenceUnits: 3 }],
    },
  ];

  async function stoppedWithALateRequest() {
    const { world, at } = await worldAt(T, projects());
    const arn = world.sandbox.rekognition.modelArn("batch", "nightly");
    insertLateRequest(world, { project: "batch", version: "nightly" }, T - MINUTE, 4);
    const run = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(run.result?.stopped, [arn], "the request was not visible yet: the model is stopped");
    return { world, at, arn };
  }

  it("is undone by the follow-up an hour later: the model starts again with its units, the record says why", async () => {
    // Prepare
    const { world, at, arn } = await stoppedWithALateRequest();
    const [stop] = await recordOf(world, arn);
    assert.equal(stop?.evidenceUntil, "2026-11-28T01:58:00Z", "the decision saw in-service data up to 01:58");
    assert.equal(stop?.followUpRegion, "us-east-1", "the stop is followed up");

    // Act
    const early = await world.invokeFollowUp({}, at(T + 30 * MINUTE));
    const due = await world.invokeFollowUp({}, at(T + 65 * MINUTE));

    // Assess
    assert.deepEqual(early.result?.restarted, [], "not before regretCheckMinutes");
    assert.equal(due.exitCode, 0, due.stderr);
    assert.deepEqual(due.result?.errors, []);
    assert.deepEqual(due.result?.restarted, [
      {
        arn,
        by: "regret",
        reason: "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
        hourlyCostUsd: 8,
      },
    ]);
    const model = world.sandbox.rekognition.model(arn);
    assert.equal(model?.status, "RUNNING");
    assert.equal(model?.minInferenceUnits, 2);
    assert.equal(model?.maxInferenceUnits, 3);
    assert.equal(wentThrough(world.sandbox.calls, "StartProjectVersion", arn).length, 1);
    const [record, ...others] = await recordOf(world, arn);
    assert.deepEqual(others, [], "the stop's own record says it was undone: no second record");
    assert.equal(record?.status, "RESTARTED");
    assert.equal(record?.restartedBy, "regret");
    assert.equal(
      record?.restartReason,
      "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
    );
    assert.equal(record?.restartHourlyCostUsd, 8);
    assert.equal(record?.followUpRegion, undefined, "no longer followed up");
    assert.ok(String(record?.restartedAt) >= "2026-11-28T03:05:00Z");
    // The digest puts the undone stop first.
    const digest = world.sandbox.sns.messages.at(-1);
    assert.match(String(digest?.subject), /^idle-model-stopper: undid 1 stop$/);
    assert.match(
      String(digest?.message),
      /^Follow-up .* looked after 1 recent stop in us-east-1\.\n\nUndid 1 stop that proved wrong, starting the model again \(about \$8\.00\/h again\):\n- batch\/nightly \(us-east-1\), \$8\.00\/h\n {2}regretted: a request at 2026-11-28T01:59:00Z arrived before the stop/,
    );
    assert.ok(due.logs.some((line) => line.ModelsRegretted === 1 && line.ModelsRestarted === 1));
  });

  it("is undone when the request came before the evidence horizon: request metrics arrive apart from in-service data", async () => {
    // Prepare: in-service data reaches 01:58 as before, but the request at 01:57 reaches CloudWatch only at 02:07,
    // after the decision and the last look: neither saw it.
    const { world, at } = await worldAt(T, projects());
    const arn = world.sandbox.rekognition.modelArn("batch", "nightly");
    world.sandbox.cloudwatch.metricDelaySeconds = 180;
    world.sandbox.cloudwatch.insert(world.sandbox.region, [
      {
        namespace: "AWS/Rekognition",
        metricName: "SuccessfulRequestCount",
        dimensions: { ProjectName: "batch", VersionName: "nightly" },
        timestamp: T - 3 * MINUTE,
        value: 2,
        delaySeconds: 600,
      },
    ]);
    const run = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual(run.result?.stopped, [arn], "the request was not visible yet: the model is stopped");
    const [stop] = await recordOf(world, arn);
    assert.equal(stop?.evidenceUntil, "2026-11-28T01:58:00Z", "the request is before the horizon");

    // Act
    const due = await world.invokeFollowUp({}, at(T + 65 * MINUTE));

    // Assess
    assert.equal(due.exitCode, 0, due.stderr);
    assert.deepEqual(
      due.result?.restarted.map((restart: { arn: string; reason: string }) => [restart.arn, restart.reason]),
      [[arn, "regretted: a request at 2026-11-28T01:57:00Z arrived before the stop"]],
    );
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
  });

  it("is undone by the next nightly run when regretCheckMinutes is 0", async () => {
    // Prepare
    const { world, at, arn } = await stoppedWithALateRequest();
    const quietFollowUp = await world.invokeFollowUp({ REGRET_CHECK_MINUTES: "0" }, at(T + 65 * MINUTE));
    assert.deepEqual(quietFollowUp.result?.restarted, []);
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "STOPPED");

    // Act
    const nextNight = await world.invoke(
      { REGRET_CHECK_MINUTES: "0" },
      { ...at(T + 24 * HOUR), requestId: "nightly-2" },
    );

    // Assess
    assert.equal(nextNight.exitCode, 0, nextNight.stderr);
    assert.deepEqual(nextNight.result?.restarted, [
      {
        arn,
        by: "regret",
        reason: "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
        hourlyCostUsd: 8,
      },
    ]);
    assert.deepEqual(nextNight.result?.stopped, []);
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
    const records = await recordOf(world, arn);
    assert.deepEqual(
      records.map((record) => [record.status, record.restartedBy]),
      [["RESTARTED", "regret"]],
    );
    assert.match(
      String(world.sandbox.sns.messages.at(-1)?.subject),
      /^idle-model-stopper: undid 1 stop, stopped 0/,
    );
  });

  it("is restarted once, and recorded once, when the start's answer is lost and both functions race for it", async () => {
    // Prepare: every StartProjectVersion that goes through answers a 5xx, so the SDK retries it.
    const { world, at, arn } = await stoppedWithALateRequest();
    world.sandbox.setFaults({
      rekognition: { operations: { StartProjectVersion: { lostAnswerRate: 1 } } },
    });

    // Act: the nightly run (its regret check) and the follow-up look at the same stop at the same time.
    const [night, followUp] = await Promise.all([
      world.invoke({}, { ...at(T + 65 * MINUTE), requestId: "nightly-extra" }),
      world.invokeFollowUp({}, { clockStart: T + 65 * MINUTE }),
    ]);

    // Assess
    assert.equal(night.exitCode, 0, night.stderr);
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    const starts = world.sandbox.calls.filter((call) => call.operation === "StartProjectVersion");
    assert.equal(wentThrough(starts, "StartProjectVersion", arn).length, 1, "one start went through");
    assert.ok(starts.some((call) => call.injected === "lost-answer"));
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
    const restartsSaid = [...(night.result?.restarted ?? []), ...(followUp.result?.restarted ?? [])];
    assert.equal(restartsSaid.length, 1, JSON.stringify(restartsSaid));
    const [record, ...others] = await recordOf(world, arn);
    assert.deepEqual(others, []);
    assert.equal(record?.status, "RESTARTED");
    assert.match(
      String(record?.note),
      /StartProjectVersion answered ResourceInUseException: .* after 2 attempts, and the model is (STARTING|RUNNING): counted as the restart/,
    );
  });
});

describe("a model started again by hand", () => {
  it("is recorded STARTED_BY_HAND, counted, and told in the digest with how long after the stop", async () => {
    // Prepare
    const T = Date.UTC(2026, 10, 28, 2, 0, 0);
    const { world, at } = await worldAt(T, [{ name: "vision", versions: [{ name: "v3", ...idleFor(8) }] }]);
    const arn = world.sandbox.rekognition.modelArn("vision", "v3");
    const night = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual(night.result?.stopped, [arn]);
    // Someone starts it again in the morning.
    world.sandbox.rekognition.setModelStatus(arn, "RUNNING");

    // Act
    const followUp = await world.invokeFollowUp({}, at(T + 3 * HOUR + 10 * MINUTE));

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    // The function's clock starts at 05:10 and runs on with the wall while the bundle loads: seconds may pass.
    const [seen] = followUp.result?.startedByHand ?? [];
    assert.equal(seen?.arn, arn);
    assert.match(
      String(seen?.note),
      /^started again by hand 3 hours after the stop \(seen running at 2026-11-28T05:10:\d\dZ\)$/,
    );
    assert.deepEqual(followUp.result?.restarted, []);
    const [record] = await recordOf(world, arn);
    assert.equal(record?.status, "STARTED_BY_HAND");
    assert.match(String(record?.startedByHandAt), /^2026-11-28T05:10:\d\dZ$/);
    assert.equal(record?.followUpRegion, undefined);
    assert.ok(!world.sandbox.calls.some((call) => call.operation === "StartProjectVersion"));
    assert.ok(followUp.logs.some((line) => line.ModelsStartedByHand === 1));
    const digest = world.sandbox.sns.messages.at(-1);
    assert.equal(digest?.subject, "idle-model-stopper: 1 started by hand");
    assert.match(
      String(digest?.message),
      /- vision\/v3 \(us-east-1\): started again by hand 3 hours after the stop \(seen running at 2026-11-28T05:10:\d\dZ\)/,
    );
  });
});

describe("restart by tag", () => {
  // Thursday 2026-03-05 22:00 in New York (EST, UTC-5); New York moves to EDT (UTC-4) on Sunday 2026-03-08.
  const T = Date.UTC(2026, 2, 6, 3, 0, 0);
  const projects = (): SeedProject[] => [
    {
      name: "forms",
      tags: { "auto-stop:restart": "mon 07:30 America/New_York" },
      versions: [{ name: "reader", ...idleFor(6, 2), maxInferenceUnits: 4 }],
    },
    {
      name: "letters",
      tags: { "auto-stop:restart": "weekdays 07:00 America/New_York" },
      versions: [{ name: "writer", ...idleFor(6) }],
    },
    {
      name: "typos",
      versions: [{ name: "v1", ...idleFor(6), tags: { "auto-stop:restart": "weekday 07:30 UTC" } }],
    },
  ];

  it("starts the model 45 minutes before Monday 07:30 New York time, after the clocks changed", async () => {
    // Prepare
    const { world, at } = await worldAt(T, projects());
    const reader = world.sandbox.rekognition.modelArn("forms", "reader");
    const writer = world.sandbox.rekognition.modelArn("letters", "writer");
    const typo = world.sandbox.rekognition.modelArn("typos", "v1");
    const night = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual([...(night.result?.stopped ?? [])].sort(), [reader, writer].sort());
    const [stop] = await recordOf(world, reader);
    assert.equal(stop?.restartRule, "mon 07:30 America/New_York");
    assert.equal(stop?.restartRuleSource, "tag auto-stop:restart on the project");

    // Act: Monday 07:30 EDT is 11:30 UTC (it would be 12:30 in EST): the start is due from 10:45 UTC.
    const before = await world.invokeFollowUp({}, at(Date.UTC(2026, 2, 9, 10, 40)));
    // The other project's rule fired on Friday morning already (07:00 EST, 12:00 UTC): leave that aside here.
    assert.deepEqual(
      before.result?.restarted.map((restart) => restart.arn),
      [writer],
    );
    const due = await world.invokeFollowUp({}, at(Date.UTC(2026, 2, 9, 10, 50)));

    // Assess
    assert.equal(due.exitCode, 0, due.stderr);
    assert.deepEqual(due.result?.restarted, [
      {
        arn: reader,
        by: "schedule",
        reason: 'restart rule "mon 07:30 America/New_York" (tag auto-stop:restart on the project)',
        hourlyCostUsd: 8,
      },
    ]);
    const model = world.sandbox.rekognition.model(reader);
    assert.equal(model?.status, "RUNNING");
    assert.deepEqual([model?.minInferenceUnits, model?.maxInferenceUnits], [2, 4]);
    const [record] = await recordOf(world, reader);
    assert.deepEqual(
      [record?.status, record?.restartedBy, record?.restartHourlyCostUsd],
      ["RESTARTED", "schedule", 8],
    );
    assert.match(String(record?.restartedAt), /^2026-03-09T10:50:\d\dZ$/);
    // The tags were read again just before each start, and only then.
    const tagReads = world.sandbox.calls.filter(
      (call) => call.operation === "ListTagsForResource" && call.accessKeyId === "ASIASANDBOXFOLLOWUP1",
    );
    assert.deepEqual(
      tagReads.map((call) => call.input.ResourceArn).sort(),
      [
        writer,
        world.sandbox.rekognition.projectArn("letters"),
        reader,
        world.sandbox.rekognition.projectArn("forms"),
      ].sort(),
    );
    assert.match(
      String(world.sandbox.sns.messages.at(-1)?.message),
      /Started again by restart rule 1, about \$8\.00\/h:\n- forms\/reader \(us-east-1\), \$8\.00\/h\n {2}restart rule "mon 07:30 America\/New_York" \(tag auto-stop:restart on the project\)/,
    );
    // The last model's rule is not one: the run kept the model and said so, with what is allowed.
    assert.match(
      night.result?.skipped.find((kept) => kept.arn === typo)?.reason ?? "",
      /^kept to be safe: tag auto-stop:restart on the model: "weekday 07:30 UTC" is not a restart rule/,
    );
    assert.ok(
      night.result?.errors.some(
        (error) =>
          error.arn === typo &&
          error.message.startsWith(
            'tag auto-stop:restart on the model: "weekday 07:30 UTC" is not a restart rule: "weekday" is not a day. Allowed: <days> <HH:MM> <time zone>',
          ),
      ),
      JSON.stringify(night.result?.errors),
    );
    assert.equal(world.sandbox.rekognition.model(typo)?.status, "RUNNING");
  });

  it("leaves a model that someone started meanwhile alone, and does not start one whose tag was removed", async () => {
    // Prepare
    const { world, at } = await worldAt(T, projects());
    const reader = world.sandbox.rekognition.modelArn("forms", "reader");
    const writer = world.sandbox.rekognition.modelArn("letters", "writer");
    await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    // Days later (no longer "by hand" within a day of the stop), someone has started one model, and removed the
    // other project's tag.
    world.sandbox.rekognition.setModelStatus(reader, "RUNNING");
    await asTheOwner(world, (owner) =>
      owner.send(
        new UntagResourceCommand({
          ResourceArn: world.sandbox.rekognition.projectArn("letters"),
          TagKeys: ["auto-stop:restart"],
        }),
      ),
    );

    // Act: Monday, when both rules have fired.
    const due = await world.invokeFollowUp({}, at(Date.UTC(2026, 2, 9, 10, 50)));

    // Assess
    assert.equal(due.exitCode, 0, due.stderr);
    assert.deepEqual(due.result?.restarted, []);
    assert.deepEqual(due.result?.errors, []);
    assert.ok(!world.sandbox.calls.some((call) => call.operation === "StartProjectVersion"));
    const [readerRecord] = await recordOf(world, reader);
    assert.equal(readerRecord?.status, "STOPPING");
    assert.equal(readerRecord?.followUpRegion, undefined);
    assert.match(
      String(readerRecord?.note),
      /followed no more: the model was found RUNNING at 2026-03-09T10:50:\d\dZ/,
    );
    const [writerRecord] = await recordOf(world, writer);
    assert.equal(world.sandbox.rekognition.model(writer)?.status, "STOPPED");
    assert.equal(writerRecord?.restartRule, undefined, "the cached rule is dropped with the tag");
    assert.equal(writerRecord?.followUpRegion, "us-east-1", "still followed, should a rule come back");
  });
});

describe("a restart rule tagged days after the stop", () => {
  // Stopped at 02:00 UTC on Saturday the 28th; the owner tags the project on the 29th; the nightly run of the 30th
  // reads the rule. Its first time after the stop, 07:30 in Paris on the 28th, is long past.
  const T = Date.UTC(2026, 10, 28, 2, 0, 0);
  const NIGHT = Date.UTC(2026, 10, 30, 2, 0, 0);

  it("starts the model at the rule's next time after the nightly run read it, not at the next follow-up", async () => {
    // Prepare
    const { world, at } = await worldAt(T, [
      { name: "labels", versions: [{ name: "v1", ...idleFor(6, 2) }] },
    ]);
    const arn = world.sandbox.rekognition.modelArn("labels", "v1");
    const first = await world.invoke({}, { ...at(T), requestId: "nightly-1" });
    assert.deepEqual(first.result?.stopped, [arn]);
    await asTheOwner(world, (owner) =>
      owner.send(
        new TagResourceCommand({
          ResourceArn: world.sandbox.rekognition.projectArn("labels"),
          Tags: { "auto-stop:restart": "daily 07:30 Europe/Paris" },
        }),
      ),
    );
    const night = await world.invoke({}, { ...at(NIGHT), requestId: "nightly-3" });
    assert.equal(night.exitCode, 0, night.stderr);
    const [cached] = await recordOf(world, arn);
    assert.equal(cached?.restartRule, "daily 07:30 Europe/Paris");
    assert.match(String(cached?.restartRuleSince), /^2026-11-30T02:00:\d\d(\.\d+)?Z$/);

    // Act: 07:30 in Paris is 06:30 UTC; with the 45-minute lead the start is due from 05:45.
    const next = await world.invokeFollowUp({}, at(NIGHT + 15 * MINUTE));
    const before = await world.invokeFollowUp({}, at(Date.UTC(2026, 10, 30, 5, 30)));
    const due = await world.invokeFollowUp({}, at(Date.UTC(2026, 10, 30, 5, 45)));

    // Assess
    assert.deepEqual(next.result?.restarted, []);
    assert.deepEqual(before.result?.restarted, []);
    assert.deepEqual(
      due.result?.restarted.map((restart) => restart.arn),
      [arn],
    );
    const starts = world.sandbox.calls.filter((call) => call.operation === "StartProjectVersion");
    assert.equal(starts.length, 1);
    assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
  });
});

describe("a model started again by its rule, at the runs after", () => {
  // 02:00 UTC: the rule's 03:00 start is due from 02:15 (restartLeadMinutes 45).
  const T = Date.UTC(2026, 10, 28, 2, 0, 0);
  const projects = (): SeedProject[] => [
    {
      name: "shifts",
      versions: [{ name: "early", ...idleFor(10, 2), tags: { "auto-stop:restart": "daily 03:00 UTC" } }],
    },
  ];

  for (const discovery of ["metrics-first", "full"] as const)
    it(`is not stopped again before a whole idle window in service since its restart (discovery ${discovery})`, async () => {
      // Prepare: stopped idle at 02:00, started again at 02:20 by its rule.
      const { world, at } = await worldAt(T, projects());
      const env = { DISCOVERY: discovery };
      const arn = world.sandbox.rekognition.modelArn("shifts", "early");
      const night = await world.invoke(env, { ...at(T), requestId: "nightly-1" });
      assert.deepEqual(night.result?.stopped, [arn], night.stderr);
      const followUp = await world.invokeFollowUp(env, at(T + 20 * MINUTE));
      assert.deepEqual(
        followUp.result?.restarted.map((restart) => restart.arn),
        [arn],
      );
      assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");

      // Act: a run before CloudWatch has any InServiceInferenceUnits datapoint since the restart; then one when it
      // has them from 02:25, after the stop's gap, with the datapoints before the stop still in the idle window.
      const soon = await world.invoke(env, { ...at(T + 40 * MINUTE), requestId: "run-2" });
      const inServiceAgain = [];
      for (let at = T + 25 * MINUTE; at < T + 60 * MINUTE; at += MINUTE)
        inServiceAgain.push({
          namespace: "AWS/Rekognition",
          metricName: "InServiceInferenceUnits",
          dimensions: { ProjectName: "shifts", VersionName: "early" },
          timestamp: at,
          value: 2,
        });
      world.sandbox.cloudwatch.insert(world.sandbox.region, inServiceAgain);
      const later = await world.invoke(env, { ...at(T + 60 * MINUTE), requestId: "run-3" });

      // Assess
      for (const run of [soon, later]) {
        assert.equal(run.exitCode, 0, run.stderr);
        assert.deepEqual(run.result?.errors, []);
        assert.deepEqual(run.result?.stopped, []);
      }
      assert.equal(world.sandbox.rekognition.model(arn)?.status, "RUNNING");
      assert.equal(wentThrough(world.sandbox.calls, "StopProjectVersion", arn).length, 1);
      const reasonIn = (run: typeof soon) =>
        run.result?.skipped.find((kept) => kept.arn === arn || kept.model === "shifts/early")?.reason;
      // Its metric stopped with the stop: metrics-first discovery does not see the model (not in service); a full
      // discovery describes it RUNNING and keeps it for want of recent evidence.
      if (discovery === "metrics-first") assert.equal(reasonIn(soon), undefined);
      else
        assert.match(
          reasonIn(soon) ?? "",
          /^insufficient evidence: InServiceInferenceUnits data stops at 2026-11-28T02:00:00Z \(40m ago\)/,
        );
      // In service again: its newest unbroken run of datapoints starts at the restart, inside the window.
      assert.match(
        reasonIn(later) ?? "",
        /^started recently: in service since 2026-11-28T02:25:00Z \(35m ago\), less than the 3h00m idle window/,
      );
    });
});

describe("follow-ups in several regions", () => {
  // Synthesized for two regions: each role is granted exactly those, and each start must stay inside them.
  const twoRegions = useSynthesizedStopper({ regions: "us-east-1,eu-west-1" });

  it("undoes wrong stops and restarts by rule in every configured region, each function within its grants", async () => {
    // Prepare
    const T = Date.UTC(2026, 10, 28, 2, 0, 0);
    const clock = { now: T };
    const regions = ["us-east-1", "eu-west-1"] as const;
    const world = await twoRegions.world({
      clock: () => clock.now,
      seed: {
        projects: regions.map((region) => ({
          name: `batch-${region}`,
          region,
          versions: [
            { name: "late", ...idleFor(8) },
            { name: "ruled", ...idleFor(8), tags: { "auto-stop:restart": "daily 06:00 UTC" } },
          ],
        })),
      },
    });
    world.sandbox.cloudwatch.metricDelaySeconds = 180;
    for (const region of regions)
      world.sandbox.cloudwatch.insert(region, [
        {
          namespace: "AWS/Rekognition",
          metricName: "ThrottledCount",
          dimensions: { ProjectName: `batch-${region}`, VersionName: "late" },
          timestamp: T - MINUTE,
          value: 1,
        },
      ]);
    const arn = (region: string, version: string) =>
      world.sandbox.rekognition.modelArn(`batch-${region}`, version, region);
    const night = await world.invoke({}, { clockStart: T, requestId: "nightly-1" });
    assert.equal(night.result?.stopped.length, 4, night.stderr);

    // Act: the next nightly run (here an hour later) checks the stops; the follow-up at 05:20 restarts by rule.
    clock.now = T + HOUR;
    const check = await world.invoke({}, { clockStart: clock.now, requestId: "nightly-2" });
    clock.now = Date.UTC(2026, 10, 28, 5, 20);
    const followUp = await world.invokeFollowUp({}, { clockStart: clock.now });

    // Assess
    assert.deepEqual(
      check.result?.restarted.map((restart) => restart.arn).sort(),
      regions.map((region) => arn(region, "late")).sort(),
    );
    assert.deepEqual(
      followUp.result?.restarted.map((restart) => [restart.arn, restart.by]).sort(),
      regions.map((region) => [arn(region, "ruled"), "schedule"]).sort(),
    );
    for (const region of regions)
      for (const version of ["late", "ruled"])
        assert.equal(
          world.sandbox.rekognition.model(arn(region, version))?.status,
          "RUNNING",
          `${region} ${version}`,
        );
    const starts = world.sandbox.calls.filter((call) => call.operation === "StartProjectVersion");
    assert.deepEqual([...new Set(starts.map((call) => `${call.region} ${call.accessKeyId}`))].sort(), [
      "eu-west-1 ASIASANDBOXFOLLOWUP1",
      "eu-west-1 ASIASANDBOXFUNCTION1",
      "us-east-1 ASIASANDBOXFOLLOWUP1",
      "us-east-1 ASIASANDBOXFUNCTION1",
    ]);
  });
});
