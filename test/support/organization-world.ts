/**
 * The organization mode's end-to-end worlds: the hub's account and member accounts in one sandbox, the spoke role
 * deployed in the members as its StackSet deploys it, and every call of its sessions checked against its policy.
 */

import { type SpokeDeployment, SpokeGuards, spokeTrustPolicies } from "../../sandbox/organization-run.ts";
import type { StopperWorld } from "../../sandbox/stopper-world.ts";
import type { StopperFixture } from "./stopper-fixture.ts";

/** The hub's account: the sandbox's own. */
export const HUB = "123456789012";
/** The member account the stack lists by id. */
export const A = "111111111111";
export const ORG = "o-a1b2c3d4e5";
/** The OU the stack serves besides `A`. */
export const OU = "ou-ab12-11111111";
/** The nightly run's regions: the hub's first. */
export const REGIONS = ["us-east-1", "eu-west-1"] as const;

/**
 * The stack of the nightly runs over the organization (organization.e2e and organization-follow-ups.e2e): one set of
 * settings, so that both files synthesize the same roles and the permission report judges the same grants.
 */
export const NIGHTLY_ORGANIZATION_STACK: Readonly<Record<string, string>> = {
  accounts: A,
  organizationalUnits: OU,
  organizationId: ORG,
  regions: REGIONS.join(","),
  mapConcurrency: "3",
};

/** What a world of the organization is started with, besides the spoke role's trust and guards. */
export type OrganizationWorldOptions = Omit<
  NonNullable<Parameters<StopperFixture["world"]>[0]>,
  "trustPolicies"
>;

/**
 * Starts a world of the organization in which the spoke role is deployed as `spoke` says: trusted as its template
 * trusts, and every call of its sessions checked by the returned guards (await `guards.settle()` after an act).
 */
export async function worldWithSpokes(
  fixture: StopperFixture,
  spoke: SpokeDeployment,
  options: OrganizationWorldOptions,
): Promise<{ readonly world: StopperWorld; readonly guards: SpokeGuards }> {
  const guards = new SpokeGuards(spoke);
  const world = await fixture.world({
    ...options,
    trustPolicies: spokeTrustPolicies(spoke),
    onCall: (call) => {
      guards.observe(call);
      options.onCall?.(call);
    },
  });
  return { world, guards };
}
