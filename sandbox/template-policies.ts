/**
 * What a synthesized template grants, resolved for one deployment: each role's identity policies (as deployed and
 * as written, so a grant can be named the same way in every test), and the resource policies of its topics, keys and
 * queues. The permission check (permission-check.ts) simulates calls against them.
 */

import {
  type CfnTemplate,
  type Deployment,
  TemplateResolutionError,
  TemplateResolver,
} from "./cfn-template.ts";

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[] | PolicyStatement;
}

/** One statement, as IAM reads it. */
export type PolicyStatement = Readonly<Record<string, unknown>>;

/** One identity policy: as deployed (resolved) and as written (for naming grants). */
export interface NamedPolicy {
  readonly name: string;
  /** The document with every reference resolved: what the simulator evaluates. */
  readonly document: PolicyDocument;
  /** The document as the template or file writes it, statement for statement: what grants are named after. */
  readonly source: PolicyDocument;
}

/** A role of the template, with its policies. */
export interface TemplateRole {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly policies: readonly NamedPolicy[];
  /** Who may assume the role: its AssumeRolePolicyDocument, resolved (the role's resource policy). */
  readonly trustPolicy: PolicyDocument;
}

/** The template's IAM, resolved for one deployment. */
export interface DeployedPolicies {
  readonly resolver: TemplateResolver;
  /** A role by logical id; throws when it is not a role or has a policy the check cannot read. */
  role(logicalId: string): TemplateRole;
  /**
   * The role of the template's Lambda function whose handler is that export of the bundle: `handler` (the nightly
   * function, the default) or `followUp`.
   */
  functionRole(handlerExport?: string): TemplateRole & { readonly functionArn: string };
  /** The role each EventBridge Scheduler schedule assumes, with the schedule's target and dead-letter queue. */
  scheduleRoles(): (TemplateRole & { readonly targetArn: string; readonly deadLetterArn?: string })[];
  /** Resource policies by the ARN of the resource they protect: topic policies, key policies, queue policies. */
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument>;
  /** The KMS key ARN of each encrypted topic, by topic ARN. */
  readonly topicKeys: ReadonlyMap<string, string>;
  /** Every CloudWatch alarm's ARN. */
  readonly alarmArns: readonly string[];
}

/** A role policy the check cannot read (an AWS managed policy, whose text is not in the template). */
export class UnreadablePolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnreadablePolicyError";
  }
}

type Resources = CfnTemplate["Resources"];

const refTo = (value: unknown): string | undefined =>
  value && typeof value === "object" && typeof (value as { Ref?: unknown }).Ref === "string"
    ? (value as { Ref: string }).Ref
    : undefined;

const getAttOf = (value: unknown): string | undefined => {
  const getAtt = (value as { "Fn::GetAtt"?: unknown } | undefined)?.["Fn::GetAtt"];
  return Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
};

/** Reads the template's IAM for a deployment. */
export function deployedPolicies(template: CfnTemplate, deployment: Deployment): DeployedPolicies {
  const resolver = new TemplateResolver(template, deployment);
  const resources: Resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const role = (logicalId: string): TemplateRole => {
    const resource = resources[logicalId];
    if (resource?.Type !== "AWS::IAM::Role")
      throw new TemplateResolutionError(`${logicalId} is not an AWS::IAM::Role`);
    const properties = resource.Properties ?? {};
    if (properties.ManagedPolicyArns !== undefined)
      throw new UnreadablePolicyError(
        `role ${logicalId} has managed policies (${JSON.stringify(properties.ManagedPolicyArns)}), whose text the template does not hold`,
      );
    const inline = (
      (properties.Policies ?? []) as { PolicyName: unknown; PolicyDocument: PolicyDocument }[]
    ).map((policy) => ({ name: resolver.resolveString(policy.PolicyName), source: policy.PolicyDocument }));
    const attached = ofType("AWS::IAM::Policy")
      .filter(([, policy]) =>
        ((policy.Properties?.Roles ?? []) as unknown[]).some((r) => refTo(r) === logicalId),
      )
      .map(([id, policy]) => ({ name: id, source: policy.Properties?.PolicyDocument as PolicyDocument }));
    return {
      logicalId,
      name: resolver.nameOf(logicalId),
      arn: resolver.getAtt(logicalId, "Arn"),
      trustPolicy: resolver.resolve(properties.AssumeRolePolicyDocument) as PolicyDocument,
      policies: [...inline, ...attached].map((policy) => ({
        ...policy,
        document: resolver.resolve(policy.source) as PolicyDocument,
      })),
    };
  };

  const functionRole = (handlerExport = "handler") => {
    const found = ofType("AWS::Lambda::Function").filter(([, fn]) =>
      String(fn.Properties?.Handler ?? "").endsWith(`.${handlerExport}`),
    );
    const [entry] = found;
    if (found.length !== 1 || !entry)
      throw new TemplateResolutionError(
        `expected one Lambda function with a .${handlerExport}, found ${found.length}`,
      );
    const roleId = getAttOf(entry[1].Properties?.Role);
    if (!roleId) throw new TemplateResolutionError(`function ${entry[0]} has no role of the template`);
    return { ...role(roleId), functionArn: resolver.getAtt(entry[0], "Arn") };
  };

  const scheduleRoles = () =>
    ofType("AWS::Scheduler::Schedule").map(([id, schedule]) => {
      const target = (schedule.Properties?.Target ?? {}) as Record<string, unknown>;
      const roleId = getAttOf(target.RoleArn);
      if (!roleId) throw new TemplateResolutionError(`schedule ${id} has no role of the template`);
      const deadLetter = (target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
      return {
        ...role(roleId),
        targetArn: resolver.resolveString(target.Arn),
        ...(deadLetter !== undefined && { deadLetterArn: resolver.resolveString(deadLetter) }),
      };
    });

  const resourcePolicies = new Map<string, PolicyDocument>();
  for (const [, policy] of ofType("AWS::SNS::TopicPolicy")) {
    const document = resolver.resolve(policy.Properties?.PolicyDocument) as PolicyDocument;
    for (const topic of (policy.Properties?.Topics ?? []) as unknown[])
      resourcePolicies.set(resolver.resolveString(topic), document);
  }
  for (const [, policy] of ofType("AWS::SQS::QueuePolicy")) {
    const document = resolver.resolve(policy.Properties?.PolicyDocument) as PolicyDocument;
    for (const queue of (policy.Properties?.Queues ?? []) as unknown[]) {
      const queueId = refTo(queue);
      if (!queueId)
        throw new TemplateResolutionError(`a queue policy names a queue by ${JSON.stringify(queue)}`);
      resourcePolicies.set(resolver.getAtt(queueId, "Arn"), document);
    }
  }
  for (const [id, key] of ofType("AWS::KMS::Key")) {
    resourcePolicies.set(
      resolver.getAtt(id, "Arn"),
      resolver.resolve(key.Properties?.KeyPolicy) as PolicyDocument,
    );
  }
  const topicKeys = new Map<string, string>();
  for (const [id, topic] of ofType("AWS::SNS::Topic")) {
    const key = topic.Properties?.KmsMasterKeyId;
    if (key !== undefined) topicKeys.set(resolver.ref(id), resolver.resolveString(key));
  }
  const alarmArns = ofType("AWS::CloudWatch::Alarm").map(([id]) => resolver.getAtt(id, "Arn"));

  return { resolver, role, functionRole, scheduleRoles, resourcePolicies, topicKeys, alarmArns };
}
