/**
 * Rate limits as AWS applies them: each operation has its own token bucket per region, holding at most `burst`
 * calls and refilled continuously at `tps` calls a second. A call that finds the bucket empty is refused with the
 * service's throttling error before it does anything. Off unless configured, so tests and the demo are unaffected.
 */

import type { CallRecord } from "./call-log.ts";
import { SERVICE_OPERATIONS } from "./faults.ts";

/** The services whose endpoints enforce rate limits (DynamoDB on demand has no per-operation rate). */
export type RateLimitedService = "rekognition" | "cloudwatch";

/** The rate-limited services, in a fixed order. */
export const RATE_LIMITED_SERVICES: readonly RateLimitedService[] = ["rekognition", "cloudwatch"];

/** The limit of one operation in one region. */
export interface RateLimit {
  /** Calls per second the bucket refills, continuously. */
  readonly tps: number;
  /** Calls a full bucket admits at once. @default `tps` (one second of burst) */
  readonly burst?: number;
}

/** Limits by operation name: a number is the TPS with one second of burst. */
export type OperationRateLimits = Readonly<Record<string, number | RateLimit>>;

/** Every rate limit of the sandbox; an operation without a limit is never refused. */
export interface RateLimitSettings {
  /** Rekognition limits, e.g. `{ DescribeProjectVersions: 5 }`. @default none */
  readonly rekognition?: OperationRateLimits;
  /** CloudWatch limits, e.g. `{ GetMetricData: 50 }`. @default none */
  readonly cloudwatch?: OperationRateLimits;
}

/**
 * The limits `npm run bench` assumes: 5 TPS for each Rekognition API the stopper calls (AWS does not publish
 * them; single-digit TPS is what accounts see) and CloudWatch's documented 50 TPS for GetMetricData and 25 for
 * ListMetrics.
 */
export const BENCH_RATE_LIMITS: RateLimitSettings = Object.freeze({
  rekognition: Object.freeze({
    DescribeProjects: 5,
    DescribeProjectVersions: 5,
    ListTagsForResource: 5,
    StopProjectVersion: 5,
  }),
  cloudwatch: Object.freeze({ GetMetricData: 50, ListMetrics: 25 }),
});

/** The limit with its default burst applied. */
export function normalizeRateLimit(limit: number | RateLimit): Required<RateLimit> {
  return typeof limit === "number"
    ? { tps: limit, burst: limit }
    : { tps: limit.tps, burst: limit.burst ?? limit.tps };
}

/**
 * The same limits for a world that runs `factor` times faster: buckets refill `factor` times faster but hold the
 * same burst, so a client sees the same limits measured in scaled seconds.
 */
export function scaleRateLimits(settings: RateLimitSettings, factor: number): RateLimitSettings {
  if (!(Number.isFinite(factor) && factor > 0))
    throw new RangeError(`scale factor must be > 0, got ${factor}`);
  const scale = (limits: OperationRateLimits | undefined) =>
    limits &&
    Object.fromEntries(
      Object.entries(limits).map(([operation, limit]) => {
        const { tps, burst } = normalizeRateLimit(limit);
        return [operation, { tps: tps * factor, burst }];
      }),
    );
  return {
    ...(settings.rekognition && { rekognition: scale(settings.rekognition) }),
    ...(settings.cloudwatch && { cloudwatch: scale(settings.cloudwatch) }),
  };
}

/** A token bucket: full at the start, refilled continuously, one token per call. Times are milliseconds. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly tps: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes a token if there is one; false means the call is throttled. */
  tryTake(now: number): boolean {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.tps);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The buckets of one service: one per operation and region, created full on the first call. */
export class RateLimiter {
  private limits = new Map<string, Required<RateLimit>>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly service: RateLimitedService,
    /** Monotonic milliseconds. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Replaces the limits and refills every bucket. Throws on an unknown operation or a bad value. */
  configure(limits: OperationRateLimits | undefined): void {
    const checked = new Map<string, Required<RateLimit>>();
    for (const [operation, limit] of Object.entries(limits ?? {})) {
      const where = `Rate limit ${this.service}.${operation}`;
      if (!SERVICE_OPERATIONS[this.service].includes(operation))
        throw new RangeError(
          `${where}: unknown operation; known: ${SERVICE_OPERATIONS[this.service].join(", ")}`,
        );
      const normalized = normalizeRateLimit(limit);
      if (!(Number.isFinite(normalized.tps) && normalized.tps > 0))
        throw new RangeError(
          `${where}: tps is ${normalized.tps}; it must be a number of calls per second > 0`,
        );
      if (!(Number.isFinite(normalized.burst) && normalized.burst >= 1))
        throw new RangeError(`${where}: burst is ${normalized.burst}; it must be a number of calls ≥ 1`);
      checked.set(operation, normalized);
    }
    this.limits = checked;
    this.buckets.clear();
  }

  /** Admits a call (taking a token) and returns undefined, or returns the limit that refuses it. */
  admit(operation: string, region: string): Required<RateLimit> | undefined {
    const limit = this.limits.get(operation);
    if (!limit) return undefined;
    const key = `${region}\u0000${operation}`;
    const now = this.clock();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(limit.tps, limit.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.tryTake(now) ? undefined : limit;
  }
}

/** Calls refused by a rate limit, for one service, in total and per operation. */
export interface RateLimitCounts {
  readonly throttled: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/** Counts the calls a rate limit refused in a call log, per service. */
export function countRateLimited(calls: readonly CallRecord[]): Record<RateLimitedService, RateLimitCounts> {
  const counts = {
    rekognition: { throttled: 0, byOperation: {} as Record<string, number> },
    cloudwatch: { throttled: 0, byOperation: {} as Record<string, number> },
  };
  for (const call of calls) {
    if (!call.rateLimited || (call.service !== "rekognition" && call.service !== "cloudwatch")) continue;
    const service = counts[call.service];
    service.throttled += 1;
    service.byOperation[call.operation] = (service.byOperation[call.operation] ?? 0) + 1;
  }
  return counts;
}
