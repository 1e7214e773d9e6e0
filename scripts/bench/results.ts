/**
 * The bench's figures as a file: `npm run bench` writes them to `test-output/bench.json` every time, and
 * `npm run figures` records them in `figures/bench.json` and renders the README's performance table from that
 * record (scripts/figures/bench-figures.ts), so the README never holds a hand-copied figure.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchResults, Target } from "../figures/bench-figures.ts";
import type { OrganizationBenchResults } from "../figures/organization-bench-figures.ts";
import type { BundleFigures } from "./measure.ts";
import { cloudWatchCostUsd, type SizeResult } from "./report.ts";
import { floorOf, rekognitionCallBound } from "./world.ts";

/** Where every bench run writes its figures. */
export const OUTPUT_FILE = fileURLToPath(new URL("../../test-output/bench.json", import.meta.url));

/** Where every run of the organization case (`npm run bench -- --organization`) writes its figures. */
export const ORGANIZATION_OUTPUT_FILE = fileURLToPath(
  new URL("../../test-output/organization-bench.json", import.meta.url),
);

/** The figures of a bench run as the file keeps them. */
export function toResults(input: {
  readonly results: readonly SizeResult[];
  readonly bundle: BundleFigures;
  readonly targets: readonly Target[];
  readonly machine: BenchResults["machine"];
  readonly latencyMs: number;
  readonly recordedAt: string;
  readonly benchSeconds: number;
  /** Whether the run measured the bench's own account sizes. */
  readonly presetSizes: boolean;
}): BenchResults {
  return {
    recordedAt: input.recordedAt,
    machine: input.machine,
    latencyMs: input.latencyMs,
    presetSizes: input.presetSizes,
    sizes: input.results.map(({ account, runs, timeScale }) => {
      const floor = floorOf(account);
      return {
        ...account.size,
        timeScale,
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
      ...(input.bundle.importWithoutSourceMapsMs !== undefined && {
        importWithoutSourceMapsOverEmptyNodeMs: round(
          input.bundle.importWithoutSourceMapsMs - input.bundle.emptyMs,
        ),
      }),
    },
    targets: input.targets,
    benchSeconds: round(input.benchSeconds),
  };
}

/** A figure rounded for the file, to `digits` decimals. */
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Writes a results file, as two-space JSON with a final newline. */
export function writeResults(results: BenchResults | OrganizationBenchResults, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
