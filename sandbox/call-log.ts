/** The record of every request the sandbox answered, so tests can assert on what the code under test sent. */

/** The services the sandbox emulates with fault knobs. */
export type ServiceName = "rekognition" | "cloudwatch" | "dynamodb";

/** Every service that appears in the call log: the faulted ones, and SNS for the digest. */
export type CalledService = ServiceName | "sns";

/** What a fault knob injected into a call. */
export type InjectedFault = "throttle" | "server-error";

/** One answered request. */
export interface CallRecord {
  readonly service: CalledService;
  /** The operation from `X-Amz-Target`, e.g. `StopProjectVersion`. */
  readonly operation: string;
  /** The region from the SigV4 credential scope (or the sandbox's default region for an unsigned request). */
  readonly region: string;
  /** The key input fields (ARNs, table name, query count…), never the whole body. */
  readonly input: Readonly<Record<string, unknown>>;
  /** `ok`, or the error code on the wire (for CloudWatch, the awsQuery code such as `Throttling`). */
  readonly outcome: string;
  /** The error message, when the outcome is an error. */
  readonly message?: string;
  /** The HTTP status answered. */
  readonly statusCode: number;
  /** Set when a fault knob produced the outcome. */
  readonly injected?: InjectedFault;
  /** Set when a rate limit (a token bucket, see rate-limits.ts) refused the call; not counted as an injected fault. */
  readonly rateLimited?: true;
  /** Latency a knob added, in milliseconds. */
  readonly addedLatencyMs: number;
  /** When the request arrived (epoch milliseconds, wall clock). */
  readonly receivedAt: number;
  /** How long the answer took, added latency included. */
  readonly durationMs: number;
}

/** Injected faults counted for one service, in total and per operation. */
export interface FaultCounts {
  readonly throttled: number;
  readonly serverErrors: number;
  readonly byOperation: Readonly<
    Record<string, { readonly throttled: number; readonly serverErrors: number }>
  >;
}

/** Counts the injected faults in a call log, per service. */
export function countFaults(calls: readonly CallRecord[]): Record<ServiceName, FaultCounts> {
  const empty = () => ({ throttled: 0, serverErrors: 0, byOperation: {} });
  const counts: Record<
    ServiceName,
    {
      throttled: number;
      serverErrors: number;
      byOperation: Record<string, { throttled: number; serverErrors: number }>;
    }
  > = {
    rekognition: empty(),
    cloudwatch: empty(),
    dynamodb: empty(),
  };
  for (const call of calls) {
    if (!call.injected || call.service === "sns") continue;
    const service = counts[call.service];
    const operation = service.byOperation[call.operation] ?? { throttled: 0, serverErrors: 0 };
    service.byOperation[call.operation] = operation;
    if (call.injected === "throttle") {
      service.throttled += 1;
      operation.throttled += 1;
    } else {
      service.serverErrors += 1;
      operation.serverErrors += 1;
    }
  }
  return counts;
}
