/**
 * CloudFormation, as far as the CLI uses it: DescribeStacks, which `history` and `restart` call to find the log
 * table through the stack's `LogTableName` output. awsQuery, as `@aws-sdk/client-cloudformation` speaks it
 * (form-encoded POST, XML answers). Stacks are put in by the sandbox (a stopper world puts its own), not created.
 */

import { createHash } from "node:crypto";
import type http from "node:http";
import type { WireAnswer } from "./api-model-check.ts";
import type { AnsweredCall } from "./call-log.ts";
import { createQueryEndpoint, escapeXml, type QueryCall, QueryProtocolError } from "./query-protocol.ts";

/** One output of a stack, as DescribeStacks lists it. */
export interface StackOutput {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

/** A stack the sandbox answers for. */
export interface SandboxStack {
  readonly name: string;
  /** The stack's region. @default the sandbox's region */
  readonly region?: string;
  readonly outputs: readonly StackOutput[];
  /** @default CREATE_COMPLETE */
  readonly status?: string;
  /** Epoch ms. @default 2024-01-01T00:00:00Z */
  readonly createdAt?: number;
}

/** A stack as stored: with its region and its ARN (the stack id). */
export interface StoredStack extends Required<Omit<SandboxStack, "outputs">> {
  readonly outputs: readonly StackOutput[];
  readonly stackId: string;
}

const XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const DEFAULT_CREATED_AT = Date.UTC(2024, 0, 1);

/** The stack's id, `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`, the same for the same name. */
export function stackIdOf(account: string, region: string, name: string): string {
  const hex = createHash("sha256").update(`${account}/${region}/${name}`).digest("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:aws:cloudformation:${region}:${account}:stack/${name}/${uuid}`;
}

/** The stacks of one sandbox, per region and name. */
export class StackStore {
  private readonly stacks = new Map<string, StoredStack>();

  constructor(
    private readonly account: string,
    private readonly defaultRegion: string,
  ) {}

  /** Adds a stack, or replaces the one of that name in its region. */
  put(stack: SandboxStack): StoredStack {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stack.name))
      throw new Error(`not a CloudFormation stack name: ${JSON.stringify(stack.name)}`);
    const region = stack.region ?? this.defaultRegion;
    const stored: StoredStack = {
      name: stack.name,
      region,
      outputs: [...stack.outputs],
      status: stack.status ?? "CREATE_COMPLETE",
      createdAt: stack.createdAt ?? DEFAULT_CREATED_AT,
      stackId: stackIdOf(this.account, region, stack.name),
    };
    this.stacks.set(`${region}/${stack.name}`, stored);
    return stored;
  }

  /** The stack of that name or id in the region, or undefined. */
  find(region: string, nameOrId: string): StoredStack | undefined {
    return [...this.stacks.values()].find(
      (stack) => stack.region === region && (stack.name === nameOrId || stack.stackId === nameOrId),
    );
  }

  /** Every stack of a region. */
  inRegion(region: string): StoredStack[] {
    return [...this.stacks.values()].filter((stack) => stack.region === region);
  }

  /** Every stack. */
  all(): StoredStack[] {
    return [...this.stacks.values()];
  }
}

function stackXml(stack: StoredStack): string {
  const outputs = stack.outputs
    .map(
      (output) =>
        `<member><OutputKey>${escapeXml(output.key)}</OutputKey><OutputValue>${escapeXml(output.value)}</OutputValue>` +
        `${output.description === undefined ? "" : `<Description>${escapeXml(output.description)}</Description>`}</member>`,
    )
    .join("");
  return (
    `<member><StackId>${escapeXml(stack.stackId)}</StackId><StackName>${escapeXml(stack.name)}</StackName>` +
    `<CreationTime>${new Date(stack.createdAt).toISOString()}</CreationTime>` +
    `<StackStatus>${escapeXml(stack.status)}</StackStatus><Outputs>${outputs}</Outputs></member>`
  );
}

/**
 * Creates (but does not start) the CloudFormation endpoint over `stacks`. `checkAnswer`, when given, checks every
 * answer against CloudFormation's API model.
 */
export function createCloudFormationEndpoint(
  stacks: StackStore,
  account: string,
  record: (call: AnsweredCall) => void,
  defaultRegion: string,
  checkAnswer?: (answer: WireAnswer) => void,
): http.Server {
  const stackNameOf = ({ form }: QueryCall): string | undefined => form.get("StackName") ?? undefined;
  const describeStacks = (call: QueryCall): string => {
    const stackName = stackNameOf(call);
    const found = stackName === undefined ? undefined : stacks.find(call.region, stackName);
    if (stackName !== undefined && !found)
      throw new QueryProtocolError("ValidationError", `Stack with id ${stackName} does not exist`);
    const listed = found ? [found] : stacks.inRegion(call.region);
    return `<Stacks>${listed.map(stackXml).join("")}</Stacks>`;
  };
  const checkedInput = (call: QueryCall): Record<string, unknown> => {
    const stackName = stackNameOf(call);
    return stackName === undefined ? {} : { StackName: stackName };
  };
  // IAM authorizes DescribeStacks on the stack's ARN; an unknown stack has no id, so its name and any id.
  const keyInput = (call: QueryCall): Record<string, unknown> => {
    const stackName = stackNameOf(call);
    if (stackName === undefined) return {};
    const stackArn =
      stacks.find(call.region, stackName)?.stackId ??
      (stackName.startsWith("arn:")
        ? stackName
        : `arn:aws:cloudformation:${call.region}:${account}:stack/${stackName}/*`);
    return { StackName: stackName, StackArn: stackArn };
  };
  return createQueryEndpoint(
    {
      service: "cloudformation",
      xmlns: XMLNS,
      operations: { DescribeStacks: describeStacks },
      invalidActionMessage: (operation) => `The action ${operation} is not valid for this endpoint`,
      internalErrorCode: "InternalFailure",
      checkedInput,
      keyInput,
    },
    { record, defaultRegion, checkAnswer },
  );
}
