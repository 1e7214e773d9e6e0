/** The handler around a configuration and its adapters, kept apart from handler.ts so tests can build one. */

import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { StopperConfig } from "./config.ts";
import { type RunDependencies, type RunSummary, runStopper } from "./run.ts";

/** Builds a handler; each invocation is one run, identified by the Lambda request id. */
export function createHandler(config: StopperConfig, deps: RunDependencies & { readonly logger: Logger }) {
  return async (
    _event: unknown,
    context?: Pick<Context, "awsRequestId"> & Partial<Pick<Context, "getRemainingTimeInMillis">>,
  ): Promise<RunSummary> => {
    const runId = context?.awsRequestId ?? randomUUID();
    deps.logger.appendKeys({ runId });
    try {
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      return await runStopper({ ...deps, ...(remaining && { remainingMs: remaining }) }, config, runId);
    } finally {
      deps.logger.resetKeys();
    }
  };
}
