/**
 * The decision core: stop this model or keep it, and why. Pure functions over plain data, given `now`.
 * No AWS SDK, no clock, no I/O.
 */

import { formatDuration, formatHourlyCost, formatTime } from "./format.ts";
import { tagPolicy } from "./tag-policy.ts";
import {
  type Datapoint,
  REQUEST_METRICS,
  type RequestMetric,
  type RunningModel,
  type TagEvidence,
  type UsageEvidence,
  type UsageWindow,
  type Verdict,
  type VerdictFacts,
} from "./types.ts";

const MINUTE_MS = 60_000;

/** Everything the core needs to judge one model. */
export interface DecisionInput {
  readonly model: RunningModel;
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
  const start = Math.floor((now - idleMinutes * MINUTE_MS) / periodMs) * periodMs;
  return { start, end: now, periodSeconds, queryStart: start - periodMs };
}

/**
 * A missing InServiceInferenceUnits stretch shorter than this is treated as a hiccup in the metric, not as the
 * model having stopped: a stop and restart takes far longer (starting alone can take up to 30 minutes).
 */
export function gapToleranceMs(window: UsageWindow): number {
  return Math.max(2 * window.periodSeconds * 1000, 5 * MINUTE_MS);
}

/** If the newest InServiceInferenceUnits datapoint is older than this, the model's recent state is unknown. */
export function staleToleranceMs(window: UsageWindow): number {
  return Math.max(3 * window.periodSeconds * 1000, 15 * MINUTE_MS);
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

/** Decides whether one running model may be stopped. */
export function decide(input: DecisionInput): Verdict {
  const { model, tags, usage, now } = input;
  const inService = "error" in usage ? [] : usage.inService.filter((point) => point.at <= now);
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
  const keep = (reason: string): Verdict => ({ action: "keep", reason, facts });

  if ("error" in tags) return keep(`kept to be safe: could not read tags (${tags.error})`);
  const policy = tagPolicy(tags, {
    optOutTagKey: input.optOutTagKey,
    requireOptIn: input.requireOptIn ?? false,
    defaultIdleMinutes: input.idleMinutes,
    now,
  });
  if (policy.keep) return keep(policy.reason);
  const { idleMinutes } = policy;
  facts = { ...facts, idleMinutes };
  const window = usageWindow(now, idleMinutes);
  const idleText = formatDuration(idleMinutes * MINUTE_MS);
  const thresholdNote = policy.idleMinutesSource ? ` (threshold from ${policy.idleMinutesSource})` : "";

  if ("error" in usage) return keep(`kept to be safe: could not read metrics (${usage.error})`);

  // Buckets are aligned with the window, so a bucket starting at or after window.start lies inside it.
  let requestsInWindow = 0;
  let lastRequestAt: number | undefined;
  const parts: string[] = [];
  for (const metric of REQUEST_METRICS) {
    let sum = 0;
    for (const point of usage.requests[metric]) {
      if (point.at < window.start || point.at > now || !(point.value > 0)) continue;
      sum += point.value;
      lastRequestAt = Math.max(lastRequestAt ?? point.at, point.at);
    }
    if (sum > 0) parts.push(`${sum} ${METRIC_LABELS[metric]}`);
    requestsInWindow += sum;
  }
  facts = { ...facts, requestsInWindow };
  if (lastRequestAt !== undefined) {
    facts = { ...facts, lastRequestAt: formatTime(lastRequestAt) };
    return keep(
      `in use: ${requestsInWindow} requests in the last ${idleText} (${parts.join(", ")}); ` +
        `last request at ${formatTime(lastRequestAt)}`,
    );
  }

  const since = startOfLatestRun(inService, gapToleranceMs(window));
  const latest = inService.at(-1);
  if (since === undefined || latest === undefined) {
    return keep(
      `insufficient evidence: no InServiceInferenceUnits data in the last ${idleText}, ` +
        "so how long the model has been running cannot be told",
    );
  }
  facts = { ...facts, inServiceSince: formatTime(since) };

  const latestEnd = latest.at + window.periodSeconds * 1000;
  if (now - latestEnd > staleToleranceMs(window)) {
    return keep(
      `insufficient evidence: InServiceInferenceUnits data stops at ${formatTime(latestEnd)} ` +
        `(${formatDuration(now - latestEnd)} ago), so the model's recent state is unknown`,
    );
  }

  if (since > window.start) {
    return keep(
      `started recently: in service since ${formatTime(since)} (${formatDuration(now - since)} ago), ` +
        `less than the ${idleText} idle window${thresholdNote}; no requests since`,
    );
  }

  const units = facts.inferenceUnits;
  const unitsText =
    units === undefined
      ? ""
      : ` at ${units} inference unit${units === 1 ? "" : "s"} (${formatHourlyCost(facts.estimatedHourlyCostUsd ?? 0)})`;
  return {
    action: "stop",
    reason: `idle: no requests in the last ${idleText}${thresholdNote}; in service for the whole window${unitsText}`,
    // Requests after the newest in-service datapoint may not have reached CloudWatch yet: the regret check
    // reads them again later, from here to the stop.
    facts: { ...facts, evidenceUntil: formatTime(latestEnd) },
  };
}

/** A model and the core's verdict on it. */
export interface Decision {
  readonly model: RunningModel;
  readonly verdict: Verdict;
  /** The restart rule its tags carry (`<optOutTagKey>:restart`), when valid: recorded with a stop. */
  readonly restart?: { readonly rule: string; readonly source: string };
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
      model: decision.model,
      verdict: {
        action: "keep",
        reason:
          `${decision.verdict.reason}; but kept: this run reached its cap of ${maxStops} stops ` +
          "(MAX_STOPS_PER_RUN), it will be considered again next run",
        facts: decision.verdict.facts,
      },
    };
  });
}
