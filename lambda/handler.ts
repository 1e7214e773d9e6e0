/**
 * The Lambda entry point. Configuration is parsed and clients are created once, at cold start; a bad setting
 * fails here with an error naming the variable, before any run begins.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createAwsAdapters } from "./aws-clients.ts";
import { loadConfig } from "./config.ts";
import { createFollowUpHandler, createHandler } from "./create-handler.ts";

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || "idle-model-stopper";
const logger = new Logger({ serviceName: SERVICE });
const config = loadConfig(process.env);
logger.info("configuration", { config });
const metrics = new Metrics({
  serviceName: SERVICE,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || "IdleModelStopper",
});

const deps = { ...createAwsAdapters(config), logger, metrics, clock: Date.now };

/** The nightly function's handler (`index.handler`): find the idle models and stop them. */
export const handler = createHandler(config, deps);

/** The follow-up function's handler (`index.followUp`), from the same bundle: regret checks, restarts, starts by hand. */
export const followUp = createFollowUpHandler(config, deps);
