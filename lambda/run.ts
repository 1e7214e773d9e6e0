/**
 * One run of the stopper, as a composition of its phases (each a module under phases/, with its own input and
 * output types):
 *
 *   reconcile → (follow-ups → regret check → refresh restart rules)
 *             ∥ assess (per region: discover → read tags → read metrics → decide) → warn → cap → last look
 *     → stop and record (each model stopped tagged at once) → settle warnings → announce → report
 *
 * A warning pass (`mode: "warn"`) assesses and warns, and stops and restarts nothing: assess → warn → announce →
 * report.
 *
 * Discovery is one of two sources (`config.discovery`): every project described (discover.ts), or the models in
 * service found from their metrics, with only the idle ones described (discover-from-metrics.ts).
 *
 * Within a region the assessment streams: a model's tags are read as soon as discovery finds it, a metric batch goes
 * out as soon as it is full, and a model is decided as soon as its evidence is in (see pipeline.ts). With
 * `overlapPhases` off, each phase takes every model before the next one starts (the benchmark's baseline).
 * ARCHITECTURE.md says where a new phase or a second way to discover plugs in.
 */

import { DISCOVERY_RESERVE_MARGINS, discoveryReserveMs, MARGINS_PER_TIMEOUT } from "../common/settings.ts";
import type { NotConsidered, Problem, Unfinished } from "./adapters/rekognition.ts";
import { readingFollowUpsOnce } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";
import { applyStopCap, type Decision } from "./core/decide.ts";
import type { ModelUsage, NamedModel, NamedVerdict } from "./core/types.ts";
import { type RunDependencies, timeLeftMs } from "./dependencies.ts";
import { actionsOfRun, announce, startTagging, stopAnnouncement } from "./phases/announce.ts";
import { decideModel } from "./phases/decide.ts";
import { discover } from "./phases/discover.ts";
import { discoverFromMetrics, StopBudget } from "./phases/discover-from-metrics.ts";
import { followUps } from "./phases/follow-ups.ts";
import { lastLook } from "./phases/last-look.ts";
import { readMetrics } from "./phases/read-metrics.ts";
import { type ProjectTagCache, readTags } from "./phases/read-tags.ts";
import { reconcile } from "./phases/reconcile.ts";
import { refreshRestartRules } from "./phases/refresh-restart-rules.ts";
import { regretCheck } from "./phases/regret-check.ts";
import { type RunSummary, report } from "./phases/report.ts";
import type { FollowUpResults } from "./phases/restart-model.ts";
import { type StopResults, stopAndRecord } from "./phases/stop-and-record.ts";
import { type RunMode, settleWarnings, warnBeforeStop } from "./phases/warn.ts";
import { flow } from "./pipeline.ts";

export type { RunDependencies, RunLogger, RunMetrics } from "./dependencies.ts";
export type { RunSummary } from "./phases/report.ts";
export type { RunMode } from "./phases/warn.ts";

/** What assessing the account found, before anything is stopped. */
export interface Assessment {
  /** Every running model's decision, region by region, in the order discovery found them. */
  readonly decisions: Decision[];
  readonly errors: Problem[];
  readonly unfinished: Unfinished[];
  /** Projects and models seen but not judged: a status or feature the stopper does not know. */
  readonly notConsidered: NotConsidered[];
  /** Models judged by name only (metrics-first discovery keeps a busy model without describing it). */
  readonly judgedByName: NamedVerdict[];
}

/** Options of {@link assess}. */
export interface AssessOptions {
  /** Asked before each project is described; once it says no, the rest is reported as unfinished. */
  readonly mayContinue?: () => boolean;
  /** Told of each model as it is decided, e.g. to show progress. */
  readonly onDecision?: (decision: Decision) => void;
  /** Models to describe and judge whatever their metrics say: those with an earlier run's unfinished record. */
  readonly mustExamine?: readonly NamedModel[];
  /** Read the metrics of models the tags keep too, so their units and cost are measured ones (`scan`). */
  readonly metricsOfKeptModels?: boolean;
}

/** How a run was started. */
export interface RunOptions {
  /** `run` (the default) or `warn`: a warning pass assesses and warns, and never stops. */
  readonly mode?: RunMode;
  /** When the run was scheduled for (epoch ms, the event's `scheduledTime`): warnings are timed by it. @default now */
  readonly scheduledAt?: number;
  /**
   * Whether the run sends its digest to the stack's topic. @default true; false for an item of the organization
   * mode, whose gather step sends one digest for every account (a warning still goes to its owner's topic).
   */
  readonly digest?: boolean;
}

/** Runs the stopper once over every configured region. */
export async function runStopper(
  dependencies: RunDependencies,
  config: StopperConfig,
  runId: string,
  options: RunOptions = {},
): Promise<RunSummary> {
  // One Query of the FollowUps index per region serves the follow-ups (its stops, read at the start) and the warn
  // phase (its open warnings, after the assessment). No warning is written or closed in between: runs and warning
  // passes never overlap, follow-ups (here and in the follow-up function) change stop records only, and this run
  // warns after the read.
  const deps: RunDependencies = { ...dependencies, log: readingFollowUpsOnce(dependencies.log) };
  const now = deps.clock();
  const mode = options.mode ?? "run";
  const digest = options.digest ?? true;
  const scheduledAt = options.scheduledAt ?? now;
  const reconciled =
    mode === "run" ? await reconcile(deps, config, { runId }) : { pending: new Map(), errors: [] };
  // Earlier stops are followed up while the account is assessed, so their reads do not hold up discovery: the two
  // never act on one model, since a follow-up starts only a STOPPED model and the assessment judges RUNNING ones.
  // A warning pass leaves them to the next run and the follow-up function.
  const tooLittleTime = noTimeToDiscover(timeLeftMs(deps), config.deadlineMarginSeconds);
  const [followedUp, assessed] = await Promise.all([
    mode === "run" ? followUpEarlierStops(deps, config, { runId, now }) : undefined,
    // Discovery stops taking new projects while there is still time to decide and stop what it found.
    assess(deps, config, now, {
      mayContinue: () => timeToDiscover(timeLeftMs(deps), config.deadlineMarginSeconds),
      mustExamine: [...reconciled.pending.values()],
    }),
  ]);
  const assessment = { ...assessed, errors: [...tooLittleTime, ...assessed.errors] };
  // What the report says of either kind of run.
  const reported = {
    runId,
    now,
    mode,
    digest,
    reconciled,
    ...(followedUp && { followUps: followedUp }),
    assessment,
  };
  const warned = await warnBeforeStop(deps, config, {
    runId,
    now,
    scheduledAt,
    mode,
    decisions: assessment.decisions,
    judgedByName: assessment.judgedByName,
  });
  if (mode === "warn") {
    const stops: StopResults = {
      stopped: [],
      skipped: [
        ...assessment.notConsidered,
        ...warned.decisions.map((d) => ({ arn: d.model.modelArn, reason: d.verdict.reason })),
      ],
      errors: [],
      unfinished: [],
    };
    const announced = await announce(deps, config, {
      runId,
      actions: actionsOfRun({ warned: warned.warned, now }),
    });
    return report(deps, config, { ...reported, warnings: warned, stops, announced });
  }
  const looked = await lastLook(deps, config, {
    now,
    decisions: applyStopCap(warned.decisions, config.maxStopsPerRun),
  });
  // Each stopped model's last-action tag is written as soon as it is stopped (TagResource has its own quota), while
  // the other stops go on; the events are put after the stops, batched by region.
  const tagging = startTagging(deps, config);
  const stops = await stopAndRecord(deps, config, {
    runId,
    now,
    decisions: looked.decisions,
    notConsidered: assessment.notConsidered,
    pending: reconciled.pending,
    onStopped: (decision, record) => record && tagging.tell([stopAnnouncement(decision, record)]),
  });
  const settled = await settleWarnings(deps, {
    runId,
    due: warned.due,
    decisions: looked.decisions,
    stopped: stops.stopped,
  });
  const warnings = {
    warned: warned.warned,
    closed: [...warned.closed, ...settled.closed],
    errors: [...warned.errors, ...settled.errors],
  };
  const announced = await announce(deps, config, {
    runId,
    actions: actionsOfRun({ stops, warned: warned.warned, restarted: followedUp?.restarted, now }),
    tagging,
  });
  return report(deps, config, { ...reported, warnings, lastLookErrors: looked.errors, stops, announced });
}

/** Discovery takes a new project only while more than {@link DISCOVERY_RESERVE_MARGINS} margins are left. */
function timeToDiscover(leftMs: number, marginSeconds: number): boolean {
  return leftMs > discoveryReserveMs(marginSeconds);
}

/**
 * A run that starts with no {@link timeToDiscover} discovers nothing: say so as a problem, rather than report every
 * project unfinished night after night. Synth keeps the margin within a {@link MARGINS_PER_TIMEOUT}th of the
 * timeout; this catches a margin changed in the function's environment since.
 */
export function noTimeToDiscover(leftMs: number, marginSeconds: number): Problem[] {
  if (timeToDiscover(leftMs, marginSeconds)) return [];
  return [
    {
      message:
        `the run started with ${Math.floor(leftMs / 1000)} s left, no more than the ` +
        `${DISCOVERY_RESERVE_MARGINS} × DEADLINE_MARGIN_SECONDS=${marginSeconds} s discovery leaves for deciding ` +
        "and stopping, so it discovered nothing: keep the margin at most " +
        `1/${MARGINS_PER_TIMEOUT} of the function's timeout (lower DEADLINE_MARGIN_SECONDS or raise the timeout)`,
    },
  ];
}

/**
 * The nightly run's look at earlier stops: follow-ups → regret check (undo a stop a late request proved wrong) →
 * refresh restart rules (read each followed stop's restart tag again).
 */
async function followUpEarlierStops(
  deps: RunDependencies,
  config: StopperConfig,
  input: { readonly runId: string; readonly now: number },
): Promise<FollowUpResults> {
  const followed = await followUps(deps, config, input);
  const regretted = await regretCheck(deps, config, { ...input, followed: followed.records, by: "nightly" });
  const rules = await refreshRestartRules(deps, config, { followed: regretted.remaining, now: input.now });
  return { ...regretted, errors: [...followed.errors, ...regretted.errors, ...rules.errors] };
}

/** Discovers, reads tags and metrics, and decides, in every region at once, without changing anything. */
export async function assess(
  deps: Pick<RunDependencies, "directory" | "usage">,
  config: StopperConfig,
  now: number,
  options: AssessOptions = {},
): Promise<Assessment> {
  const regions = await Promise.all(
    config.regions.map((region) => assessRegion(deps, config, { region, now }, options)),
  );
  return {
    decisions: regions.flatMap((r) => r.decisions),
    errors: regions.flatMap((r) => r.errors),
    unfinished: regions.flatMap((r) => r.unfinished),
    notConsidered: regions.flatMap((r) => r.notConsidered),
    judgedByName: regions.flatMap((r) => r.judgedByName),
  };
}

async function assessRegion(
  deps: Pick<RunDependencies, "directory" | "usage">,
  config: StopperConfig,
  scope: { readonly region: string; readonly now: number },
  options: AssessOptions,
): Promise<Assessment> {
  const errors: Problem[] = [];
  const input = { ...scope, mayContinue: options.mayContinue, mustExamine: options.mustExamine };
  // The budget needs tags read while discovery goes on; one phase after another, every candidate is examined.
  const metricsFirst = config.discovery === "metrics-first";
  const budget = metricsFirst && config.overlapPhases ? new StopBudget(config.maxStopsPerRun) : undefined;
  const screened = new Map<string, { readonly idleMinutes: number; readonly usage: ModelUsage }>();
  const projectTags: ProjectTagCache = new Map();
  const source = metricsFirst
    ? discoverFromMetrics(deps, config, { ...input, budget, screened, projectTags })
    : discover(deps, input);
  const { items, report: found } = await flow(source)
    .through(readTags(deps, config, scope, budget, projectTags))
    .through(
      readMetrics(deps, scope, {
        known: screened,
        ...(options.metricsOfKeptModels && { keptModelsIdleMinutes: config.idleMinutes }),
      }),
    )
    .through(decideModel(config, scope.now))
    .run({
      overlap: config.overlapPhases,
      onSourceEnd: (discovery) => errors.push(...discovery.errors),
      onItem: ({ decision, problems }) => {
        errors.push(...problems);
        options.onDecision?.(decision);
      },
    });
  return {
    decisions: items.map((item) => item.decision),
    errors,
    unfinished: [...found.unfinished],
    notConsidered: [...found.notConsidered],
    judgedByName: [...(found.judgedByName ?? [])],
  };
}
