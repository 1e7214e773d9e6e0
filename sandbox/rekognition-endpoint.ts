/**
 * The Rekognition endpoint: the Custom Labels project and model operations over AWS JSON 1.1, answering the
 * errors and wire shapes of the service model (botocore `rekognition/2016-06-27/service-2.json`).
 */

import type http from "node:http";
import { AwsServiceError } from "./aws-error.ts";
import {
  awsJson11ErrorResponse,
  createJsonEndpoint,
  type EndpointRuntime,
  type OperationHandler,
  type RequestContext,
} from "./http-endpoint.ts";
import { decodePageToken, encodePageToken, fingerprintOf } from "./paging.ts";
import { type ListingOperation, overrideFields, type RekognitionQuirks } from "./quirks.ts";
import {
  type ModelRecord,
  type ModelStatus,
  PROJECT_FEATURES,
  type ProjectRecord,
  type RekognitionState,
  regionOfArn,
} from "./rekognition-state.ts";

const CONTENT_TYPE = "application/x-amz-json-1.1";

/** Page size when MaxResults is not given, and the largest one accepted. */
const MAX_PAGE_SIZE = 100;

const PROJECT_ARN_PATTERN =
  /^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/[a-zA-Z0-9_.-]{1,255}\/[0-9]+$/;
const MODEL_ARN_PATTERN =
  /^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project\/[a-zA-Z0-9_.-]{1,255}\/version\/[a-zA-Z0-9_.-]{1,255}\/[0-9]+$/;

const STATUS_MESSAGES: Partial<Record<ModelStatus, string>> = {
  TRAINING_COMPLETED: "The model is ready to run.",
  STARTING: "The model is starting.",
  RUNNING: "The model is running.",
  STOPPING: "The model is stopping.",
  STOPPED: "The model is ready to run.",
  FAILED: "The model failed to start.",
};

// Models AWS lets you start; a model in any other state answers ResourceInUse or InvalidParameter.
const STARTABLE: ReadonlySet<ModelStatus> = new Set(["TRAINING_COMPLETED", "STOPPED", "FAILED"]);
const CHANGING: ReadonlySet<ModelStatus> = new Set(["STARTING", "RUNNING", "STOPPING"]);

// Coral, the framework behind AWS JSON services, words constraint failures this way.
const validationError = (detail: string) =>
  new AwsServiceError("ValidationException", `1 validation error detected: ${detail}`);

const notFound = (arn: string) =>
  new AwsServiceError("ResourceNotFoundException", `The resource ${arn} cannot be found.`);

/** Epoch seconds, as the JSON protocols put timestamps on the wire. */
const toEpochSeconds = (millis: number) => millis / 1000;

/**
 * Creates the Rekognition endpoint's server over a state, or over one state per account (the account a request's
 * credentials belong to, see `EndpointRuntime.accountOf`); `quirks` is read on every call.
 */
export function createRekognitionEndpoint(
  states: RekognitionState | ((account: string) => RekognitionState),
  runtime: EndpointRuntime,
  quirks: () => RekognitionQuirks = () => ({}),
): http.Server {
  const of = (context: RequestContext) => (typeof states === "function" ? states(context.account) : states);
  const operations: Record<string, OperationHandler> = {
    DescribeProjects: (input, context) => describeProjects(of(context), input, context, quirks()),
    DescribeProjectVersions: (input, context) =>
      describeProjectVersions(of(context), input, context, quirks()),
    StartProjectVersion: (input, context) => startProjectVersion(of(context), input, context),
    StopProjectVersion: (input, context) => stopProjectVersion(of(context), input, context),
    ListTagsForResource: (input, context) => listTagsForResource(of(context), input, context),
    TagResource: (input, context) => tagResource(of(context), input, context),
    UntagResource: (input, context) => untagResource(of(context), input, context),
  };
  return createJsonEndpoint(
    {
      service: "rekognition",
      targetPrefix: "RekognitionService",
      contentType: CONTENT_TYPE,
      operations,
      errorResponse: awsJson11ErrorResponse,
      injectedError: (kind, code) =>
        new AwsServiceError(
          code,
          kind === "throttle"
            ? "Rate exceeded (injected by the sandbox)"
            : "Amazon Rekognition experienced a service issue (injected by the sandbox)",
          // The API reference gives ThrottlingException and InternalServerError HTTP 500.
          code === "ProvisionedThroughputExceededException" ? 400 : 500,
        ),
      keyInput,
      // A tag's value can carry a time (the stopper's last-action tag): a TagResource is known by what it tags.
      callKey: (operation, input) => {
        const key = keyInput(operation, input);
        if (operation !== "TagResource" || typeof key.Tags !== "object" || key.Tags === null)
          return JSON.stringify(key);
        return JSON.stringify({ ...key, Tags: Object.keys(key.Tags).sort() });
      },
      validationError: (message) => new AwsServiceError("ValidationException", message),
    },
    runtime,
  );
}

function keyInput(_operation: string, input: Record<string, unknown>): Record<string, unknown> {
  const keys = [
    "ProjectArn",
    "ProjectVersionArn",
    "ResourceArn",
    "ProjectNames",
    "VersionNames",
    "Features",
    "MaxResults",
    "NextToken",
    "MinInferenceUnits",
    "MaxInferenceUnits",
    "TagKeys",
  ];
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (input[key] !== undefined) picked[key] = input[key];
  if (input.Tags !== undefined) picked.Tags = input.Tags;
  return picked;
}

// ---- input readers: a wrong JSON type is a SerializationException, a broken constraint a ValidationException

function optionalInteger(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw new AwsServiceError("SerializationException", `${field} must be an integer`);
  return value;
}

function pageSize(input: Record<string, unknown>): number {
  const value = optionalInteger(input, "MaxResults");
  if (value === undefined) return MAX_PAGE_SIZE;
  if (value < 1)
    throw validationError(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  if (value > MAX_PAGE_SIZE)
    throw validationError(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE_SIZE}`,
    );
  return value;
}

function optionalStringList(
  input: Record<string, unknown>,
  field: string,
  max: number,
): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
    throw new AwsServiceError("SerializationException", `${field} must be a list of strings`);
  if (value.length > max)
    throw validationError(
      `Value '[${value.join(", ")}]' at '${wireName(field)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  return value as string[];
}

function requiredArn(input: Record<string, unknown>, field: string, pattern?: RegExp): string {
  const value = input[field];
  if (value === undefined || value === null)
    throw validationError(
      `Value null at '${wireName(field)}' failed to satisfy constraint: Member must not be null`,
    );
  if (typeof value !== "string")
    throw new AwsServiceError("SerializationException", `${field} must be a string`);
  if (value.length < 20 || value.length > 2048)
    throw validationError(
      `Value '${value}' at '${wireName(field)}' failed to satisfy constraint: Member must have length between 20 and 2048`,
    );
  if (pattern && !pattern.test(value))
    throw validationError(
      `Value '${value}' at '${wireName(field)}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  return value;
}

/** `ProjectArn` → `projectArn`, as Coral names members in validation messages. */
const wireName = (field: string) => field.charAt(0).toLowerCase() + field.slice(1);

/** Reads the offset of a NextToken bound to this request, or 0 without one. */
function pageStart(input: Record<string, unknown>, fingerprint: string): number {
  const token = input.NextToken;
  if (token === undefined || token === null) return 0;
  const offset = typeof token === "string" ? decodePageToken(token, fingerprint) : undefined;
  if (offset === undefined)
    throw new AwsServiceError(
      "InvalidPaginationTokenException",
      "Pagination token in the request is not valid.",
    );
  return offset;
}

/** One page of a list, with the NextToken of the rest. */
function page<T>(items: readonly T[], start: number, size: number, fingerprint: string) {
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length && { NextToken: encodePageToken(end, fingerprint) }),
  };
}

/** The page a listing request asks for, bent by the quirks in force. */
function listingPage<T>(
  operation: ListingOperation,
  items: readonly T[],
  input: Record<string, unknown>,
  fingerprint: string,
  quirks: RekognitionQuirks,
): { items: T[]; NextToken?: string } {
  const size = Math.min(pageSize(input), quirks.maxPageSize ?? MAX_PAGE_SIZE);
  const token = input.NextToken;
  if ((token === undefined || token === null) && quirks.emptyFirstPage?.includes(operation))
    return { items: [], NextToken: encodePageToken(0, fingerprint) };
  const answer = page(items, pageStart(input, fingerprint), size, fingerprint);
  if (typeof token === "string" && quirks.repeatNextToken?.includes(operation))
    return { items: answer.items, NextToken: token };
  return answer;
}

// ---- operations

function describeProjects(
  state: RekognitionState,
  input: Record<string, unknown>,
  context: RequestContext,
  quirks: RekognitionQuirks,
) {
  pageSize(input);
  const names = optionalStringList(input, "ProjectNames", 10);
  const features = optionalStringList(input, "Features", 2) ?? ["CUSTOM_LABELS"];
  if (features.length === 0)
    throw validationError(
      "Value '[]' at 'features' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  for (const feature of features) {
    if (!(PROJECT_FEATURES as readonly string[]).includes(feature))
      throw validationError(
        `Value '[${features.join(", ")}]' at 'features' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${PROJECT_FEATURES.join(", ")}]]`,
      );
  }
  const fingerprint = fingerprintOf({ op: "DescribeProjects", region: context.region, names, features });
  pageStart(input, fingerprint);
  const projects = state
    .projectsIn(context.region)
    .filter((project) => features.includes(project.feature))
    .filter((project) => names === undefined || names.includes(project.name));
  const { items, ...rest } = listingPage("DescribeProjects", projects, input, fingerprint, quirks);
  return {
    ProjectDescriptions: items.map((project, index) =>
      quirked(
        describeProject(project),
        quirks.describe?.[project.arn],
        `ProjectDescriptions[${index}]`,
        context,
      ),
    ),
    ...rest,
  };
}

/** A description with a `describe` quirk's fields replaced, each marked as changed on purpose for the model check. */
function quirked(
  description: Record<string, unknown>,
  fields: Readonly<Record<string, unknown>> | undefined,
  path: string,
  context: RequestContext,
): Record<string, unknown> {
  for (const field of Object.keys(fields ?? {})) context.deviate(`${path}.${field}`, "rekognition.describe");
  return overrideFields(description, fields);
}

function describeProject(project: ProjectRecord) {
  return {
    ProjectArn: project.arn,
    CreationTimestamp: toEpochSeconds(project.creationMillis),
    Status: "CREATED",
    Feature: project.feature,
  };
}

function describeProjectVersions(
  state: RekognitionState,
  input: Record<string, unknown>,
  context: RequestContext,
  quirks: RekognitionQuirks,
) {
  const projectArn = requiredArn(input, "ProjectArn", PROJECT_ARN_PATTERN);
  pageSize(input);
  const names = optionalStringList(input, "VersionNames", 10);
  const project = state.project(projectArn);
  if (!project || project.region !== context.region) throw notFound(projectArn);
  const fingerprint = fingerprintOf({ op: "DescribeProjectVersions", projectArn, names });
  pageStart(input, fingerprint);
  const versions = state
    .versionsOf(project)
    .filter((version) => names === undefined || names.includes(version.versionName));
  const { items, ...rest } = listingPage("DescribeProjectVersions", versions, input, fingerprint, quirks);
  return {
    ProjectVersionDescriptions: items.map((version, index) =>
      quirked(
        describeVersion(version),
        quirks.describe?.[version.arn],
        `ProjectVersionDescriptions[${index}]`,
        context,
      ),
    ),
    ...rest,
  };
}

function describeVersion(model: ModelRecord) {
  return {
    ProjectVersionArn: model.arn,
    CreationTimestamp: toEpochSeconds(model.creationMillis),
    Status: model.status,
    StatusMessage:
      STATUS_MESSAGES[model.status] ?? `The model is ${model.status.toLowerCase().replaceAll("_", " ")}.`,
    ...(model.trainingEndMillis !== undefined && {
      TrainingEndTimestamp: toEpochSeconds(model.trainingEndMillis),
    }),
    ...(model.minInferenceUnits !== undefined && { MinInferenceUnits: model.minInferenceUnits }),
    ...(model.maxInferenceUnits !== undefined && { MaxInferenceUnits: model.maxInferenceUnits }),
    Feature: model.feature,
  };
}

/** The model of a ProjectVersionArn in the request's region, or ResourceNotFoundException. */
function findModel(state: RekognitionState, arn: string, context: RequestContext): ModelRecord {
  const model = state.model(arn);
  if (!model || model.region !== context.region) throw notFound(arn);
  return model;
}

function startProjectVersion(
  state: RekognitionState,
  input: Record<string, unknown>,
  context: RequestContext,
) {
  const arn = requiredArn(input, "ProjectVersionArn", MODEL_ARN_PATTERN);
  const min = optionalInteger(input, "MinInferenceUnits");
  if (min === undefined)
    throw validationError(
      "Value null at 'minInferenceUnits' failed to satisfy constraint: Member must not be null",
    );
  if (min < 1)
    throw validationError(
      `Value '${min}' at 'minInferenceUnits' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  const max = optionalInteger(input, "MaxInferenceUnits");
  if (max !== undefined && max < 1)
    throw validationError(
      `Value '${max}' at 'maxInferenceUnits' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  if (max !== undefined && max < min)
    throw new AwsServiceError(
      "InvalidParameterException",
      `MaxInferenceUnits (${max}) must be greater than or equal to MinInferenceUnits (${min}).`,
    );
  const model = findModel(state, arn, context);
  if (CHANGING.has(model.status))
    throw new AwsServiceError("ResourceInUseException", `The model ${arn} is ${model.status}.`);
  if (!STARTABLE.has(model.status))
    throw new AwsServiceError(
      "InvalidParameterException",
      `The model ${arn} is ${model.status} and cannot be started.`,
    );
  state.beginStart(model, min, max);
  return { Status: model.status };
}

function stopProjectVersion(
  state: RekognitionState,
  input: Record<string, unknown>,
  context: RequestContext,
) {
  const arn = requiredArn(input, "ProjectVersionArn", MODEL_ARN_PATTERN);
  const model = findModel(state, arn, context);
  // AWS does not document the answer for a model that is not running; ResourceInUse is what the stopper expects.
  if (model.status !== "RUNNING")
    throw new AwsServiceError("ResourceInUseException", `The model ${arn} is ${model.status}, not RUNNING.`);
  state.beginStop(model);
  return { Status: model.status };
}

/** A taggable resource (a project or a model) in the request's region. */
function taggable(state: RekognitionState, arn: string, context: RequestContext): Map<string, string> {
  const resource: { region: string; tags: Map<string, string> } | undefined =
    state.model(arn) ?? state.project(arn);
  if (!resource || regionOfArn(arn) !== context.region || resource.region !== context.region)
    throw notFound(arn);
  return resource.tags;
}

function listTagsForResource(
  state: RekognitionState,
  input: Record<string, unknown>,
  context: RequestContext,
) {
  const arn = requiredArn(input, "ResourceArn");
  return { Tags: Object.fromEntries(taggable(state, arn, context)) };
}

const MAX_TAGS = 200;

function tagResource(state: RekognitionState, input: Record<string, unknown>, context: RequestContext) {
  const arn = requiredArn(input, "ResourceArn");
  const tags = input.Tags;
  if (tags === undefined || tags === null)
    throw validationError("Value null at 'tags' failed to satisfy constraint: Member must not be null");
  if (
    typeof tags !== "object" ||
    Array.isArray(tags) ||
    Object.values(tags).some((v) => typeof v !== "string")
  )
    throw new AwsServiceError("SerializationException", "Tags must be a map of strings");
  const entries = Object.entries(tags as Record<string, string>);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128)
      throw validationError(
        `Value '${key}' at 'tags' failed to satisfy constraint: Map keys must have length between 1 and 128`,
      );
    if (key.toLowerCase().startsWith("aws:"))
      throw validationError(
        `Value '${key}' at 'tags' failed to satisfy constraint: Map keys must satisfy regular expression pattern: ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$`,
      );
    if (value.length > 256)
      throw validationError(
        `Value '${value}' at 'tags.${key}' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
  }
  const current = taggable(state, arn, context);
  const merged = new Map([...current, ...entries]);
  if (merged.size > MAX_TAGS)
    throw new AwsServiceError(
      "ServiceQuotaExceededException",
      `A resource can have at most ${MAX_TAGS} tags; this request would give ${arn} ${merged.size}.`,
    );
  for (const [key, value] of entries) current.set(key, value);
  return {};
}

function untagResource(state: RekognitionState, input: Record<string, unknown>, context: RequestContext) {
  const arn = requiredArn(input, "ResourceArn");
  const keys = optionalStringList(input, "TagKeys", 50);
  if (keys === undefined)
    throw validationError("Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
  const current = taggable(state, arn, context);
  for (const key of keys) current.delete(key);
  return {};
}
