/**
 * The spoke role (issue 11): one IAM role in each member account that the hub's function assumes to find, judge and
 * stop that account's idle models. Its permissions are exactly the stopper's Rekognition and CloudWatch calls, scoped
 * like the hub's own role; the log table, the topic and its key stay in the hub, so it has no DynamoDB, SNS or KMS.
 *
 * `SpokeRoleStack` is the role as a plain CloudFormation template with parameters, for a service-managed StackSet
 * (`npm run spoke-template` writes it to dist/spoke-role.template.json); `SpokeRole` is the construct, for a CDK app
 * that deploys into member accounts itself.
 */

import {
  Aws,
  CfnCondition,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { AccountPrincipal, type CfnRole, Effect, PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

/**
 * The stopper's calls in a member account, the one list both the spoke role and the checks of it read. A new call
 * of the run (a ListMetrics discovery, a StartProjectVersion restart) is added here and in the hub's own role.
 */
export const SPOKE_ACTIONS = {
  /** Calls without resource-level permissions: granted on `*`, limited to the configured regions. */
  anyResourceInRegions: [
    "rekognition:DescribeProjects",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
  ],
  /** Reads of the account's projects and models. */
  projectsAndModels: ["rekognition:DescribeProjectVersions", "rekognition:ListTagsForResource"],
  /**
   * The calls that change a model, in a statement of their own so they are easy to audit: stop an idle model, and
   * start again one the stopper stopped (a regret check that found a late request, a restart tag).
   */
  changeModels: ["rekognition:StopProjectVersion", "rekognition:StartProjectVersion"],
  /**
   * The `<optOutTagKey>:last-action` tag on the models the stopper stopped, warned or started again (its
   * `tagLastAction` setting). The template is static, so it is granted always: the hub simply does not call it
   * while the setting is off.
   */
  tagModels: ["rekognition:TagResource"],
} as const;

/**
 * The hub's follow-up function's role is named after the hub function's: `<HubRoleName>-FollowUp`. The spoke role
 * trusts both, so a stop in a member account can be undone there too, with no second StackSet parameter.
 */
export const FOLLOW_UP_ROLE_SUFFIX = "-FollowUp";

/** Properties of the spoke role; each may be a CloudFormation parameter's token. */
export interface SpokeRoleProps {
  /** The hub's account id. */
  readonly hubAccountId: string;
  /** The name of the hub function's role (`IdleModelStopperHub-<region>` in the hub's stack). */
  readonly hubRoleName: string;
  /** The AWS Organization's id: the role trusts the hub only from inside it (`aws:PrincipalOrgID`). */
  readonly organizationId: string;
  /** The regions the stopper serves: calls elsewhere are refused (`aws:RequestedRegion`). */
  readonly regions: string[];
  /**
   * The role's name: the hub's `spokeRoleName`.
   * @default "IdleModelStopperSpoke"
   */
  readonly roleName?: string;
  /**
   * An `sts:ExternalId` the hub must pass too.
   * @default - none: the exact principal and the organization condition are the guard
   */
  readonly externalId?: string;
}

/** The role the hub assumes in a member account. */
export class SpokeRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SpokeRoleProps) {
    super(scope, id);
    const hubRoleArn = `arn:${Aws.PARTITION}:iam::${props.hubAccountId}:role/${props.hubRoleName}`;
    const followUpRoleArn = `${hubRoleArn}${FOLLOW_UP_ROLE_SUFFIX}`;
    // The account as the principal, narrowed to the hub's two roles by aws:PrincipalArn: a role ARN as the principal
    // would make IAM refuse this role until the hub's role exists (so the StackSet could not go first), and would
    // turn into a unique id that no longer matches if the hub's role is deleted and created again.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
    this.role = new Role(this, "Role", {
      roleName: props.roleName ?? "IdleModelStopperSpoke",
      description:
        "Lets the idle model stopper's hub find, judge and stop idle Rekognition Custom Labels models here",
      assumedBy: new AccountPrincipal(props.hubAccountId).withConditions({
        ArnEquals: { "aws:PrincipalArn": [hubRoleArn, followUpRoleArn] },
        StringEquals: {
          "aws:PrincipalOrgID": props.organizationId,
          ...(props.externalId !== undefined && { "sts:ExternalId": props.externalId }),
        },
      }),
    });
    const inRegions = { StringEquals: { "aws:RequestedRegion": props.regions } };
    // Every region's projects of this account; the region condition keeps the calls to the configured regions.
    const projects = `arn:${Aws.PARTITION}:rekognition:*:${Aws.ACCOUNT_ID}:project/*`;
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...SPOKE_ACTIONS.anyResourceInRegions],
        resources: ["*"],
        conditions: inRegions,
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...SPOKE_ACTIONS.projectsAndModels],
        resources: [projects],
        conditions: inRegions,
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...SPOKE_ACTIONS.changeModels],
        resources: [projects],
        conditions: inRegions,
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...SPOKE_ACTIONS.tagModels],
        resources: [`arn:${Aws.PARTITION}:rekognition:*:${Aws.ACCOUNT_ID}:project/*/version/*/*`],
        conditions: inRegions,
      }),
    );
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "rekognition:DescribeProjects and cloudwatch:GetMetricData have no resource-level permissions; both are " +
        "limited by an aws:RequestedRegion condition to the configured regions.",
    });
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*]",
      reason:
        "Models are found at run time (their ARNs end in a creation timestamp), so the reads and the stop are " +
        "granted on this account's project/*, in the configured regions only (aws:RequestedRegion).",
    });
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*/version/*/*]",
      reason:
        "The last-action tag goes on the models the stopper stopped, warned or started again, found at run time: " +
        "rekognition:TagResource is granted on this account's model ARNs only (never its projects), in the " +
        "configured regions only (aws:RequestedRegion).",
    });
  }
}

/** The parameters of the spoke template, as a StackSet passes them. */
export const SPOKE_PARAMETERS = {
  HubAccountId: "The hub account's id: where the idle-model-stopper stack is deployed",
  HubRoleName:
    "The hub function's role name: IdleModelStopperHub-<the hub's region> (its follow-up function's role, trusted " +
    "too, is this name with -FollowUp)",
  OrganizationId: "The AWS Organization's id (o-…): the hub is trusted only from inside it",
  Regions: "The regions the hub serves, comma-separated, e.g. us-east-1,eu-west-1",
  RoleName: "The spoke role's name: the hub's spokeRoleName setting",
  ExternalId: "An sts:ExternalId the hub must pass (its spokeExternalId setting); empty for none",
} as const;

/** The spoke role in a stack of its own, every property a CloudFormation parameter: the StackSet's template. */
export class SpokeRoleStack extends Stack {
  readonly spoke: SpokeRole;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description:
        "The idle model stopper's spoke role: lets the hub account stop idle Custom Labels models here",
      // A plain template for StackSets: no bootstrap version parameter or rule, no CDK metadata resource.
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
      ...props,
    });
    const parameter = (
      name: keyof typeof SPOKE_PARAMETERS,
      options: Omit<ConstructorParameters<typeof CfnParameter>[2], "description"> = {},
    ) => new CfnParameter(this, name, { type: "String", description: SPOKE_PARAMETERS[name], ...options });
    const hubAccountId = parameter("HubAccountId", { allowedPattern: "^\\d{12}$" });
    const hubRoleName = parameter("HubRoleName", { allowedPattern: "^[\\w+=,.@-]{1,55}$" });
    const organizationId = parameter("OrganizationId", { allowedPattern: "^o-[a-z0-9]{10,32}$" });
    const regions = parameter("Regions", { type: "CommaDelimitedList" });
    const roleName = parameter("RoleName", {
      default: "IdleModelStopperSpoke",
      allowedPattern: "^[\\w+=,.@-]{1,64}$",
    });
    const externalId = parameter("ExternalId", { default: "", allowedPattern: "^([\\w+=,.@:/-]{2,1224})?$" });
    const hasExternalId = new CfnCondition(this, "HasExternalId", {
      expression: Fn.conditionNot(Fn.conditionEquals(externalId.valueAsString, "")),
    });
    this.spoke = new SpokeRole(this, "Spoke", {
      hubAccountId: hubAccountId.valueAsString,
      hubRoleName: hubRoleName.valueAsString,
      organizationId: organizationId.valueAsString,
      regions: regions.valueAsList,
      roleName: roleName.valueAsString,
      externalId: externalId.valueAsString,
    });
    // With no external id given, the condition on it is left out (a condition on "" would refuse every call).
    const cfnRole = this.spoke.role.node.defaultChild as CfnRole;
    const stack = Stack.of(this);
    const trust = stack.resolve((cfnRole.assumeRolePolicyDocument as { toJSON(): unknown }).toJSON()) as {
      Statement: { Condition: { StringEquals: Record<string, unknown> } }[];
    };
    const [statement] = trust.Statement;
    if (!statement) throw new Error("the spoke role has no trust statement");
    const { "sts:ExternalId": _external, ...withoutExternalId } = statement.Condition.StringEquals;
    cfnRole.addPropertyOverride(
      "AssumeRolePolicyDocument.Statement.0.Condition.StringEquals",
      Fn.conditionIf(hasExternalId.logicalId, statement.Condition.StringEquals, withoutExternalId),
    );
  }
}
