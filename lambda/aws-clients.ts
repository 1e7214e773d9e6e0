/**
 * Builds the SDK-backed adapters. Endpoints are never set here, so the SDK's AWS_ENDPOINT_URL_<SERVICE>
 * variables keep working for local endpoints.
 */

import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EventBridgePublisher, RekognitionModelTagger } from "./adapters/announcer.ts";
import { createGate } from "./adapters/gate.ts";
import { CloudWatchUsageReader } from "./adapters/metrics.ts";
import { SnsNotifier } from "./adapters/notifier.ts";
import { RekognitionModelDirectory } from "./adapters/rekognition.ts";
import type { AwsCredentialIdentity } from "./adapters/spoke-role.ts";
import { DynamoStopLog, type LogAccount } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";

/**
 * Where the adapters point in the organization mode (issue 11): Rekognition and CloudWatch with a member account's
 * spoke-role credentials, the log recording that account. The log table and the topic stay the hub's.
 */
export interface AccountScope {
  /** The spoke role's credentials; absent for the hub's own account, which uses the function's role. */
  readonly credentials?: AwsCredentialIdentity;
  readonly account: LogAccount;
}

/** One value per region, created on first use. */
export function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const values = new Map<string, T>();
  return (region) => {
    let value = values.get(region);
    if (!value) {
      value = create(region);
      values.set(region, value);
    }
    return value;
  };
}

/**
 * ListMetrics' gate: its pages follow one another (one call in flight), at half the GetMetricData pace, since
 * CloudWatch allows it 25 calls a second to GetMetricData's 50.
 */
export function listMetricsLimits(config: Pick<StopperConfig, "metricsTps">) {
  return { tps: Math.max(1, config.metricsTps / 2), concurrency: 1 };
}

/**
 * The adapters wired to real AWS SDK clients, each API behind its own gate per region; with a `scope`, the
 * Rekognition and CloudWatch clients act in that account.
 */
export function createAwsAdapters(config: StopperConfig, scope?: AccountScope) {
  // Adaptive retry backs off and rate-limits the client itself when AWS throttles.
  const retry = { retryMode: "adaptive", maxAttempts: config.maxAttempts } as const;
  const inAccount = { ...retry, ...(scope?.credentials && { credentials: scope.credentials }) };
  const rekognition = { tps: config.rekognitionTps };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.homeRegion, ...retry }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  // One Rekognition client per region, in the scope's account: it reads and stops the models there, and tags them.
  const rekognitionClient = perRegion((region) => new RekognitionClient({ region, ...inAccount }));
  return {
    directory: new RekognitionModelDirectory(
      rekognitionClient,
      perRegion(() => ({
        describe: createGate({ ...rekognition, concurrency: config.describeConcurrency }),
        tags: createGate({ ...rekognition, concurrency: config.tagConcurrency }),
        stop: createGate({ ...rekognition, concurrency: config.stopConcurrency }),
        // Starts are few (undone stops, restart rules): the stop's concurrency bounds them too.
        start: createGate({ ...rekognition, concurrency: config.stopConcurrency }),
      })),
    ),
    usage: new CloudWatchUsageReader(
      perRegion((region) => new CloudWatchClient({ region, ...inAccount })),
      perRegion(() => createGate({ tps: config.metricsTps, concurrency: config.metricsConcurrency })),
      perRegion(() => createGate(listMetricsLimits(config))),
    ),
    log: new DynamoStopLog(dynamo, config.logTableName, scope?.account),
    ...(config.notificationTopicArn !== undefined && {
      notifier: new SnsNotifier(
        perRegion((region) => new SNSClient({ region, ...retry })),
        config.notificationTopicArn,
      ),
    }),
    // Each event goes to the default bus of its model's region, as AWS's own events about a resource do; in the
    // organization mode that is the hub's bus (its own credentials, not the spoke role's): one place for the rules.
    ...(config.publishEvents && {
      // A region's batches go one after another; PutEvents' quota (hundreds to thousands a second) needs no gate.
      events: new EventBridgePublisher(perRegion((region) => new EventBridgeClient({ region, ...retry }))),
    }),
    ...(config.tagLastAction && {
      tagger: new RekognitionModelTagger(
        rekognitionClient,
        perRegion(() => createGate({ ...rekognition, concurrency: config.tagConcurrency })),
      ),
    }),
  };
}
