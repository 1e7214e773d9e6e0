/**
 * The decision core: stop this model or keep it, and why. Pure functions over plain data, given `now`.
 * No AWS SDK, no clock, no I/O.
 */

import { LATE_METRICS_MINUTES } from "../../common/settings.ts";
import { formatDuration, formatHourlyCost, formatTime, plural } from "./format.ts";
import { nearMissTags } from "./near-miss-tags.ts";
import { tagKeysRead, tagPolicy } from "./tag-policy.ts";
import {
  type Datapoint,
  type ModelUsage,
  type NotifyTarget,
  REQUEST_METRICS,
  type RequestMetric,
  type RunningModel,
  type TagEvidence,
  type UsageEvidence,
  type UsageWindow,
  type Verdict,
  type VerdictCause,
  type VerdictFacts,
} from "./types.ts";

const MINUTE_MS = 60_000;

/** Everything the core needs to judge one model. */
export interface DecisionInput {
  /** The model; only its MinInferenceUnits is read (the cost of a model without in-service data). */
  readonly model: Pick<RunningModel, "minInferenceUnits">;
  readonly tags: TagEvidence;
  readonly usage: UsageEvidence;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  /** Minutes without requests, in service all along, before the model may be stopped, unless a tag says otherwise. */
  readonly idleMinutes: number;
  readonly optOutTagKey: string;
  /** Only models or projects tagged `<optOutTagKey>=true` are candidates. @default false */
  readonly requireOptIn?: boolean;
  readonly pricePerInferenceUnitHour: number;
}

/**
 * The window to judge and how to ask CloudWatch for it. One-minute periods up to a day, five-minute periods
 * beyond (up to the 7-day maximum, still inside CloudWatch's 15-day retention of 1-minute data).
 */
export function usageWindow(now: number, idleMinutes: number): UsageWindow {
  const periodSeconds = idleMinutes <= 1440 ? 60 : 300;
  const periodMs = periodSeconds * 1000;
  // Aligning down makes the window up to one period longer than asked, never shorter: that errs on "keep".
  const start = alignDown(now - idleMinutes * MINUTE_MS, periodMs);
  // The window `decide` judges ends at the newest in-service data, which may be as old as the stale tolerance; and a
  // hiccup may hide a datapoint just before it: read that far back, so that such a gap does not make a model that
  // ran for hours look started in the window.
  const earliestStart = alignDown(start - staleForPeriod(periodMs), periodMs);
  return { start, end: now, periodSeconds, queryStart: earliestStart - toleranceForPeriod(periodMs) };
}

/**
 * The start of the idle window `decide` judges: `idleMinutes` back from the evidence horizon (the end of the newest
 * in-service datapoint, never past now), aligned down to the period, so that the whole window is data CloudWatch
 * has delivered; without a horizon, back from now. CloudWatch delivers metrics minutes late, so a window ending at
 * now would count its last minutes as idle on no data at all.
 */
export function idleWindowStart(
  window: UsageWindow,
  idleMinutes: number,
  horizon: number | undefined,
): number {
  if (horizon === undefined) return window.start;
  const start = Math.min(
    window.start,
    alignDown(horizon - idleMinutes * MINUTE_MS, window.periodSeconds * 1000),
  );
  // Never before what was read: only a horizon older than the stale tolerance reaches that far, and such a model is
  // kept (its state unknown) whatever its window says.
  return Math.max(start, window.queryStart);
}

/**
 * The start of the window a verdict judged, from its facts (its threshold and evidence horizon), for code that
 * acts on a verdict later: {@link idleWindowStart} for the same `now`.
 */
export function judgedWindowStart(
  facts: Pick<VerdictFacts, "idleMinutes" | "evidenceUntil">,
  now: number,
): number {
  const horizon = facts.evidenceUntil === undefined ? undefined : Date.parse(facts.evidenceUntil);
  return idleWindowStart(usageWindow(now, facts.idleMinutes), facts.idleMinutes, horizon);
}

const alignDown = (at: number, periodMs: number) => Math.floor(at / periodMs) * periodMs;

/**
 * A missing InServiceInferenceUnits stretch shorter than this is treated as a hiccup in the metric, not as the
 * model having stopped: a stop and restart takes far longer (starting alone can take up to 30 minutes).
 */
export function gapToleranceMs(window: UsageWindow): number {
  return toleranceForPeriod(window.periodSeconds * 1000);
}

const toleranceForPeriod = (periodMs: number) => Math.max(2 * periodMs, 5 * MINUTE_MS);

/** If the newest InServiceInferenceUnits datapoint is older than this, the model's recent state is unknown. */
export function staleToleranceMs(window: UsageWindow): number {
  return staleForPeriod(window.periodSeconds * 1000);
}

const staleForPeriod = (periodMs: number) => Math.max(3 * periodMs, LATE_METRICS_MINUTES * MINUTE_MS);

/**
 * The InServiceInferenceUnits datapoints that show the model in service up to `now`: a period with no unit in
 * service (0, or a value that is not a number) is no evidence of it, whatever its timestamp.
 */
export function inServicePoints(usage: Pick<ModelUsage, "inService">, now: number): Datapoint[] {
  return usage.inService.filter((point) => point.at <= now && point.value > 0);
}

/** The start of the newest unbroken run of datapoints (points must be sorted by time). */
function startOfLatestRun(points: readonly Datapoint[], toleranceMs: number): number | undefined {
  let index = points.length - 1;
  if (index < 0) return undefined;
  while (index > 0) {
    const current = points[index] as Datapoint;
    const previous = points[index - 1] as Datapoint;
    if (current.at - previous.at > toleranceMs) break;
    index -= 1;
  }
  return (points[index] as Datapoint).at;
}

const METRIC_LABELS: Record<RequestMetric, string> = {
  SuccessfulRequestCount: "successful",
  UserErrorCount: "user error",
  ServerErrorCount: "server error",
  ThrottledCount: "throttled",
};

/** The requests of every kind in a span, added up. */
export interface RequestCount {
  readonly total: number;
  /** Epoch ms of the newest period with a request, when there is one. */
  readonly lastAt?: number;
  /** Each kind seen, e.g. `10 successful, 2 throttled`. */
  readonly breakdown: string;
}

/**
 * Adds up the request datapoints whose period starts in [from, to]. A datapoint of zero is no request, whatever its
 * metric: a request of any kind, even a throttled or failed one, means someone is using the model.
 */
export function countRequests(
  requests: Readonly<Record<RequestMetric, readonly Datapoint[]>>,
  from: number,
  to: number,
): RequestCount {
  let total = 0;
  let lastAt: number | undefined;
  const parts: string[] = [];
  for (const metric of REQUEST_METRICS) {
    let sum = 0;
    for (const point of requests[metric]) {
      if (point.at < from || point.at > to || !(point.value > 0)) continue;
      sum += point.value;
      lastAt = Math.max(lastAt ?? point.at, point.at);
    }
    if (sum > 0) parts.push(`${sum} ${METRIC_LABELS[metric]}`);
    total += sum;
  }
  return { total, breakdown: parts.join(", "), ...(lastAt !== undefined && { lastAt }) };
}

/** `1 request` or `12 requests`. */
export const requestsText = (count: number) => `${count} request${count === 1 ? "" : "s"}`;

/** Decides whether one running model may be stopped. */
export function decide(input: DecisionInput): Verdict {
  const { model, tags, usage, now } = input;
  const inService = "error" in usage ? [] : inServicePoints(usage, now);
  // The cost of keeping the model is worth knowing whatever the verdict, so it is worked out first.
  const inferenceUnits = inService.at(-1)?.value ?? model.minInferenceUnits;
  let facts: VerdictFacts =
    inferenceUnits === undefined
      ? { idleMinutes: input.idleMinutes }
      : {
          idleMinutes: input.idleMinutes,
          inferenceUnits,
          estimatedHourlyCostUsd: Math.round(inferenceUnits * input.pricePerInferenceUnitHour * 100) / 100,
        };
  const keep = (reason: string, cause: VerdictCause): Verdict => ({ action: "keep", reason, facts, cause });

  if ("error" in tags) return keep(`kept to be safe: could not read tags (${tags.error})`, "unsure");
  // A tag that looks like an opt-out but is not one changes nothing here; it is only pointed out to its owner.
  const nearMisses = nearMissTags(tags, tagKeysRead(input.optOutTagKey));
  if (nearMisses.length > 0) facts = { ...facts, nearMissTags: nearMisses.map((miss) => miss.note) };
  const policy = tagPolicy(tags, {
    optOutTagKey: input.optOutTagKey,
    requireOptIn: input.requireOptIn ?? false,
    defaultIdleMinutes: input.idleMinutes,
    now,
  });
  if (policy.keep) return keep(policy.reason, policy.cause);
  const { idleMinutes } = policy;
  facts = { ...facts, idleMinutes };
  const window = usageWindow(now, idleMinutes);
  const idleText = formatDuration(idleMinutes * MINUTE_MS);
  const thresholdNote = policy.idleMinutesSource ? ` (threshold from ${policy.idleMinutesSource})` : "";

  if ("error" in usage) return keep(`kept to be safe: could not read metrics (${usage.error})`, "unsure");

  // The evidence reaches the end of the newest in-service period, never past now: a request after it may not be
  // in CloudWatch yet (its metrics arrive minutes late).
  const latest = inService.at(-1);
  const horizon = latest === undefined ? undefined : Math.min(latest.at + window.periodSeconds * 1000, now);
  if (horizon !== undefined) facts = { ...facts, evidenceUntil: formatTime(horizon) };

  // The window ends at the horizon; a request seen after it (delivered since) counts all the same.
  const start = idleWindowStart(window, idleMinutes, horizon);
  // Buckets are aligned with the window, so a bucket starting at or after its start lies inside it.
  const seen = countRequests(usage.requests, start, now);
  facts = { ...facts, requestsInWindow: seen.total };
  if (seen.lastAt !== undefined) {
    facts = { ...facts, lastRequestAt: formatTime(seen.lastAt) };
    // The window ends at the evidence horizon, and starts earlier than now's when that lags: then say since when.
    const span = start < window.start ? `since ${formatTime(start)}` : `in the last ${idleText}`;
    return keep(
      `in use: ${plural(seen.total, "request")} ${span} (${seen.breakdown}); last request at ${formatTime(seen.lastAt)}`,
      "in-use",
    );
  }

  const since = startOfLatestRun(inService, gapToleranceMs(window));
  if (since === undefined || latest === undefined || horizon === undefined) {
    return keep(
      `insufficient evidence: no InServiceInferenceUnits data in the last ${idleText}, ` +
        "so how long the model has been running cannot be told",
      "unsure",
    );
  }
  facts = { ...facts, inServiceSince: formatTime(since) };

  const latestEnd = latest.at + window.periodSeconds * 1000;
  if (now - latestEnd > staleToleranceMs(window)) {
    return keep(
      `insufficient evidence: InServiceInferenceUnits data stops at ${formatTime(latestEnd)} ` +
        `(${formatDuration(now - latestEnd)} ago), so the model's recent state is unknown`,
      "unsure",
    );
  }

  // A datapoint covers its whole period, but the model may have come into service at any moment of it: only data
  // from before the window's first period proves it in service for all of the window.
  if (since >= start) {
    return keep(
      `started recently: in service since ${formatTime(since)} (${formatDuration(now - since)} ago), ` +
        `less than the ${idleText} idle window${thresholdNote}; no requests since`,
      "started-recently",
    );
  }

  const units = facts.inferenceUnits;
  const unitsText =
    units === undefined
      ? ""
      : ` at ${units} inference unit${units === 1 ? "" : "s"} (${formatHourlyCost(facts.estimatedHourlyCostUsd ?? 0)})`;
  const windowText = policy.idleMinutesSource
    ? `${idleText} idle window, threshold from ${policy.idleMinutesSource}`
    : `${idleText} idle window`;
  return {
    action: "stop",
    reason:
      `idle: no requests from ${formatTime(start)} to ${formatTime(horizon)}, the newest metrics ` +
      `(${windowText}); in service for the whole window${unitsText}`,
    facts,
    cause: "idle",
  };
}

/** A model and the core's verdict on it. */
export interface Decision {
  readonly model: RunningModel;
  readonly verdict: Verdict;
  /** The restart rule its tags carry (`<optOutTagKey>:restart`), when valid: recorded with a stop. */
  readonly restart?: { readonly rule: string; readonly source: string };
  /** Where the model's owner wants its warnings, when its tags name a topic (see `notifyTargetOf`). */
  readonly notify?: NotifyTarget;
}

/**
 * Keeps at most `maxStops` stop verdicts: the most expensive models first, then by ARN so the choice is stable.
 * The others become keeps whose reason says the cap was reached.
 */
export function applyStopCap(decisions: readonly Decision[], maxStops: number): Decision[] {
  const stops = decisions
    .filter((decision) => decision.verdict.action === "stop")
    .sort(
      (a, b) =>
        (b.verdict.facts.estimatedHourlyCostUsd ?? 0) - (a.verdict.facts.estimatedHourlyCostUsd ?? 0) ||
        a.model.modelArn.localeCompare(b.model.modelArn),
    );
  const allowed = new Set(stops.slice(0, maxStops));
  return decisions.map((decision) => {
    if (decision.verdict.action !== "stop" || allowed.has(decision)) return decision;
    return {
      ...decision,
      verdict: {
        action: "keep",
        reason:
          `${decision.verdict.reason}; but kept: this run reached its cap of ${plural(maxStops, "stop")} ` +
          "(MAX_STOPS_PER_RUN), it will be considered again next run",
        facts: decision.verdict.facts,
        cause: "held",
      },
    };
  });
}
