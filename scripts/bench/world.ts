/**
 * The bench's world: the deterministic account of each size (versions, projects, running models of eight kinds),
 * what a correct run over it must do, and the floor the sandbox's rate limits set on a run over it.
 */

import {
  BENCH_RATE_LIMITS,
  type RateLimitSettings,
  type SeedProject,
  type SeedSpec,
  type SeedVersion,
} from "../../sandbox/index.ts";
import { normalizeRateLimit } from "../../sandbox/rate-limits.ts";

/** The account sizes the bench runs by default: versions, projects, running models. */
export const PRESET_SIZES: readonly AccountSize[] = [
  { versions: 1_000, projects: 50, running: 20 },
  { versions: 10_000, projects: 500, running: 200 },
  { versions: 50_000, projects: 2_000, running: 500 },
  { versions: 200_000, projects: 8_000, running: 500 },
];

const METRICS_PER_MODEL = 5;
const QUERIES_PER_CALL = 500;
const PAGE_SIZE = 100;

/** An account's size: model versions, projects, running models. */
export interface AccountSize {
  readonly versions: number;
  readonly projects: number;
  readonly running: number;
}

/** The deterministic account of one size, and what a correct run over it must do. */
export interface Account {
  readonly size: AccountSize;
  readonly spec: SeedSpec;
  readonly idle: number;
  readonly expectedStops: number;
  /**
   * Running models whose metrics alone say idle (no request, in service all window), whatever their tags: the ones
   * metrics-first discovery may describe.
   */
  readonly idleCandidates: number;
  /** Projects holding at least one idle candidate. */
  readonly candidateProjects: number;
  /** Required calls per API of a full discovery, from the account's shape. */
  readonly required: Readonly<Record<string, number>>;
}

const MINUTE_SPAN = 660; // 11 hours of InServiceInferenceUnits, more than the 3-hour window needs

/**
 * Spreads the versions over the projects and the running models one per project, evenly. Most versions are
 * STOPPED. Running models cycle through eight kinds: 2 idle for 11 hours (stopped, up to the cap), 3 in use, 1
 * started 90 minutes ago, 1 opted out by its own tag, 1 snoozed by its project's tag.
 */
export function buildAccount(size: AccountSize, maxStops: number): Account {
  const { versions, projects, running } = size;
  const projectOfRunning = new Map<number, number>();
  for (let i = 0; i < running; i += 1) projectOfRunning.set(Math.floor((i * projects) / running), i);
  let idle = 0;
  let idleCandidates = 0;
  const candidateProjects = new Set<number>();
  let describeVersionPages = 0;
  const seedProjects: SeedProject[] = [];
  for (let p = 0; p < projects; p += 1) {
    const count = Math.floor(versions / projects) + (p < versions % projects ? 1 : 0);
    describeVersionPages += Math.max(1, Math.ceil(count / PAGE_SIZE));
    const runningIndex = projectOfRunning.get(p);
    const kind = runningIndex === undefined ? undefined : runningIndex % 8;
    const projectVersions: SeedVersion[] = [];
    for (let v = 0; v < count; v += 1) {
      const name = `bench-${p}.v${v}`;
      if (runningIndex !== undefined && kind !== undefined && v === count - 1) {
        const units = 1 + (runningIndex % 3);
        const inService = [{ fromMinutesAgo: kind === 3 ? 90 : MINUTE_SPAN, toMinutesAgo: 0, units }];
        const base = { name, status: "RUNNING" as const, minInferenceUnits: units, inService };
        // Idle by their metrics: the two idle kinds, the one opted out by its tag and the one snoozed by its project's.
        if (kind === 0 || kind === 4 || kind === 6 || kind === 7) {
          idleCandidates += 1;
          candidateProjects.add(p);
        }
        if (kind === 0 || kind === 4) {
          idle += 1;
          projectVersions.push(base);
        } else if (kind === 6) projectVersions.push({ ...base, tags: { "auto-stop": "never" } });
        else if (kind === 1 || kind === 2 || kind === 5)
          projectVersions.push({ ...base, requests: [{ minutesAgo: 5 + (runningIndex % 60), count: 12 }] });
        else projectVersions.push(base);
      } else {
        projectVersions.push({
          name,
          status: v % 10 === 0 ? "TRAINING_COMPLETED" : v % 10 === 1 ? "TRAINING_FAILED" : "STOPPED",
        });
      }
    }
    seedProjects.push({
      name: `bench-${p}`,
      ...(kind === 7 && { tags: { "auto-stop": "2099-01-01" } }),
      versions: projectVersions,
    });
  }
  const expectedStops = Math.min(idle, maxStops);
  return {
    size,
    spec: { projects: seedProjects },
    idle,
    expectedStops,
    idleCandidates,
    candidateProjects: candidateProjects.size,
    required: {
      DescribeProjects: Math.max(1, Math.ceil(projects / PAGE_SIZE)),
      DescribeProjectVersions: describeVersionPages,
      // Every running model, and each project that has one (read once per project).
      ListTagsForResource: running + projectOfRunning.size,
      // The usage of every running model, then the last look at the models to stop (4 request metrics each).
      GetMetricData:
        Math.ceil((running * METRICS_PER_MODEL) / QUERIES_PER_CALL) +
        Math.ceil((expectedStops * (METRICS_PER_MODEL - 1)) / QUERIES_PER_CALL),
      StopProjectVersion: expectedStops,
    },
  };
}

/**
 * The bound on a metrics-first run's Rekognition calls: 2 × idle candidates + ⌈candidate projects / 10⌉ +
 * stops + 5.
 */
export function rekognitionCallBound(account: Account, stops: number): number {
  return 2 * account.idleCandidates + Math.ceil(account.candidateProjects / 10) + stops + 5;
}

/** The real limit (TPS) of each API of the floor. */
function realLimits(limits: RateLimitSettings): Record<string, number> {
  const all = { ...limits.rekognition, ...limits.cloudwatch };
  return Object.fromEntries(
    Object.entries(all).map(([operation, limit]) => [operation, normalizeRateLimit(limit).tps]),
  );
}

/**
 * Each API's floor (required calls ÷ its limit) and the floor of the run: the largest, as APIs run in parallel. It
 * is the floor of a full discovery ("today's floor"), which describes every project.
 */
export function floorOf(account: Account) {
  const limits = realLimits(BENCH_RATE_LIMITS);
  const perApi = Object.entries(account.required).map(([operation, calls]) => {
    const tps = limits[operation] ?? Number.POSITIVE_INFINITY;
    return { operation, calls, tps, seconds: calls / tps };
  });
  const bound = perApi.reduce((max, api) => (api.seconds > max.seconds ? api : max));
  const sequential = perApi.reduce((sum, api) => sum + api.seconds, 0);
  return { perApi, seconds: bound.seconds, boundBy: bound.operation, sequential };
}
