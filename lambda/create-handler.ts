/** The handler around a configuration and its adapters, kept apart from handler.ts so tests can build one. */

import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { StopperConfig } from "./config.ts";
import { type RunDependencies, type RunOptions, type RunSummary, runStopper } from "./run.ts";

/** What the schedule sends: EventBridge Scheduler fills in its context attributes. */
interface ScheduledEvent {
  readonly scheduledTime?: unknown;
  readonly attempt?: unknown;
  /** `run` (or absent): a full run; `warn`: the warning pass of the `warnSchedule`. */
  readonly mode?: unknown;
}

/** An event the function cannot run: it says what was wrong and what is allowed. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidEventError";
  }
}

/**
 * What the event asks for: a full run or a warning pass, and the time it was scheduled for (when it says).
 * @throws InvalidEventError on a mode other than `run` or `warn`, or a warning pass while warnings are off.
 */
export function runOptionsFor(
  event: unknown,
  config: Pick<StopperConfig, "warnBeforeStopHours">,
): RunOptions {
  const { mode, scheduledTime } = (event ?? {}) as ScheduledEvent;
  if (mode !== undefined && mode !== "run" && mode !== "warn")
    throw new InvalidEventError(
      `Invalid event mode: ${JSON.stringify(mode)}. Allowed: "run" (or no mode) or "warn".`,
    );
  if (mode === "warn" && config.warnBeforeStopHours === 0)
    throw new InvalidEventError(
      'Invalid event mode: "warn" while WARN_BEFORE_STOP_HOURS is 0. Allowed: a warning pass only with warnings ' +
        "on (warnBeforeStopHours from 1 to 168).",
    );
  const at =
    typeof scheduledTime === "string" && SCHEDULED_TIME.test(scheduledTime)
      ? Date.parse(scheduledTime)
      : undefined;
  return { mode: mode ?? "run", ...(at !== undefined && { scheduledAt: at }) };
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
    const options = runOptionsFor(event, config);
    const runId = runIdFor(event, context?.awsRequestId);
    const attempt = (event as ScheduledEvent | null)?.attempt;
    deps.logger.appendKeys({
      runId,
      ...(attempt !== undefined && { attempt: String(attempt) }),
      ...(options.mode === "warn" && { mode: "warn" }),
    });
    try {
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      return await runStopper(
        { ...deps, ...(remaining && { remainingMs: remaining }) },
        config,
        runId,
        options,
      );
    } finally {
      deps.logger.resetKeys();
    }
  };
}
