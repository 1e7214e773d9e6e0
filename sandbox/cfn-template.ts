/**
 * A synthesized CloudFormation template read as a deployment would see it: `Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Sub`, `Fn::Select` and `Fn::Split` resolved with an account, a region and physical names, so its IAM policies
 * can be simulated. Anything it cannot resolve is an error naming it, never a guess: a policy resolved wrongly would
 * make the permission check prove the wrong thing.
 */

/** A template as `cdk synth` writes it (the parts read here). */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  /** The template's conditions, for `Fn::If` (the spoke role's template has one). */
  readonly Conditions?: Readonly<Record<string, unknown>>;
}

/** One resource of a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** Where the stack is deployed, and the names its resources get. */
export interface Deployment {
  readonly account: string;
  readonly region: string;
  /** @default "aws" */
  readonly partition?: string;
  /** @default "IdleModelStopper" */
  readonly stackName?: string;
  /**
   * Physical names by logical id, for resources whose name the test knows (the sandbox's table and topic); others get
   * `<stack>-<logical id>`, as CloudFormation names them (less its random suffix).
   */
  readonly physicalNames?: Readonly<Record<string, string>>;
  /** Values of the template's parameters (a CommaDelimitedList as a list), e.g. the spoke template's. */
  readonly parameters?: Readonly<Record<string, string | readonly string[]>>;
}

/** A template that cannot be resolved: names the intrinsic, reference or resource type. */
export class TemplateResolutionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TemplateResolutionError";
  }
}

// The property that names each resource type when the template sets it, and how its Ref and Arn read.
interface TypeRule {
  readonly nameProperty?: string;
  readonly ref: (name: string, at: Required<Omit<Deployment, "physicalNames" | "parameters">>) => string;
  readonly arn?: (name: string, at: Required<Omit<Deployment, "physicalNames" | "parameters">>) => string;
}

const TYPE_RULES: Readonly<Record<string, TypeRule>> = {
  "AWS::DynamoDB::Table": {
    nameProperty: "TableName",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:dynamodb:${at.region}:${at.account}:table/${name}`,
  },
  "AWS::SNS::Topic": {
    nameProperty: "TopicName",
    ref: (name, at) => `arn:${at.partition}:sns:${at.region}:${at.account}:${name}`,
  },
  "AWS::SQS::Queue": {
    nameProperty: "QueueName",
    ref: (name, at) => `https://sqs.${at.region}.amazonaws.com/${at.account}/${name}`,
    arn: (name, at) => `arn:${at.partition}:sqs:${at.region}:${at.account}:${name}`,
  },
  "AWS::KMS::Key": {
    // A key's id is a UUID CloudFormation chooses; the name stands in for it.
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:kms:${at.region}:${at.account}:key/${name}`,
  },
  "AWS::Lambda::Function": {
    nameProperty: "FunctionName",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:lambda:${at.region}:${at.account}:function:${name}`,
  },
  "AWS::IAM::Role": {
    nameProperty: "RoleName",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:iam::${at.account}:role/${name}`,
  },
  "AWS::IAM::Policy": { nameProperty: "PolicyName", ref: (name) => name },
  "AWS::Logs::LogGroup": {
    nameProperty: "LogGroupName",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:logs:${at.region}:${at.account}:log-group:${name}:*`,
  },
  "AWS::CloudWatch::Alarm": {
    nameProperty: "AlarmName",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:cloudwatch:${at.region}:${at.account}:alarm:${name}`,
  },
  "AWS::StepFunctions::StateMachine": {
    nameProperty: "StateMachineName",
    ref: (name, at) => `arn:${at.partition}:states:${at.region}:${at.account}:stateMachine:${name}`,
  },
  "AWS::CloudWatch::Dashboard": { nameProperty: "DashboardName", ref: (name) => name },
  "AWS::Scheduler::Schedule": {
    nameProperty: "Name",
    ref: (name) => name,
    arn: (name, at) => `arn:${at.partition}:scheduler:${at.region}:${at.account}:schedule/default/${name}`,
  },
};

/** Resolves the intrinsic functions of a template's values for one deployment. */
export class TemplateResolver {
  private readonly at: Required<Omit<Deployment, "physicalNames" | "parameters">>;

  constructor(
    readonly template: CfnTemplate,
    private readonly deployment: Deployment,
  ) {
    this.at = {
      account: deployment.account,
      region: deployment.region,
      partition: deployment.partition ?? "aws",
      stackName: deployment.stackName ?? "IdleModelStopper",
    };
  }

  /** The value with every intrinsic function replaced by what CloudFormation would put there. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === "Ref" || first[0].startsWith("Fn::"))) {
      return this.intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  /** A value that must resolve to a string, e.g. an ARN. */
  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== "string")
      throw new TemplateResolutionError(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  /** The physical name of a resource. */
  nameOf(logicalId: string): string {
    const resource = this.resource(logicalId);
    const given = this.deployment.physicalNames?.[logicalId];
    if (given !== undefined) return given;
    const nameProperty = TYPE_RULES[resource.Type]?.nameProperty;
    const named = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
    return named === undefined ? `${this.at.stackName}-${logicalId}` : this.resolveString(named);
  }

  /** What `Ref` of a resource or pseudo parameter gives. */
  ref(name: string): string {
    const pseudo: Record<string, string> = {
      "AWS::AccountId": this.at.account,
      "AWS::Region": this.at.region,
      "AWS::Partition": this.at.partition,
      "AWS::URLSuffix": this.at.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
      "AWS::StackName": this.at.stackName,
      "AWS::StackId": `arn:${this.at.partition}:cloudformation:${this.at.region}:${this.at.account}:stack/${this.at.stackName}/00000000-0000-4000-8000-000000000000`,
    };
    if (name.startsWith("AWS::")) {
      const value = pseudo[name];
      if (value === undefined) throw new TemplateResolutionError(`unsupported pseudo parameter ${name}`);
      return value;
    }
    return this.rule(name).ref(this.nameOf(name), this.at);
  }

  /** What `Fn::GetAtt` of a resource's attribute gives (Arn, and the name attributes). */
  getAtt(logicalId: string, attribute: string): string {
    const rule = this.rule(logicalId);
    const name = this.nameOf(logicalId);
    if (attribute === "Arn" && rule.arn) return rule.arn(name, this.at);
    if (attribute === "Arn") return rule.ref(name, this.at);
    if (["TopicName", "QueueName", "KeyId"].includes(attribute)) return name;
    const type = this.resource(logicalId).Type;
    throw new TemplateResolutionError(`cannot resolve Fn::GetAtt ${logicalId}.${attribute} (${type})`);
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new TemplateResolutionError(`the template has no resource ${logicalId}`);
    return resource;
  }

  private rule(logicalId: string): TypeRule {
    const type = this.resource(logicalId).Type;
    const rule = TYPE_RULES[type];
    if (!rule) throw new TemplateResolutionError(`cannot resolve a reference to ${logicalId} (${type})`);
    return rule;
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case "Ref": {
        const parameter = this.deployment.parameters?.[String(argument)];
        return parameter !== undefined ? parameter : this.ref(String(argument));
      }
      case "Fn::If": {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      case "Fn::GetAtt": {
        const [logicalId, attribute] =
          typeof argument === "string" ? argument.split(/\.(.*)/s) : (argument as unknown[]);
        return this.getAtt(String(logicalId), String(attribute));
      }
      case "Fn::Join": {
        const [separator, items] = argument as [string, unknown];
        const resolved = this.resolve(items);
        if (!Array.isArray(resolved))
          throw new TemplateResolutionError(`Fn::Join of a non-list: ${JSON.stringify(argument)}`);
        return resolved.map(String).join(separator);
      }
      case "Fn::Sub":
        return this.sub(argument);
      case "Fn::Select": {
        const [index, items] = argument as [unknown, unknown];
        const list = this.resolve(items);
        const at = Number(this.resolve(index));
        if (!Array.isArray(list) || !Number.isInteger(at) || at < 0 || at >= list.length)
          throw new TemplateResolutionError(`Fn::Select out of range: ${JSON.stringify(argument)}`);
        return list[at];
      }
      case "Fn::Split": {
        const [separator, source] = argument as [string, unknown];
        return this.resolveString(source).split(separator);
      }
      default:
        throw new TemplateResolutionError(`unsupported intrinsic function ${name}`);
    }
  }

  /** A template condition's value: Fn::Equals, Fn::Not, Fn::And, Fn::Or and references to other conditions. */
  private condition(name: string): boolean {
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new TemplateResolutionError(`the template has no condition ${name}`);
    return this.evaluate(expression);
  }

  private evaluate(expression: unknown): boolean {
    const [[name, argument] = []] = Object.entries(expression as Record<string, unknown>);
    const items = argument as unknown[];
    switch (name) {
      case "Condition":
        return this.condition(String(argument));
      case "Fn::Equals":
        return JSON.stringify(this.resolve(items[0])) === JSON.stringify(this.resolve(items[1]));
      case "Fn::Not":
        return !this.evaluate(items[0]);
      case "Fn::And":
        return items.every((item) => this.evaluate(item));
      case "Fn::Or":
        return items.some((item) => this.evaluate(item));
      default:
        throw new TemplateResolutionError(`unsupported condition function ${name}`);
    }
  }

  // Fn::Sub: `${Name}` is a Ref, `${Name.Attr}` a GetAtt, `${!Text}` the literal `${Text}`; the list form adds
  // variables of its own. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
  private sub(argument: unknown): string {
    const [text, variables = {}] = (typeof argument === "string" ? [argument] : argument) as [
      string,
      Record<string, unknown>?,
    ];
    return text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (Object.hasOwn(variables, name)) return this.resolveString(variables[name]);
      const dot = name.indexOf(".");
      return dot < 0 ? this.ref(name) : this.getAtt(name.slice(0, dot), name.slice(dot + 1));
    });
  }
}

/**
 * A template value as a person reads it, references unresolved: `${AWS::Region}`, `${LogTable.Arn}` (Fn::Sub's
 * syntax). Used to name a grant the same way whatever account and region a test deployed to.
 */
export function renderTemplateValue(value: unknown): string {
  if (typeof value === "string") return value;
  const intrinsic = (value ?? {}) as Record<string, unknown>;
  if (typeof intrinsic.Ref === "string") return `\${${intrinsic.Ref}}`;
  const getAtt = intrinsic["Fn::GetAtt"];
  if (Array.isArray(getAtt)) return `\${${getAtt.join(".")}}`;
  const join = intrinsic["Fn::Join"] as [string, unknown[]] | undefined;
  if (join) return join[1].map(renderTemplateValue).join(join[0]);
  const sub = intrinsic["Fn::Sub"];
  if (typeof sub === "string") return sub;
  if (Array.isArray(sub) && typeof sub[0] === "string") return sub[0];
  return JSON.stringify(value);
}
