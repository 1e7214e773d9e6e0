/**
 * Phase "announce": after the stops, warnings and restarts, one EventBridge event per model stopped, warned or
 * started again (on the default bus of the model's region) and the tag
 * `<optOutTagKey>:last-action=<stopped|warned|restarted> <time>` on the model. Both are best effort: by now the
 * action is done and recorded, so a failure here undoes nothing and holds back no other model; it is counted, and
 * named with the model's ARN among the run's errors (and so in its digest).
 *
 * A dry run announces nothing: it changes nothing in the account, so it neither puts events (a rule could act on
 * them) nor writes tags. `announce` is the one entry point, for the nightly run (its stops, warnings and the regret
 * check's restarts) and the follow-up function (its restarts).
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import {
  type Announcement,
  DETAIL_TYPES,
  eventEntryOf,
  lastActionTagKey,
  lastActionTagValue,
} from "../core/announcement.ts";
import type { Decision } from "../core/decide.ts";
import { startUnits } from "../core/follow-up.ts";
import type { RunDependencies } from "../dependencies.ts";
import type { Restart } from "./restart-model.ts";
import type { StopRecordRef, StopResults } from "./stop-and-record.ts";
import type { NewWarning } from "./warn.ts";

/** What the phase announces. */
export interface AnnounceInput {
  readonly runId: string;
  /** What the run did, one entry per model and action. */
  readonly actions: readonly Announcement[];
  /** The tags already being written as the actions happened (see {@link startTagging}); it writes the others. */
  readonly tagging?: TagStream;
}

/** What the phase did. */
export interface Announced {
  /** Events EventBridge accepted. */
  readonly events: number;
  /** Models tagged with their last action. */
  readonly tagged: number;
  /** Each event or tag that failed, with the model's ARN; none of them undid or held back a stop. */
  readonly errors: readonly Problem[];
}

/** What a summary says of the phase: events put, tags written, and how many of either failed (named in its errors). */
export interface AnnouncedCounts {
  readonly events: number;
  readonly tagged: number;
  readonly failed: number;
}

/** The counts of what the phase did; all 0 when it did not run. */
export const announcedCounts = (announced: Announced | undefined): AnnouncedCounts => ({
  events: announced?.events ?? 0,
  tagged: announced?.tagged ?? 0,
  failed: announced?.errors.length ?? 0,
});

/** The settings the phase works by. */
export type AnnounceSettings = Pick<
  StopperConfig,
  "publishEvents" | "tagLastAction" | "dryRun" | "optOutTagKey" | "logTableName"
>;

type AnnounceDependencies = Pick<RunDependencies, "events" | "tagger" | "logger">;

/** Puts the events and writes the tags of the actions; never rejects. */
export async function announce(
  deps: AnnounceDependencies,
  config: AnnounceSettings,
  input: AnnounceInput,
): Promise<Announced> {
  if (config.dryRun || input.actions.length === 0) return { events: 0, tagged: 0, errors: [] };
  const tagging = input.tagging ?? startTagging(deps, config);
  tagging.tell(input.actions);
  const [events, tags] = await Promise.all([
    config.publishEvents && deps.events ? putEvents(deps, config, input) : none,
    tagging.done(),
  ]);
  const announced = {
    events: events.done,
    tagged: tags.done,
    errors: [...events.errors, ...tags.errors],
  };
  deps.logger.info("announced", {
    events: announced.events,
    tagged: announced.tagged,
    failed: announced.errors.length,
  });
  return announced;
}

/** How many of one kind of announcement were made, and each that failed. */
export interface Count {
  readonly done: number;
  readonly errors: readonly Problem[];
}

const none: Count = { done: 0, errors: [] };

/** One PutEvents batch series per region: an event goes to the default bus of its model's region. */
async function putEvents(
  deps: AnnounceDependencies,
  config: AnnounceSettings,
  input: AnnounceInput,
): Promise<Count> {
  const publisher = deps.events as NonNullable<RunDependencies["events"]>;
  const byRegion = new Map<string, Announcement[]>();
  for (const action of input.actions)
    byRegion.set(action.model.region, [...(byRegion.get(action.model.region) ?? []), action]);
  const errors: Problem[] = [];
  let done = 0;
  await Promise.all(
    [...byRegion].map(async ([region, actions]) => {
      const entries = actions.map((action) =>
        eventEntryOf(action, { runId: input.runId, logTableName: config.logTableName }),
      );
      let outcomes: Awaited<ReturnType<typeof publisher.put>>;
      try {
        outcomes = await publisher.put(region, entries);
      } catch (error) {
        outcomes = entries.map(() => ({ error: errorMessage(error) }));
      }
      for (const [index, action] of actions.entries()) {
        const outcome = outcomes[index] ?? { error: "no outcome for the entry" };
        if ("eventId" in outcome) {
          done += 1;
          continue;
        }
        const message = `could not put its "${DETAIL_TYPES[action.action]}" event on the default bus of ${region} (the model was ${action.action} all the same): ${outcome.error}`;
        errors.push({ arn: action.model.modelArn, message });
        deps.logger.warn("event not put", { modelArn: action.model.modelArn, error: outcome.error });
      }
    }),
  );
  return { done, errors };
}

/** Last-action tags written as the actions happen, so that a run's tags overlap its stops instead of following them. */
export interface TagStream {
  /** Starts tagging the model of each action it was not told of yet; never throws. */
  tell(actions: readonly Announcement[]): void;
  /** Once every tag it was told of is written or has failed: how many were written, and each failure. */
  done(): Promise<Count>;
}

/**
 * A {@link TagStream}: one TagResource call per model and action, each through the tagger's gate. It writes nothing
 * in a dry run, with `tagLastAction` off, or without a tagger.
 */
export function startTagging(deps: AnnounceDependencies, config: AnnounceSettings): TagStream {
  const tagger = config.dryRun || !config.tagLastAction ? undefined : deps.tagger;
  const key = lastActionTagKey(config.optOutTagKey);
  const told = new Set<string>();
  const writes: Promise<void>[] = [];
  const errors: Problem[] = [];
  let done = 0;
  const write = async (action: Announcement) => {
    const value = lastActionTagValue(action.action, action.at);
    try {
      await tagger?.tag(action.model.region, action.model.modelArn, { [key]: value });
      done += 1;
    } catch (error) {
      errors.push({
        arn: action.model.modelArn,
        message: `could not tag it ${key}=${value} (the model was ${action.action} all the same): ${errorMessage(error)}`,
      });
      deps.logger.warn("last-action tag not written", {
        modelArn: action.model.modelArn,
        error: errorMessage(error),
      });
    }
  };
  return {
    tell(actions) {
      if (tagger === undefined) return;
      for (const action of actions) {
        const id = `${action.action} ${action.model.modelArn}`;
        if (told.has(id)) continue;
        told.add(id);
        writes.push(write(action));
      }
    },
    async done() {
      // Told of more while waiting? Those are waited for too.
      for (let index = 0; index < writes.length; index += 1) await writes[index];
      return { done, errors };
    },
  };
}

/** The announcement of a decision acted on: the model, the facts of its verdict, when and where it is recorded. */
export function announcementOf(
  decision: Decision,
  action: Announcement["action"],
  details: {
    /** Epoch ms of the action. */
    readonly at: number;
    /** The log record's sort key, `stoppedAt`. */
    readonly loggedAt?: string;
    readonly stopNotBefore?: number;
  },
): Announcement {
  const { model, verdict } = decision;
  const { facts } = verdict;
  return {
    action,
    model,
    at: details.at,
    reason: verdict.reason,
    ...(facts.inferenceUnits !== undefined && { inferenceUnits: facts.inferenceUnits }),
    ...(facts.estimatedHourlyCostUsd !== undefined && {
      estimatedHourlyCostUsd: facts.estimatedHourlyCostUsd,
    }),
    ...(facts.evidenceUntil !== undefined && { evidenceUntil: facts.evidenceUntil }),
    ...(details.loggedAt !== undefined && {
      logRecord: { modelArn: model.modelArn, stoppedAt: details.loggedAt },
    }),
    ...(details.stopNotBefore !== undefined && { stopNotBefore: details.stopNotBefore }),
  };
}

/** The announcement of a restart the stopper made, kept with the stop it undid. */
export function announcementOfRestart(restart: Restart): Announcement {
  const { record } = restart;
  return {
    action: "restarted",
    model: {
      region: record.region,
      projectName: record.projectName,
      versionName: record.versionName,
      modelArn: record.modelArn,
    },
    at: restart.at,
    reason: restart.reason,
    inferenceUnits: startUnits(record).min,
    estimatedHourlyCostUsd: restart.hourlyCostUsd,
    logRecord: { modelArn: record.modelArn, stoppedAt: record.stoppedAt },
    restart:
      restart.by === "regret"
        ? { by: "regret-check", ...(restart.lateRequests && { lateRequests: restart.lateRequests }) }
        : {
            by: "restart-rule",
            ...(restart.rule && { rule: restart.rule.text }),
            ...(restart.rule?.source !== undefined && { ruleSource: restart.rule.source }),
          },
  };
}

/** The announcement of a model stopped and recorded. */
export const stopAnnouncement = (decision: Decision, record: StopRecordRef): Announcement =>
  announcementOf(decision, "stopped", { at: record.answeredAt, loggedAt: record.stoppedAt });

/**
 * The actions of a run, in the order its digest tells them: each stop undone by a regret check, each model
 * stopped, each restart by rule, then each model warned.
 */
export function actionsOfRun(input: {
  /** The stop phase's results: only the models with a stop record were stopped (a dry run has none). */
  readonly stops?: Pick<StopResults, "stopped" | "stopRecords">;
  readonly warned?: readonly NewWarning[];
  /** The restarts this run recorded (a restart is announced by the run that records it, so once). */
  readonly restarted?: readonly Restart[];
  /** The run's clock reading (epoch ms): the time of its warnings. */
  readonly now: number;
}): Announcement[] {
  const stopped = (input.stops?.stopped ?? []).flatMap((decision) => {
    const record = input.stops?.stopRecords?.get(decision.model.modelArn);
    return record === undefined ? [] : [stopAnnouncement(decision, record)];
  });
  const warned = (input.warned ?? []).map((warning) =>
    announcementOf(warning.decision, "warned", {
      at: warning.loggedAt !== undefined ? Date.parse(warning.loggedAt) : input.now,
      ...(warning.loggedAt !== undefined && { loggedAt: warning.loggedAt }),
      stopNotBefore: warning.stopNotBefore,
    }),
  );
  const restarted = (by: Restart["by"]) =>
    (input.restarted ?? []).filter((restart) => restart.by === by).map(announcementOfRestart);
  return [...restarted("regret"), ...stopped, ...restarted("schedule"), ...warned];
}
