/**
 * Phase "follow-up report": what the follow-up function did, as its summary (returned and logged as one JSON line),
 * its EMF metrics, and one SNS digest only when it started a model again, saw one started by hand, or hit an error:
 * a quiet follow-up every 15 minutes sends nothing. Also the follow-up parts of the nightly run's summary and
 * metrics.
 */

import type { StopperConfig } from "../config.ts";
import { buildDigest } from "../core/digest.ts";
import { startedByHandText } from "../core/follow-up.ts";
import { formatDuration } from "../core/format.ts";
import type { RunDependencies, RunMetrics } from "../dependencies.ts";
import { type Announced, type AnnouncedCounts, announcedCounts } from "./announce.ts";
import type { Retired } from "./follow-ups.ts";
import { publishDigest } from "./report.ts";
import type { FollowUpResults } from "./restart-model.ts";

/** What a follow-up did, returned by its handler and logged as one JSON line. */
export interface FollowUpSummary {
  readonly runId: string;
  readonly dryRun: boolean;
  /** Live stops looked after (the newest of each model in the FollowUps index). */
  readonly followed: number;
  /** Stops whose request metrics were read again up to the stop. */
  readonly regretChecked: number;
  /** Stops the stopper undid, each with what made it and why. */
  readonly restarted: { arn: string; by: "regret" | "schedule"; reason: string; hourlyCostUsd: number }[];
  /** Stops someone undid by starting the model again within a day. */
  readonly startedByHand: { arn: string; note: string }[];
  /** Stops no longer followed after this run, with the reason. */
  readonly retired: { arn: string; reason: string }[];
  /** The restarts' events put and last-action tags written, and how many of either failed (named in `errors`). */
  readonly announced: AnnouncedCounts;
  readonly errors: { arn?: string; message: string }[];
}

/** What the phases before it handed on. */
export interface FollowUpReportInput {
  readonly runId: string;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  readonly followed: number;
  readonly regretChecked: number;
  readonly retired: readonly Retired[];
  /** What the announce phase did; its failures are among `results.errors` already. */
  readonly announced?: Announced;
  /** Everything the phases did, in the order they ran. */
  readonly results: FollowUpResults;
}

/** The restarts and starts by hand as a summary lists them. */
export function followUpSummary(
  results: FollowUpResults | undefined,
): Pick<FollowUpSummary, "restarted" | "startedByHand"> {
  return {
    restarted: (results?.restarted ?? []).map(({ record, by, reason, hourlyCostUsd }) => ({
      arn: record.modelArn,
      by,
      reason,
      hourlyCostUsd,
    })),
    startedByHand: (results?.startedByHand ?? []).map(({ record, seenAt }) => ({
      arn: record.modelArn,
      note: startedByHandText(record, seenAt),
    })),
  };
}

/** Adds the follow-up metrics: every restart, the regretted ones, and the starts by hand. */
export function followUpMetrics(metrics: RunMetrics, results: FollowUpResults | undefined): void {
  const restarted = results?.restarted ?? [];
  metrics.addMetric("ModelsRestarted", "Count", restarted.length);
  metrics.addMetric(
    "ModelsRegretted",
    "Count",
    restarted.filter((restart) => restart.by === "regret").length,
  );
  metrics.addMetric("ModelsStartedByHand", "Count", results?.startedByHand.length ?? 0);
}

/** The follow-up report phase; returns the summary, with a digest that could not be sent among its errors. */
export async function followUpReport(
  deps: Pick<RunDependencies, "logger" | "clock" | "notifier" | "metrics">,
  config: Pick<StopperConfig, "dryRun" | "regions" | "logTableName" | "optOutTagKey">,
  input: FollowUpReportInput,
): Promise<FollowUpSummary> {
  const { results, now } = input;
  const summary: FollowUpSummary = {
    runId: input.runId,
    dryRun: config.dryRun,
    followed: input.followed,
    regretChecked: input.regretChecked,
    ...followUpSummary(results),
    retired: input.retired.map(({ arn, reason }) => ({ arn, reason })),
    announced: announcedCounts(input.announced),
    errors: [...results.errors],
  };
  const digest = buildDigest({
    mode: "follow-up",
    runId: input.runId,
    dryRun: config.dryRun,
    now,
    regions: config.regions,
    scanned: input.followed,
    kept: 0,
    stopped: [],
    errors: summary.errors,
    unfinished: [],
    logTableName: config.logTableName,
    optOutTagKey: config.optOutTagKey,
    restarted: results.restarted,
    startedByHand: results.startedByHand,
  });
  await publishDigest(deps, digest, summary.errors);
  if (deps.metrics) {
    followUpMetrics(deps.metrics, results);
    deps.metrics.addMetric("Errors", "Count", summary.errors.length);
    deps.metrics.publishStoredMetrics();
  }
  deps.logger.info("follow-up summary", { summary, took: formatDuration(deps.clock() - now) });
  return summary;
}
