/**
 * Phase "reconcile": finds the records earlier runs left STOP_PENDING (they ended between writing a record and
 * completing it) and completes those whose model is no longer running, from its real status. Records of models
 * still RUNNING are handed on: this run's decision completes them, so no second record is written for one stop.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { formatTime } from "../core/format.ts";
import { isStopRecord, type StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";

/** The run doing the reconciling. */
export interface ReconcileInput {
  readonly runId: string;
}

/** What reconciling left for the rest of the run. */
export interface Reconciled {
  /** Earlier runs' STOP_PENDING records of models still RUNNING, by model ARN. */
  readonly pending: ReadonlyMap<string, StopRecord>;
  /** Records that could not be looked for or completed. */
  readonly errors: readonly Problem[];
}

/** The reconcile phase, over every configured region at once; a dry run completes nothing. */
export async function reconcile(
  deps: Pick<RunDependencies, "directory" | "log" | "logger" | "clock">,
  config: Pick<StopperConfig, "regions" | "dryRun">,
  input: ReconcileInput,
): Promise<Reconciled> {
  const pending = new Map<string, StopRecord>();
  const errors: Problem[] = [];
  if (config.dryRun) return { pending, errors };
  const { runId } = input;
  await Promise.all(
    config.regions.map(async (region) => {
      let records: StopRecord[];
      try {
        // Only stops are ever STOP_PENDING; a warning that somehow carried the index key is not one to complete.
        records = (await deps.log.pendingRecords(region)).filter(isStopRecord);
      } catch (error) {
        errors.push({
          message: `could not look for unfinished log records in ${region}: ${errorMessage(error)}`,
        });
        return;
      }
      for (const record of records) {
        try {
          const status = await deps.directory.modelStatus(region, record.modelArn);
          if (status === "RUNNING") {
            pending.set(record.modelArn, record);
            continue;
          }
          const found = status ?? "NOT_FOUND";
          const stopped = found === "STOPPED" || found === "STOPPING";
          // A retry of the same run (Lambda's, minutes later) finds its own stop having taken effect: it is
          // followed up like any other. A later run cannot tell the stopper's call from the owner stopping the
          // model meanwhile, and the follow-ups start only models the stopper knows it stopped.
          const followed = stopped && record.runId === runId;
          await deps.log.recordOutcome(record.modelArn, record.stoppedAt, {
            status: found,
            completedAt: formatTime(deps.clock()),
            reconciledBy: runId,
            ...(followed && { followUpRegion: record.region }),
            note:
              `run ${record.runId} ended before recording the outcome of its stop; ` +
              `run ${runId} found the model ${status === undefined ? "gone" : status}` +
              (stopped && !followed
                ? "; not followed up (no undo, no restart by rule): whether that run's stop or someone else " +
                  "stopped the model cannot be told"
                : ""),
          });
          deps.logger.info("log record completed", {
            modelArn: record.modelArn,
            status: found,
            writtenBy: record.runId,
          });
        } catch (error) {
          errors.push(recordNotCompleted(record, error));
        }
      }
    }),
  );
  return { pending, errors };
}

/** The problem of an earlier run's STOP_PENDING record that could not be completed. */
export function recordNotCompleted(record: StopRecord, error: unknown): Problem {
  return {
    arn: record.modelArn,
    message: `could not complete its STOP_PENDING record: ${errorMessage(error)}`,
  };
}
