/**
 * The stopper's log table, read by `history` and `restart`: which table (a flag, the environment, or the stack's
 * `LogTableName` output) and its records. Reads only.
 */

import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { errorMessage, errorName } from "../lambda/adapters/errors.ts";
import { FOLLOW_UPS_INDEX } from "../lambda/adapters/stop-log.ts";
import { isOpenWarning, type StopRecord } from "../lambda/core/stop-record.ts";
import { CliError, type CommandName } from "./errors.ts";
import { checkStackName, checkTableName, maxAttemptsFrom } from "./options.ts";

/** The environment variable that names the log table. */
export const TABLE_ENV = "IDLE_MODEL_STOPPER_TABLE";

/** The stack `cdk deploy` creates by default, and its output that names the table. */
export const DEFAULT_STACK = "IdleModelStopper";
const TABLE_OUTPUT = "LogTableName";

/** The table, where its name came from (shown on stderr), and how hard to try each call to it. */
export interface LogTableRef {
  readonly name: string;
  readonly region: string;
  readonly source: string;
  readonly maxAttempts: number;
  /** The named profile of `--profile`, when one was given. */
  readonly profile?: string;
}

/**
 * Finds the table: `--table`, else $IDLE_MODEL_STOPPER_TABLE, else the `LogTableName` output of the stack (in
 * `region`, where the stack and its table live).
 */
export async function resolveLogTable(
  command: CommandName,
  flags: { readonly table?: string | undefined; readonly stack?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  region: string,
  clientOptions: { readonly profile?: string } = {},
): Promise<LogTableRef> {
  const maxAttempts = maxAttemptsFrom(command, env);
  const common = { region, maxAttempts, ...clientOptions };
  if (flags.table !== undefined) {
    return { name: checkTableName(command, "--table", flags.table), source: "--table", ...common };
  }
  const fromEnv = env[TABLE_ENV];
  if (fromEnv) {
    return { name: checkTableName(command, TABLE_ENV, fromEnv), source: TABLE_ENV, ...common };
  }
  const stack = checkStackName(command, flags.stack ?? DEFAULT_STACK);
  const client = new CloudFormationClient({ retryMode: "adaptive", ...common });
  try {
    const response = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const output = response.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === TABLE_OUTPUT)?.OutputValue;
    if (!output) throw new CliError(`stack ${stack} in ${region} has no ${TABLE_OUTPUT} output`);
    return { name: output, source: `output ${TABLE_OUTPUT} of stack ${stack}`, ...common };
  } catch (error) {
    const why = error instanceof CliError ? error.message : errorMessage(error);
    // Without credentials, neither the stack nor the table can be read: naming the table would not help.
    if (errorName(error) === "CredentialsProviderError")
      throw new CliError(
        `could not read the stack ${stack} for its log table: no AWS credentials were found (${why}). Sign in ` +
          "first: set AWS_PROFILE or pass --profile, run aws sso login, or export AWS_ACCESS_KEY_ID and " +
          "AWS_SECRET_ACCESS_KEY",
        { cause: error },
      );
    throw new CliError(
      `could not find the log table: ${why}. Pass --table NAME, set ${TABLE_ENV}, or name the stack with ` +
        "--stack and its region with --region",
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/** A record as read back (a stop or a warning): the log record's shape, every field but the key possibly missing in old items. */
export type LoggedStop = Partial<StopRecord> & { readonly modelArn: string; readonly stoppedAt: string };

/** Reads records of the log table. */
export class LogTableReader {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly table: LogTableRef) {
    this.client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: table.region,
        retryMode: "adaptive",
        maxAttempts: table.maxAttempts,
        ...(table.profile !== undefined && { profile: table.profile }),
      }),
    );
  }

  /** Every record with `stoppedAt` at or after `since` (ISO-8601): one model's by Query, else all by Scan. */
  async recordsSince(since: string, modelArn?: string): Promise<LoggedStop[]> {
    if (modelArn !== undefined) {
      return this.query({
        KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
        ExpressionAttributeValues: { ":arn": modelArn, ":since": since },
      });
    }
    const records: LoggedStop[] = [];
    await this.reading(async () => {
      const pages = paginateScan(
        { client: this.client },
        {
          TableName: this.table.name,
          FilterExpression: "stoppedAt >= :since",
          ExpressionAttributeValues: { ":since": since },
        },
      );
      for await (const page of pages) records.push(...stopsOf(page.Items));
    });
    return records;
  }

  /**
   * The open warnings (status WARNED) of models in `region`, oldest first, through the `FollowUps` index: the models
   * a run will stop once their warning is due, unless they are used or tagged. The organization mode keys an
   * account's records `<accountId>:<region>`: `accounts` names the accounts whose keys are read too.
   */
  async openWarnings(region: string, accounts: readonly string[] = []): Promise<LoggedStop[]> {
    const keys = [region, ...accounts.map((accountId) => `${accountId}:${region}`)];
    const followed = await Promise.all(
      keys.map((key) =>
        this.query({
          IndexName: FOLLOW_UPS_INDEX,
          KeyConditionExpression: "followUpRegion = :region",
          ExpressionAttributeValues: { ":region": key },
        }),
      ),
    );
    return followed
      .flat()
      .filter(isOpenWarning)
      .sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
  }

  /** Every record of one model, newest first. */
  async recordsOf(modelArn: string): Promise<LoggedStop[]> {
    return this.query({
      KeyConditionExpression: "modelArn = :arn",
      ExpressionAttributeValues: { ":arn": modelArn },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  }

  destroy(): void {
    this.client.destroy();
  }

  private async query(input: Omit<QueryCommandInput, "TableName">): Promise<LoggedStop[]> {
    const records: LoggedStop[] = [];
    await this.reading(async () => {
      for await (const page of paginateQuery(
        { client: this.client },
        { ...input, TableName: this.table.name },
      )) {
        records.push(...stopsOf(page.Items));
      }
    });
    return records;
  }

  /** Names the table in any error, so "ResourceNotFoundException" says which table was not found. */
  private async reading(read: () => Promise<void>): Promise<void> {
    try {
      await read();
    } catch (error) {
      throw new CliError(
        `reading the log table ${this.table.name} in ${this.table.region} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}

/** The items that are stop records; anything else that shares the table (no model ARN, no time) is left out. */
function stopsOf(items: readonly Record<string, unknown>[] | undefined): LoggedStop[] {
  return (items ?? []).filter(
    (item): item is LoggedStop =>
      typeof item.modelArn === "string" &&
      item.modelArn.startsWith("arn:") &&
      typeof item.stoppedAt === "string",
  );
}
