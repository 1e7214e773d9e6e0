/** The log record of one stop (or would-stop in a dry run), as stored in the DynamoDB table. */

import type { Decision } from "./decide.ts";
import { formatTime } from "./format.ts";

/** Status written before StopProjectVersion is called; if it stays, the run ended before the call answered. */
export const STOP_PENDING = "STOP_PENDING";

/** Status of a would-stop record in a dry run. */
export const DRY_RUN_STATUS = "DRY_RUN";

// ---- Follow-ups (issue 12): what happens to a stop afterwards.

/** Status while a function has claimed the record to start the model again: written before StartProjectVersion. */
export const RESTART_PENDING = "RESTART_PENDING";

/** Status of a stop the stopper undid: it started the model again (a regretted stop, or a restart rule). */
export const RESTARTED = "RESTARTED";

/** Status of a stop someone undid by starting the model again within a day of it. */
export const STARTED_BY_HAND = "STARTED_BY_HAND";

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

  // ---- Follow-ups (issue 12). All optional: records written before them still read.
  /** `stop` (absent on older records, which are stops) or `warning`. */
  readonly kind?: "stop" | "warning";
  /** ISO end of the newest InServiceInferenceUnits datapoint the decision saw: requests after it were not seen. */
  readonly evidenceUntil?: string;
  /** The model's project, so its tags can be read again once the model is no longer listed as running. */
  readonly projectArn?: string;
  /** The model's region while the stopper still follows the stop up (the key of the sparse FollowUps index). */
  readonly followUpRegion?: string;
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
  /** The run holding the RESTART_PENDING claim (a run id), kept once the claim is done. */
  readonly restartClaimedBy?: string;
  /** When the claim was made; a claim older than the longest function timeout is taken over. */
  readonly restartClaimedAt?: string;
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
    // Follow-ups (issue 12).
    kind: "stop",
    projectArn: model.projectArn,
    ...(facts.evidenceUntil !== undefined && { evidenceUntil: facts.evidenceUntil }),
    ...(decision.restart && {
      restartRule: decision.restart.rule,
      restartRuleSource: decision.restart.source,
    }),
  };
}
