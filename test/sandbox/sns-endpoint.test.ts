import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";

let sandbox: Sandbox;
let sns: SNSClient;

before(async () => {
  sandbox = await startSandbox();
  sns = new SNSClient({
    region: sandbox.region,
    endpoint: sandbox.endpoints.sns,
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
    maxAttempts: 1,
  });
});

after(async () => {
  sns.destroy();
  await sandbox.stop();
});

const publish = (message: string) =>
  sns.send(new PublishCommand({ TopicArn: sandbox.sns.topicArn, Subject: "digest", Message: message }));

describe("sandbox SNS endpoint", () => {
  it("keeps a published message of exactly 262,144 bytes", async () => {
    const message = "x".repeat(262_144);

    const answer = await publish(message);

    assert.ok(answer.MessageId);
    assert.equal(sandbox.sns.messages.at(-1)?.message, message);
  });

  it("refuses a message over 262,144 bytes of UTF-8, even one under 262,144 characters, as SNS does", async () => {
    // 131,073 × "é" is 131,073 characters but 262,146 bytes: SNS counts bytes.
    const count = sandbox.sns.messages.length;

    const refused = await publish("é".repeat(131_073)).then(
      () => assert.fail("the message was accepted"),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
    );

    assert.equal(refused.name, "InvalidParameterException");
    assert.equal(refused.message, "Invalid parameter: Message too long");
    assert.equal(refused.$metadata?.httpStatusCode, 400);
    assert.equal(sandbox.sns.messages.length, count, "nothing kept");
  });
});
