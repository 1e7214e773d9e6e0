/**
 * Phase "refresh restart rules" (nightly): each followed stop's cached restart rule is read again from the tags of
 * its model and project, so a rule added, changed or removed after the stop is what the follow-up function goes by.
 * An invalid value is reported, with what is allowed, and clears the cached rule: it never silently does nothing.
 * A rule added or changed is timed from now (the record's `restartRuleSince`): its next time, not one already past.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { restartTag, STOPPED_STATUSES } from "../core/follow-up.ts";
import type { StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";
import { tagsOf } from "./restart-on-schedule.ts";

/** What the phase did. */
export interface RefreshedRules {
  /** Records whose cached rule changed. */
  readonly updated: number;
  readonly errors: readonly Problem[];
}

/** The refresh-restart-rules phase. */
export async function refreshRestartRules(
  deps: Pick<RunDependencies, "directory" | "log" | "logger">,
  config: Pick<StopperConfig, "optOutTagKey">,
  input: {
    readonly followed: readonly StopRecord[];
    /** The run's clock reading, epoch ms. */
    readonly now: number;
  },
): Promise<RefreshedRules> {
  const errors: Problem[] = [];
  let updated = 0;
  const projects = new Map<string, Promise<Record<string, string>>>();
  await Promise.all(
    input.followed
      .filter((record) => STOPPED_STATUSES.has(record.status))
      .map(async (record) => {
        try {
          const tag = restartTag(await tagsOf(deps, record, projects), config.optOutTagKey);
          if (tag && "error" in tag)
            errors.push({ arn: record.modelArn, message: `not restarted on schedule: ${tag.error}` });
          const rule = tag && "rule" in tag ? tag.rule.text : undefined;
          const source = tag && "rule" in tag ? tag.source : undefined;
          if (rule === record.restartRule && source === record.restartRuleSource) return;
          await deps.log.changeFollowUp(
            record,
            rule === undefined || source === undefined
              ? { kind: "restart-rule" }
              : { kind: "restart-rule", rule, source, since: new Date(input.now).toISOString() },
          );
          updated += 1;
          deps.logger.info("restart rule refreshed", {
            modelArn: record.modelArn,
            rule,
            source,
            was: record.restartRule,
          });
        } catch (error) {
          errors.push({
            arn: record.modelArn,
            message: `could not read its restart rule: ${errorMessage(error)}`,
          });
        }
      }),
  );
  return { updated, errors };
}
