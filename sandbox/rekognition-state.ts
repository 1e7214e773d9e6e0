/**
 * The Rekognition Custom Labels state of one account: projects and their model versions, per region. Status
 * changes that take time on AWS (STARTING → RUNNING, STOPPING → STOPPED) are settled lazily when the state is
 * read, after a configurable delay, so no timer keeps the process alive.
 */

/** The project features DescribeProjects filters on. */
export const PROJECT_FEATURES = ["CUSTOM_LABELS", "CONTENT_MODERATION"] as const;

/** A project's feature. */
export type ProjectFeature = (typeof PROJECT_FEATURES)[number];

/** Every status DescribeProjectVersions can report. */
export const MODEL_STATUSES = [
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
] as const;

/** A model version's status. */
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** A project as the sandbox holds it. */
export interface ProjectRecord {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly creationMillis: number;
  readonly feature: ProjectFeature;
  readonly tags: Map<string, string>;
  /** Versions by name. */
  readonly versions: Map<string, ModelRecord>;
}

/** A model version as the sandbox holds it. */
export interface ModelRecord {
  readonly arn: string;
  readonly projectName: string;
  readonly versionName: string;
  readonly region: string;
  /** When training started; in the ARN and in CreationTimestamp. */
  readonly creationMillis: number;
  readonly trainingEndMillis: number | undefined;
  readonly feature: ProjectFeature;
  readonly tags: Map<string, string>;
  status: ModelStatus;
  minInferenceUnits: number | undefined;
  maxInferenceUnits: number | undefined;
  /** A status the model reaches at `at` (epoch ms, sandbox clock). */
  pending: { readonly status: ModelStatus; readonly at: number } | undefined;
}

/** A read-only copy of a model, for tests. */
export interface ModelSnapshot {
  readonly arn: string;
  readonly projectName: string;
  readonly versionName: string;
  readonly region: string;
  readonly status: ModelStatus;
  readonly creationMillis: number;
  readonly minInferenceUnits?: number;
  readonly maxInferenceUnits?: number;
  readonly feature: ProjectFeature;
  readonly tags: Readonly<Record<string, string>>;
}

/** A read-only copy of a project, for tests. */
export interface ProjectSnapshot {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly creationMillis: number;
  readonly feature: ProjectFeature;
  readonly tags: Readonly<Record<string, string>>;
  readonly versionNames: readonly string[];
}

/** The ARN partition of a region: `aws`, `aws-cn` or `aws-us-gov`. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** `arn:aws:rekognition:<region>:<account>:project/<name>/<creationMillis>` */
export function projectArnOf(region: string, account: string, name: string, creationMillis: number): string {
  return `arn:${partitionOf(region)}:rekognition:${region}:${account}:project/${name}/${creationMillis}`;
}

/** `arn:aws:rekognition:<region>:<account>:project/<project>/version/<version>/<creationMillis>` */
export function modelArnOf(
  region: string,
  account: string,
  projectName: string,
  versionName: string,
  creationMillis: number,
): string {
  return `arn:${partitionOf(region)}:rekognition:${region}:${account}:project/${projectName}/version/${versionName}/${creationMillis}`;
}

/** The region inside a Rekognition ARN. */
export function regionOfArn(arn: string): string | undefined {
  return /^arn:[a-z-]+:rekognition:([a-z0-9-]+):/.exec(arn)?.[1];
}

/** Names accepted for projects and versions (AWS: `[a-zA-Z0-9_.\-]{1,255}`). */
export const NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,255}$/;

/** The projects and models of one account, across regions. */
export class RekognitionState {
  private readonly projectsByArn = new Map<string, ProjectRecord>();
  private readonly modelsByArn = new Map<string, ModelRecord>();
  private readonly projectsByName = new Map<string, ProjectRecord>();
  /** Milliseconds a model stays STARTING or STOPPING before it settles. */
  transitionDelayMs: number;

  constructor(
    readonly account: string,
    private readonly clock: () => number,
    transitionDelayMs: number,
  ) {
    this.transitionDelayMs = transitionDelayMs;
  }

  /** Adds a project; throws when the region already has one of that name. */
  addProject(project: {
    name: string;
    region: string;
    creationMillis: number;
    feature: ProjectFeature;
    tags?: Readonly<Record<string, string>>;
  }): ProjectRecord {
    if (!NAME_PATTERN.test(project.name))
      throw new Error(`Invalid project name ${JSON.stringify(project.name)}`);
    if (this.findProject(project.region, project.name))
      throw new Error(`Project ${project.name} already exists in ${project.region}`);
    const record: ProjectRecord = {
      arn: projectArnOf(project.region, this.account, project.name, project.creationMillis),
      name: project.name,
      region: project.region,
      creationMillis: project.creationMillis,
      feature: project.feature,
      tags: new Map(Object.entries(project.tags ?? {})),
      versions: new Map(),
    };
    this.projectsByArn.set(record.arn, record);
    this.projectsByName.set(`${record.region}/${record.name}`, record);
    return record;
  }

  /** Adds a model version to a project; throws when the project already has a version of that name. */
  addModel(
    project: ProjectRecord,
    model: {
      versionName: string;
      creationMillis: number;
      trainingEndMillis?: number;
      status: ModelStatus;
      feature?: ProjectFeature;
      minInferenceUnits?: number;
      maxInferenceUnits?: number;
      tags?: Readonly<Record<string, string>>;
    },
  ): ModelRecord {
    if (!NAME_PATTERN.test(model.versionName))
      throw new Error(`Invalid version name ${JSON.stringify(model.versionName)}`);
    if (project.versions.has(model.versionName))
      throw new Error(`Version ${model.versionName} already exists in project ${project.name}`);
    const record: ModelRecord = {
      arn: modelArnOf(project.region, this.account, project.name, model.versionName, model.creationMillis),
      projectName: project.name,
      versionName: model.versionName,
      region: project.region,
      creationMillis: model.creationMillis,
      trainingEndMillis: model.trainingEndMillis,
      feature: model.feature ?? project.feature,
      tags: new Map(Object.entries(model.tags ?? {})),
      status: model.status,
      minInferenceUnits: model.minInferenceUnits,
      maxInferenceUnits: model.maxInferenceUnits,
      pending: undefined,
    };
    // A model seeded mid-transition finishes it like one started or stopped through the API.
    if (record.status === "STARTING") record.pending = { status: "RUNNING", at: this.settleAt() };
    if (record.status === "STOPPING") record.pending = { status: "STOPPED", at: this.settleAt() };
    project.versions.set(record.versionName, record);
    this.modelsByArn.set(record.arn, record);
    return record;
  }

  /** The project of that name in a region. */
  findProject(region: string, name: string): ProjectRecord | undefined {
    return this.projectsByName.get(`${region}/${name}`);
  }

  /** A project by ARN. */
  project(arn: string): ProjectRecord | undefined {
    return this.projectsByArn.get(arn);
  }

  /** A model by ARN, its pending transition settled. */
  model(arn: string): ModelRecord | undefined {
    const model = this.modelsByArn.get(arn);
    if (model) this.settle(model);
    return model;
  }

  /** Every project of a region, oldest first. */
  projectsIn(region: string): ProjectRecord[] {
    return [...this.projectsByArn.values()]
      .filter((project) => project.region === region)
      .sort((a, b) => a.creationMillis - b.creationMillis || a.name.localeCompare(b.name));
  }

  /** Every project, every region. */
  allProjects(): ProjectRecord[] {
    return [...this.projectsByArn.values()];
  }

  /** A project's versions, newest first (by CreationTimestamp), their transitions settled. */
  versionsOf(project: ProjectRecord): ModelRecord[] {
    const versions = [...project.versions.values()];
    for (const version of versions) this.settle(version);
    return versions.sort(
      (a, b) => b.creationMillis - a.creationMillis || a.versionName.localeCompare(b.versionName),
    );
  }

  /** Every model, every region, settled. */
  allModels(): ModelRecord[] {
    const models = [...this.modelsByArn.values()];
    for (const model of models) this.settle(model);
    return models;
  }

  /** Puts a model into STARTING; it becomes RUNNING after the transition delay. */
  beginStart(model: ModelRecord, minInferenceUnits: number, maxInferenceUnits: number | undefined): void {
    model.status = "STARTING";
    model.minInferenceUnits = minInferenceUnits;
    model.maxInferenceUnits = maxInferenceUnits;
    model.pending = { status: "RUNNING", at: this.settleAt() };
  }

  /** Puts a model into STOPPING; it becomes STOPPED after the transition delay. */
  beginStop(model: ModelRecord): void {
    model.status = "STOPPING";
    model.pending = { status: "STOPPED", at: this.settleAt() };
  }

  /** Sets a status at once, cancelling any pending transition (for tests). */
  forceStatus(model: ModelRecord, status: ModelStatus): void {
    model.status = status;
    model.pending = undefined;
  }

  private settleAt(): number {
    return this.clock() + this.transitionDelayMs;
  }

  private settle(model: ModelRecord): void {
    if (model.pending && this.clock() >= model.pending.at) {
      model.status = model.pending.status;
      model.pending = undefined;
    }
  }
}

/** A plain copy of a model. */
export function snapshotModel(model: ModelRecord): ModelSnapshot {
  return {
    arn: model.arn,
    projectName: model.projectName,
    versionName: model.versionName,
    region: model.region,
    status: model.status,
    creationMillis: model.creationMillis,
    ...(model.minInferenceUnits !== undefined && { minInferenceUnits: model.minInferenceUnits }),
    ...(model.maxInferenceUnits !== undefined && { maxInferenceUnits: model.maxInferenceUnits }),
    feature: model.feature,
    tags: Object.fromEntries(model.tags),
  };
}

/** A plain copy of a project. */
export function snapshotProject(project: ProjectRecord): ProjectSnapshot {
  return {
    arn: project.arn,
    name: project.name,
    region: project.region,
    creationMillis: project.creationMillis,
    feature: project.feature,
    tags: Object.fromEntries(project.tags),
    versionNames: [...project.versions.keys()],
  };
}
