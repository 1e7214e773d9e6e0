/**
 * The Lambda function's permissions, checked on every call it makes in a sandbox world: each call the bundle signs
 * with its own access key is simulated against the synthesized template's policies (the function role, the topic
 * policy, the key policy). A call the deployed role would not be allowed to make fails the invocation that made it.
 */

import { CallGuard } from "./call-guard.ts";
import type { CallRecord } from "./call-log.ts";
import type { CfnTemplate } from "./cfn-template.ts";
import {
  type CheckedCall,
  PermissionChecker,
  type PermissionDeniedError,
  roleSession,
} from "./permission-check.ts";
import { deployedPolicies, type PolicyDocument } from "./template-policies.ts";

/**
 * The access key id the bundle signs with in a sandbox world, like the temporary key Lambda gives a function's
 * role. Only calls signed with it are checked against the role; the harness signs with its own.
 */
export const FUNCTION_ACCESS_KEY_ID = "ASIASANDBOXFUNCTION1";

/** How reports name the function's role. */
export const FUNCTION_ROLE = "function role";

/** How reports name the function's role in the organization mode (issue 11): the hub's, with its own grants. */
export const HUB_ROLE = "hub role (organization mode)";

/** How reports name the follow-up function's role in the organization mode: the hub's, assuming spoke roles too. */
export const HUB_FOLLOW_UP_ROLE = "hub follow-up role (organization mode)";

/** The access key id the follow-up function signs with in a sandbox world: its calls meet its own role. */
export const FOLLOW_UP_ACCESS_KEY_ID = "ASIASANDBOXFOLLOWUP1";

/** How reports name the follow-up function's role. */
export const FOLLOW_UP_ROLE = "follow-up function role";

/** Where the function is deployed in the sandbox, and the physical names the sandbox gives its resources. */
export interface FunctionDeployment {
  readonly template: CfnTemplate;
  readonly account: string;
  readonly region: string;
  /** Physical names by logical id: the sandbox's table and topic. */
  readonly physicalNames: Readonly<Record<string, string>>;
  /**
   * How the proof report names the role. Only {@link FUNCTION_ROLE} and {@link FOLLOW_UP_ROLE}, the roles of this
   * repository's own stack, have their unused grants judged; another stack's role (a consumer's app) is checked for
   * denials only. @default FUNCTION_ROLE
   */
  readonly principalName?: string;
  /**
   * The organization mode (issue 11): the organization's id (the hub's aws:PrincipalOrgID, a member role's
   * aws:ResourceOrgID), and the trust policy of each member account's spoke role by its ARN, which IAM evaluates as
   * the resource policy of sts:AssumeRole. An AssumeRole of a role without one (a missing spoke role) must be refused.
   */
  readonly organization?: {
    readonly id: string;
    readonly trustPolicies: ReadonlyMap<string, PolicyDocument>;
  };
  /** Which function's role: the bundle export it runs, `handler` (the default) or `followUp`. */
  readonly handlerExport?: string;
  /** The key its calls are signed with. @default FUNCTION_ACCESS_KEY_ID */
  readonly accessKeyId?: string;
}

/** Checks the function's calls as they are logged; `settle()` simulates those not yet checked. */
export class FunctionPermissionGuard {
  private readonly guard: CallGuard;

  constructor(deployment: FunctionDeployment) {
    const deployed = deployedPolicies(deployment.template, deployment);
    const role = deployed.functionRole(deployment.handlerExport);
    const functionName = role.functionArn.slice(role.functionArn.lastIndexOf(":") + 1);
    // Lambda runs the function as a session of its role named after the function.
    const principal = roleSession(
      deployment.principalName ?? FUNCTION_ROLE,
      deployment.account,
      role,
      functionName,
      {
        "lambda:SourceFunctionArn": role.functionArn,
        "aws:ViaAWSService": "false",
        ...(deployment.organization && { "aws:PrincipalOrgID": deployment.organization.id }),
      },
    );
    const topicKeys = deployed.topicKeys;
    const organization = deployment.organization;
    const resourcePolicies = new Map([...deployed.resourcePolicies, ...(organization?.trustPolicies ?? [])]);
    const assumesMissingRole = (call: CheckedCall) =>
      call.action === "sts:AssumeRole" && !organization?.trustPolicies.has(call.resource ?? "");
    this.guard = new CallGuard(new PermissionChecker(principal, resourcePolicies), {
      accessKeyId: deployment.accessKeyId ?? FUNCTION_ACCESS_KEY_ID,
      implied: (call) => kmsCallsOfPublish(call, topicKeys),
      ...(organization && {
        // Every member account of the sandbox's organization is in it: the role's aws:ResourceOrgID is its id.
        contextOf: (call: CheckedCall) =>
          call.action === "sts:AssumeRole" ? { "aws:ResourceOrgID": organization.id } : undefined,
        refusedOnPurpose: assumesMissingRole,
      }),
    });
  }

  /** Takes note of a logged call; only the function's own (signed with its access key) are kept. */
  observe(call: CallRecord): void {
    this.guard.observe(call);
  }

  /** Simulates every call noted since the last settle; throws {@link PermissionDeniedError} naming each refused one. */
  settle(): Promise<void> {
    return this.guard.settle();
  }
}

/**
 * The calls AWS makes with the publisher's permissions when it publishes to a topic encrypted with a customer
 * managed key: SNS calls kms:GenerateDataKey and kms:Decrypt on that key.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
function kmsCallsOfPublish(call: CheckedCall, topicKeys: ReadonlyMap<string, string>): CheckedCall[] {
  const key = call.action === "sns:Publish" && call.resource ? topicKeys.get(call.resource) : undefined;
  if (!key) return [];
  const viaSns = {
    region: call.region,
    resource: key,
    via: "SNS for Publish to the encrypted topic",
    context: { "aws:ViaAWSService": "true", "kms:ViaService": `sns.${call.region}.amazonaws.com` },
  };
  return [
    { ...viaSns, operation: "GenerateDataKey", action: "kms:GenerateDataKey" },
    { ...viaSns, operation: "Decrypt", action: "kms:Decrypt" },
  ];
}
