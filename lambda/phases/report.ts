/**
 * Phase "report": the run's summary from what each phase did, then one SNS digest when something was stopped, warned
 * or went wrong, the run's EMF metrics, and the summary logged as one JSON line. A failure here loses no stop.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem, Unfinished } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import type { Decision } from "../core/decide.ts";
import { buildDigest, type Digest } from "../core/digest.ts";
import { formatDuration, formatTime } from "../core/format.ts";
import type { NamedVerdict } from "../core/types.ts";
import type { RunDependencies } from "../dependencies.ts";
import { type Announced, type AnnouncedCounts, announcedCounts } from "./announce.ts";
import { followUpMetrics, followUpSummary } from "./follow-up-report.ts";
import type { Reconciled } from "./reconcile.ts";
import type { FollowUpResults } from "./restart-model.ts";
import type { StopResults } from "./stop-and-record.ts";
import type { ClosedWarning, NewWarning, RunMode } from "./warn.ts";

/** What a run did, returned by the handler and logged as one JSON line. */
export interface RunSummary {
  readonly runId: string;
  /** `run`: a full run; `warn`: a warning pass, which warns and never stops. */
  readonly mode: RunMode;
  readonly dryRun: boolean;
  /** Running Custom Labels models judged (found by metrics-first discovery: those with current in-service data). */
  readonly scanned: number;
  /** ARNs of the models stopped (in a dry run: that would have been stopped). */
  readonly stopped: string[];
  /**
   * Models left running, each with the reason; also the models and projects not considered at all because AWS
   * described them with a status or feature the stopper does not know (their reason starts `not considered:`).
   * A model judged by its metrics alone has `model` and `region` instead of `arn`: metrics-first discovery did not
   * describe it, so its ARN is not known.
   */
  readonly skipped: ListedModel[];
  /** What went wrong; a model here was not stopped unless it is also in `stopped`. */
  readonly errors: { arn?: string; message: string }[];
  /** Projects and models the run did not get to before its deadline, with the reason. */
  readonly unfinished: ListedModel[];
  /** What the stops save per hour, by the configured price. */
  readonly estimatedHourlySavingsUsd: number;
  /** Stops undone by the regret check: a request had come in before the stop. */
  readonly restarted: { arn: string; by: "regret" | "schedule"; reason: string; hourlyCostUsd: number }[];
  /** Stops someone undid by starting the model again within a day, seen while checking them. */
  readonly startedByHand: { arn: string; note: string }[];
  /** Models warned this run, each with the earliest time (ISO-8601 UTC) a run may stop it. */
  readonly warned: { arn: string; stopNotBefore: string }[];
  /** Warnings this run closed: STOPPED_AFTER_WARNING, CLEARED (used, opted out or snoozed since) or EXPIRED. */
  readonly warningsClosed: { arn: string; status: string; note: string }[];
  /**
   * Events put and last-action tags written for the stops, warnings and restarts (none in a dry run), and how many failed:
   * each failure is also in `errors`, with the model's ARN.
   */
  readonly announced: AnnouncedCounts;
}

/** A model (or project) in the summary: by ARN, or by `<project>/<version>` and region when its ARN is not known. */
export interface ListedModel {
  readonly arn?: string;
  /** `<project>/<version>` of a model known by name only. */
  readonly model?: string;
  readonly region?: string;
  readonly reason: string;
}

/** What each phase before it handed on. */
export interface ReportInput {
  readonly runId: string;
  /** Whether to send the digest (an organization item's is sent by the gather step). @default true */
  readonly digest?: boolean;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  readonly reconciled: Pick<Reconciled, "errors">;
  /** What the assessment found: every decision in the order made, its problems and what it did not reach. */
  readonly assessment: {
    readonly decisions: readonly Decision[];
    readonly errors: readonly Problem[];
    readonly unfinished: readonly Unfinished[];
    /** Models judged by name only, kept without being described (metrics-first discovery). */
    readonly judgedByName?: readonly NamedVerdict[];
  };
  readonly stops: StopResults;
  /** What the regret check and the refresh of restart rules did before the assessment. */
  readonly followUps?: FollowUpResults;
  /** @default "run" */
  readonly mode?: RunMode;
  /** What the warn phase (and the closing of warnings after the stops) did. */
  readonly warnings?: {
    readonly warned: readonly NewWarning[];
    readonly closed: readonly ClosedWarning[];
    readonly errors: readonly Problem[];
  };
  /** Last-look re-reads that failed (each such model was kept). */
  readonly lastLookErrors?: readonly Problem[];
  /** What the announce phase did: events, tags and their failures. */
  readonly announced?: Announced;
}

/** The report phase; returns the summary, with a digest that could not be sent among its errors. */
export async function report(
  deps: Pick<RunDependencies, "logger" | "clock" | "notifier" | "metrics">,
  config: Pick<StopperConfig, "dryRun" | "regions" | "logTableName" | "optOutTagKey" | "homeRegion">,
  input: ReportInput,
): Promise<RunSummary> {
  const { assessment, stops, now } = input;
  // Stops finish in any order; list them in the order they were decided, so a summary reads the same every time.
  const order = new Map(assessment.decisions.map((decision, index) => [decision.model.modelArn, index]));
  const stopped = stops.stopped.map((decision) => decision.model.modelArn);
  stopped.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const savings = stops.stopped.reduce((sum, d) => sum + (d.verdict.facts.estimatedHourlyCostUsd ?? 0), 0);
  const byName = assessment.judgedByName ?? [];
  for (const { model, verdict } of byName)
    deps.logger.info("model kept", {
      model: `${model.projectName}/${model.versionName}`,
      region: model.region,
      arnKnown: false,
      action: verdict.action,
      reason: verdict.reason,
      facts: verdict.facts,
    });
  const warned = input.warnings?.warned ?? [];
  const summary: RunSummary = {
    runId: input.runId,
    mode: input.mode ?? "run",
    dryRun: config.dryRun,
    scanned: assessment.decisions.length + byName.length,
    stopped,
    skipped: [
      ...stops.skipped,
      ...byName.map(({ model, verdict }) => ({
        model: `${model.projectName}/${model.versionName}`,
        region: model.region,
        reason: verdict.reason,
      })),
    ],
    errors: [
      ...input.reconciled.errors,
      ...(input.followUps?.errors ?? []),
      ...assessment.errors,
      ...(input.warnings?.errors ?? []),
      ...(input.lastLookErrors ?? []),
      ...stops.errors,
      ...(input.announced?.errors ?? []),
    ],
    unfinished: [...assessment.unfinished, ...stops.unfinished],
    estimatedHourlySavingsUsd: Math.round(savings * 100) / 100,
    ...followUpSummary(input.followUps),
    warned: warned.map((w) => ({
      arn: w.decision.model.modelArn,
      stopNotBefore: formatTime(w.stopNotBefore),
    })),
    warningsClosed: (input.warnings?.closed ?? []).map((c) => ({ ...c })),
    announced: announcedCounts(input.announced),
  };

  const digest = buildDigest({
    runId: summary.runId,
    dryRun: summary.dryRun,
    now,
    regions: config.regions,
    scanned: summary.scanned,
    kept: summary.skipped.length,
    stopped: stops.stopped,
    errors: summary.errors,
    unfinished: summary.unfinished,
    logTableName: config.logTableName,
    warnOnly: summary.mode === "warn",
    warned: warned.map((w) => ({
      ...w.decision,
      stopNotBefore: w.stopNotBefore,
      notifiedTopicArn: w.notifiedTopicArn,
    })),
    optOutTagKey: config.optOutTagKey,
    homeRegion: config.homeRegion,
    restarted: input.followUps?.restarted ?? [],
    startedByHand: input.followUps?.startedByHand ?? [],
  });
  if (input.digest !== false) await publishDigest(deps, digest, summary.errors);
  if (deps.metrics) {
    deps.metrics.addMetric("ModelsScanned", "Count", summary.scanned);
    deps.metrics.addMetric("ModelsStopped", "Count", summary.stopped.length);
    deps.metrics.addMetric("ModelsKept", "Count", summary.skipped.length);
    deps.metrics.addMetric("Errors", "Count", summary.errors.length);
    deps.metrics.addMetric("EstimatedHourlySavingsUsd", "None", summary.estimatedHourlySavingsUsd);
    deps.metrics.addMetric("ModelsWarned", "Count", summary.warned.length);
    followUpMetrics(deps.metrics, input.followUps);
    deps.metrics.publishStoredMetrics();
  }
  deps.logger.info("run summary", { summary, took: formatDuration(deps.clock() - now) });
  return summary;
}

/** Publishes a digest, if there is one and a topic; a failure is one more error of the summary, never lost. */
export async function publishDigest(
  deps: Pick<RunDependencies, "logger" | "notifier">,
  digest: Digest | undefined,
  errors: { message: string }[],
): Promise<void> {
  if (!digest || !deps.notifier) return;
  try {
    await deps.notifier.publish(digest);
  } catch (error) {
    errors.push({ message: `could not publish the digest: ${errorMessage(error)}` });
    deps.logger.error("digest not sent", { error: errorMessage(error) });
  }
}
