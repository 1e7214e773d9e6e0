/**
 * A request that reaches CloudWatch minutes late: after a run decided, before the regret check looks; and what
 * CloudWatch shows of a model's requests at a given moment.
 */

import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { Sandbox } from "../../sandbox/index.ts";
import type { StopperWorld } from "../../sandbox/stopper-world.ts";

/** Puts `count` successful requests of `<project>/<version>` at `at`, which CloudWatch shows three minutes later. */
export function insertLateRequest(
  world: StopperWorld,
  model: { readonly project: string; readonly version: string },
  at: number,
  count: number,
): void {
  world.sandbox.cloudwatch.metricDelaySeconds = 180;
  world.sandbox.cloudwatch.insert(world.sandbox.region, [
    {
      namespace: "AWS/Rekognition",
      metricName: "SuccessfulRequestCount",
      dimensions: { ProjectName: model.project, VersionName: model.version },
      timestamp: at,
      value: count,
    },
  ]);
}

/**
 * The Sum of `<project>/<version>`'s successful requests per minute from `from` to `to` (epoch ms), oldest first, as
 * the last look asks GetMetricData for them: what the sandbox's CloudWatch shows now, late datapoints included or not.
 */
export async function requestsPerMinute(
  sandbox: Sandbox,
  model: { readonly project: string; readonly version: string },
  from: number,
  to: number,
): Promise<{ at: string; value: number }[]> {
  const cloudwatch = new CloudWatchClient({
    region: sandbox.region,
    endpoint: sandbox.endpoints.cloudwatch,
    credentials: { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID, secretAccessKey: "x" },
    maxAttempts: 1,
  });
  try {
    const answer = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(from),
        EndTime: new Date(to),
        MetricDataQueries: [
          {
            Id: "m0_0",
            MetricStat: {
              Metric: {
                Namespace: "AWS/Rekognition",
                MetricName: "SuccessfulRequestCount",
                Dimensions: [
                  { Name: "ProjectName", Value: model.project },
                  { Name: "VersionName", Value: model.version },
                ],
              },
              Period: 60,
              Stat: "Sum",
            },
          },
        ],
        ScanBy: "TimestampAscending",
      }),
    );
    const [result] = answer.MetricDataResults ?? [];
    return (result?.Timestamps ?? []).map((at, index) => ({
      at: at.toISOString(),
      value: result?.Values?.[index] ?? Number.NaN,
    }));
  } finally {
    cloudwatch.destroy();
  }
}
