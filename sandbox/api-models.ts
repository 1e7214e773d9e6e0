/**
 * AWS's published service models of the operations the sandbox serves, loaded once per process: the shapes of each
 * operation's input, output and errors, with their constraints. Two official sources are read and must agree:
 * - the npm package `aws-sdk` v2 (`apis/<service>-<version>.min.json`): members, required members and types; its
 *   minified models carry no enum values, lengths, ranges, patterns or errors;
 * - `sandbox/api-models/<service>.json`, the same operations cut from botocore's full `service-2.json` by
 *   `scripts/extract-api-models.ts`: everything the minified models leave out.
 * A member, type or required member on which the two disagree is an {@link ApiModelError} at load.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { SERVICE_OPERATIONS } from "./faults.ts";

/** The services whose answers are checked against their models. */
export type ModelledService =
  | "rekognition"
  | "cloudwatch"
  | "sns"
  | "cloudformation"
  | "sts"
  | "organizations"
  | "states"
  | "eventbridge";

/** Where each service's model lives in botocore and in aws-sdk v2. */
export const MODELLED_SERVICES = [
  {
    name: "rekognition",
    botocoreName: "rekognition",
    apiVersion: "2016-06-27",
    sdkV2File: "rekognition-2016-06-27.min.json",
  },
  {
    name: "cloudwatch",
    botocoreName: "cloudwatch",
    apiVersion: "2010-08-01",
    sdkV2File: "monitoring-2010-08-01.min.json",
  },
  { name: "sns", botocoreName: "sns", apiVersion: "2010-03-31", sdkV2File: "sns-2010-03-31.min.json" },
  // The organization mode's (issue 11): spoke roles, OUs, and the overlap check.
  { name: "sts", botocoreName: "sts", apiVersion: "2011-06-15", sdkV2File: "sts-2011-06-15.min.json" },
  {
    name: "organizations",
    botocoreName: "organizations",
    apiVersion: "2016-11-28",
    sdkV2File: "organizations-2016-11-28.min.json",
  },
  {
    name: "states",
    botocoreName: "stepfunctions",
    apiVersion: "2016-11-23",
    sdkV2File: "states-2016-11-23.min.json",
  },
  {
    name: "cloudformation",
    botocoreName: "cloudformation",
    apiVersion: "2010-05-15",
    sdkV2File: "cloudformation-2010-05-15.min.json",
  },
  // botocore and aws-sdk v2 still name EventBridge by its old name, CloudWatch Events (`events`).
  {
    name: "eventbridge",
    botocoreName: "events",
    apiVersion: "2015-10-07",
    sdkV2File: "eventbridge-2015-10-07.min.json",
  },
] as const satisfies readonly {
  readonly name: ModelledService;
  readonly botocoreName: string;
  readonly apiVersion: string;
  readonly sdkV2File: string;
}[];

/** The operations the sandbox serves, per service: the ones whose models are kept. */
export const SERVED_OPERATIONS: Readonly<Record<ModelledService, readonly string[]>> = {
  rekognition: SERVICE_OPERATIONS.rekognition,
  cloudwatch: SERVICE_OPERATIONS.cloudwatch,
  sns: ["Publish"],
  sts: ["AssumeRole"],
  organizations: ["ListAccountsForParent", "ListChildren"],
  states: ["ListExecutions"],
  // What the CLI asks to find the log table: the stack's LogTableName output.
  cloudformation: ["DescribeStacks"],
  eventbridge: SERVICE_OPERATIONS.eventbridge,
};

/**
 * Where botocore's model is newer than aws-sdk v2's (v2 is in maintenance and its CloudWatch model predates these
 * changes), each with why the newer one is right. Any other disagreement stops the load.
 */
export const NEWER_THAN_SDK_V2: Readonly<Record<string, string>> = {
  "PutMetricData input.EntityMetricData: aws-sdk v2 has no such member":
    "CloudWatch added EntityMetricData (metrics tied to an entity) to PutMetricData after v2's model",
  "PutMetricData input.StrictEntityValidation: aws-sdk v2 has no such member": "added with EntityMetricData",
  "PutMetricData input.MetricData: required in aws-sdk v2, not here":
    "with EntityMetricData, MetricData is no longer required by the model (the sandbox still requires it)",
  "ListAccountsForParent output.Accounts[].State: aws-sdk v2 has no such member":
    "Organizations added the account's State (PENDING_ACTIVATION … CLOSED), which replaces the deprecated Status, after v2's model",
  "ListAccountsForParent output.Accounts[].Paths: aws-sdk v2 has no such member":
    "Organizations added the account's Paths (its place in the OU tree) after v2's model",
  "DescribeStacks output.Stacks[].LastOperations: aws-sdk v2 has no such member":
    "CloudFormation added LastOperations (the stack's latest operations) to Stack after v2's model; the sandbox does not send it",
};

/** The folder of the models cut from botocore. */
export const API_MODEL_DIR = new URL("./api-models/", import.meta.url);

/** A shape's type, as the models name it. */
export type ShapeType =
  | "structure"
  | "list"
  | "map"
  | "string"
  | "integer"
  | "long"
  | "double"
  | "float"
  | "boolean"
  | "timestamp"
  | "blob";

/** One member of a structure, or the member, key or value of a list or map. */
export interface MemberRef {
  readonly shape: Shape;
  /** The XML element name, when it is not the member's name. */
  readonly locationName?: string;
  readonly flattened?: boolean;
}

/** A shape with its constraints. */
export interface Shape {
  /** The shape's name in botocore's model, e.g. `ProjectVersionStatus`. */
  readonly name: string;
  readonly type: ShapeType;
  readonly members: ReadonlyMap<string, MemberRef>;
  readonly required: ReadonlySet<string>;
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** The model's pattern, compiled; absent when the model has none or JavaScript cannot read it. */
  readonly pattern?: RegExp;
  readonly flattened?: boolean;
}

/** An error an operation declares. */
export interface ErrorShape {
  /** The shape's name, e.g. `InvalidParameterValueException`: the `__type` of AWS JSON. */
  readonly name: string;
  /** The code on the wire in the query protocols (`InvalidParameterValue`); the shape's name otherwise. */
  readonly code: string;
  /** The HTTP status the model gives it, or the protocol's default: 500 for a fault, else 400. */
  readonly statusCode: number;
  /** `Sender` when the caller is at fault, `Receiver` when AWS is. */
  readonly fault: "Sender" | "Receiver";
}

/** One operation of a model. */
export interface Operation {
  readonly name: string;
  readonly input?: Shape;
  readonly output?: Shape;
  /** The XML element around the output in the query protocol, e.g. `PublishResult`. */
  readonly resultWrapper?: string;
  /** The errors it declares, by the code on the wire. */
  readonly errors: ReadonlyMap<string, ErrorShape>;
}

/** One service's model. */
export interface ServiceModel {
  readonly service: ModelledService;
  /** `json` (Rekognition), `query` (SNS) or CloudWatch's list, which includes `json`. */
  readonly protocols: readonly string[];
  readonly awsQueryCompatible: boolean;
  readonly xmlNamespace?: string;
  readonly operations: ReadonlyMap<string, Operation>;
  /** Where the constraints come from, e.g. `botocore 1.43.11 data/rekognition/2016-06-27/service-2.json`. */
  readonly source: string;
}

/** The models cannot be loaded, or its two sources disagree. */
export class ApiModelError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiModelError";
  }
}

interface RawRef {
  readonly shape: string;
  readonly locationName?: string;
  readonly flattened?: boolean;
}

interface RawShape {
  readonly type: ShapeType;
  readonly members?: Readonly<Record<string, RawRef>>;
  readonly required?: readonly string[];
  readonly member?: RawRef;
  readonly key?: RawRef;
  readonly value?: RawRef;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly flattened?: boolean;
  readonly error?: {
    readonly code?: string;
    readonly httpStatusCode?: number;
    readonly senderFault?: boolean;
  };
  readonly fault?: boolean;
}

interface RawModel {
  readonly source: { readonly package: string; readonly version: string; readonly file: string };
  readonly metadata: {
    readonly protocol: string;
    readonly protocols?: readonly string[];
    readonly awsQueryCompatible?: object;
    readonly xmlNamespace?: string;
  };
  readonly operations: Readonly<
    Record<
      string,
      {
        readonly input?: { readonly shape: string };
        readonly output?: { readonly shape: string; readonly resultWrapper?: string };
        readonly errors: readonly string[];
      }
    >
  >;
  readonly shapes: Readonly<Record<string, RawShape>>;
}

/** A shape of aws-sdk v2's minified models: `{}` is a string, `{shape: "S1c"}` a shared shape. */
interface SdkV2Shape {
  readonly shape?: string;
  readonly type?: string;
  readonly members?: Readonly<Record<string, SdkV2Shape>>;
  readonly required?: readonly string[];
  readonly member?: SdkV2Shape;
  readonly key?: SdkV2Shape;
  readonly value?: SdkV2Shape;
}

interface SdkV2Model {
  readonly operations: Readonly<
    Record<string, { readonly input?: SdkV2Shape; readonly output?: SdkV2Shape & { resultWrapper?: string } }>
  >;
  readonly shapes: Readonly<Record<string, SdkV2Shape>>;
}

/**
 * Compiles a model's pattern (written for Java) for JavaScript, with the `u` flag for `\p{…}` classes; undefined
 * when JavaScript reads it differently or not at all (then only its lengths are checked).
 */
function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, "u");
  } catch {
    return undefined;
  }
}

function buildShapes(raw: RawModel, file: string): (name: string) => Shape {
  const built = new Map<string, Shape>();
  const get = (name: string): Shape => {
    const done = built.get(name);
    if (done) return done;
    const shape = raw.shapes[name];
    if (!shape) throw new ApiModelError(`${file}: shape ${name} is referenced but not defined`);
    const members = new Map<string, MemberRef>();
    const pattern = shape.pattern === undefined ? undefined : compilePattern(shape.pattern);
    const result: Shape = {
      name,
      type: shape.type,
      members,
      required: new Set(shape.required ?? []),
      ...(shape.enum && { enum: shape.enum }),
      ...(shape.min !== undefined && { min: shape.min }),
      ...(shape.max !== undefined && { max: shape.max }),
      ...(pattern && { pattern }),
      ...(shape.flattened && { flattened: true }),
    };
    // Registered before its members are built, so a recursive shape refers to itself.
    built.set(name, result);
    const ref = (target: RawRef): MemberRef => ({
      shape: get(target.shape),
      ...(target.locationName !== undefined && { locationName: target.locationName }),
      ...(target.flattened && { flattened: true }),
    });
    for (const [member, target] of Object.entries(shape.members ?? {})) members.set(member, ref(target));
    const mutable = result as { -readonly [K in keyof Shape]: Shape[K] };
    if (shape.member) mutable.member = ref(shape.member);
    if (shape.key) mutable.key = ref(shape.key);
    if (shape.value) mutable.value = ref(shape.value);
    return result;
  };
  return get;
}

function errorShape(name: string, shape: RawShape | undefined, file: string): ErrorShape {
  if (!shape) throw new ApiModelError(`${file}: error shape ${name} is not defined`);
  const statusCode = shape.error?.httpStatusCode ?? (shape.fault ? 500 : 400);
  const fault = shape.error
    ? shape.error.senderFault
      ? "Sender"
      : "Receiver"
    : shape.fault || statusCode >= 500
      ? "Receiver"
      : "Sender";
  return { name, code: shape.error?.code ?? name, statusCode, fault };
}

const require = createRequire(import.meta.url);

function loadServiceModel(service: (typeof MODELLED_SERVICES)[number]): ServiceModel {
  const file = new URL(`${service.name}.json`, API_MODEL_DIR);
  let raw: RawModel;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as RawModel;
  } catch (error) {
    throw new ApiModelError(`cannot read ${file.pathname}: run scripts/extract-api-models.ts`, {
      cause: error,
    });
  }
  const shape = buildShapes(raw, file.pathname);
  const protocols = raw.metadata.protocols ?? [raw.metadata.protocol];
  const query = protocols.length === 1 && protocols[0] === "query";
  const operations = new Map<string, Operation>();
  for (const name of SERVED_OPERATIONS[service.name]) {
    const operation = raw.operations[name];
    if (!operation)
      throw new ApiModelError(`${file.pathname} has no ${name}: run scripts/extract-api-models.ts again`);
    const errors = new Map<string, ErrorShape>();
    for (const error of operation.errors) {
      const declared = errorShape(error, raw.shapes[error], file.pathname);
      // AWS JSON names an error by its shape; the query protocols (and awsQueryCompatible JSON) by its code.
      errors.set(query || raw.metadata.awsQueryCompatible ? declared.code : declared.name, declared);
    }
    operations.set(name, {
      name,
      ...(operation.input && { input: shape(operation.input.shape) }),
      ...(operation.output && { output: shape(operation.output.shape) }),
      ...(operation.output?.resultWrapper && { resultWrapper: operation.output.resultWrapper }),
      errors,
    });
  }
  const model: ServiceModel = {
    service: service.name,
    protocols,
    awsQueryCompatible: raw.metadata.awsQueryCompatible !== undefined,
    ...(raw.metadata.xmlNamespace && { xmlNamespace: raw.metadata.xmlNamespace }),
    operations,
    source: `${raw.source.package} ${raw.source.version} ${raw.source.file}`,
  };
  const disagreements = compareWithSdkV2(model, readSdkV2Model(service.sdkV2File)).filter(
    (disagreement) => NEWER_THAN_SDK_V2[disagreement] === undefined,
  );
  if (disagreements.length > 0)
    throw new ApiModelError(
      `${file.pathname} and aws-sdk v2's ${service.sdkV2File} disagree:\n  ${disagreements.join("\n  ")}`,
    );
  return model;
}

/** Reads one of aws-sdk v2's minified models. */
export function readSdkV2Model(fileName: string): SdkV2Model {
  return JSON.parse(readFileSync(require.resolve(`aws-sdk/apis/${fileName}`), "utf8")) as SdkV2Model;
}

/**
 * Where a model agrees with aws-sdk v2's minified one on every served operation's input and output: the same
 * members, required members and types, at every depth. Each disagreement is a sentence naming the path.
 */
export function compareWithSdkV2(model: ServiceModel, sdk: SdkV2Model): string[] {
  const found: string[] = [];
  const resolve = (shape: SdkV2Shape | undefined): SdkV2Shape | undefined => {
    let current = shape;
    // Shared shapes are referenced by name; the first reference may add nothing but the name.
    while (current?.shape !== undefined) current = { ...sdk.shapes[current.shape], ...omitShape(current) };
    return current;
  };
  const seen = new Set<string>();
  const compare = (path: string, ours: Shape, theirs: SdkV2Shape | undefined) => {
    const resolved = resolve(theirs);
    if (!resolved) {
      found.push(`${path}: aws-sdk v2 has no such member`);
      return;
    }
    const theirType = resolved.type ?? "string";
    if (ours.type !== theirType) {
      found.push(`${path}: type ${ours.type} here, ${theirType} in aws-sdk v2`);
      return;
    }
    // A recursive shape is compared once per path prefix it first appears at.
    const key = `${path}|${ours.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (ours.type === "structure") {
      const theirMembers = resolved.members ?? {};
      for (const [name, ref] of ours.members) compare(`${path}.${name}`, ref.shape, theirMembers[name]);
      for (const name of Object.keys(theirMembers))
        if (!ours.members.has(name)) found.push(`${path}.${name}: in aws-sdk v2 only`);
      const theirRequired = new Set(resolved.required ?? []);
      for (const name of ours.required)
        if (!theirRequired.has(name)) found.push(`${path}.${name}: required here, not in aws-sdk v2`);
      for (const name of theirRequired)
        if (!ours.required.has(name)) found.push(`${path}.${name}: required in aws-sdk v2, not here`);
    } else if (ours.type === "list" && ours.member) {
      compare(`${path}[]`, ours.member.shape, resolved.member);
    } else if (ours.type === "map" && ours.key && ours.value) {
      compare(`${path}{key}`, ours.key.shape, resolved.key);
      compare(`${path}{value}`, ours.value.shape, resolved.value);
    }
  };
  for (const operation of model.operations.values()) {
    const theirs = sdk.operations[operation.name];
    if (!theirs) {
      found.push(`${operation.name}: not in aws-sdk v2`);
      continue;
    }
    if (operation.input) compare(`${operation.name} input`, operation.input, theirs.input);
    if (operation.output) compare(`${operation.name} output`, operation.output, theirs.output);
    else if (theirs.output && Object.keys(resolve(theirs.output)?.members ?? {}).length > 0)
      found.push(`${operation.name} output: none here, members in aws-sdk v2`);
  }
  return found;
}

function omitShape(shape: SdkV2Shape): SdkV2Shape {
  const { shape: _name, ...rest } = shape;
  return rest;
}

const loaded = new Map<ModelledService, ServiceModel>();

/** A service's model, loaded (and checked against aws-sdk v2) on first use. */
export function apiModel(service: ModelledService): ServiceModel {
  let model = loaded.get(service);
  if (!model) {
    const entry = MODELLED_SERVICES.find((candidate) => candidate.name === service);
    if (!entry) throw new ApiModelError(`no API model for ${service}`);
    model = loadServiceModel(entry);
    loaded.set(service, model);
  }
  return model;
}
