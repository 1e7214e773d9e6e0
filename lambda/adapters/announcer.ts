/**
 * EventBridge and Rekognition tagging, as far as the announce phase uses them: PutEvents on the default bus of a
 * region, in batches of at most 10 entries with each entry's own outcome, and TagResource on a model. Throttling of a
 * whole call is the SDK's adaptive retry's; an entry that PutEvents itself failed with a throttling or internal error
 * is put once more, as AWS advises (PutEvents, "Handling failures").
 */

import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";
import { type RekognitionClient, TagResourceCommand } from "@aws-sdk/client-rekognition";
import type { EventEntry } from "../core/announcement.ts";
import { errorMessage } from "./errors.ts";
import { type Gate, openGate } from "./gate.ts";

/** PutEvents takes at most 10 entries a call. */
export const MAX_ENTRIES_PER_PUT = 10;

/** What became of one entry: its event id, or why it was not put. */
export type EntryOutcome = { readonly eventId: string } | { readonly error: string };

/** Puts events on a region's default event bus. */
export interface EventPublisher {
  /** Puts every entry, in batches; resolves with one outcome per entry, in order, and never rejects. */
  put(region: string, entries: readonly EventEntry[]): Promise<EntryOutcome[]>;
}

/** Tags a model. */
export interface ModelTagger {
  /** Adds (or overwrites) the tags on the model; the model's other tags are left as they are. */
  tag(region: string, modelArn: string, tags: Readonly<Record<string, string>>): Promise<void>;
}

// PutEvents' per-entry error codes worth a second try; any other (e.g. a malformed detail) would fail again.
const RETRYABLE_ENTRY_ERRORS = new Set(["ThrottlingException", "InternalFailure", "InternalException"]);

/** The SDK-backed {@link EventPublisher}; `clientFor` gives one client per region. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly clientFor: (region: string) => EventBridgeClient,
    private readonly gateFor: (region: string) => Gate = () => openGate,
  ) {}

  async put(region: string, entries: readonly EventEntry[]): Promise<EntryOutcome[]> {
    const outcomes: EntryOutcome[] = [];
    for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_PUT) {
      const batch = entries.slice(start, start + MAX_ENTRIES_PER_PUT);
      let answers = await this.putBatch(region, batch);
      const retry = answers.flatMap((answer, index) =>
        "retryable" in answer && answer.retryable ? [index] : [],
      );
      if (retry.length > 0) {
        const again = await this.putBatch(
          region,
          retry.map((index) => batch[index] as EventEntry),
        );
        answers = answers.map((answer, index) => {
          const at = retry.indexOf(index);
          return at < 0 ? answer : (again[at] as BatchAnswer);
        });
      }
      outcomes.push(...answers.map((answer) => ("eventId" in answer ? answer : { error: answer.error })));
    }
    return outcomes;
  }

  private async putBatch(region: string, batch: readonly EventEntry[]): Promise<BatchAnswer[]> {
    let response: PutEventsCommandOutput;
    try {
      response = await this.gateFor(region)(() =>
        this.clientFor(region).send(
          new PutEventsCommand({
            // No EventBusName: the default bus of the client's region.
            Entries: batch.map((entry) => ({
              Source: entry.source,
              DetailType: entry.detailType,
              Resources: [...entry.resources],
              Detail: entry.detail,
              Time: new Date(entry.time),
            })),
          }),
        ),
      );
    } catch (error) {
      // The SDK already retried; the whole batch failed, each entry with the same error.
      const message = `PutEvents failed: ${errorMessage(error)}`;
      return batch.map(() => ({ error: message, retryable: false }));
    }
    // The answer's entries are in the order of the request's: the n-th answers the n-th.
    return batch.map((_, index) => {
      const answer = response.Entries?.[index];
      if (answer?.EventId) return { eventId: answer.EventId };
      const code = answer?.ErrorCode ?? "NoAnswer";
      return {
        error: `PutEvents refused the entry: ${code}: ${answer?.ErrorMessage ?? "no event id in the answer"}`,
        retryable: RETRYABLE_ENTRY_ERRORS.has(code),
      };
    });
  }
}

type BatchAnswer = { readonly eventId: string } | { readonly error: string; readonly retryable: boolean };

/** The SDK-backed {@link ModelTagger}; `clientFor` gives one client per region. */
export class RekognitionModelTagger implements ModelTagger {
  constructor(
    private readonly clientFor: (region: string) => RekognitionClient,
    private readonly gateFor: (region: string) => Gate = () => openGate,
  ) {}

  async tag(region: string, modelArn: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.gateFor(region)(() =>
      this.clientFor(region).send(new TagResourceCommand({ ResourceArn: modelArn, Tags: { ...tags } })),
    );
  }
}
