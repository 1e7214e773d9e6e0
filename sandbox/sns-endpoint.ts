/**
 * SNS, as far as the stopper uses it: Publish to the sandbox's topics (the stack's, and any a test creates for a
 * model's notify tag), over the awsQuery protocol that `@aws-sdk/client-sns` speaks (form-encoded POST, XML
 * answers), each in its own region. Published messages are kept for tests.
 */

import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { WireAnswer } from "./api-model-check.ts";
import type { AnsweredCall } from "./call-log.ts";
import { createQueryEndpoint, type QueryCall, QueryProtocolError } from "./query-protocol.ts";

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
  const publish = ({ form, region, receivedAt }: QueryCall): string => {
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
    return `<MessageId>${randomUUID()}</MessageId>`;
  };
  return createQueryEndpoint(
    {
      service: "sns",
      xmlns: XMLNS,
      operations: { Publish: publish },
      invalidActionMessage: (operation) => `The action ${operation} is not valid`,
      internalErrorCode: "InternalError",
      checkedInput: ({ form }) => topLevelFields(form),
      keyInput: ({ form }) => ({ TopicArn: form.get("TopicArn") }),
    },
    { record, defaultRegion, checkAnswer },
  );
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
