/**
 * The fault storm: the real bundle against a sandbox account of 138 running models (100 of them idle) while every
 * AWS API it calls throttles, fails and slows down at random. Shared by test/reliability/fault-storm.test.ts and
 * `npm run test:faults`, which prints {@link formatStormLine}.
 *
 * It runs with either discovery (`discovery`: metrics-first, the default, or full), and makes the same promises in
 * both. What it checks, from the sandbox's own state, call log and log table rather than from what the function says:
 * - no StopProjectVersion for a model outside the idle set;
 * - at least 99% of the idle set stopped;
 * - exactly one log record for every stop, completed, and no record without a stop;
 * - every call that still failed after its retries shows in the run summary's errors.
 */

import type { Discovery } from "../../common/settings.ts";
import type { Invocation, SynthesizedFunction } from "../../sandbox/bundle.ts";
import {
  type CallRecord,
  describeMismatch,
  type FaultSettings,
  type SeedProject,
  type SeedVersion,
} from "../../sandbox/index.ts";
import {
  type LogItem,
  type StopperSummary,
  type StopperWorld,
  startStopperWorld,
} from "../../sandbox/stopper-world.ts";

/**
 * The faults of the issue: 30% throttling and 5% 5xx on every Rekognition operation, 20% CloudWatch and DynamoDB
 * throttling, 5% 5xx on those too, and a latency spike on 5% of all calls. On top, 2% of the Rekognition and
 * DynamoDB calls that succeed lose their answer (a 5xx after the work was done), so the SDK retries a
 * StopProjectVersion or a PutItem that already happened.
 */
export const STORM_FAULTS: FaultSettings = {
  seed: 20261128,
  // Each call's fate depends on what it asks for, not on when it arrives: the run is concurrent, and the same seed
  // must give the same storm however its calls interleave.
  drawsBy: "call",
  rekognition: {
    throttleRate: 0.3,
    serverErrorRate: 0.05,
    spikeRate: 0.05,
    spikeMs: 250,
    lostAnswerRate: 0.02,
  },
  cloudwatch: { throttleRate: 0.2, serverErrorRate: 0.05, spikeRate: 0.05, spikeMs: 250 },
  dynamodb: { throttleRate: 0.2, serverErrorRate: 0.05, spikeRate: 0.05, spikeMs: 250, lostAnswerRate: 0.02 },
};

/**
 * Attempts per AWS call in the storm. One Rekognition attempt fails with probability about 0.35 (30% throttled, 5%
 * of the rest a 5xx, 2% of the rest a lost answer), so a call fails all of n attempts with probability 0.35ⁿ:
 * 1.8e-3 at the default 6, 2.8e-5 at 10; a DynamoDB attempt fails with probability about 0.25. The run makes about
 * 270 Rekognition and 300 DynamoDB calls, so at 6 about two runs in five would lose a call (and keep an idle model,
 * or a whole project's), while at 10 about one in a hundred would. Each call is retried as the function always
 * retries: adaptive mode, with backoff.
 */
export const STORM_MAX_ATTEMPTS = 10;

/**
 * How many times shorter the function's waits are on the wall (InvokeOptions.waitScale). Under a storm that does
 * not relent when the client slows down, the SDK's adaptive rate limiter holds each region's client near its floor
 * of 0.5 to 2 calls a second, and throttled retries back off from 1 s up to 20 s: at real speed the run takes four
 * to five minutes, and with its waits ×16 shorter about 20 s. The faults, the retries and every decision are the
 * same at any scale. The run keeps the function's own timeout (10 minutes); only the waits are shortened, and the
 * function's clock jumps over what they skip, so its CPU time and the sandbox's answers count at their real length,
 * not 16 times: about 5.7 minutes of function time on this repository's 2-core machine and 6.6 to 7.4 with four
 * more busy loops beside it, where ×16 on the whole clock had reached 10.3 minutes and the deadline under load.
 */
export const STORM_TIME_SCALE = 16;

/** What one run in the storm did. */
export interface StormReport {
  readonly discovery: Discovery;
  readonly seed: number;
  readonly maxAttempts: number;
  /** How many times shorter the function's waits were on the wall. */
  readonly timeScale: number;
  /** Wall time of the invocation. */
  readonly wallMs: number;
  /** The run's time on the function's clock, from its first log line to its last. */
  readonly functionMs: number;
  readonly running: number;
  readonly idle: number;
  /** Idle models that the sandbox now has STOPPING or STOPPED. */
  readonly idleStopped: number;
  /** Models outside the idle set that got a StopProjectVersion call or left RUNNING. */
  readonly wrongStops: readonly string[];
  readonly injected: {
    readonly throttles: number;
    readonly serverErrors: number;
    readonly latencySpikes: number;
    /** Calls carried out whose answer was a 5xx anyway. */
    readonly lostAnswers: number;
  };
  /** Calls repeated with the same key input: the SDK's retries, as the sandbox saw them. */
  readonly retries: number;
  /** Items in the log table. */
  readonly records: number;
  /** Models with more than one record. */
  readonly duplicates: readonly string[];
  /** Calls that still failed after their last attempt, each as `operation target`. */
  readonly failedCalls: readonly string[];
  readonly errorsReported: number;
  /** Failed calls that no error of the summary accounts for. */
  readonly unreported: readonly string[];
  /** Each promise the run broke, with what broke it; empty when it kept them all. */
  readonly broken: readonly BrokenPromise[];
  readonly summary?: StopperSummary;
  readonly items: readonly LogItem[];
  /** The run after the storm, without faults, when asked for (`thenCalm`). */
  readonly calm?: {
    /** Idle models stopped by the two runs together. */
    readonly idleStopped: number;
    readonly records: number;
    /** Records the calm run completed for the storm run (STOP_PENDING ones). */
    readonly completed: number;
    readonly broken: readonly BrokenPromise[];
    readonly summary?: StopperSummary;
  };
}

/** The promises {@link StormReport.broken} names. */
export type StormPromise =
  | "ran"
  | "answers-match-api-models"
  | "no-wrong-stops"
  | "idle-stopped"
  | "one-record-per-stop"
  | "errors-reported";

/** One broken promise. */
export interface BrokenPromise {
  readonly promise: StormPromise;
  readonly detail: string;
}

/** Options of {@link runFaultStorm}. */
export interface StormOptions {
  /** @default {@link STORM_MAX_ATTEMPTS} */
  readonly maxAttempts?: number;
  /** How many times shorter the function's waits are (InvokeOptions.waitScale). @default {@link STORM_TIME_SCALE} */
  readonly timeScale?: number;
  /** @default STORM_FAULTS.seed */
  readonly seed?: number;
  /** Run again once the storm is over, to check that the next run finishes what the storm left. @default false */
  readonly thenCalm?: boolean;
  /** How the function discovers running models (DISCOVERY). @default "metrics-first" */
  readonly discovery?: Discovery;
}

/** The least share of the idle set a storm run must stop. */
export const IDLE_STOPPED_TARGET = 0.99;

const inService = (minutes: number, toMinutesAgo = 0) => ({
  inService: [{ fromMinutesAgo: minutes, toMinutesAgo, units: 1 }],
});
const idleModel = (name: string, units = 1): SeedVersion => ({
  name,
  status: "RUNNING",
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units }],
});

/** Running models that must be kept, one of each kind, cycled through the projects. */
const KEPT_KINDS: readonly ((name: string) => SeedVersion)[] = [
  (name) => ({ name, status: "RUNNING", ...inService(600), requests: [{ minutesAgo: 20, count: 4 }] }),
  (name) => ({
    name,
    status: "RUNNING",
    ...inService(600),
    requests: [{ minutesAgo: 90, count: 1, metric: "ThrottledCount" }],
  }),
  (name) => ({ name, status: "RUNNING", ...inService(45) }),
  (name) => ({ name, status: "RUNNING" }),
  (name) => ({ name, status: "RUNNING", ...inService(600, 40) }),
  (name) => ({ name, status: "RUNNING", ...inService(600), tags: { "auto-stop": " NeVeR " } }),
  (name) => ({ name, status: "RUNNING", ...inService(600), tags: { "auto-stop": "2099-01-01" } }),
  (name) => ({ name, status: "RUNNING", ...inService(600), tags: { "auto-stop": "2026-02-30" } }),
  (name) => ({ name, status: "RUNNING", ...inService(600), tags: { "auto-stop:idle-minutes": "720" } }),
];

/**
 * The account: ten projects of ten idle models and 3 to 4 running models to keep; a project opted out by tag whose
 * five models are idle; models that are not running; and a Content Moderation adapter that is never touched.
 */
export function stormAccount(): { readonly projects: SeedProject[]; readonly idle: ReadonlySet<string> } {
  const projects: SeedProject[] = [];
  const idle = new Set<string>();
  let kept = 0;
  for (let p = 0; p < 10; p += 1) {
    const name = `storm-${String(p).padStart(2, "0")}`;
    const versions: SeedVersion[] = [];
    for (let v = 0; v < 10; v += 1) {
      versions.push(idleModel(`${name}.idle-${v}`, 1 + (v % 3)));
      idle.add(`${name}/${name}.idle-${v}`);
    }
    for (let k = 0; k < (p < 3 ? 4 : 3); k += 1) {
      versions.push(
        (KEPT_KINDS[kept % KEPT_KINDS.length] as (n: string) => SeedVersion)(`${name}.kept-${k}`),
      );
      kept += 1;
    }
    versions.push(
      { name: `${name}.stopped`, status: "STOPPED" },
      { name: `${name}.trained`, status: "TRAINING_COMPLETED" },
    );
    projects.push({ name, versions });
  }
  projects.push({
    name: "storm-opted-out",
    tags: { "auto-stop": "Off" },
    versions: Array.from({ length: 5 }, (_, v) => idleModel(`opted-out-${v}`)),
  });
  projects.push({
    name: "storm-moderation",
    feature: "CONTENT_MODERATION",
    versions: [idleModel("adapter")],
  });
  return { projects, idle };
}

const STOPPED_STATUSES = new Set(["STOPPING", "STOPPED"]);
// What StopProjectVersion may answer that the run records as an outcome, not an error.
const STOP_OUTCOMES = new Set(["ResourceInUseException", "ResourceNotFoundException"]);
// Statuses of a record that tell of a stop that did not happen.
const NOT_A_STOP = /^(FAILED|ALREADY_CHANGING|NOT_FOUND|NOT_STOPPED|SUPERSEDED)/;

/** What the account looked like before the storm, to judge the runs against. */
interface Baseline {
  readonly idle: ReadonlySet<string>;
  readonly runningBefore: ReadonlySet<string>;
  readonly moderation: readonly string[];
}

/** The checks of one run, or of every run so far when `calls` spans them all. */
interface Inspection {
  readonly idleStopped: number;
  readonly wrongStops: string[];
  readonly duplicates: string[];
  readonly stoppedNow: ReadonlySet<string>;
  readonly broken: BrokenPromise[];
}

/** Checks the account, the call log and the table against the promises, after a run. */
function inspect(
  world: StopperWorld,
  baseline: Baseline,
  calls: readonly CallRecord[],
  items: readonly LogItem[],
  run: Invocation<StopperSummary>,
  options: { readonly allowPending: boolean },
): Inspection {
  const { sandbox } = world;
  const summary = run.result;
  const broken: BrokenPromise[] = [];
  for (const mismatch of sandbox.modelMismatches())
    broken.push({ promise: "answers-match-api-models", detail: describeMismatch(mismatch) });
  if (run.exitCode !== 0 || !summary)
    broken.push({
      promise: "ran",
      detail: `the invocation ended with exit code ${run.exitCode}: ${run.error?.message ?? run.stderr.slice(-500)}`,
    });

  const stoppedNow = new Set(
    sandbox.rekognition
      .models()
      .filter((m) => baseline.runningBefore.has(m.arn) && STOPPED_STATUSES.has(m.status))
      .map((m) => m.arn),
  );
  const stopTargets = new Set(
    calls.filter((c) => c.operation === "StopProjectVersion").map((c) => String(c.input.ProjectVersionArn)),
  );
  const wrongStops = [...new Set([...stopTargets, ...stoppedNow])].filter((arn) => !baseline.idle.has(arn));
  for (const adapter of baseline.moderation)
    if (calls.some((c) => JSON.stringify(c.input).includes(adapter))) wrongStops.push(adapter);
  if (wrongStops.length > 0)
    broken.push({
      promise: "no-wrong-stops",
      detail: `stopped outside the idle set: ${wrongStops.join(", ")}`,
    });
  const idleStopped = [...baseline.idle].filter((arn) => stoppedNow.has(arn)).length;
  if (idleStopped < IDLE_STOPPED_TARGET * baseline.idle.size)
    broken.push({
      promise: "idle-stopped",
      detail: `stopped ${idleStopped} of ${baseline.idle.size} idle models, under ${IDLE_STOPPED_TARGET * 100}%`,
    });

  // A run calls StopProjectVersion once per model; only the SDK's retries of that one call may repeat it.
  const stopsPerRun = new Map<string, number>();
  for (const call of calls)
    if (wentThrough(call))
      stopsPerRun.set(
        String(call.input.ProjectVersionArn),
        (stopsPerRun.get(String(call.input.ProjectVersionArn)) ?? 0) + 1,
      );
  const stoppedTwice = [...stopsPerRun].filter(([, count]) => count > 1).map(([arn]) => arn);
  if (stoppedTwice.length > 0)
    broken.push({
      promise: "no-wrong-stops",
      detail: `StopProjectVersion went through twice for ${stoppedTwice.join(", ")}`,
    });

  const stopRecords = new Map<string, LogItem[]>();
  for (const item of items)
    if (!NOT_A_STOP.test(item.status))
      stopRecords.set(item.modelArn, [...(stopRecords.get(item.modelArn) ?? []), item]);
  const duplicates = [...stopRecords].filter(([, list]) => list.length > 1).map(([arn]) => arn);
  const problems: string[] = [];
  if (duplicates.length > 0) problems.push(`more than one record of a stop for ${duplicates.join(", ")}`);
  for (const arn of stoppedNow) {
    const record = stopRecords.get(arn)?.[0];
    if (!record) problems.push(`${arn} was stopped without a record`);
    else if (record.status === "STOP_PENDING") {
      // A record whose outcome could not be written stays STOP_PENDING; the summary must say so.
      if (!options.allowPending || !mentioned(summary, arn, "still says STOP_PENDING"))
        problems.push(`${arn} was stopped but its record says STOP_PENDING`);
    } else if (!STOPPED_STATUSES.has(record.status))
      problems.push(`${arn} was stopped but its record says ${record.status}`);
  }
  for (const item of items) {
    if (!stopTargets.has(item.modelArn))
      problems.push(`${item.modelArn} has a record (${item.status}) but no stop was asked for`);
    else if (
      item.status === "STOP_PENDING" &&
      !stoppedNow.has(item.modelArn) &&
      // A stop whose outcome could not be told leaves its record for the next run; the summary must say so.
      (!options.allowPending || !mentioned(summary, item.modelArn, "still says STOP_PENDING"))
    )
      problems.push(`${item.modelArn}'s record says STOP_PENDING but the model is not stopped`);
  }
  if (problems.length > 0) broken.push({ promise: "one-record-per-stop", detail: problems.join("; ") });

  if (summary) {
    const said = new Set(summary.stopped);
    const ranNow = new Set(calls.filter(wentThrough).map((c) => String(c.input.ProjectVersionArn)));
    const unsaid = [...said].filter((arn) => !ranNow.has(arn) || !stoppedNow.has(arn));
    if (unsaid.length > 0)
      broken.push({
        promise: "ran",
        detail: `the summary lists as stopped what the account does not: ${unsaid.join(", ")}`,
      });
  }
  return { idleStopped, wrongStops, duplicates, stoppedNow, broken };
}

/** Runs the bundle once in the storm and checks every promise; with `thenCalm`, once more without faults. */
export async function runFaultStorm(
  fn: SynthesizedFunction,
  options: StormOptions = {},
): Promise<StormReport> {
  const maxAttempts = options.maxAttempts ?? STORM_MAX_ATTEMPTS;
  const timeScale = options.timeScale ?? STORM_TIME_SCALE;
  const seed = options.seed ?? (STORM_FAULTS.seed as number);
  const discovery = options.discovery ?? "metrics-first";
  const account = stormAccount();
  const world = await startStopperWorld(fn, {
    seed: { projects: account.projects },
    faults: { ...STORM_FAULTS, seed },
  });
  try {
    const { sandbox } = world;
    const models = sandbox.rekognition.models();
    const byName = new Map(models.map((m) => [`${m.projectName}/${m.versionName}`, m.arn]));
    const baseline: Baseline = {
      idle: new Set([...account.idle].map((name) => byName.get(name) as string)),
      runningBefore: new Set(models.filter((m) => m.status === "RUNNING").map((m) => m.arn)),
      moderation: models.filter((m) => m.feature === "CONTENT_MODERATION").map((m) => m.arn),
    };
    const env = {
      MAX_STOPS_PER_RUN: "1000",
      REKOGNITION_TPS: "100",
      METRICS_TPS: "50",
      AWS_MAX_ATTEMPTS: String(maxAttempts),
      DISCOVERY: discovery,
    };

    const started = performance.now();
    const run = await world.invoke(env, { requestId: `fault-storm-${seed}`, waitScale: timeScale });
    const wallMs = performance.now() - started;
    const items = await world.items();
    const calls = sandbox.calls.filter((call) => call.operation !== "CreateTable");
    const checked = inspect(world, baseline, calls, items, run, { allowPending: true });
    const summary = run.result;
    const failedCalls = lastFailures(calls);
    const unreported = failedCalls
      .filter((failure) => !accountedFor(summary, failure))
      .map((failure) => `${failure.operation} ${failure.target ?? ""}`.trim());
    const broken = [...checked.broken];
    if (unreported.length > 0)
      broken.push({
        promise: "errors-reported",
        detail: `failed calls missing from the summary: ${unreported.join(", ")}`,
      });

    let calm: StormReport["calm"];
    if (options.thenCalm) {
      sandbox.setFaults({});
      const stormCalls = sandbox.calls.length;
      const next = await world.invoke(env, { requestId: `after-fault-storm-${seed}`, waitScale: timeScale });
      const nextCalls = sandbox.calls.slice(stormCalls);
      const nextItems = await world.items();
      const after = inspect(
        world,
        baseline,
        sandbox.calls.filter((call) => call.operation !== "CreateTable"),
        nextItems,
        next,
        {
          allowPending: false,
        },
      );
      // Models the storm run stopped are not stopped again, even by a later run.
      const stoppedAgain = nextCalls
        .filter(
          (c) =>
            c.operation === "StopProjectVersion" && checked.stoppedNow.has(String(c.input.ProjectVersionArn)),
        )
        .map((c) => String(c.input.ProjectVersionArn));
      const afterBroken = [...after.broken];
      if (stoppedAgain.length > 0)
        afterBroken.push({
          promise: "no-wrong-stops",
          detail: `the next run stopped again ${stoppedAgain.join(", ")}`,
        });
      if (nextItems.some((item) => item.status === "STOP_PENDING"))
        afterBroken.push({
          promise: "one-record-per-stop",
          detail: "the next run left records STOP_PENDING",
        });
      calm = {
        idleStopped: after.idleStopped,
        records: nextItems.length,
        completed: nextItems.filter((item) => item.reconciledBy === `after-fault-storm-${seed}`).length,
        broken: afterBroken,
        ...(next.result && { summary: next.result }),
      };
    }

    const counts = sandbox.faultCounts();
    const services = [counts.rekognition, counts.cloudwatch, counts.dynamodb];
    return {
      discovery,
      seed,
      maxAttempts,
      timeScale,
      wallMs,
      functionMs: functionTime(run),
      running: baseline.runningBefore.size - baseline.moderation.length,
      idle: baseline.idle.size,
      idleStopped: checked.idleStopped,
      wrongStops: checked.wrongStops,
      injected: {
        throttles: services.reduce((sum, c) => sum + c.throttled, 0),
        serverErrors: services.reduce((sum, c) => sum + c.serverErrors, 0),
        latencySpikes: services.reduce((sum, c) => sum + c.latencySpikes, 0),
        lostAnswers: services.reduce((sum, c) => sum + c.lostAnswers, 0),
      },
      retries: countRetries(calls),
      records: items.length,
      duplicates: checked.duplicates,
      failedCalls: failedCalls.map((failure) => `${failure.operation} ${failure.target ?? ""}`.trim()),
      errorsReported: summary?.errors.length ?? 0,
      unreported,
      broken,
      ...(summary && { summary }),
      items,
      ...(calm && { calm }),
    };
  } finally {
    await world.stop();
  }
}

/** The one line `npm run test:faults` prints. */
export function formatStormLine(report: StormReport): string {
  const { injected } = report;
  return (
    `faults: injected=${injected.throttles + injected.serverErrors + injected.lostAnswers + injected.latencySpikes} ` +
    `(throttles ${injected.throttles}, 5xx ${injected.serverErrors}, lost answers ${injected.lostAnswers}, ` +
    `latency spikes ${injected.latencySpikes}) ` +
    `retries=${report.retries} stopped=${report.idleStopped}/${report.idle} idle ` +
    `wrong-stops=${report.wrongStops.length} records=${report.records} duplicates=${report.duplicates.length} ` +
    `errors-reported=${report.errorsReported} unreported=${report.unreported.length} ` +
    `[discovery ${report.discovery}, ${report.running} running, seed ${report.seed}, AWS_MAX_ATTEMPTS=${report.maxAttempts}, ` +
    `${(report.functionMs / 60_000).toFixed(1)} min of function time in ${(report.wallMs / 1000).toFixed(0)} s, ` +
    `waits ×${report.timeScale} shorter]`
  );
}

/** Milliseconds between the run's first and last log lines, as the function's clock stamped them. */
function functionTime(run: Invocation<StopperSummary>): number {
  const stamps = run.logs.map((line) => Date.parse(String(line.timestamp))).filter(Number.isFinite);
  return stamps.length > 0 ? Math.max(...stamps) - Math.min(...stamps) : 0;
}

/** Whether a StopProjectVersion call stopped its model: answered ok, or carried out with its answer lost. */
function wentThrough(call: CallRecord): boolean {
  return (
    call.operation === "StopProjectVersion" && (call.outcome === "ok" || call.injected === "lost-answer")
  );
}

/** What a call asked for, to tell one call's retries from another call. */
export function callKey(call: CallRecord): string {
  return `${call.service} ${call.operation} ${JSON.stringify(call.input)}`;
}

/** The ARN (Rekognition) or partition key (DynamoDB) a call was about, if any. */
function targetOf(call: CallRecord): string | undefined {
  const input = call.input;
  const named = input.ProjectVersionArn ?? input.ResourceArn ?? input.ProjectArn;
  if (typeof named === "string") return named;
  // DescribeProjects for one project by name: part of reading a model's status.
  if (Array.isArray(input.ProjectNames) && input.ProjectNames.length === 1)
    return `:project/${String(input.ProjectNames[0])}/`;
  const key = input.key as { partition?: string } | undefined;
  return key?.partition;
}

/** Calls repeated with the same key input: the SDK's retries, as the sandbox saw them. */
export function countRetries(calls: readonly CallRecord[]): number {
  const seen = new Map<string, number>();
  for (const call of calls) seen.set(callKey(call), (seen.get(callKey(call)) ?? 0) + 1);
  return [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
}

/**
 * Calls whose last attempt failed with an error the run had to report. A call one of whose attempts was carried
 * out with its answer lost did its work, whatever its retries answered (ResourceInUse, ConditionalCheckFailed).
 */
export function lastFailures(calls: readonly CallRecord[]): { operation: string; target?: string }[] {
  const last = new Map<string, CallRecord>();
  const done = new Set<string>();
  for (const call of calls) {
    last.set(callKey(call), call);
    if (call.injected === "lost-answer") done.add(callKey(call));
  }
  return [...last.values()]
    .filter((call) => call.outcome !== "ok" && !done.has(callKey(call)))
    .filter((call) => !(call.operation === "StopProjectVersion" && STOP_OUTCOMES.has(call.outcome)))
    .map((call) => {
      const target = targetOf(call);
      return target === undefined ? { operation: call.operation } : { operation: call.operation, target };
    });
}

/** Whether the summary has an error naming this failed call: its target, or its operation. */
export function accountedFor(
  summary: { readonly errors: readonly { readonly arn?: string; readonly message: string }[] } | undefined,
  failure: { operation: string; target?: string },
): boolean {
  if (!summary) return false;
  const { operation, target } = failure;
  return summary.errors.some((error) => {
    if (target === undefined) return error.message.includes(operation);
    if (error.arn === target || error.message.includes(target)) return true;
    // A project's tags, or a model's status, that cannot be read are reported on the project's models; a project
    // that metrics-first discovery could not look up by name is reported by its name.
    if (target.startsWith(":project/"))
      return (
        (error.arn ?? "").includes(target) ||
        error.message.includes(`project ${target.slice(":project/".length, -1)} `)
      );
    const project = /^(arn:.*:project\/[^/]+)\/\d+$/.exec(target)?.[1];
    return project !== undefined && (error.arn ?? "").startsWith(`${project}/`);
  });
}

function mentioned(summary: StopperSummary | undefined, arn: string, text: string): boolean {
  return summary?.errors.some((error) => error.arn === arn && error.message.includes(text)) ?? false;
}
