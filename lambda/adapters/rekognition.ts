/**
 * Rekognition Custom Labels: discovery of running models, tag reads and stops. Paging is done by the SDK's own
 * paginators; this module maps SDK shapes to the core's plain types and SDK errors to outcomes.
 */

import {
  ListTagsForResourceCommand,
  paginateDescribeProjects,
  paginateDescribeProjectVersions,
  type RekognitionClient,
  StopProjectVersionCommand,
} from "@aws-sdk/client-rekognition";
import type { RunningModel } from "../core/types.ts";
import { errorMessage } from "./errors.ts";

/** A problem with one project or model that did not stop discovery of the others. */
export interface DiscoveryError {
  readonly arn?: string;
  readonly message: string;
}

/** What discovery found in one region. */
export interface Discovery {
  readonly models: RunningModel[];
  readonly errors: DiscoveryError[];
}

/** The answer to a StopProjectVersion call, mapped to what the run records. */
export type StopOutcome =
  | { readonly kind: "stopping"; readonly status: string }
  | { readonly kind: "already-changing"; readonly status: string }
  | { readonly kind: "not-found"; readonly status: string };

/** The Rekognition operations the run needs, per region. */
export interface ModelDirectory {
  /** Lists every RUNNING Custom Labels model in the region, reading every page of projects and versions. */
  listRunningModels(region: string): Promise<Discovery>;
  /** Reads the tags of a project or a model. */
  listTags(region: string, resourceArn: string): Promise<Record<string, string>>;
  /** Stops a model. ResourceInUse and ResourceNotFound are outcomes; any other error is thrown. */
  stopModel(region: string, modelArn: string): Promise<StopOutcome>;
}

// Largest page DescribeProjects and DescribeProjectVersions accept; above 100 is a ValidationException.
const PAGE_SIZE = 100;
const CUSTOM_LABELS = "CUSTOM_LABELS";

/** Splits a project ARN `…:project/<name>/<millis>` into its name. */
export function projectNameFromArn(projectArn: string): string | undefined {
  return /:project\/([^/]+)\/\d+$/.exec(projectArn)?.[1];
}

/** Splits a model ARN `…:project/<project>/version/<version>/<millis>` into its names. */
export function modelNamesFromArn(
  modelArn: string,
): { projectName: string; versionName: string } | undefined {
  const match = /:project\/([^/]+)\/version\/([^/]+)\/\d+$/.exec(modelArn);
  if (!match) return undefined;
  return { projectName: match[1] as string, versionName: match[2] as string };
}

/** Custom Labels, or no Feature at all (projects created before Features existed). */
const isCustomLabels = (feature: string | undefined): boolean =>
  feature === undefined || feature === CUSTOM_LABELS;

/** The SDK-backed {@link ModelDirectory}. `clientFor` returns one client per region. */
export class RekognitionModelDirectory implements ModelDirectory {
  constructor(private readonly clientFor: (region: string) => RekognitionClient) {}

  async listRunningModels(region: string): Promise<Discovery> {
    const client = this.clientFor(region);
    const models: RunningModel[] = [];
    const errors: DiscoveryError[] = [];
    const projects = paginateDescribeProjects(
      { client, pageSize: PAGE_SIZE },
      { Features: [CUSTOM_LABELS], MaxResults: PAGE_SIZE },
    );
    let projectCount = 0;
    try {
      for await (const page of projects) {
        for (const project of page.ProjectDescriptions ?? []) {
          const projectArn = project.ProjectArn;
          if (!projectArn || !isCustomLabels(project.Feature)) continue;
          projectCount += 1;
          try {
            models.push(...(await this.runningVersions(client, region, projectArn)));
          } catch (error) {
            errors.push({
              arn: projectArn,
              message: `DescribeProjectVersions failed: ${errorMessage(error)}`,
            });
          }
        }
      }
    } catch (error) {
      // The models found so far are still real; the rest of the region is reported, not guessed.
      errors.push({
        message: `DescribeProjects in ${region} failed after ${projectCount} projects: ${errorMessage(error)}`,
      });
    }
    return { models, errors };
  }

  private async runningVersions(client: RekognitionClient, region: string, projectArn: string) {
    const found: RunningModel[] = [];
    const versions = paginateDescribeProjectVersions(
      { client, pageSize: PAGE_SIZE },
      { ProjectArn: projectArn, MaxResults: PAGE_SIZE },
    );
    for await (const page of versions) {
      for (const version of page.ProjectVersionDescriptions ?? []) {
        if (version.Status !== "RUNNING" || !isCustomLabels(version.Feature) || !version.ProjectVersionArn)
          continue;
        const names = modelNamesFromArn(version.ProjectVersionArn);
        if (!names) continue;
        found.push({
          region,
          projectArn,
          projectName: names.projectName,
          modelArn: version.ProjectVersionArn,
          versionName: names.versionName,
          ...(version.MinInferenceUnits !== undefined && { minInferenceUnits: version.MinInferenceUnits }),
          ...(version.MaxInferenceUnits !== undefined && { maxInferenceUnits: version.MaxInferenceUnits }),
        });
      }
    }
    return found;
  }

  async listTags(region: string, resourceArn: string): Promise<Record<string, string>> {
    const response = await this.clientFor(region).send(
      new ListTagsForResourceCommand({ ResourceArn: resourceArn }),
    );
    return response.Tags ?? {};
  }

  async stopModel(region: string, modelArn: string): Promise<StopOutcome> {
    try {
      const response = await this.clientFor(region).send(
        new StopProjectVersionCommand({ ProjectVersionArn: modelArn }),
      );
      return { kind: "stopping", status: response.Status ?? "STOPPING" };
    } catch (error) {
      // AWS does not document what Stop answers for a model already stopping; ResourceInUse is the sign.
      // Matching by name, not instanceof, holds even when two copies of the SDK are loaded.
      const name = error instanceof Error ? error.name : "";
      if (name === "ResourceInUseException") {
        return { kind: "already-changing", status: `ALREADY_CHANGING: ${errorMessage(error)}` };
      }
      if (name === "ResourceNotFoundException") {
        return { kind: "not-found", status: `NOT_FOUND: ${errorMessage(error)}` };
      }
      throw error;
    }
  }
}
