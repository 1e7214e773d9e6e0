/**
 * The bench's figures as `npm run bench` writes them (test-output/bench.json), and the README's performance table
 * rendered from their record (figures/bench.json, by `npm run figures`).
 */

import type { RunMode } from "../bench/measure.ts";

/** A target, whether it was met (undefined: not measured in this run), and the measured value. */
export interface Target {
  readonly name: string;
  readonly met: boolean | undefined;
  readonly value: string;
}

/** A whole number with thousands separators, e.g. 10,000. */
export const int = (value: number) => Math.round(value).toLocaleString("en-US");

/** One run of one account, as the file keeps it. */
export interface RunResult {
  readonly mode: RunMode;
  readonly wallS: number;
  readonly rekognitionCalls: number;
  /** The issue's bound on a metrics-first run's Rekognition calls; absent for the other runs. */
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
  /** The one time scale of a record written before each account had its own (`sizes[].timeScale`). */
  readonly timeScale?: number;
  readonly latencyMs: number;
  /**
   * False when the run measured other account sizes than the bench's own (`--sizes`): its targets are then judged
   * on less, and it is not recorded. @default true (a record written before this field was)
   */
  readonly presetSizes?: boolean;
  readonly sizes: readonly {
    readonly versions: number;
    readonly projects: number;
    readonly running: number;
    readonly idle: number;
    readonly expectedStops: number;
    readonly idleCandidates: number;
    readonly candidateProjects: number;
    /** How many times faster than real the account's world ran (1: real speed). */
    readonly timeScale?: number;
    /** The floor of a full discovery at the bench's rate limits ("today's floor"), real seconds. */
    readonly floorS: number;
    readonly floorBoundBy: string;
    readonly runs: readonly RunResult[];
  }[];
  readonly bundle: {
    readonly bytes: number;
    readonly gzipBytes: number;
    readonly importOverEmptyNodeMs: number;
    /** The same without `--enable-source-maps` in NODE_OPTIONS; absent in records from before it was measured. */
    readonly importWithoutSourceMapsOverEmptyNodeMs?: number;
  };
  readonly targets: readonly Target[];
  readonly benchSeconds: number;
}

/**
 * Why a bench output cannot be recorded, or undefined when it can: a run of other sizes than the bench's own, or an
 * account measured without both discoveries.
 */
export function refuseBenchFigures(results: BenchResults): string | undefined {
  if (results.presetSizes === false) return "it measured other account sizes than the bench's own (--sizes)";
  for (const size of results.sizes) {
    const modes = new Set(size.runs.map((run) => run.mode));
    if (!modes.has("metrics-first") || !modes.has("full"))
      return `the account of ${int(size.versions)} versions was not measured with both discoveries`;
  }
  return undefined;
}

const secs = (value: number) => `${value.toFixed(1)} s`;

/** How fast each account's world ran, e.g. "the accounts of 1,000 and 10,000 versions ran at real speed, …". */
function timeScalesText(results: BenchResults): string {
  const byScale = new Map<number, number[]>();
  for (const size of results.sizes) {
    const k = size.timeScale ?? results.timeScale ?? 1;
    byScale.set(k, [...(byScale.get(k) ?? []), size.versions]);
  }
  const parts = [...byScale].map(([k, versions]) => {
    const names = versions.map(int);
    const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
    return `the account${names.length > 1 ? "s" : ""} of ${list} versions ran ${k === 1 ? "at real speed" : `×${k} faster than real`}`;
  });
  return parts.join("; ");
}
const megabytes = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${Math.round(bytes / 1024 / 1024)} MB`;

/** The README's performance table: how it was measured, the figures of each account and mode, and the targets. */
export function renderBenchFigures(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    `Recorded ${results.recordedAt.slice(0, 10)} from \`npm run bench\` on Node.js ${machine.node.replace(/^v/, "")}, ` +
      `${machine.cores} cores (${machine.cpu}), 1-minute load average ${machine.loadAverage.start.toFixed(1)} at the ` +
      `start and ${machine.loadAverage.end.toFixed(1)} at the end; ${timeScalesText(results)}, with ` +
      `${results.latencyMs} ms of latency a call, and every time is in real seconds.`,
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
      `imported in ${results.bundle.importOverEmptyNodeMs.toFixed(0)} ms more than an empty \`node\`` +
      (results.bundle.importWithoutSourceMapsOverEmptyNodeMs === undefined
        ? ""
        : ` with the function's \`--enable-source-maps\`, ` +
          `${results.bundle.importWithoutSourceMapsOverEmptyNodeMs.toFixed(0)} ms without it`) +
      `. The bench took ${results.benchSeconds.toFixed(0)} s.`,
  );
  return lines.join("\n");
}
