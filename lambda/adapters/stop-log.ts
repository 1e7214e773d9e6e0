/**
 * DynamoDB: the log table of stops and warnings. A stop's record is written before the stop call and updated after
 * it; a warning's is written when the model is warned and closed when a later run is done with it.
 */

import {
  type DynamoDBDocumentClient,
  PutCommand,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { RESTART_PENDING, RESTARTED, STARTED_BY_HAND, type StopRecord, WARNED } from "../core/stop-record.ts";
import { attemptsOf, errorName } from "./errors.ts";

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
  /** Set on a live stop that took effect: the record enters the FollowUps index. */
  readonly followUpRegion?: string;
}

/**
 * A change to a followed stop, each written with a condition so that two functions (the nightly run and the
 * follow-up), a retry of the same call after a lost answer, or a second invocation never undo each other's work:
 * a retry of a change that went through meets its own condition again and succeeds.
 */
export type FollowUpChange =
  /** The request metrics up to the stop were read again and showed none (or could not be read: `note`). */
  | { readonly kind: "regret-checked"; readonly at: string; readonly note?: string }
  /** A run claims the record to start the model again: RESTART_PENDING, written before StartProjectVersion. */
  | {
      readonly kind: "claim-restart";
      /** The claiming run's id. */
      readonly by: string;
      readonly at: string;
      readonly restartedBy: "regret" | "schedule";
      readonly reason: string;
      readonly hourlyCostUsd: number;
      /** A RESTART_PENDING claim made before this (ISO) by another run is stale and may be taken over. */
      readonly staleBefore: string;
    }
  /** StartProjectVersion went through: RESTARTED, and the stop is no longer followed. */
  | { readonly kind: "restarted"; readonly by: string; readonly at: string; readonly note?: string }
  /** The start did not happen: the claim is given back (the model is STOPPED), followed on unless `done`. */
  | { readonly kind: "release-restart"; readonly by: string; readonly note: string; readonly done: boolean }
  /** Someone started the model again within a day of the stop. */
  | { readonly kind: "started-by-hand"; readonly at: string; readonly note?: string }
  /** The stopper has nothing more to do with the record. */
  | { readonly kind: "stop-following"; readonly note: string }
  /** The restart rule is gone from the tags. */
  | { readonly kind: "restart-rule"; readonly rule?: undefined }
  /** The restart rule read from the tags; `since` is when it was read, for a rule new since the stop. */
  | { readonly kind: "restart-rule"; readonly rule: string; readonly source: string; readonly since: string };

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
  /** Applies a change to a followed stop; false when its condition did not hold (another run got there first). */
  changeFollowUp(
    record: Pick<StopRecord, "modelArn" | "stoppedAt">,
    change: FollowUpChange,
  ): Promise<boolean>;
}

/**
 * The log for one run, reading the `FollowUps` index once per region: the follow-ups phase takes the stops of that
 * read, and the warn phase its open warnings (records are told apart by `kind`). Every other call goes to `log`. A read
 * that failed is not kept, so the next phase to ask reads again. Make one per run, never at module scope: a later
 * run must see the warnings this one writes.
 */
export function readingFollowUpsOnce(log: StopLog): StopLog {
  const reads = new Map<string, Promise<StopRecord[]>>();
  return {
    recordsSince: (modelArn, since) => log.recordsSince(modelArn, since),
    pendingRecords: (region) => log.pendingRecords(region),
    writeIntent: (record) => log.writeIntent(record),
    recordOutcome: (modelArn, stoppedAt, outcome) => log.recordOutcome(modelArn, stoppedAt, outcome),
    closeWarning: (modelArn, stoppedAt, outcome) => log.closeWarning(modelArn, stoppedAt, outcome),
    changeFollowUp: (record, change) => log.changeFollowUp(record, change),
    async followUps(region) {
      let read = reads.get(region);
      if (read === undefined) {
        read = log.followUps(region);
        reads.set(region, read);
        read.catch(() => reads.delete(region));
      }
      // Each phase gets its own list to filter and sort.
      return [...(await read)];
    },
  };
}

/**
 * Whose models a log serves in the organization mode (issue 11): its records carry `accountId`, and a record still
 * STOP_PENDING or followed up (an open warning) is indexed under `<accountId>:<region>` in `PendingStops` and
 * `FollowUps`, so each account's run finds its own and never another account's. The hub's log also reads the
 * `<region>` keys that records written before the organization mode (without `accountId`) have.
 */
export interface LogAccount {
  readonly accountId: string;
  /** True for the hub's own account: its earlier, account-less pending records are its own. */
  readonly readsAccountlessRecords: boolean;
}

/** The PendingStops and FollowUps key of a region's records: `<region>`, or `<accountId>:<region>` for an account's. */
export function pendingKeyOf(region: string, account?: LogAccount): string {
  return account === undefined ? region : `${account.accountId}:${region}`;
}

/** The keys present in the FollowUps index: which accounts and regions have something to follow up. */
export interface FollowUpKeys {
  /** Every distinct `followUpRegion` of the index: `<region>`, or `<accountId>:<region>` in the organization mode. */
  followUpKeys(): Promise<string[]>;
}

/** The SDK-backed {@link StopLog}. */
export class DynamoStopLog implements StopLog, FollowUpKeys {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The account whose models this log records; none in the single-account mode (records as before). */
    private readonly account?: LogAccount,
  ) {}

  async recordsSince(modelArn: string, since: string): Promise<StopRecord[]> {
    return this.query({
      KeyConditionExpression: "modelArn = :arn AND stoppedAt >= :since",
      ExpressionAttributeValues: { ":arn": modelArn, ":since": since },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  }

  pendingRecords(region: string): Promise<StopRecord[]> {
    return this.queryRegion(PENDING_INDEX, "pendingRegion", region);
  }

  followUps(region: string): Promise<StopRecord[]> {
    return this.queryRegion(FOLLOW_UPS_INDEX, "followUpRegion", region);
  }

  async followUpKeys(): Promise<string[]> {
    // The index is sparse (open warnings and followed stops only), so a Scan of it reads few items; only the key
    // is projected. A key cannot be listed otherwise: a Query needs it.
    const keys = new Set<string>();
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: FOLLOW_UPS_INDEX,
        ProjectionExpression: "followUpRegion",
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? [])
        if (typeof item.followUpRegion === "string") keys.add(item.followUpRegion);
    return [...keys].sort();
  }

  /** A sparse index's records of a region: this account's key, and the hub's earlier account-less one. */
  private async queryRegion(indexName: string, keyName: string, region: string): Promise<StopRecord[]> {
    const keys = [pendingKeyOf(region, this.account)];
    if (this.account?.readsAccountlessRecords) keys.push(region);
    const found = await Promise.all(
      keys.map((key) =>
        this.query({
          IndexName: indexName,
          KeyConditionExpression: "#key = :region",
          ExpressionAttributeNames: { "#key": keyName },
          ExpressionAttributeValues: { ":region": key },
        }),
      ),
    );
    return found.flat().sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
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
          Item: this.account === undefined ? record : this.ofAccount(record, this.account),
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

  private ofAccount(record: StopRecord, account: LogAccount): StopRecord {
    return {
      ...record,
      accountId: account.accountId,
      ...(record.pendingRegion !== undefined && {
        pendingRegion: pendingKeyOf(record.pendingRegion, account),
      }),
      ...(record.followUpRegion !== undefined && {
        followUpRegion: pendingKeyOf(record.followUpRegion, account),
      }),
    };
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
    if (outcome.followUpRegion !== undefined) {
      sets.push("followUpRegion = :followUpRegion");
      // An account's stop is followed up under its `<accountId>:<region>` key, as its warnings are.
      values[":followUpRegion"] = pendingKeyOf(outcome.followUpRegion, this.account);
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
    return this.conditionalUpdate(
      { modelArn, stoppedAt },
      {
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
      },
    );
  }

  async changeFollowUp(
    record: Pick<StopRecord, "modelArn" | "stoppedAt">,
    change: FollowUpChange,
  ): Promise<boolean> {
    return this.conditionalUpdate(
      { modelArn: record.modelArn, stoppedAt: record.stoppedAt },
      followUpUpdate(change),
    );
  }

  /** An update under its condition: false when the condition did not hold. */
  private async conditionalUpdate(
    key: Pick<StopRecord, "modelArn" | "stoppedAt">,
    update: ConditionalUpdate,
  ): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: key, ...update }));
      return true;
    } catch (error) {
      if (errorName(error) === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }
}

const STOPPED = { ":stopping": "STOPPING", ":stopped": "STOPPED" };

/** An update expression with its condition, names and values. */
interface ConditionalUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The update expression, condition and values of a change (see {@link FollowUpChange}). */
function followUpUpdate(change: FollowUpChange): ConditionalUpdate {
  const status = { "#status": "status" };
  const withNote = (note: string | undefined) => (note === undefined ? {} : { ":note": note });
  const setNote = (note: string | undefined) => (note === undefined ? "" : ", note = :note");
  switch (change.kind) {
    case "regret-checked":
      return {
        UpdateExpression: `SET regretCheckedAt = :at${setNote(change.note)}`,
        ConditionExpression: "attribute_exists(followUpRegion)",
        ExpressionAttributeValues: { ":at": change.at, ...withNote(change.note) },
      };
    case "claim-restart":
      return {
        UpdateExpression:
          "SET #status = :pending, restartClaimedBy = :by, restartClaimedAt = :at, restartedBy = :restartedBy, " +
          "restartReason = :reason, restartHourlyCostUsd = :cost",
        // A followed stop; or this run's own claim (a retry after a lost answer); or a claim left by a dead run.
        ConditionExpression:
          "(#status IN (:stopping, :stopped) AND attribute_exists(followUpRegion)) OR " +
          "(#status = :pending AND (restartClaimedBy = :by OR restartClaimedAt < :stale))",
        ExpressionAttributeNames: status,
        ExpressionAttributeValues: {
          ...STOPPED,
          ":pending": RESTART_PENDING,
          ":by": change.by,
          ":at": change.at,
          ":restartedBy": change.restartedBy,
          ":reason": change.reason,
          ":cost": change.hourlyCostUsd,
          ":stale": change.staleBefore,
        },
      };
    case "restarted":
      return {
        // Removing followUpRegion takes the record out of the FollowUps index: the stopper is done with it.
        UpdateExpression: `SET #status = :restarted, restartedAt = :at${setNote(change.note)} REMOVE followUpRegion`,
        ConditionExpression: "restartClaimedBy = :by AND #status IN (:pending, :restarted)",
        ExpressionAttributeNames: status,
        ExpressionAttributeValues: {
          ":pending": RESTART_PENDING,
          ":restarted": RESTARTED,
          ":by": change.by,
          ":at": change.at,
          ...withNote(change.note),
        },
      };
    case "release-restart":
      return {
        UpdateExpression:
          "SET #status = :stopped, note = :note REMOVE restartedBy, restartReason, restartHourlyCostUsd" +
          (change.done ? ", followUpRegion" : ""),
        ConditionExpression: "restartClaimedBy = :by AND #status IN (:pending, :stopped)",
        ExpressionAttributeNames: status,
        ExpressionAttributeValues: {
          ":pending": RESTART_PENDING,
          ":stopped": "STOPPED",
          ":by": change.by,
          ":note": change.note,
        },
      };
    case "started-by-hand":
      return {
        UpdateExpression: `SET #status = :byHand, startedByHandAt = :at${setNote(change.note)} REMOVE followUpRegion`,
        ConditionExpression:
          "(#status IN (:stopping, :stopped) AND attribute_exists(followUpRegion)) OR " +
          "(#status = :byHand AND startedByHandAt = :at)",
        ExpressionAttributeNames: status,
        ExpressionAttributeValues: {
          ...STOPPED,
          ":byHand": STARTED_BY_HAND,
          ":at": change.at,
          ...withNote(change.note),
        },
      };
    case "stop-following":
      return {
        UpdateExpression: "SET note = :note REMOVE followUpRegion",
        // A claimed record is settled by its claim (restarted or released), never dropped from the index under it.
        ConditionExpression: "attribute_exists(modelArn) AND #status <> :pending",
        ExpressionAttributeNames: status,
        ExpressionAttributeValues: { ":note": change.note, ":pending": RESTART_PENDING },
      };
    case "restart-rule":
      if (change.rule === undefined)
        return {
          UpdateExpression: "REMOVE restartRule, restartRuleSource, restartRuleSince",
          ConditionExpression: "attribute_exists(followUpRegion)",
        };
      return {
        UpdateExpression: "SET restartRule = :rule, restartRuleSource = :source, restartRuleSince = :since",
        ConditionExpression: "attribute_exists(followUpRegion)",
        ExpressionAttributeValues: { ":rule": change.rule, ":source": change.source, ":since": change.since },
      };
  }
}
