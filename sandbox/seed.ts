/**
 * Seeding: a plain description of projects, models and their usage history becomes Rekognition state and
 * CloudWatch datapoints. Creation times are fixed from the spec's positions, so tests can compute every ARN.
 */

import type { MetricDatum, MetricStore } from "./metric-store.ts";
import {
  MODEL_STATUSES,
  type ModelStatus,
  PROJECT_FEATURES,
  type ProjectFeature,
  type RekognitionState,
} from "./rekognition-state.ts";

/** The namespace of Rekognition's metrics. */
export const REKOGNITION_NAMESPACE = "AWS/Rekognition";

/** The request metrics a usage burst can be written to. */
export type RequestMetricName =
  | "SuccessfulRequestCount"
  | "UserErrorCount"
  | "ServerErrorCount"
  | "ThrottledCount";

/** Creation time of the first seeded project: 2024-01-01T00:00:00Z. */
export const SEED_BASE_MILLIS = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * A model was running for a span of time: one InServiceInferenceUnits datapoint at the start of each whole minute
 * from `fromMinutesAgo` down to `toMinutesAgo + 1` minutes before `now` (rounded down to the minute), so
 * `{ fromMinutesAgo: 600, toMinutesAgo: 0 }` writes 600 datapoints, the newest one minute before now.
 */
export interface InServiceSpan {
  /** The span starts this many minutes before `now`. */
  readonly fromMinutesAgo: number;
  /** The span ends this many minutes before `now` (0 = still running). */
  readonly toMinutesAgo: number;
  /** The InServiceInferenceUnits value of each datapoint. */
  readonly units: number;
}

/** Requests served in one minute. */
export interface RequestBurst {
  /** The datapoint is at the start of the minute this many minutes before `now` (rounded down to the minute). */
  readonly minutesAgo: number;
  /** The datapoint's value (statistic Sum adds them up). */
  readonly count: number;
  /** @default "SuccessfulRequestCount" */
  readonly metric?: RequestMetricName;
  /** Seconds after its timestamp (on the sandbox's clock) before GetMetricData sees it. @default the sandbox's */
  readonly delaySeconds?: number;
  /**
   * GetMetricData sees it only once the sandbox has answered this many calls after the seeding: e.g. 1 hides it from
   * the next run's decision (its first call, for up to 100 models) and shows it to that run's last look. @default 0
   */
  readonly visibleAfterCalls?: number;
}

/** A model version to seed. */
export interface SeedVersion {
  readonly name: string;
  readonly status: ModelStatus;
  /** @default 1 for a model that has been started (STARTING, RUNNING, STOPPING, STOPPED, FAILED), else none */
  readonly minInferenceUnits?: number;
  /** @default none (no auto-scaling) */
  readonly maxInferenceUnits?: number;
  /** @default the project's feature */
  readonly feature?: ProjectFeature;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Epoch ms in the ARN and CreationTimestamp. @default see {@link seedCreationMillis} */
  readonly creationMillis?: number;
  /** When the model ran, relative to the seed's `now`. @default [] */
  readonly inService?: readonly InServiceSpan[];
  /** Requests it served, relative to the seed's `now`. @default [] */
  readonly requests?: readonly RequestBurst[];
}

/** A project to seed. */
export interface SeedProject {
  readonly name: string;
  /** @default the sandbox's region */
  readonly region?: string;
  /** @default "CUSTOM_LABELS" */
  readonly feature?: ProjectFeature;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Epoch ms in the ARN and CreationTimestamp. @default see {@link seedCreationMillis} */
  readonly creationMillis?: number;
  /** @default [] */
  readonly versions?: readonly SeedVersion[];
}

/** What `seed()` takes: plain data, safe to keep in a JSON file. */
export interface SeedSpec {
  /** Must equal the sandbox's account when given. @default the sandbox's account */
  readonly account?: string;
  /** The instant usage history is relative to (epoch ms). @default the sandbox clock's now */
  readonly now?: number;
  readonly projects: readonly SeedProject[];
}

/** The ARNs `seed()` created, in the spec's order. */
export interface SeedResult {
  readonly projects: readonly {
    readonly name: string;
    readonly region: string;
    readonly arn: string;
    readonly versions: readonly { readonly name: string; readonly arn: string }[];
  }[];
  /** How many CloudWatch datapoints were written. */
  readonly datapoints: number;
}

/**
 * The default creation time of the project at `projectIndex` in a spec (one day apart from 2024-01-01) or of
 * its version at `versionIndex` (one hour apart after the project), so later versions are newer.
 */
export function seedCreationMillis(projectIndex: number, versionIndex?: number): number {
  const project = SEED_BASE_MILLIS + projectIndex * DAY;
  return versionIndex === undefined ? project : project + (versionIndex + 1) * HOUR;
}

const STARTED_STATUSES: ReadonlySet<ModelStatus> = new Set([
  "STARTING",
  "RUNNING",
  "STOPPING",
  "STOPPED",
  "FAILED",
]);

/**
 * The CloudWatch datapoints a spec describes, per region, relative to `now` (epoch ms; the spec's own `now` wins):
 * what `applySeed` stores in the sandbox, and what a test puts into another CloudWatch (moto) to hold the same data.
 * Throws, naming the entry, on an invalid span.
 */
export function seedDatapoints(
  spec: SeedSpec,
  context: { readonly defaultRegion: string; readonly now: number },
): Map<string, MetricDatum[]> {
  const now = spec.now ?? context.now;
  const minuteNow = Math.floor(now / MINUTE) * MINUTE;
  // Datapoints go per region: a project's metrics live in its own region.
  const byRegion = new Map<string, MetricDatum[]>();
  for (const projectSpec of spec.projects) {
    const region = projectSpec.region ?? context.defaultRegion;
    for (const versionSpec of projectSpec.versions ?? []) {
      const where = `Project ${projectSpec.name}, version ${versionSpec.name}`;
      const dimensions = { ProjectName: projectSpec.name, VersionName: versionSpec.name };
      const data = byRegion.get(region) ?? [];
      byRegion.set(region, data);
      for (const span of versionSpec.inService ?? []) {
        if (!(span.fromMinutesAgo >= span.toMinutesAgo && span.toMinutesAgo >= 0))
          throw new Error(`${where}: inService span needs fromMinutesAgo ≥ toMinutesAgo ≥ 0`);
        for (let minutesAgo = span.toMinutesAgo + 1; minutesAgo <= span.fromMinutesAgo; minutesAgo += 1)
          data.push({
            namespace: REKOGNITION_NAMESPACE,
            metricName: "InServiceInferenceUnits",
            dimensions,
            timestamp: minuteNow - minutesAgo * MINUTE,
            value: span.units,
          });
      }
      for (const burst of versionSpec.requests ?? []) {
        data.push({
          namespace: REKOGNITION_NAMESPACE,
          metricName: burst.metric ?? "SuccessfulRequestCount",
          dimensions,
          timestamp: minuteNow - burst.minutesAgo * MINUTE,
          value: burst.count,
          ...(burst.delaySeconds !== undefined && { delaySeconds: burst.delaySeconds }),
          ...(burst.visibleAfterCalls !== undefined && { visibleAfterCalls: burst.visibleAfterCalls }),
        });
      }
    }
  }
  return byRegion;
}

/** Writes a spec into the state and the store. Throws, naming the entry, on a duplicate or an invalid value. */
export function applySeed(
  spec: SeedSpec,
  context: { state: RekognitionState; metrics: MetricStore; defaultRegion: string; now: number },
): SeedResult {
  const { state, metrics } = context;
  if (spec.account !== undefined && spec.account !== state.account)
    throw new Error(`Seed account ${spec.account} is not the sandbox's account ${state.account}`);
  // Computed first, so an invalid span leaves the state untouched.
  const byRegion = seedDatapoints(spec, context);
  const projects = spec.projects.map((projectSpec, projectIndex) => {
    const feature = projectSpec.feature ?? "CUSTOM_LABELS";
    if (!PROJECT_FEATURES.includes(feature))
      throw new Error(
        `Project ${projectSpec.name}: feature ${feature} is not one of ${PROJECT_FEATURES.join(", ")}`,
      );
    const region = projectSpec.region ?? context.defaultRegion;
    const project = state.addProject({
      name: projectSpec.name,
      region,
      creationMillis: projectSpec.creationMillis ?? seedCreationMillis(projectIndex),
      feature,
      ...(projectSpec.tags && { tags: projectSpec.tags }),
    });
    const versions = (projectSpec.versions ?? []).map((versionSpec, versionIndex) => {
      const where = `Project ${project.name}, version ${versionSpec.name}`;
      if (!MODEL_STATUSES.includes(versionSpec.status))
        throw new Error(`${where}: status ${versionSpec.status} is not one of ${MODEL_STATUSES.join(", ")}`);
      const creationMillis = versionSpec.creationMillis ?? seedCreationMillis(projectIndex, versionIndex);
      const started = STARTED_STATUSES.has(versionSpec.status);
      const minInferenceUnits = versionSpec.minInferenceUnits ?? (started ? 1 : undefined);
      const model = state.addModel(project, {
        versionName: versionSpec.name,
        creationMillis,
        // Training takes time; 30 minutes keeps TrainingEndTimestamp after CreationTimestamp.
        trainingEndMillis:
          versionSpec.status === "TRAINING_IN_PROGRESS" ? undefined : creationMillis + 30 * MINUTE,
        status: versionSpec.status,
        ...(versionSpec.feature && { feature: versionSpec.feature }),
        ...(minInferenceUnits !== undefined && { minInferenceUnits }),
        ...(versionSpec.maxInferenceUnits !== undefined && {
          maxInferenceUnits: versionSpec.maxInferenceUnits,
        }),
        ...(versionSpec.tags && { tags: versionSpec.tags }),
      });
      return { name: model.versionName, arn: model.arn };
    });
    return { name: project.name, region, arn: project.arn, versions };
  });
  for (const [region, regionData] of byRegion) metrics.insert(region, regionData);
  return { projects, datapoints: [...byRegion.values()].reduce((total, list) => total + list.length, 0) };
}
