/**
 * The sandbox's CloudWatch over Smithy RPC v2 CBOR, the protocol CloudWatch's model lists first: an SDK client
 * forced onto CBOR (as a future SDK release may default to) gets the same answers, errors and throttling as the
 * AWS JSON 1.0 client of today, and the function's own CloudWatch adapter reads the same usage over both.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CloudWatchClient,
  type CloudWatchClientConfig,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
  type ListMetricsCommandInput,
  type Metric,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";
import { cbor, SmithyRpcV2CborProtocol, tag } from "@smithy/core/cbor";
import { isThrottlingError } from "@smithy/core/retry";
import { CloudWatchUsageReader } from "../../lambda/adapters/metrics.ts";
import type { NamedModel, RunningModel, UsageWindow } from "../../lambda/core/types.ts";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { minuteSeries, metricNames as names } from "../support/metric-series.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const NAMESPACE = "AWS/Rekognition";
const CBOR_PATH = "/service/GraniteServiceVersion20100801/operation";

/** The two ways a CloudWatch client may speak CBOR: the AWS SDK's (awsQuery-compatible errors) and Smithy's own. */
const CBOR_PROTOCOLS = [
  { name: "AwsSmithyRpcV2CborProtocol", protocol: AwsSmithyRpcV2CborProtocol },
  { name: "SmithyRpcV2CborProtocol", protocol: SmithyRpcV2CborProtocol },
] as const;

const series = (model: string, metricName: string, fromMinutesAgo: number, toMinutesAgo: number, value = 1) =>
  minuteSeries(NOW, model, metricName, fromMinutesAgo, toMinutesAgo, value);

/** Every page of a ListMetrics query, and how many pages it took. */
async function listAll(client: CloudWatchClient, input: ListMetricsCommandInput) {
  const metrics: Metric[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListMetricsCommand({ ...input, NextToken: token }));
    metrics.push(...(page.Metrics ?? []));
    pages += 1;
    token = page.NextToken;
  } while (token);
  return { metrics, pages };
}

/** What a caller sees of a failed call. */
async function failureOf(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };
    return {
      name: failure.name,
      message: failure.message,
      status: failure.$metadata?.httpStatusCode,
      attempts: failure.$metadata?.attempts,
      throttling: isThrottlingError(failure as Parameters<typeof isThrottlingError>[0]),
    };
  }
  assert.fail("the call succeeded");
}

describe("sandbox CloudWatch over Smithy RPC v2 CBOR", () => {
  let sandbox: Sandbox;
  const clients: CloudWatchClient[] = [];
  const client = (options: Partial<CloudWatchClientConfig> = {}) => {
    const created = new CloudWatchClient({
      region: "us-east-1",
      maxAttempts: 1,
      endpoint: sandbox.endpoints.cloudwatch,
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
      },
      ...options,
    });
    clients.push(created);
    return created;
  };
  // The default protocol settings (namespace, error registries, awsQuery compatibility) stay the client's own.
  const cborClient = (options: Partial<CloudWatchClientConfig> = {}) =>
    client({ protocol: AwsSmithyRpcV2CborProtocol, ...options });
  /**
   * A raw request, as a client of the protocol would send it, unsigned (so in the sandbox's region); a header given
   * as "" is left out.
   */
  const post = (path: string, body: unknown, headers: Readonly<Record<string, string>> = {}) =>
    fetch(`${sandbox.endpoints.cloudwatch}${path}`, {
      method: "POST",
      headers: Object.fromEntries(
        Object.entries({
          "smithy-protocol": "rpc-v2-cbor",
          "content-type": "application/cbor",
          accept: "application/cbor",
          ...headers,
        }).filter(([, value]) => value !== ""),
      ),
      body: Buffer.from(cbor.serialize(body)),
    });
  const decoded = async (response: Response) =>
    cbor.deserialize(new Uint8Array(await response.arrayBuffer())) as Record<string, unknown>;

  before(async () => {
    sandbox = await startSandbox({ clock: () => NOW });
  });

  after(async () => {
    for (const created of clients) created.destroy();
    await sandbox.stop();
    sandbox.assertMatchesApiModels();
  });

  beforeEach(() => {
    sandbox.cloudwatch.clear();
    sandbox.setFaults({});
  });

  it("stores PutMetricData sent in CBOR, in the signing region, and GetMetricData answers the same values in CBOR as in JSON", async () => {
    // Prepare
    const cborWriter = cborClient({ region: "eu-west-1" });
    const query: GetMetricDataCommandInput = {
      StartTime: new Date(NOW - 10 * MINUTE),
      EndTime: new Date(NOW),
      ScanBy: "TimestampAscending",
      MetricDataQueries: [
        {
          Id: "sum",
          MetricStat: {
            Metric: {
              Namespace: "Test",
              MetricName: "Requests",
              Dimensions: [{ Name: "Model", Value: "cats" }],
            },
            Period: 60,
            Stat: "Sum",
          },
        },
      ],
    };

    // Act
    await cborWriter.send(
      new PutMetricDataCommand({
        Namespace: "Test",
        MetricData: [1.5, 2, 4.25].map((value, index) => ({
          MetricName: "Requests",
          Dimensions: [{ Name: "Model", Value: "cats" }],
          Timestamp: new Date(NOW - (3 - index) * MINUTE + 30_000),
          Value: value,
        })),
      }),
    );
    const overCbor = await cborClient({ region: "eu-west-1" }).send(new GetMetricDataCommand(query));
    const overJson = await client({ region: "eu-west-1" }).send(new GetMetricDataCommand(query));
    const otherRegion = await cborClient().send(new GetMetricDataCommand(query));

    // Assess
    const result = overCbor.MetricDataResults?.[0];
    assert.deepEqual(result?.Values, [1.5, 2, 4.25]);
    assert.deepEqual(
      result?.Timestamps?.map((at) => at.toISOString()),
      ["2026-11-28T01:57:00.000Z", "2026-11-28T01:58:00.000Z", "2026-11-28T01:59:00.000Z"],
    );
    assert.deepEqual(overCbor.MetricDataResults, overJson.MetricDataResults);
    assert.deepEqual(otherRegion.MetricDataResults?.[0]?.Values, []);
    const cborCalls = sandbox.calls.filter((call) => call.protocol === "rpc-v2-cbor");
    assert.deepEqual(
      cborCalls.map((call) => `${call.operation} ${call.region} ${call.outcome}`),
      ["PutMetricData eu-west-1 ok", "GetMetricData eu-west-1 ok", "GetMetricData us-east-1 ok"],
    );
  });

  it("lists with RecentlyActive and dimension filters, page by page with NextToken, the same metrics in CBOR as in JSON", async () => {
    // Prepare: 620 models in service (two pages of ListMetrics), one stopped 4 hours ago, one with other dimensions.
    const running = Array.from({ length: 620 }, (_, index) => `cats/v${String(index).padStart(3, "0")}`);
    sandbox.cloudwatch.insert("us-east-1", [
      ...running.flatMap((model) => series(model, "InServiceInferenceUnits", 5, 3)),
      ...series("dogs/stopped", "InServiceInferenceUnits", 300, 240),
      {
        namespace: NAMESPACE,
        metricName: "InServiceInferenceUnits",
        dimensions: { ProjectName: "birds" },
        timestamp: NOW - MINUTE,
        value: 1,
      },
    ]);
    const input: ListMetricsCommandInput = {
      Namespace: NAMESPACE,
      MetricName: "InServiceInferenceUnits",
      Dimensions: [{ Name: "ProjectName" }, { Name: "VersionName" }],
      RecentlyActive: "PT3H",
    };

    // Act
    const overCbor = await listAll(cborClient(), input);
    const overJson = await listAll(client(), input);
    const byValue = await listAll(cborClient(), {
      Namespace: NAMESPACE,
      Dimensions: [{ Name: "VersionName", Value: "stopped" }],
    });

    // Assess
    assert.equal(overCbor.pages, 2);
    assert.deepEqual(
      names(overCbor.metrics).sort(),
      running.map((model) => {
        const [project, version] = model.split("/");
        return `InServiceInferenceUnits ProjectName=${project} VersionName=${version}`;
      }),
    );
    assert.deepEqual(overCbor, overJson);
    assert.deepEqual(names(byValue.metrics), [
      "InServiceInferenceUnits ProjectName=dogs VersionName=stopped",
    ]);
  });

  it("refuses an invalid input with the same error name, message and status in CBOR as in JSON", async () => {
    // Prepare
    const tooEarly: GetMetricDataCommandInput = {
      StartTime: new Date(NOW),
      EndTime: new Date(NOW - MINUTE),
      MetricDataQueries: [
        { Id: "q", MetricStat: { Metric: { Namespace: "Test", MetricName: "M" }, Period: 60, Stat: "Sum" } },
      ],
    };
    const noQueries: GetMetricDataCommandInput = { ...tooEarly, MetricDataQueries: [] };

    // Act
    const json = [
      await failureOf(client().send(new GetMetricDataCommand(tooEarly))),
      await failureOf(client().send(new GetMetricDataCommand(noQueries))),
    ];
    const overCbor = await Promise.all(
      CBOR_PROTOCOLS.map(async ({ protocol }) => [
        await failureOf(client({ protocol }).send(new GetMetricDataCommand(tooEarly))),
        await failureOf(client({ protocol }).send(new GetMetricDataCommand(noQueries))),
      ]),
    );

    // Assess
    // GetMetricData declares no InvalidParameterValue: AWS answers a bad query with the common ValidationError.
    assert.deepEqual(json[0], {
      name: "ValidationException",
      message: "The parameter StartTime must be less than the parameter EndTime.",
      status: 400,
      attempts: 1,
      throttling: false,
    });
    assert.equal(json[1]?.status, 400);
    assert.match(json[1]?.message ?? "", /Value '\[\]' at 'metricDataQueries' failed to satisfy constraint/);
    for (const [index, failures] of overCbor.entries())
      assert.deepEqual(failures, json, `${CBOR_PROTOCOLS[index]?.name} differs from JSON`);
  });

  it("answers a throttling fault in CBOR that the SDK classifies as throttling and retries, as in JSON", async () => {
    // Prepare
    sandbox.setFaults({ cloudwatch: { throttleRate: 1 } });
    const input = { Namespace: NAMESPACE } as const;

    // Act
    const json = await failureOf(client({ maxAttempts: 2 }).send(new ListMetricsCommand(input)));
    const overCbor = await Promise.all(
      CBOR_PROTOCOLS.map(({ protocol }) =>
        failureOf(client({ protocol, maxAttempts: 2 }).send(new ListMetricsCommand(input))),
      ),
    );

    // Assess
    assert.deepEqual(json, {
      name: "Throttling",
      message: "Rate exceeded (injected by the sandbox)",
      status: 400,
      attempts: 2,
      throttling: true,
    });
    // The AWS protocol reads the awsQuery code (Throttling); Smithy's own reads the shape id in __type.
    assert.deepEqual(overCbor[0], json);
    assert.deepEqual(overCbor[1], { ...json, name: "ThrottlingException" });
    assert.equal(
      sandbox.calls.filter((call) => call.protocol === "rpc-v2-cbor" && call.injected === "throttle").length,
      4,
    );
  });

  it("reads the same usage and the same models in service through the function's CloudWatch adapter in CBOR as in JSON", async () => {
    // Prepare
    const busy = "cats/busy";
    const idle = "cats/idle";
    const stopped = "dogs/stopped";
    const extra = Array.from({ length: 510 }, (_, index) => `fish/v${index}`);
    sandbox.cloudwatch.insert("us-east-1", [
      ...series(busy, "InServiceInferenceUnits", 240, 0, 2),
      ...series(busy, "SuccessfulRequestCount", 90, 30, 3),
      ...series(busy, "UserErrorCount", 20, 10),
      ...series(idle, "InServiceInferenceUnits", 240, 0),
      ...series(stopped, "InServiceInferenceUnits", 600, 200),
      ...extra.flatMap((model) => series(model, "InServiceInferenceUnits", 2, 1)),
    ]);
    const json = new CloudWatchUsageReader(() => client());
    const overCbor = new CloudWatchUsageReader(() => cborClient());
    const model = (name: string): RunningModel => {
      const [projectName = "", versionName = ""] = name.split("/");
      return {
        region: "us-east-1",
        projectName,
        versionName,
        projectArn: `arn:aws:rekognition:us-east-1:${sandbox.account}:project/${projectName}/1`,
        modelArn: `arn:aws:rekognition:us-east-1:${sandbox.account}:project/${projectName}/version/${versionName}/1`,
      };
    };
    const models = [busy, idle, stopped].map(model);
    const start = NOW - 3 * 60 * MINUTE;
    const window: UsageWindow = { start, end: NOW, periodSeconds: 300, queryStart: start - 5 * MINUTE };
    const read = async (reader: CloudWatchUsageReader) => ({
      inService: (await reader.listInService("us-east-1")).map((named: NamedModel) =>
        [named.projectName, named.versionName].join("/"),
      ),
      usage: await reader.readUsage("us-east-1", models, window),
      byName: await reader.readUsageByName("us-east-1", models, window),
      requests: await reader.readRequests("us-east-1", models, {
        start: NOW - 60 * MINUTE,
        end: NOW,
        periodSeconds: 60,
      }),
    });

    // Act
    const viaJson = await read(json);
    const viaCbor = await read(overCbor);

    // Assess
    assert.deepEqual(viaCbor, viaJson);
    assert.deepEqual(viaCbor.inService.sort(), [busy, idle, ...extra].sort());
    const busyUsage = viaCbor.usage.get(model(busy).modelArn);
    assert.ok(busyUsage && "requests" in busyUsage, "the busy model's usage was read");
    assert.equal(
      busyUsage.requests.SuccessfulRequestCount.reduce((sum, point) => sum + point.value, 0),
      60 * 3,
    );
    assert.ok(
      sandbox.calls.some((call) => call.protocol === "rpc-v2-cbor" && call.operation === "ListMetrics"),
    );
  });

  it("answers in CBOR with the protocol's headers and timestamps as tag 1 over epoch seconds", async () => {
    // Prepare
    sandbox.cloudwatch.insert("us-east-1", series("cats/v1", "InServiceInferenceUnits", 3, 1, 2));
    const body = {
      StartTime: tag({ tag: 1, value: (NOW - 10 * MINUTE) / 1000 }),
      EndTime: tag({ tag: 1, value: NOW / 1000 }),
      MetricDataQueries: [
        {
          Id: "q",
          MetricStat: {
            Metric: {
              Namespace: NAMESPACE,
              MetricName: "InServiceInferenceUnits",
              Dimensions: [
                { Name: "ProjectName", Value: "cats" },
                { Name: "VersionName", Value: "v1" },
              ],
            },
            Period: 60,
            Stat: "Average",
          },
        },
      ],
      ScanBy: "TimestampAscending",
    };

    // Act
    const response = await post(`${CBOR_PATH}/GetMetricData`, body);
    const answer = await decoded(response);

    // Assess
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("smithy-protocol"), "rpc-v2-cbor");
    assert.equal(response.headers.get("content-type"), "application/cbor");
    const [result] = answer.MetricDataResults as {
      Timestamps: { tag: number; value: number }[];
      Values: number[];
    }[];
    assert.deepEqual(
      result?.Timestamps.map((at) => ({ tag: at.tag, value: at.value })),
      [
        { tag: 1, value: (NOW - 3 * MINUTE) / 1000 },
        { tag: 1, value: (NOW - 2 * MINUTE) / 1000 },
      ],
    );
    assert.deepEqual(result?.Values, [2, 2]);
  });

  it("refuses, never serves, a CBOR request to an unknown operation or service, without smithy-protocol, or with X-Amz-Target", async () => {
    // Prepare
    const cases: { path: string; headers: Readonly<Record<string, string>> }[] = [
      { path: `${CBOR_PATH}/DeleteAlarms`, headers: {} },
      { path: "/service/RekognitionService/operation/ListMetrics", headers: {} },
      { path: `${CBOR_PATH}/ListMetrics`, headers: { "smithy-protocol": "" } },
      {
        path: `${CBOR_PATH}/ListMetrics`,
        headers: { "x-amz-target": "GraniteServiceVersion20100801.ListMetrics" },
      },
    ];

    // Act
    const answers = await Promise.all(
      cases.map(async ({ path, headers }) => {
        const response = await post(path, {}, headers);
        const body = await decoded(response);
        return {
          status: response.status,
          protocol: response.headers.get("smithy-protocol"),
          queryError: response.headers.get("x-amzn-query-error"),
          type: body.__type,
          message: body.message,
        };
      }),
    );
    const rekognition = await fetch(`${sandbox.endpoints.rekognition}${CBOR_PATH}/ListMetrics`, {
      method: "POST",
      headers: { "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor" },
      body: Buffer.from(cbor.serialize({})),
    });

    // Assess: a 400 in CBOR, its code in both places the SDKs read it.
    const refused = (code: string) => [
      400,
      "rpc-v2-cbor",
      `${code};Sender`,
      `com.amazon.coral.service#${code}`,
    ];
    assert.deepEqual(
      answers.map(({ status, protocol, queryError, type }) => [status, protocol, queryError, type]),
      [
        refused("UnknownOperationException"),
        refused("UnknownOperationException"),
        refused("UnknownOperationException"),
        refused("SerializationException"),
      ],
    );
    assert.match(
      String(answers[0]?.message),
      /Unknown operation DeleteAlarms; the sandbox implements PutMetricData/,
    );
    assert.match(String(answers[1]?.message), /Unknown service RekognitionService/);
    assert.match(String(answers[2]?.message), /smithy-protocol header is missing/);
    assert.match(String(answers[3]?.message), /must not carry X-Amz-Target/);
    // Rekognition speaks AWS JSON only: its endpoint does not answer CBOR as if it were CloudWatch.
    assert.equal(rekognition.status, 400);
    assert.match(await rekognition.text(), /UnknownOperationException/);
  });
});
