/**
 * The Lambda entry point of a deployment that serves its own account (`dist/stopper-function/`). Configuration is
 * parsed and clients are created once, at cold start; a bad setting fails here with an error naming the variable,
 * before any run begins. The organization mode's hub has a bundle of its own (`lambda/organization/handler.ts`), so
 * this one carries no STS, Organizations or Step Functions client.
 */

import { isOrganizationMode, organizationSettingsFromEnv } from "../common/organization-settings.ts";
import { InvalidSettingError } from "../common/settings.ts";
import { createAwsAdapters } from "./aws-clients.ts";
import { coldStart } from "./cold-start.ts";
import { createFollowUpHandler, createHandler } from "./create-handler.ts";

const { logger, metrics, config } = coldStart(process.env);
const organization = organizationSettingsFromEnv(process.env);
if (isOrganizationMode(organization)) {
  const variable = organization.accounts.length > 0 ? "ACCOUNTS" : "ORGANIZATIONAL_UNITS";
  throw new InvalidSettingError(
    variable,
    process.env[variable],
    "unset for the single-account bundle (dist/stopper-function/); the organization mode's hub runs " +
      "dist/organization-function/, which the construct deploys whenever accounts or OUs are set",
  );
}
logger.info("configuration", { config });

const deps = { ...createAwsAdapters(config), logger, metrics, clock: Date.now };

/** The nightly function's handler (`index.handler`): one run over this account's regions. */
export const handler = createHandler(config, deps);

/** The follow-up function's handler (`index.followUp`), from the same bundle: regret checks, restarts, starts by hand. */
export const followUp = createFollowUpHandler(config, deps);
