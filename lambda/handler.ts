/**
 * The Lambda entry point. Configuration is parsed and clients are created once, at cold start; a bad setting
 * fails here with an error naming the variable, before any run begins.
 */

import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { createAwsAdapters } from "./aws-clients.ts";
import { loadConfig, type StopperConfig } from "./config.ts";
import { type RunDependencies, type RunSummary, runStopper } from "./run.ts";

/** Builds a handler around the given configuration and adapters; tests pass fakes or mocked clients. */
export function createHandler(config: StopperConfig, deps: RunDependencies & { readonly logger: Logger }) {
  return async (_event: unknown, context?: Pick<Context, "awsRequestId">): Promise<RunSummary> => {
    const runId = context?.awsRequestId ?? randomUUID();
    deps.logger.appendKeys({ runId });
    try {
      return await runStopper(deps, config, runId);
    } finally {
      deps.logger.resetKeys();
    }
  };
}

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "idle-model-stopper" });
const config = loadConfig(process.env);
logger.info("configuration", { config });

/** The function the stack points at. */
export const handler = createHandler(config, { ...createAwsAdapters(config), logger, clock: Date.now });
