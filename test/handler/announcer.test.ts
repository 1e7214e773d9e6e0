/**
 * The EventBridge and tagging adapters with SDK clients mocked by aws-sdk-client-mock: PutEvents in batches of at most
 * 10, each entry's own outcome (FailedEntryCount), one more try for an entry refused with a throttling or internal
 * error and none for the others, and TagResource with the model's ARN.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { RekognitionClient, TagResourceCommand } from "@aws-sdk/client-rekognition";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgePublisher, RekognitionModelTagger } from "../../lambda/adapters/announcer.ts";
import type { EventEntry } from "../../lambda/core/announcement.ts";

const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
afterEach(() => {
  events.reset();
  rekognition.reset();
});

const arnOf = (n: number) =>
  `arn:aws:rekognition:us-east-1:123456789012:project/p/version/v${n}/1700000000000`;
const entry = (n: number): EventEntry => ({
  source: "idle-model-stopper",
  detailType: "Idle Model Stopped",
  resources: [arnOf(n)],
  detail: JSON.stringify({ n }),
  time: Date.UTC(2026, 10, 28, 2, 0, 5),
});
const publisher = () => new EventBridgePublisher(() => new EventBridgeClient({ region: "us-east-1" }));
const sentEntries = () =>
  events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);

describe("the EventBridge publisher", () => {
  it("puts 23 entries in calls of 10, 10 and 3 on the default bus, each with its source, type, resource and time", async () => {
    // Prepare
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }));
    const entries = Array.from({ length: 23 }, (_, n) => entry(n));

    // Act
    const outcomes = await publisher().put("us-east-1", entries);

    // Assess
    assert.deepEqual(
      sentEntries().map((batch) => batch.length),
      [10, 10, 3],
    );
    assert.ok(outcomes.every((outcome) => "eventId" in outcome));
    assert.equal(outcomes.length, 23);
    const [first] = sentEntries()[0] ?? [];
    assert.deepEqual(first, {
      Source: "idle-model-stopper",
      DetailType: "Idle Model Stopped",
      Resources: [arnOf(0)],
      Detail: '{"n":0}',
      Time: new Date(Date.UTC(2026, 10, 28, 2, 0, 5)),
    });
    assert.equal(
      sentEntries()
        .flat()
        .some((sent) => "EventBusName" in sent),
      false,
    );
  });

  it("puts a throttled entry once more, and reports an entry refused for another reason without a retry", async () => {
    // Prepare: of three entries, the first is throttled once, the second is malformed.
    events
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" },
          { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
          { EventId: "id-2" },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: "id-0" }] });

    // Act
    const outcomes = await publisher().put("us-east-1", [entry(0), entry(1), entry(2)]);

    // Assess
    assert.deepEqual(outcomes, [
      { eventId: "id-0" },
      { error: "PutEvents refused the entry: MalformedDetail: Detail is malformed." },
      { eventId: "id-2" },
    ]);
    assert.deepEqual(
      sentEntries().map((batch) => batch.map((sent) => sent.Resources?.[0])),
      [[arnOf(0), arnOf(1), arnOf(2)], [arnOf(0)]],
    );
  });

  it("reports an entry throttled twice, and stops there", async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
    });

    // Act
    const outcomes = await publisher().put("us-east-1", [entry(0)]);

    // Assess
    assert.deepEqual(outcomes, [
      { error: "PutEvents refused the entry: ThrottlingException: Rate exceeded" },
    ]);
    assert.equal(sentEntries().length, 2);
  });

  it("answers each entry of a call that failed with the call's error, and goes on with the next batch", async () => {
    // Prepare
    events
      .on(PutEventsCommand)
      .rejectsOnce(
        Object.assign(new Error("We encountered an internal error"), { name: "InternalException" }),
      )
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "id-10" }] });
    const entries = Array.from({ length: 11 }, (_, n) => entry(n));

    // Act
    const outcomes = await publisher().put("us-east-1", entries);

    // Assess
    assert.deepEqual(
      outcomes.slice(0, 10),
      Array(10).fill({
        error: "PutEvents failed: InternalException: We encountered an internal error",
      }),
    );
    assert.deepEqual(outcomes[10], { eventId: "id-10" });
  });
});

describe("the model tagger", () => {
  it("sends TagResource with the model's ARN and only the given tags, through the region's client", async () => {
    // Prepare
    rekognition.on(TagResourceCommand).resolves({});
    const regions: string[] = [];
    const tagger = new RekognitionModelTagger((region) => {
      regions.push(region);
      return new RekognitionClient({ region });
    });

    // Act
    await tagger.tag("eu-west-1", arnOf(1), { "auto-stop:last-action": "stopped 2026-11-28T02:00:05Z" });

    // Assess
    assert.deepEqual(regions, ["eu-west-1"]);
    assert.deepEqual(
      rekognition.commandCalls(TagResourceCommand).map((call) => call.args[0].input),
      [{ ResourceArn: arnOf(1), Tags: { "auto-stop:last-action": "stopped 2026-11-28T02:00:05Z" } }],
    );
  });
});
