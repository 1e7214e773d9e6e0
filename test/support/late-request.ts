/** A request that reaches CloudWatch minutes late: after a run decided, before the regret check looks. */

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
