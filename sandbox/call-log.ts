/** The record of every request the sandbox answered, so tests can assert on what the code under test sent. */

/** The services the sandbox emulates with fault knobs. */
export type ServiceName = "rekognition" | "cloudwatch" | "dynamodb" | "eventbridge";

/**
 * Every service that appears in the call log: the faulted ones, SNS for the digest, CloudFormation for the CLI, and
 * the organization mode's STS (spoke roles), Organizations (OUs) and Step Functions (the overlap check).
 */
export type CalledService = ServiceName | "sns" | "cloudformation" | "sts" | "organizations" | "states";

/**
 * What a fault knob injected into a call: a throttling error, a 5xx error, or a 5xx error after the call was carried
 * out (`lost-answer`).
 */
export type InjectedFault = "throttle" | "server-error" | "lost-answer";

/** One answered request, as an endpoint records it; the sandbox adds the IAM facts ({@link CallRecord}). */
export interface AnsweredCall {
  readonly service: CalledService;
  /** The operation from `X-Amz-Target` (or the RPC v2 CBOR path), e.g. `StopProjectVersion`. */
  readonly operation: string;
  /** Set when the call spoke Smithy RPC v2 CBOR; absent for the service's usual protocol (AWS JSON, awsQuery). */
  readonly protocol?: "rpc-v2-cbor";
  /** The region from the SigV4 credential scope (or the sandbox's default region for an unsigned request). */
  readonly region: string;
  /** The member account the call acted in, through a spoke role's session; absent for the sandbox's own account. */
  readonly account?: string;
  /**
   * The caller's identity: the access key id from the SigV4 credential scope, absent for an unsigned request. The
   * bundle, the CLI and the test harness each sign with a key of their own, so each one's calls can be told apart.
   */
  readonly accessKeyId?: string;
  /** The key input fields (ARNs, table name, query count…), never the whole body. */
  readonly input: Readonly<Record<string, unknown>>;
  /**
   * `ok`, or the error code on the wire (for CloudWatch, the awsQuery code such as `Throttling`), or
   * {@link CLIENT_GONE} when the caller hung up during the added latency, before the request was served.
   */
  readonly outcome: string;
  /** The error message, when the outcome is an error. */
  readonly message?: string;
  /** The HTTP status answered. */
  readonly statusCode: number;
  /** Set when a fault knob produced the outcome. */
  readonly injected?: InjectedFault;
  /** Set when a rate limit (a token bucket, see rate-limits.ts) refused the call; not counted as an injected fault. */
  readonly rateLimited?: true;
  /** Latency a knob added, in milliseconds, a spike included. */
  readonly addedLatencyMs: number;
  /** Set when a latency spike (the `spikeRate` knob) slowed the call. */
  readonly spiked?: true;
  /** When the request arrived (epoch milliseconds, wall clock). */
  readonly receivedAt: number;
  /** How long the answer took, added latency included. */
  readonly durationMs: number;
}

/** One answered request with what IAM would evaluate for it (see iam-facts.ts). */
export interface CallRecord extends AnsweredCall {
  /** The IAM action the call needs, e.g. `rekognition:StopProjectVersion` or `dynamodb:Query`. */
  readonly action: string;
  /**
   * The resource ARN IAM evaluates the call against (`*` for actions without resource-level permissions), or absent
   * when the request does not say (a malformed or unknown operation).
   */
  readonly resource?: string;
}

/**
 * The outcome of a call whose caller went away while the sandbox held it (added latency): the request was never
 * served, as if it had not arrived, and no answer was sent. HTTP 499 is nginx's "client closed request".
 */
export const CLIENT_GONE = "ClientGone";

/** The status recorded with {@link CLIENT_GONE}. */
export const CLIENT_GONE_STATUS = 499;

/** Injected faults counted for one service, in total and per operation. */
export interface FaultCounts {
  readonly throttled: number;
  readonly serverErrors: number;
  /** Calls slowed by a latency spike (whatever their outcome). */
  readonly latencySpikes: number;
  /** Calls carried out but answered with a 5xx error (`lostAnswerRate`); not counted in `serverErrors`. */
  readonly lostAnswers: number;
  readonly byOperation: Readonly<
    Record<string, { readonly throttled: number; readonly serverErrors: number }>
  >;
}

/** Counts the injected faults in a call log, per service. */
export function countFaults(calls: readonly CallRecord[]): Record<ServiceName, FaultCounts> {
  const empty = () => ({ throttled: 0, serverErrors: 0, latencySpikes: 0, lostAnswers: 0, byOperation: {} });
  const counts: Record<
    ServiceName,
    {
      throttled: number;
      serverErrors: number;
      latencySpikes: number;
      lostAnswers: number;
      byOperation: Record<string, { throttled: number; serverErrors: number }>;
    }
  > = {
    rekognition: empty(),
    cloudwatch: empty(),
    dynamodb: empty(),
    eventbridge: empty(),
  };
  for (const call of calls) {
    if (
      call.service !== "rekognition" &&
      call.service !== "cloudwatch" &&
      call.service !== "dynamodb" &&
      call.service !== "eventbridge"
    )
      continue;
    if (call.spiked) counts[call.service].latencySpikes += 1;
    if (!call.injected) continue;
    if (call.injected === "lost-answer") {
      counts[call.service].lostAnswers += 1;
      continue;
    }
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
