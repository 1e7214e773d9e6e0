/**
 * Phase "read tags": each model's tags and its project's (ListTagsForResource; a project's once, however many of
 * its models run), read as soon as the model is found, and what they say on their own: opted out, snoozed, not
 * opted in, or the idle threshold to judge the model by.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { ModelDirectory } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { type TagPolicy, tagPolicy } from "../core/tag-policy.ts";
import type { RunningModel, TagEvidence } from "../core/types.ts";
import type { Stage } from "../pipeline.ts";

/** A running model with what its tags say. */
export interface TaggedModel {
  readonly model: RunningModel;
  /** The tags of the model and of its project, or why they could not be read. */
  readonly tags: TagEvidence;
  /** What the tags alone say: keep the model, or the threshold to judge it by; absent when they could not be read. */
  readonly policy?: TagPolicy;
}

/** The settings the tags are read against. */
export type ReadTagsSettings = Pick<StopperConfig, "optOutTagKey" | "requireOptIn" | "idleMinutes">;

/** The read-tags phase of one region's run: a stage from each running model to its {@link TaggedModel}. */
export function readTags(
  deps: { readonly directory: ModelDirectory },
  config: ReadTagsSettings,
  scope: { readonly region: string; readonly now: number },
): Stage<RunningModel, TaggedModel> {
  const projectTags = new Map<string, Promise<Record<string, string>>>();
  const tagsOf = (arn: string) => deps.directory.listTags(scope.region, arn);
  return {
    run: async (model) => {
      let project = projectTags.get(model.projectArn);
      if (!project) {
        project = tagsOf(model.projectArn);
        projectTags.set(model.projectArn, project);
      }
      const tags = await bothTags(tagsOf(model.modelArn), project);
      if ("error" in tags) return { model, tags };
      const policy = tagPolicy(tags, {
        optOutTagKey: config.optOutTagKey,
        requireOptIn: config.requireOptIn,
        defaultIdleMinutes: config.idleMinutes,
        now: scope.now,
      });
      return { model, tags, policy };
    },
  };
}

/** The tags of a model and its project, or why they could not be read. */
async function bothTags(
  model: Promise<Record<string, string>>,
  project: Promise<Record<string, string>>,
): Promise<TagEvidence> {
  const [modelResult, projectResult] = await Promise.allSettled([model, project]);
  if (modelResult.status === "rejected") {
    return { error: `ListTagsForResource on the model failed: ${errorMessage(modelResult.reason)}` };
  }
  if (projectResult.status === "rejected") {
    return { error: `ListTagsForResource on the project failed: ${errorMessage(projectResult.reason)}` };
  }
  return { model: modelResult.value, project: projectResult.value };
}
