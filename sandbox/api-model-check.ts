/**
 * Checks one answer of the sandbox against the service's published model (see api-models.ts), as the protocol puts
 * it on the wire: AWS JSON 1.1 (Rekognition), AWS JSON 1.0 with awsQuery compatibility (CloudWatch), Smithy RPC v2
 * CBOR with awsQuery compatibility (CloudWatch too) and the awsQuery protocol with XML answers (SNS). Each mismatch names the operation and the field path, e.g.
 * `DescribeProjectVersions: ProjectVersionDescriptions[3].Status: "RUNNIN" is not one of TRAINING_IN_PROGRESS, …`.
 */

import { XMLParser } from "fast-xml-parser";
import {
  apiModel,
  type ErrorShape,
  type ModelledService,
  type Operation,
  type ServiceModel,
  type Shape,
  type ShapeType,
} from "./api-models.ts";
import { CBOR_CONTENT_TYPE, isCborTag, RPC_V2_CBOR, readCbor } from "./rpc-v2-cbor.ts";

/** What one answer of the sandbox was, and what it answered. */
export interface WireAnswer {
  readonly service: ModelledService;
  /** The operation asked for, or what the endpoint logged when it could not tell (e.g. `GET /`). */
  readonly operation: string;
  /** The request's input as the protocol parsed it (JSON, or the awsQuery form's top-level fields). */
  readonly input?: Readonly<Record<string, unknown>>;
  readonly statusCode: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Text (JSON, XML), or the bytes of a CBOR answer. */
  readonly body: string | Uint8Array;
  /** Set for a Smithy RPC v2 CBOR answer; absent for the service's usual protocol. */
  readonly protocol?: typeof RPC_V2_CBOR;
  /** Fields a wire quirk changed on purpose (quirks.ts), with the quirk's name. */
  readonly deliberate?: readonly DeliberateChange[];
}

/** A field of an answer that a wire quirk changed on purpose. */
export interface DeliberateChange {
  /** The field path, e.g. `ProjectVersionDescriptions[2].Status`; a change covers the fields below it too. */
  readonly path: string;
  /** The quirk, e.g. `rekognition.describe`. */
  readonly reason: string;
}

/** One way an answer differs from the model. */
export interface ModelMismatch {
  readonly service: ModelledService;
  readonly operation: string;
  /** The field path, e.g. `ProjectVersionDescriptions[3].Status`, `input.MaxResults`, or `` for the answer. */
  readonly path: string;
  readonly message: string;
  /** The quirk that made it on purpose; absent for a real mismatch. */
  readonly deliberate?: string;
}

/** `Operation: path: message`, the way a failure names a mismatch. */
export function describeMismatch(mismatch: ModelMismatch): string {
  const where = mismatch.path === "" ? "" : `${mismatch.path}: `;
  const why = mismatch.deliberate ? ` (on purpose: quirk ${mismatch.deliberate})` : "";
  return `${mismatch.operation}: ${where}${mismatch.message}${why}`;
}

/** An error AWS documents for every API, with its HTTP status and where that is written. */
export interface CommonError {
  readonly code: string;
  readonly statusCode: number;
  /** Which protocols answer it: the JSON ones (`__type`), the query ones (`<Code>`), or both. */
  readonly protocols: "json" | "query" | "any";
  readonly source: string;
}

const COMMON_ERRORS_PAGE =
  'the "Common Errors" page of each API reference (e.g. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html, https://docs.aws.amazon.com/rekognition/latest/APIReference/CommonErrors.html, https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html)';

/**
 * Errors an operation may answer without declaring them. The first eleven are the list AWS gives for all its APIs;
 * the others are the protocols' own, each with where it is seen. An error an operation declares keeps the status
 * its model gives it (Rekognition's ThrottlingException is a 500 fault, not the common 400).
 */
export const COMMON_ERRORS: readonly CommonError[] = [
  { code: "AccessDeniedException", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "IncompleteSignature", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "InternalFailure", statusCode: 500, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "InvalidAction", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "InvalidClientTokenId", statusCode: 403, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "NotAuthorized", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "OptInRequired", statusCode: 403, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "RequestExpired", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "ServiceUnavailable", statusCode: 503, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "ThrottlingException", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  { code: "ValidationError", statusCode: 400, protocols: "any", source: COMMON_ERRORS_PAGE },
  {
    code: "Throttling",
    statusCode: 400,
    protocols: "any",
    source:
      "the throttling code of the query protocols (CloudWatch's `Throttling: Rate exceeded`, also under awsQuery compatibility); the SDKs' retry classification lists it (@smithy/core THROTTLING_ERROR_CODES, botocore _retry.json)",
  },
  {
    code: "ValidationException",
    statusCode: 400,
    protocols: "json",
    source:
      "the constraint check of the AWS JSON services (`1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint…`), e.g. Rekognition's MaxResults above 100",
  },
  {
    code: "SerializationException",
    statusCode: 400,
    protocols: "json",
    source:
      "the AWS JSON services' answer to a body that does not parse as the input shape (listed among the common exceptions of AWS JSON APIs such as Storage Gateway's)",
  },
  {
    code: "UnknownOperationException",
    statusCode: 400,
    protocols: "json",
    source:
      "the AWS JSON services' answer to an X-Amz-Target they do not know (e.g. CloudWatch Logs, HTTP 400: aws/aws-sdk-net#1536)",
  },
  {
    code: "AccessDenied",
    statusCode: 403,
    protocols: "query",
    source:
      "the query protocols' denial, e.g. STS AssumeRole of a role that is missing or does not trust the caller (`An error occurred (AccessDenied) when calling the AssumeRole operation: User: … is not authorized to perform: sts:AssumeRole on resource: …`); botocore's STS model declares no such error",
  },
  {
    code: "UnrecognizedClientException",
    statusCode: 400,
    protocols: "json",
    source:
      "the AWS JSON services' answer to a security token they do not accept (`The security token included in the request is invalid.`), e.g. a session's token in a region its account has not enabled; botocore's _retry.json and the SDKs' credential-error handling list it",
  },
];

const COMMON_BY_CODE = new Map(COMMON_ERRORS.map((error) => [error.code, error]));

/** The content type of each protocol's answers. */
const JSON_CONTENT_TYPE: Readonly<
  Record<"rekognition" | "cloudwatch" | "organizations" | "states" | "eventbridge", string>
> = {
  rekognition: "application/x-amz-json-1.1",
  cloudwatch: "application/x-amz-json-1.0",
  organizations: "application/x-amz-json-1.1",
  states: "application/x-amz-json-1.0",
  eventbridge: "application/x-amz-json-1.1",
};

/** A mismatch found while walking a value: where, and what. */
interface Found {
  readonly path: string;
  readonly message: string;
}

/** How a value is written: JSON types, the text of XML elements, or CBOR items (tag-1 timestamps, byte strings). */
type Encoding = "json" | "xml" | "cbor";

const MAX_LISTED_ENUM_VALUES = 20;

const show = (value: unknown): string => {
  if (typeof value === "bigint") return String(value);
  if (value instanceof Uint8Array) return `a byte string of ${value.length} bytes`;
  if (isCborTag(value)) return `tag ${String(value.tag)}(${show(value.value)})`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

const join = (path: string, member: string) => (path === "" ? member : `${path}.${member}`);

/** Length in Unicode code points, as the models' length constraints count. */
const codePoints = (text: string) => (/[\uD800-\uDFFF]/.test(text) ? [...text].length : text.length);

function checkLength(path: string, shape: Shape, length: number, what: string, found: Found[]): void {
  if (shape.min !== undefined && length < shape.min)
    found.push({ path, message: `${what} ${length}, below the minimum ${shape.min} of ${shape.name}` });
  if (shape.max !== undefined && length > shape.max)
    found.push({ path, message: `${what} ${length}, above the maximum ${shape.max} of ${shape.name}` });
}

function checkString(path: string, shape: Shape, text: string, found: Found[]): void {
  if (shape.enum && !shape.enum.includes(text)) {
    const listed = shape.enum.slice(0, MAX_LISTED_ENUM_VALUES).join(", ");
    const more = shape.enum.length > MAX_LISTED_ENUM_VALUES ? ", …" : "";
    found.push({ path, message: `${show(text)} is not one of ${listed}${more} (${shape.name})` });
    return;
  }
  if (shape.min !== undefined || shape.max !== undefined)
    checkLength(path, shape, codePoints(text), `${show(text)} has length`, found);
  // Smithy patterns are not anchored: the value must contain a match.
  if (shape.pattern && !shape.pattern.test(text))
    found.push({
      path,
      message: `${show(text)} does not match ${shape.name}'s pattern ${shape.pattern.source}`,
    });
}

function checkNumber(path: string, shape: Shape, value: number, found: Found[]): void {
  if (shape.min !== undefined && value < shape.min)
    found.push({ path, message: `${value} is below the minimum ${shape.min} of ${shape.name}` });
  if (shape.max !== undefined && value > shape.max)
    found.push({ path, message: `${value} is above the maximum ${shape.max} of ${shape.name}` });
}

const NON_FINITE = new Set(["NaN", "Infinity", "-Infinity"]);
const XML_INTEGER = /^-?\d+$/;
const XML_NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
// ISO 8601 date-time, as the query protocols write timestamps.
const XML_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The JSON shapes whose values are plain numbers: a finite number (a whole one for integers) passes. */
const PLAIN_NUMBER_TYPES: ReadonlySet<ShapeType> = new Set([
  "double",
  "float",
  "timestamp",
  "integer",
  "long",
]);

/** Options of a walk: what counts as a mismatch besides types and constraints. */
interface WalkOptions {
  readonly encoding: Encoding;
  /** Flag members the shape does not declare (answers: yes; requests: AWS ignores them). */
  readonly undeclared: boolean;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "a byte string";
  if (isCborTag(value)) return "a CBOR tag";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Pushes "this value is not of the shape's type". */
function unexpected(value: unknown, shape: Shape, path: string, what: string, found: Found[]): void {
  found.push({ path, message: `${show(value)} is ${typeName(value)}, not ${what} (${shape.name})` });
}

/** Walks a value against a shape and pushes each mismatch. */
function walk(value: unknown, shape: Shape, path: string, options: WalkOptions, found: Found[]): void {
  if (value === null) {
    found.push({ path, message: `is null; AWS leaves out a member that has no value (${shape.name})` });
    return;
  }
  // No closures here: this runs for every value of every answer, and tsx wraps each closure it creates.
  const xml = options.encoding === "xml";
  const cbor = options.encoding === "cbor";
  switch (shape.type) {
    case "structure": {
      if (xml && value === "" && shape.members.size > 0 && shape.required.size === 0) return;
      if (typeof value !== "object" || Array.isArray(value) || (cbor && !isCborMap(value))) {
        unexpected(value, shape, path, "a structure", found);
        return;
      }
      const record = value as Record<string, unknown>;
      const byWireName = xml ? xmlMemberNames(shape) : undefined;
      for (const key of Object.keys(record)) {
        if (xml && key.startsWith("@_")) continue;
        const member = byWireName ? byWireName.get(key) : shape.members.has(key) ? key : undefined;
        const ref = member === undefined ? undefined : shape.members.get(member);
        if (!ref || member === undefined) {
          if (options.undeclared)
            found.push({
              path: join(path, key),
              message: `is not a member of ${shape.name} (its members: ${[...shape.members.keys()].join(", ") || "none"})`,
            });
          continue;
        }
        walk(record[key], ref.shape, join(path, member), options, found);
      }
      for (const required of shape.required) {
        const wireName = xml ? (shape.members.get(required)?.locationName ?? required) : required;
        if (record[wireName] === undefined)
          found.push({ path: join(path, required), message: `is required by ${shape.name} but missing` });
      }
      return;
    }
    case "list": {
      const items = xml ? xmlListItems(value, shape) : value;
      if (!Array.isArray(items)) {
        unexpected(value, shape, path, "a list", found);
        return;
      }
      checkLength(path, shape, items.length, "has length", found);
      const member = shape.member;
      if (!member) return;
      // A GetMetricData answer holds lists of 100,000 numbers: items that plainly pass are not walked one by one,
      // so no path is built for them; any other item is walked, and reported with its path.
      const plain =
        !xml &&
        PLAIN_NUMBER_TYPES.has(member.shape.type) &&
        member.shape.min === undefined &&
        member.shape.max === undefined;
      // In CBOR a timestamp is tag 1 over a number, never a bare number.
      const cborTimestamps = cbor && member.shape.type === "timestamp";
      for (let index = 0; index < items.length; index += 1) {
        const item = items[index];
        if (cborTimestamps) {
          if (isEpochTag(item)) continue;
        } else if (
          plain &&
          typeof item === "number" &&
          Number.isFinite(item) &&
          (member.shape.type === "double" ||
            member.shape.type === "float" ||
            member.shape.type === "timestamp" ||
            Number.isInteger(item))
        )
          continue;
        walk(item, member.shape, `${path}[${index}]`, options, found);
      }
      return;
    }
    case "map": {
      const entries = xml ? xmlMapEntries(value) : value;
      if (
        entries === undefined ||
        typeof entries !== "object" ||
        Array.isArray(entries) ||
        (cbor && !isCborMap(entries))
      ) {
        unexpected(value, shape, path, "a map", found);
        return;
      }
      const record = entries as Record<string, unknown>;
      const keys = Object.keys(record);
      checkLength(path, shape, keys.length, "has", found);
      for (const key of keys) {
        const at = `${path}[${JSON.stringify(key)}]`;
        if (shape.key) walk(key, shape.key.shape, `${at} (key)`, options, found);
        if (shape.value) walk(record[key], shape.value.shape, at, options, found);
      }
      return;
    }
    case "string":
      if (typeof value !== "string") {
        unexpected(value, shape, path, "a string", found);
        return;
      }
      checkString(path, shape, value, found);
      return;
    case "integer":
    case "long": {
      const number =
        xml && typeof value === "string" && XML_INTEGER.test(value)
          ? Number(value)
          : cbor && typeof value === "bigint"
            ? Number(value)
            : value;
      if (typeof number !== "number" || !Number.isInteger(number)) {
        unexpected(value, shape, path, "an integer", found);
        return;
      }
      checkNumber(path, shape, number, found);
      return;
    }
    case "double":
    case "float": {
      // JSON and XML write NaN and the infinities as text; CBOR as the floats themselves.
      if (
        cbor
          ? typeof value === "number" && !Number.isFinite(value)
          : typeof value === "string" && NON_FINITE.has(value)
      )
        return;
      const number = xml && typeof value === "string" && XML_NUMBER.test(value) ? Number(value) : value;
      if (typeof number !== "number" || !Number.isFinite(number)) {
        unexpected(value, shape, path, "a number", found);
        return;
      }
      checkNumber(path, shape, number, found);
      return;
    }
    case "boolean":
      if (xml ? value !== "true" && value !== "false" : typeof value !== "boolean")
        unexpected(value, shape, path, "a boolean", found);
      return;
    case "timestamp":
      // AWS JSON writes epoch seconds (a number); the query protocols an ISO 8601 date-time; RPC v2 CBOR tag 1
      // (epoch-based date/time) over a number of seconds.
      if (cbor) {
        if (!isEpochTag(value)) unexpected(value, shape, path, "tag 1 over epoch seconds", found);
      } else if (xml) {
        if (typeof value !== "string" || !XML_TIMESTAMP.test(value))
          unexpected(value, shape, path, "an ISO 8601 date-time", found);
      } else if (typeof value !== "number" || !Number.isFinite(value)) {
        unexpected(value, shape, path, "a timestamp in epoch seconds", found);
      }
      return;
    case "blob":
      if (cbor) {
        if (!(value instanceof Uint8Array)) unexpected(value, shape, path, "a byte string", found);
      } else if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
        unexpected(value, shape, path, "base64 text", found);
      return;
  }
}

/** A decoded CBOR map: an object that is neither a byte string nor a tag. */
const isCborMap = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !(value instanceof Uint8Array) && !isCborTag(value);

/** A CBOR timestamp as the protocol writes it: tag 1 over a finite number of seconds. */
function isEpochTag(value: unknown): boolean {
  return (
    isCborTag(value) &&
    Number(value.tag) === 1 &&
    ((typeof value.value === "number" && Number.isFinite(value.value)) || typeof value.value === "bigint")
  );
}

const xmlNames = new WeakMap<Shape, Map<string, string>>();

/** A structure's members by their XML element name. */
function xmlMemberNames(shape: Shape): Map<string, string> {
  let names = xmlNames.get(shape);
  if (!names) {
    names = new Map([...shape.members].map(([name, ref]) => [ref.locationName ?? name, name]));
    xmlNames.set(shape, names);
  }
  return names;
}

/** The items of an XML list: `<member>` elements (one item parses as a single value). */
function xmlListItems(value: unknown, shape: Shape): unknown {
  if (value === "") return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const name = shape.member?.locationName ?? "member";
  const items = (value as Record<string, unknown>)[name];
  if (items === undefined) return value;
  return Array.isArray(items) ? items : [items];
}

/** The entries of an XML map (`<entry><key/><value/></entry>`) as a record. */
function xmlMapEntries(value: unknown): unknown {
  if (value === "") return {};
  if (typeof value !== "object" || value === null) return value;
  const entries = (value as Record<string, unknown>).entry;
  if (entries === undefined) return value;
  const record: Record<string, unknown> = {};
  for (const entry of Array.isArray(entries) ? entries : [entries]) {
    const { key, value: entryValue } = (entry ?? {}) as { key?: unknown; value?: unknown };
    record[String(key)] = entryValue;
  }
  return record;
}

/** The code on the wire of a JSON error: `__type` without its namespace (`…#`) or suffix (`:…`). */
function jsonErrorCode(type: string): string {
  const hash = type.indexOf("#");
  const name = hash >= 0 ? type.slice(hash + 1) : type;
  const colon = name.indexOf(":");
  return colon >= 0 ? name.slice(0, colon) : name;
}

interface ErrorSeen {
  readonly code: string;
  readonly fault?: string;
  /** The error's shape as the body names it (awsQuery-compatible JSON's `__type`). */
  readonly shapeName?: string;
}

/** Checks an error's code, HTTP status and fault against what the operation declares or every API may answer. */
function checkError(
  model: ServiceModel,
  operation: Operation | undefined,
  seen: ErrorSeen,
  statusCode: number,
  protocol: "json" | "query",
  found: Found[],
): void {
  const declared: ErrorShape | undefined = operation?.errors.get(seen.code);
  const common = COMMON_BY_CODE.get(seen.code);
  const usable = common && (common.protocols === "any" || common.protocols === protocol) ? common : undefined;
  if (!declared && !usable) {
    const declares = operation
      ? [...operation.errors.keys()].join(", ") || "none"
      : "nothing (no such operation)";
    found.push({
      path: "",
      message: `error ${seen.code} is neither one the operation declares (${declares}) nor one every AWS API may answer (${COMMON_ERRORS.filter(
        (e) => e.protocols === "any" || e.protocols === protocol,
      )
        .map((e) => e.code)
        .join(", ")})`,
    });
    return;
  }
  const expectedStatus = declared?.statusCode ?? (usable as CommonError).statusCode;
  if (statusCode !== expectedStatus)
    found.push({
      path: "",
      message: `HTTP ${statusCode} for ${seen.code}; the ${declared ? `${model.service} model gives` : "common errors give"} ${expectedStatus}`,
    });
  const expectedFault = declared?.fault ?? (expectedStatus >= 500 ? "Receiver" : "Sender");
  if (seen.fault !== undefined && seen.fault !== expectedFault)
    found.push({
      path: "",
      message: `${seen.code} is marked ${seen.fault}; the model says ${expectedFault}`,
    });
  if (declared && seen.shapeName !== undefined && seen.shapeName !== declared.name)
    found.push({
      path: "__type",
      message: `names shape ${seen.shapeName}; the model's shape for ${seen.code} is ${declared.name}`,
    });
}

// ---- AWS JSON (Rekognition 1.1, CloudWatch 1.0 with awsQuery compatibility) and Smithy RPC v2 CBOR (CloudWatch)

/** The botocore name of the RPC v2 CBOR protocol in a model's `protocols`. */
const CBOR_PROTOCOL_NAME = "smithy-rpc-v2-cbor";

/**
 * The RPC v2 CBOR rules of an answer's headers: `smithy-protocol: rpc-v2-cbor` on every answer, and no
 * `X-Amzn-ErrorType` (the error's type is in the body only). https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
 */
function checkCborHeaders(model: ServiceModel, answer: WireAnswer, found: Found[]): void {
  if (!model.protocols.includes(CBOR_PROTOCOL_NAME))
    found.push({
      path: "",
      message: `answered in RPC v2 CBOR, which the ${model.service} model does not list (${model.protocols.join(", ")})`,
    });
  if (answer.headers["smithy-protocol"] !== RPC_V2_CBOR)
    found.push({
      path: "",
      message: `smithy-protocol is ${show(answer.headers["smithy-protocol"])}, not ${RPC_V2_CBOR}`,
    });
  if (answer.headers["x-amzn-errortype"] !== undefined)
    found.push({
      path: "",
      message: "x-amzn-errortype is set; RPC v2 CBOR names the error in the body only",
    });
}

function checkJsonAnswer(model: ServiceModel, answer: WireAnswer, found: Found[]): void {
  const cbor = answer.protocol === RPC_V2_CBOR;
  const encoding: Encoding = cbor ? "cbor" : "json";
  const wire = cbor ? "RPC v2 CBOR" : "AWS JSON";
  const service = answer.service as keyof typeof JSON_CONTENT_TYPE;
  const operation = model.operations.get(answer.operation);
  if (cbor) checkCborHeaders(model, answer, found);
  const contentType = answer.headers["content-type"];
  const expectedType = cbor ? CBOR_CONTENT_TYPE : JSON_CONTENT_TYPE[service];
  const empty = answer.body.length === 0;
  // RPC v2 CBOR: an operation without output answers no body, and so no Content-Type.
  const bodiless = cbor && answer.statusCode === 200 && operation !== undefined && !operation.output;
  if (bodiless) {
    if (!empty || contentType !== undefined)
      found.push({
        path: "",
        message: `the operation has no output: RPC v2 CBOR answers no body and no Content-Type, not ${answer.body.length} bytes of ${show(contentType)}`,
      });
  } else if (contentType !== expectedType)
    found.push({ path: "", message: `Content-Type ${show(contentType)}, not ${expectedType}` });
  let body: unknown;
  try {
    if (empty) body = {};
    else if (cbor) body = readCbor(typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body);
    else
      body = JSON.parse(typeof answer.body === "string" ? answer.body : Buffer.from(answer.body).toString());
  } catch {
    found.push({ path: "", message: `the body is not ${cbor ? "CBOR" : "JSON"}: ${show(answer.body)}` });
    return;
  }
  if (answer.statusCode === 200) {
    if (!operation) {
      found.push({ path: "", message: "answered 200 to an operation the model does not have" });
      return;
    }
    if (operation.output) walk(body, operation.output, "", { encoding, undeclared: true }, found);
    else if (typeof body !== "object" || body === null || Object.keys(body).length > 0)
      found.push({ path: "", message: `the operation has no output, yet the body is ${show(body)}` });
    // The accepted input is the AWS JSON document the operations read, whichever protocol carried it.
    if (answer.input && operation.input) checkAcceptedInput(answer.input, operation.input, "json", found);
    return;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body) || (cbor && !isCborMap(body))) {
    found.push({
      path: "",
      message: `an error body must be a ${cbor ? "CBOR map" : "JSON object"}, not ${show(body)}`,
    });
    return;
  }
  const record = body as Record<string, unknown>;
  const type = record.__type;
  if (typeof type !== "string") {
    found.push({ path: "__type", message: `is missing: an ${wire} error names itself in __type` });
    return;
  }
  // RPC v2 CBOR: "This value of this component MUST contain the error's absolute shape ID".
  if (cbor && !type.includes("#"))
    found.push({ path: "__type", message: `${show(type)} is not an absolute shape id (namespace#Name)` });
  for (const key of Object.keys(record))
    if (key !== "__type" && key !== "message" && key !== "Message")
      found.push({ path: key, message: `is not a member of an ${wire} error (__type, message)` });
  if (model.awsQueryCompatible) {
    // awsQuery compatibility (AWS JSON 1.0 and, since Smithy 1.57, RPC v2 CBOR): the SDK reads the code and the
    // fault from this header before __type.
    const header = answer.headers["x-amzn-query-error"];
    const [code, fault] = (header ?? "").split(";");
    if (!header || !code || (fault !== "Sender" && fault !== "Receiver")) {
      found.push({ path: "", message: `x-amzn-query-error is ${show(header)}, not "Code;Sender|Receiver"` });
      return;
    }
    const shapeName = jsonErrorCode(type);
    checkError(model, operation, { code, fault, shapeName }, answer.statusCode, "json", found);
    return;
  }
  const code = jsonErrorCode(type);
  const header = answer.headers["x-amzn-errortype"];
  if (header !== undefined && jsonErrorCode(header) !== code)
    found.push({ path: "", message: `x-amzn-errortype ${show(header)} and __type ${show(type)} disagree` });
  checkError(model, operation, { code }, answer.statusCode, "json", found);
}

/** An input the sandbox accepted must be one AWS accepts too. */
function checkAcceptedInput(
  input: Readonly<Record<string, unknown>>,
  shape: Shape,
  encoding: Encoding,
  found: Found[],
): void {
  const broken: Found[] = [];
  walk(input, shape, "", { encoding, undeclared: false }, broken);
  for (const problem of broken)
    found.push({
      path: join("input", problem.path),
      message: `${problem.message}: AWS refuses this request, the sandbox answered it`,
    });
}

// ---- awsQuery with XML answers (SNS, CloudFormation)

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  trimValues: true,
  // Values stay text, as the protocol writes them.
  parseAttributeValue: false,
});

function checkQueryAnswer(model: ServiceModel, answer: WireAnswer, found: Found[]): void {
  const operation = model.operations.get(answer.operation);
  const contentType = answer.headers["content-type"] ?? "";
  if (!/^(text|application)\/xml\b/.test(contentType))
    found.push({ path: "", message: `Content-Type ${show(contentType)}, not text/xml` });
  let document: Record<string, unknown>;
  try {
    document = xmlParser.parse(
      typeof answer.body === "string" ? answer.body : Buffer.from(answer.body).toString(),
      true,
    ) as Record<string, unknown>;
  } catch (error) {
    found.push({ path: "", message: `the body is not XML: ${(error as Error).message}` });
    return;
  }
  const roots = Object.keys(document).filter((key) => !key.startsWith("?"));
  const element = (parent: unknown, name: string): unknown =>
    typeof parent === "object" && parent !== null ? (parent as Record<string, unknown>)[name] : undefined;
  if (answer.statusCode === 200) {
    if (!operation) {
      found.push({ path: "", message: "answered 200 to an operation the model does not have" });
      return;
    }
    const rootName = `${operation.name}Response`;
    if (roots.length !== 1 || roots[0] !== rootName) {
      found.push({
        path: "",
        message: `the root element is ${roots.join(", ") || "missing"}, not ${rootName}`,
      });
      return;
    }
    const root = document[rootName];
    const namespace = element(root, "@_xmlns");
    if (model.xmlNamespace && namespace !== model.xmlNamespace)
      found.push({ path: "", message: `xmlns is ${show(namespace)}, not ${model.xmlNamespace}` });
    if (typeof element(element(root, "ResponseMetadata"), "RequestId") !== "string")
      found.push({ path: "ResponseMetadata.RequestId", message: "is missing" });
    for (const key of Object.keys(root as object))
      if (key !== "@_xmlns" && key !== "ResponseMetadata" && key !== operation.resultWrapper)
        found.push({ path: key, message: `is not an element of ${rootName}` });
    if (operation.output) {
      const wrapper = operation.resultWrapper ?? "";
      const result = element(root, wrapper);
      if (result === undefined) found.push({ path: wrapper, message: "is missing" });
      else walk(result, operation.output, "", { encoding: "xml", undeclared: true }, found);
    }
    if (answer.input && operation.input) checkAcceptedInput(answer.input, operation.input, "xml", found);
    return;
  }
  if (roots.length !== 1 || roots[0] !== "ErrorResponse") {
    found.push({
      path: "",
      message: `the root element of an error is ${roots.join(", ") || "missing"}, not ErrorResponse`,
    });
    return;
  }
  const root = document.ErrorResponse;
  const error = element(root, "Error");
  const code = element(error, "Code");
  const fault = element(error, "Type");
  if (typeof element(root, "RequestId") !== "string")
    found.push({ path: "RequestId", message: "is missing" });
  if (typeof code !== "string" || code === "") {
    found.push({ path: "Error.Code", message: "is missing" });
    return;
  }
  if (fault !== "Sender" && fault !== "Receiver")
    found.push({ path: "Error.Type", message: `is ${show(fault)}, not Sender or Receiver` });
  checkError(
    model,
    operation,
    { code, ...(typeof fault === "string" && { fault }) },
    answer.statusCode,
    "query",
    found,
  );
}

/** Every way an answer differs from the model; quirk-made ones carry the quirk's name. */
export function checkAnswer(answer: WireAnswer): ModelMismatch[] {
  const model = apiModel(answer.service);
  const found: Found[] = [];
  if (answer.service === "sns" || answer.service === "cloudformation" || answer.service === "sts")
    checkQueryAnswer(model, answer, found);
  else checkJsonAnswer(model, answer, found);
  return found.map((problem) => {
    const change = answer.deliberate?.find((candidate) => covers(candidate.path, problem.path));
    return {
      service: answer.service,
      operation: answer.operation,
      path: problem.path,
      message: problem.message,
      ...(change && { deliberate: change.reason }),
    };
  });
}

/** Whether a change at `changed` accounts for a mismatch at `path` (the same field or one below it). */
function covers(changed: string, path: string): boolean {
  if (!path.startsWith(changed)) return false;
  const next = path.charAt(changed.length);
  return next === "" || next === "." || next === "[" || next === " ";
}
