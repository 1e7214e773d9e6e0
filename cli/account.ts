/**
 * `--account ID` and `--role-name NAME` (issue 11): a command acts in a member account of the organization through
 * the spoke role there, assumed with the caller's own credentials, as the hub's function does. The log table stays
 * in the hub, read with the caller's own credentials.
 */

import { STSClient } from "@aws-sdk/client-sts";
import {
  ACCOUNT_ID_PATTERN,
  DEFAULT_ORGANIZATION_SETTINGS,
  ROLE_NAME_PATTERN,
} from "../common/organization-settings.ts";
import { errorMessage } from "../lambda/adapters/errors.ts";
import { type AwsCredentialIdentity, StsSpokeRoleAssumer } from "../lambda/adapters/spoke-role.ts";
import { CliError, type CommandName } from "./errors.ts";
import { invalid } from "./options.ts";

/** The options, for parseArgs. */
export const ACCOUNT_OPTIONS = {
  account: { type: "string" },
  "role-name": { type: "string" },
} as const;

/** A member account and the role to assume there. */
export interface AccountChoice {
  readonly accountId: string;
  readonly roleName: string;
}

/** Checks `--account` and `--role-name`; undefined without `--account`. */
export function accountChoice(
  command: CommandName,
  values: { readonly account?: string; readonly "role-name"?: string },
): AccountChoice | undefined {
  if (values.account === undefined) {
    if (values["role-name"] !== undefined)
      throw invalid(command, "--role-name", values["role-name"], "--role-name only with --account");
    return undefined;
  }
  const accountId = values.account.trim();
  if (!ACCOUNT_ID_PATTERN.test(accountId))
    throw invalid(command, "--account", values.account, "a 12-digit account id");
  const roleName = (values["role-name"] ?? DEFAULT_ORGANIZATION_SETTINGS.spokeRoleName).trim();
  if (!ROLE_NAME_PATTERN.test(roleName))
    throw invalid(
      command,
      "--role-name",
      values["role-name"] ?? "",
      "an IAM role name: 1-64 letters, digits or + = , . @ _ -",
    );
  return { accountId, roleName };
}

/** The partition of a region: the spoke role's ARN is built in it. */
function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * Assumes the role in the member account, with a session named after the CLI and the instant, and returns its
 * credentials for the Rekognition and CloudWatch clients.
 * @throws CliError naming the role and what STS answered.
 */
export async function assumeAccountRole(
  choice: AccountChoice,
  options: {
    readonly region: string;
    readonly maxAttempts: number;
    readonly now: number;
    /** The caller's own credentials (`--profile`), which assume the role. */
    readonly clientOptions: { readonly profile?: string };
  },
): Promise<AwsCredentialIdentity> {
  const client = new STSClient({
    region: options.region,
    retryMode: "adaptive",
    maxAttempts: options.maxAttempts,
    ...options.clientOptions,
  });
  try {
    const assumer = new StsSpokeRoleAssumer(client, {
      partition: partitionOf(options.region),
      spokeRoleName: choice.roleName,
      spokeExternalId: undefined,
    });
    return await assumer.assume(choice.accountId, `cli-${new Date(options.now).toISOString()}`);
  } catch (error) {
    throw new CliError(errorMessage(error), { cause: error });
  } finally {
    client.destroy();
  }
}

/** The account of a model ARN (`arn:aws:rekognition:<region>:<account>:project/…`). */
export const accountOfArn = (arn: string): string | undefined => arn.split(":")[4];
