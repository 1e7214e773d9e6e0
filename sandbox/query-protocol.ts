/**
 * The awsQuery protocol's answers, as SNS and CloudFormation write them: XML in the service's namespace, an
 * `ErrorResponse` with the code and the Sender or Receiver fault, and the request id in a header and in the body;
 * and the endpoint both serve them from (the form's `Action`, the region from SigV4, the call log).
 */

import { randomUUID } from "node:crypto";
import http from "node:http";
import type { WireAnswer } from "./api-model-check.ts";
import type { AnsweredCall } from "./call-log.ts";
import { dateHeader, readBody, regionFromAuthorization, signerOf } from "./http-endpoint.ts";

/** Text escaped for an XML element. */
export const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c,
  );

/** An error answered in the protocol's `ErrorResponse`. */
export class QueryProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = "QueryProtocolError";
  }
}

/** The `ErrorResponse` body of an error: a Receiver fault for a 5xx, else the Sender's. */
export function errorResponseXml(xmlns: string, error: QueryProtocolError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${error.statusCode >= 500 ? "Receiver" : "Sender"}</Type>` +
    `<Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Sends an XML answer with the headers AWS sends; returns the headers the API-model check reads. */
export function sendXml(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  statusCode: number,
  body: string,
  requestId: string,
): Record<string, string> {
  const headers = { "content-type": "text/xml" };
  response.writeHead(statusCode, {
    ...headers,
    ...dateHeader(request),
    "content-length": String(Buffer.byteLength(body)),
    "x-amzn-requestid": requestId,
  });
  response.end(body);
  return headers;
}

/** One awsQuery call, as an operation reads it. */
export interface QueryCall {
  /** The form-encoded body; `Action` names the operation. */
  readonly form: URLSearchParams;
  /** The region of the SigV4 credential scope, else the sandbox's. */
  readonly region: string;
  readonly requestId: string;
  /** Epoch ms, when the request arrived. */
  readonly receivedAt: number;
}

/** One operation: the call in, the XML inside its `<ActionResult>` out; throws {@link QueryProtocolError} to answer an error. */
export type QueryOperation = (call: QueryCall) => string;

/** What a service contributes to its awsQuery endpoint. */
export interface QueryEndpointSpec {
  readonly service: "sns" | "cloudformation";
  /** The namespace of every answer, e.g. `http://sns.amazonaws.com/doc/2010-03-31/`. */
  readonly xmlns: string;
  /** The operations answered, by `Action`; any other is an `InvalidAction` error. */
  readonly operations: Readonly<Record<string, QueryOperation>>;
  /** The message of the `InvalidAction` error, which each service words its own way. */
  readonly invalidActionMessage: (operation: string) => string;
  /** The code of the 500 answer to an unexpected error: SNS's `InternalError`, CloudFormation's `InternalFailure`. */
  readonly internalErrorCode: string;
  /** The input the API-model check reads. */
  readonly checkedInput: (call: QueryCall) => Record<string, unknown>;
  /** The input fields worth keeping in the call log. */
  readonly keyInput: (call: QueryCall) => Record<string, unknown>;
}

/** What an awsQuery endpoint shares with the sandbox. */
export interface QueryEndpointRuntime {
  readonly record: (call: AnsweredCall) => void;
  /** The region of a request that carries no SigV4 credential scope. */
  readonly defaultRegion: string;
  /** Checks every answer sent against the service's API model; none when absent. */
  readonly checkAnswer?: ((answer: WireAnswer) => void) | undefined;
}

/**
 * Creates (but does not start) an awsQuery endpoint: the form's `Action` picks the operation, whose result is
 * wrapped in `<ActionResponse>` with the request id; every answer is checked and recorded in the call log.
 */
export function createQueryEndpoint(spec: QueryEndpointSpec, runtime: QueryEndpointRuntime): http.Server {
  return http.createServer(async (request, response) => {
    const receivedAt = Date.now();
    const started = performance.now();
    const region = regionFromAuthorization(request.headers.authorization) ?? runtime.defaultRegion;
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const operation = form.get("Action") ?? "";
    const call: QueryCall = { form, region, requestId: randomUUID(), receivedAt };
    let statusCode = 200;
    let body: string;
    let outcome = "ok";
    let failure: string | undefined;
    try {
      const answer = Object.hasOwn(spec.operations, operation) ? spec.operations[operation] : undefined;
      if (!answer) throw new QueryProtocolError("InvalidAction", spec.invalidActionMessage(operation));
      body =
        `<${operation}Response xmlns="${spec.xmlns}"><${operation}Result>${answer(call)}</${operation}Result>` +
        `<ResponseMetadata><RequestId>${call.requestId}</RequestId></ResponseMetadata></${operation}Response>`;
    } catch (error) {
      const queryError =
        error instanceof QueryProtocolError
          ? error
          : new QueryProtocolError(spec.internalErrorCode, String(error), 500);
      statusCode = queryError.statusCode;
      outcome = queryError.code;
      failure = queryError.message;
      body = errorResponseXml(spec.xmlns, queryError, call.requestId);
    }
    const headers = sendXml(request, response, statusCode, body, call.requestId);
    runtime.checkAnswer?.({
      service: spec.service,
      operation,
      input: spec.checkedInput(call),
      statusCode,
      headers,
      body,
    });
    runtime.record({
      service: spec.service,
      operation,
      region,
      ...signerOf(request),
      input: spec.keyInput(call),
      outcome,
      ...(failure !== undefined && { message: failure }),
      statusCode,
      addedLatencyMs: 0,
      receivedAt,
      durationMs: performance.now() - started,
    });
  });
}
