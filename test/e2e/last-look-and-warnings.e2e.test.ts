/**
 * End to end, issue 12's nightly part: the real bundle against the sandbox, whose CloudWatch delivers some
 * datapoints late. A request the decision could not see yet but the last look can keeps its model; a warning pass
 * warns, and only a later run stops, a model idle since its warning. Every clock is pinned: the sandbox's and the
 * function's start at the instants the tests choose, whatever the wall shows.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RekognitionClient, TagResourceCommand } from "@aws-sdk/client-rekognition";
import { FUNCTION_ACCESS_KEY_ID } from "../../sandbox/function-permissions.ts";
import type { SeedProject, SeedVersion } from "../../sandbox/index.ts";
import type { StopperWorld } from "../../sandbox/stopper-world.ts";
import { requestsPerMinute } from "../support/late-request.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The nightly run: 02:00 UTC. */
const NIGHT = Date.UTC(2026, 10, 28, 2, 0, 0);
/** The warning pass of the evening before: 18:00 UTC, eight hours earlier. */
const EVENING = NIGHT - 8 * HOUR;

// As `cdk deploy -c warnBeforeStopHours=8 -c warnSchedule="cron(0 18 * * ? *)"` would deploy it. The last look's
// tests turn warnings off through the function's environment.
const stopper = useSynthesizedStopper({ warnBeforeStopHours: "8", warnSchedule: "cron(0 18 * * ? *)" });

/** In service for the 20 hours before the night's run, with no request unless given. */
const idleVersion = (name: string, extra: Partial<SeedVersion> = {}): SeedVersion => ({
  name,
  status: "RUNNING",
  inService: [{ fromMinutesAgo: 20 * 60, toMinutesAgo: 0, units: 1 }],
  ...extra,
});

/** A world whose sandbox clock reads `clock.at`, seeded relative to `seededAt` (the night's run by default). */
async function worldAt(
  clock: { at: number },
  projects: SeedProject[],
  seededAt = NIGHT,
): Promise<StopperWorld> {
  return stopper.world({ clock: () => clock.at, seed: { now: seededAt, projects } });
}

const ISO_SECOND = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

describe("the last look", () => {
  const lab: SeedProject[] = [
    {
      name: "lab",
      versions: [
        // A request a minute before the run whose datapoint arrives after the decision's read, before the last look.
        idleVersion("late", { requests: [{ minutesAgo: 1, count: 3, visibleAfterCalls: 1 }] }),
        idleVersion("quiet"),
        // One that arrives only after the run's last look too: no run can see it before it stops the model.
        idleVersion("later-still", { requests: [{ minutesAgo: 1, count: 1, visibleAfterCalls: 2 }] }),
      ],
    },
  ];

  it("keeps a model whose request shows only at the last look, and says so in the summary, the log and the digest", async () => {
    // Prepare
    const clock = { at: NIGHT };
    const w = await worldAt(clock, structuredClone(lab));
    const arn = (version: string) => w.sandbox.rekognition.modelArn("lab", version);

    // Act
    const run = await w.invoke(
      { WARN_BEFORE_STOP_HOURS: "0" },
      { requestId: "night-1", clockStart: NIGHT + 1000 },
    );

    // Assess
    assert.equal(run.exitCode, 0, run.stderr);
    const summary = run.result;
    assert.ok(summary);
    assert.deepEqual(summary.errors, []);
    assert.deepEqual([...summary.stopped].sort(), [arn("quiet"), arn("later-still")].sort());
    const kept = summary.skipped.find((s) => s.arn === arn("late"))?.reason ?? "";
    assert.match(
      kept,
      new RegExp(
        `^kept at the last look: 3 requests \\(3 successful\\) between 2026-11-28T01:45:00Z and ${ISO_SECOND}, ` +
          "the last at 2026-11-28T01:59:00Z; before it: idle: no requests from 2026-11-27T23:00:00Z to " +
          "2026-11-28T02:00:00Z, the newest metrics \\(3h00m idle window\\)",
      ),
    );
    // One GetMetricData call for the decision (3 models × 5 metrics), one for the last look (3 candidates × 4).
    assert.deepEqual(
      w.sandbox.calls.filter((c) => c.operation === "GetMetricData").map((c) => c.input.queryCount),
      [15, 12],
    );
    assert.equal(w.sandbox.rekognition.model(arn("late"))?.status, "RUNNING");
    assert.deepEqual(
      w.sandbox.calls
        .filter((c) => c.operation === "StopProjectVersion")
        .map((c) => c.input.ProjectVersionArn)
        .sort(),
      [arn("later-still"), arn("quiet")].sort(),
    );
    // The log line of the kept model carries what the last look read.
    const line = run.logs.find((l) => l.modelArn === arn("late") && l.message === "model kept");
    const facts = line?.facts as { lastLook?: { requests: number; lastRequestAt: string; fromTime: string } };
    assert.deepEqual(
      { ...facts.lastLook, at: undefined },
      { at: undefined, fromTime: "2026-11-28T01:45:00Z", requests: 3, lastRequestAt: "2026-11-28T01:59:00Z" },
    );
    // The stops' records say how far the evidence reached and what the last look saw.
    const items = await w.items();
    assert.deepEqual(
      items.map((item) => item.modelArn),
      [arn("later-still"), arn("quiet")],
    );
    for (const item of items) {
      assert.equal(item.kind, "stop");
      assert.equal(item.evidenceUntil, "2026-11-28T02:00:00Z");
      const lastLook = item.lastLook as Record<string, unknown>;
      assert.deepEqual(
        { ...lastLook, at: undefined },
        { at: undefined, fromTime: "2026-11-28T01:45:00Z", requests: 0 },
      );
      assert.match(String(lastLook.at), new RegExp(`^${ISO_SECOND}$`));
    }
    const digest = w.sandbox.sns.messages.at(-1)?.message ?? "";
    assert.ok(!digest.includes(arn("late")), "the kept model is not in the digest's stops");
  });

  it("cannot see a request that arrives after the stop: the next read does, which the follow-ups can act on", async () => {
    // Prepare
    const clock = { at: NIGHT };
    const w = await worldAt(clock, structuredClone(lab));
    await w.invoke({ WARN_BEFORE_STOP_HOURS: "0" }, { requestId: "night-1", clockStart: NIGHT + 1000 });

    // Act
    const after = await requestsPerMinute(
      w.sandbox,
      { project: "lab", version: "later-still" },
      NIGHT - 15 * MINUTE,
      NIGHT + MINUTE,
    );

    // Assess
    const item = (await w.items()).find((i) => i.versionName === "later-still");
    assert.equal(item?.status, "STOPPING");
    assert.deepEqual((item?.lastLook as { requests: number } | undefined)?.requests, 0);
    assert.deepEqual(
      after,
      [{ at: "2026-11-28T01:59:00.000Z", value: 1 }],
      "the request that came too late is there now",
    );
  });

  it("looks in a dry run too", async () => {
    // Prepare
    const clock = { at: NIGHT };
    const w = await worldAt(clock, structuredClone(lab));

    // Act
    const run = await w.invoke(
      { WARN_BEFORE_STOP_HOURS: "0", DRY_RUN: "true" },
      { requestId: "dry", clockStart: NIGHT + 1000 },
    );

    // Assess
    assert.equal(run.result?.stopped.length, 2);
    assert.match(
      run.result?.skipped.find((s) => s.arn?.includes("/late/"))?.reason ?? "",
      /^kept at the last look: 3 requests/,
    );
    assert.equal(w.sandbox.calls.filter((c) => c.operation === "GetMetricData").length, 2);
    assert.ok(!w.sandbox.calls.some((c) => c.operation === "StopProjectVersion"));
    const items = await w.items();
    assert.ok(
      items.every((item) => item.dryRun === true && (item.lastLook as { requests: number }).requests === 0),
    );
  });
});

describe("warnings before a stop", () => {
  const shelf = (topicArn: string): SeedProject[] => [
    {
      name: "shelf",
      versions: [
        idleVersion("idle", {
          minInferenceUnits: 2,
          inService: [{ fromMinutesAgo: 20 * 60, toMinutesAgo: 0, units: 2 }],
        }),
        // Used at 20:00, after the warning and before the night's idle window.
        idleVersion("used-later", { requests: [{ minutesAgo: 6 * 60, count: 4 }] }),
        idleVersion("opted-out-later"),
        idleVersion("notify", { tags: { "auto-stop:notify": topicArn } }),
      ],
    },
    {
      name: "other-team",
      tags: { "auto-stop:notify": "arn:aws:sns:us-east-1:210987654321:their-topic" },
      versions: [idleVersion("v1")],
    },
  ];

  it("warns at the warning pass, and stops at the night's run only the models idle all the time since", async () => {
    // Prepare
    const clock = { at: EVENING };
    const topicArn = "arn:aws:sns:us-east-1:123456789012:shelf-team";
    const w = await worldAt(clock, shelf(topicArn));
    w.sandbox.sns.createTopic("shelf-team");
    const arn = (version: string, project = "shelf") => w.sandbox.rekognition.modelArn(project, version);
    const status = async () =>
      Object.fromEntries((await w.items()).map((i) => [`${i.versionName}/${i.kind}`, i.status]));

    // Act: the warning pass at 18:00.
    const evening = await w.invoke(
      {},
      {
        event: { mode: "warn", scheduledTime: "2026-11-27T18:00:00Z", attempt: "1" },
        clockStart: EVENING + 2000,
      },
    );

    // Assess: five warnings, nothing stopped, the owners who asked told, a bad notify tag reported.
    assert.equal(evening.exitCode, 0, evening.stderr);
    assert.equal(evening.result?.mode, "warn");
    assert.deepEqual(evening.result?.stopped, []);
    assert.deepEqual(
      evening.result?.warned.map((warning) => [warning.arn, warning.stopNotBefore]).sort(),
      [arn("idle"), arn("used-later"), arn("opted-out-later"), arn("notify"), arn("v1", "other-team")]
        .sort()
        .map((a) => [a, "2026-11-28T02:00:00Z"]),
    );
    assert.ok(!w.sandbox.calls.some((c) => c.operation === "StopProjectVersion"));
    assert.deepEqual(await status(), {
      "idle/warning": "WARNED",
      "used-later/warning": "WARNED",
      "opted-out-later/warning": "WARNED",
      "notify/warning": "WARNED",
      "v1/warning": "WARNED",
    });
    const warningRecord = (await w.items()).find((i) => i.versionName === "idle");
    assert.deepEqual(
      [
        warningRecord?.runId,
        warningRecord?.followUpRegion,
        warningRecord?.stopNotBefore,
        warningRecord?.evidenceUntil,
      ],
      ["scheduled-2026-11-27T18:00:00Z", "us-east-1", "2026-11-28T02:00:00Z", "2026-11-27T18:00:02Z"],
    );
    assert.deepEqual(evening.result?.errors, [
      {
        arn: arn("v1", "other-team"),
        message:
          "tag auto-stop:notify on the project=arn:aws:sns:us-east-1:210987654321:their-topic was not used: the " +
          "topic belongs to account 210987654321, not to this account 123456789012; the warning went to the " +
          "stopper's own topic only",
      },
    ]);
    const digest = w.sandbox.sns.messages.find((m) => m.topicArn === w.sandbox.sns.topicArn);
    assert.equal(digest?.subject, "idle-model-stopper: warned 5 models, 1 error");
    assert.match(
      digest?.message ?? "",
      /^- shelf\/idle \(us-east-1\), \$8\.00\/h: will be stopped at about 2026-11-28T02:00:00Z unless it is used or tagged$/m,
    );
    assert.match(
      digest?.message ?? "",
      /--resource-arn \S+\/shelf\/version\/idle\/\d+ --tags auto-stop=never$/m,
    );
    assert.match(
      digest?.message ?? "",
      /^ {2}To check it: npx idle-model-stopper scan --region us-east-1 --table idle-model-stopper-log$/m,
    );
    assert.match(
      digest?.message ?? "",
      /^ {2}Its owner was told on arn:aws:sns:us-east-1:123456789012:shelf-team$/m,
    );
    assert.match(digest?.message ?? "", /their-topic was not used/);
    const own = w.sandbox.sns.messages.filter((m) => m.topicArn === topicArn);
    assert.deepEqual(
      own.map((m) => m.subject),
      ["idle-model-stopper: shelf/notify to be stopped at about 2026-11-28T02:00:00Z"],
    );
    assert.ok(!w.sandbox.sns.messages.some((m) => m.topicArn.endsWith(":their-topic")));
    const emf = evening.logs.find((l) => l._aws !== undefined);
    assert.equal(emf?.ModelsWarned, 5);

    // Prepare: between the two, someone opts one model out.
    const rekognition = new RekognitionClient({
      region: w.sandbox.region,
      endpoint: w.sandbox.endpoints.rekognition,
      credentials: { accessKeyId: w.sandbox.env.AWS_ACCESS_KEY_ID, secretAccessKey: "x" },
    });
    await rekognition.send(
      new TagResourceCommand({ ResourceArn: arn("opted-out-later"), Tags: { "auto-stop": "never" } }),
    );
    rekognition.destroy();
    w.sandbox.clearCalls();
    clock.at = NIGHT;

    // Act: the night's run at 02:00, eight hours after the warnings.
    const night = await w.invoke(
      {},
      { event: { scheduledTime: "2026-11-28T02:00:00Z", attempt: "1" }, clockStart: NIGHT + 1000 },
    );

    // Assess: the idle ones stopped after their warning; the used and the opted-out ones kept, their warnings cleared.
    assert.equal(night.exitCode, 0, night.stderr);
    assert.deepEqual(night.result?.errors, []);
    assert.deepEqual(
      [...(night.result?.stopped ?? [])].sort(),
      [arn("idle"), arn("notify"), arn("v1", "other-team")].sort(),
    );
    const reasons = Object.fromEntries((night.result?.skipped ?? []).map((s) => [s.arn, s.reason]));
    assert.equal(
      reasons[arn("used-later")],
      "in use since the warning at 2026-11-27T18:00:02Z: 4 requests (4 successful) since 2026-11-27T18:00:00Z; " +
        "last request at 2026-11-27T20:00:00Z",
    );
    assert.equal(reasons[arn("opted-out-later")], "opted out: tag auto-stop=never on the model");
    assert.deepEqual(await status(), {
      "idle/warning": "STOPPED_AFTER_WARNING",
      "idle/stop": "STOPPING",
      "used-later/warning": "CLEARED",
      "opted-out-later/warning": "CLEARED",
      "notify/warning": "STOPPED_AFTER_WARNING",
      "notify/stop": "STOPPING",
      "v1/warning": "STOPPED_AFTER_WARNING",
      "v1/stop": "STOPPING",
    });
    const items = await w.items();
    assert.ok(
      items.filter((i) => i.kind === "warning").every((i) => i.followUpRegion === undefined),
      "no warning is left in the FollowUps index",
    );
    // The stops that took effect are there instead, for the follow-ups (the regret check, a restart rule).
    assert.deepEqual(
      items.filter((i) => i.kind === "stop").map((i) => i.followUpRegion),
      ["us-east-1", "us-east-1", "us-east-1"],
    );
    const cleared = items.find((i) => i.versionName === "used-later");
    assert.match(String(cleared?.note), /^used since the warning: in use since the warning at /);
    assert.equal(
      items.find((i) => i.versionName === "opted-out-later")?.note,
      "opted out or snoozed since the warning: opted out: tag auto-stop=never on the model",
    );
    const stop = items.find((i) => i.versionName === "idle" && i.kind === "stop");
    assert.match(
      String(stop?.reason),
      /; warned at 2026-11-27T18:00:02Z, and no request since; the last look from 2026-11-28T01:45:00Z to \S+ saw no request either$/,
    );
    assert.deepEqual(night.result?.warningsClosed.map((c) => c.status).sort(), [
      "CLEARED",
      "CLEARED",
      "STOPPED_AFTER_WARNING",
      "STOPPED_AFTER_WARNING",
      "STOPPED_AFTER_WARNING",
    ]);
    // Reads: the night's usage (metrics-first discovery's screen: the 5 models in service × 5, the opted-out one's
    // too: the screen reads metrics before any tag), the requests since the warnings of the 4 idle ones
    // (× 4), the last look at the 3 still to stop (× 4).
    assert.deepEqual(
      w.sandbox.calls.filter((c) => c.operation === "GetMetricData").map((c) => c.input.queryCount),
      [25, 16, 12],
    );
  });

  it("with no warning pass, warns at one run and stops only at a run a warnBeforeStopHours later", async () => {
    // Prepare
    const clock = { at: NIGHT };
    // In service until two hours after the night's run; each run sees the datapoints up to its own clock.
    const w = await worldAt(clock, [{ name: "solo", versions: [idleVersion("m")] }], NIGHT + 2 * HOUR);
    const model = w.sandbox.rekognition.modelArn("solo", "m");

    // Act: the night's run warns; the same night's retry an hour later must not stop.
    const first = await w.invoke(
      { WARN_BEFORE_STOP_HOURS: "24" },
      { event: { scheduledTime: "2026-11-28T02:00:00Z" }, clockStart: NIGHT + 1000 },
    );
    clock.at = NIGHT + HOUR;
    const again = await w.invoke(
      { WARN_BEFORE_STOP_HOURS: "24" },
      { event: { scheduledTime: "2026-11-28T03:00:00Z" }, clockStart: NIGHT + HOUR + 1000 },
    );

    // Assess
    assert.deepEqual(first.result?.warned, [{ arn: model, stopNotBefore: "2026-11-29T02:00:00Z" }]);
    assert.deepEqual(again.result?.stopped, []);
    assert.deepEqual(again.result?.warned, [], "warned once");
    assert.match(
      again.result?.skipped[0]?.reason ?? "",
      /^warned at 2026-11-28T02:00:01Z: will be stopped at about 2026-11-29T02:00:00Z unless it is used or tagged; idle: /,
    );
    assert.ok(!w.sandbox.calls.some((c) => c.operation === "StopProjectVersion"));
    assert.deepEqual(
      (await w.items()).map((i) => [i.kind, i.status]),
      [["warning", "WARNED"]],
    );
  });

  it("refuses a warning pass while warnings are off, before calling anything", async () => {
    // Prepare
    const w = await worldAt({ at: EVENING }, []);

    // Act
    const run = await w.invoke(
      { WARN_BEFORE_STOP_HOURS: "0" },
      { event: { mode: "warn", scheduledTime: "2026-11-27T18:00:00Z" } },
    );

    // Assess
    assert.equal(run.exitCode, 1);
    assert.equal(run.error?.name, "InvalidEventError");
    assert.match(run.error?.message ?? "", /^Invalid event mode: "warn" while WARN_BEFORE_STOP_HOURS is 0\./);
    assert.deepEqual(
      w.sandbox.calls.filter((c) => c.accessKeyId === FUNCTION_ACCESS_KEY_ID),
      [],
    );
  });
});
