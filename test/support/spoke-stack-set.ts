/** The spoke role as a StackSet deploys it in the member accounts of an end-to-end test of the organization mode. */
import type { CfnTemplate } from "../../sandbox/cfn-template.ts";
import type { SpokeDeployment } from "../../sandbox/organization-run.ts";
import { spokeTemplate } from "../../scripts/spoke-template.ts";

/** The spoke template with the parameters of a hub in `regions[0]`, deployed in `accounts`. */
export function spokeStackSet(options: {
  readonly hubAccountId: string;
  readonly organizationId: string;
  readonly regions: readonly string[];
  readonly accounts: readonly string[];
  /** The ExternalId parameter. @default "" (none) */
  readonly externalId?: string;
}): SpokeDeployment {
  const [hubRegion = "us-east-1"] = options.regions;
  return {
    template: spokeTemplate() as unknown as CfnTemplate,
    parameters: {
      HubAccountId: options.hubAccountId,
      HubRoleName: `IdleModelStopperHub-${hubRegion}`,
      OrganizationId: options.organizationId,
      Regions: options.regions,
      RoleName: "IdleModelStopperSpoke",
      ExternalId: options.externalId ?? "",
    },
    accounts: options.accounts,
    region: hubRegion,
  };
}
