/**
 * The sandbox's late datapoints (a datapoint seen by GetMetricData only some time after its timestamp, or only after
 * some answers), and its topics besides the stack's: what a last look and a warned model's own message need.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { requestsPerMinute } from "../support/late-request.ts";

const MINUTE = 60_000;
// A fixed instant on the sandbox's clock, moved by the tests; the wall clock plays no part.
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
let clock = NOW;

let sandbox: Sandbox;
const clients: { destroy(): void }[] = [];
const sns = (region: string) => {
  const created = new SNSClient({
    region,
    endpoint: sandbox.endpoints.sns,
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
    maxAttempts: 1,
  });
  clients.push(created);
  return created;
};

before(async () => {
  sandbox = await startSandbox({ clock: () => clock });
});

after(async () => {
  for (const created of clients) created.destroy();
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

beforeEach(() => {
  clock = NOW;
  sandbox.cloudwatch.clear();
  sandbox.cloudwatch.metricDelaySeconds = 0;
});

/** The Sum of requests per minute of model `cats/v1` over the last 15 minutes, as the last look asks. */
const requestsSeen = () =>
  requestsPerMinute(sandbox, { project: "cats", version: "v1" }, NOW - 15 * MINUTE, NOW + 5 * MINUTE);

const request = (minutesAgo: number, late: { delaySeconds?: number; visibleAfterCalls?: number } = {}) => ({
  namespace: "AWS/Rekognition",
  metricName: "SuccessfulRequestCount",
  dimensions: { ProjectName: "cats", VersionName: "v1" },
  timestamp: NOW - minutesAgo * MINUTE,
  value: 1,
  ...late,
});

describe("late datapoints", () => {
  it("are delivered after a number of answered GetMetricData calls: hidden from the first, shown to the second", async () => {
    // Prepare
    sandbox.cloudwatch.insert("us-east-1", [request(1, { visibleAfterCalls: 1 }), request(10)]);
    const before = sandbox.cloudwatch.getMetricDataAnswers;

    // Act
    const first = await requestsSeen();
    const second = await requestsSeen();

    // Assess
    assert.deepEqual(first, [{ at: "2026-11-28T01:50:00.000Z", value: 1 }]);
    assert.deepEqual(second, [
      { at: "2026-11-28T01:50:00.000Z", value: 1 },
      { at: "2026-11-28T01:59:00.000Z", value: 1 },
    ]);
    assert.equal(sandbox.cloudwatch.getMetricDataAnswers, before + 2);
  });

  it("are delivered some seconds after their timestamp, on the sandbox's clock", async () => {
    // Prepare: made at 01:59, delivered 90 s later, at 02:00:30.
    sandbox.cloudwatch.insert("us-east-1", [request(1, { delaySeconds: 90 })]);

    // Act
    clock = NOW + 29_999;
    const early = await requestsSeen();
    clock = NOW + 30_000;
    const onTime = await requestsSeen();

    // Assess
    assert.deepEqual(early, []);
    assert.deepEqual(onTime, [{ at: "2026-11-28T01:59:00.000Z", value: 1 }]);
  });

  it("share a bucket with datapoints already delivered: the bucket grows when the late one arrives", async () => {
    // Prepare
    sandbox.cloudwatch.insert("us-east-1", [
      request(1),
      { ...request(1, { visibleAfterCalls: 1 }), value: 4 },
    ]);

    // Act
    const first = await requestsSeen();
    const second = await requestsSeen();

    // Assess
    assert.deepEqual(first, [{ at: "2026-11-28T01:59:00.000Z", value: 1 }]);
    assert.deepEqual(second, [{ at: "2026-11-28T01:59:00.000Z", value: 5 }]);
  });

  it("can all be late by a global delay, which a datapoint's own delay overrides", async () => {
    // Prepare
    sandbox.cloudwatch.metricDelaySeconds = 300;
    sandbox.cloudwatch.insert("us-east-1", [request(10), request(2), request(1, { delaySeconds: 0 })]);

    // Act
    const seen = await requestsSeen();

    // Assess: 01:50 is older than 5 minutes, 01:58 is not yet delivered, 01:59 has no delay of its own.
    assert.deepEqual(
      seen.map((point) => point.at),
      ["2026-11-28T01:50:00.000Z", "2026-11-28T01:59:00.000Z"],
    );
  });

  it("come from the seed too, relative to its now", async () => {
    // Prepare
    sandbox.seed({
      now: NOW,
      projects: [
        {
          name: "cats",
          versions: [
            {
              name: "v1",
              status: "RUNNING",
              requests: [
                { minutesAgo: 1, count: 2, visibleAfterCalls: 1 },
                { minutesAgo: 3, count: 1, delaySeconds: 600 },
              ],
            },
          ],
        },
      ],
    });

    // Act
    const first = await requestsSeen();
    const second = await requestsSeen();
    clock = NOW + 7 * MINUTE;
    const later = await requestsSeen();

    // Assess
    assert.deepEqual(first, []);
    assert.deepEqual(second, [{ at: "2026-11-28T01:59:00.000Z", value: 2 }]);
    assert.deepEqual(later, [
      { at: "2026-11-28T01:57:00.000Z", value: 1 },
      { at: "2026-11-28T01:59:00.000Z", value: 2 },
    ]);
  });

  it("refuses a negative delay, naming it", () => {
    assert.throws(() => sandbox.cloudwatch.insert("us-east-1", [request(1, { delaySeconds: -1 })]), {
      name: "RangeError",
      message: "delaySeconds of a SuccessfulRequestCount datapoint must be a number ≥ 0, got -1",
    });
    assert.throws(
      () => {
        sandbox.cloudwatch.metricDelaySeconds = Number.NaN;
      },
      { name: "RangeError", message: "metricDelaySeconds must be a number ≥ 0, got NaN" },
    );
  });
});

describe("topics besides the stack's", () => {
  it("take messages in their own region, and refuse them from another region as SNS does", async () => {
    // Prepare
    const topicArn = sandbox.sns.createTopic("cats-team", "eu-west-1");

    // Act
    const sent = await sns("eu-west-1").send(new PublishCommand({ TopicArn: topicArn, Message: "warned" }));
    const refused = await sns("us-east-1")
      .send(new PublishCommand({ TopicArn: topicArn, Message: "warned" }))
      .then(
        () => assert.fail("a topic of another region took the message"),
        (error: Error) => error,
      );

    // Assess
    assert.ok(sent.MessageId);
    assert.equal(topicArn, `arn:aws:sns:eu-west-1:${sandbox.account}:cats-team`);
    assert.deepEqual(
      sandbox.sns.messages.filter((m) => m.topicArn === topicArn).map((m) => m.message),
      ["warned"],
    );
    assert.equal(refused.name, "InvalidParameterException");
    assert.equal(refused.message, "Invalid parameter: TopicArn");
  });

  it("do not exist until created", async () => {
    const refused = await sns("us-east-1")
      .send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${sandbox.account}:nobody`, Message: "x" }))
      .then(
        () => assert.fail("accepted"),
        (error: Error) => error,
      );
    assert.equal(refused.name, "NotFoundException");
  });
});
