/**
 * The screen of metrics-first discovery: what a model's metrics alone say, before anything about it is described.
 * Only a model they call idle can be stopped, so only those go on to be described and have their tags read; the
 * others are judged by name. The idle rule itself is `decide`'s, applied with no tags and the default threshold.
 */

import { decide, inServicePoints, staleToleranceMs, usageWindow } from "./decide.ts";
import { formatDuration, formatTime } from "./format.ts";
import type { UsageEvidence, Verdict } from "./types.ts";

/** What the screen found. */
export type Screened =
  /** Idle by its metrics: the verdict `decide` gives it without tags (a stop), to be confirmed with them. */
  | { readonly kind: "idle"; readonly verdict: Verdict }
  /** Kept whatever its tags say (in use, started recently, metrics unreadable), with the reason. */
  | { readonly kind: "keep"; readonly verdict: Verdict }
  /** Its InServiceInferenceUnits data has stopped: the model is no longer running, so it is not judged at all. */
  | { readonly kind: "not-in-service"; readonly reason: string };

/** What the screen needs to know about one model. */
export interface ScreenInput {
  readonly usage: UsageEvidence;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  /** The configured threshold (a tag may change it once the model's tags are read). */
  readonly idleMinutes: number;
  readonly pricePerInferenceUnitHour: number;
}

/** Screens one model by its metrics, read over the window of `idleMinutes`. */
export function screen(input: ScreenInput): Screened {
  const { usage, now, idleMinutes } = input;
  if (!("error" in usage)) {
    const window = usageWindow(now, idleMinutes);
    const latest = inServicePoints(usage, now).at(-1);
    // The same staleness `decide` keeps a model for: past it, the metric says the model stopped.
    if (latest === undefined)
      return {
        kind: "not-in-service",
        reason: `no InServiceInferenceUnits data in the last ${formatDuration(now - window.queryStart)}`,
      };
    const latestEnd = latest.at + window.periodSeconds * 1000;
    if (now - latestEnd > staleToleranceMs(window))
      return {
        kind: "not-in-service",
        reason: `InServiceInferenceUnits data stops at ${formatTime(latestEnd)} (${formatDuration(now - latestEnd)} ago)`,
      };
  }
  const verdict = decide({
    model: {},
    tags: { model: {}, project: {} },
    usage,
    now,
    idleMinutes,
    optOutTagKey: "-",
    requireOptIn: false,
    pricePerInferenceUnitHour: input.pricePerInferenceUnitHour,
  });
  return { kind: verdict.action === "stop" ? "idle" : "keep", verdict };
}
