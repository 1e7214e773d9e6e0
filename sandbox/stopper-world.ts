/**
 * A sandbox with the stopper deployed into it: the log table created in dynalite from the synthesized template's
 * own key schema, and the real bundle invoked with the template's environment. Used by the end-to-end tests,
 * `npm run demo` and the benchmarks.
 */

import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { RunSummary } from "../lambda/run.ts";
import { type Invocation, type InvokeOptions, invokeBundle, type SynthesizedFunction } from "./bundle.ts";
import { type Sandbox, type SandboxOptions, startSandbox } from "./index.ts";

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
  /** Invokes the bundle once, as a cold start, with extra environment (e.g. `{ DRY_RUN: "true" }`). */
  invoke(
    env?: Record<string, string>,
    options?: Omit<InvokeOptions, "env">,
  ): Promise<Invocation<StopperSummary>>;
  /** Every item of the log table. */
  items(): Promise<LogItem[]>;
  stop(): Promise<void>;
}

/** Starts a sandbox, creates the log table as the template declares it, and returns the world. */
export async function startStopperWorld(
  fn: SynthesizedFunction,
  options: SandboxOptions = {},
): Promise<StopperWorld> {
  const sandbox = await startSandbox(options);
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
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  // The template's references, resolved to what the sandbox has: the table, and its one SNS topic.
  const refs: Record<string, string> = {};
  for (const [name, { type, logicalId }] of Object.entries(fn.refs)) {
    if (type === "AWS::DynamoDB::Table") refs[name] = LOG_TABLE_NAME;
    else if (type === "AWS::SNS::Topic") refs[name] = sandbox.sns.topicArn;
    else throw new Error(`the sandbox cannot resolve ${name}, a reference to ${logicalId} (${type})`);
  }
  return {
    sandbox,
    env: { ...refs, ...sandbox.env },
    invoke: (env = {}, invokeOptions = {}) =>
      invokeBundle<StopperSummary>(fn, { ...invokeOptions, env: { ...refs, ...sandbox.env, ...env } }),
    async items() {
      const items: LogItem[] = [];
      for await (const page of paginateScan({ client: documents }, { TableName: LOG_TABLE_NAME })) {
        items.push(...((page.Items ?? []) as LogItem[]));
      }
      return items.sort(
        (a, b) => a.modelArn.localeCompare(b.modelArn) || a.stoppedAt.localeCompare(b.stoppedAt),
      );
    },
    async stop() {
      dynamo.destroy();
      await sandbox.stop();
    },
  };
}
