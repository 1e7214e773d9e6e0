/**
 * The bench's reporting: for each account size the floor, the figures of each run side by side, where the time
 * went and the speed-up; then the bundle, the targets, and the headline line.
 */

import { type BundleFigures, IMPORT_SAMPLES, type RunFigures } from "./measure.ts";
import { type Account, floorOf } from "./world.ts";

/** The size the final line and the ratio, RSS and speed-up targets are about. */
const HEADLINE_VERSIONS = 10_000;

// The issue's targets.
const TARGET_RATIO = 1.3;
const TARGET_TIMEOUT_S = 600;
const TARGET_RSS_BYTES = 128 * 1024 * 1024;
const TARGET_BUNDLE_BYTES = 350_000;
const TARGET_IMPORT_MS = 150;
const USD_PER_METRIC = 0.01 / 1000;

/** A whole number with thousands separators, e.g. 10,000. */
export const int = (value: number) => Math.round(value).toLocaleString("en-US");
const secs = (value: number) => `${value.toFixed(1)} s`;
const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const usd = (value: number) => `$${value.toFixed(4)}`;
const pad = (text: string, width: number) => text.padEnd(width);
const lpad = (text: string, width: number) => text.padStart(width);

/** Prints one account size: its floor, then each run's figures side by side. */
export function printSize(account: Account, runs: readonly RunFigures[], seededMs: number, k: number): void {
  const { size } = account;
  const floor = floorOf(account);
  console.log(
    `\n== ${int(size.versions)} versions / ${int(size.projects)} projects / ${int(size.running)} running ` +
      `(${account.idle} idle, ${account.expectedStops} to stop: MAX_STOPS_PER_RUN=25) ==`,
  );
  console.log(`seeding one world: ${(seededMs / 1000).toFixed(2)} s`);
  console.log(
    `floor: ${floor.perApi.map((api) => `${api.operation} ${int(api.calls)}/${api.tps} = ${secs(api.seconds)}`).join("; ")}`,
  );
  console.log(
    `       max over APIs = ${secs(floor.seconds)} (${floor.boundBy}); the same calls one API after another would need ${secs(floor.sequential)}`,
  );

  const width = 22;
  const column = 24;
  const row = (name: string, cell: (run: RunFigures) => string) =>
    console.log(`${pad(name, width)}${runs.map((run) => lpad(cell(run), column)).join("")}`);
  row("", (run) => run.label);
  row("wall time (real)", (run) => secs(run.wallS));
  row("ratio to floor", (run) => (run.wallS / floor.seconds).toFixed(2));
  row("peak RSS", (run) => mb(run.rssBytes));
  row("CloudWatch metrics", (run) => int(run.metricsRequested));
  row("CloudWatch cost", (run) => usd(run.metricsRequested * USD_PER_METRIC));
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
  const [optimized, baseline] = runs;
  if (optimized) {
    // Where the time beyond the floor goes: before the first Rekognition call, and after the assessment.
    const assessment = ["DescribeProjects", "DescribeProjectVersions", "ListTagsForResource", "GetMetricData"]
      .map((operation) => optimized.phases.get(operation))
      .filter((phase) => phase !== undefined);
    if (assessment.length > 0) {
      const firstS = Math.min(...assessment.map((phase) => phase.firstS));
      const assessedS = Math.max(...assessment.map((phase) => phase.lastS));
      console.log(
        `where the time goes (${optimized.label}): ${secs(firstS)} before the first Rekognition call; discovery, ` +
          `tags and metrics done at ${secs(assessedS)}; then ${secs(optimized.wallS - assessedS)} of stops, log ` +
          "writes and the digest",
      );
    }
    console.log(
      `speed-up over a run without overlap, whose best is the one-API-after-another ${secs(floor.sequential)}: ` +
        `≥ ${(floor.sequential / optimized.wallS).toFixed(2)}× (computed, not measured)`,
    );
  }
  if (optimized && baseline)
    console.log(
      `speed-up of the defaults over the measured baseline: ${(baseline.wallS / optimized.wallS).toFixed(2)}×`,
    );
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

/** Prints the bundle's size and import time. */
export function printBundle(bundle: BundleFigures): void {
  console.log(
    `\n== Lambda bundle ==\nindex.mjs: ${int(bundle.bytes)} bytes minified (${int(bundle.gzipBytes)} gzip)` +
      `${bundle.mapBytes === undefined ? "" : `; index.mjs.map: ${int(bundle.mapBytes)} bytes`}`,
  );
  console.log(
    `import in a fresh node (median of ${IMPORT_SAMPLES}, the function's env${bundle.nodeOptions ? ` incl. NODE_OPTIONS=${bundle.nodeOptions}` : ""}): ` +
      `${bundle.importMs.toFixed(0)} ms; empty node: ${bundle.emptyMs.toFixed(0)} ms; ` +
      `difference ${(bundle.importMs - bundle.emptyMs).toFixed(0)} ms`,
  );
}

/** Prints the targets, met or not, the bench's own time, and the headline line that comes last. */
export function printTargets(
  results: readonly { account: Account; runs: RunFigures[] }[],
  bundle: BundleFigures,
  benchStarted: number,
): void {
  const headline: { ratio?: number; speedup?: number; versions?: number } = {};
  const find = (versions: number) => results.find((result) => result.account.size.versions === versions);
  const main10k = find(HEADLINE_VERSIONS) ?? results[results.length - 1];
  const checks: [string, boolean | undefined, string][] = [];
  if (main10k) {
    const [optimized, baseline] = main10k.runs;
    const floor = floorOf(main10k.account).seconds;
    if (optimized) {
      headline.versions = main10k.account.size.versions;
      headline.ratio = optimized.wallS / floor;
      if (baseline) headline.speedup = baseline.wallS / optimized.wallS;
      const at = `at ${int(main10k.account.size.versions)} versions`;
      checks.push([
        `ratio to floor ≤ ${TARGET_RATIO} ${at}`,
        headline.ratio <= TARGET_RATIO,
        headline.ratio.toFixed(2),
      ]);
      checks.push([
        `peak RSS ≤ 128 MB ${at}`,
        optimized.rssBytes === undefined ? undefined : optimized.rssBytes <= TARGET_RSS_BYTES,
        mb(optimized.rssBytes),
      ]);
    }
  }
  const large = find(50_000)?.runs[0];
  checks.push([
    "50,000 versions inside a 10-minute timeout",
    large ? large.wallS <= TARGET_TIMEOUT_S && large.complete : undefined,
    large ? secs(large.wallS) : "not run",
  ]);
  checks.push([
    `bundle ≤ 350 KB (350,000 bytes) minified`,
    bundle.bytes <= TARGET_BUNDLE_BYTES,
    `${int(bundle.bytes)} bytes`,
  ]);
  const importDelta = bundle.importMs - bundle.emptyMs;
  checks.push([
    `import ≤ ${TARGET_IMPORT_MS} ms above empty node`,
    importDelta <= TARGET_IMPORT_MS,
    `${importDelta.toFixed(0)} ms`,
  ]);
  console.log("\n== Targets ==");
  for (const [name, met, value] of checks)
    console.log(`${pad(met === undefined ? "n/a" : met ? "met" : "NOT MET", 8)}${pad(name, 48)}${value}`);
  const problems = results.flatMap((result) => result.runs.flatMap((run) => run.problems));
  if (problems.length > 0)
    console.log(`WARNING: ${problems.length} runs did not do what the account requires (see above)`);
  console.log(
    `\nbench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s of wall time (synth included)`,
  );
  console.log(
    `bench: ratio-to-floor=${headline.ratio === undefined ? "n/a" : headline.ratio.toFixed(2)} ` +
      `speedup=${headline.speedup === undefined ? "n/a" : headline.speedup.toFixed(1)} at ${headline.versions ?? HEADLINE_VERSIONS} versions`,
  );
}
