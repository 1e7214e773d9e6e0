/**
 * Phase "follow-ups": the live stops the stopper still follows up, from the log table's sparse FollowUps index, one
 * Query per region. It hands on the newest stop of each model and lets go of the rest, with a note on the record:
 * a stop superseded by a newer stop of the same model, and a stop followed for {@link FOLLOW_UP_DAYS} days.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { FOLLOW_UP_DAYS, followUpEnds, STOPPED_STATUSES } from "../core/follow-up.ts";
import { formatTime } from "../core/format.ts";
import { isStopRecord, RESTART_PENDING, type StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";

/** The run looking at the follow-ups. */
export interface FollowUpsInput {
  readonly runId: string;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
}

/** A record the phase let go of, and why. */
export interface Retired {
  readonly arn: string;
  readonly reason: string;
}

/** What the phase found. */
export interface FollowUps {
  /** The newest live stop of each followed model: STOPPING, STOPPED, or RESTART_PENDING (claimed for a start). */
  readonly records: readonly StopRecord[];
  /** Records no longer followed after this run, with the reason (also written to the record's note). */
  readonly retired: readonly Retired[];
  readonly errors: readonly Problem[];
}

/** Adds a sentence to a record's note. */
export const withNote = (record: Pick<StopRecord, "note">, sentence: string): string =>
  record.note ? `${record.note}; ${sentence}` : sentence;

/** What a record without an evidence horizon says about its regret check. */
export const NO_REGRET_CHECK =
  "no regret check: the record has no evidenceUntil (it was written before the stopper recorded its evidence horizon)";

/** The follow-ups phase over every configured region; a dry run follows nothing up. */
export async function followUps(
  deps: Pick<RunDependencies, "log" | "logger">,
  config: Pick<StopperConfig, "regions" | "dryRun">,
  input: FollowUpsInput,
): Promise<FollowUps> {
  const records: StopRecord[] = [];
  const retired: Retired[] = [];
  const errors: Problem[] = [];
  if (config.dryRun) return { records, retired, errors };
  const retire = async (record: StopRecord, reason: string) => {
    const note = withNote(
      record,
      record.regretCheckedAt === undefined && record.evidenceUntil === undefined
        ? `${reason}; ${NO_REGRET_CHECK}`
        : reason,
    );
    try {
      if (await deps.log.changeFollowUp(record, { kind: "stop-following", note })) {
        retired.push({ arn: record.modelArn, reason });
        deps.logger.info("stop no longer followed up", { modelArn: record.modelArn, reason });
      }
    } catch (error) {
      errors.push({
        arn: record.modelArn,
        message: `could not let go of its stop record: ${errorMessage(error)}`,
      });
    }
  };
  await Promise.all(
    config.regions.map(async (region) => {
      let found: StopRecord[];
      try {
        found = await deps.log.followUps(region);
      } catch (error) {
        errors.push({ message: `could not read the stops followed up in ${region}: ${errorMessage(error)}` });
        return;
      }
      // The index also holds the warnings of the nightly run; only live stops are followed up here.
      const stops = found
        .filter((record) => isStopRecord(record) && !record.dryRun)
        .sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
      const newest = new Map<string, StopRecord>();
      for (const record of stops) newest.set(record.modelArn, record);
      for (const record of stops) {
        const latest = newest.get(record.modelArn) as StopRecord;
        const claimed = record.status === RESTART_PENDING;
        if (latest !== record && !claimed) {
          await retire(
            record,
            `followed no more: the model was stopped again at ${formatTime(Date.parse(latest.stoppedAt))}`,
          );
        } else if (!claimed && !STOPPED_STATUSES.has(record.status)) {
          await retire(record, `followed no more: its status ${record.status} is not a stop to follow up`);
        } else if (!claimed && input.now >= followUpEnds(record)) {
          await retire(
            record,
            `followed no more: ${FOLLOW_UP_DAYS} days after the stop, its restart rule no longer applies`,
          );
        } else if (latest === record || claimed) {
          records.push(record);
        }
      }
    }),
  );
  return { records, retired, errors };
}
