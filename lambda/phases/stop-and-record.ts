/**
 * Phase "stop and record": every verdict, and every model not considered, goes to the log; then at most
 * `maxStopsPerRun` idle models are stopped, most expensive first, and none once less than `deadlineMarginSeconds`
 * of the function's time is left. Each stop writes its record with status STOP_PENDING first, then calls
 * StopProjectVersion, then completes the record with the answer. A failure on one model is recorded and the
 * others go on.
 */

import pLimit from "p-limit";
import { errorMessage } from "../adapters/errors.ts";
import {
  ALREADY_CHANGING,
  type NotConsidered,
  type Problem,
  StopOutcomeUnknownError,
  type Unfinished,
} from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { applyStopCap, type Decision, judgedWindowStart } from "../core/decide.ts";
import { formatTime } from "../core/format.ts";
import {
  buildStopRecord,
  isStopRecord,
  STOP_PENDING,
  type StopRecord,
  SUPERSEDED,
} from "../core/stop-record.ts";
import { type RunDependencies, timeLeftMs } from "../dependencies.ts";
import { recordNotCompleted } from "./reconcile.ts";

/** What the phase acts on. */
export interface StopInput {
  readonly runId: string;
  /** The run's clock reading, epoch ms: the time of every record this run writes. */
  readonly now: number;
  /** Every decision, in the order it was made. */
  readonly decisions: readonly Decision[];
  /** Models seen but not judged: they are logged and listed as kept. */
  readonly notConsidered: readonly NotConsidered[];
  /** Earlier runs' STOP_PENDING records of models still running (from reconcile): completed, not duplicated. */
  readonly pending: ReadonlyMap<string, StopRecord>;
  /** Told of each model as soon as it is stopped and recorded, with its record (none in a dry run). */
  readonly onStopped?: (decision: Decision, record?: StopRecordRef) => void;
}

/** A stop's log record (its sort key) and when StopProjectVersion answered (epoch ms). */
export interface StopRecordRef {
  readonly stoppedAt: string;
  readonly answeredAt: number;
}

/** What the phase did. */
export interface StopResults {
  /** The decisions of the models stopped (in a dry run: that would have been), in the order the stops finished. */
  readonly stopped: readonly Decision[];
  /** Every model left running with the reason: not considered, kept, over the cap, already handled or changing. */
  readonly skipped: readonly { readonly arn: string; readonly reason: string }[];
  readonly errors: readonly Problem[];
  /** Idle models not stopped because the function's time was running out. */
  readonly unfinished: readonly Unfinished[];
  /**
   * Each model stopped (not in a dry run), by ARN: its log record's sort key and when StopProjectVersion answered
   * (epoch ms), for the announce phase.
   */
  readonly stopRecords?: ReadonlyMap<string, StopRecordRef>;
}

/** The settings the phase works by. */
export type StopSettings = Pick<
  StopperConfig,
  "dryRun" | "maxStopsPerRun" | "stopConcurrency" | "deadlineMarginSeconds" | "logTtlDays"
>;

type StopDependencies = Pick<RunDependencies, "directory" | "log" | "logger" | "clock" | "remainingMs">;

/** The lists the phase fills in as stops finish. */
interface Tally {
  readonly stopped: Decision[];
  readonly skipped: { arn: string; reason: string }[];
  readonly errors: Problem[];
  readonly unfinished: Unfinished[];
  readonly stopRecords: Map<string, StopRecordRef>;
  /**
   * Outcome writes that failed, each tried once more after every stop of the run while time is left (`mayTry`), or
   * else reported with its first error.
   */
  readonly outcomeRetries: ((mayTry: boolean) => Promise<void>)[];
}

const FAILED = "FAILED: ";
const NOT_STOPPED = "NOT_STOPPED";

/**
 * Whether an earlier record of this window says the model was stopped: one still pending, replaced by another
 * (SUPERSEDED), of an attempt that failed or was refused (FAILED, ALREADY_CHANGING) or of a model a later run found
 * running and kept (NOT_STOPPED) says no stop took effect, so a later run may still stop the model and records it.
 */
const recordsAStop = (record: StopRecord) =>
  record.status !== STOP_PENDING &&
  record.status !== SUPERSEDED &&
  record.status !== NOT_STOPPED &&
  !record.status.startsWith(FAILED) &&
  !record.status.startsWith(ALREADY_CHANGING);

/** The stop-and-record phase. */
export async function stopAndRecord(
  deps: StopDependencies,
  config: StopSettings,
  input: StopInput,
): Promise<StopResults> {
  const tally: Tally = {
    stopped: [],
    skipped: [],
    errors: [],
    unfinished: [],
    stopRecords: new Map(),
    outcomeRetries: [],
  };
  for (const { arn, reason } of input.notConsidered) {
    deps.logger.warn("not considered", { modelArn: arn, action: "keep", reason });
    tally.skipped.push({ arn, reason });
  }
  const marginMs = config.deadlineMarginSeconds * 1000;
  const act = pLimit(config.stopConcurrency);
  await Promise.all(
    applyStopCap(input.decisions, config.maxStopsPerRun).map(async (decision) => {
      const { model, verdict } = decision;
      deps.logger.info(verdict.action === "stop" ? "idle model" : "model kept", {
        modelArn: model.modelArn,
        action: verdict.action,
        reason: verdict.reason,
        facts: verdict.facts,
      });
      const pendingRecord = input.pending.get(model.modelArn);
      if (verdict.action === "keep") {
        tally.skipped.push({ arn: model.modelArn, reason: verdict.reason });
        if (pendingRecord) await completeKept(deps, input.runId, pendingRecord, verdict.reason, tally);
        return;
      }
      await act(async () => {
        const left = timeLeftMs(deps);
        if (left < marginMs) {
          tally.unfinished.push({
            arn: model.modelArn,
            reason:
              `idle, but not stopped: ${Math.floor(left / 1000)} s of the function's time left, under the ` +
              `${config.deadlineMarginSeconds} s kept for a stop and its log write; it will be considered next run`,
          });
          return;
        }
        try {
          if (await recordAndStop(deps, config, decision, input, tally, pendingRecord)) {
            tally.stopped.push(decision);
            input.onStopped?.(decision, tally.stopRecords.get(model.modelArn));
          }
        } catch (error) {
          tally.errors.push({ arn: model.modelArn, message: errorMessage(error) });
          deps.logger.error("stop failed", { modelArn: model.modelArn, error: errorMessage(error) });
        }
      });
    }),
  );
  // A write that failed through the SDK's own retries gets one more try, the stops' time later, while the run has
  // more than its margin left.
  for (const retry of tally.outcomeRetries) await retry(timeLeftMs(deps) >= marginMs);
  return tally;
}

/** Completes an earlier run's pending record for a model this run decided to keep. */
async function completeKept(
  deps: StopDependencies,
  runId: string,
  record: StopRecord,
  reason: string,
  tally: Tally,
): Promise<void> {
  try {
    await closeEarlierRecord(deps, runId, record, NOT_STOPPED, `kept it: ${reason}`);
  } catch (error) {
    tally.errors.push(recordNotCompleted(record, error));
  }
}

/**
 * Closes an earlier run's STOP_PENDING record with `status`; `outcome` says what this run, which found the model
 * RUNNING, did with it.
 */
function closeEarlierRecord(
  deps: StopDependencies,
  runId: string,
  record: StopRecord,
  status: string,
  outcome: string,
): Promise<void> {
  return deps.log.recordOutcome(record.modelArn, record.stoppedAt, {
    status,
    completedAt: formatTime(deps.clock()),
    reconciledBy: runId,
    note: `run ${record.runId} ended before stopping the model; run ${runId} found it RUNNING and ${outcome}`,
  });
}

/**
 * Records and stops one idle model; returns whether it was stopped (or, in a dry run, would be). The record is
 * written first, so a crash between the two leaves a record whose status is still STOP_PENDING. A model with a
 * completed record of its own inside the idle window is not recorded again: it cannot have been restarted and
 * idled for a whole window since.
 */
async function recordAndStop(
  deps: StopDependencies,
  config: StopSettings,
  decision: Decision,
  input: StopInput,
  tally: Tally,
  pendingRecord: StopRecord | undefined,
): Promise<boolean> {
  const { model, verdict } = decision;
  const { runId, now } = input;
  // A log failure before the call says which step failed and that the model was left running.
  const notStopped = (step: string, error: unknown) => {
    const message = `could not ${step}, so the model was not ${config.dryRun ? "reported as a stop" : "stopped"}: ${errorMessage(error)}`;
    tally.errors.push({ arn: model.modelArn, message });
    deps.logger.error("stop not attempted", { modelArn: model.modelArn, error: message });
    return false;
  };
  // The window the decision judged, which ends at its evidence horizon: a stop recorded since then is this one's.
  const since = new Date(judgedWindowStart(verdict.facts, now)).toISOString();
  let earlier: StopRecord[];
  try {
    // Warnings share the table: only stops count as earlier handling of the model.
    earlier = (await deps.log.recordsSince(model.modelArn, since)).filter(
      (record) => isStopRecord(record) && record.dryRun === config.dryRun,
    );
  } catch (error) {
    return notStopped("read its earlier log records", error);
  }
  const options = { runId, now, dryRun: config.dryRun, ttlDays: config.logTtlDays };

  if (config.dryRun) {
    // A dry run repeated within the window reports the model again but does not log it twice.
    try {
      if (earlier.length === 0) await deps.log.writeIntent(buildStopRecord(decision, options));
    } catch (error) {
      return notStopped("write its log record", error);
    }
    return true;
  }

  // Only a stop that took effect counts as handled; after any other record a later run may try again and writes its
  // own record.
  const completed = earlier.find(recordsAStop);
  if (completed) {
    tally.skipped.push({
      arn: model.modelArn,
      reason:
        `already handled by run ${completed.runId} at ${completed.stoppedAt} (status ${completed.status}); ` +
        "not stopped or recorded again",
    });
    return false;
  }

  // A record this very run left STOP_PENDING (an attempt of it that ended early) is completed rather than
  // duplicated. Another run's is superseded: this run's decision, made on tonight's evidence, gets a record of its
  // own, so that the regret check reads the requests after tonight's evidence, not after that run's.
  const unfinished = pendingRecord ?? earlier.find((record) => record.status === STOP_PENDING);
  const reused = unfinished?.runId === runId ? unfinished : undefined;
  if (unfinished && !reused) {
    try {
      await closeEarlierRecord(
        deps,
        runId,
        unfinished,
        SUPERSEDED,
        "idle, decided again and recorded its stop under a record of its own",
      );
    } catch (error) {
      return notStopped(`complete run ${unfinished.runId}'s ${STOP_PENDING} record`, error);
    }
  }
  const record: StopRecord = reused ?? buildStopRecord(decision, options);
  if (!reused) {
    try {
      await deps.log.writeIntent(record);
    } catch (error) {
      return notStopped("write its log record", error);
    }
  }

  let status: string;
  let note: string | undefined;
  let stopped = false;
  try {
    const outcome = await deps.directory.stopModel(model.region, model.modelArn);
    status = outcome.status;
    if (outcome.kind === "stopping") {
      note = outcome.note;
      stopped = true;
      tally.stopRecords.set(model.modelArn, { stoppedAt: record.stoppedAt, answeredAt: deps.clock() });
    } else if (outcome.kind === "already-changing") {
      tally.skipped.push({
        arn: model.modelArn,
        reason: `not stopped: the model is already changing (${status})`,
      });
    } else {
      tally.skipped.push({
        arn: model.modelArn,
        reason: `not stopped: the model no longer exists (${status})`,
      });
    }
  } catch (error) {
    if (error instanceof StopOutcomeUnknownError) {
      // Whether the model stopped is unknown: the record stays STOP_PENDING, and the next run's reconciliation
      // completes it from the model's real status.
      tally.errors.push({
        arn: model.modelArn,
        message:
          `${error.message}, so whether it stopped is unknown; the log record still says ${STOP_PENDING} and ` +
          "the next run completes it from the model's status",
      });
      return false;
    }
    status = `${FAILED}${errorMessage(error)}`;
    tally.errors.push({
      arn: model.modelArn,
      message: `StopProjectVersion failed: ${errorMessage(error)}`,
    });
  }

  const outcome = {
    status,
    completedAt: formatTime(deps.clock()),
    ...(note !== undefined && { note }),
    // A stop that took effect is followed up: the regret check, a restart rule, a start by hand.
    ...(stopped && { followUpRegion: model.region }),
  };
  const writeOutcome = () => deps.log.recordOutcome(model.modelArn, record.stoppedAt, outcome);
  try {
    await writeOutcome();
  } catch (first) {
    deps.logger.warn("outcome not recorded; tried again after the run's stops", {
      modelArn: model.modelArn,
      status,
      error: errorMessage(first),
    });
    tally.outcomeRetries.push(async (mayTry) => {
      let error = first;
      if (mayTry) {
        try {
          await writeOutcome();
          return;
        } catch (again) {
          error = again;
        }
      }
      // The next run completes the record from the model's status, but cannot tell this run's stop from its
      // owner's: a stop it finds is not followed up.
      const lost = stopped ? ", so the follow-ups will not see this stop (no undo, no restart by rule)" : "";
      tally.errors.push({
        arn: model.modelArn,
        message:
          `could not record the outcome "${status}"${mayTry ? ", twice" : " (no time left to try again)"}; the ` +
          `log record still says ${STOP_PENDING}${lost}: ${errorMessage(error)}`,
      });
    });
  }
  return stopped;
}
