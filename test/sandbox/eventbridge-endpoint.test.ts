/**
 * The sandbox's EventBridge against the real SDK client: PutEvents on a region's default bus keeps each event as a
 * rule would see it, refuses an entry on its own (FailedEntryCount, ErrorCode) as EventBridge does, injects the
 * faults its knobs ask for, logs what IAM checks, and answers as botocore's `events` model says.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

const ACCOUNT = "123456789012";
const KEY = "AKIATESTEVENTBRIDGE1";
const MODEL = "arn:aws:rekognition:eu-west-1:123456789012:project/cats/version/cats.v1/1700000000001";
let sandbox: Sandbox;
let client: EventBridgeClient;

const entry = (fields: Record<string, unknown> = {}) => ({
  Source: "idle-model-stopper",
  DetailType: "Idle Model Stopped",
  Resources: [MODEL],
  Detail: JSON.stringify({ modelArn: MODEL }),
  Time: new Date(Date.UTC(2026, 10, 28, 2, 0, 5)),
  ...fields,
});

before(async () => {
  sandbox = await startSandbox({ account: ACCOUNT });
  client = new EventBridgeClient({
    region: "eu-west-1",
    endpoint: sandbox.endpoints.eventbridge,
    maxAttempts: 1,
    credentials: { accessKeyId: KEY, secretAccessKey: "secret" },
  });
});

after(async () => {
  client.destroy();
  await sandbox.stop();
});

describe("the sandbox's EventBridge", () => {
  it("keeps each event put on the default bus of the client's region, with its time, resources and detail", async () => {
    // Act
    const answer = await client.send(new PutEventsCommand({ Entries: [entry()] }));

    // Assess
    assert.equal(answer.FailedEntryCount, 0);
    const [event] = sandbox.eventbridge.events;
    assert.equal(event?.eventId, answer.Entries?.[0]?.EventId);
    assert.deepEqual(
      { ...event, eventId: undefined },
      {
        eventId: undefined,
        region: "eu-west-1",
        eventBusArn: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/default`,
        source: "idle-model-stopper",
        detailType: "Idle Model Stopped",
        resources: [MODEL],
        detail: { modelArn: MODEL },
        time: Date.UTC(2026, 10, 28, 2, 0, 5),
      },
    );
  });

  it("refuses a bad entry on its own and takes the others, counting it in FailedEntryCount", async () => {
    // Prepare
    const before = sandbox.eventbridge.events.length;

    // Act
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Detail: "[1, 2]" }),
          entry(),
          entry({ Source: "aws.rekognition" }),
          entry({ EventBusName: "team-bus" }),
          entry({ Resources: ["not-an-arn"] }),
          entry({ DetailType: undefined }),
        ],
      }),
    );

    // Assess
    assert.equal(answer.FailedEntryCount, 5);
    assert.deepEqual(
      answer.Entries?.map((e) => e.ErrorCode ?? "ok"),
      [
        "MalformedDetail",
        "ok",
        "NotAuthorizedForSourceException",
        "ResourceNotFoundException",
        "InvalidArgument",
        "InvalidArgument",
      ],
    );
    assert.equal(sandbox.eventbridge.events.length, before + 1);
  });

  it("refuses more than 10 entries as the model's constraint says", async () => {
    await assert.rejects(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })),
      { name: "ValidationException", message: /entries.*length less than or equal to 10/ },
    );
  });

  it("fails the whole call when a knob says so, with the throttle or 5xx error PutEvents answers", async () => {
    // Prepare
    sandbox.setFaults({ eventbridge: { operations: { PutEvents: { throttleRate: 1 } } } });

    // Act and assess
    await assert.rejects(client.send(new PutEventsCommand({ Entries: [entry()] })), {
      name: "ThrottlingException",
    });
    sandbox.setFaults({ eventbridge: { serverErrorRate: 1 } });
    await assert.rejects(client.send(new PutEventsCommand({ Entries: [entry()] })), {
      name: "InternalException",
    });
    sandbox.setFaults({});
    assert.deepEqual(
      {
        throttled: sandbox.faultCounts().eventbridge.throttled,
        serverErrors: sandbox.faultCounts().eventbridge.serverErrors,
      },
      { throttled: 1, serverErrors: 1 },
    );
  });

  it("logs events:PutEvents on the default bus's ARN, signed by the caller's key, and no bus for entries of several", () => {
    const [call, mixed] = sandbox.calls.filter((c) => c.operation === "PutEvents");

    assert.equal(mixed?.resource, undefined, "its entries name two buses: IAM checks each");

    assert.deepEqual(
      call && { action: call.action, resource: call.resource, region: call.region, key: call.accessKeyId },
      {
        action: "events:PutEvents",
        resource: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/default`,
        region: "eu-west-1",
        key: KEY,
      },
    );
  });

  it("answers as botocore's events model says", () => {
    assert.deepEqual(sandbox.modelMismatches(), []);
    assert.ok(
      sandbox.modelCheckCounts().some((count) => count.service === "eventbridge" && count.validated > 0),
    );
  });
});
