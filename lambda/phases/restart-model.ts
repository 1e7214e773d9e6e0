/**
 * Starting a stopped model again, write-ahead like a stop: read the model's status, claim its stop record with a
 * conditional update (RESTART_PENDING, naming this run), call StartProjectVersion with the recorded units, then
 * complete the record (RESTARTED) or give the claim back. The claim's condition holds for one run only, so the
 * nightly run and the follow-up function never both start a model, and a retried call after a lost answer meets its
 * own claim rather than a second one. Used by the regret check and by restart on schedule; `resumeClaims` settles
 * the claims a run left behind when it ended between its claim and its record.
 */

import { errorMessage } from "../adapters/errors.ts";
import { type Problem, StartOutcomeUnknownError } from "../adapters/rekognition.ts";
import type { FollowUpChange } from "../adapters/stop-log.ts";
import type { StopperConfig } from "../config.ts";
import {
  CLAIM_STALE_MS,
  type LateRequests,
  RUNNING_STATUSES,
  STARTED_BY_HAND_WITHIN_MS,
  startedByHandText,
  startUnits,
  stopMoment,
} from "../core/follow-up.ts";
import { formatTime } from "../core/format.ts";
import { RESTART_PENDING, type StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";
import { withNote } from "./follow-ups.ts";

/** What made a restart, besides its reason's sentence: the requests a regret check saw, or the rule that fired. */
export interface RestartCause {
  /** A regret check's restart: the requests that arrived before the stop. */
  readonly lateRequests?: LateRequests;
  /** A restart by rule: the tag's value, and where it was found. */
  readonly rule?: { readonly text: string; readonly source?: string };
}

/** A stop the stopper undid by starting the model again. */
export interface Restart extends RestartCause {
  /** The stop record, as it was read before the restart. */
  readonly record: StopRecord;
  readonly by: "regret" | "schedule";
  readonly reason: string;
  /** What the model costs an hour again, at its recorded MinInferenceUnits. */
  readonly hourlyCostUsd: number;
  /** When the restart was recorded (epoch ms): the record's `restartedAt`, its event's and its tag's time. */
  readonly at: number;
  /** Set when the start met a lost answer or another quirk, and how it was told. */
  readonly note?: string;
}

/** A stopped model someone started again within a day of the stop. */
export interface StartedByHand {
  readonly record: StopRecord;
  /** When the stopper saw it running, epoch ms. */
  readonly seenAt: number;
}

/** What the follow-up phases did, to report. */
export interface FollowUpResults {
  readonly restarted: readonly Restart[];
  readonly startedByHand: readonly StartedByHand[];
  readonly errors: readonly Problem[];
}

/** What one restart attempt came to. */
export type RestartResult =
  /** Started again and recorded: a restart is counted by the run that records it, so it is counted once. */
  | { readonly kind: "restarted"; readonly restart: Restart }
  | { readonly kind: "started-by-hand"; readonly startedByHand: StartedByHand }
  /** Nothing was started or recorded, with why; `done` when this run is done with the record. */
  | {
      readonly kind: "not-restarted";
      readonly reason: string;
      readonly problem?: Problem;
      readonly done: boolean;
    };

/** Dependencies of a restart. */
export type RestartDependencies = Pick<RunDependencies, "directory" | "log" | "logger" | "clock">;

/** Settings of a restart. */
export type RestartSettings = Pick<StopperConfig, "pricePerInferenceUnitHour">;

/** What to restart, for whom and why. */
export interface RestartRequest extends RestartCause {
  readonly runId: string;
  readonly record: StopRecord;
  readonly by: "regret" | "schedule";
  readonly reason: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Starts the model of a followed stop again, if it is still STOPPED, recording the start before and after. */
export async function restartModel(
  deps: RestartDependencies,
  config: RestartSettings,
  request: RestartRequest,
): Promise<RestartResult> {
  const { record, runId } = request;
  const arn = record.modelArn;
  const units = startUnits(record);
  const hourlyCostUsd = Math.round(units.min * config.pricePerInferenceUnitHour * 100) / 100;
  const change = (update: FollowUpChange) => deps.log.changeFollowUp(record, update);
  const claim = () =>
    change({
      kind: "claim-restart",
      by: runId,
      at: iso(deps.clock()),
      restartedBy: request.by,
      reason: request.reason,
      hourlyCostUsd,
      staleBefore: iso(deps.clock() - CLAIM_STALE_MS),
    });
  const notRestarted = (reason: string, done: boolean, problem?: Problem): RestartResult => {
    deps.logger.info("model not restarted", { modelArn: arn, reason });
    return { kind: "not-restarted", reason, done, ...(problem && { problem }) };
  };
  const failed = (step: string, error: unknown) =>
    notRestarted(`could not ${step}`, false, { arn, message: `could not ${step}: ${errorMessage(error)}` });
  // A claim left by a run that died is taken over first, then settled from the model's real status.
  const resuming = record.status === RESTART_PENDING;
  const restarted = async (note?: string): Promise<RestartResult> => {
    const at = deps.clock();
    try {
      const notes = [note, units.note].filter((text) => text !== undefined).join("; ");
      await change({
        kind: "restarted",
        by: runId,
        at: formatTime(at),
        ...(notes !== "" && { note: withNote(record, notes) }),
      });
    } catch (error) {
      // The start stands; the run that completes the record (a later follow-up, from the status) counts it.
      return notRestarted("started again, but not recorded yet", true, {
        arn,
        message:
          `started again, but the outcome could not be recorded; the log record still says ${RESTART_PENDING} ` +
          `and a later follow-up completes it from the model's status: ${errorMessage(error)}`,
      });
    }
    const restart: Restart = {
      record,
      by: request.by,
      reason: request.reason,
      hourlyCostUsd,
      at,
      ...(request.lateRequests && { lateRequests: request.lateRequests }),
      ...(request.rule && { rule: request.rule }),
      ...(note && { note }),
    };
    deps.logger.info("model restarted", { modelArn: arn, by: request.by, reason: request.reason, note });
    return { kind: "restarted", restart };
  };
  const release = async (note: string, done: boolean, problem?: Problem): Promise<RestartResult> => {
    try {
      await change({ kind: "release-restart", by: runId, note: withNote(record, note), done });
    } catch (error) {
      return notRestarted(note, false, {
        arn,
        message: `${problem ? `${problem.message}; and ` : ""}could not give back its restart claim: ${errorMessage(error)}`,
      });
    }
    return notRestarted(note, done, problem);
  };

  try {
    if (resuming && !(await claim())) return notRestarted("another run holds its restart claim", false);
  } catch (error) {
    return failed("claim its stop record", error);
  }
  let status: string | undefined;
  try {
    status = await deps.directory.modelStatus(record.region, arn);
  } catch (error) {
    // A claim being resumed stays this run's: the start may have gone through, and a later follow-up settles it.
    return failed("read the model's status", error);
  }
  if (status !== undefined && RUNNING_STATUSES.has(status)) {
    if (resuming)
      return restarted(
        `run ${record.restartClaimedBy} claimed the restart and ended before recording its outcome; ` +
          `run ${runId} found the model ${status}`,
      );
    return runningAgain(deps, record, status);
  }
  if (status === undefined) {
    const reason = "followed no more: the model no longer exists";
    if (resuming) return release(reason, true);
    await deps.log.changeFollowUp(record, { kind: "stop-following", note: withNote(record, reason) });
    return notRestarted(reason, true);
  }
  if (status !== "STOPPED") {
    // Still STOPPING (a stop takes a while), or something else is going on: the next follow-up tries again.
    const reason = `not restarted yet: the model is ${status}, not STOPPED`;
    return resuming ? release(reason, false) : notRestarted(reason, false);
  }
  try {
    if (!resuming && !(await claim())) return notRestarted("another run claimed its restart first", false);
  } catch (error) {
    return failed("claim its stop record", error);
  }

  try {
    const outcome = await deps.directory.startModel(record.region, arn, {
      min: units.min,
      ...(units.max !== undefined && { max: units.max }),
    });
    if (outcome.kind === "starting") return restarted(outcome.note);
    return release(`not restarted: ${outcome.reason}`, outcome.kind === "not-found");
  } catch (error) {
    if (error instanceof StartOutcomeUnknownError) {
      // The start may have gone through: the claim stays, and a later follow-up settles it from the status.
      return notRestarted("unknown whether it started", false, {
        arn,
        message:
          `${error.message}, so whether it started is unknown; the log record still says ${RESTART_PENDING} and a ` +
          "later follow-up completes it from the model's status",
      });
    }
    // The start certainly did not happen. A refusal AWS would repeat (access, quota, a bad unit count) ends the
    // follow-up of this stop; a throttle or a passing failure is tried again at the next follow-up.
    const permanent = (error as { $fault?: unknown } | null)?.$fault === "client" && !isThrottle(error);
    return release(
      `not restarted: StartProjectVersion failed: ${errorMessage(error)}${permanent ? "; followed no more" : ""}`,
      permanent,
      { arn, message: `StartProjectVersion failed: ${errorMessage(error)}` },
    );
  }
}

const THROTTLES = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
]);
const isThrottle = (error: unknown) => error instanceof Error && THROTTLES.has(error.name);

/**
 * A followed stop whose model is running again though the stopper did not start it: within a day of the stop it was
 * started by hand (the owner saying the threshold is wrong for it); later, it is simply no longer the stopper's.
 */
export async function runningAgain(
  deps: Pick<RunDependencies, "log" | "logger" | "clock">,
  record: StopRecord,
  status: string,
): Promise<RestartResult> {
  const seenAt = deps.clock();
  if (seenAt - stopMoment(record) <= STARTED_BY_HAND_WITHIN_MS) {
    const text = startedByHandText(record, seenAt);
    const changed = await deps.log.changeFollowUp(record, {
      kind: "started-by-hand",
      at: formatTime(seenAt),
      note: withNote(record, `${text}; the stopper did not start it`),
    });
    if (!changed)
      return { kind: "not-restarted", reason: "another run settled the record first", done: false };
    deps.logger.info("model started again by hand", { modelArn: record.modelArn, status, note: text });
    return { kind: "started-by-hand", startedByHand: { record, seenAt } };
  }
  const reason = `followed no more: the model was found ${status} at ${formatTime(seenAt)}, started by someone else`;
  await deps.log.changeFollowUp(record, { kind: "stop-following", note: withNote(record, reason) });
  return { kind: "not-restarted", reason, done: true };
}

/** The empty lists a follow-up phase fills in, with {@link tally}. */
export function emptyResults(): { restarted: Restart[]; startedByHand: StartedByHand[]; errors: Problem[] } {
  return { restarted: [], startedByHand: [], errors: [] };
}

/** Adds one restart attempt's result to the lists a phase reports. */
export function tally(
  results: { restarted: Restart[]; startedByHand: StartedByHand[]; errors: Problem[] },
  result: RestartResult,
): void {
  if (result.kind === "restarted") results.restarted.push(result.restart);
  if (result.kind === "started-by-hand") results.startedByHand.push(result.startedByHand);
  if ("problem" in result && result.problem) results.errors.push(result.problem);
}

/**
 * Phase "resume claims": RESTART_PENDING records whose run ended between its claim and its record (the claim is
 * older than the longest a function runs), or this very run's own (a retried invocation), settled from the model's
 * status: completed if it is starting or running, started if it is still stopped.
 */
export async function resumeClaims(
  deps: RestartDependencies,
  config: RestartSettings,
  input: { readonly runId: string; readonly now: number; readonly followed: readonly StopRecord[] },
): Promise<FollowUpResults & { readonly remaining: readonly StopRecord[] }> {
  const results = emptyResults();
  const staleBefore = iso(input.now - CLAIM_STALE_MS);
  const claims = input.followed.filter(
    (record) =>
      record.status === RESTART_PENDING &&
      (record.restartClaimedBy === input.runId || (record.restartClaimedAt ?? "") < staleBefore),
  );
  for (const record of claims) {
    try {
      tally(
        results,
        await restartModel(deps, config, {
          runId: input.runId,
          record,
          by: record.restartedBy ?? "schedule",
          reason: record.restartReason ?? "a restart claimed by an earlier run",
          // The claim kept the reason's sentence, not the requests a regret check counted; a rule is cached.
          ...(record.restartedBy !== "regret" &&
            record.restartRule !== undefined && {
              rule: {
                text: record.restartRule,
                ...(record.restartRuleSource !== undefined && { source: record.restartRuleSource }),
              },
            }),
        }),
      );
    } catch (error) {
      results.errors.push({
        arn: record.modelArn,
        message: `could not settle its restart claim: ${errorMessage(error)}`,
      });
    }
  }
  return {
    ...results,
    remaining: input.followed.filter((record) => record.status !== RESTART_PENDING),
  };
}
