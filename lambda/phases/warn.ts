/**
 * Phase "warn": with `warnBeforeStopHours` set, a model that would be stopped is warned first, and only a later run
 * may stop it: one at least `warnBeforeStopHours` after the warning, with the model idle the whole time since.
 *
 * - An idle model without a warning gets a record WARNED (kind `warning`, in the `FollowUps` index), a place in the
 *   digest, and a message to its own topic if its tags name one; it is kept this run.
 * - An idle model whose warning is not due yet is kept; one whose warning is due is stopped if no request arrived
 *   since the warning's evidence horizon (read back in one GetMetricData call per 125 such models of a region), and
 *   the warning is closed after the stop (`settleWarnings`): STOPPED_AFTER_WARNING.
 * - A warned model that was used, opted out, snoozed or started again since has its warning CLEARED, with why.
 * - A warning whose model no longer runs, or any warning once warnings are turned off, is EXPIRED.
 *
 * A warning's timing is the run's scheduled time (the event's `scheduledTime`), so a warning pass scheduled at
 * 18:00 with `warnBeforeStopHours=8` makes the 02:00 run's stop due, however many seconds each run took to start.
 */

import pLimit from "p-limit";
import { discoveryReserveMs } from "../../common/settings.ts";
import { errorMessage } from "../adapters/errors.ts";
import type { ModelState, Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { countRequests, type Decision, requestsText } from "../core/decide.ts";
import { formatTime } from "../core/format.ts";
import {
  buildWarningRecord,
  CLEARED,
  EXPIRED,
  isOpenWarning,
  STOPPED_AFTER_WARNING,
  type StopRecord,
} from "../core/stop-record.ts";
import type { NamedModel, NamedVerdict, RequestEvidence, VerdictCause } from "../core/types.ts";
import {
  heldByWarningVerdict,
  notifyProblem,
  stopNotBeforeOf,
  warnedVerdict,
  warningMessage,
} from "../core/warning.ts";
import { type RunDependencies, timeLeftMs } from "../dependencies.ts";

const HOUR_MS = 3_600_000;

/** A full run (assess, warn, stop) or a warning pass (assess and warn, never stop). */
export type RunMode = "run" | "warn";

/** What the phase works on. */
export interface WarnInput {
  readonly runId: string;
  /** The run's clock reading (its decision time), epoch ms. */
  readonly now: number;
  /** The time the run was scheduled for (or its clock reading): when warnings are written and fall due. */
  readonly scheduledAt: number;
  readonly mode: RunMode;
  /** Every decision of the assessment, in order. */
  readonly decisions: readonly Decision[];
  /** Models judged by name only (metrics-first discovery keeps a busy model undescribed). */
  readonly judgedByName?: readonly NamedVerdict[];
}

/** A model warned this run. */
export interface NewWarning {
  /** The model and the idle verdict it was warned on. */
  readonly decision: Decision;
  /** Epoch ms: the earliest time a run may stop it. */
  readonly stopNotBefore: number;
  /** The topic its own message went to, when its tags named a valid one and the message was sent. */
  readonly notifiedTopicArn?: string;
  /** Its warning record's sort key (`stoppedAt`). */
  readonly loggedAt?: string;
}

/** A warning this run closed, and why. */
export interface ClosedWarning {
  readonly arn: string;
  readonly status: string;
  readonly note: string;
}

/** What the phase did, and what the stops need from it. */
export interface Warned {
  /** The decisions with warnings applied: warned and held models kept, due ones still stops. */
  readonly decisions: readonly Decision[];
  readonly warned: readonly NewWarning[];
  readonly closed: readonly ClosedWarning[];
  /** The open warnings of the models this run may stop, by ARN; `settleWarnings` closes them after the stops. */
  readonly due: ReadonlyMap<string, readonly StopRecord[]>;
  readonly errors: readonly Problem[];
}

/** The settings the phase works by. */
export type WarnSettings = Pick<
  StopperConfig,
  | "warnBeforeStopHours"
  | "dryRun"
  | "regions"
  | "logTtlDays"
  | "optOutTagKey"
  | "logTableName"
  | "homeRegion"
  | "stopConcurrency"
  | "deadlineMarginSeconds"
>;

type WarnDependencies = Pick<
  RunDependencies,
  "directory" | "usage" | "log" | "logger" | "clock" | "notifier" | "remainingMs"
>;

const WARNINGS_OFF = "warnings were turned off (WARN_BEFORE_STOP_HOURS=0): the model is judged without one";

/** A model's region and names, as a key. */
const nameKey = (model: NamedModel) => `${model.region}\n${model.projectName}\n${model.versionName}`;

/** Keeps that mean the model is not idle since its warning (or must not be stopped): its warning is cleared. */
const CLEARING: ReadonlySet<VerdictCause> = new Set(["in-use", "opted-out", "started-recently"]);

/** The warn phase, before the cap and the last look. */
export async function warnBeforeStop(
  deps: WarnDependencies,
  config: WarnSettings,
  input: WarnInput,
): Promise<Warned> {
  const errors: Problem[] = [];
  const closed: ClosedWarning[] = [];
  const close = closer(deps, errors, closed);
  const { open, unreadable } = await openWarnings(deps, config.regions, errors);
  const judged = new Set(input.decisions.map((decision) => decision.model.modelArn));
  const on = config.warnBeforeStopHours > 0;
  const work: Promise<void>[] = [];
  // Metrics-first discovery keeps a busy model by its names, undescribed: its warning is settled by them.
  const byName = new Map((input.judgedByName ?? []).map(({ model, verdict }) => [nameKey(model), verdict]));
  for (const [arn, all] of open) {
    const verdict = judged.has(arn) ? undefined : byName.get(nameKey(all[0] as StopRecord));
    if (verdict === undefined) continue;
    judged.add(arn);
    const records = all.filter((record) => record.dryRun === config.dryRun);
    if (records.length === 0) continue;
    if (!on) work.push(close(records, EXPIRED, WARNINGS_OFF));
    else if (verdict.action === "keep" && CLEARING.has(verdict.cause ?? "unsure"))
      work.push(close(records, CLEARED, `${noteOf(verdict.cause)}: ${verdict.reason}`));
  }
  // Expiring the warnings of models that no longer run can wait for a later run: with less time left than
  // discovery keeps for the phases after it (discovery stopped short), the time goes to the stops.
  if (timeLeftMs(deps) >= discoveryReserveMs(config.deadlineMarginSeconds))
    await expireVanished(deps, input.runId, open, judged, close, errors);
  else
    deps.logger.info("warnings of models not judged left open: the run is short of time", {
      regions: config.regions,
    });

  const decisions = [...input.decisions];
  const fresh: number[] = [];
  const dueChecks: { index: number; records: StopRecord[] }[] = [];
  for (const [index, decision] of decisions.entries()) {
    const { model, verdict } = decision;
    const all = open.get(model.modelArn) ?? [];
    // A dry run's warnings and a live run's live separately, as their stop records do.
    const other = all.filter((record) => record.dryRun !== config.dryRun);
    if (other.length > 0)
      work.push(
        close(
          other,
          EXPIRED,
          `written by a ${config.dryRun ? "live" : "dry"} run; this run is ${config.dryRun ? "a dry run" : "live"}`,
        ),
      );
    const records = all.filter((record) => record.dryRun === config.dryRun);
    if (!on) {
      if (records.length > 0) work.push(close(records, EXPIRED, WARNINGS_OFF));
      continue;
    }
    if (records.length === 0) {
      if (verdict.action !== "stop") continue;
      const why = unreadable.get(model.region);
      if (why !== undefined) {
        decisions[index] = {
          ...decision,
          verdict: {
            ...verdict,
            action: "keep",
            reason: `kept to be safe: could not read the open warnings in ${model.region}, so whether the model was warned cannot be told (${why})`,
            cause: "unsure",
          },
        };
      } else fresh.push(index);
      continue;
    }
    const first = records[0] as StopRecord;
    const stopNotBefore = Date.parse(first.stopNotBefore ?? first.stoppedAt);
    if (verdict.action === "keep") {
      if (CLEARING.has(verdict.cause ?? "unsure"))
        work.push(close(records, CLEARED, `${noteOf(verdict.cause)}: ${verdict.reason}`));
      continue;
    }
    if (Number.isNaN(stopNotBefore)) {
      // A record edited by hand, say: when the warning falls due cannot be told, so it is not due.
      decisions[index] = {
        ...decision,
        verdict: {
          ...verdict,
          action: "keep",
          reason:
            `kept to be safe: its warning record (${first.stoppedAt}) gives no time it may be stopped from ` +
            `(stopNotBefore ${JSON.stringify(first.stopNotBefore ?? null)}); ${verdict.reason}`,
          cause: "unsure",
        },
      };
      continue;
    }
    const warning = { warnedAt: formatTime(Date.parse(first.stoppedAt)), stopNotBefore };
    if (input.scheduledAt < stopNotBefore || input.mode === "warn") {
      decisions[index] = {
        ...decision,
        verdict: heldByWarningVerdict(verdict, warning, input.mode === "warn"),
      };
      continue;
    }
    dueChecks.push({ index, records });
  }
  await Promise.all(work);

  const due = new Map<string, StopRecord[]>();
  await checkIdleSinceWarning(deps, input.now, dueChecks, decisions, due, close, errors);
  const warned = await writeWarnings(deps, config, input, fresh, decisions, errors);
  return { decisions, warned, closed, due, errors };
}

/** Closes the warnings of the models this run may have stopped: STOPPED_AFTER_WARNING, or CLEARED if used at the last look. */
export async function settleWarnings(
  deps: Pick<RunDependencies, "log" | "logger" | "clock">,
  input: {
    readonly runId: string;
    readonly due: ReadonlyMap<string, readonly StopRecord[]>;
    /** The decisions after the last look. */
    readonly decisions: readonly Decision[];
    /** The models stopped (in a dry run: that would have been). */
    readonly stopped: readonly Decision[];
  },
): Promise<{ readonly closed: readonly ClosedWarning[]; readonly errors: readonly Problem[] }> {
  const errors: Problem[] = [];
  const closed: ClosedWarning[] = [];
  const close = closer(deps, errors, closed);
  const stopped = new Set(input.stopped.map((decision) => decision.model.modelArn));
  const final = new Map(input.decisions.map((decision) => [decision.model.modelArn, decision.verdict]));
  await Promise.all(
    [...input.due].map(([arn, records]) => {
      if (stopped.has(arn)) return close(records, STOPPED_AFTER_WARNING, `stopped by run ${input.runId}`);
      const verdict = final.get(arn);
      // Kept at the last look: used since the warning. Kept for any other reason (the cap, a failed stop): the
      // warning holds, and the next run may stop the model.
      if (verdict?.action === "keep" && verdict.cause === "in-use")
        return close(records, CLEARED, `used since the warning: ${verdict.reason}`);
      return Promise.resolve();
    }),
  );
  return { closed, errors };
}

const noteOf = (cause: VerdictCause | undefined) =>
  cause === "in-use"
    ? "used since the warning"
    : cause === "opted-out"
      ? "opted out or snoozed since the warning"
      : "started again since the warning";

/** A function that closes a model's open warnings with one status and note, and notes it once. */
function closer(
  deps: Pick<RunDependencies, "log" | "logger" | "clock">,
  errors: Problem[],
  closed: ClosedWarning[],
) {
  return async (records: readonly StopRecord[], status: string, note: string): Promise<void> => {
    const arn = (records[0] as StopRecord).modelArn;
    try {
      for (const record of records)
        await deps.log.closeWarning(record.modelArn, record.stoppedAt, {
          status,
          completedAt: formatTime(deps.clock()),
          note,
        });
      closed.push({ arn, status, note });
      deps.logger.info("warning closed", { modelArn: arn, status, note });
    } catch (error) {
      errors.push({ arn, message: `could not close its warning as ${status}: ${errorMessage(error)}` });
    }
  };
}

/** Every open warning of the configured regions by model ARN (oldest first), and the regions whose could not be read. */
async function openWarnings(
  deps: Pick<RunDependencies, "log">,
  regions: readonly string[],
  errors: Problem[],
): Promise<{ open: Map<string, StopRecord[]>; unreadable: Map<string, string> }> {
  const open = new Map<string, StopRecord[]>();
  const unreadable = new Map<string, string>();
  await Promise.all(
    regions.map(async (region) => {
      try {
        for (const record of await deps.log.followUps(region)) {
          if (!isOpenWarning(record)) continue;
          const list = open.get(record.modelArn) ?? [];
          list.push(record);
          open.set(record.modelArn, list);
        }
      } catch (error) {
        unreadable.set(region, errorMessage(error));
        errors.push({ message: `could not read the open warnings in ${region}: ${errorMessage(error)}` });
      }
    }),
  );
  for (const list of open.values()) list.sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
  return { open, unreadable };
}

/**
 * How many warned models a run not judging them reads the status of, to expire the warnings of those no longer
 * running: at most about 55 describe calls (11 s at 5 a second) for models in projects of their own.
 */
export const MAX_VANISHED_CHECKS = 50;

/**
 * Expires the warnings of models this run did not judge and that no longer run; one still RUNNING is left be. Their
 * statuses are read a region at a time, 10 projects or versions a call, for at most {@link MAX_VANISHED_CHECKS}
 * models a run, so a run whose discovery stopped short (at its deadline, or a region that failed), and so judged few
 * of its warned models, spends few calls on them.
 */
async function expireVanished(
  deps: Pick<RunDependencies, "directory">,
  runId: string,
  open: ReadonlyMap<string, StopRecord[]>,
  judged: ReadonlySet<string>,
  close: ReturnType<typeof closer>,
  errors: Problem[],
): Promise<void> {
  // The oldest warnings first, at most MAX_VANISHED_CHECKS a run: the rest wait, open, for a later run.
  const unjudged = [...open]
    .filter(([arn]) => !judged.has(arn))
    .sort(([, a], [, b]) => (a[0] as StopRecord).stoppedAt.localeCompare((b[0] as StopRecord).stoppedAt))
    .slice(0, MAX_VANISHED_CHECKS);
  const byRegion = new Map<string, [string, StopRecord[]][]>();
  for (const [arn, records] of unjudged) {
    const { region } = records[0] as StopRecord;
    const list = byRegion.get(region) ?? [];
    list.push([arn, records]);
    byRegion.set(region, list);
  }
  await Promise.all(
    [...byRegion].map(async ([region, warned]) => {
      let states: Map<string, ModelState>;
      try {
        states = await deps.directory.modelStatuses(
          region,
          warned.map(([arn]) => arn),
        );
      } catch (error) {
        states = new Map(warned.map(([arn]) => [arn, { error: errorMessage(error) }]));
      }
      await Promise.all(
        warned.map(async ([arn, records]) => {
          const state = states.get(arn) ?? { error: "no status returned for the model" };
          if ("error" in state) {
            errors.push({ arn, message: `could not read the status of a warned model: ${state.error}` });
            return;
          }
          // Still running but not judged (its project not reached, its discovery failed): the warning holds.
          if (state.status === "RUNNING") return;
          await close(
            records,
            EXPIRED,
            `run ${runId} found the model ${state.status ?? "gone"}, no longer running`,
          );
        }),
      );
    }),
  );
}

/**
 * For each idle model whose warning is due: the request metrics from the warning's evidence horizon to now, one
 * call per batch of a region. A request keeps the model and clears its warning; a failed read keeps it, warned.
 */
async function checkIdleSinceWarning(
  deps: Pick<RunDependencies, "usage">,
  now: number,
  checks: readonly { index: number; records: StopRecord[] }[],
  decisions: Decision[],
  due: Map<string, StopRecord[]>,
  close: ReturnType<typeof closer>,
  errors: Problem[],
): Promise<void> {
  if (checks.length === 0) return;
  const sinceOf = (records: readonly StopRecord[]) => {
    const first = records[0] as StopRecord;
    return Date.parse(first.evidenceUntil ?? first.stoppedAt);
  };
  const earliest = Math.min(...checks.map((check) => sinceOf(check.records)));
  // Periods coarse enough to keep a week in one page of datapoints: a request anywhere in a period counts.
  const span = now - earliest;
  const periodSeconds = span <= 6 * HOUR_MS ? 60 : span <= 48 * HOUR_MS ? 300 : 3600;
  const periodMs = periodSeconds * 1000;
  const floor = (at: number) => Math.floor(at / periodMs) * periodMs;
  const byRegion = new Map<string, { index: number; records: StopRecord[] }[]>();
  for (const check of checks) {
    const { region } = (decisions[check.index] as Decision).model;
    byRegion.set(region, [...(byRegion.get(region) ?? []), check]);
  }
  const work: Promise<void>[] = [];
  await Promise.all(
    [...byRegion].map(async ([region, list]) => {
      const models = list.map((check) => (decisions[check.index] as Decision).model);
      let read: Map<string, RequestEvidence>;
      try {
        read = await deps.usage.readRequests(region, models, {
          start: floor(Math.min(...list.map((check) => sinceOf(check.records)))),
          end: Math.max(now, floor(earliest) + periodMs),
          periodSeconds,
        });
      } catch (error) {
        read = new Map(
          models.map((m) => [m.modelArn, { error: `GetMetricData failed: ${errorMessage(error)}` }]),
        );
      }
      for (const { index, records } of list) {
        const decision = decisions[index] as Decision;
        const { verdict, model } = decision;
        const since = floor(sinceOf(records));
        const warnedAt = formatTime(Date.parse((records[0] as StopRecord).stoppedAt));
        const evidence = read.get(model.modelArn) ?? { error: "CloudWatch returned nothing for the model" };
        if ("error" in evidence) {
          errors.push({ arn: model.modelArn, message: `requests since the warning: ${evidence.error}` });
          decisions[index] = {
            ...decision,
            verdict: {
              ...verdict,
              action: "keep",
              reason: `kept to be safe: could not read the requests since the warning at ${warnedAt} (${evidence.error}); ${verdict.reason}`,
              cause: "unsure",
            },
          };
          continue;
        }
        // A period that began before the warning's horizon but ends after it counts: it may hold a later request.
        const seen = countRequests(evidence.requests, since, Number.POSITIVE_INFINITY);
        if (seen.lastAt !== undefined) {
          const reason =
            `in use since the warning at ${warnedAt}: ${requestsText(seen.total)} (${seen.breakdown}) since ` +
            `${formatTime(since)}; last request at ${formatTime(seen.lastAt)}`;
          decisions[index] = {
            ...decision,
            verdict: {
              action: "keep",
              reason,
              facts: { ...verdict.facts, lastRequestAt: formatTime(seen.lastAt) },
              cause: "in-use",
            },
          };
          work.push(close(records, CLEARED, `used since the warning: ${reason}`));
          continue;
        }
        decisions[index] = {
          ...decision,
          verdict: { ...verdict, reason: `${verdict.reason}; warned at ${warnedAt}, and no request since` },
        };
        due.set(model.modelArn, records);
      }
    }),
  );
  await Promise.all(work);
}

/**
 * Warns each idle model that has no warning: its record first (a model whose record cannot be written is kept, not
 * stopped unwarned), then its own message when its tags name a valid topic (never in a dry run).
 */
async function writeWarnings(
  deps: WarnDependencies,
  config: WarnSettings,
  input: WarnInput,
  fresh: readonly number[],
  decisions: Decision[],
  errors: Problem[],
): Promise<NewWarning[]> {
  const stopNotBefore = stopNotBeforeOf(input.scheduledAt, config.warnBeforeStopHours);
  const limit = pLimit(config.stopConcurrency);
  const warned: (NewWarning | undefined)[] = await Promise.all(
    fresh.map((index) =>
      limit(async () => {
        const decision = decisions[index] as Decision;
        const { model } = decision;
        const held: Decision = { ...decision, verdict: warnedVerdict(decision.verdict, stopNotBefore) };
        decisions[index] = held;
        const record = buildWarningRecord(held, {
          runId: input.runId,
          now: input.now,
          dryRun: config.dryRun,
          ttlDays: config.logTtlDays,
          stopNotBefore,
        });
        try {
          await deps.log.writeIntent(record);
        } catch (error) {
          const message = `could not write its warning record, so it was neither warned nor stopped: ${errorMessage(error)}`;
          errors.push({ arn: model.modelArn, message });
          decisions[index] = {
            ...decision,
            verdict: {
              ...decision.verdict,
              action: "keep",
              reason: `kept: ${message}; ${decision.verdict.reason}`,
              cause: "unsure",
            },
          };
          return undefined;
        }
        deps.logger.info("model warned", {
          modelArn: model.modelArn,
          stopNotBefore: formatTime(stopNotBefore),
        });
        const warning = { decision, stopNotBefore, loggedAt: record.stoppedAt };
        const target = decision.notify;
        if (target === undefined) return warning;
        if ("invalid" in target) {
          errors.push({ arn: model.modelArn, message: notifyProblem(target) });
          return warning;
        }
        // A dry run tells the stopper's own topic what it would do, never a model's owner.
        if (config.dryRun || !deps.notifier) return warning;
        try {
          await deps.notifier.publishTo(
            target.topicArn,
            warningMessage(decision, { ...config, stopNotBefore }),
          );
        } catch (error) {
          errors.push({
            arn: model.modelArn,
            message: `could not publish its warning to ${target.topicArn} (${target.source}): ${errorMessage(error)}`,
          });
          return warning;
        }
        return { ...warning, notifiedTopicArn: target.topicArn };
      }),
    ),
  );
  return warned.filter((warning): warning is NewWarning => warning !== undefined);
}
