/**
 * The log record of one stop (or would-stop in a dry run), or of one warning before a stop, as stored in the
 * DynamoDB table.
 */

import type { Decision } from "./decide.ts";
import { formatTime } from "./format.ts";
import type { LastLook } from "./types.ts";

/** Status written before StopProjectVersion is called; if it stays, the run ended before the call answered. */
export const STOP_PENDING = "STOP_PENDING";

/** Status of a would-stop record in a dry run. */
export const DRY_RUN_STATUS = "DRY_RUN";

/** A warning: written when a model would be stopped, before any run may stop it. */
export const WARNED = "WARNED";
/** A warning whose model a later run stopped. */
export const STOPPED_AFTER_WARNING = "STOPPED_AFTER_WARNING";
/** A warning whose model was used, opted out or snoozed since; the note says which. */
export const CLEARED = "CLEARED";
/** A warning the stopper is done with without a stop: the model stopped running, or warnings were turned off. */
export const EXPIRED = "EXPIRED";

/** What a record is about; records written before warnings existed have no kind and are stops. */
export type RecordKind = "stop" | "warning";

/** Whether a record is a stop (or a dry run's would-stop), not a warning. */
export const isStopRecord = (record: { readonly kind?: string }): boolean =>
  record.kind === undefined || record.kind === "stop";

/** Whether a record is a warning that still holds: the model may be stopped once it is due. */
export const isOpenWarning = (record: { readonly kind?: string; readonly status?: string }): boolean =>
  record.kind === "warning" && record.status === WARNED;

/** One item of the log table. Partition key `modelArn`, sort key `stoppedAt`. */
export interface StopRecord {
  readonly modelArn: string;
  /**
   * The record's time, ISO-8601 UTC with milliseconds: the decision time of a stop, the time of a warning. (The key's
   * name predates warnings; the table's key schema cannot change.)
   */
  readonly stoppedAt: string;
  /** `stop` or `warning`; absent on records written before warnings existed, which are stops. */
  readonly kind?: RecordKind;
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
  /** ISO end of the newest InServiceInferenceUnits datapoint the decision saw (its evidence horizon). */
  readonly evidenceUntil?: string;
  /** What the re-read of the request metrics just before the stop found (stops only). */
  readonly lastLook?: LastLook;
  /**
   * The model's region while the stopper still has something to do with the record (an open warning, a stop to
   * follow up); removed when it is done. The key of the sparse `FollowUps` index.
   */
  readonly followUpRegion?: string;
  /** Warnings: the earliest time (ISO-8601 UTC) a run may stop the model. */
  readonly stopNotBefore?: string;
  /**
   * The model's account, on records written in the organization mode (issue 11); absent on earlier records, whose
   * account is the one in `modelArn`.
   */
  readonly accountId?: string;
}

/** What every record of a model's decision holds, whatever it is about. */
type RecordOptions = {
  readonly runId: string;
  readonly now: number;
  readonly dryRun: boolean;
  readonly ttlDays: number;
};

function decisionFields(decision: Decision, options: RecordOptions) {
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
    expiresAt: Math.floor(options.now / 1000) + options.ttlDays * 86_400,
    ...(facts.evidenceUntil !== undefined && { evidenceUntil: facts.evidenceUntil }),
  };
}

/** Builds the record written before a stop. */
export function buildStopRecord(decision: Decision, options: RecordOptions): StopRecord {
  const { lastLook } = decision.verdict.facts;
  return {
    ...decisionFields(decision, options),
    kind: "stop",
    status: options.dryRun ? DRY_RUN_STATUS : STOP_PENDING,
    ...(!options.dryRun && { pendingRegion: decision.model.region }),
    ...(options.dryRun && { completedAt: formatTime(options.now) }),
    ...(lastLook !== undefined && { lastLook }),
  };
}

/** Builds the record of a warning: status WARNED, in the `FollowUps` index until a later run is done with it. */
export function buildWarningRecord(
  decision: Decision,
  options: RecordOptions & {
    /** Epoch ms: the earliest time a run may stop the model. */
    readonly stopNotBefore: number;
  },
): StopRecord {
  return {
    ...decisionFields(decision, options),
    kind: "warning",
    status: WARNED,
    followUpRegion: decision.model.region,
    stopNotBefore: formatTime(options.stopNotBefore),
  };
}
