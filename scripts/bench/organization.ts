/**
 * The bench's organization case (issue 11): `npm run bench -- --organization`. A hub and 99 member accounts × 2
 * regions × 50 running models, each account with its own rate-limit buckets (AWS's limits are per account and
 * region). The synthesized state machine runs in the ASL interpreter (sandbox/organization-run.ts) at the template's
 * MaxConcurrency, every item a cold start of the real bundle; then a few items run one after another, alone, to give
 * the time of the whole run one item after another. It prints both, and the state machine's cost per run from the
 * state transitions counted (× $0.025 per 1,000, Standard workflows' list price). It writes its figures to
 * test-output/organization-bench.json, which `npm run figures` records in figures/organization-bench.json and renders
 * in the README (scripts/figures/organization-bench-figures.ts), and exits 1 when not every item succeeded.
 *
 *   npm run bench -- --organization [--accounts 100] [--regions us-east-1,eu-west-1] [--running 50]
 *                    [--sequential-sample 6] [--time-scale 20] [--latency-ms 25]
 */

import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type OrganizationRunSummary, summaryBudgetBytes } from "../../lambda/core/organization.ts";
import type { ItemEvent } from "../../lambda/organization/steps.ts";
import { synthesize } from "../../sandbox/bundle.ts";
import type { CfnTemplate } from "../../sandbox/cfn-template.ts";
import { BENCH_RATE_LIMITS, type OrganizationSpec, scaleRateLimits } from "../../sandbox/index.ts";
import {
  runExecution,
  type SpokeDeployment,
  SpokeGuards,
  spokeTrustPolicies,
} from "../../sandbox/organization-run.ts";
import { synthesizedStateMachine } from "../../sandbox/state-machine.ts";
import { startStopperWorld } from "../../sandbox/stopper-world.ts";
import type { OrganizationBenchResults } from "../figures/organization-bench-figures.ts";
import { spokeTemplate } from "../spoke-template.ts";
import { functionPacing } from "./measure.ts";
import { ORGANIZATION_OUTPUT_FILE, round, writeResults } from "./results.ts";
import { buildAccount } from "./world.ts";

/** Standard workflows' price per state transition (us-east-1 list price: $0.025 per 1,000). */
export const PRICE_PER_TRANSITION_USD = 0.025 / 1000;

const HUB = "123456789012";
/** The schedule's time of the run the bench measures. */
const SCHEDULED_TIME = "2026-11-28T02:00:00Z";
const ORG = "o-a1b2c3d4e5";

/** The 12-digit id of the n-th member account. */
const memberId = (n: number) => String(200_000_000_000 + n);

/** Runs the organization case, prints its figures and writes them; returns the exit code (1: an item failed). */
export async function runOrganizationBench(argv: readonly string[]): Promise<number> {
  const benchStarted = performance.now();
  const loadAtStart = loadavg()[0] as number;
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--organization"),
    options: {
      accounts: { type: "string", default: "100" },
      regions: { type: "string", default: "us-east-1,eu-west-1" },
      running: { type: "string", default: "50" },
      "sequential-sample": { type: "string", default: "6" },
      "time-scale": { type: "string", default: "20" },
      "latency-ms": { type: "string", default: "25" },
      concurrency: { type: "string" },
    },
    strict: true,
  });
  const accounts = Number(values.accounts);
  const running = Number(values.running);
  const sample = Number(values["sequential-sample"]);
  const k = Number(values["time-scale"]);
  const regions = String(values.regions).split(",");
  const members = Array.from({ length: accounts - 1 }, (_, n) => memberId(n));
  const concurrency = values.concurrency;
  // Only the bench's own sizes and the template's MaxConcurrency are recorded for the README.
  const given = (name: string) => argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  const presetSizes = !["accounts", "regions", "running"].some(given);

  process.stderr.write("cdk synth (organization mode)…\n");
  const fn = await synthesize({
    accounts: members.join(","),
    organizationId: ORG,
    regions: regions.join(","),
    ...(concurrency !== undefined && { mapConcurrency: concurrency }),
  });
  try {
    const machine = synthesizedStateMachine(fn.template, { account: HUB, region: "us-east-1" });
    const mapConcurrency = machine.definition.States.EachAccountAndRegion?.MaxConcurrency ?? 0;
    const items = accounts * regions.length;
    // Each item's account: `running` running models over as many projects, a few versions more each.
    const account = buildAccount({ versions: running * 4, projects: running, running }, 25);
    const spec = {
      projects: regions.flatMap((region) => account.spec.projects.map((p) => ({ ...p, region }))),
    };
    const organization: OrganizationSpec = {
      id: ORG,
      rootId: "r-ab12",
      accounts: members.map((id) => ({ id, spokeRole: "IdleModelStopperSpoke" })),
    };
    const spoke: SpokeDeployment = {
      template: spokeTemplate() as unknown as CfnTemplate,
      parameters: {
        HubAccountId: HUB,
        HubRoleName: "IdleModelStopperHub-us-east-1",
        OrganizationId: ORG,
        Regions: regions,
        RoleName: "IdleModelStopperSpoke",
        ExternalId: "",
      },
      accounts: members,
      region: "us-east-1",
    };
    const latencyMs = Number(values["latency-ms"]) / k;
    const start = async () => {
      const guards = new SpokeGuards(spoke);
      const world = await startStopperWorld(fn, {
        organization,
        trustPolicies: spokeTrustPolicies(spoke),
        rateLimits: scaleRateLimits(BENCH_RATE_LIMITS, k),
        faults: { rekognition: { latencyMs }, cloudwatch: { latencyMs }, dynamodb: { latencyMs } },
        clock: Date.now,
        onCall: (call) => guards.observe(call),
      });
      world.sandbox.seed(spec);
      for (const id of members) world.sandbox.inAccount(id).seed(spec);
      return { world, guards };
    };
    const pacing = functionPacing(fn, k);

    console.log(
      `organization: ${accounts} accounts × ${regions.length} regions = ${items} items, ${running} running models an ` +
        `item (${account.expectedStops} idle stopped), MaxConcurrency ${mapConcurrency}, time scale ×${k}; every ` +
        "account has its own rate-limit buckets",
    );
    process.stderr.write(`organization: the state machine over ${items} items…\n`);
    const { world, guards } = await start();
    // What keeps the run from being complete, one sentence each; the figures are written all the same.
    const problems: string[] = [];
    const expectedStops = account.expectedStops * items;
    let fanOutS: number;
    let transitions: number;
    let stopped = 0;
    let throttled: number;
    try {
      const began = performance.now();
      const outcome = await runExecution(world, machine, fn.template, {
        input: { scheduledTime: SCHEDULED_TIME, attempt: 1 },
        name: "bench",
        invoke: { timeScale: k, remainingTimeMs: fn.timeoutSeconds * 1000 },
        env: pacing,
      });
      fanOutS = ((performance.now() - began) / 1000) * k;
      transitions = outcome.transitions;
      if (outcome.error)
        problems.push(`The state machine's run failed: ${outcome.error.name}: ${outcome.error.message}.`);
      else problems.push(...runProblems(outcome.output as OrganizationRunSummary, expectedStops));
      stopped = outcome.error ? 0 : (outcome.output as OrganizationRunSummary).stopped;
      problems.push(...(await refusedCalls(guards)));
      // Each account has its own buckets: 10 accounts at once must not throttle one another.
      throttled = world.sandbox.calls.filter((call) => call.rateLimited).length;
    } finally {
      await world.stop();
    }

    process.stderr.write(`organization: ${sample} items one after another…\n`);
    const alone = await start();
    const durations: number[] = [];
    try {
      for (let n = 0; n < sample; n += 1) {
        const accountId = n === 0 ? HUB : (members[n - 1] as string);
        const began = performance.now();
        // The event the Map gives each item (the list step's mode, time and summary budget), so it runs the same;
        // typed, so that a field the item step comes to require fails here at compile time, not in a bench run.
        const event: ItemEvent = {
          step: "item",
          accountId,
          region: regions[n % regions.length] as string,
          runId: "bench",
          mode: "run",
          scheduledAt: Date.parse(SCHEDULED_TIME),
          summaryBytes: summaryBudgetBytes(items),
        };
        const run = await alone.world.invoke(pacing, {
          event,
          timeScale: k,
          remainingTimeMs: fn.timeoutSeconds * 1000,
        });
        if (run.result) durations.push(((performance.now() - began) / 1000) * k);
        else problems.push(`Item ${accountId} run alone failed: ${run.error?.message ?? run.signal}.`);
      }
      problems.push(...(await refusedCalls(alone.guards)));
    } finally {
      await alone.world.stop();
    }
    if (durations.length === 0) throw new OrganizationBenchError(`no item ran alone: ${problems.join(" ")}`);
    const mean = durations.reduce((sum, d) => sum + d, 0) / durations.length;
    const sequentialS = mean * items;
    const cost = transitions * PRICE_PER_TRANSITION_USD;
    // On Lambda every item has its own CPU: waves of MaxConcurrency items, each as long as an item run alone.
    const ownCpuS = Math.ceil(items / mapConcurrency) * mean;
    console.log(
      `organization: fan-out ${fanOutS.toFixed(0)} s (real) at MaxConcurrency ${mapConcurrency}; one item after ` +
        `another ${sequentialS.toFixed(0)} s (${items} × ${mean.toFixed(1)} s, the mean of ${durations.length} items ` +
        `run alone); ${(sequentialS / fanOutS).toFixed(1)}× faster`,
    );
    console.log(
      `organization: with each item on its own CPU, as on Lambda: ${Math.ceil(items / mapConcurrency)} waves × ` +
        `${mean.toFixed(1)} s = ${ownCpuS.toFixed(0)} s (${(sequentialS / ownCpuS).toFixed(1)}× faster than one ` +
        `after another); here ${mapConcurrency} bundles share this machine's CPUs, and their CPU time counts ×${k}; ` +
        `${throttled} calls throttled by the per-account rate limits`,
    );
    console.log(
      `organization: ${stopped} models stopped; ${transitions} state transitions a run × $0.025 per 1,000 = ` +
        `$${cost.toFixed(4)} a run ($${(cost * 30).toFixed(3)} a month nightly)`,
    );
    console.log(
      `bench: organization fan-out=${fanOutS.toFixed(0)}s sequential=${sequentialS.toFixed(0)}s ` +
        `speedup=${(sequentialS / fanOutS).toFixed(1)} own-cpu=${ownCpuS.toFixed(0)}s transitions=${transitions} ` +
        `cost=$${cost.toFixed(4)}`,
    );
    for (const problem of problems) console.log(`organization: NOT COMPLETE: ${problem}`);
    const record: OrganizationBenchResults = {
      recordedAt: new Date().toISOString(),
      machine: {
        node: process.version,
        cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
        cores: cpus().length,
        loadAverage: { start: loadAtStart, end: loadavg()[0] as number },
      },
      timeScale: k,
      latencyMs: Number(values["latency-ms"]),
      presetSizes,
      presetConcurrency: concurrency === undefined,
      accounts,
      regions,
      running,
      items,
      mapConcurrency,
      fanOutS: round(fanOutS),
      aloneS: durations.map((d) => round(d)),
      itemAloneS: round(mean, 2),
      sequentialS: round(sequentialS),
      ownCpuS: round(ownCpuS),
      transitions,
      costPerRunUsd: round(cost, 6),
      stopped,
      expectedStops,
      throttled,
      complete: problems.length === 0,
      problems,
      benchSeconds: round((performance.now() - benchStarted) / 1000),
    };
    writeResults(record, ORGANIZATION_OUTPUT_FILE);
    console.log(
      `figures written to ${ORGANIZATION_OUTPUT_FILE}` +
        (presetSizes && concurrency === undefined
          ? "; npm run figures records them in the README"
          : " (other sizes or MaxConcurrency than the bench's own: npm run figures will not record them)"),
    );
    return record.complete ? 0 : 1;
  } finally {
    fn.cleanup();
  }
}

/** The organization bench could not measure what it needs. */
export class OrganizationBenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OrganizationBenchError";
  }
}

/** What the run's summary says went wrong: failed items, items with errors, run problems, stops missing. */
function runProblems(summary: OrganizationRunSummary, expectedStops: number): string[] {
  const place = (item: { accountId: string; region: string }) => `${item.accountId} in ${item.region}`;
  return [
    ...summary.failedItems.map((item) => `Item ${place(item)} failed: ${item.reason}.`),
    ...summary.itemsWithErrors.map((item) => `Item ${place(item)} had ${item.errors} errors.`),
    ...summary.problems.map((problem) => `The run: ${problem.message}.`),
    ...(summary.stopped === expectedStops
      ? []
      : [`The run stopped ${summary.stopped} models where its accounts require ${expectedStops}.`]),
  ];
}

/** The spoke roles' calls their policies refuse, as one problem, or none. */
async function refusedCalls(guards: SpokeGuards): Promise<string[]> {
  try {
    await guards.settle();
    return [];
  } catch (error) {
    return [`A spoke role's policy refused a call: ${(error as Error).message}`];
  }
}
