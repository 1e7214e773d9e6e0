/**
 * Reliability of the real bundle against the sandbox, beyond the fault storm: a crash between the log write and the
 * stop or between the stop and the log update, an EventBridge retry of the same invocation, a run that runs out of
 * time, hostile answers from AWS, and a bad value for every setting at cold start. One `cdk synth` for the file.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidSettingError, SETTINGS, type StopperSettings } from "../../common/settings.ts";
import type { Invocation, InvokeOptions } from "../../sandbox/bundle.ts";
import type { CallRecord, FaultSettings, SeedProject, SeedVersion, WireQuirks } from "../../sandbox/index.ts";
import type { StopperSummary, StopperWorld } from "../../sandbox/stopper-world.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const stopper = useSynthesizedStopper();

function world(
  projects: SeedProject[],
  options: { faults?: FaultSettings; quirks?: WireQuirks; transitionDelayMs?: number } = {},
): Promise<StopperWorld> {
  return stopper.world({ seed: { projects }, ...options });
}

const idle = (name: string, extra: Partial<SeedVersion> = {}): SeedVersion => ({
  name,
  status: "RUNNING",
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units: 1 }],
  ...extra,
});
const busy = (name: string): SeedVersion => idle(name, { requests: [{ minutesAgo: 15, count: 3 }] });

const stopCalls = (calls: readonly CallRecord[], outcome = "ok") =>
  calls.filter((c) => c.operation === "StopProjectVersion" && c.outcome === outcome);
const targetOf = (call: CallRecord) =>
  String(call.input.ProjectVersionArn ?? (call.input.key as { partition?: string } | undefined)?.partition);

/** Invokes the bundle and kills it (SIGKILL) as soon as the sandbox's call log has a call that matches. */
async function crashWhen(
  w: StopperWorld,
  matches: (call: CallRecord) => boolean,
  env: Record<string, string>,
  options: Omit<InvokeOptions, "env" | "signal">,
): Promise<Invocation<StopperSummary>> {
  const kill = new AbortController();
  const watch = (async () => {
    while (!kill.signal.aborted) {
      if (w.sandbox.calls.some(matches)) kill.abort();
      else await sleep(5);
    }
  })();
  const run = await w.invoke(env, { ...options, signal: kill.signal });
  kill.abort();
  await watch;
  return run;
}

describe("a crash mid-stop", () => {
  // One stop at a time, so the crash comes while exactly one model is between two calls.
  const env = { STOP_CONCURRENCY: "1" };
  const account = (): SeedProject[] => [
    { name: "crash", versions: [idle("a"), idle("b"), idle("c"), busy("busy")] },
  ];

  it("after StopProjectVersion and before the log update: the next run completes the record and stops nothing twice", async () => {
    const w = await world(account(), {
      faults: { dynamodb: { operations: { UpdateItem: { latencyMs: 60_000 } } } },
    });

    const crashed = await crashWhen(w, (c) => stopCalls([c]).length === 1, env, { requestId: "crash-night" });

    assert.equal(crashed.signal, "SIGKILL");
    const [first] = stopCalls(w.sandbox.calls);
    const stopped = targetOf(first as CallRecord);
    assert.match(w.sandbox.rekognition.model(stopped)?.status ?? "", /^STOPP(ING|ED)$/);
    assert.deepEqual(
      (await w.items()).map((item) => [item.modelArn, item.status]),
      [[stopped, "STOP_PENDING"]],
    );
    const crashCalls = w.sandbox.calls.length;
    w.sandbox.setFaults({});

    const next = await w.invoke(env, { requestId: "next-night" });

    assert.equal(next.exitCode, 0, next.stderr);
    assert.deepEqual(next.result?.errors, []);
    const items = await w.items();
    const record = items.find((item) => item.modelArn === stopped);
    assert.equal(record?.status, "STOPPED");
    assert.equal(record?.runId, "crash-night");
    assert.equal(record?.reconciledBy, "next-night");
    assert.match(
      String(record?.note),
      /^run crash-night ended before recording the outcome of its stop; run next-night found the model STOPPED; not followed up \(no undo, no restart by rule\): whether that run's stop or someone else stopped the model cannot be told$/,
    );
    assert.equal(record?.followUpRegion, undefined, "a later run cannot tell whose stop it was");
    assert.equal(record?.pendingRegion, undefined, "out of the PendingStops index");
    // One StopProjectVersion for the crashed model in all, and one record per model.
    assert.deepEqual(
      stopCalls(w.sandbox.calls)
        .map(targetOf)
        .filter((arn) => arn === stopped),
      [stopped],
    );
    assert.ok(!stopCalls(w.sandbox.calls.slice(crashCalls), "ResourceInUseException").length);
    const idleModels = ["a", "b", "c"].map((v) => w.sandbox.rekognition.modelArn("crash", v));
    assert.deepEqual(items.map((item) => item.modelArn).sort(), [...idleModels].sort());
    assert.ok(items.every((item) => item.status === "STOPPING" || item.status === "STOPPED"));
    assert.deepEqual(next.result?.stopped.sort(), idleModels.filter((arn) => arn !== stopped).sort());
  });

  it("after the log write and before StopProjectVersion: the EventBridge retry stops the model once and completes the same record", async () => {
    const w = await world(account(), {
      faults: { rekognition: { operations: { StopProjectVersion: { latencyMs: 60_000 } } } },
    });
    const event = (attempt: string) => ({ scheduledTime: "2026-11-28T02:00:00Z", attempt });
    const wrote = (c: CallRecord) => c.operation === "PutItem" && c.outcome === "ok";

    const crashed = await crashWhen(w, wrote, env, { event: event("1") });

    assert.equal(crashed.signal, "SIGKILL");
    const pending = targetOf(w.sandbox.calls.find(wrote) as CallRecord);
    assert.equal(w.sandbox.rekognition.model(pending)?.status, "RUNNING", "the held stop never landed");
    const before = await w.items();
    assert.deepEqual(
      before.map((item) => [item.modelArn, item.status, item.runId]),
      [[pending, "STOP_PENDING", "scheduled-2026-11-28T02:00:00Z"]],
    );
    w.sandbox.setFaults({});

    const retry = await w.invoke(env, { event: event("2") });

    assert.equal(retry.exitCode, 0, retry.stderr);
    assert.equal(retry.result?.runId, "scheduled-2026-11-28T02:00:00Z");
    assert.deepEqual(retry.result?.errors, []);
    assert.ok(retry.result?.stopped.includes(pending));
    // The same record, completed: no second PutItem for the model, one StopProjectVersion that landed.
    const items = await w.items();
    const records = items.filter((item) => item.modelArn === pending);
    assert.deepEqual(
      records.map((item) => [item.stoppedAt, item.status]),
      [[before[0]?.stoppedAt, "STOPPING"]],
    );
    const calls = w.sandbox.calls;
    assert.equal(calls.filter((c) => c.operation === "PutItem" && targetOf(c) === pending).length, 1);
    assert.deepEqual(
      stopCalls(calls)
        .map(targetOf)
        .filter((arn) => arn === pending),
      [pending],
    );
    assert.equal(items.length, 3);
    assert.ok(items.every((item) => item.status === "STOPPING"));
  });
});

describe("an EventBridge retry of a run that finished", () => {
  it("does no double work: no StopProjectVersion, no log write, no second digest", async () => {
    // Models stay STOPPING for the test's length; Describe may still say RUNNING for a while after a stop.
    const w = await world([{ name: "nightly", versions: [idle("a"), idle("b"), busy("busy")] }], {
      transitionDelayMs: 600_000,
    });
    const event = (attempt: string) => ({ scheduledTime: "2026-11-28T02:00:00Z", attempt });

    const first = await w.invoke({}, { event: event("1") });
    assert.equal(first.result?.stopped.length, 2);
    assert.equal(w.sandbox.sns.messages.length, 1);
    for (const arn of first.result?.stopped ?? []) w.sandbox.rekognition.setModelStatus(arn, "RUNNING");
    w.sandbox.clearCalls();

    const second = await w.invoke({}, { event: event("2") });

    assert.equal(second.exitCode, 0, second.stderr);
    assert.equal(second.result?.runId, first.result?.runId);
    assert.deepEqual(second.result?.stopped, []);
    assert.deepEqual(second.result?.errors, []);
    for (const arn of first.result?.stopped ?? [])
      assert.match(
        second.result?.skipped.find((s) => s.arn === arn)?.reason ?? "",
        /^already handled by run scheduled-2026-11-28T02:00:00Z at .* \(status STOPPING\); not stopped or recorded again$/,
      );
    const writes = w.sandbox.calls.filter((c) =>
      ["StopProjectVersion", "PutItem", "UpdateItem", "Publish"].includes(c.operation),
    );
    assert.deepEqual(writes, []);
    assert.equal(w.sandbox.sns.messages.length, 1);
    assert.equal((await w.items()).length, 2);
  });
});

describe("the deadline", () => {
  // What takes the function's time is its own pacing, one call a second per Rekognition API: waits, which run 20
  // times shorter on the wall while the function's clock jumps over what they skip. A minute of function time passes
  // in a few seconds, and a busy machine's slowness counts once, not 20 times, against the run's time.
  const waitScale = 20;
  const env = {
    DEADLINE_MARGIN_SECONDS: "5",
    STOP_CONCURRENCY: "1",
    MAX_STOPS_PER_RUN: "1000",
    REKOGNITION_TPS: "1",
  };

  it("starts no stop without its margin, lists the models it did not reach as unfinished, and records every stop it made", async () => {
    const versions = [...Array.from({ length: 40 }, (_, i) => idle(`idle-${i}`)), busy("busy")];
    // The 42 tag reads (41 models and their project) take about 41 s of the 60, and each stop at least 1 s more, so
    // some stops fit in the 55 s before the margin and 40 cannot.
    const w = await world([{ name: "late", versions }]);
    const idleSet = w.sandbox.rekognition
      .models()
      .filter((m) => m.versionName.startsWith("idle-"))
      .map((m) => m.arn)
      .sort();

    const run = await w.invoke(env, { remainingTimeMs: 60_000, waitScale });

    assert.equal(run.exitCode, 0, run.stderr);
    const summary = run.result as StopperSummary & { unfinished: { arn: string; reason: string }[] };
    assert.ok(summary.stopped.length > 0, "some stops fit");
    assert.ok(summary.unfinished.length > 0, "not all of them did");
    assert.deepEqual([...summary.stopped, ...summary.unfinished.map((u) => u.arn)].sort(), idleSet);
    for (const { reason } of summary.unfinished)
      assert.match(
        reason,
        /^idle, but not stopped: \d s of the function's time left, under the 5 s kept for a stop and its log write; it will be considered next run$/,
      );
    // Nothing was started for an unfinished model; every stop made has its record, completed.
    const unfinished = new Set(summary.unfinished.map((u) => u.arn));
    assert.ok(!w.sandbox.calls.some((c) => unfinished.has(targetOf(c))));
    const items = await w.items();
    assert.deepEqual(items.map((item) => item.modelArn).sort(), [...summary.stopped].sort());
    assert.ok(items.every((item) => item.status === "STOPPING"));
    assert.deepEqual(stopCalls(w.sandbox.calls).map(targetOf).sort(), [...summary.stopped].sort());
  });

  it("with too little time even to look, lists each project (full) or idle model (metrics-first) as unfinished and touches nothing", async () => {
    const w = await world([
      { name: "one", versions: [idle("a")] },
      { name: "two", versions: [idle("b")] },
    ]);

    const [full, metricsFirst] = [
      await w.invoke({ ...env, DISCOVERY: "full" }, { remainingTimeMs: 10_000, waitScale }),
      await w.invoke({ ...env, DISCOVERY: "metrics-first" }, { remainingTimeMs: 10_000, waitScale }),
    ];

    assert.deepEqual(full.result?.stopped, []);
    assert.deepEqual(
      full.result?.unfinished.map((u) => [u.arn, u.reason]).sort(),
      ["one", "two"].map((p) => [
        w.sandbox.rekognition.projectArn(p),
        "project not described: the run was out of time",
      ]),
    );
    // Metrics-first discovery knows the idle models by name only until it describes them.
    assert.deepEqual(metricsFirst.result?.stopped, []);
    assert.deepEqual(
      metricsFirst.result?.unfinished.map((u) => [u.model, u.region, u.arn, u.reason]).sort(),
      ["one/a", "two/b"].map((model) => [
        model,
        "us-east-1",
        undefined,
        "idle by its metrics, but not examined: the run was out of time",
      ]),
    );
    assert.ok(
      !w.sandbox.calls.some(
        (c) => c.operation === "DescribeProjectVersions" || c.operation === "StopProjectVersion",
      ),
    );
  });
});

describe("hostile answers", () => {
  const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  const longName = (seed: number) =>
    Array.from({ length: 255 }, (_, i) => NAME_CHARS[(i * 7 + seed) % NAME_CHARS.length]).join("");
  const fillerTags = (count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`team:tag-${i}`, i % 2 ? "Some Value " : " x"]),
    );

  for (const discovery of ["metrics-first", "full"])
    it(`odd names, 200 tags, odd tag values, missing and unknown fields, bad metric results: kept or stopped, each with a clear reason (discovery ${discovery})`, async () => {
      const project255 = longName(1);
      const version255 = `${longName(2).slice(0, 250)}.v1.0`;
      const w = await world(
        [
          { name: project255, versions: [idle(version255)] },
          {
            name: "tags",
            versions: [
              idle("two-hundred-opted-out", { tags: { ...fillerTags(199), "auto-stop": " NeVeR " } }),
              idle("two-hundred", { tags: fillerTags(200) }),
              idle("odd-case", { tags: { "auto-stop": "oFf" } }),
              idle("bad-date", { tags: { "auto-stop": "2026-02-30" } }),
              idle("bad-time", { tags: { "auto-stop": "2026-11-28T25:61:00Z" } }),
              idle("no-meaning", { tags: { "auto-stop": "  maybe later " } }),
              idle("bad-threshold", { tags: { "auto-stop:idle-minutes": "three hours" } }),
            ],
          },
          {
            name: "wire",
            versions: [
              idle("no-feature"),
              idle("bare", { minInferenceUnits: 2, maxInferenceUnits: 4 }),
              idle("hibernating"),
              idle("new-feature"),
              idle("partial"),
              idle("internal-error"),
              idle("no-results"),
            ],
          },
          { name: "unknown-project", versions: [idle("v1")] },
          { name: "no-status", versions: [idle("v1")] },
        ],
        {},
      );
      const arn = (project: string, version: string) => w.sandbox.rekognition.modelArn(project, version);
      w.sandbox.setQuirks({
        rekognition: {
          describe: {
            [arn("wire", "no-feature")]: { Feature: null },
            [arn("wire", "bare")]: {
              MinInferenceUnits: null,
              MaxInferenceUnits: null,
              StatusMessage: null,
              CreationTimestamp: null,
              TrainingEndTimestamp: null,
            },
            [arn("wire", "hibernating")]: { Status: "HIBERNATING" },
            [arn("wire", "new-feature")]: { Feature: "GENERAL_VISION" },
            [w.sandbox.rekognition.projectArn("unknown-project")]: { Feature: "GENERAL_VISION" },
            [w.sandbox.rekognition.projectArn("no-status")]: { Status: null, CreationTimestamp: null },
          },
        },
        cloudwatch: {
          metricResults: {
            "wire/partial": { statusCode: "PartialData" },
            "wire/internal-error": {
              statusCode: "InternalError",
              messages: [{ Code: "InternalError", Value: "try again later" }],
            },
            "wire/no-results": { omit: true },
          },
          getMetricDataMessages: [{ Code: "MaxMetricsExceeded", Value: "some queries were not run" }],
        },
      });
      const expectedStops = [
        arn(project255, version255),
        arn("tags", "two-hundred"),
        arn("wire", "no-feature"),
        arn("wire", "bare"),
        arn("no-status", "v1"),
      ].sort();

      const run = await w.invoke({ MAX_STOPS_PER_RUN: "1000", REKOGNITION_TPS: "100", DISCOVERY: discovery });

      assert.equal(run.exitCode, 0, run.stderr);
      const summary = run.result as StopperSummary;
      assert.deepEqual([...summary.stopped].sort(), expectedStops);
      assert.deepEqual(stopCalls(w.sandbox.calls).map(targetOf).sort(), expectedStops);
      const reasons = Object.fromEntries(
        summary.skipped.map((s) => [s.arn ?? `${s.region} ${s.model}`, s.reason]),
      );
      // Metrics-first discovery screens the metrics first: a model whose metrics cannot be read is kept by name.
      const unreadable = (version: string) =>
        discovery === "full" ? arn("wire", version) : `us-east-1 wire/${version}`;
      assert.equal(
        reasons[arn("tags", "two-hundred-opted-out")],
        "opted out: tag auto-stop= NeVeR  on the model",
      );
      assert.equal(reasons[arn("tags", "odd-case")], "opted out: tag auto-stop=oFf on the model");
      // A value the stopper does not know: the owner meant something, so the model is kept, and the value named.
      assert.match(
        reasons[arn("tags", "no-meaning")] ?? "",
        /^kept to be safe: tag auto-stop=" {2}maybe later " on the model is not a value the stopper knows/,
      );
      for (const version of ["bad-date", "bad-time"])
        assert.match(
          reasons[arn("tags", version)] ?? "",
          /looks like a snooze date but is not a valid ISO-8601 date; kept to be safe/,
        );
      assert.match(
        reasons[arn("tags", "bad-threshold")] ?? "",
        /^kept to be safe: tag auto-stop:idle-minutes=three hours/,
      );
      assert.match(
        reasons[arn("wire", "hibernating")] ?? "",
        /^not considered: DescribeProjectVersions reports status "HIBERNATING"/,
      );
      assert.match(
        reasons[arn("wire", "new-feature")] ?? "",
        /^not considered: DescribeProjectVersions reports Feature "GENERAL_VISION"/,
      );
      assert.match(
        reasons[w.sandbox.rekognition.projectArn("unknown-project")] ?? "",
        /^not considered: DescribeProjects reports Feature "GENERAL_VISION" for the project/,
      );
      assert.match(
        reasons[unreadable("partial")] ?? "",
        /^kept to be safe: could not read metrics \(CloudWatch returned status PartialData/,
      );
      assert.match(
        reasons[unreadable("internal-error")] ?? "",
        /^kept to be safe: could not read metrics \(CloudWatch returned status InternalError for a metric \(InternalError: try again later\); the call said MaxMetricsExceeded: some queries were not run\)$/,
      );
      assert.match(
        reasons[unreadable("no-results")] ?? "",
        /^kept to be safe: could not read metrics \(CloudWatch returned no result for one of the model's metrics; the call said MaxMetricsExceeded: some queries were not run\)$/,
      );
      // Every kept model with its reason; the three metric failures as errors, and the model already at AWS's 200
      // tags, stopped all the same, whose last-action tag would be its 201st.
      assert.equal(summary.skipped.length + summary.stopped.length, summary.scanned + 3);
      assert.deepEqual(
        summary.errors.map((e) => e.arn ?? e.message.split(" in us-east-1:")[0]).sort(),
        [
          arn("tags", "two-hundred"),
          ...(discovery === "full"
            ? [arn("wire", "internal-error"), arn("wire", "no-results"), arn("wire", "partial")]
            : ["wire/internal-error", "wire/no-results", "wire/partial"]),
        ].sort(),
      );
      assert.match(
        summary.errors.find((e) => e.arn === arn("tags", "two-hundred"))?.message ?? "",
        /^could not tag it auto-stop:last-action=stopped \S+ \(the model was stopped all the same\): ServiceQuotaExceededException/,
      );
      // Records carry the names whole, and no units a description did not give.
      const items = await w.items();
      const long = items.find((item) => item.modelArn === arn(project255, version255));
      assert.deepEqual(
        [long?.projectName, long?.versionName, long?.status],
        [project255, version255, "STOPPING"],
      );
      const bare = items.find((item) => item.modelArn === arn("wire", "bare"));
      assert.deepEqual(
        [bare?.minInferenceUnits, bare?.maxInferenceUnits, bare?.inferenceUnits],
        [undefined, undefined, 1],
      );
    });

  it("follows empty pages that still have a NextToken, and pages shorter than asked (by name too)", async () => {
    const projects = () =>
      Array.from({ length: 5 }, (_, p) => ({
        name: `paged-${p}`,
        versions: [idle("a"), idle("b"), { name: "old", status: "STOPPED" as const }],
      }));
    const quirks: WireQuirks = {
      rekognition: { maxPageSize: 2, emptyFirstPage: ["DescribeProjects", "DescribeProjectVersions"] },
    };
    const [full, byName] = await Promise.all([world(projects(), { quirks }), world(projects(), { quirks })]);
    const env = { MAX_STOPS_PER_RUN: "1000", REKOGNITION_TPS: "100" };
    const count = (w: StopperWorld, operation: string) =>
      w.sandbox.calls.filter((c) => c.operation === operation).length;

    const [fullRun, byNameRun] = await Promise.all([
      full.invoke({ ...env, DISCOVERY: "full" }),
      byName.invoke({ ...env, DISCOVERY: "metrics-first" }),
    ]);

    assert.deepEqual(fullRun.result?.errors, []);
    assert.equal(fullRun.result?.stopped.length, 10);
    // One empty page, then three pages of at most two projects; for each project an empty page and two more.
    assert.equal(count(full, "DescribeProjects"), 4);
    assert.equal(count(full, "DescribeProjectVersions"), 15);
    // Metrics-first, the same models found by name: the five project names in one lookup (an empty page, then
    // three of at most two), and each project's two idle versions by name (an empty page, then one).
    assert.deepEqual(byNameRun.result?.errors, []);
    assert.equal(byNameRun.result?.stopped.length, 10);
    assert.equal(count(byName, "DescribeProjects"), 4);
    assert.equal(count(byName, "DescribeProjectVersions"), 10);
  });

  it("stops paging at a NextToken that repeats, says where, and goes on with the models it found", async () => {
    const w = await world(
      [
        { name: "p0", versions: [idle("a"), idle("b"), idle("c")] },
        ...["p1", "p2", "p3", "p4"].map((name) => ({ name, versions: [idle("a")] })),
      ],
      {
        quirks: {
          rekognition: { maxPageSize: 2, repeatNextToken: ["DescribeProjects", "DescribeProjectVersions"] },
        },
      },
    );
    const arn = (project: string, version: string) => w.sandbox.rekognition.modelArn(project, version);

    const run = await w.invoke({ MAX_STOPS_PER_RUN: "1000", REKOGNITION_TPS: "100", DISCOVERY: "full" });

    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(
      run.result?.errors.map((e) => [e.arn, e.message]).sort(),
      [
        [
          undefined,
          "DescribeProjects in us-east-1 failed after 4 projects: RepeatedTokenError: DescribeProjects returned a NextToken it had already returned, after 2 pages; stopped paging",
        ],
        [
          w.sandbox.rekognition.projectArn("p0"),
          "DescribeProjectVersions failed: RepeatedTokenError: DescribeProjectVersions returned a NextToken it had already returned, after 2 pages; stopped paging",
        ],
      ].sort(),
    );
    // The loop was caught on its second page; the models of the pages read are real, and judged.
    assert.deepEqual(
      [...(run.result?.stopped ?? [])].sort(),
      [arn("p0", "a"), arn("p0", "b"), arn("p0", "c"), arn("p1", "a"), arn("p2", "a"), arn("p3", "a")].sort(),
    );
    assert.equal(w.sandbox.rekognition.model(arn("p4", "a"))?.status, "RUNNING");
    assert.equal(w.sandbox.calls.filter((c) => c.operation === "DescribeProjects").length, 2);
  });
});

describe("events and tags under throttling and server errors", () => {
  const account = (): SeedProject[] => [
    { name: "shelf", versions: [idle("a"), idle("b"), idle("c"), busy("busy")] },
  ];

  it("throttled half the time: the SDK's retry gets every event and tag through, and every stop happens", async () => {
    const w = await world(account(), {
      faults: {
        seed: 8,
        drawsBy: "call",
        eventbridge: { throttleRate: 0.5 },
        rekognition: { operations: { TagResource: { throttleRate: 0.5 } } },
      },
    });

    const run = await w.invoke();

    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.result?.stopped.length, 3);
    assert.deepEqual(run.result?.errors, []);
    assert.deepEqual(run.result?.announced, { events: 3, tagged: 3, failed: 0 });
    const faults = w.sandbox.faultCounts();
    assert.ok(faults.eventbridge.throttled > 0, "PutEvents was throttled");
    assert.ok((faults.rekognition.byOperation.TagResource?.throttled ?? 0) > 0, "TagResource was throttled");
    for (const arn of run.result?.stopped ?? [])
      assert.match(w.sandbox.rekognition.model(arn)?.tags["auto-stop:last-action"] ?? "", /^stopped /);
  });

  it("failing every time: the stops still happen and are recorded, and each failure is named in the run's errors", async () => {
    const w = await world(account(), {
      faults: {
        eventbridge: { serverErrorRate: 1 },
        rekognition: { operations: { TagResource: { serverErrorRate: 1 } } },
      },
    });

    const run = await w.invoke({ AWS_MAX_ATTEMPTS: "2" });

    assert.equal(run.exitCode, 0, run.stderr);
    const stopped = run.result?.stopped ?? [];
    assert.equal(stopped.length, 3);
    assert.deepEqual(
      (await w.items()).map((item) => item.status),
      ["STOPPING", "STOPPING", "STOPPING"],
    );
    assert.deepEqual(run.result?.announced, { events: 0, tagged: 0, failed: 6 });
    assert.deepEqual([...new Set(run.result?.errors.map((error) => error.arn))].sort(), [...stopped].sort());
  });
});

describe("a bad setting at cold start", () => {
  /** For each setting, a value just outside what it allows. */
  const BAD: Readonly<Record<keyof StopperSettings, string>> = {
    idleMinutes: "14",
    optOutTagKey: "aws:auto-stop",
    dryRun: "maybe",
    regions: "us-east-1,mars-1",
    maxStopsPerRun: "1001",
    pricePerInferenceUnitHour: "0",
    logTtlDays: "3651",
    maxAttempts: "21",
    requireOptIn: "perhaps",
    rekognitionTps: "101",
    metricsTps: "51",
    describeConcurrency: "33",
    tagConcurrency: "0",
    metricsConcurrency: "1.5",
    stopConcurrency: "-1",
    deadlineMarginSeconds: "4",
    overlapPhases: "sometimes",
    discovery: "metrics-only",
    lastLookMinutes: "61",
    warnBeforeStopHours: "169",
    publishEvents: "yes",
    tagLastAction: "1",
    regretCheckMinutes: "10",
    restartLeadMinutes: "200",
  };
  const cases: { variable: string; value: string; allowed: string }[] = [
    ...SETTINGS.map((spec) => ({ variable: spec.env, value: BAD[spec.key], allowed: spec.allowed })),
    { variable: "LOG_TABLE_NAME", value: "ab", allowed: "a DynamoDB table name (required)" },
    {
      variable: "NOTIFICATION_TOPIC_ARN",
      value: "arn:aws:sns:us-east-1:1234:idle-model-stopper",
      allowed: "an SNS topic ARN, or nothing for no digest",
    },
  ];

  it("has a bad value for every setting", () => {
    assert.deepEqual(Object.keys(BAD).sort(), SETTINGS.map((spec) => spec.key).sort());
    for (const spec of SETTINGS) assert.equal(spec.parse(BAD[spec.key]), undefined, spec.env);
  });

  it("fails for each one, naming the variable, the value and what is allowed, before calling AWS", async () => {
    const w = await world([{ name: "p", versions: [idle("a")] }]);
    w.sandbox.clearCalls();
    const failures: { variable: string; error?: unknown; exitCode: number | null }[] = [];
    // Two cold starts at a time: each is a fresh node process loading the bundle.
    const queue = [...cases];
    await Promise.all(
      [0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const run = await w.invoke({ [next.variable]: next.value });
          failures.push({ variable: next.variable, error: run.error, exitCode: run.exitCode });
        }
      }),
    );

    for (const { variable, value, allowed } of cases) {
      const failure = failures.find((f) => f.variable === variable);
      assert.equal(failure?.exitCode, 1, variable);
      assert.deepEqual(failure?.error, {
        name: "InvalidSettingError",
        message: new InvalidSettingError(variable, value, allowed).message,
      });
    }
    assert.deepEqual(w.sandbox.calls, [], "no call to any AWS service");
  });
});
