import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  awsError,
  busy,
  type FakeModel,
  type FakeProject,
  idleFor,
  modelArn,
  NOW,
  project,
  projectArn,
  setupHandler,
  TOPIC_ARN,
} from "./fake-account.ts";

let installed: ReturnType<typeof setupHandler> | undefined;
afterEach(() => installed?.account.restore());

function setup(...args: Parameters<typeof setupHandler>) {
  installed = setupHandler(...args);
  return installed;
}

describe("the digest", () => {
  it("sends one message for a run that stopped several models, with each reason and cost", async () => {
    const p = project("vision", [
      { versionName: "a", metrics: idleFor(5, 2) },
      { versionName: "b", metrics: idleFor(5, 1) },
      { versionName: "busy", metrics: busy(5) },
    ]);
    const { run, account } = setup([p], { NOTIFICATION_TOPIC_ARN: TOPIC_ARN });

    await run("run-7");

    assert.equal(account.published.length, 1);
    const [digest] = account.published;
    assert.equal(digest?.subject, "idle-model-stopper: stopped 2 models ($12.00/h)");
    assert.match(
      digest?.message ?? "",
      /^Run run-7 at 2026-11-28T02:00:00Z scanned 3 running models in us-east-1\./,
    );
    assert.match(
      digest?.message ?? "",
      /Stopped 2, about \$12\.00\/h:\n- vision\/a \(us-east-1\), \$8\.00\/h\n {2}idle: no requests/,
    );
    assert.match(digest?.message ?? "", /- vision\/b \(us-east-1\), \$4\.00\/h/);
    assert.match(digest?.message ?? "", /Kept running: 1 /);
  });

  it("lists the errors of a run that stopped nothing", async () => {
    const p = project("vision", [{ versionName: "a", metrics: idleFor(5) }]);
    const { run, account } = setup([p], { NOTIFICATION_TOPIC_ARN: TOPIC_ARN });
    account.failOn(
      "StopProjectVersion",
      modelArn(p, { versionName: "a" }),
      awsError("AccessDeniedException", "no"),
    );

    await run();

    assert.equal(account.published[0]?.subject, "idle-model-stopper: stopped 0 models, 1 error");
    assert.match(
      account.published[0]?.message ?? "",
      /Errors \(1\):\n- arn:.*: StopProjectVersion failed: AccessDeniedException: no/,
    );
  });

  it("sends nothing for a quiet run", async () => {
    const { run, account } = setup([project("vision", [{ versionName: "busy", metrics: busy(5) }])], {
      NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
    });

    await run();

    assert.deepEqual(account.published, []);
  });

  it("says 'would stop' in a dry run", async () => {
    const { run, account } = setup([project("vision", [{ versionName: "a", metrics: idleFor(5) }])], {
      NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
      DRY_RUN: "true",
    });

    await run();

    assert.equal(account.published[0]?.subject, "idle-model-stopper dry run: would stop 1 model ($4.00/h)");
  });

  it("reports a digest that could not be sent, and keeps the stops", async () => {
    const p = project("vision", [{ versionName: "a", metrics: idleFor(5) }]);
    const { run, account } = setup([p], { NOTIFICATION_TOPIC_ARN: TOPIC_ARN });
    account.failOn("Publish", "", awsError("AuthorizationErrorException", "no"));

    const summary = await run();

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "a" })]);
    assert.match(
      summary.errors[0]?.message ?? "",
      /^could not publish the digest: AuthorizationErrorException/,
    );
  });
});

describe("metrics", () => {
  it("publishes the run's counts and savings once", async () => {
    const p = project("vision", [
      { versionName: "a", metrics: idleFor(5, 2) },
      { versionName: "busy", metrics: busy(5) },
    ]);
    const { run, metrics } = setup([p]);

    await run();

    assert.deepEqual(metrics.published, [
      {
        ModelsScanned: 2,
        ModelsStopped: 1,
        ModelsKept: 1,
        Errors: 0,
        EstimatedHourlySavingsUsd: 8,
        ModelsWarned: 0,
        ModelsRestarted: 0,
        ModelsRegretted: 0,
        ModelsStartedByHand: 0,
      },
    ]);
  });
});

describe("per-model settings and opt-in", () => {
  it("honours an idle-minutes tag on the project, and the model's own tag over it", async () => {
    const p = project(
      "slow-hours",
      [
        { versionName: "uses-project", metrics: idleFor(5) },
        { versionName: "own-tag", metrics: idleFor(5), tags: { "auto-stop:idle-minutes": "120" } },
      ],
      { tags: { "auto-stop:idle-minutes": "480" } },
    );
    const { run } = setup([p]);

    const summary = await run();

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "own-tag" })]);
    assert.match(
      summary.skipped[0]?.reason ?? "",
      /less than the 8h00m idle window \(threshold from tag auto-stop:idle-minutes=480 on the project\)/,
    );
  });

  it("fetches metrics separately for a model with its own threshold, and not at all for opted-out ones", async () => {
    const models: FakeModel[] = [
      ...Array.from({ length: 3 }, (_, i) => ({ versionName: `default-${i}`, metrics: idleFor(5) })),
      { versionName: "long", metrics: idleFor(12), tags: { "auto-stop:idle-minutes": "600" } },
      { versionName: "never", metrics: idleFor(12), tags: { "auto-stop": "never" } },
    ];
    const { run, account } = setup([project("p", models)]);

    await run();

    // One batch per threshold (3 models × 5, 1 × 5), then one last look at the 4 stop candidates (× 4).
    assert.deepEqual(account.calls.filter((c) => c.startsWith("GetMetricData")).sort(), [
      "GetMetricData 15 -",
      "GetMetricData 16 -",
      "GetMetricData 5 -",
    ]);
  });

  it("in opt-in mode stops only models opted in on the model or the project", async () => {
    const optedIn = project("in", [{ versionName: "a", metrics: idleFor(5) }], {
      tags: { "auto-stop": "true" },
    });
    const mixed = project("mixed", [
      { versionName: "in", metrics: idleFor(5), tags: { "auto-stop": "True" } },
      { versionName: "out", metrics: idleFor(5) },
    ]);
    const { run } = setup([optedIn, mixed], { REQUIRE_OPT_IN: "true" });

    const summary = await run();

    assert.deepEqual(summary.stopped.sort(), [
      modelArn(optedIn, { versionName: "a" }),
      modelArn(mixed, { versionName: "in" }),
    ]);
    assert.match(summary.skipped[0]?.reason ?? "", /^not opted in: REQUIRE_OPT_IN is on/);
  });
});

describe("batching", () => {
  it("asks for 1,200 metric queries in 3 GetMetricData calls", async () => {
    const models = Array.from({ length: 240 }, (_, i) => ({ versionName: `v${i}`, metrics: busy(5) }));
    const { run, account } = setup([project("big", models)]);

    const summary = await run();

    assert.equal(summary.scanned, 240);
    assert.deepEqual(
      account.calls
        .filter((c) => c.startsWith("GetMetricData"))
        .map((c) => Number(c.split(" ")[1]))
        .sort((a, b) => b - a),
      [500, 500, 200],
    );
  });

  it("reads each project's tags once however many of its models run", async () => {
    const models = Array.from({ length: 30 }, (_, i) => ({ versionName: `v${i}`, metrics: busy(5) }));
    const p = project("big", models);
    const { run, account } = setup([p]);

    await run();

    assert.equal(account.calls.filter((c) => c === `ListTagsForResource ${projectArn(p)}`).length, 1);
    assert.equal(account.calls.filter((c) => c.startsWith("ListTagsForResource")).length, 31);
  });
});

describe("reconciliation of a run that ended early", () => {
  function pendingRecord(p: FakeProject, versionName: string, runId = "crashed-run") {
    const arn = modelArn(p, { versionName });
    const stoppedAt = new Date(NOW - 24 * 3_600_000).toISOString();
    return [
      `${arn}|${stoppedAt}`,
      {
        modelArn: arn,
        stoppedAt,
        status: "STOP_PENDING",
        pendingRegion: "us-east-1",
        dryRun: false,
        runId,
        reason: "idle",
        idleMinutes: 180,
      },
    ] as const;
  }

  it("completes a pending record from the model's real status when the stop went through", async () => {
    const p = project("p", [{ versionName: "m", status: "STOPPED", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    const [key, item] = pendingRecord(p, "m");
    account.table.set(key, { ...item });

    const summary = await run("next-run");

    const record = account.table.get(key);
    assert.equal(record?.status, "STOPPED");
    assert.equal(record?.reconciledBy, "next-run");
    assert.equal(record?.pendingRegion, undefined);
    assert.match(
      String(record?.note),
      /^run crashed-run ended before recording the outcome of its stop; run next-run found the model STOPPED/,
    );
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
    assert.deepEqual(summary.errors, []);
  });

  it("marks a pending record of a model that is gone", async () => {
    const p = project("p", [{ versionName: "other", status: "STOPPED" }]);
    const { run, account } = setup([p]);
    const [key, item] = pendingRecord(p, "deleted");
    account.table.set(key, { ...item });

    await run("next-run");

    assert.equal(account.table.get(key)?.status, "NOT_FOUND");
  });

  it("stops a model still running and idle under a record of its own, superseding the pending one", async () => {
    const p = project("p", [{ versionName: "m", metrics: idleFor(30) }]);
    const { run, account } = setup([p]);
    const [key, item] = pendingRecord(p, "m");
    account.table.set(key, { ...item });

    const summary = await run("next-run");

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "m" })]);
    const earlier = account.table.get(key);
    assert.equal(earlier?.status, "SUPERSEDED");
    assert.equal(earlier?.reconciledBy, "next-run");
    assert.equal(earlier?.pendingRegion, undefined, "out of the PendingStops index");
    assert.equal(earlier?.followUpRegion, undefined, "its stop is the new record's to follow up");
    const own = [...account.table.values()].find((record) => record.runId === "next-run");
    assert.equal(own?.status, "STOPPING");
    assert.equal(own?.followUpRegion, "us-east-1");
    assert.equal(account.table.size, 2);
    assert.equal(account.calls.filter((c) => c.startsWith("StopProjectVersion")).length, 1);
  });

  it("closes the pending record of a model now in use as not stopped, with the reason", async () => {
    const p = project("p", [{ versionName: "m", metrics: busy(10) }]);
    const { run, account } = setup([p]);
    const [key, item] = pendingRecord(p, "m");
    account.table.set(key, { ...item });

    await run("next-run");

    assert.equal(account.table.get(key)?.status, "NOT_STOPPED");
    assert.match(String(account.table.get(key)?.note), /found it RUNNING and kept it: in use: 5 requests/);
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
  });
});

describe("deadline", () => {
  it("starts no stop with less time left than the margin, and lists the models as unfinished", async () => {
    const p = project("p", [
      { versionName: "a", metrics: idleFor(5) },
      { versionName: "b", metrics: idleFor(5) },
    ]);
    let left = 200_000;
    // Time runs out once the metrics are read: 20 s left, under the 30 s margin.
    const { run, account } = setup([p], {}, { remainingMs: () => left });
    const original = account.calls.push.bind(account.calls);
    account.calls.push = (...items: string[]) => {
      if (items.some((c) => c.startsWith("GetMetricData"))) left = 20_000;
      return original(...items);
    };

    const summary = await run();

    assert.deepEqual(summary.stopped, []);
    assert.equal(summary.unfinished.length, 2);
    assert.match(
      summary.unfinished[0]?.reason ?? "",
      /^idle, but not stopped: 20 s of the function's time left, under the 30 s kept/,
    );
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion") || c.startsWith("PutItem")));
  });

  it("stops describing projects when too little time is left, and says which it did not reach", async () => {
    const projects = [0, 1, 2].map((i) => project(`p${i}`, [{ versionName: "a", metrics: idleFor(5) }]));
    const { run } = setup(projects, {}, { remainingMs: () => 60_000 });

    const summary = await run();

    assert.equal(summary.scanned, 0);
    assert.equal(summary.unfinished.length, 3);
    assert.equal(summary.unfinished[0]?.reason, "project not described: the run was out of time");
  });
});

describe("what discovery does not know", () => {
  it("leaves a version in an unknown status or of an unknown feature alone, and says so in the summary", async () => {
    const p = project("odd", [
      { versionName: "hibernating", status: "HIBERNATING", metrics: idleFor(5) },
      { versionName: "vision", feature: "GENERAL_VISION", metrics: idleFor(5) },
      { versionName: "adapter", feature: "CONTENT_MODERATION", metrics: idleFor(5) },
      { versionName: "stopped", status: "STOPPED" },
      { versionName: "idle", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([p]);

    const summary = await run();

    assert.equal(summary.scanned, 1);
    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "idle" })]);
    assert.deepEqual(summary.skipped, [
      {
        arn: modelArn(p, { versionName: "hibernating" }),
        reason:
          'not considered: DescribeProjectVersions reports status "HIBERNATING", which the stopper does not know; ' +
          "only RUNNING models are stopped",
      },
      {
        arn: modelArn(p, { versionName: "vision" }),
        reason:
          'not considered: DescribeProjectVersions reports Feature "GENERAL_VISION", which the stopper does not ' +
          "know; only Custom Labels models are stopped",
      },
    ]);
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(
      account.calls.filter((c) => c.startsWith("StopProjectVersion")),
      [`StopProjectVersion ${modelArn(p, { versionName: "idle" })}`],
    );
  });
});
