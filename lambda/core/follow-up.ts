/**
 * What the stopper does after a stop, as pure rules over a stop record and `now`: when the regret check is due, what
 * a late request means, when a restart rule fires, with which units a model starts again, and how long a stop is
 * followed at all.
 */

import { LATE_METRICS_MINUTES } from "../../common/settings.ts";
import { formatTime } from "./format.ts";
import { nextOccurrence, parseRestartRule, RESTART_SUFFIX, type RestartRule } from "./restart-rule.ts";
import { isStopRecord, type StopRecord } from "./stop-record.ts";
import type { TagSets } from "./tag-policy.ts";
import { tagValue } from "./tag-value.ts";
import { REQUEST_METRICS, type RequestRange, type RequestUsage } from "./types.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Days a stop is followed: long enough for a weekly rule (`mon 08:00 …`) to fire once after it. */
export const FOLLOW_UP_DAYS = 8;

/** Within this long after a stop, a model found running that the stopper did not start was started by hand. */
export const STARTED_BY_HAND_WITHIN_MS = DAY_MS;

/**
 * A RESTART_PENDING claim older than this belongs to a run that died: no function runs longer than Lambda's
 * 15-minute limit. A younger one may be a run still going, so it is left alone.
 */
export const CLAIM_STALE_MS = 15 * MINUTE_MS;

/** Statuses of a live stop that took effect: the ones the stopper may follow up and undo. */
export const STOPPED_STATUSES: ReadonlySet<string> = new Set(["STOPPING", "STOPPED"]);

/** Statuses of a model that is running, or will be: never started again. */
export const RUNNING_STATUSES: ReadonlySet<string> = new Set(["RUNNING", "STARTING"]);

/** When the stop took effect: when StopProjectVersion answered, or the decision's time on an older record. */
export const stopMoment = (record: Pick<StopRecord, "completedAt" | "stoppedAt">): number =>
  Date.parse(record.completedAt ?? record.stoppedAt);

/** When the stopper stops following a stop up. */
export const followUpEnds = (record: Pick<StopRecord, "completedAt" | "stoppedAt">): number =>
  stopMoment(record) + FOLLOW_UP_DAYS * DAY_MS;

/** Who is looking: the follow-up function waits `regretCheckMinutes`; the nightly run checks whatever is left. */
export type RegretCheckBy = "follow-up" | "nightly";

/** Whether the regret check of a followed stop is due. */
export function regretCheckDue(
  record: StopRecord,
  now: number,
  regretCheckMinutes: number,
  by: RegretCheckBy,
): boolean {
  // A warning is not a stop: there is nothing to undo.
  if (!isStopRecord(record)) return false;
  if (record.regretCheckedAt !== undefined || !STOPPED_STATUSES.has(record.status)) return false;
  if (by === "nightly") return true;
  return regretCheckMinutes > 0 && now >= stopMoment(record) + regretCheckMinutes * MINUTE_MS;
}

/** How late the stopper allows a request's datapoint to reach CloudWatch (common/settings.ts). */
export const LATE_METRICS_MS = LATE_METRICS_MINUTES * MINUTE_MS;

/**
 * The span whose requests the decision could not see: from its evidence horizon, or {@link LATE_METRICS_MS} before
 * the decision if that is earlier, to the stop. The horizon is where the in-service data ended, and the request
 * metrics arrive apart from it: a request made a minute before the horizon whose datapoint came after the last
 * look was seen by neither. Any request found in the span now is one they could not see (a request seen would have
 * kept the model), so it proves the stop wrong.
 */
export function regretSpan(record: StopRecord): { readonly from: number; readonly to: number } | undefined {
  if (record.evidenceUntil === undefined) return undefined;
  const from = Math.min(Date.parse(record.evidenceUntil), Date.parse(record.stoppedAt) - LATE_METRICS_MS);
  return { from, to: stopMoment(record) };
}

/** Spans read together, and the range of request metrics that covers them. */
export interface SpanBatch<T> {
  readonly spans: readonly T[];
  readonly range: RequestRange;
}

// One read covers the time from its earliest span's start to its latest span's end, in 1-minute periods: spans
// further apart than this go to reads of their own, so no call reads days of minutes for a handful of models.
const MAX_SPAN_RANGE_MS = 6 * HOUR_MS;

/**
 * Stops in batches whose spans (see {@link regretSpan}) lie within a few hours of each other, each with the
 * minute-aligned range that covers them all, in 1-minute periods: one request re-read per batch, not one per stop.
 * Each stop is then judged on its own span only (see {@link firstRequestBetween}).
 */
export function spanBatches<T extends { readonly from: number; readonly to: number }>(
  spans: readonly T[],
): SpanBatch<T>[] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let batchStart = 0;
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    if (batch.length > 0 && span.to - batchStart > MAX_SPAN_RANGE_MS) {
      batches.push(batch);
      batch = [];
    }
    if (batch.length === 0) batchStart = span.from;
    batch.push(span);
  }
  if (batch.length > 0) batches.push(batch);
  return batches.map((listed) => ({
    spans: listed,
    range: {
      start: Math.floor(Math.min(...listed.map((span) => span.from)) / MINUTE_MS) * MINUTE_MS,
      end: Math.ceil(Math.max(...listed.map((span) => span.to)) / MINUTE_MS) * MINUTE_MS + MINUTE_MS,
      periodSeconds: 60,
    },
  }));
}

/** The requests a regret check found in a stop's {@link regretSpan} (epoch ms). */
export interface LateRequests {
  /** The span read: the earlier of the decision's evidence horizon and 15 minutes before it, and the stop. */
  readonly from: number;
  readonly to: number;
  /** The start of the first period with a request of any kind in the span. */
  readonly firstAt: number;
  /** Every request in the span, of the four request metrics together. */
  readonly count: number;
}

/** The requests of any kind in periods starting inside [from, to): none, or the first one's time and how many in all. */
export function lateRequestsBetween(
  { requests }: RequestUsage,
  span: { readonly from: number; readonly to: number },
): LateRequests | undefined {
  let firstAt: number | undefined;
  let count = 0;
  for (const metric of REQUEST_METRICS) {
    for (const point of requests[metric]) {
      if (point.at < span.from || point.at >= span.to || !(point.value > 0)) continue;
      count += point.value;
      if (firstAt === undefined || point.at < firstAt) firstAt = point.at;
    }
  }
  return firstAt === undefined ? undefined : { from: span.from, to: span.to, firstAt, count };
}

/** The reason of a regretted stop's restart. */
export const regretReason = (requestAt: number): string =>
  `regretted: a request at ${formatTime(requestAt)} arrived before the stop`;

/** The reason of a restart by rule. */
export const ruleReason = (rule: string, source: string): string => `restart rule "${rule}" (${source})`;

/** The units to start a model with, and how they were chosen from its record. */
export interface StartUnits {
  readonly min: number;
  readonly max?: number;
  /** Set when the record lacked minInferenceUnits and a fallback was used. */
  readonly note?: string;
}

/**
 * MinInferenceUnits from the record, else the units in service when it was stopped, else 1; MaxInferenceUnits
 * from the record when it has one (when it is below the min, AWS refuses the start and says so).
 */
export function startUnits(
  record: Partial<Pick<StopRecord, "minInferenceUnits" | "maxInferenceUnits" | "inferenceUnits">>,
): StartUnits {
  const max = typeof record.maxInferenceUnits === "number" ? { max: record.maxInferenceUnits } : {};
  if (typeof record.minInferenceUnits === "number") return { min: record.minInferenceUnits, ...max };
  if (typeof record.inferenceUnits === "number") {
    return {
      min: record.inferenceUnits,
      ...max,
      note: `the record has no minInferenceUnits; using the ${record.inferenceUnits} inference units in service when it was stopped`,
    };
  }
  return { min: 1, ...max, note: "the record has no unit counts; starting with 1 inference unit" };
}

/** What a model's tags say about restarting it: nothing, a rule and where it is, or an invalid value. */
export type RestartTag =
  | undefined
  | { readonly rule: RestartRule; readonly source: string }
  | { readonly error: string; readonly source: string };

/** Reads `<optOutTagKey>:restart` from the tags; the model's own tag wins over its project's. */
export function restartTag(tags: TagSets, optOutTagKey: string): RestartTag {
  const key = `${optOutTagKey}${RESTART_SUFFIX}`;
  for (const where of ["model", "project"] as const) {
    const value = tagValue(tags[where], key);
    if (value === undefined) continue;
    const source = `tag ${key} on the ${where}`;
    const parsed = parseRestartRule(value);
    if ("error" in parsed) return { error: `${source}: ${parsed.error}`, source };
    return { rule: parsed.rule, source };
  }
  return undefined;
}

/**
 * When a rule starts a stopped model again: at its first time after the stop, or after the rule was first read if
 * it came later (a rule tagged days after a stop waits for its next time), less the lead (starting can take up to
 * 30 minutes, and the follow-up runs every 15), so the model is RUNNING by then.
 */
export function scheduledStart(
  rule: RestartRule,
  record: Pick<StopRecord, "completedAt" | "stoppedAt" | "restartRuleSince">,
  leadMinutes: number,
): { readonly runningBy: number; readonly startFrom: number } {
  const since = record.restartRuleSince === undefined ? Number.NaN : Date.parse(record.restartRuleSince);
  const from = Number.isNaN(since) ? stopMoment(record) : Math.max(stopMoment(record), since);
  const runningBy = nextOccurrence(rule, from);
  return { runningBy, startFrom: runningBy - leadMinutes * MINUTE_MS };
}

/** The digest's and the log's words for a model started by hand. */
export function startedByHandText(
  record: Pick<StopRecord, "completedAt" | "stoppedAt">,
  seenAt: number,
): string {
  const hours = Math.floor((seenAt - stopMoment(record)) / HOUR_MS);
  const after =
    hours < 1 ? "within an hour of the stop" : `${hours} hour${hours === 1 ? "" : "s"} after the stop`;
  return `started again by hand ${after} (seen running at ${formatTime(seenAt)})`;
}
