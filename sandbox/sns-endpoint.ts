/**
 * SNS, as far as the stopper uses it: Publish to the sandbox's topics (the stack's, and any a test creates for a
 * model's notify tag), over the awsQuery protocol that `@aws-sdk/client-sns` speaks (form-encoded POST, XML
 * answers), each in its own region. Published messages are kept for tests.
 */

import { randomUUID } from "node:crypto";
import http from "node:http";
import type { WireAnswer } from "./api-model-check.ts";
import type { AnsweredCall } from "./call-log.ts";
import { readBody, regionFromAuthorization, signerOf } from "./http-endpoint.ts";
import { errorResponseXml, QueryProtocolError, sendXml } from "./query-protocol.ts";

/** A message published to the sandbox. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly receivedAt: number;
}

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** Publish takes messages of at most 256 KiB: "262,144 bytes, not 262,144 characters" (SNS API reference). */
export const MAX_MESSAGE_BYTES = 262_144;

/** SNS's errors are the protocol's. */
const SnsError = QueryProtocolError;

/**
 * Creates (but does not start) the SNS endpoint. `topicArns` are the topics that exist; `checkAnswer`, when given,
 * checks every answer against SNS's API model.
 */
export function createSnsEndpoint(
  topicArns: ReadonlySet<string>,
  messages: PublishedMessage[],
  record: (call: AnsweredCall) => void,
  defaultRegion: string,
  checkAnswer?: (answer: WireAnswer) => void,
): http.Server {
  return http.createServer(async (request, response) => {
    const receivedAt = Date.now();
    const started = performance.now();
    const region = regionFromAuthorization(request.headers.authorization) ?? defaultRegion;
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const operation = form.get("Action") ?? "";
    const requestId = randomUUID();
    let statusCode = 200;
    let body: string;
    let outcome = "ok";
    let failure: string | undefined;
    try {
      if (operation !== "Publish")
        throw new SnsError("InvalidAction", `The action ${operation} is not valid`);
      const topicArn = form.get("TopicArn") ?? "";
      const message = form.get("Message");
      const subject = form.get("Subject") ?? undefined;
      // SNS takes a topic's messages only in the topic's own region; elsewhere the ARN reads as invalid
      // (boto/boto3#646: "Invalid parameter: TopicArn" for a topic of another region).
      if (topicArns.has(topicArn) && topicArn.split(":")[3] !== region)
        throw new SnsError("InvalidParameter", "Invalid parameter: TopicArn");
      if (!topicArns.has(topicArn)) throw new SnsError("NotFound", "Topic does not exist", 404);
      if (message === null || message === "")
        throw new SnsError("InvalidParameter", "Invalid parameter: Empty message");
      if (Buffer.byteLength(message, "utf8") > MAX_MESSAGE_BYTES)
        throw new SnsError("InvalidParameter", "Invalid parameter: Message too long");
      // SNS: the subject is ASCII text, no line breaks, under 100 characters.
      if (subject !== undefined && (subject.length >= 100 || !/^[\x20-\x7e]*$/.test(subject))) {
        throw new SnsError("InvalidParameter", "Invalid parameter: Subject");
      }
      messages.push({ topicArn, ...(subject !== undefined && { subject }), message, receivedAt });
      body =
        `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`;
    } catch (error) {
      const snsError = error instanceof SnsError ? error : new SnsError("InternalError", String(error), 500);
      statusCode = snsError.statusCode;
      outcome = snsError.code;
      failure = snsError.message;
      body = errorResponseXml(XMLNS, snsError, requestId);
    }
    const headers = sendXml(request, response, statusCode, body, requestId);
    checkAnswer?.({ service: "sns", operation, input: topLevelFields(form), statusCode, headers, body });
    record({
      service: "sns",
      operation,
      region,
      ...signerOf(request),
      input: { TopicArn: form.get("TopicArn") },
      outcome,
      ...(failure !== undefined && { message: failure }),
      statusCode,
      addedLatencyMs: 0,
      receivedAt,
      durationMs: performance.now() - started,
    });
  });
}

/**
 * The form's top-level input members (`TopicArn`, `Message`…), for the model check; nested ones
 * (`MessageAttributes.entry.1.Name`) and the protocol's own (`Action`, `Version`) are left out.
 */
function topLevelFields(form: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of form)
    if (!key.includes(".") && key !== "Action" && key !== "Version") fields[key] = value;
  return fields;
}
