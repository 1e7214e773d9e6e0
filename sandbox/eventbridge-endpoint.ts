/**
 * EventBridge, as far as the stopper uses it: PutEvents on the default event bus of each region, over AWS JSON 1.1
 * (`X-Amz-Target: AWSEvents.PutEvents`), answering each entry on its own as EventBridge does (an entry it refuses
 * is counted in `FailedEntryCount` and named by its `ErrorCode`; the call itself succeeds). Every event put is kept,
 * so tests can read what a rule on the bus would have seen.
 */

import { randomUUID } from "node:crypto";
import type http from "node:http";
import { AwsServiceError } from "./aws-error.ts";
import { awsJson11ErrorResponse, createJsonEndpoint, type EndpointRuntime } from "./http-endpoint.ts";

const CONTENT_TYPE = "application/x-amz-json-1.1";

/** One event EventBridge accepted, as a rule on its bus would see it. */
export interface PutEvent {
  readonly eventId: string;
  readonly region: string;
  /** The bus's ARN: `arn:aws:events:<region>:<account>:event-bus/default`. */
  readonly eventBusArn: string;
  readonly source: string;
  readonly detailType: string;
  readonly resources: readonly string[];
  /** The detail, parsed: EventBridge accepts only a JSON object. */
  readonly detail: Readonly<Record<string, unknown>>;
  /** The event's time, epoch ms: the entry's `Time`, or when it was put. */
  readonly time: number;
}

/** An entry refused; the rest of the call goes through. */
interface EntryError {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

// EventBridge takes an event of at most 256 KB (the entry's fields together), and a detail that is a JSON object.
const MAX_ENTRY_BYTES = 256 * 1024;

/** Creates (but does not start) the endpoint; `events` receives every accepted event, `account` owns the buses. */
export function createEventBridgeEndpoint(
  events: PutEvent[],
  account: string,
  runtime: EndpointRuntime,
  clock: () => number,
): http.Server {
  return createJsonEndpoint(
    {
      service: "eventbridge",
      targetPrefix: "AWSEvents",
      contentType: CONTENT_TYPE,
      operations: {
        PutEvents: (input, context) => putEvents(events, account, context.region, input, clock()),
      },
      errorResponse: awsJson11ErrorResponse,
      injectedError: (kind, code) =>
        kind === "throttle"
          ? new AwsServiceError(code, "Rate exceeded (injected by the sandbox)", 400)
          : new AwsServiceError(code, "Internal error (injected by the sandbox)", 500),
      keyInput,
      // A call is known by the resources its entries name, in any order: stops finish, and so are announced, in an
      // order that changes from run to run.
      callKey: (_operation, input) =>
        JSON.stringify(
          entriesOf(input)
            .flatMap((entry) => (Array.isArray(entry.Resources) ? entry.Resources : []))
            .map(String)
            .sort(),
        ),
      validationError: (message) => new AwsServiceError("ValidationException", message),
    },
    runtime,
  );
}

const entriesOf = (input: Record<string, unknown>): Record<string, unknown>[] =>
  Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];

/** The bus every entry names (`default` when none does), for the call log's IAM facts; absent when they differ. */
function keyInput(_operation: string, input: Record<string, unknown>): Record<string, unknown> {
  const entries = entriesOf(input);
  const buses = new Set(entries.map((entry) => busNameOf(entry.EventBusName)));
  return {
    entryCount: entries.length,
    ...(buses.size === 1 && { EventBusName: [...buses][0] }),
    DetailTypes: entries.map((entry) => entry.DetailType),
  };
}

/** `default` for no bus; a bus ARN as given; a name as given. */
const busNameOf = (value: unknown): string => (typeof value === "string" && value !== "" ? value : "default");

function putEvents(
  events: PutEvent[],
  account: string,
  region: string,
  input: Record<string, unknown>,
  now: number,
): unknown {
  const entries = entriesOf(input);
  const defaultBusArn = `arn:aws:events:${region}:${account}:event-bus/default`;
  const answers = entries.map((entry): { EventId: string } | EntryError => {
    const refused = entryProblem(entry, defaultBusArn);
    if (refused) return refused;
    const eventId = randomUUID();
    const time = entry.Time === undefined ? now : Number(entry.Time) * 1000;
    events.push({
      eventId,
      region,
      eventBusArn: defaultBusArn,
      source: entry.Source as string,
      detailType: entry.DetailType as string,
      resources: [...((entry.Resources as string[] | undefined) ?? [])],
      detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
      time,
    });
    return { EventId: eventId };
  });
  return {
    FailedEntryCount: answers.filter((answer) => "ErrorCode" in answer).length,
    Entries: answers,
  };
}

/** Why EventBridge would refuse an entry, in its words; undefined when it takes it. */
function entryProblem(entry: Record<string, unknown>, defaultBusArn: string): EntryError | undefined {
  const invalid = (parameter: string, reason: string): EntryError => ({
    ErrorCode: "InvalidArgument",
    ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
  });
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    const value = entry[field];
    if (typeof value !== "string" || value === "") return invalid(field, `${field} is a required argument.`);
  }
  const bus = busNameOf(entry.EventBusName);
  if (bus !== "default" && bus !== defaultBusArn)
    return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${bus} does not exist.` };
  // Only AWS services may put events with an `aws.` source.
  if ((entry.Source as string).startsWith("aws."))
    return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." };
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== "object" || detail === null || Array.isArray(detail))
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  const resources = (entry.Resources as unknown[] | undefined) ?? [];
  for (const [index, resource] of resources.entries())
    if (typeof resource !== "string" || !/^arn:[^:]+:[^:]*:[^:]*:[^:]*:.+$/.test(resource))
      return invalid(`Resources(${index})`, "Provided Arn is not in correct format.");
  const size = [entry.Source, entry.DetailType, entry.Detail, ...resources].reduce(
    (sum: number, field) => sum + Buffer.byteLength(String(field), "utf8"),
    0,
  );
  if (size > MAX_ENTRY_BYTES)
    return invalid("Entries", `the entry is ${size} bytes; an event may be at most ${MAX_ENTRY_BYTES}.`);
  return undefined;
}
