/** Metric datapoints and ListMetrics answers as the sandbox's CloudWatch tests write and read them. */

import type { Metric } from "@aws-sdk/client-cloudwatch";
import type { MetricDatum } from "../../sandbox/index.ts";

const MINUTE = 60_000;

/**
 * One `AWS/Rekognition` datapoint a minute of a model's metric (`model` is `<project>/<version>`), from
 * `fromMinutesAgo` until `toMinutesAgo` before `now`.
 */
export function minuteSeries(
  now: number,
  model: string,
  metricName: string,
  fromMinutesAgo: number,
  toMinutesAgo: number,
  value = 1,
): MetricDatum[] {
  const [ProjectName = "", VersionName = ""] = model.split("/");
  const data: MetricDatum[] = [];
  for (let ago = fromMinutesAgo; ago > toMinutesAgo; ago -= 1)
    data.push({
      namespace: "AWS/Rekognition",
      metricName,
      dimensions: { ProjectName, VersionName },
      timestamp: now - ago * MINUTE,
      value,
    });
  return data;
}

/** Each listed metric as `<name> <Dimension>=<value> …`, to compare lists at a glance. */
export const metricNames = (metrics: readonly Metric[] | undefined) =>
  (metrics ?? []).map((metric) =>
    [metric.MetricName, ...(metric.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`)].join(" "),
  );
