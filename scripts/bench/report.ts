/**
 * The bench's reporting: for each account size the floor of a full discovery ("today's floor"), the figures of each
 * run side by side and where the time went; then the bundle, the targets (met or not), and the headline line.
 */

import { int, type Target } from "../figures/bench-figures.ts";
import { type BundleFigures, IMPORT_SAMPLES, type RunFigures } from "./measure.ts";
import { type Account, floorOf, rekognitionCallBound } from "./world.ts";

export { int, type Target };

/** The size the headline, the wall-time target and the full discovery's ratio target are about. */
export const HEADLINE_VERSIONS = 10_000;
/** The size the "inside 120 s" and RSS targets are about. */
export const LARGEST_VERSIONS = 200_000;

// The targets (issue 13 for metrics-first discovery; the full discovery keeps the ones it met before).
const TARGET_SHARE_OF_FLOOR = 0.25;
const TARGET_LARGEST_S = 120;
const TARGET_FULL_RATIO = 1.3;
const TARGET_TIMEOUT_S = 600;
const TARGET_RSS_BYTES = 128 * 1024 * 1024;
const TARGET_BUNDLE_BYTES = 350_000;
const TARGET_IMPORT_MS = 100;
const USD_PER_METRIC = 0.01 / 1000;

/** One size's account and its runs. */
export interface SizeResult {
  readonly account: Account;
  readonly runs: readonly RunFigures[];
  /** How many times faster than real the account's world ran (1: real speed). */
  readonly timeScale: number;
}

/** Seconds with one decimal. */
export const secs = (value: number) => `${value.toFixed(1)} s`;
/** Megabytes with one decimal, or n/a. */
export const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** The CloudWatch cost of the metrics a run requested. */
export const cloudWatchCostUsd = (run: RunFigures) => run.metricsRequested * USD_PER_METRIC;
const usd = (value: number) => `$${value.toFixed(4)}`;
const pad = (text: string, width: number) => text.padEnd(width);
const lpad = (text: string, width: number) => text.padStart(width);

/**
 * For a run over the Rekognition call bound: how many calls it made without the last-action tag's TagResource calls
 * (one a stop, which the issue's bound predates and does not count), so the figure is measured, not worked out by
 * hand; empty for a run within the bound or without such calls.
 */
function withoutLastActionTag(run: RunFigures, bound: number): string {
  const tagCalls = run.calls.get("TagResource")?.calls ?? 0;
  if (run.rekognitionCalls <= bound || tagCalls === 0) return "";
  return ` (${int(run.rekognitionCalls - tagCalls)} without the last-action tag's ${int(tagCalls)} TagResource calls)`;
}

/** Prints one account size: the floor of a full discovery, then each run's figures side by side. */
export function printSize(result: SizeResult, seededMs: number, k: number): void {
  const { account, runs } = result;
  const { size } = account;
  const floor = floorOf(account);
  console.log(
    `\n== ${int(size.versions)} versions / ${int(size.projects)} projects / ${int(size.running)} running ` +
      `(${account.idle} idle, ${account.expectedStops} to stop: MAX_STOPS_PER_RUN=25; ${account.idleCandidates} ` +
      `idle by their metrics in ${account.candidateProjects} projects) ==`,
  );
  console.log(`seeding one world: ${(seededMs / 1000).toFixed(2)} s`);
  console.log(
    `today's floor (a full discovery): ${floor.perApi.map((api) => `${api.operation} ${int(api.calls)}/${api.tps} = ${secs(api.seconds)}`).join("; ")}`,
  );
  console.log(
    `       max over APIs = ${secs(floor.seconds)} (${floor.boundBy}); the same calls one API after another would need ${secs(floor.sequential)}`,
  );

  const width = 26;
  const column = 24;
  const row = (name: string, cell: (run: RunFigures) => string) =>
    console.log(`${pad(name, width)}${runs.map((run) => lpad(cell(run), column)).join("")}`);
  row("", (run) => run.label);
  row("wall time (real)", (run) => secs(run.wallS));
  row("× today's floor", (run) => (run.wallS / floor.seconds).toFixed(2));
  row("Rekognition calls", (run) => int(run.rekognitionCalls));
  row("  bound (metrics-first)", (run) =>
    run.label === "metrics-first" ? `≤ ${int(rekognitionCallBound(account, stopsOf(run)))}` : "-",
  );
  row("peak RSS", (run) => mb(run.rssBytes));
  row("CloudWatch metrics", (run) => int(run.metricsRequested));
  row("CloudWatch cost", (run) => usd(cloudWatchCostUsd(run)));
  row("stopped / scanned", (run) =>
    run.summary ? `${run.summary.stopped.length} / ${run.summary.scanned}` : "failed",
  );
  const operations = [...new Set(runs.flatMap((run) => [...run.calls.keys()]))].sort(
    (a, b) => Number(a.includes(":")) - Number(b.includes(":")) || a.localeCompare(b),
  );
  console.log(`calls (throttled) per operation; first → last call, real s from the start:`);
  for (const operation of operations) {
    row(`  ${operation}`, (run) => {
      const entry = run.calls.get(operation);
      const phase = run.phases.get(operation);
      if (!entry || !phase) return "-";
      const errors = entry.errors > 0 ? ` ${entry.errors}err` : "";
      return `${int(entry.calls)} (${entry.throttled})${errors} ${phase.firstS.toFixed(0)}→${phase.lastS.toFixed(0)}`;
    });
  }
  for (const run of runs) {
    // Where the time beyond the floor goes: before the first call, the assessment, then the stops.
    const assessment = [
      "ListMetrics",
      "DescribeProjects",
      "DescribeProjectVersions",
      "ListTagsForResource",
      "GetMetricData",
    ]
      .map((operation) => run.phases.get(operation))
      .filter((phase) => phase !== undefined);
    if (assessment.length === 0) continue;
    const firstS = Math.min(...assessment.map((phase) => phase.firstS));
    const assessedS = Math.max(...assessment.map((phase) => phase.lastS));
    console.log(
      `where the time goes (${run.label}): ${secs(firstS)} before the first AWS read; discovery, tags and ` +
        `metrics done at ${secs(assessedS)}; then ${secs(run.wallS - assessedS)} of stops, log writes and the digest`,
    );
  }
  for (const run of runs)
    if (run.modelCheck)
      console.log(
        `API-model check (${run.label}): ${run.modelCheck.validated} answers checked, ${run.modelCheck.mismatches} ` +
          `mismatches, ${run.modelCheck.checkMs.toFixed(0)} ms of the sandbox's CPU ` +
          `(${((run.modelCheck.checkMs * 1000) / Math.max(1, run.modelCheck.validated)).toFixed(0)} µs an answer)`,
      );
  for (const run of runs)
    for (const problem of run.problems) console.log(`WARNING (${run.label}): ${problem}`);
  if (k !== 1) console.log(`(measured at time scale ×${k}; every time above is measured × ${k})`);
}

/** StopProjectVersion calls that went through, or the summary's count when the call log has none. */
function stopsOf(run: RunFigures): number {
  return run.summary?.stopped.length ?? 0;
}

/** Prints the bundle's size and import time. */
export function printBundle(bundle: BundleFigures): void {
  console.log(
    `\n== Lambda bundle (the single-account one, dist/stopper-function/) ==\nindex.mjs: ${int(bundle.bytes)} bytes minified (${int(bundle.gzipBytes)} gzip)` +
      `${bundle.mapBytes === undefined ? "" : `; index.mjs.map: ${int(bundle.mapBytes)} bytes`}`,
  );
  console.log(
    `import in a fresh node (median of ${IMPORT_SAMPLES}, the function's env${bundle.nodeOptions ? ` incl. NODE_OPTIONS=${bundle.nodeOptions}` : ""}): ` +
      `${bundle.importMs.toFixed(0)} ms; empty node: ${bundle.emptyMs.toFixed(0)} ms; ` +
      `difference ${(bundle.importMs - bundle.emptyMs).toFixed(0)} ms` +
      (bundle.importWithoutSourceMapsMs === undefined
        ? ""
        : `; without --enable-source-maps: ${bundle.importWithoutSourceMapsMs.toFixed(0)} ms, ` +
          `difference ${(bundle.importWithoutSourceMapsMs - bundle.emptyMs).toFixed(0)} ms`),
  );
}

/** Every target, from what this bench run measured; a target about a size that was not run is not measured. */
export function evaluateTargets(results: readonly SizeResult[], bundle: BundleFigures): Target[] {
  const find = (versions: number) => results.find((result) => result.account.size.versions === versions);
  const run = (result: SizeResult | undefined, mode: RunFigures["label"]) =>
    result?.runs.find((candidate) => candidate.label === mode);
  const targets: Target[] = [];
  const headline = find(HEADLINE_VERSIONS);
  const headlineRun = run(headline, "metrics-first");
  const floor = headline ? floorOf(headline.account).seconds : undefined;
  targets.push({
    name: `metrics-first: wall time at ${int(HEADLINE_VERSIONS)} versions ≤ ${TARGET_SHARE_OF_FLOOR} × today's floor`,
    met:
      headlineRun && floor !== undefined
        ? headlineRun.wallS <= TARGET_SHARE_OF_FLOOR * floor && headlineRun.complete
        : undefined,
    value:
      headlineRun && floor !== undefined
        ? `${secs(headlineRun.wallS)} (≤ ${secs(TARGET_SHARE_OF_FLOOR * floor)})`
        : "not run",
  });
  const largest = run(find(LARGEST_VERSIONS), "metrics-first");
  targets.push({
    name: `metrics-first: ${int(LARGEST_VERSIONS)} versions inside ${TARGET_LARGEST_S} s`,
    met: largest ? largest.wallS <= TARGET_LARGEST_S && largest.complete : undefined,
    value: largest ? secs(largest.wallS) : "not run",
  });
  const bounded = results.flatMap((result) => {
    const figures = run(result, "metrics-first");
    return figures
      ? [{ result, figures, bound: rekognitionCallBound(result.account, stopsOf(figures)) }]
      : [];
  });
  targets.push({
    name: "metrics-first: Rekognition calls ≤ 2 × idle candidates + ⌈candidate projects / 10⌉ + stops + 5",
    met:
      bounded.length > 0
        ? bounded.every(({ figures, bound }) => figures.rekognitionCalls <= bound)
        : undefined,
    value:
      bounded.length > 0
        ? bounded
            .map(
              ({ result, figures, bound }) =>
                `${int(figures.rekognitionCalls)} ≤ ${int(bound)} at ${int(result.account.size.versions)}` +
                withoutLastActionTag(figures, bound),
            )
            .join(", ")
        : "not run",
  });
  targets.push({
    name: `metrics-first: peak RSS at ${int(LARGEST_VERSIONS)} versions ≤ 128 MB`,
    met: largest?.rssBytes === undefined ? undefined : largest.rssBytes <= TARGET_RSS_BYTES,
    value: mb(largest?.rssBytes),
  });
  const fullHeadline = run(headline, "full");
  targets.push({
    name: `full: ratio to today's floor ≤ ${TARGET_FULL_RATIO} at ${int(HEADLINE_VERSIONS)} versions`,
    met:
      fullHeadline && floor !== undefined
        ? fullHeadline.wallS / floor <= TARGET_FULL_RATIO && fullHeadline.complete
        : undefined,
    value: fullHeadline && floor !== undefined ? (fullHeadline.wallS / floor).toFixed(2) : "not run",
  });
  const full50k = run(find(50_000), "full");
  targets.push({
    name: "full: 50,000 versions inside a 10-minute timeout",
    met: full50k ? full50k.wallS <= TARGET_TIMEOUT_S && full50k.complete : undefined,
    value: full50k ? secs(full50k.wallS) : "not run",
  });
  const problems = results.flatMap((result) => result.runs.flatMap((figures) => figures.problems));
  targets.push({
    name: "every run scanned and stopped what its account requires",
    met: problems.length === 0,
    value: problems.length === 0 ? "yes" : `${problems.length} problems (see WARNING lines)`,
  });
  targets.push({
    name: "bundle ≤ 350,000 bytes minified (the single-account one, which the bench runs)",
    met: bundle.bytes <= TARGET_BUNDLE_BYTES,
    value: `${int(bundle.bytes)} bytes`,
  });
  const importDelta = bundle.importMs - bundle.emptyMs;
  targets.push({
    name: `import ≤ ${TARGET_IMPORT_MS} ms over an empty node`,
    met: importDelta <= TARGET_IMPORT_MS,
    value: `${importDelta.toFixed(0)} ms`,
  });
  return targets;
}

/** Prints the targets, met or not, the bench's own time, and the headline line that comes last. */
export function printTargets(
  results: readonly SizeResult[],
  targets: readonly Target[],
  benchSeconds: number,
): void {
  console.log("\n== Targets ==");
  for (const { name, met, value } of targets)
    console.log(`${pad(met === undefined ? "n/a" : met ? "met" : "NOT MET", 8)}${pad(name, 90)} ${value}`);
  console.log(`\nbench took ${benchSeconds.toFixed(0)} s of wall time (synth included)`);
  const headline = results.find((result) => result.account.size.versions === HEADLINE_VERSIONS);
  const metricsFirst = headline?.runs.find((run) => run.label === "metrics-first");
  const full = headline?.runs.find((run) => run.label === "full");
  const floor = headline ? floorOf(headline.account).seconds : undefined;
  const share = metricsFirst && floor ? (metricsFirst.wallS / floor).toFixed(2) : "n/a";
  const speedup = metricsFirst && full ? (full.wallS / metricsFirst.wallS).toFixed(1) : "n/a";
  const missed = targets.filter((target) => target.met === false).length;
  console.log(
    `bench: metrics-first=${share}×floor speedup-over-full=${speedup} at ${int(HEADLINE_VERSIONS)} versions; ` +
      `${missed === 0 ? "every target met" : `${missed} targets NOT MET`}`,
  );
}
