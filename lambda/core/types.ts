/**
 * Plain data that flows between the adapters, the decision core and the run. No AWS types here: the adapters
 * translate SDK shapes into these, so the core can be tested with literals.
 */

/**
 * A model known by its names only, as its CloudWatch metrics name it (dimensions ProjectName and VersionName):
 * metrics-first discovery knows a busy model no better, since it never describes it.
 */
export interface NamedModel {
  readonly region: string;
  readonly projectName: string;
  readonly versionName: string;
}

/** A Custom Labels model version that DescribeProjectVersions reported as RUNNING. */
export interface RunningModel extends NamedModel {
  readonly projectArn: string;
  /** The ProjectVersionArn. */
  readonly modelArn: string;
  /** MinInferenceUnits from DescribeProjectVersions, recorded so the model can be restarted as it was. */
  readonly minInferenceUnits?: number;
  /** MaxInferenceUnits from DescribeProjectVersions (auto-scaling ceiling), when set. */
  readonly maxInferenceUnits?: number;
}

/** One CloudWatch datapoint: the start of its period (epoch milliseconds) and its value. */
export interface Datapoint {
  readonly at: number;
  readonly value: number;
}

/** The request metrics (statistic Sum); a request of any kind means someone uses the model. */
export const REQUEST_METRICS = [
  "SuccessfulRequestCount",
  "UserErrorCount",
  "ServerErrorCount",
  "ThrottledCount",
] as const;

/** One of the request metric names. */
export type RequestMetric = (typeof REQUEST_METRICS)[number];

/** The metric whose datapoints exist only while the model runs (statistic Average). */
export const IN_SERVICE_METRIC = "InServiceInferenceUnits";

/** The CloudWatch namespace of Rekognition's metrics. */
export const METRIC_NAMESPACE = "AWS/Rekognition";

/** A model's metrics over the query range of a {@link UsageWindow}, sorted by time. */
export interface ModelUsage {
  readonly requests: Readonly<Record<RequestMetric, readonly Datapoint[]>>;
  readonly inService: readonly Datapoint[];
}

/** What the tag reads found: the tags of the model and of its project, or why they could not be read. */
export type TagEvidence =
  | { readonly model: Readonly<Record<string, string>>; readonly project: Readonly<Record<string, string>> }
  | { readonly error: string };

/** What the metric reads found for one model, or why they could not be read. */
export type UsageEvidence = ModelUsage | { readonly error: string };

/** The time range the decision looks at, and how CloudWatch is asked for it. */
export interface UsageWindow {
  /** Start of the idle window (epoch ms), aligned down to the period so buckets line up with it. */
  readonly start: number;
  /** The run's `now` (epoch ms). */
  readonly end: number;
  /** CloudWatch period in seconds. */
  readonly periodSeconds: number;
  /**
   * Start of the metric query: before `start` by the stale tolerance (the window judged ends at the newest data,
   * which may lag that much) and then a hiccup's length (5 minutes, or two periods), so a model running before the
   * window shows it even when a datapoint just before the window is missing.
   */
  readonly queryStart: number;
}

/** Request datapoints of a model: the four request metrics (Sum), sorted by time. */
export interface RequestUsage {
  readonly requests: Readonly<Record<RequestMetric, readonly Datapoint[]>>;
}

/** What the re-read of the request metrics found, or why it could not be read, keyed by model ARN. */
export type RequestEvidence = RequestUsage | { readonly error: string };

/** A time range of request metrics to read, and the CloudWatch period to read it in. */
export interface RequestRange {
  /** Epoch ms, at a period boundary. */
  readonly start: number;
  /** Epoch ms. */
  readonly end: number;
  readonly periodSeconds: number;
}

/**
 * What the last look saw: the requests of every kind from `fromTime` up to the look (`at`), or why it could not
 * read them. Recorded in the stop's log record.
 */
export type LastLook =
  | {
      /** ISO-8601 UTC time of the re-read. */
      readonly at: string;
      /** ISO-8601 UTC start of the span re-read. */
      readonly fromTime: string;
      /** Requests of any kind seen in the span. */
      readonly requests: number;
      /** ISO start of the newest period with a request, when one was seen. */
      readonly lastRequestAt?: string;
    }
  | { readonly at: string; readonly error: string };

/** The facts behind a verdict, recorded in the log and the summary. */
export interface VerdictFacts {
  /** Length of the idle window in minutes (the configured threshold for this model). */
  readonly idleMinutes: number;
  /** Requests of any kind seen in the window, when the metrics were read. */
  readonly requestsInWindow?: number;
  /** ISO time of the last period with a request, when one was seen in the window. */
  readonly lastRequestAt?: string;
  /** ISO time since when the model has been in service without a gap, when known. */
  readonly inServiceSince?: string;
  /** Inference units in service at the latest datapoint, or MinInferenceUnits when there is none. */
  readonly inferenceUnits?: number;
  /** inferenceUnits × price per inference-unit hour. */
  readonly estimatedHourlyCostUsd?: number;
  /**
   * ISO end of the newest InServiceInferenceUnits datapoint the decision saw: how far its evidence reaches.
   * CloudWatch delivers metrics minutes late, so requests after it could not be seen yet.
   */
  readonly evidenceUntil?: string;
  /** The re-read of the request metrics just before a stop (stop candidates only). */
  readonly lastLook?: LastLook;
  /** Tags that look like an opt-out but do nothing, each with the key that would work (core/near-miss-tags.ts). */
  readonly nearMissTags?: readonly string[];
}

/**
 * What a verdict rests on, for the code that acts on it (the reason says it in words): `idle` (a stop), `in-use`
 * (a request in the window, since a warning or at the last look), `started-recently`, `opted-out` (opted out,
 * snoozed or not opted in by tag), `unsure` (something could not be read or told: kept to be safe) or `held`
 * (idle, but held back this run: the cap, a warning not yet due).
 */
export type VerdictCause = "idle" | "in-use" | "started-recently" | "opted-out" | "unsure" | "held";

/**
 * Where a model's owner wants its warnings, from the tag `<optOutTagKey>:notify` on the model or its project: an SNS
 * topic of this account in a configured region, or the value that is not one and why.
 */
export type NotifyTarget =
  | { readonly topicArn: string; readonly source: string }
  | { readonly invalid: string; readonly source: string; readonly problem: string };

/** The core's answer for one model. */
export interface Verdict {
  readonly action: "stop" | "keep";
  /** A sentence a person understands, with the facts that led to it. */
  readonly reason: string;
  readonly facts: VerdictFacts;
  /** What the verdict rests on; absent on verdicts built before it existed, read as `unsure`. */
  readonly cause?: VerdictCause;
}

/** A model judged by name only, with its verdict: metrics-first discovery kept it without describing it. */
export interface NamedVerdict {
  readonly model: NamedModel;
  readonly verdict: Verdict;
}
