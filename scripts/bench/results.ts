/**
 * The bench's figures as a file, and the README's performance table rendered from it. `npm run bench` writes
 * `test-output/bench.json` every time; `npm run bench -- --record` also writes the committed `bench-results.json`
 * and rewrites the table between the README's bench markers, so the README never holds a hand-copied figure.
 * `test/unit/bench-results.test.ts` fails when the README's table is not the rendering of `bench-results.json`.
 *
 *   npx tsx scripts/bench/results.ts --readme   rewrites the README's table from bench-results.json alone
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { BundleFigures, RunFigures } from "./measure.ts";
import { cloudWatchCostUsd, int, type SizeResult, type Target } from "./report.ts";
import { floorOf, rekognitionCallBound } from "./world.ts";

/** The committed record of the latest `npm run bench -- --record`. */
export const RESULTS_FILE = fileURLToPath(new URL("../../bench-results.json", import.meta.url));
/** Where every bench run writes its figures. */
export const OUTPUT_FILE = fileURLToPath(new URL("../../test-output/bench.json", import.meta.url));
/** The README the table is rendered into. */
export const README_FILE = fileURLToPath(new URL("../../README.md", import.meta.url));

/** The markers around the generated part of the README. */
export const README_START =
  "<!-- bench-results:start (generated from bench-results.json by npm run bench -- --record) -->";
export const README_END = "<!-- bench-results:end -->";

/** One run of one account, as the file keeps it. */
export interface RunResult {
  readonly mode: RunFigures["label"];
  readonly wallS: number;
  readonly rekognitionCalls: number;
  /** The bound on a metrics-first run's Rekognition calls; absent for the other runs. */
  readonly rekognitionCallBound?: number;
  readonly peakRssBytes?: number;
  readonly cloudWatchMetrics: number;
  readonly cloudWatchCostUsd: number;
  readonly stopped?: number;
  readonly scanned?: number;
  readonly complete: boolean;
  readonly problems: readonly string[];
  readonly calls: Readonly<Record<string, { calls: number; throttled: number; errors: number }>>;
}

/** Everything one bench run measured. */
export interface BenchResults {
  /** When the bench ran, ISO-8601. */
  readonly recordedAt: string;
  readonly machine: {
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
    /** The 1-minute load average when the bench started and when it ended. */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
  readonly timeScale: number;
  readonly latencyMs: number;
  readonly sizes: readonly {
    readonly versions: number;
    readonly projects: number;
    readonly running: number;
    readonly idle: number;
    readonly expectedStops: number;
    readonly idleCandidates: number;
    readonly candidateProjects: number;
    /** The floor of a full discovery at the bench's rate limits ("today's floor"), real seconds. */
    readonly floorS: number;
    readonly floorBoundBy: string;
    readonly runs: readonly RunResult[];
  }[];
  readonly bundle: {
    readonly bytes: number;
    readonly gzipBytes: number;
    readonly importOverEmptyNodeMs: number;
  };
  readonly targets: readonly Target[];
  readonly benchSeconds: number;
}

/** The figures of a bench run as the file keeps them. */
export function toResults(input: {
  readonly results: readonly SizeResult[];
  readonly bundle: BundleFigures;
  readonly targets: readonly Target[];
  readonly machine: BenchResults["machine"];
  readonly timeScale: number;
  readonly latencyMs: number;
  readonly recordedAt: string;
  readonly benchSeconds: number;
}): BenchResults {
  return {
    recordedAt: input.recordedAt,
    machine: input.machine,
    timeScale: input.timeScale,
    latencyMs: input.latencyMs,
    sizes: input.results.map(({ account, runs }) => {
      const floor = floorOf(account);
      return {
        ...account.size,
        idle: account.idle,
        expectedStops: account.expectedStops,
        idleCandidates: account.idleCandidates,
        candidateProjects: account.candidateProjects,
        floorS: round(floor.seconds),
        floorBoundBy: floor.boundBy,
        runs: runs.map((run) => ({
          mode: run.label,
          wallS: round(run.wallS),
          rekognitionCalls: run.rekognitionCalls,
          ...(run.label === "metrics-first" && {
            rekognitionCallBound: rekognitionCallBound(account, run.summary?.stopped.length ?? 0),
          }),
          ...(run.rssBytes !== undefined && { peakRssBytes: run.rssBytes }),
          cloudWatchMetrics: run.metricsRequested,
          cloudWatchCostUsd: round(cloudWatchCostUsd(run), 6),
          ...(run.summary && { stopped: run.summary.stopped.length, scanned: run.summary.scanned }),
          complete: run.complete,
          problems: run.problems,
          calls: Object.fromEntries([...run.calls].sort(([a], [b]) => a.localeCompare(b))),
        })),
      };
    }),
    bundle: {
      bytes: input.bundle.bytes,
      gzipBytes: input.bundle.gzipBytes,
      importOverEmptyNodeMs: round(input.bundle.importMs - input.bundle.emptyMs),
    },
    targets: input.targets,
    benchSeconds: round(input.benchSeconds),
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const secs = (value: number) => `${value.toFixed(1)} s`;
const megabytes = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${Math.round(bytes / 1024 / 1024)} MB`;

/** The README's generated part: how it was measured, the figures of each account and mode, and the targets. */
export function renderReadmeSection(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    README_START,
    "",
    `Recorded ${results.recordedAt.slice(0, 10)} by \`npm run bench -- --record\` on Node.js ${machine.node.replace(/^v/, "")}, ` +
      `${machine.cores} cores (${machine.cpu}), 1-minute load average ${machine.loadAverage.start.toFixed(1)} at the ` +
      `start and ${machine.loadAverage.end.toFixed(1)} at the end; the world ran ×${results.timeScale} faster than ` +
      `real with ${results.latencyMs} ms of latency a call, and every time is in real seconds.`,
    "",
    "| Account (versions / projects / running) | Discovery | Wall time | × today's floor | Rekognition calls (bound) | Peak RSS | CloudWatch cost | Stopped / scanned |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const size of results.sizes) {
    const account = `${int(size.versions)} / ${int(size.projects)} / ${int(size.running)}`;
    for (const run of size.runs) {
      const bound = run.rekognitionCallBound === undefined ? "" : ` (≤ ${int(run.rekognitionCallBound)})`;
      lines.push(
        `| ${account} | ${run.mode} | ${secs(run.wallS)} | ${(run.wallS / size.floorS).toFixed(2)} of ${secs(size.floorS)} | ` +
          `${int(run.rekognitionCalls)}${bound} | ${megabytes(run.peakRssBytes)} | $${run.cloudWatchCostUsd.toFixed(4)} | ` +
          `${run.stopped ?? "—"} / ${run.scanned ?? "—"} |`,
      );
    }
  }
  lines.push("", "| Target | Met | Measured |", "| --- | --- | --- |");
  for (const target of results.targets)
    lines.push(
      `| ${target.name} | ${target.met === undefined ? "n/a" : target.met ? "met" : "**NOT MET**"} | ${target.value} |`,
    );
  lines.push(
    "",
    `The Lambda bundle: ${int(results.bundle.bytes)} bytes minified (${int(results.bundle.gzipBytes)} gzipped), ` +
      `imported in ${results.bundle.importOverEmptyNodeMs.toFixed(0)} ms more than an empty \`node\`. The bench took ` +
      `${results.benchSeconds.toFixed(0)} s.`,
    "",
    README_END,
  );
  return lines.join("\n");
}

/** The README with its generated part replaced; throws when the markers are missing. */
export function withReadmeSection(readme: string, results: BenchResults): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start)
    throw new Error(
      `README.md has no bench markers: add ${README_START} and ${README_END} where the table goes`,
    );
  return readme.slice(0, start) + renderReadmeSection(results) + readme.slice(end + README_END.length);
}

/** The README's generated part as it is now, markers included; undefined without markers. */
export function readmeSection(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  return start < 0 || end < start ? undefined : readme.slice(start, end + README_END.length);
}

/** Reads a results file. */
export function readResults(path = RESULTS_FILE): BenchResults {
  return JSON.parse(readFileSync(path, "utf8")) as BenchResults;
}

/** Writes a results file, as two-space JSON with a final newline. */
export function writeResults(results: BenchResults, path: string): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

/** Rewrites the README's generated part from the results. */
export function updateReadme(results: BenchResults, path = README_FILE): void {
  writeFileSync(path, withReadmeSection(readFileSync(path, "utf8"), results));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { readme: { type: "boolean" } } });
  if (!values.readme) {
    console.error("Usage: npx tsx scripts/bench/results.ts --readme");
    process.exitCode = 2;
  } else {
    updateReadme(readResults());
    console.log(`README.md: the bench's table rewritten from ${RESULTS_FILE}`);
  }
}
