import assert from "node:assert/strict";
import { afterEach, describe, it, mock } from "node:test";
import {
  awsError,
  busy,
  everyMinute,
  type FakeProject,
  idleFor,
  MINUTE,
  mixedAccount,
  modelArn,
  NOW,
  project,
  projectArn,
  setupHandler,
} from "./fake-account.ts";

let installed: ReturnType<typeof setupHandler> | undefined;
afterEach(() => installed?.account.restore());

function setup(projects: FakeProject[], env: Record<string, string> = {}) {
  installed = setupHandler(projects, env);
  return installed;
}

describe("handler", () => {
  it("reads every page of projects and versions and stops only the idle running models", async () => {
    const projects = mixedAccount();
    const { run, account } = setup(projects);

    const summary = await run();

    assert.equal(summary.scanned, 5);
    assert.deepEqual(summary.stopped.sort(), [
      modelArn(projects[0] as FakeProject, { versionName: "a1" }),
      modelArn(projects[1] as FakeProject, { versionName: "b1.2024-01" }),
      modelArn(projects[3] as FakeProject, { versionName: "d1" }),
    ]);
    assert.deepEqual(
      summary.skipped.map((s) => s.reason.split(":")[0]),
      ["in use", "started recently"],
    );
    assert.deepEqual(summary.errors, []);
    // Five projects at two per page: three DescribeProjects pages; gamma's three versions: two pages.
    assert.equal(account.calls.filter((c) => c.startsWith("DescribeProjects ")).length, 3);
    assert.equal(
      account.calls.filter((c) =>
        c.startsWith(`DescribeProjectVersions ${projectArn(projects[2] as FakeProject)}`),
      ).length,
      2,
    );
    assert.equal(account.calls.filter((c) => c.startsWith("StopProjectVersion")).length, 3);
    // Tags are read for running models and once per project that has one.
    assert.equal(account.calls.filter((c) => c.startsWith("ListTagsForResource")).length, 5 + 4);
  });

  it("fetches more than 500 metric queries in batches of at most 500", async () => {
    const models = Array.from({ length: 250 }, (_, i) => ({ versionName: `v${i}`, metrics: idleFor(4) }));
    const { run, account } = setup([project("big", models)], { MAX_STOPS_PER_RUN: "1000" });

    const summary = await run();

    const metricCalls = account.calls.filter((c) => c.startsWith("GetMetricData"));
    // 250 models × 5 metrics, then the last look at the 250 stop candidates × 4 metrics: 125 models a call.
    assert.deepEqual(metricCalls, [
      "GetMetricData 500 -",
      "GetMetricData 500 -",
      "GetMetricData 250 -",
      "GetMetricData 500 -",
      "GetMetricData 500 -",
    ]);
    assert.equal(summary.stopped.length, 250);
  });

  it("never stops a model whose project is opted out, and says which tag kept it", async () => {
    const optedOut = project("shared", [{ versionName: "s1", metrics: idleFor(5) }], {
      tags: { "auto-stop": "Never" },
    });
    const { run, account } = setup([optedOut]);

    const summary = await run();

    assert.deepEqual(summary.stopped, []);
    assert.deepEqual(summary.skipped, [
      {
        arn: modelArn(optedOut, { versionName: "s1" }),
        reason: "opted out: tag auto-stop=Never on the project",
      },
    ]);
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
    assert.equal(account.table.size, 0);
  });

  it("keeps a model whose tags cannot be read and still stops the others", async () => {
    const p = project("mixed", [
      { versionName: "locked", metrics: idleFor(5) },
      { versionName: "open", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([p]);
    account.failOn(
      "ListTagsForResource",
      modelArn(p, { versionName: "locked" }),
      awsError("AccessDeniedException", "no"),
    );

    const summary = await run();

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "open" })]);
    assert.match(
      summary.skipped[0]?.reason ?? "",
      /kept to be safe: could not read tags .*AccessDeniedException/,
    );
    assert.deepEqual(
      summary.errors.map((e) => e.arn),
      [modelArn(p, { versionName: "locked" })],
    );
  });

  it("records a failed stop against the model's ARN and goes on with the others", async () => {
    const p = project("p", [
      { versionName: "m1", metrics: idleFor(5) },
      { versionName: "m2", metrics: idleFor(5) },
      { versionName: "m3", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([p]);
    const failing = modelArn(p, { versionName: "m2" });
    account.failOn("StopProjectVersion", failing, awsError("InternalServerError", "try again"));

    const summary = await run();

    assert.deepEqual(summary.stopped.sort(), [
      modelArn(p, { versionName: "m1" }),
      modelArn(p, { versionName: "m3" }),
    ]);
    assert.deepEqual(summary.errors, [
      { arn: failing, message: "StopProjectVersion failed: InternalServerError: try again" },
    ]);
    const record = [...account.table.values()].find((item) => item.modelArn === failing);
    assert.equal(record?.status, "FAILED: InternalServerError: try again");
  });

  it("records ResourceInUse and ResourceNotFound as outcomes, not run failures", async () => {
    const p = project("p", [
      { versionName: "changing", metrics: idleFor(5) },
      { versionName: "gone", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([p]);
    account.failOn(
      "StopProjectVersion",
      modelArn(p, { versionName: "changing" }),
      awsError("ResourceInUseException", "busy"),
    );
    account.failOn(
      "StopProjectVersion",
      modelArn(p, { versionName: "gone" }),
      awsError("ResourceNotFoundException", "no such"),
    );

    const summary = await run();

    assert.deepEqual(summary.errors, []);
    assert.deepEqual(summary.stopped, []);
    assert.deepEqual(
      summary.skipped.map((s) => s.reason),
      [
        "not stopped: the model is already changing (ALREADY_CHANGING: ResourceInUseException: busy)",
        "not stopped: the model no longer exists (NOT_FOUND: ResourceNotFoundException: no such)",
      ],
    );
    assert.deepEqual(
      [...account.table.values()].map((item) => item.status),
      ["ALREADY_CHANGING: ResourceInUseException: busy", "NOT_FOUND: ResourceNotFoundException: no such"],
    );
  });

  it("in a dry run, calls no StopProjectVersion and logs would-stops with dryRun: true", async () => {
    const p = project("p", [
      { versionName: "idle", metrics: idleFor(5, 3) },
      { versionName: "busy", metrics: busy(3) },
    ]);
    const { run, account } = setup([p], { DRY_RUN: "true" });

    const summary = await run();

    assert.equal(summary.dryRun, true);
    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "idle" })]);
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
    const [record] = [...account.table.values()];
    assert.equal(account.table.size, 1);
    assert.equal(record?.dryRun, true);
    assert.equal(record?.status, "DRY_RUN");
    assert.equal(record?.estimatedHourlyCostUsd, 12);

    const again = await run("run-2");
    assert.deepEqual(again.stopped, summary.stopped, "a repeated dry run reports the same would-stops");
    assert.equal(account.table.size, 1, "but does not log them twice");
  });

  it("writes the log record before StopProjectVersion and completes it after", async () => {
    const p = project("p", [{ versionName: "m1", minInferenceUnits: 2, metrics: idleFor(5, 2) }]);
    const { run, account } = setup([p]);
    const arn = modelArn(p, { versionName: "m1" });

    await run();

    const tail = account.calls.filter(
      (c) => c.includes(arn) && /^(Query|PutItem|StopProjectVersion|UpdateItem)/.test(c),
    );
    assert.deepEqual(tail, [
      `Query ${arn}`,
      `PutItem ${arn} STOP_PENDING`,
      `StopProjectVersion ${arn}`,
      `UpdateItem ${arn} STOPPING`,
    ]);
    const [record] = [...account.table.values()];
    assert.equal(record?.stoppedAt, new Date(NOW).toISOString());
    assert.deepEqual(
      { ...record, stoppedAt: undefined, completedAt: undefined },
      {
        modelArn: arn,
        stoppedAt: undefined,
        completedAt: undefined,
        kind: "stop",
        dryRun: false,
        projectName: "p",
        versionName: "m1",
        region: "us-east-1",
        reason:
          "idle: no requests from 2026-11-27T22:58:00Z to 2026-11-28T01:58:00Z, the newest metrics (3h00m idle " +
          "window); in service for the whole window at 2 inference units ($8.00/h); the last look from " +
          "2026-11-28T01:45:00Z to 2026-11-28T02:00:00Z saw no request either",
        idleMinutes: 180,
        inferenceUnits: 2,
        minInferenceUnits: 2,
        estimatedHourlyCostUsd: 8,
        runId: "run-1",
        status: "STOPPING",
        expiresAt: Math.floor(NOW / 1000) + 400 * 86_400,
        projectArn: projectArn(p),
        // The newest in-service datapoint the decision saw ends here: the regret check reads on from it.
        evidenceUntil: "2026-11-28T01:58:00Z",
        lastLook: { at: "2026-11-28T02:00:00Z", fromTime: "2026-11-28T01:45:00Z", requests: 0 },
        // A stop that took effect is followed up.
        followUpRegion: "us-east-1",
      },
    );
  });

  it("does not call StopProjectVersion when the log record cannot be written", async () => {
    const p = project("p", [{ versionName: "m1", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    account.failOn(
      "PutItem",
      modelArn(p, { versionName: "m1" }),
      awsError("ProvisionedThroughputExceededException", "slow down"),
    );

    const summary = await run();

    assert.deepEqual(summary.stopped, []);
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
    assert.deepEqual(summary.errors, [
      {
        arn: modelArn(p, { versionName: "m1" }),
        message:
          "could not write its log record, so the model was not stopped: " +
          "ProvisionedThroughputExceededException: slow down",
      },
    ]);
  });

  it("does not call StopProjectVersion when its earlier log records cannot be read, and says which step failed", async () => {
    const p = project("p", [
      { versionName: "m1", metrics: idleFor(5) },
      { versionName: "m2", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([p]);
    account.failOn("Query", modelArn(p, { versionName: "m1" }), awsError("InternalServerError", "oops"));

    const summary = await run();

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "m2" })]);
    assert.ok(!account.calls.includes(`StopProjectVersion ${modelArn(p, { versionName: "m1" })}`));
    assert.ok(!account.calls.some((c) => c.startsWith(`PutItem ${modelArn(p, { versionName: "m1" })}`)));
    assert.deepEqual(summary.errors, [
      {
        arn: modelArn(p, { versionName: "m1" }),
        message:
          "could not read its earlier log records, so the model was not stopped: InternalServerError: oops",
      },
    ]);
  });

  it("reports a stop whose outcome could not be recorded, leaving the record at STOP_PENDING", async () => {
    const p = project("p", [{ versionName: "m1", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    account.failOn("UpdateItem", modelArn(p, { versionName: "m1" }), awsError("InternalServerError", "oops"));

    const summary = await run();

    assert.deepEqual(summary.stopped, [modelArn(p, { versionName: "m1" })]);
    assert.match(
      summary.errors[0]?.message ?? "",
      /could not record the outcome "STOPPING", twice; the log record still says STOP_PENDING/,
    );
    assert.equal([...account.table.values()][0]?.status, "STOP_PENDING");
  });

  it("stops at most MAX_STOPS_PER_RUN models, the most expensive first, and says why it kept the rest", async () => {
    const p = project("p", [
      { versionName: "one-unit", metrics: idleFor(5, 1) },
      { versionName: "three-units", metrics: idleFor(5, 3) },
      { versionName: "two-units", metrics: idleFor(5, 2) },
    ]);
    const { run } = setup([p], { MAX_STOPS_PER_RUN: "2" });

    const summary = await run();

    assert.deepEqual(summary.stopped, [
      modelArn(p, { versionName: "three-units" }),
      modelArn(p, { versionName: "two-units" }),
    ]);
    assert.equal(summary.skipped.length, 1);
    assert.equal(summary.skipped[0]?.arn, modelArn(p, { versionName: "one-unit" }));
    assert.match(
      summary.skipped[0]?.reason ?? "",
      /this run reached its cap of 2 stops \(MAX_STOPS_PER_RUN\)/,
    );
  });

  it("a second run straight after the first stops nothing new and writes no second record", async () => {
    const p = project("p", [{ versionName: "m1", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    await run("run-1");
    // Describe may still say RUNNING for a moment after a stop.
    const model = p.models[0];
    if (model) model.status = "RUNNING";

    const second = await run("run-2");

    assert.deepEqual(second.stopped, []);
    assert.match(
      second.skipped[0]?.reason ?? "",
      /^already handled by run run-1 at .* \(status STOPPING\); not stopped or recorded again/,
    );
    assert.equal(account.calls.filter((c) => c.startsWith("StopProjectVersion")).length, 1);
    assert.equal(account.table.size, 1);
  });

  it("supersedes a record left STOP_PENDING by a run that ended early with one of its own decision", async () => {
    const p = project("p", [{ versionName: "m1", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    const arn = modelArn(p, { versionName: "m1" });
    account.failOn("StopProjectVersion", arn, awsError("Crash", "the process died"));
    account.failOn("UpdateItem", arn, awsError("Crash", "the process died"));
    await run("run-1");
    account.restore();
    // The next run, five minutes later.
    const { run: rerun, account: next, setClock } = setup([p]);
    setClock(NOW + 5 * MINUTE);
    for (const [key, item] of account.table) next.table.set(key, item);

    const summary = await rerun("run-2");

    assert.deepEqual(summary.stopped, [arn]);
    assert.deepEqual(
      [...next.table.values()].map((record) => [record.runId, record.status, record.reconciledBy]).sort(),
      [
        ["run-1", "SUPERSEDED", "run-2"],
        ["run-2", "STOPPING", undefined],
      ],
    );
    assert.equal(next.calls.filter((c) => c.startsWith("StopProjectVersion")).length, 1);
  });

  it("never touches Content Moderation projects or non-Custom-Labels versions", async () => {
    const moderation = project(
      "moderation",
      [{ versionName: "adapter", feature: "CONTENT_MODERATION", metrics: idleFor(5) }],
      {
        feature: "CONTENT_MODERATION",
      },
    );
    const odd = project("odd", [
      { versionName: "adapter", feature: "CONTENT_MODERATION", metrics: idleFor(5) },
    ]);
    const { run, account } = setup([moderation, odd]);

    const summary = await run();

    assert.equal(summary.scanned, 0);
    assert.ok(!account.calls.some((c) => c.includes("project/moderation/")));
    assert.ok(!account.calls.some((c) => c.startsWith("StopProjectVersion")));
  });

  it("scans every configured region and goes on when one region fails", async () => {
    const east = project("east", [{ versionName: "e1", metrics: idleFor(5) }], { region: "us-east-1" });
    const west = project("west", [{ versionName: "w1", metrics: idleFor(5) }], { region: "eu-west-1" });
    const { run, account } = setup([east, west], { REGIONS: "eu-west-1,us-east-1" });

    const summary = await run();
    assert.deepEqual(summary.stopped, [
      modelArn(west, { versionName: "w1" }),
      modelArn(east, { versionName: "e1" }),
    ]);

    account.restore();
    const again = setup(
      [east, west].map((p) => ({ ...p, models: p.models.map((m) => ({ ...m, status: "RUNNING" })) })),
      {
        REGIONS: "eu-west-1,us-east-1",
      },
    );
    again.account.failOn("DescribeProjects", "", awsError("AccessDeniedException", "SCP says no"));
    const failed = await again.run("run-2");
    assert.equal(failed.errors.length, 2);
    assert.match(
      failed.errors[0]?.message ?? "",
      /^DescribeProjects in eu-west-1 failed after 0 projects: AccessDeniedException/,
    );
  });

  it("keeps every model of a batch whose metrics cannot be read", async () => {
    const p = project("p", [{ versionName: "m1", metrics: idleFor(5) }]);
    const { run, account } = setup([p]);
    account.failOn("GetMetricData", "", awsError("InvalidParameterValueException", "bad"));

    const summary = await run();

    assert.deepEqual(summary.stopped, []);
    assert.match(
      summary.skipped[0]?.reason ?? "",
      /kept to be safe: could not read metrics \(GetMetricData failed: InvalidParameterValueException: bad\)/,
    );
  });

  it("logs the summary as one JSON line with the runId on every line", async () => {
    const p = project("p", [
      { versionName: "m1", metrics: { InServiceInferenceUnits: everyMinute(NOW - 60 * MINUTE, NOW, 1) } },
    ]);
    const { run, logger } = setup([p]);
    const info = mock.method(logger, "info");

    const summary = await run("run-42");

    const summaryLine = info.mock.calls.find((call) => call.arguments[0] === "run summary");
    assert.deepEqual((summaryLine?.arguments[1] as { summary?: unknown } | undefined)?.summary, summary);
    assert.equal(summary.runId, "run-42");
  });
});

describe("handler: an opt-out key named like a member of every JavaScript object", () => {
  // Built the way the SDK builds a tag map from JSON: `{ __proto__: … }` written literally would set the prototype.
  const tagged = (key: string, value: string): Record<string, string> => Object.fromEntries([[key, value]]);

  for (const key of ["__proto__", "constructor"]) {
    for (const discovery of ["full", "metrics-first"]) {
      it(`with OPT_OUT_TAG_KEY=${key} (${discovery} discovery), stops the idle untagged model and keeps the opted-out ones`, async () => {
        // Prepare
        const models = project("models", [
          { versionName: "untagged", metrics: idleFor(5) },
          { versionName: "opted-out", metrics: idleFor(5), tags: tagged(key, "false") },
          { versionName: "eight-hours", metrics: idleFor(5), tags: tagged(`${key}:idle-minutes`, "480") },
          { versionName: "nine-hours-idle", metrics: idleFor(9), tags: tagged(`${key}:idle-minutes`, "480") },
        ]);
        const shared = project("shared", [{ versionName: "s1", metrics: idleFor(5) }], {
          tags: tagged(key, "never"),
        });
        const { run } = setup([models, shared], { OPT_OUT_TAG_KEY: key, DISCOVERY: discovery });

        // Act
        const summary = await run();

        // Assess
        assert.deepEqual(summary.errors, []);
        assert.deepEqual(summary.stopped.sort(), [
          modelArn(models, { versionName: "nine-hours-idle" }),
          modelArn(models, { versionName: "untagged" }),
        ]);
        // Metrics-first discovery names a model of an opted-out project (never described) by project/version.
        const reasons = Object.fromEntries(summary.skipped.map((s) => [s.arn ?? s.model, s.reason]));
        assert.equal(
          reasons[modelArn(models, { versionName: "opted-out" })],
          `opted out: tag ${key}=false on the model`,
        );
        const s1 = discovery === "full" ? modelArn(shared, { versionName: "s1" }) : "shared/s1";
        assert.equal(reasons[s1], `opted out: tag ${key}=never on the project`);
        assert.match(
          reasons[modelArn(models, { versionName: "eight-hours" })] ?? "",
          new RegExp(`^started recently: .*threshold from tag ${key}:idle-minutes=480 on the model`),
        );
      });
    }
  }
});
