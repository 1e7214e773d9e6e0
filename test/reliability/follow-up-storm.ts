/**
 * The follow-up storm: the real bundle's follow-up function, against stops the nightly function made in a calm
 * sandbox, while every AWS API it calls throttles, fails, slows down and loses answers (StartProjectVersion loses
 * one answer in five, so the SDK retries starts that went through). Shared by test/reliability/fault-storm.test.ts
 * and `npm run test:faults`, which prints {@link formatFollowUpStormLine}.
 *
 * The account: models stopped at night whose last request arrived too late for the decision (undone by the regret
 * check), models whose tag says to have them running in two hours (restarted by their rule), and idle models with
 * neither (never started). What it checks, from the sandbox's call log and the log table:
 * - no restart is doubled: at most one StartProjectVersion went through per model;
 * - no model is started that should not be;
 * - every restart is recorded once: one RESTARTED record per model started, none without a start;
 * - every expected model is started again (with enough attempts);
 * - every call that still failed after its retries shows in the follow-up's summary.
 */

import type { FollowUpSummary } from "../../lambda/follow-up.ts";
import type { Invocation, SynthesizedFunction } from "../../sandbox/bundle.ts";
import {
  type CallRecord,
  describeMismatch,
  pinnedClock,
  type SeedProject,
  type SeedVersion,
} from "../../sandbox/index.ts";
import { type LogItem, startStopperWorld } from "../../sandbox/stopper-world.ts";
import {
  accountedFor,
  countRetries,
  lastFailures,
  STORM_FAULTS,
  STORM_MAX_ATTEMPTS,
  STORM_TIME_SCALE,
} from "./fault-storm.ts";

const MINUTE = 60_000;

/** The storm's faults, and StartProjectVersion losing the answer of one start in five. */
export const FOLLOW_UP_STORM_FAULTS = {
  ...STORM_FAULTS,
  rekognition: {
    ...STORM_FAULTS.rekognition,
    operations: { StartProjectVersion: { lostAnswerRate: 0.2 } },
  },
};

/** The promises the follow-up storm checks. */
export type FollowUpStormPromise =
  | "ran"
  | "answers-match-api-models"
  | "no-doubled-restart"
  | "no-wrong-restart"
  | "one-record-per-restart"
  | "restarts-done"
  | "errors-reported";

/** What the follow-up storm did. */
export interface FollowUpStormReport {
  readonly seed: number;
  readonly maxAttempts: number;
  /** Stops the nightly run made before the storm. */
  readonly stopped: number;
  /** Models that should be started again: late requests (regretted) and restart rules. */
  readonly expected: number;
  /** Models started again (a StartProjectVersion that went through). */
  readonly restarted: number;
  /** Models whose start went through more than once. */
  readonly doubled: readonly string[];
  /** RESTARTED records. */
  readonly restartRecords: number;
  readonly injected: { readonly faults: number; readonly lostStarts: number };
  readonly retries: number;
  readonly errorsReported: number;
  readonly unreported: readonly string[];
  readonly broken: readonly { readonly promise: FollowUpStormPromise; readonly detail: string }[];
  readonly summaries: readonly FollowUpSummary[];
  readonly items: readonly LogItem[];
  readonly wallMs: number;
  readonly timeScale: number;
}

/** Options of {@link runFollowUpStorm}. */
export interface FollowUpStormOptions {
  /** @default {@link STORM_MAX_ATTEMPTS} */
  readonly maxAttempts?: number;
  /** @default STORM_FAULTS.seed */
  readonly seed?: number;
  /** @default {@link STORM_TIME_SCALE} */
  readonly timeScale?: number;
  /** Follow up once more without faults, to check the next follow-up finishes what the storm left. @default false */
  readonly thenCalm?: boolean;
}

const idle = (name: string, units: number, tags?: Record<string, string>): SeedVersion => ({
  name,
  status: "RUNNING",
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units }],
  ...(tags && { tags }),
});

/** Three projects, each with 4 models to be regretted, 4 with a restart rule at `ruleTime`, and 2 plainly idle. */
function followUpAccount(ruleTime: string): { projects: SeedProject[]; late: string[]; ruled: string[] } {
  const projects: SeedProject[] = [];
  const late: string[] = [];
  const ruled: string[] = [];
  for (let p = 0; p < 3; p += 1) {
    const name = `follow-${p}`;
    const versions: SeedVersion[] = [];
    for (let v = 0; v < 4; v += 1) {
      versions.push(idle(`${name}.late-${v}`, 1 + (v % 2)));
      late.push(`${name}/${name}.late-${v}`);
      versions.push(idle(`${name}.ruled-${v}`, 1, { "auto-stop:restart": `daily ${ruleTime} UTC` }));
      ruled.push(`${name}/${name}.ruled-${v}`);
    }
    versions.push(idle(`${name}.idle-0`, 2), idle(`${name}.idle-1`, 1));
    projects.push({ name, versions });
  }
  return { projects, late, ruled };
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** Whether a StartProjectVersion call started its model: answered ok, or carried out with its answer lost. */
const startWentThrough = (call: CallRecord) =>
  call.operation === "StartProjectVersion" && (call.outcome === "ok" || call.injected === "lost-answer");

/** Stops models at night in a calm sandbox, then follows them up in the storm (and, with `thenCalm`, once more). */
export async function runFollowUpStorm(
  fn: SynthesizedFunction,
  options: FollowUpStormOptions = {},
): Promise<FollowUpStormReport> {
  const maxAttempts = options.maxAttempts ?? STORM_MAX_ATTEMPTS;
  const seed = options.seed ?? (STORM_FAULTS.seed as number);
  const timeScale = options.timeScale ?? STORM_TIME_SCALE;
  // The follow-up runs 90 minutes after the stops (the regret check waits 60); the rule fires 30 minutes after that.
  const later = 90 * MINUTE;
  // The world's clock starts at the pinned instant, never the wall's: the rule's time and every seed follow from it.
  const pinned = pinnedClock();
  const account = followUpAccount(hhmm(pinned() + later + 30 * MINUTE));
  let shift = 0;
  const now = () => pinned() + shift;
  const world = await startStopperWorld(fn, { seed: { projects: account.projects }, clock: now });
  try {
    const { sandbox } = world;
    const arnOf = (name: string) => {
      const [project = "", version = ""] = name.split("/");
      return sandbox.rekognition.modelArn(project, version);
    };
    const late = new Set(account.late.map(arnOf));
    const expected = new Set([...late, ...account.ruled.map(arnOf)]);
    // Each late model served a request a minute ago that reaches CloudWatch three minutes late.
    sandbox.cloudwatch.metricDelaySeconds = 180;
    const seededAt = Math.floor(now() / MINUTE) * MINUTE;
    sandbox.cloudwatch.insert(
      sandbox.region,
      [...late].map((arn) => {
        const model = sandbox.rekognition.model(arn);
        return {
          namespace: "AWS/Rekognition",
          metricName: "SuccessfulRequestCount",
          dimensions: { ProjectName: model?.projectName ?? "", VersionName: model?.versionName ?? "" },
          timestamp: seededAt - MINUTE,
          value: 2,
        };
      }),
    );
    const env = { REKOGNITION_TPS: "100", METRICS_TPS: "50", AWS_MAX_ATTEMPTS: String(maxAttempts) };
    const night = await world.invoke(
      { ...env, MAX_STOPS_PER_RUN: "1000" },
      { requestId: `follow-up-storm-night-${seed}`, timeScale },
    );
    const stopped = night.result?.stopped.length ?? 0;

    shift = later;
    sandbox.setFaults({ ...FOLLOW_UP_STORM_FAULTS, seed });
    const before = sandbox.calls.length;
    const started = performance.now();
    const runs: Invocation<FollowUpSummary>[] = [
      await world.invokeFollowUp(env, { clockStart: now(), timeScale }),
    ];
    const wallMs = performance.now() - started;
    const stormCalls = sandbox.calls.slice(before);
    if (options.thenCalm) {
      // The next follow-up, once a claim the storm left (a start whose record could not be completed) is stale.
      sandbox.setFaults({});
      shift = later + 20 * MINUTE;
      runs.push(await world.invokeFollowUp(env, { clockStart: now(), timeScale }));
    }
    const calls = sandbox.calls.slice(before);
    const items = await world.items();
    const summaries = runs.flatMap((run) => (run.result ? [run.result] : []));

    const broken: { promise: FollowUpStormPromise; detail: string }[] = [];
    for (const mismatch of sandbox.modelMismatches())
      broken.push({ promise: "answers-match-api-models", detail: describeMismatch(mismatch) });
    if (stopped !== account.projects.length * 10)
      broken.push({
        promise: "ran",
        detail: `the calm nightly run stopped ${stopped} models, not every one`,
      });
    for (const run of runs)
      if (run.exitCode !== 0 || !run.result)
        broken.push({
          promise: "ran",
          detail: `a follow-up ended with exit code ${run.exitCode}: ${run.error?.message ?? run.stderr.slice(-500)}`,
        });

    const starts = new Map<string, number>();
    for (const call of calls.filter(startWentThrough)) {
      const arn = String(call.input.ProjectVersionArn);
      starts.set(arn, (starts.get(arn) ?? 0) + 1);
    }
    const doubled = [...starts].filter(([, count]) => count > 1).map(([arn]) => arn);
    if (doubled.length > 0)
      broken.push({ promise: "no-doubled-restart", detail: `started more than once: ${doubled.join(", ")}` });
    const wrong = [...starts.keys()].filter((arn) => !expected.has(arn));
    if (wrong.length > 0)
      broken.push({ promise: "no-wrong-restart", detail: `started: ${wrong.join(", ")}` });

    const restartRecords = items.filter((item) => item.status === "RESTARTED");
    const problems: string[] = [];
    for (const arn of starts.keys()) {
      const records = items.filter((item) => item.modelArn === arn);
      const restarted = records.filter((item) => item.status === "RESTARTED");
      const pending = records.filter((item) => item.status === "RESTART_PENDING");
      // A start whose record could not be completed stays RESTART_PENDING, and the follow-up must say so; the next
      // follow-up completes it.
      const said =
        !options.thenCalm &&
        summaries.some((summary) =>
          summary.errors.some((error) => error.arn === arn && /RESTART_PENDING/.test(error.message)),
        );
      if (restarted.length + pending.length !== 1 || (pending.length === 1 && !said))
        problems.push(`${arn} was started; its records say ${records.map((item) => item.status).join(", ")}`);
    }
    for (const item of restartRecords)
      if (!starts.has(item.modelArn))
        problems.push(`${item.modelArn} is recorded RESTARTED but was never started`);
    if (problems.length > 0) broken.push({ promise: "one-record-per-restart", detail: problems.join("; ") });

    const missing = [...expected].filter((arn) => !starts.has(arn));
    if (missing.length > 0)
      broken.push({ promise: "restarts-done", detail: `not started again: ${missing.join(", ")}` });

    const unreported = lastFailures(stormCalls)
      .filter((failure) => !accountedFor(runs[0]?.result, failure))
      .map((failure) => `${failure.operation} ${failure.target ?? ""}`.trim());
    if (unreported.length > 0)
      broken.push({
        promise: "errors-reported",
        detail: `failed calls missing from the summary: ${unreported.join(", ")}`,
      });

    const counts = sandbox.faultCounts();
    const services = [counts.rekognition, counts.cloudwatch, counts.dynamodb];
    return {
      seed,
      maxAttempts,
      stopped,
      expected: expected.size,
      restarted: starts.size,
      doubled,
      restartRecords: restartRecords.length,
      injected: {
        faults: services.reduce((sum, c) => sum + c.throttled + c.serverErrors + c.lostAnswers, 0),
        lostStarts: stormCalls.filter(
          (call) => call.operation === "StartProjectVersion" && call.injected === "lost-answer",
        ).length,
      },
      retries: countRetries(stormCalls),
      errorsReported: runs[0]?.result?.errors.length ?? 0,
      unreported,
      broken,
      summaries,
      items,
      wallMs,
      timeScale,
    };
  } finally {
    await world.stop();
  }
}

/** The line `npm run test:faults` prints for the follow-up storm. */
export function formatFollowUpStormLine(report: FollowUpStormReport): string {
  return (
    `follow-ups: injected=${report.injected.faults} (lost start answers ${report.injected.lostStarts}) ` +
    `retries=${report.retries} restarted=${report.restarted}/${report.expected} expected ` +
    `doubled=${report.doubled.length} restart-records=${report.restartRecords} ` +
    `errors-reported=${report.errorsReported} unreported=${report.unreported.length} ` +
    `[${report.stopped} stops followed up, seed ${report.seed}, AWS_MAX_ATTEMPTS=${report.maxAttempts}, ` +
    `${(report.wallMs / 1000).toFixed(0)} s at ×${report.timeScale}]`
  );
}
