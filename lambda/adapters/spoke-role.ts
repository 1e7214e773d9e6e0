/**
 * STS: the hub's way into a member account. The function assumes the spoke role there (`arn:<partition>:iam::
 * <account>:role/<spokeRoleName>`) once per item, with a session name that names the run, so CloudTrail in the
 * member account shows which run made each call.
 */

import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { errorMessage } from "./errors.ts";

/** The spoke role could not be assumed: it is missing, its trust policy does not let the hub in, or STS refused. */
export class SpokeRoleUnavailableError extends Error {
  constructor(
    readonly roleArn: string,
    options: ErrorOptions,
  ) {
    // The hint first: a summary cuts long messages, and STS's own message is long.
    super(
      `could not assume ${roleArn} (is the spoke role deployed in this account, and does its trust name this ` +
        `hub's role and organization?): ${errorMessage(options.cause)}`,
      options,
    );
    this.name = "SpokeRoleUnavailableError";
  }
}

/** Where the spoke roles are and how they are assumed. */
export interface SpokeRoleSettings {
  readonly partition: string;
  readonly spokeRoleName: string;
  readonly spokeExternalId: string | undefined;
}

/** A role session's temporary credentials, in the shape the SDK clients take. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Credentials for one member account. */
export interface SpokeRoleAssumer {
  assume(accountId: string, runId: string): Promise<AwsCredentialIdentity>;
}

// RoleSessionName: 2-64 characters of [\w+=,.@-] (STS AssumeRole API reference).
const SESSION_NAME_CHAR = /[^\w+=,.@-]/g;

/** The session name of a run's calls: `idle-model-stopper-<run id>`, with what STS does not accept replaced by `-`. */
export function sessionNameFor(runId: string): string {
  return `idle-model-stopper-${runId}`.replace(SESSION_NAME_CHAR, "-").slice(0, 64);
}

/** The ARN of an account's spoke role. */
export function spokeRoleArn(settings: SpokeRoleSettings, accountId: string): string {
  return `arn:${settings.partition}:iam::${accountId}:role/${settings.spokeRoleName}`;
}

/** The SDK-backed {@link SpokeRoleAssumer}. */
export class StsSpokeRoleAssumer implements SpokeRoleAssumer {
  constructor(
    private readonly client: STSClient,
    private readonly settings: SpokeRoleSettings,
  ) {}

  async assume(accountId: string, runId: string): Promise<AwsCredentialIdentity> {
    const roleArn = spokeRoleArn(this.settings, accountId);
    try {
      const { Credentials: credentials } = await this.client.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionNameFor(runId),
          // The default hour covers an item: a function runs for 15 minutes at most.
          ...(this.settings.spokeExternalId !== undefined && { ExternalId: this.settings.spokeExternalId }),
        }),
      );
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
        throw new Error("AssumeRole answered without credentials");
      return {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken !== undefined && { sessionToken: credentials.SessionToken }),
        ...(credentials.Expiration !== undefined && { expiration: credentials.Expiration }),
      };
    } catch (error) {
      throw new SpokeRoleUnavailableError(roleArn, { cause: error });
    }
  }
}
