/**
 * The HTTP machinery shared by the Rekognition and CloudWatch endpoints: AWS JSON RPC over POST `/`, the operation
 * from `X-Amz-Target`, the region from the SigV4 credential scope, gzip bodies, fault knobs and the call log; and,
 * for an endpoint that also speaks it (CloudWatch), Smithy RPC v2 CBOR through the same operations (rpc-v2-cbor.ts).
 */

import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { DeliberateChange, WireAnswer } from "./api-model-check.ts";
import { inputViolations, validationMessage } from "./api-model-input.ts";
import { apiModel, type ModelledService } from "./api-models.ts";
import { AwsServiceError } from "./aws-error.ts";
import {
  type AnsweredCall,
  CLIENT_GONE,
  CLIENT_GONE_STATUS,
  type InjectedFault,
  type ServiceName,
} from "./call-log.ts";
import { DEFAULT_FAULT_ERRORS, type FaultInjector } from "./faults.ts";
import type { RateLimiter } from "./rate-limits.ts";
import {
  CBOR_CONTENT_TYPE,
  isRpcV2CborRequest,
  RPC_V2_CBOR,
  type RpcV2CborRoute,
  type RpcV2CborService,
  readCborInput,
  routeRpcV2Cbor,
  writeCbor,
} from "./rpc-v2-cbor.ts";

const gunzipAsync = promisify(gunzip);

/** Bodies above this are refused, as a guard against a runaway client. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What an operation handler knows about the request besides its input. */
export interface RequestContext {
  readonly operation: string;
  readonly region: string;
  /** The account the request's credentials act in (the sandbox's own, unless a spoke role's session signed it). */
  readonly account: string;
  /** Marks a field of the answer that a wire quirk changes on purpose, so the model check reports it as such. */
  readonly deviate: (path: string, reason: string) => void;
}

/** One operation: the parsed JSON input in, the JSON output out; throws {@link AwsServiceError} to answer an error. */
export type OperationHandler = (input: Record<string, unknown>, context: RequestContext) => unknown;

/** A complete HTTP answer: its body text (JSON, XML), or bytes (CBOR). */
export interface WireResponse<Body extends string | Uint8Array = string | Uint8Array> {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

/**
 * The AWS JSON 1.1 error answer (Rekognition, EventBridge): `{"__type": code, "message": …}` plus
 * `x-amzn-ErrorType`; the SDK maps either to its named exception.
 */
export function awsJson11ErrorResponse(error: AwsServiceError): WireResponse {
  return {
    statusCode: error.statusCode,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": error.code },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

/** What a service contributes to its endpoint. */
export interface JsonEndpointSpec {
  /** The service; Organizations and Step Functions have no fault knobs or rate limits. */
  readonly service: ServiceName | "organizations" | "states";
  /** `RekognitionService` or `GraniteServiceVersion20100801`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `-1.0`. */
  readonly contentType: string;
  readonly operations: Readonly<Record<string, OperationHandler>>;
  /** Writes an error in the service's wire shape. */
  readonly errorResponse: (error: AwsServiceError) => WireResponse;
  /** The error a fault knob injects, with the status AWS uses for it. */
  readonly injectedError: (kind: InjectedFault, code: string) => AwsServiceError;
  /** The input fields worth keeping in the call log. */
  readonly keyInput: (operation: string, input: Record<string, unknown>) => Record<string, unknown>;
  /** What a call asks for, for faults drawn by call (see `FaultDraws`). @default the key input as JSON */
  readonly callKey?: (operation: string, input: Record<string, unknown>) => string;
  /**
   * The error that refuses an input breaking the API model's constraints (api-model-input.ts), before the operation
   * runs, as AWS's front end does. @default inputs are not checked against the model
   */
  readonly validationError?: (message: string) => AwsServiceError;
  /**
   * Serve Smithy RPC v2 CBOR too (`POST /service/<serviceName>/operation/<Operation>`), through the same
   * operations, faults, limits, checks and call log. @default JSON only
   */
  readonly rpcV2Cbor?: RpcV2CborEndpointSpec;
}

/** What a service adds to serve Smithy RPC v2 CBOR beside AWS JSON. */
export interface RpcV2CborEndpointSpec extends RpcV2CborService {
  /** The error's `__type` and `message` in a CBOR body, with the protocol's headers. */
  readonly errorResponse: (error: AwsServiceError) => WireResponse;
}

/** What every endpoint shares with the sandbox. */
export interface EndpointRuntime {
  readonly faults: FaultInjector;
  /** The service's rate limits; none when absent. */
  readonly rateLimits?: RateLimiter;
  readonly record: (call: AnsweredCall) => void;
  /** The region of a request that carries no SigV4 credential scope. */
  readonly defaultRegion: string;
  /** Aborted by `stop()`, so added latency never outlives the sandbox. */
  readonly signal: AbortSignal;
  /** Checks every answer sent (and the input it accepted) against the service's API model; none when absent. */
  readonly checkAnswer?: (answer: WireAnswer) => void;
  /**
   * The account a caller's access key acts in: a spoke role session's member account, else the sandbox's own.
   * @default every caller is in `defaultAccount`
   */
  readonly accountOf?: (accessKeyId: string | undefined) => string;
  /** The sandbox's own account: its rate-limit buckets are keyed by region alone, as before. @default "" */
  readonly defaultAccount?: string;
  /** Whether a region is disabled for an account (an opt-in region it never enabled). @default none is */
  readonly regionDisabled?: (account: string, region: string) => boolean;
}

/**
 * What AWS answers a call to a region the account has not enabled: the session's token is not valid there.
 * https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
 */
export function disabledRegionError(): AwsServiceError {
  return new AwsServiceError(
    "UnrecognizedClientException",
    "The security token included in the request is invalid.",
    400,
  );
}

// SigV4: `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261128/eu-west-1/rekognition/aws4_request, ...`
const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/;

/** The region a SigV4-signed request was signed for, or undefined when it is not signed. */
export function regionFromAuthorization(authorization: string | undefined): string | undefined {
  return authorization ? CREDENTIAL_SCOPE.exec(authorization)?.[2] : undefined;
}

/** The access key id a SigV4-signed request was signed with (who made it), or undefined when it is not signed. */
export function accessKeyFromAuthorization(authorization: string | undefined): string | undefined {
  return authorization ? CREDENTIAL_SCOPE.exec(authorization)?.[1] : undefined;
}

/** The caller's access key id as a call-log field: present only for a signed request. */
export function signerOf(request: http.IncomingMessage): { accessKeyId?: string } {
  const accessKeyId = accessKeyFromAuthorization(request.headers.authorization);
  return accessKeyId === undefined ? {} : { accessKeyId };
}

/** Reads the whole body, inflating it when the SDK sent it gzipped (CloudWatch PutMetricData ≥ 10 KiB). */
export async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new AwsServiceError("RequestEntityTooLargeException", "Request body is too large", 413);
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const encoding = (request.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return raw;
  if (encoding === "gzip") return gunzipAsync(raw);
  throw new AwsServiceError("SerializationException", `Unsupported Content-Encoding: ${encoding}`);
}

/** Writes a response and ends it. */
export function send(
  response: http.ServerResponse,
  answer: WireResponse,
  request?: http.IncomingMessage,
): void {
  response.writeHead(answer.statusCode, {
    ...answer.headers,
    ...(request && dateHeader(request)),
    "content-length": String(Buffer.byteLength(answer.body)),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(answer.body);
}

// SigV4's X-Amz-Date: 20261128T020000Z.
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * The answer's `Date`: the time the request was signed at. The SDK corrects its clock by the Date of an answer
 * that is over five minutes off and then retries the failed call, even one that must not be retried; a client whose
 * clock runs fast on purpose (a time-scaled test, InvokeOptions.timeScale) would see that on every call. The sandbox
 * checks neither signatures nor clock skew, so it has no clock of its own to show.
 */
export function dateHeader(request: http.IncomingMessage): { date?: string } {
  const match = AMZ_DATE.exec(String(request.headers["x-amz-date"] ?? ""));
  if (!match) return {};
  const [, y, mo, d, h, mi, sec] = match.map(Number) as number[];
  return { date: new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, sec)).toUTCString() };
}

/** What the call log keeps of a call whose caller hung up during the added delay. */
export interface AbandonedCall {
  readonly service: AnsweredCall["service"];
  readonly operation: string;
  readonly protocol?: AnsweredCall["protocol"];
  readonly region: string;
  readonly accessKeyId?: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly addedLatencyMs: number;
  readonly spiked: boolean;
  readonly receivedAt: number;
  /** `performance.now()` when the request arrived. */
  readonly started: number;
}

/**
 * Ends a call whose delay was aborted: by the caller hanging up (logged as never served) or by `stop()` (not
 * logged, the sandbox is going away).
 */
export function endAbandonedCall(
  response: http.ServerResponse,
  runtime: EndpointRuntime,
  caller: { readonly signal: AbortSignal },
  call: AbandonedCall,
): void {
  response.destroy();
  if (!caller.signal.aborted || runtime.signal.aborted) return;
  const { started, spiked, ...rest } = call;
  runtime.record({
    ...rest,
    outcome: CLIENT_GONE,
    statusCode: CLIENT_GONE_STATUS,
    ...(spiked && { spiked: true as const }),
    durationMs: performance.now() - started,
  });
}

/** True when an error is the abort of a pending delay by `stop()`. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** Creates (but does not start) the HTTP server of one JSON RPC service. */
export function createJsonEndpoint(spec: JsonEndpointSpec, runtime: EndpointRuntime): http.Server {
  return http.createServer((request, response) => {
    handle(spec, runtime, request, response).catch((error: unknown) => {
      // handle() answers every error itself; reaching here means the socket is already gone.
      if (!isAbort(error)) response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

async function handle(
  spec: JsonEndpointSpec,
  runtime: EndpointRuntime,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const receivedAt = Date.now();
  const started = performance.now();
  const region = regionFromAuthorization(request.headers.authorization) ?? runtime.defaultRegion;
  const signer = signerOf(request);
  const defaultAccount = runtime.defaultAccount ?? "";
  const account = runtime.accountOf?.(signer.accessKeyId) ?? defaultAccount;
  // A member account's calls are logged with it; the sandbox's own account's as before.
  const inAccount = account === defaultAccount ? {} : { account };
  const target = String(request.headers["x-amz-target"] ?? "");
  // A RPC v2 CBOR request names its operation in the path; an AWS JSON one in X-Amz-Target.
  const cbor = spec.rpcV2Cbor && isRpcV2CborRequest(request) ? spec.rpcV2Cbor : undefined;
  const route: RpcV2CborRoute | undefined = cbor && routeRpcV2Cbor(request, cbor);
  let operation = route
    ? route.operation
    : target.startsWith(`${spec.targetPrefix}.`)
      ? target.slice(spec.targetPrefix.length + 1)
      : "";
  let input: Record<string, unknown> = {};
  let injected: InjectedFault | undefined;
  let rateLimited = false;
  let spiked = false;
  let addedLatencyMs = 0;
  let answer: WireResponse;
  let failure: AwsServiceError | undefined;
  const deliberate: DeliberateChange[] = [];
  const caller = watchCaller(response);
  try {
    const body = await readBody(request);
    if (request.method !== "POST") {
      operation ||= `${request.method} ${request.url}`;
      throw new AwsServiceError(
        "UnknownOperationException",
        `${request.method} is not supported; POST / only${cbor ? ` (or POST /service/${cbor.serviceName}/operation/<Operation> in ${RPC_V2_CBOR})` : ""}`,
      );
    }
    if (route?.refusal) throw route.refusal;
    if (
      !route &&
      String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")
    ) {
      operation ||= "(awsQuery request)";
      throw new AwsServiceError(
        "UnknownOperationException",
        `The sandbox speaks AWS JSON (${spec.contentType})${cbor ? ` and Smithy RPC v2 CBOR` : ""}, not the awsQuery protocol; use an SDK or CLI that sends X-Amz-Target`,
      );
    }
    // Own properties only, so `RekognitionService.toString` is an unknown operation, not Object.prototype's.
    const handler = Object.hasOwn(spec.operations, operation) ? spec.operations[operation] : undefined;
    if (!handler) {
      const asked = route
        ? route.operation || "(no operation in the path)"
        : target || "(no X-Amz-Target header)";
      operation ||= route ? asked : target || "(no X-Amz-Target)";
      throw new AwsServiceError(
        "UnknownOperationException",
        `Unknown operation ${asked}; the sandbox implements ${Object.keys(spec.operations).join(", ")}`,
      );
    }
    input = route ? readCborInput(body) : parseInput(body);
    if (runtime.regionDisabled?.(account, region)) throw disabledRegionError();
    // The fault draw comes first for every call, so a rate limit does not shift the sequence of faults.
    const decision = runtime.faults.decide(operation, callKeyOf(spec, operation, input));
    // The bucket is checked on arrival, as AWS's front door would; the refusal still takes the added latency.
    // Each account has its own buckets: AWS's limits are per account and region.
    const refusedBy = runtime.rateLimits?.admit(
      operation,
      account === defaultAccount ? region : `${account}/${region}`,
    );
    addedLatencyMs = decision.latencyMs;
    spiked = decision.spiked === true;
    if (decision.latencyMs > 0) await hold(decision.latencyMs, runtime.signal, caller.signal);
    if (refusedBy) {
      rateLimited = true;
      const throttle = spec.injectedError(
        "throttle",
        DEFAULT_FAULT_ERRORS[spec.service as ServiceName].throttle,
      );
      throw new AwsServiceError(
        throttle.code,
        `Rate exceeded (sandbox rate limit: ${refusedBy.tps} calls per second for ${operation})`,
        throttle.statusCode,
      );
    }
    if (decision.fault) {
      injected = decision.fault.kind;
      throw spec.injectedError(decision.fault.kind, decision.fault.code);
    }
    if (spec.validationError && spec.service !== "dynamodb") {
      const violations = inputViolations(spec.service as ModelledService, operation, input);
      if (violations.length > 0) throw spec.validationError(validationMessage(violations));
    }
    const output = await handler(input, {
      operation,
      region,
      account,
      deviate: (path, reason) => deliberate.push({ path, reason }),
    });
    if (decision.loseAnswer) {
      injected = "lost-answer";
      throw spec.injectedError("server-error", decision.loseAnswer.code);
    }
    answer = cbor
      ? cborAnswer(spec, operation, output)
      : {
          statusCode: 200,
          headers: { "content-type": spec.contentType },
          body: JSON.stringify(output ?? {}),
        };
  } catch (error) {
    if (isAbort(error)) {
      endAbandonedCall(response, runtime, caller, {
        service: spec.service,
        operation,
        ...(cbor && { protocol: RPC_V2_CBOR }),
        region,
        ...inAccount,
        ...signer,
        input: safeKeyInput(spec, operation, input),
        addedLatencyMs,
        spiked,
        receivedAt,
        started,
      });
      return;
    }
    failure =
      error instanceof AwsServiceError
        ? error
        : new AwsServiceError(
            "InternalFailure",
            `Sandbox bug: ${error instanceof Error ? error.stack : String(error)}`,
            500,
          );
    answer = cbor ? cbor.errorResponse(failure) : spec.errorResponse(failure);
  }
  send(response, answer, request);
  runtime.checkAnswer?.({
    service: spec.service as WireAnswer["service"],
    operation,
    input,
    statusCode: answer.statusCode,
    headers: answer.headers,
    body: answer.body,
    ...(cbor && { protocol: RPC_V2_CBOR }),
    deliberate,
  });
  runtime.record({
    service: spec.service,
    operation,
    ...(cbor && { protocol: RPC_V2_CBOR }),
    region,
    ...inAccount,
    ...signer,
    input: safeKeyInput(spec, operation, input),
    outcome: failure ? failure.code : "ok",
    ...(failure && { message: failure.message }),
    statusCode: answer.statusCode,
    ...(injected && { injected }),
    ...(rateLimited && { rateLimited: true as const }),
    addedLatencyMs,
    ...(spiked && { spiked: true as const }),
    receivedAt,
    durationMs: performance.now() - started,
  });
}

/**
 * Watches for the caller hanging up before the answer is sent: its signal aborts when the connection closes first,
 * e.g. because the process that sent the request was killed.
 */
export function watchCaller(response: http.ServerResponse): { readonly signal: AbortSignal } {
  const controller = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller;
}

/**
 * Waits out the added latency, unless the sandbox stops or the caller hangs up first (both reject with an
 * AbortError). A request whose caller is gone is never served: the latency stands for the time before it arrives.
 */
export async function hold(ms: number, sandbox: AbortSignal, caller: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal: AbortSignal.any([sandbox, caller]) });
}

/**
 * A RPC v2 CBOR success: the output written by its shape in the API model, which says which numbers are timestamps
 * (tag 1 in CBOR, epoch seconds in JSON). An operation without output answers no body and no Content-Type, as the
 * spec asks.
 */
function cborAnswer(spec: JsonEndpointSpec, operation: string, output: unknown): WireResponse {
  const model = apiModel(spec.service as ModelledService).operations.get(operation);
  if (!model) throw new Error(`${spec.service} ${operation} is not in its API model`);
  if (!model.output) return { statusCode: 200, headers: { "smithy-protocol": RPC_V2_CBOR }, body: "" };
  return {
    statusCode: 200,
    headers: { "content-type": CBOR_CONTENT_TYPE, "smithy-protocol": RPC_V2_CBOR },
    body: writeCbor(output, model.output),
  };
}

function callKeyOf(spec: JsonEndpointSpec, operation: string, input: Record<string, unknown>): string {
  if (spec.callKey) return spec.callKey(operation, input);
  return JSON.stringify(safeKeyInput(spec, operation, input));
}

function parseInput(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new AwsServiceError(
      "SerializationException",
      `Request body is not JSON: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new AwsServiceError("SerializationException", "Request body must be a JSON object");
  return parsed as Record<string, unknown>;
}

function safeKeyInput(spec: JsonEndpointSpec, operation: string, input: Record<string, unknown>) {
  try {
    return spec.keyInput(operation, input);
  } catch {
    // A malformed input must not break the log; the outcome already says what was wrong with it.
    return {};
  }
}

/** Starts a server on 127.0.0.1 (port 0 = a free port) and returns its base URL. */
export async function listen(server: http.Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and every connection it holds, keep-alive ones included. */
export async function close(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  server.closeAllConnections();
  await closed;
}
