/**
 * The Lambda entry point. Configuration is parsed and clients are created once, at cold start; a bad setting
 * fails here with an error naming the variable, before any run begins.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createAwsAdapters } from "./aws-clients.ts";
import { loadConfig } from "./config.ts";
import { createFollowUpHandler, createHandler } from "./create-handler.ts";
import { createOrganizationAdapters } from "./organization/clients.ts";
import { loadOrganizationConfig } from "./organization/config.ts";
import { runOrganizationFollowUp } from "./organization/follow-ups.ts";
import { createOrganizationHandler } from "./organization/steps.ts";

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || "idle-model-stopper";
const logger = new Logger({ serviceName: SERVICE });
const config = loadConfig(process.env);
const organization = loadOrganizationConfig(process.env);
logger.info("configuration", { config, ...(organization && { organization }) });
const metrics = new Metrics({
  serviceName: SERVICE,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || "IdleModelStopper",
});

// In the organization mode the hub's own records carry its account too, so every account reconciles alike.
const hubScope = organization && {
  account: { accountId: organization.hubAccountId, readsAccountlessRecords: true },
};
const hubAdapters = createAwsAdapters(config, hubScope);
const deps = { ...hubAdapters, logger, metrics, clock: Date.now };
const single = createHandler(config, deps);
// The organization mode's settings with its clients (STS, Organizations, Step Functions), created once.
const hub = organization && { organization, adapters: createOrganizationAdapters(config, organization) };

/** The nightly function's handler (`index.handler`): one run, or in the organization mode one step of the state machine. */
export const handler = hub
  ? createOrganizationHandler(config, hub.organization, {
      ...hub.adapters,
      logger,
      metrics,
      clock: Date.now,
      ...(hubAdapters.notifier && { notifier: hubAdapters.notifier }),
      ...(hubAdapters.events && { events: hubAdapters.events }),
      adaptersIn: (scope) => createAwsAdapters(config, scope),
      single,
    })
  : single;

/**
 * The follow-up function's handler (`index.followUp`), from the same bundle: regret checks, restarts, starts by hand;
 * in the organization mode in every account with stops to follow up, through its spoke role.
 */
export const followUp = hub
  ? createFollowUpHandler(config, deps, (runDeps, runId) =>
      runOrganizationFollowUp(
        {
          ...runDeps,
          keys: hubAdapters.log,
          assumer: hub.adapters.assumer,
          adaptersIn: (scope) => createAwsAdapters(config, scope),
        },
        config,
        hub.organization,
        runId,
      ),
    )
  : createFollowUpHandler(config, deps);
