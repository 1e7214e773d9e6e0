/**
 * The sandbox's CloudFormation (DescribeStacks, what the CLI calls to find the log table) against the real SDK
 * client, every answer checked against CloudFormation's API model; and what happens when a port is taken.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { checkAnswer, type WireAnswer } from "../../sandbox/api-model-check.ts";
import { stackIdOf } from "../../sandbox/cloudformation-endpoint.ts";
import { PortInUseError, SANDBOX_SERVICES, type Sandbox, startSandbox } from "../../sandbox/index.ts";

let sandbox: Sandbox;
const clients: CloudFormationClient[] = [];

/** A client of the sandbox's CloudFormation in a region. */
function cloudFormation(region = "us-east-1"): CloudFormationClient {
  const client = new CloudFormationClient({
    region,
    endpoint: sandbox.endpoints.cloudformation,
    credentials: { accessKeyId: "AKIACLOUDFORMATIONTEST", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

before(async () => {
  sandbox = await startSandbox();
  sandbox.cloudformation.putStack({
    name: "IdleModelStopper",
    outputs: [
      { key: "LogTableName", value: "idle-model-stopper-log" },
      { key: "NotificationTopicArn", value: sandbox.sns.topicArn, description: "the digest's topic" },
    ],
  });
  sandbox.cloudformation.putStack({ name: "Other", outputs: [] });
  sandbox.cloudformation.putStack({ name: "IdleModelStopper", region: "eu-west-1", outputs: [] });
});

after(async () => {
  for (const client of clients) client.destroy();
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

describe("the sandbox's CloudFormation DescribeStacks", () => {
  it("answers a stack by name with its id, status and outputs, as the SDK parses them", async () => {
    // Act
    const { Stacks } = await cloudFormation().send(
      new DescribeStacksCommand({ StackName: "IdleModelStopper" }),
    );

    // Assess
    assert.equal(Stacks?.length, 1);
    const [stack] = Stacks ?? [];
    assert.equal(stack?.StackName, "IdleModelStopper");
    assert.equal(stack?.StackStatus, "CREATE_COMPLETE");
    assert.equal(stack?.StackId, stackIdOf(sandbox.account, "us-east-1", "IdleModelStopper"));
    assert.match(
      stack?.StackId ?? "",
      /^arn:aws:cloudformation:us-east-1:123456789012:stack\/IdleModelStopper\/[0-9a-f-]{36}$/,
    );
    assert.ok(stack?.CreationTime instanceof Date);
    assert.deepEqual(
      stack?.Outputs?.map((o) => [o.OutputKey, o.OutputValue, o.Description]),
      [
        ["LogTableName", "idle-model-stopper-log", undefined],
        ["NotificationTopicArn", sandbox.sns.topicArn, "the digest's topic"],
      ],
    );
  });

  it("answers a stack by its id, every stack of the region without a name, and only the region's own", async () => {
    // Prepare
    const id = stackIdOf(sandbox.account, "us-east-1", "IdleModelStopper");

    // Act
    const [byId, all, europe] = await Promise.all([
      cloudFormation().send(new DescribeStacksCommand({ StackName: id })),
      cloudFormation().send(new DescribeStacksCommand({})),
      cloudFormation("eu-west-1").send(new DescribeStacksCommand({ StackName: "IdleModelStopper" })),
    ]);

    // Assess
    assert.equal(byId.Stacks?.[0]?.StackName, "IdleModelStopper");
    assert.deepEqual(all.Stacks?.map((s) => s.StackName).sort(), ["IdleModelStopper", "Other"]);
    assert.equal(europe.Stacks?.[0]?.StackId, stackIdOf(sandbox.account, "eu-west-1", "IdleModelStopper"));
    assert.deepEqual(europe.Stacks?.[0]?.Outputs ?? [], []);
  });

  it("refuses a stack it does not have with ValidationError, as CloudFormation words it", async () => {
    // Act
    const refused = await cloudFormation("ap-south-1")
      .send(new DescribeStacksCommand({ StackName: "IdleModelStopper" }))
      .then(
        () => undefined,
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
      );

    // Assess
    assert.equal(refused?.name, "ValidationError");
    assert.equal(refused?.message, "Stack with id IdleModelStopper does not exist");
    assert.equal(refused?.$metadata?.httpStatusCode, 400);
  });

  it("logs each call with the IAM action and the stack's ARN it is authorized on", async () => {
    // Prepare
    sandbox.clearCalls();

    // Act
    await cloudFormation().send(new DescribeStacksCommand({ StackName: "IdleModelStopper" }));
    await cloudFormation()
      .send(new DescribeStacksCommand({ StackName: "Elsewhere" }))
      .catch(() => undefined);

    // Assess
    assert.deepEqual(
      sandbox.calls.map((call) => [call.service, call.operation, call.action, call.resource, call.outcome]),
      [
        [
          "cloudformation",
          "DescribeStacks",
          "cloudformation:DescribeStacks",
          stackIdOf(sandbox.account, "us-east-1", "IdleModelStopper"),
          "ok",
        ],
        [
          "cloudformation",
          "DescribeStacks",
          "cloudformation:DescribeStacks",
          "arn:aws:cloudformation:us-east-1:123456789012:stack/Elsewhere/*",
          "ValidationError",
        ],
      ],
    );
    assert.equal(sandbox.calls[0]?.accessKeyId, "AKIACLOUDFORMATIONTEST");
  });

  it("checks its answers against CloudFormation's model: a stack without its required status is a mismatch", () => {
    // Prepare
    const answer: WireAnswer = {
      service: "cloudformation",
      operation: "DescribeStacks",
      statusCode: 200,
      headers: { "content-type": "text/xml" },
      body:
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult>' +
        "<Stacks><member><StackName>S</StackName><CreationTime>2026-01-01T00:00:00.000Z</CreationTime></member>" +
        "</Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>",
    };

    // Act
    const mismatches = checkAnswer(answer);

    // Assess
    assert.deepEqual(
      mismatches.map((m) => m.path),
      ["Stacks[0].StackStatus"],
    );
  });
});

describe("a sandbox asked for a port that is taken", () => {
  it("fails at once naming the service and the port, and leaves none of its other ports open", async () => {
    // Prepare: hold one port, and ask for it as the sandbox's DynamoDB, the others on the ports around it.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    const free = await freePorts(SANDBOX_SERVICES.length - 1);
    const ports = Object.fromEntries(
      SANDBOX_SERVICES.map((service, index) => [
        service,
        service === "dynamodb" ? taken : (free[index > 2 ? index - 1 : index] as number),
      ]),
    );

    try {
      // Act
      const failure = await startSandbox({ ports }).then(
        (started) => started.stop().then(() => undefined),
        (error: unknown) => error,
      );

      // Assess
      assert.ok(failure instanceof PortInUseError, String(failure));
      assert.equal(failure.service, "dynamodb");
      assert.equal(failure.port, taken);
      assert.equal(failure.message, `port ${taken} (dynamodb) is already in use on 127.0.0.1`);
      for (const port of free) assert.ok(await isFree(port), `port ${port} was left open`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

/** Ports that are free now (each briefly opened and closed). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether a port can be listened on. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}
