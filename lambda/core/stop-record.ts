/** The log record of one stop (or would-stop in a dry run), as stored in the DynamoDB table. */

import type { Decision } from "./decide.ts";
import { formatTime } from "./format.ts";

/** Status written before StopProjectVersion is called; if it stays, the run ended before the call answered. */
export const STOP_PENDING = "STOP_PENDING";

/** Status of a would-stop record in a dry run. */
export const DRY_RUN_STATUS = "DRY_RUN";

/** One item of the log table. Partition key `modelArn`, sort key `stoppedAt`. */
export interface StopRecord {
  readonly modelArn: string;
  /** ISO-8601 UTC time of the decision, with milliseconds. */
  readonly stoppedAt: string;
  readonly dryRun: boolean;
  readonly projectName: string;
  readonly versionName: string;
  readonly region: string;
  readonly reason: string;
  readonly idleMinutes: number;
  readonly inferenceUnits?: number;
  readonly minInferenceUnits?: number;
  readonly maxInferenceUnits?: number;
  readonly estimatedHourlyCostUsd?: number;
  readonly runId: string;
  /** STOP_PENDING, then what StopProjectVersion answered (e.g. STOPPING) or the error; DRY_RUN in a dry run. */
  readonly status: string;
  /** When the status was last set after the call, ISO-8601 UTC. */
  readonly completedAt?: string;
  /** The model's region while the record is STOP_PENDING; removed once completed (a sparse index key). */
  readonly pendingRegion?: string;
  /** How a later run completed a record its own run could not. */
  readonly note?: string;
  /** The run that completed the record, when it was not the run that wrote it. */
  readonly reconciledBy?: string;
  /** Epoch seconds after which DynamoDB's TTL deletes the item. */
  readonly expiresAt: number;
  /**
   * The model's account, on records written in the organization mode (issue 11); absent on earlier records, whose
   * account is the one in `modelArn`.
   */
  readonly accountId?: string;
}

/** Builds the record written before a stop. */
export function buildStopRecord(
  decision: Decision,
  options: {
    readonly runId: string;
    readonly now: number;
    readonly dryRun: boolean;
    readonly ttlDays: number;
  },
): StopRecord {
  const { model, verdict } = decision;
  const { facts } = verdict;
  return {
    modelArn: model.modelArn,
    stoppedAt: new Date(options.now).toISOString(),
    dryRun: options.dryRun,
    projectName: model.projectName,
    versionName: model.versionName,
    region: model.region,
    reason: verdict.reason,
    idleMinutes: facts.idleMinutes,
    ...(facts.inferenceUnits !== undefined && { inferenceUnits: facts.inferenceUnits }),
    ...(model.minInferenceUnits !== undefined && { minInferenceUnits: model.minInferenceUnits }),
    ...(model.maxInferenceUnits !== undefined && { maxInferenceUnits: model.maxInferenceUnits }),
    ...(facts.estimatedHourlyCostUsd !== undefined && {
      estimatedHourlyCostUsd: facts.estimatedHourlyCostUsd,
    }),
    runId: options.runId,
    status: options.dryRun ? DRY_RUN_STATUS : STOP_PENDING,
    ...(!options.dryRun && { pendingRegion: model.region }),
    ...(options.dryRun && { completedAt: formatTime(options.now) }),
    expiresAt: Math.floor(options.now / 1000) + options.ttlDays * 86_400,
  };
}
