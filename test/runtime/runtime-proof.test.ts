/**
 * The proof report's runtime section over hand-written ledgers: what it prints for scenarios run, failed and skipped,
 * and that CI (IMS_REQUIRE_LAMBDA_RUNTIME=1) fails a run where nothing ran under the runtime client.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkRuntime } from "../../scripts/proof/runtime.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A ledger folder holding these runtime facts, as recordProof writes them. */
function ledger(...facts: Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), "runtime-proof-"));
  dirs.push(dir);
  writeFileSync(join(dir, "runtime-1.jsonl"), facts.map((fact) => `${JSON.stringify(fact)}\n`).join(""));
  return dir;
}

const ran = (scenario: string, outcome = "passed") => ({
  scenario,
  outcome,
  runtime: "nodejs22.x",
  nodeVersion: "v22.23.5",
  clientVersion: "4.0.2",
});
const CI = { IMS_REQUIRE_LAMBDA_RUNTIME: "1" };

describe("the runtime section of the proof report", () => {
  it("counts the scenarios run under the runtime client, with the Node.js and client versions", () => {
    const dir = ledger(
      { ...ran("main end to end"), initDurationMs: 412.4, peakRssBytes: 81 * 1024 * 1024 },
      ran("bad setting"),
      ran("main end to end"),
    );

    const result = checkRuntime(dir, CI);

    assert.deepEqual(result.lines, [
      "runtime: 2 scenarios run under the runtime client on Node 22.23.5 (aws-lambda-ric 4.0.2)",
      "  - bad setting",
      "  - main end to end (init 412 ms, peak RSS 81 MB)",
    ]);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.figures, {
      maxPeakRssMb: 81,
      maxInitMs: 412,
      scenarios: 2,
      failed: 0,
      skipped: 0,
      nodeVersion: "v22.23.5",
      clientVersion: "4.0.2",
      arm64SmokeRuns: 0,
    });
  });

  it("reports the arm64 smoke run on its own line, and fails in CI when it was skipped", () => {
    const arm = { path: "arm64", scenario: "smoke run on arm64", nodeVersion: "v22.23.5" };
    const ranDir = ledger(ran("main end to end"), { ...arm, outcome: "passed" });
    const skippedDir = ledger(ran("main end to end"), {
      ...arm,
      outcome: "skipped",
      reason: "not run on arm64: no qemu",
    });

    const passed = checkRuntime(ranDir, CI);
    const skipped = checkRuntime(skippedDir, CI);

    assert.equal(
      passed.lines.at(-1),
      "runtime: 1 smoke run of the plain bundle on Node 22.23.5 arm64 under qemu",
    );
    assert.equal(passed.figures.scenarios, 1, "the smoke run is not a runtime-client scenario");
    assert.deepEqual(passed.failures, []);
    assert.equal(skipped.lines.at(-1), "runtime: not run on arm64: no qemu");
    assert.match(skipped.failures[0] ?? "", /the arm64 smoke run was skipped/);
  });

  it("fails on a scenario that failed, naming it", () => {
    const dir = ledger(ran("main end to end"), ran("crash", "failed"));

    const result = checkRuntime(dir, {});

    assert.match(result.lines[0] ?? "", /, 1 failed$/);
    assert.deepEqual(result.failures, ['the scenario "crash" failed']);
  });

  it("reports a skip with its reason, and passes it outside CI", () => {
    const reason = "not run under the Lambda runtime client: no Node.js binary in .cache/lambda-runtime; …";
    const dir = ledger({ scenario: "every scenario", outcome: "skipped", reason });

    const local = checkRuntime(dir, {});
    const ci = checkRuntime(dir, CI);

    assert.deepEqual(local.lines, [`runtime: ${reason}`]);
    assert.deepEqual(local.failures, []);
    assert.equal(ci.failures.length, 1);
    assert.match(ci.failures[0] ?? "", /^IMS_REQUIRE_LAMBDA_RUNTIME=1 and a scenario was skipped/);
  });

  it("fails in CI when no scenario ran at all, and only says so elsewhere", () => {
    const dir = ledger();

    const local = checkRuntime(dir, {});
    const ci = checkRuntime(dir, CI);

    assert.deepEqual(local.failures, []);
    assert.match(local.lines[0] ?? "", /was not in this run/);
    assert.match(
      ci.failures[0] ?? "",
      /^IMS_REQUIRE_LAMBDA_RUNTIME=1 and no scenario ran under the runtime client/,
    );
  });
});
