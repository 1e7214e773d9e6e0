/**
 * Phase "last look": just before the stops, after the cap, the request metrics of every stop candidate are read
 * once more, from `lastLookMinutes` before the run's decision up to the moment of the re-read. CloudWatch delivers
 * metrics minutes late, so a request made just before the run may show only now. One GetMetricData call per
 * 125 candidates of a region (4 queries a model), never one per model. A request seen
 * keeps the model, and so does a re-read that failed (core/last-look.ts); what it saw goes into the verdict's facts,
 * and so into the stop's log record. Dry runs look too.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import type { Decision } from "../core/decide.ts";
import { judgeLastLook } from "../core/last-look.ts";
import type { RequestEvidence } from "../core/types.ts";
import type { RunDependencies } from "../dependencies.ts";

const MINUTE_MS = 60_000;

/** What the phase looks at. */
export interface LastLookInput {
  /** The run's clock reading (its decision time), epoch ms. */
  readonly now: number;
  /** Every decision, the cap applied; only the stops are looked at again. */
  readonly decisions: readonly Decision[];
}

/** The decisions after the last look, in the same order. */
export interface LookedAgain {
  readonly decisions: readonly Decision[];
  /** Re-reads that failed, against each model's ARN (each such model is kept). */
  readonly errors: readonly Problem[];
}

/** The last-look phase. */
export async function lastLook(
  deps: Pick<RunDependencies, "usage" | "clock">,
  config: Pick<StopperConfig, "lastLookMinutes">,
  input: LastLookInput,
): Promise<LookedAgain> {
  const stops = input.decisions.filter((decision) => decision.verdict.action === "stop");
  if (stops.length === 0) return { decisions: [...input.decisions], errors: [] };
  // Whole minutes, so the span starts on a period boundary; it ends at the re-read itself.
  const from = Math.floor((input.now - config.lastLookMinutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const at = Math.max(deps.clock(), from + MINUTE_MS);
  const byRegion = new Map<string, Decision[]>();
  for (const decision of stops) {
    const list = byRegion.get(decision.model.region) ?? [];
    list.push(decision);
    byRegion.set(decision.model.region, list);
  }
  const evidence = new Map<string, RequestEvidence>();
  await Promise.all(
    [...byRegion].map(async ([region, decisions]) => {
      const models = decisions.map((decision) => decision.model);
      let read: Map<string, RequestEvidence>;
      try {
        read = await deps.usage.readRequests(region, models, { start: from, end: at, periodSeconds: 60 });
      } catch (error) {
        read = new Map(
          models.map((m) => [m.modelArn, { error: `GetMetricData failed: ${errorMessage(error)}` }]),
        );
      }
      for (const model of models)
        evidence.set(
          model.modelArn,
          read.get(model.modelArn) ?? { error: "CloudWatch returned nothing for the model" },
        );
    }),
  );
  const errors: Problem[] = [];
  const decisions = input.decisions.map((decision) => {
    const seen = evidence.get(decision.model.modelArn);
    if (decision.verdict.action !== "stop" || seen === undefined) return decision;
    if ("error" in seen) errors.push({ arn: decision.model.modelArn, message: `last look: ${seen.error}` });
    return judgeLastLook(decision, { at, from, evidence: seen });
  });
  return { decisions, errors };
}
