/**
 * Metrics-first discovery: candidates from ListMetrics, screened by their metrics, and only the idle ones
 * described (by name, ten a call) and handed over, most expensive first, no more than the run can stop.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningModel } from "../../lambda/core/types.ts";
import {
  type DiscoverFromMetricsInput,
  discoverFromMetrics,
  StopBudget,
} from "../../lambda/phases/discover-from-metrics.ts";
import { assess } from "../../lambda/run.ts";
import {
  awsError,
  busyUsage,
  configWith,
  FakeDirectory,
  FakeUsage,
  idleUsage,
  MINUTE,
  modelsOf,
  NOW,
  REGION,
  runningModel,
} from "./fakes.ts";

const config = configWith();
const nameOf = (model: { projectName: string; versionName: string }) =>
  `${model.projectName}/${model.versionName}`;

/** An account of these models, every one listed by ListMetrics. */
function account(models: RunningModel[]) {
  const directory = new FakeDirectory([models]);
  const usage = new FakeUsage();
  usage.listed = [...models];
  return { directory, usage };
}

/** Runs the source alone; returns what it handed over and its report. */
async function discoverAll(
  deps: ReturnType<typeof account>,
  input: Partial<DiscoverFromMetricsInput> = {},
  settings = config,
) {
  const found: RunningModel[] = [];
  const report = await discoverFromMetrics(deps, settings, { region: REGION, now: NOW, ...input })((model) =>
    found.push(model),
  );
  return { found, report };
}

/** Idle usage at `units` inference units. */
function idleAt(units: number) {
  const usage = idleUsage();
  return { ...usage, inService: usage.inService.map((point) => ({ ...point, value: units })) };
}

describe("metrics-first discovery", () => {
  it("describes only the models their metrics call idle, and judges the busy ones by name", async () => {
    // Prepare
    const [busy, idle, started] = modelsOf("cats", 3);
    const deps = account([busy, idle, started].filter((m) => m !== undefined));
    deps.usage.usage.set("cats/v0", busyUsage());
    const recent = idleUsage(1);
    deps.usage.usage.set("cats/v2", recent);

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, [idle]);
    assert.deepEqual(deps.directory.calls, [
      `projectArns ${REGION} cats`,
      `listTags ${REGION} ${idle?.projectArn}`,
      `describeModels ${REGION} ${idle?.projectArn} v1`,
    ]);
    assert.deepEqual(
      report.judgedByName?.map(({ model, verdict }) => [nameOf(model), verdict.reason.split(":")[0]]),
      [
        ["cats/v0", "in use"],
        ["cats/v2", "started recently"],
      ],
    );
    assert.deepEqual(
      deps.usage.screenCalls.map((call) => call.names),
      [["cats/v0", "cats/v1", "cats/v2"]],
    );
    assert.equal(deps.usage.screenCalls[0]?.window.start, NOW - 180 * MINUTE);
  });

  it("examines the most expensive first, a project at a time, ten names a describe call", async () => {
    // Prepare: twelve idle models in "big" at 1 unit, one in each of eleven small projects at 3 units.
    const big = modelsOf("big", 12);
    const small = Array.from({ length: 11 }, (_, index) => runningModel(`small-${index}`, "v0"));
    const deps = account([...big, ...small]);
    for (const model of small) deps.usage.usage.set(nameOf(model), idleAt(3));

    // Act
    const { found } = await discoverAll(deps);

    // Assess
    assert.equal(found.length, 23);
    const projectCalls = deps.directory.calls.filter((call) => call.startsWith("projectArns"));
    assert.deepEqual(
      projectCalls.map((call) => call.split(" ")[2]?.split(",").length),
      [10, 2],
    );
    assert.ok(projectCalls[0]?.includes("small-0"), "the expensive projects are looked up first");
    const describes = deps.directory.calls.filter((call) => call.startsWith("describeModels"));
    assert.equal(describes.length, 11 + 2);
    const bigDescribes = describes.filter((call) => call.includes(":project/big/"));
    assert.deepEqual(
      bigDescribes.map((call) => call.split(" ").at(-1)?.split(",").length),
      [10, 2],
    );
    assert.ok(found.slice(0, 11).every((model) => model.projectName.startsWith("small-")));
  });

  it("does not describe the versions of a project whose tags keep its models, and judges them by name", async () => {
    // Prepare
    const [a, b] = modelsOf("cats", 2);
    const deps = account([a, b].filter((m) => m !== undefined));
    deps.directory.tags.set(a?.projectArn ?? "", { "auto-stop": "2099-01-01" });

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, []);
    assert.ok(!deps.directory.calls.some((call) => call.startsWith("describeModels")));
    assert.deepEqual(
      report.judgedByName?.map(({ model, verdict }) => [nameOf(model), verdict.action, verdict.reason]),
      ["cats/v0", "cats/v1"].map((name) => [
        name,
        "keep",
        "snoozed until 2099-01-01T00:00:00Z by tag auto-stop=2099-01-01 on the project",
      ]),
    );
  });

  it("reads a project's tags once: read tags takes them from discovery", async () => {
    // Prepare
    const models = modelsOf("cats", 2);
    const deps = account(models);

    // Act
    const assessment = await assess(deps, config, NOW);

    // Assess
    assert.equal(assessment.decisions.length, 2);
    assert.equal(
      deps.directory.calls.filter((call) => call === `listTags ${REGION} ${models[0]?.projectArn}`).length,
      1,
    );
  });

  it("does not hand over a candidate that stopped since it was listed, nor judge it", async () => {
    // Prepare
    const [stopped, idle] = modelsOf("cats", 2);
    const deps = account([stopped, idle].filter((m) => m !== undefined));
    deps.directory.notRunning.set(stopped?.modelArn ?? "", "STOPPING");

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, [idle]);
    assert.deepEqual(report.judgedByName, []);
    assert.deepEqual(report.errors, []);
  });

  it("leaves out a listed model whose in-service data has stopped: it is no longer running", async () => {
    // Prepare
    const [gone] = modelsOf("cats", 1);
    const deps = account([gone].filter((m) => m !== undefined));
    const usage = idleUsage();
    deps.usage.usage.set("cats/v0", { ...usage, inService: usage.inService.slice(0, -40) });

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, []);
    assert.deepEqual(report.judgedByName, []);
    assert.deepEqual(deps.directory.calls, []);
  });

  it("never describes nor stops a running model ListMetrics does not list (yet): that only delays its stop", async () => {
    // Prepare: ListMetrics can take up to 15 minutes to list a model that just started publishing.
    const [listed, notYet] = modelsOf("cats", 2);
    const deps = account([listed, notYet].filter((m) => m !== undefined));
    deps.usage.listed = [listed].filter((m) => m !== undefined);

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, [listed]);
    assert.ok(!deps.directory.calls.some((call) => call.includes("v1")));
    assert.deepEqual(report.judgedByName, []);
  });

  it("keeps a model whose metrics could not be read by name, and reports why", async () => {
    // Prepare
    const [model] = modelsOf("cats", 1);
    const deps = account([model].filter((m) => m !== undefined));
    deps.usage.usage.set("cats/v0", { error: "GetMetricData failed: ThrottlingException: Rate exceeded" });

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, []);
    assert.match(report.judgedByName?.[0]?.verdict.reason ?? "", /^kept to be safe: could not read metrics/);
    assert.deepEqual(report.errors, [
      { message: `cats/v0 in ${REGION}: GetMetricData failed: ThrottlingException: Rate exceeded` },
    ]);
  });

  it("discovers the region in full when ListMetrics fails, and says so", async () => {
    // Prepare
    const models = modelsOf("cats", 2);
    const deps = account(models);
    deps.usage.listFailure = awsError(
      "AccessDeniedException",
      "not authorized to perform cloudwatch:ListMetrics",
    );

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, models);
    assert.deepEqual(deps.directory.calls, [`discover ${REGION}`]);
    assert.match(
      report.errors[0]?.message ?? "",
      /^ListMetrics in us-east-1 failed \(AccessDeniedException: .*\); the region was discovered in full instead/,
    );
  });

  it("reports a region whose screen failed outright, as a full discovery reports a region that failed", async () => {
    // Prepare
    const deps = account(modelsOf("cats", 2));
    deps.usage.failure = new Error("socket hang up");

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found, []);
    assert.deepEqual(report.errors, [{ message: "discovery in us-east-1 failed: Error: socket hang up" }]);
  });

  it("reports the candidates of a project it could not describe, and goes on with the others", async () => {
    // Prepare
    const deps = account([runningModel("cats", "v0"), runningModel("dogs", "v0")]);
    const cats = runningModel("cats", "v0");
    deps.directory.failures.set(cats.projectArn, awsError("ThrottlingException", "Rate exceeded"));

    // Act
    const { found, report } = await discoverAll(deps);

    // Assess
    assert.deepEqual(found.map(nameOf), ["dogs/v0"]);
    assert.deepEqual(report.errors, [
      {
        arn: cats.projectArn,
        message: "DescribeProjectVersions failed for v0: ThrottlingException: Rate exceeded",
      },
    ]);
  });

  it("examines a model with an unfinished record whatever its metrics say", async () => {
    // Prepare
    const [busy] = modelsOf("cats", 1);
    const deps = account([busy].filter((m) => m !== undefined));
    deps.usage.usage.set("cats/v0", busyUsage());

    // Act
    const { found, report } = await discoverAll(deps, { mustExamine: [busy].filter((m) => m !== undefined) });

    // Assess
    assert.deepEqual(found, [busy]);
    assert.deepEqual(report.judgedByName, []);
  });

  it("describes a model with an unfinished record even when its project's tags keep it, so its record is completed", async () => {
    // Prepare
    const [pending] = modelsOf("cats", 1);
    const deps = account([pending].filter((m) => m !== undefined));
    deps.directory.tags.set(pending?.projectArn ?? "", { "auto-stop": "never" });

    // Act
    const { found, report } = await discoverAll(deps, {
      mustExamine: [pending].filter((m) => m !== undefined),
    });

    // Assess
    assert.deepEqual(found, [pending]);
    assert.deepEqual(report.judgedByName, []);
  });

  it("reports the candidates it had no time to examine as unfinished, by name", async () => {
    // Prepare
    const deps = account([runningModel("cats", "v0"), runningModel("dogs", "v0")]);
    let asked = 0;

    // Act
    const { found, report } = await discoverAll(deps, { mayContinue: () => asked++ < 1 });

    // Assess
    assert.equal(found.length, 1);
    assert.equal(report.unfinished.length, 1);
    assert.deepEqual(Object.keys(report.unfinished[0] ?? {}).sort(), ["model", "reason", "region"]);
    assert.equal(
      report.unfinished[0]?.reason,
      "idle by its metrics, but not examined: the run was out of time",
    );
  });
});

describe("the stop budget of metrics-first discovery", () => {
  it("examines candidates until as many are likely stops as the run may stop, and judges the rest by name", async () => {
    // Prepare: six idle models at 3, 3, 2, 2, 1, 1 units; the two most expensive are opted out by tag.
    const models = ["a", "b", "c", "d", "e", "f"].map((name) => runningModel(name, "v0"));
    const deps = account(models);
    for (const [index, model] of models.entries())
      deps.usage.usage.set(nameOf(model), idleAt(3 - Math.floor(index / 2)));
    for (const model of models.slice(0, 2)) deps.directory.tags.set(model.modelArn, { "auto-stop": "never" });

    // Act
    const assessment = await assess(deps, configWith({ MAX_STOPS_PER_RUN: "2" }), NOW);

    // Assess
    assert.deepEqual(
      assessment.decisions.map((d) => [d.model.projectName, d.verdict.action]),
      [
        ["a", "keep"],
        ["b", "keep"],
        ["c", "stop"],
        ["d", "stop"],
      ],
    );
    assert.deepEqual(
      assessment.judgedByName.map(({ model }) => model.projectName),
      ["e", "f"],
    );
    assert.match(
      assessment.judgedByName[0]?.verdict.reason ?? "",
      /^idle: no requests from .* to .*, the newest metrics \(3h00m idle window\); .*; but not examined further: this run already has 2 models to stop \(MAX_STOPS_PER_RUN\), so its tags were not read; it will be considered again next run$/,
    );
    assert.ok(!deps.directory.calls.some((call) => call.includes(":project/e/")));
  });

  it("examines every candidate when phases do not overlap, since no tag is read before discovery ends", async () => {
    // Prepare
    const models = ["a", "b", "c"].map((name) => runningModel(name, "v0"));
    const deps = account(models);

    // Act
    const assessment = await assess(
      deps,
      configWith({ MAX_STOPS_PER_RUN: "1", OVERLAP_PHASES: "false" }),
      NOW,
    );

    // Assess
    assert.equal(assessment.decisions.length, 3);
    assert.deepEqual(assessment.judgedByName, []);
  });

  it("makes room again when a candidate leaves the examination, and says no once the likely stops fill the cap", async () => {
    // Prepare
    const budget = new StopBudget(2);
    budget.opened(2);
    let roomAfterRelease: boolean | undefined;

    // Act
    const waiting = budget.room().then((room) => {
      roomAfterRelease = room;
    });
    budget.released(1);
    await waiting;
    budget.opened(1);
    budget.tagged(true);
    budget.tagged(true);

    // Assess
    assert.equal(roomAfterRelease, true);
    assert.equal(await budget.room(), false);
  });
});
