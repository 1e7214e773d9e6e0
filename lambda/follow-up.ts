/**
 * One run of the follow-up function, every 15 minutes by default, as a composition of its phases (each a module
 * under phases/):
 *
 *   follow-ups → resume claims → started by hand → regret check → restart on schedule → announce → follow-up report
 *
 * It looks only at the live stops the stopper made, from the FollowUps index, and starts a model again only when
 * its stop proved wrong (a request arrived before it) or a restart rule says so, and only when it is still STOPPED.
 * A missed or failed follow-up is simply done by the next one. ARCHITECTURE.md shows where each phase fits.
 */

import type { StopperConfig } from "./config.ts";
import type { RunDependencies } from "./dependencies.ts";
import { actionsOfRun, announce } from "./phases/announce.ts";
import { type FollowUpReportInput, type FollowUpSummary, followUpReport } from "./phases/follow-up-report.ts";
import { followUps } from "./phases/follow-ups.ts";
import { regretCheck } from "./phases/regret-check.ts";
import { resumeClaims } from "./phases/restart-model.ts";
import { restartOnSchedule } from "./phases/restart-on-schedule.ts";
import { startedByHand } from "./phases/started-by-hand.ts";

export type { FollowUpSummary } from "./phases/follow-up-report.ts";

/** What one account's follow-up did, before the report: the report's input without the run's id and time. */
export type FollowUpWork = Omit<FollowUpReportInput, "runId" | "now">;

/** Follows up every configured region's recent stops once. */
export async function runFollowUp(
  deps: RunDependencies,
  config: StopperConfig,
  runId: string,
): Promise<FollowUpSummary> {
  const now = deps.clock();
  const work = await followUpWork(deps, config, { runId, now });
  return followUpReport(deps, config, { runId, now, ...work });
}

/**
 * The follow-up's phases over the configured regions of the account the adapters point at, without the report:
 * the organization mode runs them once per account (lambda/organization/follow-ups.ts) and reports once.
 */
export async function followUpWork(
  deps: RunDependencies,
  config: StopperConfig,
  input: { readonly runId: string; readonly now: number },
): Promise<FollowUpWork> {
  const { runId, now } = input;
  const followed = await followUps(deps, config, { runId, now });
  const resumed = await resumeClaims(deps, config, { runId, now, followed: followed.records });
  const byHand = await startedByHand(deps, { now, followed: resumed.remaining });
  const regretted = await regretCheck(deps, config, {
    runId,
    now,
    followed: byHand.remaining,
    by: "follow-up",
  });
  const scheduled = await restartOnSchedule(deps, config, { runId, now, followed: regretted.remaining });
  const restarted = [...resumed.restarted, ...regretted.restarted, ...scheduled.restarted];
  // Each restart is announced like a stop, best effort: by now it is made and recorded.
  const announced = await announce(deps, config, { runId, actions: actionsOfRun({ restarted, now }) });
  return {
    followed: followed.records.length,
    regretChecked: regretted.checked,
    retired: followed.retired,
    announced,
    results: {
      restarted,
      startedByHand: [
        ...resumed.startedByHand,
        ...byHand.startedByHand,
        ...regretted.startedByHand,
        ...scheduled.startedByHand,
      ],
      errors: [
        ...followed.errors,
        ...resumed.errors,
        ...byHand.errors,
        ...regretted.errors,
        ...scheduled.errors,
        ...announced.errors,
      ],
    },
  };
}
