/**
 * The stopper deployed half into moto: CloudWatch, DynamoDB, SNS and EventBridge served by moto, Rekognition by the sandbox
 * (no public emulator has the Custom Labels project APIs). The log table is created in moto from the template's own
 * key schema and PendingStops index, the topic is created in moto, and the seed's usage history is put into moto's
 * CloudWatch under AWS/Rekognition as the same datapoints the sandbox would hold.
 */

import {
  CloudWatchClient,
  type MetricDatum as CwMetricDatum,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { invokeBundle, type SynthesizedFunction } from "./bundle.ts";
import { pinnedClock } from "./clock.ts";
import {
  type MetricDatum,
  type Sandbox,
  type SandboxOptions,
  seedDatapoints,
  startSandbox,
} from "./index.ts";
import type { MotoServer } from "./moto.ts";
import {
  createLogTable,
  LOG_TABLE_NAME,
  resolveFunctionRefs,
  type StopperSummary,
  type StopperWorld,
  scanLogItems,
} from "./stopper-world.ts";

/** The topic's name in moto; the same name the sandbox's one topic has. */
export const MOTO_TOPIC_NAME = "idle-model-stopper-notifications";

/** AWS takes at most 1,000 metrics in one PutMetricData call. */
const PUT_METRIC_BATCH = 1000;

/** A message the function published, as either backend keeps it. */
export interface DigestMessage {
  readonly subject?: string;
  readonly message: string;
}

/** A world whose CloudWatch, DynamoDB, SNS and EventBridge are moto. `sandbox` serves Rekognition only. */
export interface MotoWorld extends Omit<StopperWorld, "invokeFollowUp"> {
  readonly moto: MotoServer;
  /** The topic the function publishes to, created in moto. */
  readonly topicArn: string;
  /** How many datapoints were put into moto's CloudWatch. */
  readonly datapoints: number;
  /** What moto's SNS received on the topic, oldest first. */
  published(): Promise<DigestMessage[]>;
}

/**
 * Resets moto, starts a sandbox for Rekognition (seeded with `options.seed`), and prepares moto: the log table, the
 * topic and the seed's datapoints. The caller owns `moto` and stops it; `stop()` stops the sandbox and the clients.
 */
export async function startMotoWorld(
  fn: SynthesizedFunction,
  moto: MotoServer,
  options: SandboxOptions = {},
): Promise<MotoWorld> {
  await moto.reset();
  const { seed, ...sandboxOptions } = options;
  const clock = options.clock ?? pinnedClock();
  const sandbox: Sandbox = await startSandbox({ ...sandboxOptions, clock });
  const credentials = {
    accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
  };
  const clientConfig = (region: string) => ({ region, endpoint: moto.url, credentials });
  const dynamo = new DynamoDBClient(clientConfig(sandbox.region));
  const documents = DynamoDBDocumentClient.from(dynamo);
  try {
    let datapoints = 0;
    if (seed) {
      // One `now` for both: the Rekognition state in the sandbox and the datapoints in moto.
      const now = seed.now ?? clock();
      sandbox.seed({ ...seed, now });
      for (const [region, data] of seedDatapoints(seed, { defaultRegion: sandbox.region, now })) {
        await putDatapoints(clientConfig(region), data);
        datapoints += data.length;
      }
    }
    await createLogTable(dynamo, fn);
    const sns = new SNSClient(clientConfig(sandbox.region));
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: MOTO_TOPIC_NAME }))).TopicArn ?? "";
    sns.destroy();
    const refs = resolveFunctionRefs(fn, { tableName: LOG_TABLE_NAME, topicArn });
    const motoEndpoints = {
      AWS_ENDPOINT_URL_CLOUDWATCH: moto.url,
      AWS_ENDPOINT_URL_DYNAMODB: moto.url,
      AWS_ENDPOINT_URL_SNS: moto.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.url,
    };
    return {
      sandbox,
      moto,
      topicArn,
      datapoints,
      clock,
      env: { ...refs, ...sandbox.env, ...motoEndpoints },
      invoke: (env = {}, invokeOptions = {}) =>
        invokeBundle<StopperSummary>(fn, {
          clockStart: clock(),
          ...invokeOptions,
          env: { ...refs, ...sandbox.env, ...motoEndpoints, ...env },
        }),
      items: () => scanLogItems(documents),
      published: async () =>
        (await moto.snsMessages(topicArn)).map(({ subject, message }) => ({
          ...(subject !== undefined && { subject }),
          message,
        })),
      async stop() {
        dynamo.destroy();
        await sandbox.stop();
      },
    };
  } catch (error) {
    dynamo.destroy();
    await sandbox.stop();
    throw error;
  }
}

/** Puts datapoints into moto's CloudWatch, one call per namespace and 1,000 datapoints. */
async function putDatapoints(
  config: ConstructorParameters<typeof CloudWatchClient>[0],
  data: readonly MetricDatum[],
): Promise<void> {
  // moto 5.2's server cannot read a gzip request body, and the SDK gzips PutMetricData bodies of 10 KiB or more.
  const cloudwatch = new CloudWatchClient({ ...config, disableRequestCompression: true });
  try {
    const byNamespace = new Map<string, MetricDatum[]>();
    for (const datum of data) {
      const list = byNamespace.get(datum.namespace) ?? [];
      list.push(datum);
      byNamespace.set(datum.namespace, list);
    }
    for (const [namespace, metrics] of byNamespace) {
      for (let index = 0; index < metrics.length; index += PUT_METRIC_BATCH) {
        await cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: namespace,
            MetricData: metrics.slice(index, index + PUT_METRIC_BATCH).map(toCloudWatchDatum),
          }),
        );
      }
    }
  } finally {
    cloudwatch.destroy();
  }
}

function toCloudWatchDatum(datum: MetricDatum): CwMetricDatum {
  const dimensions = Object.entries(datum.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
  const base = { MetricName: datum.metricName, Dimensions: dimensions, Timestamp: new Date(datum.timestamp) };
  if (datum.statistics)
    return {
      ...base,
      StatisticValues: {
        SampleCount: datum.statistics.sampleCount,
        Sum: datum.statistics.sum,
        Minimum: datum.statistics.minimum,
        Maximum: datum.statistics.maximum,
      },
    };
  if ((datum.count ?? 1) !== 1) return { ...base, Values: [datum.value ?? 0], Counts: [datum.count ?? 1] };
  return { ...base, Value: datum.value ?? 0 };
}
