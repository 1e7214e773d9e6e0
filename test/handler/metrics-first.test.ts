/**
 * The handler with metrics-first discovery, over the real adapters and SDK clients mocked with aws-sdk-client-mock:
 * ListMetrics paged, the screen's GetMetricData, DescribeProjects and DescribeProjectVersions by name for the idle
 * models only, and the same stops as a full discovery.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  awsError,
  type FakeProject,
  idleFor,
  mixedAccount,
  modelArn,
  project,
  projectArn,
  setupHandler,
} from "./fake-account.ts";

let installed: ReturnType<typeof setupHandler> | undefined;
afterEach(() => installed?.account.restore());

function setup(projects: FakeProject[], env: Record<string, string> = {}) {
  installed = setupHandler(projects, { DISCOVERY: "metrics-first", ...env });
  return installed;
}

describe("handler with metrics-first discovery", () => {
  it("stops the same idle models as a full discovery, describing only the projects of idle ones", async () => {
    // Prepare
    const projects = mixedAccount();
    const [alpha, beta, gamma, delta] = projects as [FakeProject, FakeProject, FakeProject, FakeProject];
    const { run, account } = setup(projects);

    // Act
    const summary = await run();

    // Assess
    assert.equal(summary.scanned, 5);
    assert.deepEqual(summary.stopped.sort(), [
      modelArn(alpha, { versionName: "a1" }),
      modelArn(beta, { versionName: "b1.2024-01" }),
      modelArn(delta, { versionName: "d1" }),
    ]);
    assert.deepEqual(
      summary.skipped.map((s) => [s.model, s.region, s.arn, s.reason.split(":")[0]]),
      [
        ["alpha/a2", "us-east-1", undefined, "in use"],
        ["gamma/g3", "us-east-1", undefined, "started recently"],
      ],
    );
    assert.deepEqual(summary.errors, []);
    // Ten metrics (each running model's and each project's own) at two a page.
    assert.equal(account.calls.filter((c) => c.startsWith("ListMetrics")).length, 5);
    // One DescribeProjects for the three projects with idle models (two pages of the fake's two), and never gamma.
    assert.deepEqual(
      account.calls.filter((c) => c.startsWith("DescribeProjects ")),
      ["DescribeProjects us-east-1 -", "DescribeProjects us-east-1 2"],
    );
    assert.deepEqual(
      account.calls.filter((c) => c.startsWith("DescribeProjectVersions")).sort(),
      [alpha, beta, delta].map((p) => `DescribeProjectVersions ${projectArn(p)} -`).sort(),
    );
    assert.ok(!account.calls.some((c) => c.includes(projectArn(gamma))));
    // Tags of the three idle running models and of their projects; none of the busy or stopped ones.
    assert.equal(account.calls.filter((c) => c.startsWith("ListTagsForResource")).length, 3 + 3);
    // The screen's GetMetricData (its reading of the idle models is the evidence their decisions rest on), then the
    // last look's: the request metrics of the three stop candidates, 4 queries each.
    assert.deepEqual(
      account.calls.filter((c) => c.startsWith("GetMetricData")),
      ["GetMetricData 30 -", "GetMetricData 12 -"],
    );
  });

  it("discovers in full, and says so, when ListMetrics is not allowed", async () => {
    // Prepare
    const projects = mixedAccount();
    const { run, account } = setup(projects);
    account.failOn(
      "ListMetrics",
      "*",
      awsError("AccessDeniedException", "not authorized: cloudwatch:ListMetrics"),
    );

    // Act
    const summary = await run();

    // Assess
    assert.equal(summary.stopped.length, 3);
    assert.equal(summary.scanned, 5);
    assert.equal(summary.errors.length, 1);
    assert.match(
      summary.errors[0]?.message ?? "",
      /^ListMetrics in us-east-1 failed \(AccessDeniedException: not authorized: cloudwatch:ListMetrics\); the region was discovered in full instead/,
    );
    // Every project's every page of versions, two a page: alpha 2, beta 1, gamma 2, delta 1, epsilon 1.
    assert.equal(account.calls.filter((c) => c.startsWith("DescribeProjectVersions")).length, 7);
  });

  it("judges a candidate by its own threshold from its tags, reading its metrics again over that window", async () => {
    // Prepare: idle for 4 hours, tagged to be stopped only after 5.
    const p = project("nightly", [
      { versionName: "n1", metrics: idleFor(4), tags: { "auto-stop:idle-minutes": "300" } },
    ]);
    const { run, account } = setup([p]);

    // Act
    const summary = await run();

    // Assess
    assert.deepEqual(summary.stopped, []);
    assert.match(
      summary.skipped[0]?.reason ?? "",
      /^started recently: .*less than the 5h00m idle window \(threshold from tag auto-stop:idle-minutes=300 on the model\)/,
    );
    assert.equal(summary.skipped[0]?.arn, modelArn(p, { versionName: "n1" }));
    assert.equal(account.calls.filter((c) => c.startsWith("GetMetricData")).length, 2);
  });

  it("stops the most expensive idle models up to the cap, and names the others it did not examine", async () => {
    // Prepare
    const projects = [
      project("one-unit", [{ versionName: "v", metrics: idleFor(5, 1) }]),
      project("three-units", [{ versionName: "v", metrics: idleFor(5, 3) }]),
      project("two-units", [{ versionName: "v", metrics: idleFor(5, 2) }]),
    ];
    const { run, account } = setup(projects, { MAX_STOPS_PER_RUN: "1" });

    // Act
    const summary = await run();

    // Assess
    assert.deepEqual(summary.stopped, [modelArn(projects[1] as FakeProject, { versionName: "v" })]);
    assert.equal(summary.scanned, 3);
    const unexamined = summary.skipped.filter((s) => s.arn === undefined).map((s) => s.model);
    assert.ok(unexamined.includes("one-unit/v"), JSON.stringify(summary.skipped));
    assert.ok(
      !account.calls.some(
        (c) => c === `ListTagsForResource ${modelArn(projects[0] as FakeProject, { versionName: "v" })}`,
      ),
      "the cheapest model's tags are not read",
    );
  });
});
