/**
 * Phase "decide": the verdict on each model from its evidence, by the pure core (core/decide.ts), as soon as the
 * evidence is in. Evidence that could not be read keeps the model, and is also reported as a problem of the run.
 */

import type { Problem } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { type Decision, decide } from "../core/decide.ts";
import { restartTag } from "../core/follow-up.ts";
import { notifyTargetOf } from "../core/warning.ts";
import type { Stage } from "../pipeline.ts";
import { METRICS_NOT_NEEDED, type MeasuredModel } from "./read-metrics.ts";

/** A model's decision, and what could not be read about it. */
export interface DecidedModel {
  readonly decision: Decision;
  /** The tags or metrics that could not be read, against the model's ARN; the run reports them as errors. */
  readonly problems: readonly Problem[];
}

/** The settings a verdict depends on, and the account and regions a model's notify topic may be in. */
export type DecideSettings = Pick<
  StopperConfig,
  "idleMinutes" | "optOutTagKey" | "requireOptIn" | "pricePerInferenceUnitHour" | "regions" | "warningTopics"
>;

/** The decide phase: a stage from each {@link MeasuredModel} to its {@link DecidedModel}. */
export function decideModel(config: DecideSettings, now: number): Stage<MeasuredModel, DecidedModel> {
  return {
    run: ({ model, tags, usage }) => {
      const problems: Problem[] = [];
      if ("error" in tags) problems.push({ arn: model.modelArn, message: tags.error });
      if ("error" in usage && usage !== METRICS_NOT_NEEDED)
        problems.push({ arn: model.modelArn, message: usage.error });
      const verdict = decide({
        model,
        tags,
        usage,
        now,
        idleMinutes: config.idleMinutes,
        optOutTagKey: config.optOutTagKey,
        requireOptIn: config.requireOptIn,
        pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
      });
      // A restart rule is recorded with the stop, so the follow-up can start the model again on time; an invalid
      // one is reported every run until it is fixed, never silently ignored.
      const restart = "error" in tags ? undefined : restartTag(tags, config.optOutTagKey);
      if (restart && "error" in restart) problems.push({ arn: model.modelArn, message: restart.error });
      // Where the owner wants a warning before a stop: read with the tags, used only if the model is warned.
      const notify =
        "error" in tags
          ? undefined
          : notifyTargetOf(tags, model.modelArn, {
              optOutTagKey: config.optOutTagKey,
              regions: config.warningTopics?.regions ?? config.regions,
              ...(config.warningTopics && { account: config.warningTopics.account }),
            });
      const decision: Decision = {
        model,
        verdict,
        ...(restart && "rule" in restart && { restart: { rule: restart.rule.text, source: restart.source } }),
        ...(notify && { notify }),
      };
      return { decision, problems };
    },
  };
}
