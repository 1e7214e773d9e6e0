/** The handler around a configuration and its adapters, kept apart from handler.ts so tests can build one. */

import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { StopperConfig } from "./config.ts";
import { type RunDependencies, type RunSummary, runStopper } from "./run.ts";

/** What the schedule sends: EventBridge Scheduler fills in its context attributes. */
interface ScheduledEvent {
  readonly scheduledTime?: unknown;
  readonly attempt?: unknown;
}

// EventBridge Scheduler's <aws.scheduler.scheduled-time>, e.g. 2026-11-28T02:00:00Z.
const SCHEDULED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * The run's id: the scheduled time for a scheduled run, so that a retry of the same invocation is the same run
 * in the log and the records; otherwise the Lambda request id (which Lambda's own retries keep).
 */
export function runIdFor(event: unknown, requestId: string | undefined): string {
  const scheduledTime = (event as ScheduledEvent | null)?.scheduledTime;
  if (typeof scheduledTime === "string" && SCHEDULED_TIME.test(scheduledTime))
    return `scheduled-${scheduledTime}`;
  return requestId ?? randomUUID();
}

/** Builds a handler; each invocation is one run. */
export function createHandler(config: StopperConfig, deps: RunDependencies & { readonly logger: Logger }) {
  return async (
    event: unknown,
    context?: Pick<Context, "awsRequestId"> & Partial<Pick<Context, "getRemainingTimeInMillis">>,
  ): Promise<RunSummary> => {
    const runId = runIdFor(event, context?.awsRequestId);
    const attempt = (event as ScheduledEvent | null)?.attempt;
    deps.logger.appendKeys({ runId, ...(attempt !== undefined && { attempt: String(attempt) }) });
    try {
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      return await runStopper({ ...deps, ...(remaining && { remainingMs: remaining }) }, config, runId);
    } finally {
      deps.logger.resetKeys();
    }
  };
}
