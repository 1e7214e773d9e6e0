/** The handler around a configuration and its adapters, kept apart from handler.ts so tests can build one. */

import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { StopperConfig } from "./config.ts";
import { type FollowUpSummary, runFollowUp } from "./follow-up.ts";
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

/** What one invocation runs, as its event asks, and the log keys that say so. */
interface Invocation<T> {
  readonly logKeys?: Readonly<Record<string, string>>;
  readonly run: (deps: RunDependencies, runId: string) => Promise<T>;
}

/** A handler around one kind of run: its id, its log keys, and the time it has left. */
function handlerOf<T>(
  deps: RunDependencies & { readonly logger: Logger },
  prefix: string,
  invocationFor: (event: unknown) => Invocation<T>,
) {
  return async (event: unknown, context?: InvokeContext): Promise<T> => {
    const { logKeys, run } = invocationFor(event);
    const runId = runIdFor(event, context?.awsRequestId, prefix);
    const attempt = (event as ScheduledEvent | null)?.attempt;
    deps.logger.appendKeys({ runId, ...(attempt !== undefined && { attempt: String(attempt) }), ...logKeys });
    try {
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      return await run({ ...deps, ...(remaining && { remainingMs: remaining }) }, runId);
    } finally {
      deps.logger.resetKeys();
    }
  };
}

/** Builds the nightly handler; each invocation is one run (or a warning pass, as its event says). */
export function createHandler(
  config: StopperConfig,
  deps: RunDependencies & { readonly logger: Logger },
): (event: unknown, context?: InvokeContext) => Promise<RunSummary> {
  return handlerOf(deps, "scheduled", (event) => {
    const options: RunOptions = runOptionsFor(event, config);
    return {
      ...(options.mode === "warn" && { logKeys: { mode: "warn" } }),
      run: (runDeps, runId) => runStopper(runDeps, config, runId, options),
    };
  });
}

/**
 * Builds the follow-up function's handler; each invocation follows up the recent stops once, by default in the
 * function's own account (`follow`: the organization mode's, over every account with stops to follow up).
 */
export function createFollowUpHandler(
  config: StopperConfig,
  deps: RunDependencies & { readonly logger: Logger },
  follow: (deps: RunDependencies, runId: string) => Promise<FollowUpSummary> = (runDeps, runId) =>
    runFollowUp(runDeps, config, runId),
): (event: unknown, context?: InvokeContext) => Promise<FollowUpSummary> {
  return handlerOf(deps, "follow-up", () => ({ run: follow }));
}
