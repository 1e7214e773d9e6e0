/**
 * The organization mode's configuration (issue 11), read once at cold start beside the run's: the settings of
 * `common/organization-settings.ts`, and where the hub is. Undefined when the function serves its own account only.
 */

import {
  ACCOUNT_ID_PATTERN,
  isOrganizationMode,
  type OrganizationSettings,
  organizationSettingsFromEnv,
} from "../../common/organization-settings.ts";
import { InvalidSettingError } from "../../common/settings.ts";

/** The organization settings, and the hub's account and partition (set by the stack). */
export interface OrganizationConfig extends OrganizationSettings {
  /** The account the function runs in: served with the function's own role. */
  readonly hubAccountId: string;
  /** `aws`, `aws-cn` or `aws-us-gov`: the spoke roles' ARNs are built in it. */
  readonly partition: string;
}

const PARTITION_PATTERN = /^aws(-[a-z]+)*$/;

/** Parses the organization variables; undefined without ACCOUNTS or ORGANIZATIONAL_UNITS. */
export function loadOrganizationConfig(
  env: Readonly<Record<string, string | undefined>>,
): OrganizationConfig | undefined {
  const settings = organizationSettingsFromEnv(env);
  if (!isOrganizationMode(settings)) return undefined;
  const hubAccountId = env.HUB_ACCOUNT_ID ?? "";
  if (!ACCOUNT_ID_PATTERN.test(hubAccountId))
    throw new InvalidSettingError(
      "HUB_ACCOUNT_ID",
      env.HUB_ACCOUNT_ID ?? null,
      "the hub's 12-digit account id (set by the stack with ACCOUNTS or ORGANIZATIONAL_UNITS)",
    );
  const partition = env.HUB_PARTITION ?? "";
  if (!PARTITION_PATTERN.test(partition))
    throw new InvalidSettingError(
      "HUB_PARTITION",
      env.HUB_PARTITION ?? null,
      "aws, aws-cn or aws-us-gov (set by the stack with ACCOUNTS or ORGANIZATIONAL_UNITS)",
    );
  return Object.freeze({ ...settings, hubAccountId, partition });
}
