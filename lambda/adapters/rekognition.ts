/**
 * Rekognition Custom Labels: discovery of running models, tag reads, status checks and stops. Each API goes
 * through its own gate (concurrency and pace); this module maps SDK shapes to the core's plain types and SDK
 * errors to outcomes.
 */

import {
  DescribeProjectsCommand,
  type DescribeProjectsCommandInput,
  DescribeProjectVersionsCommand,
  type DescribeProjectVersionsCommandInput,
  ListTagsForResourceCommand,
  type ProjectDescription,
  type ProjectVersionDescription,
  type RekognitionClient,
  StartProjectVersionCommand,
  StopProjectVersionCommand,
} from "@aws-sdk/client-rekognition";
import { plural } from "../core/format.ts";
import type { RunningModel } from "../core/types.ts";
import { attemptsOf, errorMessage, errorName } from "./errors.ts";
import { type Gate, openGate } from "./gate.ts";
import { chunk } from "./metrics.ts";
import { forEachPage } from "./paging.ts";

/** A problem with one project or model, or a part of the run not done, that did not stop the others. */
export interface Problem {
  readonly arn?: string;
  readonly message: string;
}

/** A project or model the run did not get to, and why. */
export interface Unfinished {
  /** Its ARN; absent for a model known by name only (metrics-first discovery did not describe it). */
  readonly arn?: string;
  /** `<project>/<version>`, for a model known by name only. */
  readonly model?: string;
  /** The region, for a model known by name only. */
  readonly region?: string;
  readonly reason: string;
}

/**
 * A project or model discovery saw but left alone because DescribeProjects or DescribeProjectVersions described it
 * with a status or feature the stopper does not know, or with an ARN it cannot read; and why.
 */
export interface NotConsidered {
  readonly arn: string;
  readonly reason: string;
}

/** What discovery found in one region, beyond the models it handed over as it went. */
export interface Discovery {
  /** Custom Labels projects found. */
  projects: number;
  readonly errors: Problem[];
  readonly unfinished: Unfinished[];
  readonly notConsidered: NotConsidered[];
}

/** The answer to a StopProjectVersion call, mapped to what the run records. */
export type StopOutcome =
  | { readonly kind: "stopping"; readonly status: string; readonly note?: string }
  | { readonly kind: "already-changing"; readonly status: string }
  | { readonly kind: "not-found"; readonly status: string };

/** The answer to a StartProjectVersion call, mapped to what the follow-up records. */
export type StartOutcome =
  | { readonly kind: "starting"; readonly status: string; readonly note?: string }
  /** The model is changing in another way (e.g. still STOPPING): nothing was started. */
  | { readonly kind: "not-started"; readonly reason: string }
  | { readonly kind: "not-found"; readonly reason: string };

/** What a status read found for one model: its status (undefined when it no longer exists), or why it is unknown. */
export type ModelState = { readonly status: string | undefined } | { readonly error: string };

/** The units a model is started with: MinInferenceUnits, and MaxInferenceUnits for auto-scaling. */
export interface InferenceUnits {
  readonly min: number;
  readonly max?: number;
}

/** The Rekognition operations the run needs, per region. */
export interface ModelDirectory {
  /**
   * Finds every RUNNING Custom Labels model in the region, reading every page of projects and versions, and hands
   * them to `onModels` as soon as each project's versions are read. Before describing each project it asks
   * `mayContinue`; once that says no, the remaining projects are reported as unfinished.
   */
  discover(
    region: string,
    onModels: (models: RunningModel[]) => void,
    mayContinue?: () => boolean,
  ): Promise<Discovery>;
  /**
   * The ARNs of Custom Labels projects by name (DescribeProjects with ProjectNames, at most
   * {@link NAMES_PER_DESCRIBE} a call); a name without a Custom Labels project is left out, and a project of a
   * feature the stopper does not know is not considered, with the reason.
   */
  projectArns(region: string, projectNames: readonly string[]): Promise<ProjectLookup>;
  /**
   * Describes versions of one project by name (DescribeProjectVersions with VersionNames, at most
   * {@link NAMES_PER_DESCRIBE}): the RUNNING Custom Labels ones, and those it cannot judge.
   */
  describeModels(
    region: string,
    projectArn: string,
    versionNames: readonly string[],
  ): Promise<DescribedModels>;
  /** Reads the tags of a project or a model. */
  listTags(region: string, resourceArn: string): Promise<Record<string, string>>;
  /** The model's current status, or undefined when it no longer exists. */
  modelStatus(region: string, modelArn: string): Promise<string | undefined>;
  /** Stops a model. ResourceInUse and ResourceNotFound are outcomes; any other error is thrown. */
  stopModel(region: string, modelArn: string): Promise<StopOutcome>;
  /** The statuses of several models of a region, asking about up to 10 projects or versions a call. */
  modelStatuses(region: string, modelArns: readonly string[]): Promise<Map<string, ModelState>>;
  /**
   * Starts a stopped model with its units. ResourceInUse counts as the start only when the model's status then
   * reads STARTING or RUNNING; ResourceNotFound is an outcome. A start that certainly did not happen throws its
   * error; one whose fate cannot be told throws {@link StartOutcomeUnknownError}.
   */
  startModel(region: string, modelArn: string, units: InferenceUnits): Promise<StartOutcome>;
}

/** What looking projects up by name found. */
export interface ProjectLookup {
  /** Project name → ARN, for the Custom Labels projects found. */
  readonly arns: Map<string, string>;
  readonly notConsidered: NotConsidered[];
}

/** What describing versions by name found. */
export interface DescribedModels {
  readonly running: RunningModel[];
  readonly notConsidered: NotConsidered[];
  readonly problems: Problem[];
}

/** ProjectNames and VersionNames take at most 10 names a call. */
export const NAMES_PER_DESCRIBE = 10;

/** How the status of a stop StopProjectVersion refused as ResourceInUse begins (the error follows). */
export const ALREADY_CHANGING = "ALREADY_CHANGING: ";

/** One gate per Rekognition API, so that a slow one does not hold up the others. */
export interface RekognitionGates {
  readonly describe: Gate;
  readonly tags: Gate;
  readonly stop: Gate;
  readonly start: Gate;
}

// Largest page DescribeProjects and DescribeProjectVersions accept; above 100 is a ValidationException.
const PAGE_SIZE = 100;
const CUSTOM_LABELS = "CUSTOM_LABELS";

/** The features the service model lists (CustomizationFeature); Content Moderation is never touched. */
export const KNOWN_FEATURES: ReadonlySet<string> = new Set([CUSTOM_LABELS, "CONTENT_MODERATION"]);

/** The statuses the service model lists for a model version (ProjectVersionStatus). */
export const KNOWN_MODEL_STATUSES: ReadonlySet<string> = new Set([
  "TRAINING_IN_PROGRESS",
  "TRAINING_COMPLETED",
  "TRAINING_FAILED",
  "STARTING",
  "RUNNING",
  "FAILED",
  "STOPPING",
  "STOPPED",
  "DELETING",
  "COPYING_IN_PROGRESS",
  "COPYING_COMPLETED",
  "COPYING_FAILED",
  "DEPRECATED",
  "EXPIRED",
]);

/** Splits a model ARN `…:project/<project>/version/<version>/<millis>` into its parts. */
export function parseModelArn(
  modelArn: string,
): { projectArn: string; projectName: string; versionName: string } | undefined {
  const match = /^(arn:[^:]+:rekognition:[^:]+:\d+:project\/([^/]+))\/version\/([^/]+)\/\d+$/.exec(modelArn);
  if (!match) return undefined;
  const [, projectPrefix, projectName, versionName] = match as unknown as [string, string, string, string];
  // The project ARN ends with the project's own creation time, which the model ARN does not carry.
  return { projectArn: projectPrefix, projectName, versionName };
}

/** Why a project of a feature the stopper does not know is left alone. */
const unknownFeature = (projectArn: string, feature: string | undefined): NotConsidered => ({
  arn: projectArn,
  reason:
    `not considered: DescribeProjects reports Feature ${JSON.stringify(feature)} for the ` +
    "project, which the stopper does not know; only Custom Labels projects are scanned",
});

/** Custom Labels, or no Feature at all (projects created before Features existed). */
const isCustomLabels = (feature: string | undefined): boolean =>
  feature === undefined || feature === CUSTOM_LABELS;

/** The SDK-backed {@link ModelDirectory}. `clientFor` and `gatesFor` give one client and gate set per region. */
export class RekognitionModelDirectory implements ModelDirectory {
  constructor(
    private readonly clientFor: (region: string) => RekognitionClient,
    private readonly gatesFor: (region: string) => RekognitionGates = () => ({
      describe: openGate,
      tags: openGate,
      stop: openGate,
      start: openGate,
    }),
  ) {}

  async discover(
    region: string,
    onModels: (models: RunningModel[]) => void,
    mayContinue: () => boolean = () => true,
  ): Promise<Discovery> {
    const discovery: Discovery = { projects: 0, errors: [], unfinished: [], notConsidered: [] };
    const listings: Promise<void>[] = [];
    try {
      await this.eachProjectsPage(
        region,
        { Features: [CUSTOM_LABELS], MaxResults: PAGE_SIZE },
        (projects) => {
          for (const project of projects) {
            const projectArn = project.ProjectArn;
            if (!projectArn) {
              discovery.errors.push({
                message: `DescribeProjects in ${region} returned a project without ProjectArn; it was skipped`,
              });
              continue;
            }
            if (!isCustomLabels(project.Feature)) {
              if (!KNOWN_FEATURES.has(project.Feature ?? ""))
                discovery.notConsidered.push(unknownFeature(projectArn, project.Feature));
              continue;
            }
            discovery.projects += 1;
            // Each project's versions are listed while the next pages of projects are still being read.
            listings.push(this.listProject(region, projectArn, onModels, mayContinue, discovery));
          }
        },
      );
    } catch (error) {
      // The models found so far are still real; the rest of the region is reported, not guessed.
      discovery.errors.push({
        message: `DescribeProjects in ${region} failed after ${plural(discovery.projects, "project")}: ${errorMessage(error)}`,
      });
    }
    await Promise.all(listings);
    return discovery;
  }

  private async listProject(
    region: string,
    projectArn: string,
    onModels: (models: RunningModel[]) => void,
    mayContinue: () => boolean,
    discovery: Discovery,
  ): Promise<void> {
    try {
      await this.eachVersionsPage(
        region,
        { ProjectArn: projectArn, MaxResults: PAGE_SIZE },
        (versions) => {
          const running: RunningModel[] = [];
          for (const version of versions) {
            const seen = toRunningModel(region, projectArn, version);
            if (seen === undefined) continue;
            if ("reason" in seen) discovery.notConsidered.push(seen);
            else if ("message" in seen) discovery.errors.push(seen);
            else running.push(seen);
          }
          if (running.length > 0) onModels(running);
        },
        mayContinue,
      );
    } catch (error) {
      if (error instanceof OutOfTime) {
        discovery.unfinished.push({
          arn: projectArn,
          reason: "project not described: the run was out of time",
        });
      } else {
        discovery.errors.push({
          arn: projectArn,
          message: `DescribeProjectVersions failed: ${errorMessage(error)}`,
        });
      }
    }
  }

  async projectArns(region: string, projectNames: readonly string[]): Promise<ProjectLookup> {
    if (projectNames.length > NAMES_PER_DESCRIBE)
      throw new RangeError(
        `DescribeProjects takes at most ${NAMES_PER_DESCRIBE} names, got ${projectNames.length}`,
      );
    const found: ProjectLookup = { arns: new Map(), notConsidered: [] };
    const wanted = new Set(projectNames);
    await this.eachProjectsPage(
      region,
      { ProjectNames: [...projectNames], Features: [CUSTOM_LABELS] },
      (projects) => {
        for (const project of projects) {
          const arn = project.ProjectArn ?? "";
          const name = /:project\/([^/]+)\/\d+$/.exec(arn)?.[1];
          if (name === undefined || !wanted.has(name)) continue;
          if (isCustomLabels(project.Feature)) found.arns.set(name, arn);
          else if (!KNOWN_FEATURES.has(project.Feature ?? ""))
            found.notConsidered.push(unknownFeature(arn, project.Feature));
        }
      },
    );
    return found;
  }

  async describeModels(
    region: string,
    projectArn: string,
    versionNames: readonly string[],
  ): Promise<DescribedModels> {
    if (versionNames.length > NAMES_PER_DESCRIBE)
      throw new RangeError(
        `DescribeProjectVersions takes at most ${NAMES_PER_DESCRIBE} names, got ${versionNames.length}`,
      );
    const found: DescribedModels = { running: [], notConsidered: [], problems: [] };
    await this.eachVersionsPage(
      region,
      { ProjectArn: projectArn, VersionNames: [...versionNames] },
      (versions) => {
        for (const version of versions) {
          const seen = toRunningModel(region, projectArn, version);
          if (seen === undefined) continue;
          if ("reason" in seen) found.notConsidered.push(seen);
          else if ("message" in seen) found.problems.push(seen);
          else found.running.push(seen);
        }
      },
    );
    return found;
  }

  /** Hands every page of DescribeProjects for `input` to `onProjects`, each call through the describe gate. */
  private eachProjectsPage(
    region: string,
    input: Omit<DescribeProjectsCommandInput, "NextToken">,
    onProjects: (projects: readonly ProjectDescription[]) => void,
  ): Promise<void> {
    const client = this.clientFor(region);
    const { describe } = this.gatesFor(region);
    return forEachPage(
      "DescribeProjects",
      async (token) => {
        const page = await describe(() =>
          client.send(new DescribeProjectsCommand({ ...input, NextToken: token })),
        );
        return { items: page.ProjectDescriptions ?? [], nextToken: page.NextToken };
      },
      onProjects,
    );
  }

  /**
   * Hands every page of DescribeProjectVersions for `input` to `onVersions`, each call through the describe gate;
   * throws {@link OutOfTime} before a page once `mayContinue` says no.
   */
  private eachVersionsPage(
    region: string,
    input: Omit<DescribeProjectVersionsCommandInput, "NextToken">,
    onVersions: (versions: readonly ProjectVersionDescription[]) => void,
    mayContinue: () => boolean = () => true,
  ): Promise<void> {
    const client = this.clientFor(region);
    const { describe } = this.gatesFor(region);
    return forEachPage(
      "DescribeProjectVersions",
      async (token) => {
        if (!mayContinue()) throw new OutOfTime();
        const page = await describe(() =>
          client.send(new DescribeProjectVersionsCommand({ ...input, NextToken: token })),
        );
        return { items: page.ProjectVersionDescriptions ?? [], nextToken: page.NextToken };
      },
      onVersions,
    );
  }

  async listTags(region: string, resourceArn: string): Promise<Record<string, string>> {
    const client = this.clientFor(region);
    const response = await this.gatesFor(region).tags(() =>
      client.send(new ListTagsForResourceCommand({ ResourceArn: resourceArn })),
    );
    return response.Tags ?? {};
  }

  async modelStatus(region: string, modelArn: string): Promise<string | undefined> {
    const parts = parseModelArn(modelArn);
    if (!parts) throw new Error(`not a Custom Labels model ARN: ${modelArn}`);
    const client = this.clientFor(region);
    // The project ARN carries the project's creation time, which the model ARN lacks: find it by name.
    try {
      const projects = await this.gatesFor(region).describe(() =>
        client.send(
          new DescribeProjectsCommand({ ProjectNames: [parts.projectName], Features: [CUSTOM_LABELS] }),
        ),
      );
      const projectArn = projects.ProjectDescriptions?.find((p) =>
        p.ProjectArn?.startsWith(`${parts.projectArn}/`),
      )?.ProjectArn;
      if (!projectArn) return undefined;
      const versions = await this.gatesFor(region).describe(() =>
        client.send(
          new DescribeProjectVersionsCommand({ ProjectArn: projectArn, VersionNames: [parts.versionName] }),
        ),
      );
      return versions.ProjectVersionDescriptions?.find((v) => v.ProjectVersionArn === modelArn)?.Status;
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return undefined;
      throw error;
    }
  }

  /** The model's status; undefined when it is gone; UNREADABLE when it cannot be read just now. */
  private async statusOrUnreadable(
    region: string,
    modelArn: string,
  ): Promise<string | undefined | typeof UNREADABLE> {
    try {
      return await this.modelStatus(region, modelArn);
    } catch {
      // The caller says what it could not tell; the read's own error adds nothing for the reader.
      return UNREADABLE;
    }
  }

  async stopModel(region: string, modelArn: string): Promise<StopOutcome> {
    const client = this.clientFor(region);
    try {
      const response = await this.gatesFor(region).stop(() =>
        client.send(new StopProjectVersionCommand({ ProjectVersionArn: modelArn })),
      );
      return { kind: "stopping", status: response.Status ?? "STOPPING" };
    } catch (error) {
      const attempts = attemptsOf(error);
      // AWS does not document what Stop answers for a model already stopping; ResourceInUse is the sign.
      // Matching by name, not instanceof, holds even when two copies of the SDK are loaded.
      const inUse = errorName(error) === "ResourceInUseException";
      if (inUse && attempts === 1)
        return { kind: "already-changing", status: `${ALREADY_CHANGING}${errorMessage(error)}` };
      if (errorName(error) === "ResourceNotFoundException") {
        return { kind: "not-found", status: `NOT_FOUND: ${errorMessage(error)}` };
      }
      if (!inUse && refusedOutright(error)) throw error;
      // An attempt may have stopped the model and lost its answer (a 5xx after the work was done, a dropped
      // connection); the retries then met a model in use, or failed. The model's status says which.
      const status = await this.statusOrUnreadable(region, modelArn);
      if (status !== UNREADABLE && status !== undefined && STOPPED_STATUSES.has(status)) {
        return {
          kind: "stopping",
          status: "STOPPING",
          note:
            `StopProjectVersion answered ${errorMessage(error)} after ${attempts} attempt${attempts === 1 ? "" : "s"}, ` +
            `but the model is ${status}: an attempt went through and its answer was lost`,
        };
      }
      if (status === UNREADABLE) throw new StopOutcomeUnknownError(modelArn, error);
      if (inUse) return { kind: "already-changing", status: `${ALREADY_CHANGING}${errorMessage(error)}` };
      throw error;
    }
  }

  async modelStatuses(region: string, modelArns: readonly string[]): Promise<Map<string, ModelState>> {
    const states = new Map<string, ModelState>();
    // Project name → its versions' names → model ARN.
    const wanted = new Map<string, Map<string, string>>();
    for (const arn of modelArns) {
      const parts = parseModelArn(arn);
      if (!parts) {
        states.set(arn, { error: `not a Custom Labels model ARN: ${arn}` });
        continue;
      }
      const versions = wanted.get(parts.projectName) ?? new Map<string, string>();
      versions.set(parts.versionName, arn);
      wanted.set(parts.projectName, versions);
    }
    const failAll = (arns: Iterable<string>, what: string, error: unknown) => {
      for (const arn of arns) states.set(arn, { error: `${what} failed: ${errorMessage(error)}` });
    };
    await Promise.all(
      chunk([...wanted.keys()], NAMES_PER_CALL).map(async (names) => {
        const projectArns = new Map<string, string>();
        try {
          await this.eachProjectsPage(
            region,
            { ProjectNames: names, Features: [CUSTOM_LABELS] },
            (projects) => {
              for (const project of projects) {
                const name = /:project\/([^/]+)\/\d+$/.exec(project.ProjectArn ?? "")?.[1];
                if (name && project.ProjectArn) projectArns.set(name, project.ProjectArn);
              }
            },
          );
        } catch (error) {
          failAll(
            names.flatMap((name) => [...(wanted.get(name)?.values() ?? [])]),
            "DescribeProjects",
            error,
          );
          return;
        }
        await Promise.all(
          names.map(async (name) => {
            const versions = wanted.get(name) ?? new Map<string, string>();
            const projectArn = projectArns.get(name);
            // A project that is gone took its models with it.
            for (const arn of versions.values()) states.set(arn, { status: undefined });
            if (!projectArn) return;
            await Promise.all(
              chunk([...versions.keys()], NAMES_PER_CALL).map(async (versionNames) => {
                try {
                  await this.eachVersionsPage(
                    region,
                    { ProjectArn: projectArn, VersionNames: versionNames },
                    (found) => {
                      for (const version of found) {
                        const arn = version.ProjectVersionArn;
                        if (arn !== undefined && states.has(arn)) states.set(arn, { status: version.Status });
                      }
                    },
                  );
                } catch (error) {
                  if (errorName(error) === "ResourceNotFoundException") return;
                  failAll(
                    versionNames.map((version) => versions.get(version) as string),
                    "DescribeProjectVersions",
                    error,
                  );
                }
              }),
            );
          }),
        );
      }),
    );
    return states;
  }

  async startModel(region: string, modelArn: string, units: InferenceUnits): Promise<StartOutcome> {
    const client = this.clientFor(region);
    try {
      const response = await this.gatesFor(region).start(() =>
        client.send(
          new StartProjectVersionCommand({
            ProjectVersionArn: modelArn,
            MinInferenceUnits: units.min,
            ...(units.max !== undefined && { MaxInferenceUnits: units.max }),
          }),
        ),
      );
      return { kind: "starting", status: response.Status ?? "STARTING" };
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException")
        return { kind: "not-found", reason: `the model no longer exists (${errorMessage(error)})` };
      const inUse = errorName(error) === "ResourceInUseException";
      if (!inUse && refusedOutright(error)) throw error;
      // ResourceInUse means the model is changing: because an earlier attempt of this very call started it and its
      // answer was lost, or because it is still stopping. Any other failure after several attempts may hide a
      // start that went through. The model's status says which.
      const attempts = attemptsOf(error);
      const status = await this.statusOrUnreadable(region, modelArn);
      if (status === UNREADABLE) throw new StartOutcomeUnknownError(modelArn, error);
      if (status !== undefined && STARTED_STATUSES.has(status)) {
        return {
          kind: "starting",
          status,
          note:
            `StartProjectVersion answered ${errorMessage(error)} after ${attempts} attempt${attempts === 1 ? "" : "s"}, ` +
            `and the model is ${status}: counted as the restart`,
        };
      }
      if (status === undefined)
        return { kind: "not-found", reason: `the model no longer exists (${errorMessage(error)})` };
      if (inUse)
        return {
          kind: "not-started",
          reason: `StartProjectVersion answered ${errorMessage(error)}; the model is ${status}`,
        };
      throw error;
    }
  }
}

/**
 * StartProjectVersion failed in a way that may hide a start that went through, and the model's status could not be
 * read to tell: the record stays RESTART_PENDING for a later follow-up to complete from the real status.
 */
export class StartOutcomeUnknownError extends Error {
  constructor(
    readonly modelArn: string,
    cause: unknown,
  ) {
    super(`StartProjectVersion failed (${errorMessage(cause)}) and the model's status could not be read`, {
      cause,
    });
    this.name = "StartOutcomeUnknownError";
  }
}

/**
 * StopProjectVersion failed in a way that may hide a stop that went through, and the model's status could not be
 * read to tell: the run leaves the model's record STOP_PENDING for the next run to complete from the real status.
 */
export class StopOutcomeUnknownError extends Error {
  constructor(
    readonly modelArn: string,
    cause: unknown,
  ) {
    super(`StopProjectVersion failed (${errorMessage(cause)}) and the model's status could not be read`, {
      cause,
    });
    this.name = "StopOutcomeUnknownError";
  }
}

const UNREADABLE = Symbol("unreadable");

// Errors that mean AWS refused the request as a whole: with a single attempt, nothing was done.
const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
]);

/** Whether a failed call certainly did nothing: one attempt, refused as a throttle or as the caller's fault. */
function refusedOutright(error: unknown): boolean {
  if (attemptsOf(error) > 1) return false;
  return (
    THROTTLING_ERRORS.has(errorName(error)) || (error as { $fault?: unknown } | null)?.$fault === "client"
  );
}

const STOPPED_STATUSES: ReadonlySet<string> = new Set(["STOPPING", "STOPPED"]);
const STARTED_STATUSES: ReadonlySet<string> = new Set(["STARTING", "RUNNING"]);
// DescribeProjects' ProjectNames and DescribeProjectVersions' VersionNames take up to 10 names.
const NAMES_PER_CALL = 10;

/** Thrown inside a listing when the run has no time left for it. */
class OutOfTime extends Error {
  override name = "OutOfTime";
}

/**
 * A RUNNING Custom Labels version as a {@link RunningModel}. A version in a known status other than RUNNING, or of
 * Content Moderation, is left out (undefined); one the stopper cannot judge, because its status or feature is not
 * one the service model lists or its ARN cannot be read, comes back with the reason it is not considered.
 */
function toRunningModel(
  region: string,
  projectArn: string,
  version: ProjectVersionDescription,
): RunningModel | NotConsidered | Problem | undefined {
  const arn = version.ProjectVersionArn;
  if (!arn) {
    return version.Status === "RUNNING"
      ? {
          arn: projectArn,
          message:
            "DescribeProjectVersions returned a RUNNING version without ProjectVersionArn; it was skipped",
        }
      : undefined;
  }
  if (!KNOWN_MODEL_STATUSES.has(version.Status ?? "")) {
    return {
      arn,
      reason:
        `not considered: DescribeProjectVersions reports status ${JSON.stringify(version.Status)}, which the ` +
        "stopper does not know; only RUNNING models are stopped",
    };
  }
  if (version.Status !== "RUNNING") return undefined;
  if (!isCustomLabels(version.Feature)) {
    if (KNOWN_FEATURES.has(version.Feature ?? "")) return undefined;
    return {
      arn,
      reason:
        `not considered: DescribeProjectVersions reports Feature ${JSON.stringify(version.Feature)}, which the ` +
        "stopper does not know; only Custom Labels models are stopped",
    };
  }
  const names = parseModelArn(arn);
  if (!names) {
    return {
      arn,
      reason:
        "not considered: the model ARN does not read as " +
        "arn:<partition>:rekognition:<region>:<account>:project/<project>/version/<version>/<time>",
    };
  }
  return {
    region,
    projectArn,
    projectName: names.projectName,
    modelArn: arn,
    versionName: names.versionName,
    ...(version.MinInferenceUnits !== undefined && { minInferenceUnits: version.MinInferenceUnits }),
    ...(version.MaxInferenceUnits !== undefined && { maxInferenceUnits: version.MaxInferenceUnits }),
  };
}
