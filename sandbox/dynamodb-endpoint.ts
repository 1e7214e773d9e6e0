/**
 * DynamoDB: dynalite (in memory) behind a small proxy. The proxy gives DynamoDB the same fault knobs, latency and
 * call log as the other endpoints, then forwards the untouched request to dynalite.
 */

import http from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { crc32 } from "node:zlib";
import dynalite from "dynalite";
import { AwsServiceError } from "./aws-error.ts";
import type { InjectedFault } from "./call-log.ts";
import {
  close,
  type EndpointRuntime,
  isAbort,
  listen,
  readBody,
  regionFromAuthorization,
  send,
  type WireResponse,
} from "./http-endpoint.ts";

const CONTENT_TYPE = "application/x-amz-json-1.0";

/** The DynamoDB endpoint: the proxy's URL and a way to close proxy and dynalite together. */
export interface DynamoDbEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** Injected errors as DynamoDB writes them: the shape id in `__type`, the status and AWS's usual message. */
const FAULT_ERRORS: Readonly<Record<string, { type: string; status: number; message: string }>> = {
  ProvisionedThroughputExceededException: {
    type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    status: 400,
    message: "The level of configured provisioned throughput for the table was exceeded.",
  },
  ThrottlingException: {
    type: "com.amazon.coral.availability#ThrottlingException",
    status: 400,
    message: "Rate of requests exceeds the allowed throughput.",
  },
  InternalServerError: {
    type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
    status: 500,
    message: "Internal server error",
  },
  ServiceUnavailable: {
    type: "com.amazonaws.dynamodb.v20120810#ServiceUnavailable",
    status: 503,
    message: "Service unavailable",
  },
};

// Connection-level headers belong to one hop; the proxy sets its own.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

/** Starts dynalite and the proxy in front of it, both on 127.0.0.1. */
export async function startDynamoDb(runtime: EndpointRuntime, port = 0): Promise<DynamoDbEndpoint> {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = new URL(await listen(backend));
  const agent = new http.Agent({ keepAlive: true });
  const proxy = http.createServer((request, response) => {
    forward(request, response, Number(backendUrl.port), agent, runtime).catch((error: unknown) => {
      if (!isAbort(error)) response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  const url = await listen(proxy, port);
  return {
    url,
    async close() {
      await close(proxy);
      agent.destroy();
      await close(backend);
    },
  };
}

async function forward(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  backendPort: number,
  agent: http.Agent,
  runtime: EndpointRuntime,
): Promise<void> {
  const receivedAt = Date.now();
  const started = performance.now();
  const region = regionFromAuthorization(request.headers.authorization) ?? runtime.defaultRegion;
  const target = String(request.headers["x-amz-target"] ?? "");
  const operation = target.includes(".")
    ? target.slice(target.indexOf(".") + 1)
    : target || request.method || "";
  let answer: WireResponse;
  let injected: InjectedFault | undefined;
  let addedLatencyMs = 0;
  let body: Buffer = Buffer.alloc(0);
  try {
    body = await readBody(request);
    const decision = runtime.faults.decide(operation);
    addedLatencyMs = decision.latencyMs;
    if (decision.latencyMs > 0) await delay(decision.latencyMs, undefined, { signal: runtime.signal });
    if (decision.fault) {
      injected = decision.fault.kind;
      answer = faultResponse(decision.fault.code);
    } else {
      answer = await passThrough(request, body, backendPort, agent);
    }
  } catch (error) {
    if (isAbort(error)) {
      response.destroy();
      return;
    }
    const failure =
      error instanceof AwsServiceError
        ? error
        : new AwsServiceError("InternalServerError", String(error), 500);
    answer = errorResponse(
      `com.amazonaws.dynamodb.v20120810#${failure.code}`,
      failure.statusCode,
      failure.message,
    );
  }
  send(response, answer);
  const error = answer.statusCode >= 400 ? errorOf(answer.body) : undefined;
  runtime.record({
    service: "dynamodb",
    operation,
    region,
    input: keyInput(body),
    outcome: error ? error.code : "ok",
    ...(error && { message: error.message }),
    statusCode: answer.statusCode,
    ...(injected && { injected }),
    addedLatencyMs,
    receivedAt,
    durationMs: performance.now() - started,
  });
}

/** Sends the request to dynalite as it came (inflated if it was gzipped) and buffers the answer. */
function passThrough(
  request: http.IncomingMessage,
  body: Buffer,
  backendPort: number,
  agent: http.Agent,
): Promise<WireResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === "content-encoding") continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: backendPort, method: request.method, path: request.url, headers, agent },
      (reply) => {
        const chunks: Buffer[] = [];
        reply.on("data", (chunk: Buffer) => chunks.push(chunk));
        reply.on("error", reject);
        reply.on("end", () => {
          const replyHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(reply.headers)) {
            if (value === undefined || HOP_BY_HOP.has(name) || name === "x-amzn-requestid") continue;
            replyHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({
            statusCode: reply.statusCode ?? 502,
            headers: replyHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}

function faultResponse(code: string): WireResponse {
  const known = FAULT_ERRORS[code] ?? { type: code, status: 500, message: "Injected fault" };
  return errorResponse(known.type, known.status, `${known.message} (injected by the sandbox)`);
}

function errorResponse(type: string, statusCode: number, message: string): WireResponse {
  const body = JSON.stringify({ __type: type, message });
  // DynamoDB signs every body with a CRC32 header; keep injected answers indistinguishable from dynalite's.
  return {
    statusCode,
    headers: { "content-type": CONTENT_TYPE, "x-amz-crc32": String(crc32(body)) },
    body,
  };
}

/** The error code and message of a DynamoDB error body (`__type` is `namespace#Code`). */
function errorOf(body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body) as { __type?: string; message?: string; Message?: string };
    const type = parsed.__type ?? "UnknownError";
    return { code: type.slice(type.indexOf("#") + 1), message: parsed.message ?? parsed.Message ?? "" };
  } catch {
    return { code: "UnknownError", message: body.slice(0, 200) };
  }
}

function keyInput(body: Buffer): Record<string, unknown> {
  try {
    const input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const picked: Record<string, unknown> = {};
    if (typeof input.TableName === "string") picked.TableName = input.TableName;
    if (typeof input.IndexName === "string") picked.IndexName = input.IndexName;
    if (input.RequestItems && typeof input.RequestItems === "object")
      picked.tables = Object.keys(input.RequestItems);
    return picked;
  } catch {
    // Not JSON: dynalite answers the SerializationException, and the log keeps no input.
    return {};
  }
}
