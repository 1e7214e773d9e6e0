/**
 * Lambda refuses a function whose environment variables, measured as one JSON object (its error says "String
 * measured: {…}"), take more than 4 KB; CloudFormation then fails the deploy half-way. The organization mode's
 * `ACCOUNTS` grows 13 bytes an account, so a long list of accounts could do that: synth says so first.
 */

import { Aws, Token } from "aws-cdk-lib";
import { InvalidSettingError } from "../common/settings.ts";

/** Lambda's limit on a function's environment variables, all together. */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;

/**
 * What a value known only at deploy is counted as: the account id and the partition at their longest, and a name
 * or ARN CloudFormation generates (the log table's name, the topic's ARN) at 128 characters, the length of one with
 * a stack name of about 60.
 */
const deployTimeLength = (value: string) =>
  value === Aws.ACCOUNT_ID ? 12 : value === Aws.PARTITION ? "aws-us-gov".length : 128;

/** The environment as Lambda measures it, each value known only at deploy counted as {@link deployTimeLength}. */
export function environmentBytes(environment: Readonly<Record<string, string>>): number {
  const measured = Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [
      key,
      Token.isUnresolved(value) ? "x".repeat(deployTimeLength(value)) : value,
    ]),
  );
  return Buffer.byteLength(JSON.stringify(measured), "utf8");
}

/**
 * @throws InvalidSettingError naming the estimated size, the largest variable and what to do, when the environment
 * would pass Lambda's 4 KB.
 */
export function checkEnvironmentSize(environment: Readonly<Record<string, string>>): void {
  const bytes = environmentBytes(environment);
  if (bytes <= LAMBDA_ENVIRONMENT_BYTES) return;
  const [largest = "", value = ""] =
    Object.entries(environment).sort(([, a], [, b]) => b.length - a.length)[0] ?? [];
  throw new InvalidSettingError(
    "function environment",
    `about ${bytes} bytes, ${largest} taking ${value.length}`,
    `at most ${LAMBDA_ENVIRONMENT_BYTES} bytes in all, Lambda's limit` +
      (largest === "ACCOUNTS"
        ? ": list fewer accounts and serve the others through organizationalUnits, whose accounts are found at " +
          "each run"
        : ""),
  );
}
