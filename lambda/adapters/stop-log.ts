/** DynamoDB: the log table of stops. A record is written before the stop call and updated after it. */

import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { StopRecord } from "../core/stop-record.ts";

/** The log table operations the run needs. */
export interface StopLog {
  /** Every record of a model with `stoppedAt` at or after `since` (ISO-8601), newest first. */
  recordsSince(modelArn: string, since: string): Promise<StopRecord[]>;
  /** Writes a new record; fails rather than overwrite one with the same key. */
  writeIntent(record: StopRecord): Promise<void>;
  /** Sets the status of an existing record once StopProjectVersion has answered. */
  recordOutcome(modelArn: string, stoppedAt: string, status: string, completedAt: string): Promise<void>;
}

/** The SDK-backed {@link StopLog}. */
export class DynamoStopLog implements StopLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordsSince(modelArn: string, since: string): Promise<StopRecord[]> {
    const records: StopRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
          ExpressionAttributeValues: { ":arn": modelArn, ":since": since },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...((page.Items ?? []) as StopRecord[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async writeIntent(record: StopRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: record,
        ConditionExpression: "attribute_not_exists(modelArn)",
      }),
    );
  }

  async recordOutcome(
    modelArn: string,
    stoppedAt: string,
    status: string,
    completedAt: string,
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { modelArn, stoppedAt },
        UpdateExpression: "SET #status = :status, completedAt = :completedAt",
        ConditionExpression: "attribute_exists(modelArn)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":status": status, ":completedAt": completedAt },
      }),
    );
  }
}
