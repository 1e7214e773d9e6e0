/**
 * The Smithy RPC v2 CBOR protocol (`smithy.protocols#rpcv2Cbor`), which CloudWatch's current model lists first:
 * `POST …/service/<ServiceName>/operation/<Operation>` with `smithy-protocol: rpc-v2-cbor` and a CBOR body. A
 * request's body is read into the document an AWS JSON handler reads (tag-1 timestamps as epoch seconds, byte
 * strings as base64), and an answer is written back by the operation's output shape, so one set of operations
 * serves both protocols. The CBOR codec is the AWS SDK's own (`@smithy/core/cbor`).
 * Spec: https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
 */

import type http from "node:http";
import { cbor, tag } from "@smithy/core/cbor";
import type { Shape } from "./api-models.ts";
import { AwsServiceError } from "./aws-error.ts";

/** The `smithy-protocol` header's value on every request and answer of the protocol. */
export const RPC_V2_CBOR = "rpc-v2-cbor";

/** The content type of every request and answer body of the protocol. */
export const CBOR_CONTENT_TYPE = "application/cbor";

/** CBOR tag 1: epoch-based date/time, the protocol's only timestamp form (RFC 8949 §3.4.2). */
const EPOCH_TAG = 1;

/** Which service a RPC v2 CBOR endpoint is: what the path's `{serviceName}` segment must name. */
export interface RpcV2CborService {
  /** The service shape's name, e.g. `GraniteServiceVersion20100801` (CloudWatch). */
  readonly serviceName: string;
  /** The service shape's namespace, e.g. `com.amazonaws.cloudwatch`. */
  readonly namespace: string;
}

/** Where a RPC v2 CBOR request goes: its operation, or the error that refuses it before any operation runs. */
export interface RpcV2CborRoute {
  /** The operation the path names, or a label for the call log when it names none. */
  readonly operation: string;
  /** Why the request is malformed under the protocol; absent when it is well formed. */
  readonly refusal?: AwsServiceError;
}

// The protocol routes on the path's last four segments; a prefix before them is allowed (`/v1/service/…`).
const ROUTE = /\/service\/([^/?]+)\/operation\/([^/?]*)\/?(?:\?.*)?$/;

/** Whether a request speaks RPC v2 CBOR: it says so in `smithy-protocol`, or it goes to the protocol's path. */
export function isRpcV2CborRequest(request: http.IncomingMessage): boolean {
  return request.headers["smithy-protocol"] !== undefined || ROUTE.test(request.url ?? "");
}

const unknownOperation = (message: string) => new AwsServiceError("UnknownOperationException", message);

/**
 * The route of a RPC v2 CBOR request, refusing what the spec calls malformed: no `smithy-protocol: rpc-v2-cbor`,
 * an `X-Amz-Target` (which servers "MUST reject ... for security reasons"), another service's name, or a body that
 * is not `application/cbor`.
 */
export function routeRpcV2Cbor(request: http.IncomingMessage, service: RpcV2CborService): RpcV2CborRoute {
  const url = request.url ?? "";
  const match = ROUTE.exec(url);
  if (!match)
    return {
      operation: `(rpc-v2-cbor ${request.method} ${url})`,
      refusal: unknownOperation(
        `A smithy-protocol: ${RPC_V2_CBOR} request goes to POST /service/${service.serviceName}/operation/<Operation>, not ${url}`,
      ),
    };
  const [, serviceName = "", operation = ""] = match;
  const protocol = String(request.headers["smithy-protocol"] ?? "");
  if (protocol.trim().toLowerCase() !== RPC_V2_CBOR)
    return {
      operation,
      refusal: unknownOperation(
        `The smithy-protocol header is ${protocol === "" ? "missing" : `"${protocol}"`}; this path takes smithy-protocol: ${RPC_V2_CBOR}`,
      ),
    };
  if (request.headers["x-amz-target"] !== undefined || request.headers["x-amzn-target"] !== undefined)
    return {
      operation,
      refusal: new AwsServiceError(
        "SerializationException",
        `A ${RPC_V2_CBOR} request must not carry X-Amz-Target or X-Amzn-Target`,
      ),
    };
  // The spec lets a client name the service by its absolute shape id too, with `#` written as `.`.
  const names = [service.serviceName, `${service.namespace}.${service.serviceName}`];
  if (!names.includes(decodeURIComponent(serviceName)))
    return {
      operation,
      refusal: unknownOperation(`Unknown service ${serviceName}; this endpoint is ${names.join(" or ")}`),
    };
  const contentType = String(request.headers["content-type"] ?? "")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  if (contentType !== "" && contentType !== CBOR_CONTENT_TYPE)
    return {
      operation,
      refusal: new AwsServiceError(
        "SerializationException",
        `Content-Type ${contentType} is not ${CBOR_CONTENT_TYPE}, the only body the ${RPC_V2_CBOR} protocol takes`,
      ),
    };
  return { operation };
}

const serialization = (message: string) => new AwsServiceError("SerializationException", message);

/**
 * A request body as the document an AWS JSON handler reads: tag-1 timestamps become epoch seconds, byte strings
 * base64 text. An empty body is an empty input structure.
 */
export function readCborInput(body: Uint8Array): Record<string, unknown> {
  if (body.length === 0) return {};
  let decoded: unknown;
  try {
    decoded = cbor.deserialize(body);
  } catch (error) {
    throw serialization(`Request body is not CBOR: ${(error as Error).message}`);
  }
  const document = toDocument(decoded, "");
  if (document === null || typeof document !== "object" || Array.isArray(document))
    throw serialization("Request body must be a CBOR map (the input structure)");
  return document as Record<string, unknown>;
}

/** Whether a decoded CBOR value is a tagged item (`{tag, value}` as `@smithy/core/cbor` gives it). */
export function isCborTag(
  value: unknown,
): value is { readonly tag: number | bigint; readonly value: unknown } {
  return typeof value === "object" && value !== null && "tag" in value && "value" in value;
}

function toDocument(value: unknown, path: string): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "bigint") {
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER))
      return Number(value);
    throw serialization(`${path || "the body"}: ${value} is beyond the integers the sandbox reads`);
  }
  if (Array.isArray(value)) return value.map((item, index) => toDocument(item, `${path}[${index}]`));
  if (isCborTag(value)) {
    if (Number(value.tag) === EPOCH_TAG && typeof value.value === "number" && Number.isFinite(value.value))
      return value.value;
    throw serialization(
      `${path || "the body"}: CBOR tag ${String(value.tag)} is not an epoch-seconds timestamp (tag 1 over a number), the only tag the operations read`,
    );
  }
  if (typeof value === "object" && value !== null) {
    const document: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value))
      document[key] = toDocument(member, path ? `${path}.${key}` : key);
    return document;
  }
  return value;
}

/**
 * An answer in CBOR, written by its shape: a timestamp (epoch seconds in the AWS JSON document) becomes tag 1, a
 * blob (base64 text) a byte string; members without a value are left out, as the protocol wants. Members the
 * shape does not declare are written as they are, so the API-model check still sees them.
 */
export function writeCbor(document: unknown, shape: Shape | undefined): Uint8Array {
  return cbor.serialize(toCbor(document ?? {}, shape));
}

function toCbor(value: unknown, shape: Shape | undefined): unknown {
  if (value === null || value === undefined) return value;
  switch (shape?.type) {
    case "timestamp": {
      const seconds = typeof value === "string" ? Date.parse(value) / 1000 : value;
      return typeof seconds === "number" && Number.isFinite(seconds)
        ? tag({ tag: EPOCH_TAG, value: seconds })
        : value;
    }
    case "blob":
      return typeof value === "string" ? Buffer.from(value, "base64") : value;
    case "list":
      return Array.isArray(value) ? value.map((item) => toCbor(item, shape.member?.shape)) : value;
    case "map":
      return mapValues(value, () => shape.value?.shape);
    case "structure":
      return mapValues(value, (key) => shape.members.get(key)?.shape);
    default:
      // A scalar, or a value without a shape (a member the model does not declare): written as it is, without
      // its undefined members.
      if (Array.isArray(value)) return value.map((item) => toCbor(item, undefined));
      return typeof value === "object" ? mapValues(value, () => undefined) : value;
  }
}

function mapValues(value: unknown, shapeOf: (key: string) => Shape | undefined): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    // The protocol leaves out a member that has no value (and the codec refuses `undefined`).
    if (member === undefined || member === null) continue;
    out[key] = toCbor(member, shapeOf(key));
  }
  return out;
}

/** A decoded CBOR body, for the API-model check and for tests that read the wire. */
export function readCbor(body: Uint8Array): unknown {
  return cbor.deserialize(body);
}
