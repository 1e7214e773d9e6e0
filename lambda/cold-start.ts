/**
 * What both Lambda bundles do first at cold start: the logger, the metrics and the run's configuration. A bad
 * setting fails here with an error naming the variable, before any run begins.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { loadConfig, type StopperConfig } from "./config.ts";

/** The function's logger, metrics and configuration, made once per cold start. */
export interface ColdStart {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: StopperConfig;
}

/** Builds the logger, reads the configuration (throwing on a bad setting) and builds the metrics. */
export function coldStart(env: Readonly<Record<string, string | undefined>>): ColdStart {
  const service = env.POWERTOOLS_SERVICE_NAME || "idle-model-stopper";
  const logger = new Logger({ serviceName: service });
  const config = loadConfig(env);
  const metrics = new Metrics({
    serviceName: service,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE || "IdleModelStopper",
  });
  return { logger, metrics, config };
}
