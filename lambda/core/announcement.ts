/**
 * What the stopper tells the account about what it did to a model, the pure part: the EventBridge event of each
 * stop, warning and restart (the regret check's undo, or a restart rule's), and the value of the tag
 * `<optOutTagKey>:last-action` that says on the model itself what the stopper last did and when. A model started
 * again by hand gets neither: that is not the stopper's action (CloudTrail has the start, and who made it).
 */

import { LAST_ACTION_SUFFIX } from "../../common/settings.ts";
import type { LateRequests } from "./follow-up.ts";
import { formatTime } from "./format.ts";
import type { RunningModel } from "./types.ts";

/** What was done to a model: the verb of its event and of its last-action tag. */
export type AnnouncedAction = "stopped" | "warned" | "restarted";

/** The `source` of every event the stopper puts: what an EventBridge rule matches on. */
export const EVENT_SOURCE = "idle-model-stopper";

/** The `detail-type` of each action's event. */
export const DETAIL_TYPES: Readonly<Record<AnnouncedAction, string>> = {
  stopped: "Idle Model Stopped",
  warned: "Idle Model Warned",
  restarted: "Idle Model Restarted",
};

export { LAST_ACTION_SUFFIX };

/** The version of the event's `detail`: a consumer can tell a later, changed shape from this one. */
export const DETAIL_VERSION = "1";

/** One thing the stopper did to one model, as the events and the tag tell it. */
export interface Announcement {
  readonly action: AnnouncedAction;
  readonly model: Pick<RunningModel, "region" | "projectName" | "versionName" | "modelArn">;
  /** When it was done (epoch ms): the stop call's answer, the warning's record. */
  readonly at: number;
  /** The sentence the run logged for the model. */
  readonly reason: string;
  readonly inferenceUnits?: number;
  /** Inference units × the configured price per inference-unit hour. */
  readonly estimatedHourlyCostUsd?: number;
  /** ISO end of the newest in-service datapoint the decision saw (its evidence horizon). */
  readonly evidenceUntil?: string;
  /** The key of the model's log record: the table's partition key is the model ARN, its sort key `stoppedAt`. */
  readonly logRecord?: { readonly modelArn: string; readonly stoppedAt: string };
  /** Warnings: the earliest time (epoch ms) a run may stop the model. */
  readonly stopNotBefore?: number;
  /** Restarts: why the stopper started the model again. */
  readonly restart?: RestartWhy;
}

/** Why the stopper started a model again: a regret check's late requests, or a restart rule. */
export type RestartWhy =
  | { readonly by: "regret-check"; readonly lateRequests?: LateRequests }
  | { readonly by: "restart-rule"; readonly rule?: string; readonly ruleSource?: string };

/** A restart's `why` in an event's detail: times as ISO-8601 UTC. */
export type RestartDetail =
  | {
      readonly by: "regret-check";
      /** The requests that arrived between the decision's evidence horizon (`from`) and the stop (`to`). */
      readonly lateRequests?: {
        readonly from: string;
        readonly to: string;
        readonly firstAt: string;
        readonly count: number;
      };
    }
  | { readonly by: "restart-rule"; readonly rule?: string; readonly ruleSource?: string };

/** The `detail` of an event: plain JSON, every field named as in the log record. */
export interface AnnouncementDetail {
  readonly version: string;
  readonly action: AnnouncedAction;
  readonly modelArn: string;
  /** The model's account: in the organization mode a member account's events come to the hub's bus. */
  readonly accountId: string;
  readonly projectName: string;
  readonly versionName: string;
  readonly region: string;
  readonly runId: string;
  /** ISO-8601 UTC time of the action. */
  readonly at: string;
  readonly reason: string;
  readonly inferenceUnits?: number;
  readonly estimatedHourlyCostUsd?: number;
  readonly evidenceUntil?: string;
  /** Where the action is recorded: the log table and the item's key. */
  readonly logRecord?: { readonly tableName: string; readonly modelArn: string; readonly stoppedAt: string };
  readonly stopNotBefore?: string;
  readonly restart?: RestartDetail;
}

/** One PutEvents entry, in plain data (the adapter turns it into the SDK's shape). */
export interface EventEntry {
  readonly source: string;
  readonly detailType: string;
  /** The model ARN: a rule can match it in `resources`. */
  readonly resources: readonly string[];
  /** The detail, as the JSON text PutEvents takes. */
  readonly detail: string;
  /** The time of the action, epoch ms to the second: the event's `time`. */
  readonly time: number;
}

/** The event of one action. */
export function eventEntryOf(
  announcement: Announcement,
  context: { readonly runId: string; readonly logTableName: string },
): EventEntry {
  const { model } = announcement;
  const detail: AnnouncementDetail = {
    version: DETAIL_VERSION,
    action: announcement.action,
    modelArn: model.modelArn,
    // arn:<partition>:rekognition:<region>:<account>:project/…
    accountId: model.modelArn.split(":")[4] ?? "",
    projectName: model.projectName,
    versionName: model.versionName,
    region: model.region,
    runId: context.runId,
    at: formatTime(announcement.at),
    reason: announcement.reason,
    ...(announcement.inferenceUnits !== undefined && { inferenceUnits: announcement.inferenceUnits }),
    ...(announcement.estimatedHourlyCostUsd !== undefined && {
      estimatedHourlyCostUsd: announcement.estimatedHourlyCostUsd,
    }),
    ...(announcement.evidenceUntil !== undefined && { evidenceUntil: announcement.evidenceUntil }),
    ...(announcement.logRecord !== undefined && {
      logRecord: { tableName: context.logTableName, ...announcement.logRecord },
    }),
    ...(announcement.stopNotBefore !== undefined && {
      stopNotBefore: formatTime(announcement.stopNotBefore),
    }),
    ...(announcement.restart !== undefined && { restart: restartDetail(announcement.restart) }),
  };
  return {
    source: EVENT_SOURCE,
    detailType: DETAIL_TYPES[announcement.action],
    resources: [model.modelArn],
    detail: JSON.stringify(detail),
    // To the second, as EventBridge writes an event's time, so that it reads the same as the detail's and the tag's.
    time: Math.floor(announcement.at / 1000) * 1000,
  };
}

function restartDetail(why: RestartWhy): RestartDetail {
  if (why.by === "restart-rule") return why;
  const late = why.lateRequests;
  return {
    by: why.by,
    ...(late !== undefined && {
      lateRequests: {
        from: formatTime(late.from),
        to: formatTime(late.to),
        firstAt: formatTime(late.firstAt),
        count: late.count,
      },
    }),
  };
}

/** The key of the last-action tag for an opt-out key, e.g. `auto-stop:last-action`. */
export const lastActionTagKey = (optOutTagKey: string): string => `${optOutTagKey}${LAST_ACTION_SUFFIX}`;

/**
 * The value of the last-action tag, e.g. `stopped 2026-11-28T02:00:05Z`: a verb and an ISO-8601 UTC time, both
 * within the characters AWS allows in a tag value (letters, digits, spaces and `_ . : / = + - @`).
 */
export const lastActionTagValue = (action: AnnouncedAction, at: number): string =>
  `${action} ${formatTime(at)}`;
