/**
 * The organization bench's figures as `npm run bench -- --organization` writes them
 * (test-output/organization-bench.json), and the README's block rendered from their record
 * (figures/organization-bench.json, by `npm run figures`).
 */

import { type BenchResults, int } from "./bench-figures.ts";

/** Everything one run of the organization bench measured; every time is in real seconds (measured × timeScale). */
export interface OrganizationBenchResults {
  /** When the bench ran, ISO-8601. */
  readonly recordedAt: string;
  readonly machine: BenchResults["machine"];
  /** How many times faster than real the world ran (1: real speed). */
  readonly timeScale: number;
  /** The latency the sandbox added to every AWS call, real milliseconds. */
  readonly latencyMs: number;
  /** False when the run measured other sizes than the bench's own (`--accounts`, `--regions`, `--running`). */
  readonly presetSizes: boolean;
  /** False when `--concurrency` replaced the template's MaxConcurrency. */
  readonly presetConcurrency: boolean;
  /** The hub and its member accounts. */
  readonly accounts: number;
  readonly regions: readonly string[];
  /** Running models in each account and region. */
  readonly running: number;
  /** Accounts × regions: the Map's items. */
  readonly items: number;
  /** The Map's MaxConcurrency in the synthesized state machine. */
  readonly mapConcurrency: number;
  /** The state machine's run over every item, from its start to its end. */
  readonly fanOutS: number;
  /** Each item run alone, one after another, on a world of its own. */
  readonly aloneS: readonly number[];
  /** The mean of `aloneS`: the time one item takes alone. */
  readonly itemAloneS: number;
  /** The whole run one item after another: items × the time one item takes alone. */
  readonly sequentialS: number;
  /** With each item on its own CPU, as on Lambda: ⌈items / MaxConcurrency⌉ waves × the time one item takes alone. */
  readonly ownCpuS: number;
  /** State transitions of the run, as Step Functions bills them. */
  readonly transitions: number;
  /** Transitions × Standard workflows' list price. */
  readonly costPerRunUsd: number;
  /** Models the run stopped, and how many its accounts require. */
  readonly stopped: number;
  readonly expectedStops: number;
  /** Calls the sandbox's per-account rate limits throttled during the fan-out. */
  readonly throttled: number;
  /** True when the run succeeded, every item ran without errors and stopped what its account requires. */
  readonly complete: boolean;
  /** Why the run is not complete, one sentence each. */
  readonly problems: readonly string[];
  /** The bench from start to end, this machine's seconds (not scaled). */
  readonly benchSeconds: number;
}

/** Why an organization bench output cannot be recorded, or undefined when it can: a run of other sizes. */
export function refuseOrganizationBenchFigures(results: OrganizationBenchResults): string | undefined {
  if (!results.presetSizes)
    return "it measured other sizes than the bench's own (--accounts, --regions or --running)";
  if (!results.presetConcurrency)
    return "it ran at another MaxConcurrency than the synthesized state machine's (--concurrency)";
  return undefined;
}

const secs = (value: number) => `${int(value)} s`;

/** The README's block: how it was measured, the fan-out against items one after another, the cost, the outcome. */
export function renderOrganizationBenchFigures(results: OrganizationBenchResults): string {
  const { machine } = results;
  const min = Math.min(...results.aloneS);
  const max = Math.max(...results.aloneS);
  const waves = Math.ceil(results.items / results.mapConcurrency);
  const outcome = results.complete
    ? `Every item succeeded and the run stopped the ${int(results.expectedStops)} models its accounts require.`
    : `**NOT MET: not every item succeeded.** ${results.problems.join(" ")}`;
  return [
    `Recorded ${results.recordedAt.slice(0, 10)} from \`npm run bench -- --organization\` on Node.js ` +
      `${machine.node.replace(/^v/, "")}, ${machine.cores} cores (${machine.cpu}), 1-minute load average ` +
      `${machine.loadAverage.start.toFixed(1)} at the start and ${machine.loadAverage.end.toFixed(1)} at the end; ` +
      `${results.accounts} accounts × ${results.regions.length} regions = ${results.items} items of ` +
      `${results.running} running models, ×${results.timeScale} faster than real with ${results.latencyMs} ms of ` +
      "latency a call, and every time is in real seconds.",
    "",
    "| What | Real seconds |",
    "| --- | --- |",
    `| The fan-out, measured: the state machine's run at MaxConcurrency ${results.mapConcurrency} on this machine | ` +
      `${secs(results.fanOutS)} |`,
    `| One item after another, estimated: ${results.items} × ${results.itemAloneS.toFixed(1)} s | ` +
      `${secs(results.sequentialS)} (${(results.sequentialS / results.fanOutS).toFixed(1)}× the fan-out's) |`,
    `| One item alone, measured: the mean of ${results.aloneS.length} run one after another | ` +
      `${results.itemAloneS.toFixed(1)} s (${min.toFixed(1)} to ${max.toFixed(1)} s) |`,
    `| Each item on its own CPU as on Lambda, estimated: ${waves} waves × ${results.itemAloneS.toFixed(1)} s | ` +
      `${secs(results.ownCpuS)} |`,
    "",
    `The run took ${int(results.transitions)} state transitions: $${results.costPerRunUsd.toFixed(4)} a run at ` +
      `$0.025 per 1,000, $${(results.costPerRunUsd * 30).toFixed(3)} a month nightly. It stopped ` +
      `${int(results.stopped)} models, and the per-account rate limits throttled ${int(results.throttled)} calls. ` +
      `${outcome} The bench took ${secs(results.benchSeconds)} from start to end, unscaled.`,
  ].join("\n");
}
