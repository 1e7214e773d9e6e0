/**
 * Fault knobs: per-operation probabilities of a throttling or a 5xx answer, and added latency. Decisions come
 * from a seeded PRNG per service, so the same seed and the same sequence of calls give the same faults.
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

/** Every knob of the sandbox. Setting them replaces the previous knobs of all services. */
export interface FaultSettings {
  /** Seed of the fault PRNGs; setting it restarts their sequences. @default 1 at start, unchanged later */
  readonly seed?: number;
  /** Rekognition knobs. @default no faults */
  readonly rekognition?: RekognitionFaults;
  /** CloudWatch knobs. @default no faults */
  readonly cloudwatch?: CloudWatchFaults;
  /** DynamoDB knobs (applied by the proxy in front of dynalite). @default no faults */
  readonly dynamodb?: DynamoDbFaults;
}

/** The error each service answers when a knob does not name one. */
export const DEFAULT_FAULT_ERRORS: Readonly<Record<ServiceName, { throttle: string; serverError: string }>> =
  {
    rekognition: { throttle: "ThrottlingException", serverError: "InternalServerError" },
    cloudwatch: { throttle: "Throttling", serverError: "InternalServiceError" },
    dynamodb: { throttle: "ProvisionedThroughputExceededException", serverError: "InternalServerError" },
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
  cloudwatch: ["PutMetricData", "GetMetricData"],
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
};

/** What the injector decided for one call. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly fault?: { readonly kind: InjectedFault; readonly code: string };
}

type AnyServiceFaults = ServiceFaults<string, string>;

// Distinct streams per service, so adding calls to one service does not shift the faults of another.
const SERVICE_SEED_OFFSET: Readonly<Record<ServiceName, number>> = {
  rekognition: 0x1000,
  cloudwatch: 0x2000,
  dynamodb: 0x3000,
};

/** Decides, call by call, whether a service's answer is delayed, throttled or a 5xx. */
export class FaultInjector {
  private knobs: AnyServiceFaults = {};
  private random: Prng;

  constructor(
    private readonly service: ServiceName,
    seed: number,
  ) {
    this.random = createPrng(seed + SERVICE_SEED_OFFSET[service]);
  }

  /** Replaces the knobs; a seed restarts the PRNG sequence. Throws on a bad value or an unknown operation. */
  configure(knobs: AnyServiceFaults | undefined, seed?: number): void {
    const checked = knobs ?? {};
    checkKnobs(this.service, checked);
    for (const [operation, operationKnobs] of Object.entries(checked.operations ?? {})) {
      if (!SERVICE_OPERATIONS[this.service].includes(operation))
        throw new RangeError(
          `Fault knob ${this.service}.operations.${operation}: unknown operation; known: ${SERVICE_OPERATIONS[this.service].join(", ")}`,
        );
      checkKnobs(`${this.service}.operations.${operation}`, operationKnobs);
    }
    this.knobs = checked;
    if (seed !== undefined) this.random = createPrng(seed + SERVICE_SEED_OFFSET[this.service]);
  }

  /** Draws the fate of one call. Two numbers are drawn for every call, so decisions depend only on call order. */
  decide(operation: string): FaultDecision {
    const throttleDraw = this.random();
    const serverErrorDraw = this.random();
    const own = this.knobs.operations?.[operation] ?? {};
    const knob = <K extends keyof FaultKnobs<string, string>>(key: K) => own[key] ?? this.knobs[key];
    const latencyMs = knob("latencyMs") ?? 0;
    const defaults = DEFAULT_FAULT_ERRORS[this.service];
    if (throttleDraw < (knob("throttleRate") ?? 0)) {
      return { latencyMs, fault: { kind: "throttle", code: knob("throttleError") ?? defaults.throttle } };
    }
    if (serverErrorDraw < (knob("serverErrorRate") ?? 0)) {
      return {
        latencyMs,
        fault: { kind: "server-error", code: knob("serverError") ?? defaults.serverError },
      };
    }
    return { latencyMs };
  }
}

function checkKnobs(where: string, knobs: FaultKnobs<string, string>): void {
  for (const key of ["throttleRate", "serverErrorRate"] as const) {
    const rate = knobs[key];
    if (rate !== undefined && !(rate >= 0 && rate <= 1))
      throw new RangeError(`Fault knob ${where}.${key} is ${rate}; it must be a probability from 0 to 1`);
  }
  const latency = knobs.latencyMs;
  if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0))
    throw new RangeError(
      `Fault knob ${where}.latencyMs is ${latency}; it must be a number of milliseconds ≥ 0`,
    );
}
