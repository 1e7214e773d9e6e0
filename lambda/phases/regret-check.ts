/**
 * Phase "regret check": CloudWatch receives request metrics minutes late, so a stop may have been decided while a
 * request was on its way. Once a followed stop is due (`regretCheckMinutes` after it in the follow-up function;
 * whatever is left at the next nightly run), its four request metrics are read again from the decision's evidence
 * horizon (`evidenceUntil`) to the moment of the stop, in one re-read per batch of stops whose spans lie close. A request in
 * that span means the stop was wrong: the model is started again with its recorded units (restart-model.ts), and
 * the record says `regretted: a request at … arrived before the stop`.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { StopperConfig } from "../config.ts";
import {
  lateRequestsBetween,
  type RegretCheckBy,
  regretCheckDue,
  regretReason,
  regretSpan,
  type SpanBatch,
  spanBatches,
} from "../core/follow-up.ts";
import { formatTime } from "../core/format.ts";
import type { StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";
import { NO_REGRET_CHECK, withNote } from "./follow-ups.ts";
import {
  emptyResults,
  type FollowUpResults,
  type RestartSettings,
  restartModel,
  tally,
} from "./restart-model.ts";

/** What the phase looks at. */
export interface RegretCheckInput {
  /** The run checking: it leaves its own stops alone. */
  readonly runId: string;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  /** The followed stops (from the follow-ups phase). */
  readonly followed: readonly StopRecord[];
  /** The follow-up function waits `regretCheckMinutes` after a stop; the nightly run checks whatever is left. */
  readonly by: RegretCheckBy;
}

/** What the phase did. */
export interface RegretChecked extends FollowUpResults {
  /** Stops whose requests were read again (or that have no evidence horizon to read from). */
  readonly checked: number;
  /** The followed stops still followed: not restarted, not started by hand. */
  readonly remaining: readonly StopRecord[];
}

/** The settings the phase works by. */
export type RegretCheckSettings = Pick<StopperConfig, "regretCheckMinutes"> & RestartSettings;

/** The regret-check phase. */
export async function regretCheck(
  deps: Pick<RunDependencies, "directory" | "usage" | "log" | "logger" | "clock">,
  config: RegretCheckSettings,
  input: RegretCheckInput,
): Promise<RegretChecked> {
  const results = emptyResults();
  const settled = new Set<StopRecord>();
  let checked = 0;
  // A run's own stops are as unseen now as when it made them (and a retried invocation is the same run).
  const due = input.followed.filter(
    (record) =>
      record.runId !== input.runId && regretCheckDue(record, input.now, config.regretCheckMinutes, input.by),
  );
  const markChecked = async (record: StopRecord, note?: string) => {
    try {
      await deps.log.changeFollowUp(record, {
        kind: "regret-checked",
        at: formatTime(deps.clock()),
        ...(note !== undefined && { note: withNote(record, note) }),
      });
      checked += 1;
    } catch (error) {
      results.errors.push({
        arn: record.modelArn,
        message: `could not record its regret check: ${errorMessage(error)}`,
      });
    }
  };

  const byRegion = new Map<string, RegretSpan[]>();
  for (const record of due) {
    const span = regretSpan(record);
    if (!span) {
      await markChecked(record, NO_REGRET_CHECK);
      continue;
    }
    const list = byRegion.get(record.region) ?? [];
    list.push({ record, ...span });
    byRegion.set(record.region, list);
  }

  const checkBatch = async (region: string, batch: SpanBatch<RegretSpan>) => {
    const stops = batch.spans;
    let requests: Awaited<ReturnType<typeof deps.usage.readRequests>>;
    try {
      requests = await deps.usage.readRequests(
        region,
        stops.map(({ record }) => record),
        batch.range,
      );
    } catch (error) {
      for (const { record } of stops)
        results.errors.push({ arn: record.modelArn, message: regretUnread(errorMessage(error)) });
      return;
    }
    for (const span of stops) {
      const { record } = span;
      const found = requests.get(record.modelArn);
      if (found === undefined || "error" in found) {
        // Not marked as checked: the next follow-up (or run) reads it again.
        const why = found === undefined ? "CloudWatch returned nothing for the model" : found.error;
        results.errors.push({ arn: record.modelArn, message: regretUnread(why) });
        continue;
      }
      const late = lateRequestsBetween(found, span);
      if (!late) {
        await markChecked(record);
        continue;
      }
      deps.logger.warn("stop regretted", {
        modelArn: record.modelArn,
        requestAt: formatTime(late.firstAt),
        requests: late.count,
        evidenceUntil: record.evidenceUntil,
        stoppedAt: record.completedAt ?? record.stoppedAt,
      });
      try {
        const result = await restartModel(deps, config, {
          runId: input.runId,
          record,
          by: "regret",
          reason: regretReason(late.firstAt),
          lateRequests: late,
        });
        tally(results, result);
        if (result.kind !== "not-restarted" || result.done) settled.add(record);
      } catch (error) {
        results.errors.push({
          arn: record.modelArn,
          message: `a request at ${formatTime(late.firstAt)} arrived before the stop, but the model could not be started again: ${errorMessage(error)}`,
        });
      }
    }
  };
  await Promise.all(
    [...byRegion].flatMap(([region, spans]) => spanBatches(spans).map((batch) => checkBatch(region, batch))),
  );
  return {
    ...results,
    checked,
    remaining: input.followed.filter((record) => !settled.has(record)),
  };
}

/** A stop due for its check, with the span its decision could not see. */
interface RegretSpan {
  readonly record: StopRecord;
  readonly from: number;
  readonly to: number;
}

const regretUnread = (why: string) =>
  `could not read its request metrics up to the stop to check it was right (${why}); it is checked again next time`;
