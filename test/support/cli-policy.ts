/**
 * The CLI's least-privilege policy (policies/cli-policy.json) with its placeholders filled in, as a user does
 * before attaching it, and as a principal the permission check can simulate.
 */

import { readFileSync } from "node:fs";
import type { SimulatedPrincipal } from "../../sandbox/permission-check.ts";
import type { PolicyDocument } from "../../sandbox/template-policies.ts";

/** The file users attach. */
export const CLI_POLICY_FILE = new URL("../../policies/cli-policy.json", import.meta.url);

/** How reports name it. */
export const CLI_POLICY = "CLI policy";

/** What a user puts in place of each placeholder. */
export interface CliPolicyValues {
  readonly ACCOUNT_ID: string;
  /** The region of the stack and its log table. */
  readonly HOME_REGION: string;
  readonly LOG_TABLE_NAME: string;
  readonly STACK_NAME: string;
}

/** The policy as shipped, placeholders and all. */
export function shippedCliPolicy(): PolicyDocument {
  return JSON.parse(readFileSync(CLI_POLICY_FILE, "utf8")) as PolicyDocument;
}

/** The policy with every placeholder replaced; throws if one is left. */
export function filledCliPolicy(values: CliPolicyValues): PolicyDocument {
  let text = readFileSync(CLI_POLICY_FILE, "utf8");
  for (const [placeholder, value] of Object.entries(values)) text = text.replaceAll(placeholder, value);
  const left = text.match(/\b(ACCOUNT_ID|HOME_REGION|LOG_TABLE_NAME|STACK_NAME)\b/);
  if (left) throw new Error(`placeholder ${left[0]} is left in ${CLI_POLICY_FILE.pathname}`);
  return JSON.parse(text) as PolicyDocument;
}

/** A user with only the CLI policy attached, in `values.ACCOUNT_ID`. */
export function cliPrincipal(values: CliPolicyValues): SimulatedPrincipal {
  const user = `arn:aws:iam::${values.ACCOUNT_ID}:user/model-operator`;
  return {
    name: CLI_POLICY,
    arn: user,
    account: values.ACCOUNT_ID,
    policies: [
      { name: "idle-model-stopper-cli", source: shippedCliPolicy(), document: filledCliPolicy(values) },
    ],
    context: {
      "aws:PrincipalArn": user,
      "aws:PrincipalAccount": values.ACCOUNT_ID,
      "aws:PrincipalType": "User",
    },
  };
}
