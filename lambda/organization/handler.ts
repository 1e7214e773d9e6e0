/**
 * The Lambda entry point of the organization mode's hub (`dist/organization-function/`): a bundle of its own, with
 * the STS, Organizations and Step Functions clients the single-account bundle leaves out. The run's and the
 * organization's settings are parsed and clients are created once, at cold start; a bad setting fails here with an
 * error naming the variable, before any step begins.
 */

import { InvalidSettingError } from "../../common/settings.ts";
import { createAwsAdapters } from "../aws-clients.ts";
import { coldStart } from "../cold-start.ts";
import { createFollowUpHandler } from "../create-handler.ts";
import { createOrganizationAdapters } from "./clients.ts";
import { loadOrganizationConfig } from "./config.ts";
import { runOrganizationFollowUp } from "./follow-ups.ts";
import { createOrganizationHandler } from "./steps.ts";

const { logger, metrics, config } = coldStart(process.env);
const organization = loadOrganizationConfig(process.env);
if (organization === undefined)
  throw new InvalidSettingError(
    "ACCOUNTS / ORGANIZATIONAL_UNITS",
    null,
    "at least one account or OU for the organization mode's hub bundle (dist/organization-function/); a " +
      "deployment that serves its own account runs dist/stopper-function/, which the construct deploys then",
  );
logger.info("configuration", { config, organization });

// The hub's own records carry its account too, so every account reconciles alike.
const hubAdapters = createAwsAdapters(config, {
  account: { accountId: organization.hubAccountId, readsAccountlessRecords: true },
});
const deps = { ...hubAdapters, logger, metrics, clock: Date.now };
// The organization mode's clients (STS, Organizations, Step Functions), created once.
const adapters = createOrganizationAdapters(config, organization);
const adaptersIn = (scope: Parameters<typeof createAwsAdapters>[1]) => createAwsAdapters(config, scope);

/** The nightly function's handler (`index.handler`): one step of the state machine. */
export const handler = createOrganizationHandler(config, organization, {
  ...adapters,
  logger,
  metrics,
  clock: Date.now,
  ...(hubAdapters.notifier && { notifier: hubAdapters.notifier }),
  ...(hubAdapters.events && { events: hubAdapters.events }),
  adaptersIn,
});

/**
 * The follow-up function's handler (`index.followUp`), from the same bundle: regret checks, restarts and starts by
 * hand in every account with stops to follow up, through its spoke role.
 */
export const followUp = createFollowUpHandler(config, deps, (runDeps, runId) =>
  runOrganizationFollowUp(
    { ...runDeps, keys: hubAdapters.log, assumer: adapters.assumer, adaptersIn },
    config,
    organization,
    runId,
  ),
);
