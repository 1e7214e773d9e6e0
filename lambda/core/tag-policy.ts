/**
 * What a model's tags and its project's tags say, read together: opt-out or snooze, opt-in (when required), and
 * a per-model idle threshold from `<key>:idle-minutes`. The model's own tag wins over its project's.
 */

import { IDLE_MINUTES_SUFFIX, OPT_OUT_KEY_SUFFIXES } from "../../common/settings.ts";
import { restartTag } from "./follow-up.ts";
import { describeOptOut, parseOptOut } from "./opt-out.ts";
import { tagValue } from "./tag-value.ts";

/** Bounds of an idle threshold, the same as IDLE_MINUTES. */
export const IDLE_MINUTES_RANGE = { min: 15, max: 10080 } as const;

/** Suffix of the tag key that overrides the idle threshold (defined with the others in common/settings.ts). */
export { IDLE_MINUTES_SUFFIX };

/** The tags of a model and of its project. */
export interface TagSets {
  readonly model: Readonly<Record<string, string>>;
  readonly project: Readonly<Record<string, string>>;
}

/** The tag settings that shape the policy. */
export interface TagPolicyOptions {
  readonly optOutTagKey: string;
  /** Only models or projects tagged `<optOutTagKey>=true` are candidates. */
  readonly requireOptIn: boolean;
  readonly defaultIdleMinutes: number;
  readonly now: number;
}

/** The verdict of the tags alone: a reason to keep the model, or the idle threshold to judge it by. */
export type TagPolicy =
  | {
      readonly keep: true;
      readonly reason: string;
      /** `opted-out`: the owner said so (opted out, snoozed, not opted in); `unsure`: a tag could not be read. */
      readonly cause: "opted-out" | "unsure";
    }
  | {
      readonly keep: false;
      readonly idleMinutes: number;
      /** Where the threshold came from, when a tag set it. */
      readonly idleMinutesSource?: string;
    };

const WHERE = ["model", "project"] as const;

/** The tags' reason to keep a model, when they give one. */
export type KeepByTags = Extract<TagPolicy, { keep: true }>;

/**
 * Why a project's own tags keep every model of it whatever the models' tags say (an opt-out or a snooze, which come
 * first in {@link tagPolicy}), or undefined when they do not.
 */
export function projectKeepsItsModels(
  project: Readonly<Record<string, string>>,
  optOutTagKey: string,
  now: number,
): KeepByTags | undefined {
  return optOutOf(tagValue(project, optOutTagKey), optOutTagKey, "project", now);
}

/** The keep an opt-out tag's value asks for (an invalid snooze date or an unknown value keeps to be safe), or undefined. */
function optOutOf(
  value: string | undefined,
  key: string,
  where: (typeof WHERE)[number],
  now: number,
): KeepByTags | undefined {
  const optOut = parseOptOut(value, now);
  const reason = describeOptOut(optOut, key, where);
  if (reason === undefined) return undefined;
  // A value the stopper cannot read (an invalid date, an unknown word) is kept to be safe, but the owner tagged the
  // model to keep it all the same: it counts as opted out, so a warning is cleared by it as by `never`.
  return { keep: true, reason, cause: "opted-out" };
}

/**
 * Every tag key the stopper reads or writes, the opt-out key first, then one per suffix of `OPT_OUT_KEY_SUFFIXES`; a
 * tag with any other key changes nothing. The last-action tag is the stopper's own: it changes no decision, and it
 * is no near miss of an opt-out.
 */
export function tagKeysRead(optOutTagKey: string): string[] {
  return [optOutTagKey, ...OPT_OUT_KEY_SUFFIXES.map((suffix) => `${optOutTagKey}${suffix}`)];
}

/** Reads the tags. Opt-outs and snoozes come first: they keep the model whatever else is tagged. */
export function tagPolicy(tags: TagSets, options: TagPolicyOptions): TagPolicy {
  const { optOutTagKey: key, now } = options;
  for (const where of WHERE) {
    const kept = optOutOf(tagValue(tags[where], key), key, where, now);
    if (kept !== undefined) return kept;
  }

  if (options.requireOptIn) {
    const optedIn = WHERE.some((where) => tagValue(tags[where], key)?.trim().toLowerCase() === "true");
    if (!optedIn) {
      return {
        keep: true,
        reason: `not opted in: REQUIRE_OPT_IN is on and neither the model nor its project has the tag ${key}=true`,
        cause: "opted-out",
      };
    }
  }

  // A restart rule that cannot be read: the owner wants the model running at some time, and the stopper could not
  // start it again then. Kept, like a threshold it cannot read, until the tag is fixed.
  const restart = restartTag(tags, key);
  if (restart && "error" in restart)
    return { keep: true, reason: `kept to be safe: ${restart.error}`, cause: "unsure" };

  const idleKey = `${key}${IDLE_MINUTES_SUFFIX}`;
  for (const where of WHERE) {
    const value = tagValue(tags[where], idleKey);
    if (value === undefined) continue;
    const text = value.trim();
    const minutes = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(minutes >= IDLE_MINUTES_RANGE.min && minutes <= IDLE_MINUTES_RANGE.max)) {
      return {
        keep: true,
        reason:
          `kept to be safe: tag ${idleKey}=${value} on the ${where} is not a whole number of minutes ` +
          `from ${IDLE_MINUTES_RANGE.min} to ${IDLE_MINUTES_RANGE.max}`,
        cause: "unsure",
      };
    }
    return { keep: false, idleMinutes: minutes, idleMinutesSource: `tag ${idleKey}=${text} on the ${where}` };
  }
  return { keep: false, idleMinutes: options.defaultIdleMinutes };
}
