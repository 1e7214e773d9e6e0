/**
 * Builds the SDK-backed adapters. Endpoints are never set here, so the SDK's AWS_ENDPOINT_URL_<SERVICE>
 * variables keep working for local endpoints.
 */

import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { CloudWatchUsageReader } from "./adapters/metrics.ts";
import { RekognitionModelDirectory } from "./adapters/rekognition.ts";
import { DynamoStopLog } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";

/** One client per region, created on first use. */
function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const clients = new Map<string, T>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
}

/** The adapters wired to real AWS SDK clients. */
export function createAwsAdapters(config: StopperConfig) {
  // Adaptive retry backs off and rate-limits the client itself when AWS throttles.
  const RETRY = { retryMode: "adaptive", maxAttempts: config.maxAttempts } as const;
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.homeRegion, ...RETRY }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    directory: new RekognitionModelDirectory(
      perRegion((region) => new RekognitionClient({ region, ...RETRY })),
    ),
    usage: new CloudWatchUsageReader(perRegion((region) => new CloudWatchClient({ region, ...RETRY }))),
    log: new DynamoStopLog(dynamo, config.logTableName),
  };
}
