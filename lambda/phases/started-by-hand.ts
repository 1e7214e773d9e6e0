/**
 * Phase "started by hand": a model the stopper stopped that someone started again within a day is the owner saying
 * the idle threshold is wrong for it. The statuses of the stops of the last day are read together (DescribeProjects
 * and DescribeProjectVersions, up to 10 names a call); a model found STARTING or RUNNING gets its record marked
 * STARTED_BY_HAND, and the follow-up's digest says "started again by hand N hours after the stop".
 */

import { errorMessage } from "../adapters/errors.ts";
import {
  RUNNING_STATUSES,
  STARTED_BY_HAND_WITHIN_MS,
  STOPPED_STATUSES,
  stopMoment,
} from "../core/follow-up.ts";
import type { StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";
import { withNote } from "./follow-ups.ts";
import {
  emptyResults,
  type FollowUpResults,
  runningAgain,
  type StartedByHand,
  tally,
} from "./restart-model.ts";

/** What the phase looks at. */
export interface StartedByHandInput {
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  readonly followed: readonly StopRecord[];
}

/** What the phase found. */
export interface StartedByHandFound extends Omit<FollowUpResults, "restarted"> {
  readonly startedByHand: readonly StartedByHand[];
  /** The followed stops still followed. */
  readonly remaining: readonly StopRecord[];
}

/** The started-by-hand phase. */
export async function startedByHand(
  deps: Pick<RunDependencies, "directory" | "log" | "logger" | "clock">,
  input: StartedByHandInput,
): Promise<StartedByHandFound> {
  const results = emptyResults();
  const settled = new Set<StopRecord>();
  const recent = input.followed.filter(
    (record) =>
      STOPPED_STATUSES.has(record.status) && input.now - stopMoment(record) <= STARTED_BY_HAND_WITHIN_MS,
  );
  const byRegion = new Map<string, StopRecord[]>();
  for (const record of recent) byRegion.set(record.region, [...(byRegion.get(record.region) ?? []), record]);

  await Promise.all(
    [...byRegion].map(async ([region, records]) => {
      let states: Awaited<ReturnType<typeof deps.directory.modelStatuses>>;
      try {
        states = await deps.directory.modelStatuses(
          region,
          records.map((record) => record.modelArn),
        );
      } catch (error) {
        results.errors.push({
          message: `could not read the status of the models stopped in ${region}: ${errorMessage(error)}`,
        });
        return;
      }
      for (const record of records) {
        const state = states.get(record.modelArn);
        if (state === undefined || "error" in state) {
          results.errors.push({
            arn: record.modelArn,
            message: `could not read the model's status: ${state?.error ?? "DescribeProjectVersions did not say"}`,
          });
          continue;
        }
        try {
          if (state.status === undefined) {
            const reason = "followed no more: the model no longer exists";
            await deps.log.changeFollowUp(record, { kind: "stop-following", note: withNote(record, reason) });
            settled.add(record);
          } else if (RUNNING_STATUSES.has(state.status)) {
            const result = await runningAgain(deps, record, state.status);
            tally(results, result);
            if (result.kind === "started-by-hand" || (result.kind === "not-restarted" && result.done))
              settled.add(record);
          }
        } catch (error) {
          results.errors.push({
            arn: record.modelArn,
            message: `could not update its stop record: ${errorMessage(error)}`,
          });
        }
      }
    }),
  );
  return {
    startedByHand: results.startedByHand,
    errors: results.errors,
    remaining: input.followed.filter((record) => !settled.has(record)),
  };
}
