/**
 * The Lambda Runtime API (version 2018-06-01) that Lambda serves to the runtime inside an execution environment, on
 * a free loopback port: the runtime long-polls `GET /runtime/invocation/next` for an event, then posts the handler's
 * answer to `…/invocation/{id}/response` or `…/error`; a runtime whose start-up failed posts `/runtime/init/error`.
 * Paths, headers and status codes follow the API reference
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) and its OpenAPI specification.
 */

import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { close, listen } from "./http-endpoint.ts";

/** The API version in every path. */
export const RUNTIME_API_VERSION = "2018-06-01";

/** Lambda's limit on a synchronous invocation's response payload: 6 MB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** One event handed to the runtime. */
export interface RuntimeEvent {
  /** The event; the schedule sends `{}`. */
  readonly event: unknown;
  /** `Lambda-Runtime-Aws-Request-Id`. @default a random UUID */
  readonly requestId?: string;
  /** The invocation's time limit: `Lambda-Runtime-Deadline-Ms` is the clock's now, when the runtime gets the event,
   * plus this. */
  readonly timeoutMs: number;
  /** `Lambda-Runtime-Trace-Id`. @default a new sampled-out X-Ray trace header */
  readonly traceId?: string;
  /** Called when the runtime gets the event, with what it got. */
  readonly onHanded?: (handed: HandedEvent) => void;
}

/** What Lambda handed to the runtime for one invocation, as the runtime saw it in the headers. */
export interface HandedEvent {
  readonly requestId: string;
  readonly deadlineMs: number;
  readonly functionArn: string;
  readonly traceId: string;
}

/** What the runtime posted for one invocation. */
export type InvocationOutcome =
  | {
      readonly kind: "response";
      readonly requestId: string;
      /** The body as posted (JSON for a buffered Node.js handler). */
      readonly body: string;
    }
  | {
      readonly kind: "error";
      readonly requestId: string;
      /** `errorType` of the body, else the `Lambda-Runtime-Function-Error-Type` header. */
      readonly errorType: string;
      readonly errorMessage: string;
      /** The body as posted: `{ errorType, errorMessage, trace }` from the Node.js runtime client. */
      readonly body: string;
    };

/** What the runtime posted to `/runtime/init/error`. */
export interface InitError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly body: string;
}

/** One request the runtime made, and the status it got. */
export interface RuntimeApiRequest {
  readonly method: string;
  readonly path: string;
  readonly statusCode: number;
  /** When it arrived (wall clock, epoch ms). */
  readonly receivedAt: number;
}

/** Options of the Runtime API. */
export interface RuntimeApiOptions {
  /** `Lambda-Runtime-Invoked-Function-Arn` of every invocation. */
  readonly functionArn: string;
  /** The function's clock (epoch ms), which the deadline is counted in. @default Date.now */
  readonly clock?: () => number;
}

/** A running Runtime API. */
export interface RuntimeApi {
  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  /** Every request the runtime made so far, in order. */
  readonly requests: readonly RuntimeApiRequest[];
  /**
   * Queues an event for the runtime's next `GET …/next` and resolves with what the runtime posts for it. It rejects
   * with {@link RuntimeInitFailedError} when the runtime reported an init error instead (Lambda serves that error
   * in response to the first invocation).
   */
  invoke(event: RuntimeEvent): Promise<{ readonly handed: HandedEvent; readonly outcome: InvocationOutcome }>;
  /** Resolves with what the runtime posted to `/runtime/init/error`, if it ever does. */
  readonly initError: Promise<InitError>;
  /** Resolves once the runtime waits on `GET …/next` with no event queued: it is done with every event so far. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The runtime reported an init error, so the invocation never ran. */
export class RuntimeInitFailedError extends Error {
  constructor(readonly initError: InitError) {
    super(`the runtime failed to start: ${initError.errorType}: ${initError.errorMessage}`);
    this.name = "RuntimeInitFailedError";
  }
}

interface Pending {
  readonly event: RuntimeEvent;
  readonly resolve: (value: { handed: HandedEvent; outcome: InvocationOutcome }) => void;
  readonly reject: (error: Error) => void;
  handed?: HandedEvent;
}

const PREFIX = `/${RUNTIME_API_VERSION}/runtime`;
const INVOCATION_PATH = new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`);

/** A new X-Ray trace header, as Lambda passes it when the function does not trace: sampled out. */
export function newTraceHeader(nowMs: number): string {
  const epochSeconds = Math.floor(nowMs / 1000).toString(16);
  return `Root=1-${epochSeconds}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

/** Starts the Runtime API on 127.0.0.1. */
export async function startRuntimeApi(options: RuntimeApiOptions): Promise<RuntimeApi> {
  const clock = options.clock ?? Date.now;
  const requests: RuntimeApiRequest[] = [];
  const queue: Pending[] = [];
  let current: Pending | undefined;
  let parked: { readonly response: http.ServerResponse; readonly receivedAt: number } | undefined;
  let initialized = false;
  let reportedInitError: InitError | undefined;
  let resolveInitError: (value: InitError) => void = () => {};
  const initError = new Promise<InitError>((resolve) => {
    resolveInitError = resolve;
  });
  let idleWaiters: (() => void)[] = [];

  /** Answers one request with a JSON body, and logs it. */
  const replier =
    (request: http.IncomingMessage, response: http.ServerResponse, receivedAt: number) =>
    (statusCode: number, body: unknown) => {
      requests.push({ method: request.method ?? "", path: request.url ?? "", statusCode, receivedAt });
      const text = JSON.stringify(body);
      response.writeHead(statusCode, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
      });
      response.end(text);
    };

  // Hands the next queued event to the runtime's parked `next`, or tells the waiters the runtime is idle.
  const dispatch = () => {
    if (!parked || current) return;
    const next = queue.shift();
    if (!next) {
      for (const waiter of idleWaiters) waiter();
      idleWaiters = [];
      return;
    }
    const { response, receivedAt } = parked;
    parked = undefined;
    const now = clock();
    const handed: HandedEvent = {
      requestId: next.event.requestId ?? randomUUID(),
      deadlineMs: now + next.event.timeoutMs,
      functionArn: options.functionArn,
      traceId: next.event.traceId ?? newTraceHeader(now),
    };
    next.handed = handed;
    current = next;
    const body = JSON.stringify(next.event.event ?? {});
    requests.push({ method: "GET", path: `${PREFIX}/invocation/next`, statusCode: 200, receivedAt });
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "lambda-runtime-aws-request-id": handed.requestId,
      "lambda-runtime-deadline-ms": String(handed.deadlineMs),
      "lambda-runtime-invoked-function-arn": handed.functionArn,
      "lambda-runtime-trace-id": handed.traceId,
    });
    response.end(body);
    next.event.onHanded?.(handed);
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse, receivedAt: number) => {
    const reply = replier(request, response, receivedAt);
    const path = (request.url ?? "").split("?")[0] ?? "";
    if (request.method === "GET" && path === `${PREFIX}/invocation/next`) {
      if (current) {
        // The Node.js client posts the answer before it asks again; asking first would lose the invocation.
        reply(400, {
          errorType: "InvalidStateTransition",
          errorMessage: `invocation ${current.handed?.requestId} has no response or error yet`,
        });
        return;
      }
      initialized = true;
      parked?.response.destroy();
      parked = { response, receivedAt };
      // A runtime that dies while it waits must not be handed the next event.
      response.once("close", () => {
        if (parked?.response === response) parked = undefined;
      });
      dispatch();
      return;
    }
    if (request.method !== "POST") {
      reply(404, { errorType: "NotFound", errorMessage: `no ${request.method} ${path}` });
      return;
    }
    const body = await readBody(request);
    if (path === `${PREFIX}/init/error`) {
      if (initialized || reportedInitError) {
        reply(403, {
          errorType: "InvalidStateTransition",
          errorMessage: "init/error after the runtime's initialization ended",
        });
        return;
      }
      const parsed = parseError(body.text, request.headers["lambda-runtime-function-error-type"]);
      reportedInitError = { ...parsed, body: body.text };
      reply(202, { status: "OK" });
      resolveInitError(reportedInitError);
      for (const pending of queue.splice(0)) pending.reject(new RuntimeInitFailedError(reportedInitError));
      return;
    }
    const match = INVOCATION_PATH.exec(path);
    if (!match) {
      reply(404, { errorType: "NotFound", errorMessage: `no POST ${path}` });
      return;
    }
    const requestId = decodeURIComponent(match[1] ?? "");
    if (!current || current.handed?.requestId !== requestId) {
      reply(400, {
        errorType: "InvalidRequestID",
        errorMessage: `no invocation ${requestId} is waiting for an answer`,
      });
      return;
    }
    const finished = current;
    let outcome: InvocationOutcome;
    if (body.bytes > MAX_RESPONSE_BYTES) {
      reply(413, {
        errorType: "RequestEntityTooLarge",
        errorMessage: `the ${match[2]} is ${body.bytes} bytes, over the limit of ${MAX_RESPONSE_BYTES}`,
      });
      outcome = {
        kind: "error",
        requestId,
        errorType: "Function.ResponseSizeTooLarge",
        errorMessage: `Response payload size (${body.bytes} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        body: "",
      };
    } else {
      reply(202, { status: "OK" });
      outcome =
        match[2] === "response"
          ? { kind: "response", requestId, body: body.text }
          : {
              kind: "error",
              requestId,
              ...parseError(body.text, request.headers["lambda-runtime-function-error-type"]),
              body: body.text,
            };
    }
    current = undefined;
    finished.resolve({ handed: finished.handed as HandedEvent, outcome });
    dispatch();
  };

  const server = http.createServer((request, response) => {
    const receivedAt = Date.now();
    handle(request, response, receivedAt).catch((error: unknown) => {
      if (!response.headersSent)
        replier(
          request,
          response,
          receivedAt,
        )(500, { errorType: "ServiceException", errorMessage: String(error) });
      else response.destroy();
    });
  });
  const url = await listen(server);

  return {
    address: url.replace(/^http:\/\//, ""),
    requests,
    invoke(event) {
      return new Promise((resolve, reject) => {
        if (reportedInitError) {
          reject(new RuntimeInitFailedError(reportedInitError));
          return;
        }
        queue.push({ event, resolve, reject });
        dispatch();
      });
    },
    initError,
    idle() {
      return new Promise((resolve) => {
        if (parked && !current && queue.length === 0) resolve();
        else idleWaiters.push(resolve);
      });
    },
    async close() {
      parked?.response.destroy();
      parked = undefined;
      await close(server);
    },
  };
}

async function readBody(request: http.IncomingMessage): Promise<{ text: string; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    // Past the limit only the size matters; keep reading so the client gets its 413.
    if (bytes <= MAX_RESPONSE_BYTES) chunks.push(chunk as Buffer);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), bytes };
}

function parseError(
  text: string,
  headerType: string | string[] | undefined,
): { errorType: string; errorMessage: string } {
  const header = Array.isArray(headerType) ? headerType[0] : headerType;
  let parsed: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object") parsed = value as typeof parsed;
  } catch {
    // Lambda accepts any body; a runtime that sends no JSON still has the header.
  }
  return {
    errorType: typeof parsed.errorType === "string" ? parsed.errorType : (header ?? "Unknown"),
    errorMessage: typeof parsed.errorMessage === "string" ? parsed.errorMessage : text,
  };
}
