/**
 * The awsQuery protocol's answers, as SNS and CloudFormation write them: XML in the service's namespace, an
 * `ErrorResponse` with the code and the Sender or Receiver fault, and the request id in a header and in the body.
 */

import type http from "node:http";
import { dateHeader } from "./http-endpoint.ts";

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
