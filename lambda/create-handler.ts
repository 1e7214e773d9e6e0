/** The handler around a configuration and its adapters, kept apart from handler.ts so tests can build one. */

import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { StopperConfig } from "./config.ts";
import { type FollowUpSummary, runFollowUp } from "./follow-up.ts";
import { type RunDependencies, type RunSummary, runStopper } from "./run.ts";

/** What the schedule sends: EventBridge Scheduler fills in its context attributes. */
interface ScheduledEvent {
  readonly scheduledTime?: unknown;
  readonly attempt?: unknown;
}

// EventBridge Scheduler's <aws.scheduler.scheduled-time>, e.g. 2026-11-28T02:00:00Z.
const SCHEDULED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * The run's id: the scheduled time for a scheduled run (`scheduled-<time>` for the nightly run, `follow-up-<time>`
 * for the follow-up function, so the two never share one), so that a retry of the same invocation is the same run
 * in the log and the records; otherwise the Lambda request id (which Lambda's own retries keep).
 */
export function runIdFor(event: unknown, requestId: string | undefined, prefix = "scheduled"): string {
  const scheduledTime = (event as ScheduledEvent | null)?.scheduledTime;
  if (typeof scheduledTime === "string" && SCHEDULED_TIME.test(scheduledTime))
    return `${prefix}-${scheduledTime}`;
  return requestId ?? randomUUID();
}

/** The part of Lambda's context a run reads. */
type InvokeContext = Pick<Context, "awsRequestId"> & Partial<Pick<Context, "getRemainingTimeInMillis">>;

/** A handler around one kind of run: its id, its log keys, and the time it has left. */
function handlerOf<T>(
  deps: RunDependencies & { readonly logger: Logger },
  prefix: string,
  run: (deps: RunDependencies, runId: string) => Promise<T>,
) {
  return async (event: unknown, context?: InvokeContext): Promise<T> => {
    const runId = runIdFor(event, context?.awsRequestId, prefix);
    const attempt = (event as ScheduledEvent | null)?.attempt;
    deps.logger.appendKeys({ runId, ...(attempt !== undefined && { attempt: String(attempt) }) });
    try {
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      return await run({ ...deps, ...(remaining && { remainingMs: remaining }) }, runId);
    } finally {
      deps.logger.resetKeys();
    }
  };
}

/** Builds the nightly handler; each invocation is one run. */
export function createHandler(
  config: StopperConfig,
  deps: RunDependencies & { readonly logger: Logger },
): (event: unknown, context?: InvokeContext) => Promise<RunSummary> {
  return handlerOf(deps, "scheduled", (runDeps, runId) => runStopper(runDeps, config, runId));
}

/** Builds the follow-up function's handler; each invocation follows up the recent stops once. */
export function createFollowUpHandler(
  config: StopperConfig,
  deps: RunDependencies & { readonly logger: Logger },
): (event: unknown, context?: InvokeContext) => Promise<FollowUpSummary> {
  return handlerOf(deps, "follow-up", (runDeps, runId) => runFollowUp(runDeps, config, runId));
}
