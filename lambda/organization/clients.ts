/**
 * The organization mode's SDK clients, in the hub's region: STS for the spoke roles, Organizations for the OUs (only
 * when OUs are set), Step Functions for the overlap check. Endpoints are never set here, so AWS_ENDPOINT_URL_STS,
 * _ORGANIZATIONS and _SFN keep working for local endpoints.
 */

import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { SFNClient } from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import { SfnRunningExecutions } from "../adapters/executions.ts";
import { OrganizationsAccounts } from "../adapters/organizations.ts";
import { StsSpokeRoleAssumer } from "../adapters/spoke-role.ts";
import type { StopperConfig } from "../config.ts";
import type { OrganizationConfig } from "./config.ts";

/** The organization adapters wired to real clients. */
export function createOrganizationAdapters(config: StopperConfig, organization: OrganizationConfig) {
  const options = {
    region: config.homeRegion,
    retryMode: "adaptive",
    maxAttempts: config.maxAttempts,
  } as const;
  return {
    // STS's regional endpoint (the SDK's default): its tokens work in every region the member account enabled.
    assumer: new StsSpokeRoleAssumer(new STSClient(options), organization),
    ...(organization.organizationalUnits.length > 0 && {
      organization: new OrganizationsAccounts(new OrganizationsClient(options)),
    }),
    executions: new SfnRunningExecutions(new SFNClient(options)),
  };
}
