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

/** The adapters wired to real AWS SDK clients, each API behind its own gate per region. */
export function createAwsAdapters(config: StopperConfig) {
  // Adaptive retry backs off and rate-limits the client itself when AWS throttles.
  const retry = { retryMode: "adaptive", maxAttempts: config.maxAttempts } as const;
  const rekognition = { tps: config.rekognitionTps };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.homeRegion, ...retry }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const rekognitionClient = perRegion((region) => new RekognitionClient({ region, ...retry }));
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
      perRegion((region) => new CloudWatchClient({ region, ...retry })),
      perRegion(() => createGate({ tps: config.metricsTps, concurrency: config.metricsConcurrency })),
    ),
    log: new DynamoStopLog(dynamo, config.logTableName),
    ...(config.notificationTopicArn !== undefined && {
      notifier: new SnsNotifier(
        perRegion((region) => new SNSClient({ region, ...retry })),
        config.notificationTopicArn,
      ),
    }),
    // Each event goes to the default bus of its model's region, as AWS's own events about a resource do.
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
