/**
 * The call log's IAM facts: each call the sandbox answers carries the action IAM checks, the resource ARN it checks
 * it against, and the access key that signed it, as the permission check needs them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  ListTagsForResourceCommand,
  RekognitionClient,
  StartProjectVersionCommand,
  StopProjectVersionCommand,
} from "@aws-sdk/client-rekognition";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  type CallRecord,
  HARNESS_ACCESS_KEY_ID,
  pinnedClock,
  type Sandbox,
  startSandbox,
} from "../../sandbox/index.ts";

const ACCOUNT = "123456789012";
const KEY = "AKIATESTIAMFACTS0001";
let sandbox: Sandbox;
/** The sandbox's and the test's clock: the pinned instant, never the wall's. */
const clock = pinnedClock();
const clients: { destroy(): void }[] = [];

/** A client signing with KEY, so its calls are told from anything else in the log. */
function signed<T extends { destroy(): void }>(
  create: (config: {
    region: string;
    endpoint: string;
    maxAttempts: number;
    credentials: { accessKeyId: string; secretAccessKey: string };
  }) => T,
  endpoint: string,
  region = "eu-west-1",
): T {
  const client = create({
    region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: KEY, secretAccessKey: "secret" },
  });
  clients.push(client);
  return client;
}

const facts = (call: CallRecord | undefined) =>
  call && { action: call.action, resource: call.resource, region: call.region, key: call.accessKeyId };
const last = (operation: string) => facts(sandbox.calls.findLast((call) => call.operation === operation));

before(async () => {
  sandbox = await startSandbox({
    account: ACCOUNT,
    clock,
    seed: {
      projects: [{ name: "cats", region: "eu-west-1", versions: [{ name: "cats.v1", status: "RUNNING" }] }],
    },
  });
});

after(async () => {
  for (const client of clients) client.destroy();
  await sandbox.stop();
});

describe("the call log's IAM facts", () => {
  it("names the action and resource of each Rekognition call, and the key that signed it", async () => {
    const rekognition = signed((c) => new RekognitionClient(c), sandbox.endpoints.rekognition);
    const project = sandbox.rekognition.projectArn("cats", "eu-west-1");
    const model = sandbox.rekognition.modelArn("cats", "cats.v1", "eu-west-1");

    await rekognition.send(new DescribeProjectsCommand({}));
    await rekognition.send(new DescribeProjectVersionsCommand({ ProjectArn: project }));
    await rekognition.send(new ListTagsForResourceCommand({ ResourceArn: project }));
    await rekognition.send(new StopProjectVersionCommand({ ProjectVersionArn: model }));
    await rekognition
      .send(new StartProjectVersionCommand({ ProjectVersionArn: model, MinInferenceUnits: 1 }))
      .catch(() => undefined);

    const at = { region: "eu-west-1", key: KEY };
    assert.deepEqual(last("DescribeProjects"), {
      action: "rekognition:DescribeProjects",
      resource: "*",
      ...at,
    });
    assert.deepEqual(last("DescribeProjectVersions"), {
      action: "rekognition:DescribeProjectVersions",
      resource: project,
      ...at,
    });
    assert.deepEqual(last("ListTagsForResource"), {
      action: "rekognition:ListTagsForResource",
      resource: project,
      ...at,
    });
    assert.deepEqual(last("StopProjectVersion"), {
      action: "rekognition:StopProjectVersion",
      resource: model,
      ...at,
    });
    // Refused (the model is STOPPING), and still logged with what IAM would have checked first.
    assert.deepEqual(last("StartProjectVersion"), {
      action: "rekognition:StartProjectVersion",
      resource: model,
      ...at,
    });
  });

  it("names GetMetricData on *, the table or its index for DynamoDB, and the topic for Publish", async () => {
    const cloudwatch = signed((c) => new CloudWatchClient(c), sandbox.endpoints.cloudwatch);
    const dynamo = signed((c) => new DynamoDBClient(c), sandbox.endpoints.dynamodb);
    const sns = signed((c) => new SNSClient(c), sandbox.endpoints.sns);
    await dynamo.send(
      new CreateTableCommand({
        TableName: "log",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "pendingRegion", AttributeType: "S" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: "PendingStops",
            KeySchema: [{ AttributeName: "pendingRegion", KeyType: "HASH" }],
            Projection: { ProjectionType: "ALL" },
          },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const documents = DynamoDBDocumentClient.from(dynamo);

    const now = new Date(clock());
    await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: now,
        MetricDataQueries: [
          {
            Id: "q",
            MetricStat: {
              Metric: { Namespace: "AWS/Rekognition", MetricName: "X" },
              Period: 60,
              Stat: "Sum",
            },
          },
        ],
      }),
    );
    await documents.send(new PutCommand({ TableName: "log", Item: { id: "a", pendingRegion: "eu-west-1" } }));
    await documents.send(
      new QueryCommand({
        TableName: "log",
        IndexName: "PendingStops",
        KeyConditionExpression: "pendingRegion = :r",
        ExpressionAttributeValues: { ":r": "eu-west-1" },
      }),
    );
    // SNS takes a topic's messages in the topic's own region only: a topic of this client's region.
    const topicArn = sandbox.sns.createTopic("west-team", "eu-west-1");
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: "hello" }));

    const table = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/log`;
    const at = { region: "eu-west-1", key: KEY };
    assert.deepEqual(last("GetMetricData"), { action: "cloudwatch:GetMetricData", resource: "*", ...at });
    assert.deepEqual(last("PutItem"), { action: "dynamodb:PutItem", resource: table, ...at });
    assert.deepEqual(last("Query"), {
      action: "dynamodb:Query",
      resource: `${table}/index/PendingStops`,
      ...at,
    });
    assert.deepEqual(last("Publish"), { action: "sns:Publish", resource: topicArn, ...at });
  });

  it("gives the harness's own environment a key of its own", () => {
    assert.equal(sandbox.env.AWS_ACCESS_KEY_ID, HARNESS_ACCESS_KEY_ID);
    assert.notEqual(HARNESS_ACCESS_KEY_ID, KEY);
  });
});
