/**
 * A sandbox with the stopper deployed into it: the log table created in dynalite from the synthesized template's
 * own key schema, and the real bundle invoked with the template's environment. Used by the end-to-end tests,
 * `npm run demo` and the benchmarks.
 */

import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { FollowUpSummary } from "../lambda/follow-up.ts";
import type { RunSummary } from "../lambda/run.ts";
import {
  type Invocation,
  type InvokeOptions,
  invokeBundle,
  REPOSITORY_STACK,
  type SynthesizedFunction,
} from "./bundle.ts";
import { pinnedClock } from "./clock.ts";
import {
  FOLLOW_UP_ACCESS_KEY_ID,
  FOLLOW_UP_ROLE,
  FUNCTION_ACCESS_KEY_ID,
  FunctionPermissionGuard,
  HUB_FOLLOW_UP_ROLE,
  HUB_ROLE,
} from "./function-permissions.ts";
import { type Sandbox, type SandboxOptions, startSandbox } from "./index.ts";
import { stackOutputs } from "./stack-outputs.ts";
import type { PolicyDocument } from "./template-policies.ts";

/** The name the log table gets in the sandbox. */
export const LOG_TABLE_NAME = "idle-model-stopper-log";

/** The summary the handler returns, read back over the process boundary as JSON. */
export type StopperSummary = RunSummary;

/** A stop record as read back from the table. */
export type LogItem = Record<string, unknown> & { modelArn: string; stoppedAt: string; status: string };

/** A running sandbox with the stopper's table, and a way to invoke the stopper. */
export interface StopperWorld {
  readonly sandbox: Sandbox;
  /** What the world adds to the template's environment: its references resolved, endpoints and credentials. */
  readonly env: Readonly<Record<string, string>>;
  /** The world's clock (epoch ms): the sandbox's, and the instant each invocation's function clock starts at. */
  readonly clock: () => number;
  /**
   * Invokes the bundle once, as a cold start, with extra environment (e.g. `{ DRY_RUN: "true" }`). The function's
   * clock starts at the world's now unless `clockStart` says otherwise. The bundle signs with a key of its own, and
   * each call it made is simulated against the template's policies: the invocation rejects with a
   * PermissionDeniedError naming every call the deployed role would not be allowed to make.
   */
  invoke(
    env?: Record<string, string>,
    options?: Omit<InvokeOptions, "env">,
  ): Promise<Invocation<StopperSummary>>;
  /**
   * Invokes the follow-up function (the same bundle's `followUp` export) once, as a cold start, signing with a key
   * of its own so that each call it made is simulated against the follow-up function's role.
   */
  invokeFollowUp(
    env?: Record<string, string>,
    options?: Omit<InvokeOptions, "env">,
  ): Promise<Invocation<FollowUpSummary>>;
  /** Every item of the log table. */
  items(): Promise<LogItem[]>;
  /**
   * Writes an item into the log table as the harness, e.g. a record an earlier version of the stopper wrote. Absent
   * on a world whose table is another backend's (moto-world.ts).
   */
  putItem?(item: Record<string, unknown>): Promise<void>;
  /** Stops the sandbox; rejects if a call that arrived after its invocation ended would have been denied. */
  stop(): Promise<void>;
}

/**
 * Starts a sandbox, creates the log table as the template declares it, and returns the world. Its clock is
 * `options.clock`, by default {@link pinnedClock} from PINNED_START_MILLIS: seeding, the sandbox and every
 * invocation's function read that one clock, so no decision depends on the minute the wall shows.
 */
export async function startStopperWorld(
  fn: SynthesizedFunction,
  options: SandboxOptions & {
    /** The organization mode's permission facts (see FunctionDeployment.organization). */
    readonly trustPolicies?: ReadonlyMap<string, PolicyDocument>;
  } = {},
): Promise<StopperWorld> {
  // Calls are checked against the role the template deploys, with the sandbox's table and topic as its resources.
  let guard: FunctionPermissionGuard | undefined;
  let followUpGuard: FunctionPermissionGuard | undefined;
  const clock = options.clock ?? pinnedClock();
  const sandbox = await startSandbox({
    ...options,
    clock,
    onCall: (call) => {
      guard?.observe(call);
      followUpGuard?.observe(call);
      options.onCall?.(call);
    },
  });
  const refIds = (type: string) =>
    Object.values(fn.refs)
      .filter((ref) => ref.type === type)
      .map((ref) => ref.logicalId);
  const deployment = {
    template: fn.template,
    account: sandbox.account,
    region: sandbox.region,
    physicalNames: Object.fromEntries([
      ...refIds("AWS::DynamoDB::Table").map((id) => [id, LOG_TABLE_NAME]),
      ...refIds("AWS::SNS::Topic").map((id) => [id, sandbox.sns.topicArn.split(":").at(-1) as string]),
    ]),
  };
  const ownStack = fn.stackName === REPOSITORY_STACK;
  const organization = options.organization && {
    id: options.organization.id,
    trustPolicies: options.trustPolicies ?? new Map(),
  };
  try {
    guard = new FunctionPermissionGuard({
      ...deployment,
      ...(!ownStack && { principalName: `function role of stack ${fn.stackName}` }),
      // In the organization mode the hub's role is another template's: its grants are judged on their own.
      ...(organization && { principalName: HUB_ROLE, organization }),
    });
    if (fn.followUp)
      followUpGuard = new FunctionPermissionGuard({
        ...deployment,
        handlerExport: "followUp",
        accessKeyId: FOLLOW_UP_ACCESS_KEY_ID,
        principalName: ownStack ? FOLLOW_UP_ROLE : `${FOLLOW_UP_ROLE} of stack ${fn.stackName}`,
        ...(organization && { principalName: HUB_FOLLOW_UP_ROLE, organization }),
      });
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  const checked = guard;
  const settleAll = async () => {
    await checked.settle();
    await followUpGuard?.settle();
  };
  const dynamo = new DynamoDBClient({
    region: sandbox.region,
    endpoint: sandbox.endpoints.dynamodb,
    credentials: {
      accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
    },
  });
  const documents = DynamoDBDocumentClient.from(dynamo);
  try {
    await createLogTable(dynamo, fn);
    // The stack answers DescribeStacks with its outputs, so the CLI finds the table as it does in AWS.
    sandbox.cloudformation.putStack({
      name: fn.stackName,
      outputs: stackOutputs(fn, {
        account: sandbox.account,
        region: sandbox.region,
        tableName: LOG_TABLE_NAME,
        topicArn: sandbox.sns.topicArn,
      }),
    });
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  const refs = resolveFunctionRefs(fn, {
    tableName: LOG_TABLE_NAME,
    topicArn: sandbox.sns.topicArn,
    account: sandbox.account,
  });
  return {
    sandbox,
    clock,
    env: { ...refs, ...sandbox.env, AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY_ID },
    async invoke(env = {}, invokeOptions = {}) {
      const invocation = await invokeBundle<StopperSummary>(fn, {
        clockStart: clock(),
        ...invokeOptions,
        env: { ...refs, ...sandbox.env, AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY_ID, ...env },
      });
      await settleAll();
      return invocation;
    },
    async invokeFollowUp(env = {}, invokeOptions = {}) {
      const followUp = fn.followUp;
      if (!followUp) throw new Error(`the template of ${fn.stackName} has no follow-up function`);
      const invocation = await invokeBundle<FollowUpSummary>(
        { ...fn, ...followUp },
        {
          clockStart: clock(),
          ...invokeOptions,
          env: {
            ...resolveFunctionRefs(
              { ...fn, ...followUp },
              { tableName: LOG_TABLE_NAME, topicArn: sandbox.sns.topicArn, account: sandbox.account },
            ),
            ...sandbox.env,
            AWS_ACCESS_KEY_ID: FOLLOW_UP_ACCESS_KEY_ID,
            ...env,
          },
        },
      );
      await settleAll();
      return invocation;
    },
    items: () => scanLogItems(documents),
    async putItem(item) {
      await documents.send(new PutCommand({ TableName: LOG_TABLE_NAME, Item: item }));
    },
    async stop() {
      dynamo.destroy();
      await sandbox.stop();
      // A call whose caller was killed is logged when its connection closes, possibly after the invocation ended.
      await settleAll();
    },
  };
}

/** Creates the log table as the template declares it: its key schema, attribute definitions and indexes. */
export async function createLogTable(dynamo: DynamoDBClient, fn: SynthesizedFunction): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: LOG_TABLE_NAME,
      KeySchema: fn.table.keySchema,
      AttributeDefinitions: fn.table.attributeDefinitions,
      ...(fn.table.globalSecondaryIndexes.length > 0 && {
        GlobalSecondaryIndexes: fn.table.globalSecondaryIndexes,
      }),
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}

/** The function's environment variables that reference other resources, resolved to the world's table and topic. */
export function resolveFunctionRefs(
  fn: SynthesizedFunction,
  resources: { readonly tableName: string; readonly topicArn: string; readonly account?: string },
): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const [name, { type, logicalId }] of Object.entries(fn.refs)) {
    // The organization mode tells the function its account and partition (HUB_ACCOUNT_ID, HUB_PARTITION).
    if (logicalId === "AWS::AccountId" && resources.account) refs[name] = resources.account;
    else if (logicalId === "AWS::Partition") refs[name] = "aws";
    else if (type === "AWS::DynamoDB::Table") refs[name] = resources.tableName;
    else if (type === "AWS::SNS::Topic") refs[name] = resources.topicArn;
    else throw new Error(`the test world cannot resolve ${name}, a reference to ${logicalId} (${type})`);
  }
  return refs;
}

/** Every item of the log table, sorted by model ARN and then by `stoppedAt`. */
export async function scanLogItems(documents: DynamoDBDocumentClient): Promise<LogItem[]> {
  const items: LogItem[] = [];
  for await (const page of paginateScan({ client: documents }, { TableName: LOG_TABLE_NAME })) {
    items.push(...((page.Items ?? []) as LogItem[]));
  }
  return items.sort((a, b) => a.modelArn.localeCompare(b.modelArn) || a.stoppedAt.localeCompare(b.stoppedAt));
}
