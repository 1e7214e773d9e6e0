/**
 * Phase "restart on schedule": a followed stop whose model or project carries `<optOutTagKey>:restart=<rule>` is
 * started again `restartLeadMinutes` before the rule's first time after the stop, so the model is RUNNING by then
 * (starting can take up to 30 minutes). The rule comes from the record's cached copy (written at the stop and
 * refreshed by the nightly run; a rule added or changed after the stop is timed from when it was read); the tags are
 * read again only just before a start, since ListTagsForResource allows only a few calls a second. Only stops the
 * stopper made, and only models still STOPPED (restart-model.ts).
 */

import { errorMessage } from "../adapters/errors.ts";
import type { StopperConfig } from "../config.ts";
import { restartTag, ruleReason, STOPPED_STATUSES, scheduledStart } from "../core/follow-up.ts";
import { formatTime } from "../core/format.ts";
import { parseRestartRule } from "../core/restart-rule.ts";
import type { StopRecord } from "../core/stop-record.ts";
import type { RunDependencies } from "../dependencies.ts";
import {
  emptyResults,
  type FollowUpResults,
  type RestartSettings,
  restartModel,
  tally,
} from "./restart-model.ts";

/** What the phase looks at. */
export interface RestartOnScheduleInput {
  readonly runId: string;
  /** The run's clock reading, epoch ms. */
  readonly now: number;
  readonly followed: readonly StopRecord[];
}

/** What the phase did. */
export interface RestartedOnSchedule extends FollowUpResults {
  readonly remaining: readonly StopRecord[];
}

/** The settings the phase works by. */
export type RestartOnScheduleSettings = Pick<StopperConfig, "restartLeadMinutes" | "optOutTagKey"> &
  RestartSettings;

/** The restart-on-schedule phase. */
export async function restartOnSchedule(
  deps: Pick<RunDependencies, "directory" | "log" | "logger" | "clock">,
  config: RestartOnScheduleSettings,
  input: RestartOnScheduleInput,
): Promise<RestartedOnSchedule> {
  const results = emptyResults();
  const settled = new Set<StopRecord>();
  const due = input.followed.filter((record) => {
    if (!STOPPED_STATUSES.has(record.status) || record.restartRule === undefined) return false;
    const parsed = parseRestartRule(record.restartRule);
    return (
      "rule" in parsed &&
      scheduledStart(parsed.rule, record, config.restartLeadMinutes).startFrom <= input.now
    );
  });
  for (const record of due) {
    const arn = record.modelArn;
    try {
      // The tags may have changed since the rule was cached: read them again, just before starting.
      const tags = await tagsOf(deps, record);
      const tag = restartTag(tags, config.optOutTagKey);
      if (tag === undefined || "error" in tag) {
        await deps.log.changeFollowUp(record, { kind: "restart-rule" });
        if (tag) results.errors.push({ arn, message: `not restarted on schedule: ${tag.error}` });
        else deps.logger.info("restart rule gone", { modelArn: arn, was: record.restartRule });
        continue;
      }
      if (tag.rule.text !== record.restartRule || tag.source !== record.restartRuleSource) {
        const since = new Date(input.now).toISOString();
        await deps.log.changeFollowUp(record, {
          kind: "restart-rule",
          rule: tag.rule.text,
          source: tag.source,
          since,
        });
        const { startFrom } = scheduledStart(
          tag.rule,
          { ...record, restartRuleSince: since },
          config.restartLeadMinutes,
        );
        if (startFrom > input.now) {
          deps.logger.info("restart rule changed", {
            modelArn: arn,
            rule: tag.rule.text,
            startFrom: formatTime(startFrom),
          });
          continue;
        }
      }
      const result = await restartModel(deps, config, {
        runId: input.runId,
        record,
        by: "schedule",
        reason: ruleReason(tag.rule.text, tag.source),
        rule: { text: tag.rule.text, source: tag.source },
      });
      tally(results, result);
      if (result.kind !== "not-restarted" || result.done) settled.add(record);
    } catch (error) {
      results.errors.push({ arn, message: `not restarted on schedule: ${errorMessage(error)}` });
    }
  }
  return { ...results, remaining: input.followed.filter((record) => !settled.has(record)) };
}

/**
 * The tags of a stopped model and of its project (when the record names it); `projects` shares each project's
 * read among its models.
 */
export async function tagsOf(
  deps: Pick<RunDependencies, "directory">,
  record: Pick<StopRecord, "region" | "modelArn" | "projectArn">,
  projects = new Map<string, Promise<Record<string, string>>>(),
): Promise<{ model: Record<string, string>; project: Record<string, string> }> {
  const { projectArn } = record;
  let project = projectArn === undefined ? undefined : projects.get(projectArn);
  if (projectArn !== undefined && project === undefined) {
    project = deps.directory.listTags(record.region, projectArn);
    projects.set(projectArn, project);
  }
  const [modelTags, projectTags] = await Promise.all([
    deps.directory.listTags(record.region, record.modelArn),
    // A record written before projectArn was recorded has only the model's own tags to go by.
    project ?? {},
  ]);
  return { model: modelTags, project: projectTags };
}
