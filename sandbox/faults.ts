/**
 * Fault knobs: per-operation probabilities of a throttling or a 5xx answer, added latency and latency spikes.
 * Decisions come from seeded PRNGs: by default one sequence per service, so the same seed and the same order of
 * calls give the same faults; with `drawsBy: "call"` each call's fate depends on what it asks for instead of when
 * it arrives, so concurrent callers whose calls interleave differently from run to run still meet the same faults.
 */

import type { InjectedFault, ServiceName } from "./call-log.ts";
import { createPrng, type Prng } from "./prng.ts";

/** The knobs of one operation, or the defaults of a whole service. */
export interface FaultKnobs<TThrottle extends string, TServerError extends string> {
  /** Probability (0–1) that a call is answered with a throttling error. @default 0 */
  readonly throttleRate?: number;
  /** The throttling error answered. @default the service's usual one (see {@link DEFAULT_FAULT_ERRORS}) */
  readonly throttleError?: TThrottle;
  /** Probability (0–1) that a call is answered with a 5xx error. @default 0 */
  readonly serverErrorRate?: number;
  /** The 5xx error answered. @default the service's usual one (see {@link DEFAULT_FAULT_ERRORS}) */
  readonly serverError?: TServerError;
  /** Milliseconds added before the answer, fault or not. @default 0 */
  readonly latencyMs?: number;
  /** Probability (0–1) that a call is slowed by a latency spike on top of `latencyMs`. @default 0 */
  readonly spikeRate?: number;
  /** Milliseconds a latency spike adds. @default 0 */
  readonly spikeMs?: number;
  /**
   * Probability (0–1) that a call that succeeds is answered with the 5xx error (`serverError`) anyway, as when an
   * answer is lost after the work was done: the SDK then retries a call that already happened. @default 0
   */
  readonly lostAnswerRate?: number;
}

/** A service's default knobs, and per-operation knobs whose fields override the defaults one by one. */
export interface ServiceFaults<TThrottle extends string, TServerError extends string>
  extends FaultKnobs<TThrottle, TServerError> {
  /** Knobs by operation name (e.g. `StopProjectVersion`). @default {} */
  readonly operations?: Readonly<Record<string, FaultKnobs<TThrottle, TServerError>>>;
}

/** Rekognition documents ThrottlingException (HTTP 500) and ProvisionedThroughputExceededException (400). */
export type RekognitionFaults = ServiceFaults<
  "ThrottlingException" | "ProvisionedThroughputExceededException",
  "InternalServerError"
>;

/** CloudWatch (awsQuery-compatible JSON): `Throttling` (400), `InternalServiceError` (500), `ServiceUnavailable` (503). */
export type CloudWatchFaults = ServiceFaults<"Throttling", "InternalServiceError" | "ServiceUnavailable">;

/** DynamoDB: ProvisionedThroughputExceededException or ThrottlingException (400), InternalServerError or ServiceUnavailable. */
export type DynamoDbFaults = ServiceFaults<
  "ProvisionedThroughputExceededException" | "ThrottlingException",
  "InternalServerError" | "ServiceUnavailable"
>;

/** EventBridge: ThrottlingException (400) and InternalException (500), as PutEvents declares it. */
export type EventBridgeFaults = ServiceFaults<"ThrottlingException", "InternalException">;

/**
 * How a call's fate is drawn:
 * - `order`: from one sequence per service, call after call; the same seed and the same order of calls give the
 *   same faults.
 * - `call`: from the seed, the service, the operation, the call's key (what it asks for: the ARN it names, the
 *   partition key it touches, the page it asks for) and how many calls with that key came before it. A retry draws
 *   afresh, and calls that arrive in another order meet the same faults.
 */
export type FaultDraws = "order" | "call";

/** Every knob of the sandbox. Setting them replaces the previous knobs of all services. */
export interface FaultSettings {
  /** Seed of the fault PRNGs; setting it restarts their sequences. @default 1 at start, unchanged later */
  readonly seed?: number;
  /** How each call's fate is drawn. @default "order" */
  readonly drawsBy?: FaultDraws;
  /** Rekognition knobs. @default no faults */
  readonly rekognition?: RekognitionFaults;
  /** CloudWatch knobs. @default no faults */
  readonly cloudwatch?: CloudWatchFaults;
  /** DynamoDB knobs (applied by the proxy in front of dynalite). @default no faults */
  readonly dynamodb?: DynamoDbFaults;
  /** EventBridge knobs. @default no faults */
  readonly eventbridge?: EventBridgeFaults;
}

/** The error each service answers when a knob does not name one. */
export const DEFAULT_FAULT_ERRORS: Readonly<Record<ServiceName, { throttle: string; serverError: string }>> =
  {
    rekognition: { throttle: "ThrottlingException", serverError: "InternalServerError" },
    cloudwatch: { throttle: "Throttling", serverError: "InternalServiceError" },
    dynamodb: { throttle: "ProvisionedThroughputExceededException", serverError: "InternalServerError" },
    eventbridge: { throttle: "ThrottlingException", serverError: "InternalException" },
  };

/** The operations each endpoint answers; a knob for any other name is a typo and is refused. */
export const SERVICE_OPERATIONS: Readonly<Record<ServiceName, readonly string[]>> = {
  rekognition: [
    "DescribeProjects",
    "DescribeProjectVersions",
    "StartProjectVersion",
    "StopProjectVersion",
    "ListTagsForResource",
    "TagResource",
    "UntagResource",
  ],
  cloudwatch: ["PutMetricData", "GetMetricData", "ListMetrics"],
  // What dynalite 4 implements.
  dynamodb: [
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeTable",
    "DescribeTimeToLive",
    "GetItem",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "Query",
    "Scan",
    "TagResource",
    "UntagResource",
    "UpdateItem",
    "UpdateTable",
  ],
  eventbridge: ["PutEvents"],
};

/** What the injector decided for one call. */
export interface FaultDecision {
  /** Latency to add, a spike included. */
  readonly latencyMs: number;
  /** Set when a latency spike is part of `latencyMs`. */
  readonly spiked?: true;
  readonly fault?: { readonly kind: InjectedFault; readonly code: string };
  /** Set when the call is to be carried out and then answered with this 5xx error. */
  readonly loseAnswer?: { readonly code: string };
}

type AnyServiceFaults = ServiceFaults<string, string>;

// Distinct streams per service, so adding calls to one service does not shift the faults of another.
const SERVICE_SEED_OFFSET: Readonly<Record<ServiceName, number>> = {
  rekognition: 0x1000,
  cloudwatch: 0x2000,
  dynamodb: 0x3000,
  eventbridge: 0x4000,
};

/** Decides, call by call, whether a service's answer is delayed, throttled or a 5xx. */
export class FaultInjector {
  private knobs: AnyServiceFaults = {};
  private seed: number;
  private random: Prng;
  // Spikes and lost answers draw from streams of their own, so turning them on does not change which calls fail.
  private spikeRandom: Prng;
  private lostRandom: Prng;
  private drawsBy: FaultDraws = "order";
  /** Calls seen per key, for `drawsBy: "call"`. */
  private readonly callsByKey = new Map<string, number>();

  constructor(
    private readonly service: ServiceName,
    seed: number,
  ) {
    this.seed = seed;
    this.random = createPrng(seed + SERVICE_SEED_OFFSET[service]);
    this.spikeRandom = createPrng(seed + SERVICE_SEED_OFFSET[service] + SPIKE_SEED_OFFSET);
    this.lostRandom = createPrng(seed + SERVICE_SEED_OFFSET[service] + LOST_SEED_OFFSET);
  }

  /**
   * Replaces the knobs; a seed restarts the PRNG sequences and forgets the calls counted per key. Throws on a bad
   * value or an unknown operation.
   */
  configure(knobs: AnyServiceFaults | undefined, seed?: number, drawsBy: FaultDraws = "order"): void {
    const checked = knobs ?? {};
    checkKnobs(this.service, checked);
    for (const [operation, operationKnobs] of Object.entries(checked.operations ?? {})) {
      if (!SERVICE_OPERATIONS[this.service].includes(operation))
        throw new RangeError(
          `Fault knob ${this.service}.operations.${operation}: unknown operation; known: ${SERVICE_OPERATIONS[this.service].join(", ")}`,
        );
      checkKnobs(`${this.service}.operations.${operation}`, operationKnobs);
    }
    if (drawsBy !== "order" && drawsBy !== "call")
      throw new RangeError(
        `Fault setting drawsBy is ${JSON.stringify(drawsBy)}; it must be "order" or "call"`,
      );
    this.knobs = checked;
    this.drawsBy = drawsBy;
    if (seed !== undefined) {
      this.seed = seed;
      this.random = createPrng(seed + SERVICE_SEED_OFFSET[this.service]);
      this.spikeRandom = createPrng(seed + SERVICE_SEED_OFFSET[this.service] + SPIKE_SEED_OFFSET);
      this.lostRandom = createPrng(seed + SERVICE_SEED_OFFSET[this.service] + LOST_SEED_OFFSET);
      this.callsByKey.clear();
    }
  }

  /**
   * Draws the fate of one call. In `order` mode two numbers are drawn for every call (and one from the spike
   * stream), so decisions depend only on call order; in `call` mode they depend on `callKey` and how often it was
   * seen.
   */
  decide(operation: string, callKey = ""): FaultDecision {
    let throttleDraw: number;
    let serverErrorDraw: number;
    let spikeDraw: number;
    let lostDraw: number;
    if (this.drawsBy === "call") {
      const key = `${operation} ${callKey}`;
      const seen = this.callsByKey.get(key) ?? 0;
      this.callsByKey.set(key, seen + 1);
      const random = createPrng(hashSeed(`${this.seed}/${this.service}/${key}/${seen}`));
      throttleDraw = random();
      serverErrorDraw = random();
      spikeDraw = random();
      lostDraw = random();
    } else {
      throttleDraw = this.random();
      serverErrorDraw = this.random();
      spikeDraw = this.spikeRandom();
      lostDraw = this.lostRandom();
    }
    const own = this.knobs.operations?.[operation] ?? {};
    const knob = <K extends keyof FaultKnobs<string, string>>(key: K) => own[key] ?? this.knobs[key];
    const spiked = spikeDraw < (knob("spikeRate") ?? 0) && (knob("spikeMs") ?? 0) > 0;
    const latency = {
      latencyMs: (knob("latencyMs") ?? 0) + (spiked ? (knob("spikeMs") ?? 0) : 0),
      ...(spiked && { spiked: true as const }),
    };
    const defaults = DEFAULT_FAULT_ERRORS[this.service];
    if (throttleDraw < (knob("throttleRate") ?? 0)) {
      return { ...latency, fault: { kind: "throttle", code: knob("throttleError") ?? defaults.throttle } };
    }
    if (serverErrorDraw < (knob("serverErrorRate") ?? 0)) {
      return {
        ...latency,
        fault: { kind: "server-error", code: knob("serverError") ?? defaults.serverError },
      };
    }
    if (lostDraw < (knob("lostAnswerRate") ?? 0))
      return { ...latency, loseAnswer: { code: knob("serverError") ?? defaults.serverError } };
    return latency;
  }
}

const SPIKE_SEED_OFFSET = 0x100;
const LOST_SEED_OFFSET = 0x200;

/** FNV-1a: a 32-bit seed from a string. */
function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function checkKnobs(where: string, knobs: FaultKnobs<string, string>): void {
  for (const key of ["throttleRate", "serverErrorRate", "spikeRate", "lostAnswerRate"] as const) {
    const rate = knobs[key];
    if (rate !== undefined && !(rate >= 0 && rate <= 1))
      throw new RangeError(`Fault knob ${where}.${key} is ${rate}; it must be a probability from 0 to 1`);
  }
  for (const key of ["latencyMs", "spikeMs"] as const) {
    const latency = knobs[key];
    if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0))
      throw new RangeError(
        `Fault knob ${where}.${key} is ${latency}; it must be a number of milliseconds ≥ 0`,
      );
  }
}
