/**
 * The log record of one stop (or would-stop in a dry run), or of one warning before a stop, as stored in the
 * DynamoDB table.
 */

import type { Decision } from "./decide.ts";
import { formatTime } from "./format.ts";
import type { LastLook } from "./types.ts";

/** Status written before StopProjectVersion is called; if it stays, the run ended before the call answered. */
export const STOP_PENDING = "STOP_PENDING";

/**
 * Status of an earlier run's STOP_PENDING record for a model a later run found RUNNING and idle: the later run
 * decided again and stops it under a record of its own, with its own evidence, so the follow-ups go by that one.
 */
export const SUPERSEDED = "SUPERSEDED";

/** Status of a would-stop record in a dry run. */
export const DRY_RUN_STATUS = "DRY_RUN";

// ---- Follow-ups (issue 12): what happens to a stop afterwards.

/** Status while a function has claimed the record to start the model again: written before StartProjectVersion. */
export const RESTART_PENDING = "RESTART_PENDING";

/** Status of a stop the stopper undid: it started the model again (a regretted stop, or a restart rule). */
export const RESTARTED = "RESTARTED";

/** Status of a stop someone undid by starting the model again within a day of it. */
export const STARTED_BY_HAND = "STARTED_BY_HAND";
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

  // ---- Follow-ups of a stop (issue 12). All optional: records written before them still read.
  /** The model's project, so its tags can be read again once the model is no longer listed as running. */
  readonly projectArn?: string;
  /** When the stopper started the model again (StartProjectVersion answered), ISO-8601 UTC. */
  readonly restartedAt?: string;
  /** What made the stopper start it again. */
  readonly restartedBy?: "regret" | "schedule";
  /** Why, in a sentence: the late request, or the rule and where its tag is. */
  readonly restartReason?: string;
  /** What the model costs an hour once started again with its recorded units. */
  readonly restartHourlyCostUsd?: number;
  /** When the stopper first saw the model running again without having started it (within a day of the stop). */
  readonly startedByHandAt?: string;
  /** When the request metrics between the evidence horizon and the stop were read again. */
  readonly regretCheckedAt?: string;
  /** The restart rule (`<optOutTagKey>:restart`) as last read from the tags. */
  readonly restartRule?: string;
  /** Where that tag is: `tag auto-stop:restart on the model` (or `on the project`). */
  readonly restartRuleSource?: string;
  /**
   * When the stopper first read that rule, if it was added or changed after the stop: its times count from then,
   * so a rule tagged days after a stop starts the model at its next time, not at once. Absent: from the stop.
   */
  readonly restartRuleSince?: string;
  /** The run holding the RESTART_PENDING claim (a run id), kept once the claim is done. */
  readonly restartClaimedBy?: string;
  /** When the claim was made; a claim older than the longest function timeout is taken over. */
  readonly restartClaimedAt?: string;
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
    projectArn: decision.model.projectArn,
    ...(decision.restart && {
      restartRule: decision.restart.rule,
      restartRuleSource: decision.restart.source,
    }),
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
