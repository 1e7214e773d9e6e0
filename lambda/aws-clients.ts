/**
 * Builds the SDK-backed adapters. Endpoints are never set here, so the SDK's AWS_ENDPOINT_URL_<SERVICE>
 * variables keep working for local endpoints.
 */

import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createGate } from "./adapters/gate.ts";
import { CloudWatchUsageReader } from "./adapters/metrics.ts";
import { SnsNotifier } from "./adapters/notifier.ts";
import { RekognitionModelDirectory } from "./adapters/rekognition.ts";
import { DynamoStopLog } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";

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

/** The adapters wired to real AWS SDK clients, each API behind its own gate per region. */
export function createAwsAdapters(config: StopperConfig) {
  // Adaptive retry backs off and rate-limits the client itself when AWS throttles.
  const retry = { retryMode: "adaptive", maxAttempts: config.maxAttempts } as const;
  const rekognition = { tps: config.rekognitionTps };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.homeRegion, ...retry }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    directory: new RekognitionModelDirectory(
      perRegion((region) => new RekognitionClient({ region, ...retry })),
      perRegion(() => ({
        describe: createGate({ ...rekognition, concurrency: config.describeConcurrency }),
        tags: createGate({ ...rekognition, concurrency: config.tagConcurrency }),
        stop: createGate({ ...rekognition, concurrency: config.stopConcurrency }),
        // Starts are few (undone stops, restart rules): the stop's concurrency bounds them too.
        start: createGate({ ...rekognition, concurrency: config.stopConcurrency }),
      })),
    ),
    usage: new CloudWatchUsageReader(
      perRegion((region) => new CloudWatchClient({ region, ...retry })),
      perRegion(() => createGate({ tps: config.metricsTps, concurrency: config.metricsConcurrency })),
      perRegion(() => createGate(listMetricsLimits(config))),
    ),
    log: new DynamoStopLog(dynamo, config.logTableName),
    ...(config.notificationTopicArn !== undefined && {
      notifier: new SnsNotifier(
        perRegion((region) => new SNSClient({ region, ...retry })),
        config.notificationTopicArn,
      ),
    }),
  };
}
