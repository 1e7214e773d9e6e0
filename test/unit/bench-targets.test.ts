/**
 * The bench's targets as `npm run bench` judges them and the README's table shows them: the Rekognition call bound
 * is judged on every call the run made, and a run over it also says how many it made without the last-action tag's
 * TagResource calls, a figure the bench measured rather than one worked out by hand in the README.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunSummary } from "../../lambda/phases/report.ts";
import type { BundleFigures, RunFigures } from "../../scripts/bench/measure.ts";
import { evaluateTargets, type SizeResult } from "../../scripts/bench/report.ts";
import { buildAccount, rekognitionCallBound } from "../../scripts/bench/world.ts";

const CALL_BOUND_TARGET =
  "metrics-first: Rekognition calls ≤ 2 × idle candidates + ⌈candidate projects / 10⌉ + stops + 5";
const account = buildAccount({ versions: 1000, projects: 50, running: 20 }, 25);
const bundle: BundleFigures = {
  bytes: 300_000,
  gzipBytes: 90_000,
  mapBytes: undefined,
  importMs: 60,
  emptyMs: 20,
  nodeOptions: "",
};

/** The summary of a run that stopped the account's expected models and left the others running. */
function summaryStopping(stops: number): RunSummary {
  return {
    runId: "bench-run",
    mode: "run",
    dryRun: false,
    scanned: account.size.running,
    stopped: Array.from(
      { length: stops },
      (_, i) => `arn:aws:rekognition:us-east-1:123456789012:project/p${i}/version/v/1`,
    ),
    skipped: [],
    errors: [],
    unfinished: [],
    estimatedHourlySavingsUsd: 4 * stops,
    restarted: [],
    startedByHand: [],
    warned: [],
    warningsClosed: [],
    announced: { events: stops, tagged: stops, failed: 0 },
  };
}

/**
 * A complete metrics-first run of the account that stopped the expected models and made `calls` Rekognition calls,
 * as the sandbox counted them.
 */
function metricsFirstRun(calls: Readonly<Record<string, number>>): RunFigures {
  return {
    label: "metrics-first",
    wallS: 4,
    rekognitionCalls: Object.values(calls).reduce((sum, count) => sum + count, 0),
    rssBytes: 90_000_000,
    metricsRequested: 120,
    calls: new Map(
      Object.entries(calls).map(([name, count]) => [name, { calls: count, throttled: 0, errors: 0 }]),
    ),
    phases: new Map(),
    summary: summaryStopping(account.expectedStops),
    complete: true,
    problems: [],
  };
}

function callBoundTarget(run: RunFigures) {
  const sizes: SizeResult[] = [{ account, runs: [run], timeScale: 1 }];
  const target = evaluateTargets(sizes, bundle).find(({ name }) => name === CALL_BOUND_TARGET);
  assert.ok(target, "the bench judges the Rekognition call bound");
  return target;
}

describe("the bench's Rekognition call bound", () => {
  const stops = account.expectedStops;
  const bound = rekognitionCallBound(account, stops);

  it("is not met by a run whose last-action tags take it over, and says what it made without them", () => {
    // Prepare: the reads and stops alone come to the bound; each stop's TagResource goes over it
    const run = metricsFirstRun({
      DescribeProjects: 1,
      DescribeProjectVersions: bound - 1 - stops - 16,
      ListTagsForResource: 16,
      StopProjectVersion: stops,
      TagResource: stops,
    });

    // Act
    const target = callBoundTarget(run);

    // Assess
    assert.equal(target.met, false);
    assert.equal(
      target.value,
      `${bound + stops} ≤ ${bound} at 1,000 (${bound} without the last-action tag's ${stops} TagResource calls)`,
    );
  });

  it("is met by a run within it, with nothing more said", () => {
    // Prepare
    const run = metricsFirstRun({
      DescribeProjects: 1,
      ListTagsForResource: 10,
      StopProjectVersion: stops,
      TagResource: stops,
    });

    // Act
    const target = callBoundTarget(run);

    // Assess
    assert.equal(target.met, true);
    assert.equal(target.value, `${1 + 10 + 2 * stops} ≤ ${bound} at 1,000`);
  });

  it("is not met by a run over it without any tag call, and says nothing of the tag", () => {
    // Prepare
    const run = metricsFirstRun({ DescribeProjectVersions: bound + 1, StopProjectVersion: stops });

    // Act
    const target = callBoundTarget(run);

    // Assess
    assert.equal(target.met, false);
    assert.equal(target.value, `${bound + 1 + stops} ≤ ${bound} at 1,000`);
  });
});
