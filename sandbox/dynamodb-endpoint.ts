/**
 * DynamoDB: dynalite (in memory) behind a small proxy. The proxy gives DynamoDB the same fault knobs, latency and
 * call log as the other endpoints, then forwards the untouched request to dynalite. It learns each table's key
 * schema from the CreateTable requests it forwards, so the call log can say which item or partition a call touched.
 */

import http from "node:http";
import { crc32 } from "node:zlib";
import dynalite from "dynalite";
import { AwsServiceError } from "./aws-error.ts";
import type { InjectedFault } from "./call-log.ts";
import {
  close,
  type EndpointRuntime,
  endAbandonedCall,
  hold,
  isAbort,
  listen,
  readBody,
  regionFromAuthorization,
  send,
  signerOf,
  type WireResponse,
  watchCaller,
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

/** The key attribute names of a table or an index. */
interface KeyNames {
  readonly hash: string;
  readonly range?: string;
}

/** Key schemas by table name: the table's own, and each secondary index's by index name. */
type KeySchemas = Map<string, { readonly table: KeyNames; readonly indexes: Map<string, KeyNames> }>;

/** Starts dynalite and the proxy in front of it, both on 127.0.0.1. */
export async function startDynamoDb(runtime: EndpointRuntime, port = 0): Promise<DynamoDbEndpoint> {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = new URL(await listen(backend));
  const agent = new http.Agent({ keepAlive: true });
  const schemas: KeySchemas = new Map();
  const proxy = http.createServer((request, response) => {
    forward(request, response, Number(backendUrl.port), agent, runtime, schemas).catch((error: unknown) => {
      if (!isAbort(error)) response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  let url: string;
  try {
    url = await listen(proxy, port);
  } catch (error) {
    // A taken port must not leave dynalite listening, or the process never exits.
    agent.destroy();
    await close(backend);
    throw error;
  }
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
  schemas: KeySchemas,
): Promise<void> {
  const receivedAt = Date.now();
  const started = performance.now();
  const region = regionFromAuthorization(request.headers.authorization) ?? runtime.defaultRegion;
  const signer = signerOf(request);
  const target = String(request.headers["x-amz-target"] ?? "");
  const operation = target.includes(".")
    ? target.slice(target.indexOf(".") + 1)
    : target || request.method || "";
  let answer: WireResponse<string>;
  let injected: InjectedFault | undefined;
  let spiked = false;
  let addedLatencyMs = 0;
  let body: Buffer = Buffer.alloc(0);
  let input: Record<string, unknown> = {};
  const caller = watchCaller(response);
  try {
    body = await readBody(request);
    input = keyInput(operation, body, schemas);
    const partition = (input.key as Record<string, string> | undefined)?.partition ?? "";
    const decision = runtime.faults.decide(
      operation,
      `${String(input.TableName ?? "")}/${String(input.IndexName ?? "")}/${partition}`,
    );
    addedLatencyMs = decision.latencyMs;
    spiked = decision.spiked === true;
    if (decision.latencyMs > 0) await hold(decision.latencyMs, runtime.signal, caller.signal);
    if (decision.fault) {
      injected = decision.fault.kind;
      answer = faultResponse(decision.fault.code);
    } else {
      answer = await passThrough(request, body, backendPort, agent);
      if (decision.loseAnswer && answer.statusCode < 400) {
        injected = "lost-answer";
        answer = faultResponse(decision.loseAnswer.code);
      }
    }
  } catch (error) {
    if (isAbort(error)) {
      endAbandonedCall(response, runtime, caller, {
        service: "dynamodb",
        operation,
        region,
        ...signer,
        input,
        addedLatencyMs,
        spiked,
        receivedAt,
        started,
      });
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
  send(response, answer, request);
  const error = answer.statusCode >= 400 ? errorOf(answer.body) : undefined;
  if (operation === "CreateTable" && !error) learnKeySchema(body, schemas);
  runtime.record({
    service: "dynamodb",
    operation,
    region,
    ...signer,
    input,
    outcome: error ? error.code : "ok",
    ...(error && { message: error.message }),
    statusCode: answer.statusCode,
    ...(injected && { injected }),
    addedLatencyMs,
    ...(spiked && { spiked: true as const }),
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
): Promise<WireResponse<string>> {
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

function faultResponse(code: string): WireResponse<string> {
  const known = FAULT_ERRORS[code] ?? { type: code, status: 500, message: "Injected fault" };
  return errorResponse(known.type, known.status, `${known.message} (injected by the sandbox)`);
}

function errorResponse(type: string, statusCode: number, message: string): WireResponse<string> {
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

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const keyNamesOf = (schema: unknown): KeyNames | undefined => {
  if (!Array.isArray(schema)) return undefined;
  const nameOf = (type: string) =>
    (schema as { AttributeName?: unknown; KeyType?: unknown }[]).find((key) => key.KeyType === type)
      ?.AttributeName;
  const hash = nameOf("HASH");
  const range = nameOf("RANGE");
  if (typeof hash !== "string") return undefined;
  return typeof range === "string" ? { hash, range } : { hash };
};

/** Remembers the key schema of a table created through the proxy. */
function learnKeySchema(body: Buffer, schemas: KeySchemas): void {
  try {
    const input = JSON.parse(body.toString("utf8")) as Json;
    const table = keyNamesOf(input.KeySchema);
    if (typeof input.TableName !== "string" || !table) return;
    const indexes = new Map<string, KeyNames>();
    for (const index of [
      ...(Array.isArray(input.GlobalSecondaryIndexes) ? input.GlobalSecondaryIndexes : []),
      ...(Array.isArray(input.LocalSecondaryIndexes) ? input.LocalSecondaryIndexes : []),
    ]) {
      const names = isObject(index) ? keyNamesOf(index.KeySchema) : undefined;
      if (names && isObject(index) && typeof index.IndexName === "string")
        indexes.set(index.IndexName, names);
    }
    schemas.set(input.TableName, { table, indexes });
  } catch {
    // dynalite answered the malformed request already; there is nothing to learn from it.
  }
}

/** An attribute value `{S: "x"}`, `{N: "1"}`… as plain text, or undefined for other types. */
function plain(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const text = value.S ?? value.N;
  return typeof text === "string" ? text : undefined;
}

/** The key attributes an item names, as `{ partition, sort? }` plain text. */
function itemKey(item: unknown, names: KeyNames | undefined): Record<string, string> | undefined {
  if (!isObject(item) || !names) return undefined;
  const partition = plain(item[names.hash]);
  if (partition === undefined) return undefined;
  const sort = names.range === undefined ? undefined : plain(item[names.range]);
  return sort === undefined ? { partition } : { partition, sort };
}

/** The partition a Query reads: the value its key condition compares the partition key with. */
function queriedPartition(input: Json, names: KeyNames | undefined): Record<string, string> | undefined {
  if (!names || typeof input.KeyConditionExpression !== "string") return undefined;
  const attributeNames = isObject(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
  const values = isObject(input.ExpressionAttributeValues) ? input.ExpressionAttributeValues : {};
  for (const match of input.KeyConditionExpression.matchAll(/([#\w.]+)\s*=\s*(:\w+)/g)) {
    const [, name = "", placeholder = ""] = match;
    const attribute = name.startsWith("#") ? attributeNames[name] : name;
    if (attribute !== names.hash) continue;
    const partition = plain(values[placeholder]);
    return partition === undefined ? undefined : { partition };
  }
  return undefined;
}

/**
 * The fields of a request worth keeping in the call log: the table and index, and the key it touches (`partition`
 * and `sort`, plain text) when the table was created through the proxy.
 */
function keyInput(operation: string, body: Buffer, schemas: KeySchemas): Json {
  try {
    const input = JSON.parse(body.toString("utf8")) as Json;
    const picked: Json = {};
    if (typeof input.TableName === "string") picked.TableName = input.TableName;
    if (typeof input.IndexName === "string") picked.IndexName = input.IndexName;
    if (input.RequestItems && typeof input.RequestItems === "object")
      picked.tables = Object.keys(input.RequestItems);
    const schema = typeof input.TableName === "string" ? schemas.get(input.TableName) : undefined;
    const names = typeof input.IndexName === "string" ? schema?.indexes.get(input.IndexName) : schema?.table;
    const key =
      operation === "PutItem"
        ? itemKey(input.Item, names)
        : operation === "Query"
          ? queriedPartition(input, names)
          : itemKey(input.Key, names);
    if (key) picked.key = key;
    return picked;
  } catch {
    // Not JSON: dynalite answers the SerializationException, and the log keeps no input.
    return {};
  }
}
