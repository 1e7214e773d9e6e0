/**
 * Phase "read tags": each model's tags and its project's (ListTagsForResource; a project's once, however many of
 * its models run), read as soon as the model is found, and what they say on their own: opted out, snoozed, not
 * opted in, or the idle threshold to judge the model by. The project's tags come first: when they opt the model
 * out or snooze it, nothing the model's own tags say can change that, so those are not read.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { ModelDirectory } from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { projectKeepsItsModels, type TagPolicy, tagPolicy } from "../core/tag-policy.ts";
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

/** Projects' tags by project ARN, each read once per run and region however many phases ask for them. */
export type ProjectTagCache = Map<string, Promise<Record<string, string>>>;

/** The tags of a project from the cache, read (and cached) if no one asked for them yet. */
export function projectTagsOf(
  cache: ProjectTagCache,
  directory: ModelDirectory,
  region: string,
  projectArn: string,
): Promise<Record<string, string>> {
  let tags = cache.get(projectArn);
  if (!tags) {
    tags = directory.listTags(region, projectArn);
    // Whoever awaits it handles a failure; an unawaited rejection must not end the process.
    tags.catch(() => {});
    cache.set(projectArn, tags);
  }
  return tags;
}

/** The settings the tags are read against. */
export type ReadTagsSettings = Pick<StopperConfig, "optOutTagKey" | "requireOptIn" | "idleMinutes">;

/** The read-tags phase of one region's run: a stage from each running model to its {@link TaggedModel}. */
export function readTags(
  deps: { readonly directory: ModelDirectory },
  config: ReadTagsSettings,
  scope: { readonly region: string; readonly now: number },
  /** Told of each model once its tags are read, whether they leave it a candidate to stop (metrics-first's budget). */
  budget?: { tagged(likelyStop: boolean): void },
  /** Projects' tags read already (metrics-first discovery reads them before describing a project's versions). */
  projectTags: ProjectTagCache = new Map(),
): Stage<RunningModel, TaggedModel> {
  const tagsOf = (arn: string) => deps.directory.listTags(scope.region, arn);
  const read = async (model: RunningModel): Promise<TaggedModel> => {
    const project = projectTagsOf(projectTags, deps.directory, scope.region, model.projectArn);
    const tags = await modelAndProjectTags(model, project, tagsOf, config.optOutTagKey, scope.now);
    if ("error" in tags) return { model, tags };
    const policy = tagPolicy(tags, {
      optOutTagKey: config.optOutTagKey,
      requireOptIn: config.requireOptIn,
      defaultIdleMinutes: config.idleMinutes,
      now: scope.now,
    });
    return { model, tags, policy };
  };
  return {
    run: async (model) => {
      let tagged: TaggedModel | undefined;
      try {
        tagged = await read(model);
        return tagged;
      } finally {
        budget?.tagged(tagged?.policy?.keep === false);
      }
    },
  };
}

/**
 * The tags of a model and its project, or why they could not be read. The model's own are not read when its
 * project's opt it out or snooze it: the model is kept whatever they say.
 */
async function modelAndProjectTags(
  model: RunningModel,
  project: Promise<Record<string, string>>,
  tagsOf: (arn: string) => Promise<Record<string, string>>,
  optOutTagKey: string,
  now: number,
): Promise<TagEvidence> {
  let projectTags: Record<string, string>;
  try {
    projectTags = await project;
  } catch (error) {
    return { error: `ListTagsForResource on the project failed: ${errorMessage(error)}` };
  }
  if (projectKeepsItsModels(projectTags, optOutTagKey, now) !== undefined)
    return { model: {}, project: projectTags };
  try {
    return { model: await tagsOf(model.modelArn), project: projectTags };
  } catch (error) {
    return { error: `ListTagsForResource on the model failed: ${errorMessage(error)}` };
  }
}
