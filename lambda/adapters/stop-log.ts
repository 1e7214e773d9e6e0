/**
 * DynamoDB: the log table of stops and warnings. A stop's record is written before the stop call and updated after
 * it; a warning's is written when the model is warned and closed when a later run is done with it.
 */

import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type StopRecord, WARNED } from "../core/stop-record.ts";
import { attemptsOf } from "./errors.ts";

const errorName = (error: unknown) => (error instanceof Error ? error.name : "");

/** The sparse index over records still STOP_PENDING: partition key `pendingRegion`, sort key `stoppedAt`. */
export const PENDING_INDEX = "PendingStops";

/** The sparse index over records the stopper still has something to do with: `followUpRegion`, `stoppedAt`. */
export const FOLLOW_UPS_INDEX = "FollowUps";

/** How a record is completed. */
export interface Outcome {
  readonly status: string;
  /** ISO-8601 UTC. */
  readonly completedAt: string;
  readonly note?: string;
  readonly reconciledBy?: string;
}

/** The log table operations the run needs. */
export interface StopLog {
  /** Every record of a model with `stoppedAt` at or after `since` (ISO-8601), newest first. */
  recordsSince(modelArn: string, since: string): Promise<StopRecord[]>;
  /** Every record of the region still STOP_PENDING, oldest first. */
  pendingRecords(region: string): Promise<StopRecord[]>;
  /** Writes a new record; fails rather than overwrite one with the same key. */
  writeIntent(record: StopRecord): Promise<void>;
  /** Completes an existing record once StopProjectVersion has answered (or a later run found out). */
  recordOutcome(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<void>;
  /** Every record of the region the stopper still follows up (the `FollowUps` index), oldest first. */
  followUps(region: string): Promise<StopRecord[]>;
  /**
   * Closes an open warning (status WARNED) with its final status, and takes it out of the `FollowUps` index.
   * Returns false when the warning was no longer open: another run (or this call's own retry) closed it first.
   */
  closeWarning(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<boolean>;
}

/** The SDK-backed {@link StopLog}. */
export class DynamoStopLog implements StopLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordsSince(modelArn: string, since: string): Promise<StopRecord[]> {
    return this.query({
      KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
      ExpressionAttributeValues: { ":arn": modelArn, ":since": since },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  }

  async pendingRecords(region: string): Promise<StopRecord[]> {
    return this.query({
      IndexName: PENDING_INDEX,
      KeyConditionExpression: "pendingRegion = :region",
      ExpressionAttributeValues: { ":region": region },
    });
  }

  async followUps(region: string): Promise<StopRecord[]> {
    return this.query({
      IndexName: FOLLOW_UPS_INDEX,
      KeyConditionExpression: "followUpRegion = :region",
      ExpressionAttributeValues: { ":region": region },
    });
  }

  private async query(input: Omit<ConstructorParameters<typeof QueryCommand>[0], "TableName">) {
    const records: StopRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      records.push(...((page.Items ?? []) as StopRecord[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async writeIntent(record: StopRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: "attribute_not_exists(modelArn)",
        }),
      );
    } catch (error) {
      // The key holds this run's own clock reading, so only an earlier attempt of this very call can have written
      // it: its answer was lost (a 5xx after the write) and the SDK's retry found the record there.
      if (errorName(error) === "ConditionalCheckFailedException" && attemptsOf(error) > 1) return;
      throw error;
    }
  }

  async recordOutcome(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<void> {
    const values: Record<string, string> = { ":status": outcome.status, ":completedAt": outcome.completedAt };
    const sets = ["#status = :status", "completedAt = :completedAt"];
    if (outcome.note !== undefined) {
      sets.push("note = :note");
      values[":note"] = outcome.note;
    }
    if (outcome.reconciledBy !== undefined) {
      sets.push("reconciledBy = :reconciledBy");
      values[":reconciledBy"] = outcome.reconciledBy;
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { modelArn, stoppedAt },
        // Removing pendingRegion takes the record out of the PendingStops index.
        UpdateExpression: `SET ${sets.join(", ")} REMOVE pendingRegion`,
        ConditionExpression: "attribute_exists(modelArn)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: values,
      }),
    );
  }

  async closeWarning(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { modelArn, stoppedAt },
          // Removing followUpRegion takes the warning out of the FollowUps index.
          UpdateExpression: `SET #status = :status, completedAt = :completedAt, note = :note REMOVE followUpRegion`,
          // Only an open warning is closed, so two runs (or a retry) never close one twice with different outcomes.
          ConditionExpression: "#status = :warned AND kind = :warning",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":status": outcome.status,
            ":completedAt": outcome.completedAt,
            ":note": outcome.note ?? "",
            ":warned": WARNED,
            ":warning": "warning",
          },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }
}
