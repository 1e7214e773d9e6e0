/**
 * The real Lambda bundle, run as Lambda would run it: `cdk synth` once (or take a cloud assembly synthesized
 * elsewhere), find the function's asset, handler and environment in the template, then invoke it in a child `node`
 * process against the sandbox's endpoints.
 */

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CfnTemplate } from "./cfn-template.ts";
import { jsonLogLines } from "./log-lines.ts";
import { invokeUnderRuntimeClient, type RuntimeApiTrace } from "./runtime-client.ts";

export { LambdaRuntimeMissingError } from "./runtime-client.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INVOKE_SCRIPT = fileURLToPath(new URL("./invoke-bundle.mjs", import.meta.url));
/** The function's clock, loaded before the bundle (see the file): a fixed start and a speed-up for tests. */
export const FUNCTION_CLOCK = fileURLToPath(new URL("./function-clock.mjs", import.meta.url));

/**
 * The suffix of a name CloudFormation generates (`<stack>-<logical id>-<suffix>`): fixed in the sandbox, so a
 * deployed name's shape and length are kept while every run names things the same way.
 */
export const GENERATED_NAME_SUFFIX = "SANDBOX0NAME";

/** A name CloudFormation generates for a resource without one: the stack, the logical id and a suffix. */
export function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}-${GENERATED_NAME_SUFFIX}`;
}

/** A key of the log table as the template declares it. */
export interface KeyElement {
  readonly AttributeName: string;
  readonly KeyType: "HASH" | "RANGE";
}

/** What the synthesized template says about the function and its table. */
export interface SynthesizedFunction {
  /** The stack's artifact id: `IdleModelStopper` for this repository's app, the consumer's stack otherwise. */
  readonly stackName: string;
  /** Directory of the function's asset, holding index.mjs. */
  readonly assetDir: string;
  /** The module file and export, from the template's `Handler` (e.g. `index.handler`). */
  readonly handler: string;
  /** The function's environment; references to other resources are left as the logical id in `refs`. */
  readonly environment: Record<string, string>;
  /** Variables whose value references another resource, with its logical id and type, e.g.
   * `{ LOG_TABLE_NAME: { logicalId: "LogTable1234", type: "AWS::DynamoDB::Table" } }`. */
  readonly refs: Record<string, { readonly logicalId: string; readonly type: string }>;
  /** The template's `Runtime`, e.g. `nodejs22.x`. */
  readonly runtime: string;
  readonly architectures: string[];
  /** The function's logical id. */
  readonly logicalId: string;
  /** The function's name: its `FunctionName`, else the one CloudFormation generates, with a fixed suffix. */
  readonly functionName: string;
  /** The name of the function's log group: its own (LoggingConfig), else `/aws/lambda/<function name>`, both with a
   * fixed suffix where CloudFormation would generate one. */
  readonly logGroupName: string;
  /** LoggingConfig's `LogFormat` (`Text` unless the template says `JSON`) and, for JSON, `ApplicationLogLevel`. */
  readonly logFormat: "Text" | "JSON";
  readonly applicationLogLevel?: string;
  /** The `Input` of the EventBridge Scheduler schedule that invokes the function, with its context attributes
   * (`<aws.scheduler.scheduled-time>`…) left in; see {@link scheduledEvent}. */
  readonly scheduleInput?: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** The log table's key schema and attribute definitions. */
  readonly table: {
    readonly keySchema: KeyElement[];
    readonly attributeDefinitions: { AttributeName: string; AttributeType: "S" | "N" | "B" }[];
    readonly globalSecondaryIndexes: {
      IndexName: string;
      KeySchema: KeyElement[];
      Projection: { ProjectionType: "ALL" | "KEYS_ONLY" | "INCLUDE"; NonKeyAttributes?: string[] };
    }[];
  };
  /** The whole synthesized template, for the permission check (function-permissions.ts). */
  readonly template: CfnTemplate;
  /** The follow-up function, when the template has one: the same asset, its own handler and environment. */
  readonly followUp?: Pick<SynthesizedFunction, "handler" | "environment" | "refs">;
  /** Removes the synthesized output. */
  readonly cleanup: () => void;
}

interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** The stack of this repository's own app (infra/app.ts). */
export const REPOSITORY_STACK = "IdleModelStopper";

/**
 * Runs `cdk synth` into a temporary folder with the given context (`-c key=value`) and reads the function. cdk.json's
 * `build` step first brings the Lambda bundle up to date with the sources.
 */
export async function synthesize(context: Record<string, string> = {}): Promise<SynthesizedFunction> {
  const outdir = mkdtempSync(join(tmpdir(), "idle-model-stopper-synth-"));
  const args = ["cdk", "synth", "--quiet", "--output", outdir, "--no-notices", "--no-version-reporting"];
  for (const [key, value] of Object.entries(context)) args.push("-c", `${key}=${value}`);
  await promisify(execFile)("npx", args, {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return readSynthesizedFunction(outdir, REPOSITORY_STACK, () =>
    rmSync(outdir, { recursive: true, force: true }),
  );
}

/**
 * Reads the stopper's function and log table from a cloud assembly that is already there, such as the `cdk.out`
 * of an app that installed the package. The stack must hold one stopper.
 * @param outdir the cloud assembly's folder
 * @param stackName the stack's artifact id (its template is `<stackName>.template.json`)
 * @param cleanup what the returned function's `cleanup()` does; by default nothing, the folder is the caller's
 */
export function readSynthesizedFunction(
  outdir: string,
  stackName: string,
  cleanup: () => void = () => {},
): SynthesizedFunction {
  const templateFile = join(outdir, `${stackName}.template.json`);
  const template = JSON.parse(readFileSync(templateFile, "utf8")) as {
    Resources: Record<string, CfnResource>;
  };
  const resources = Object.values(template.Resources);
  const [logicalId, fn] =
    Object.entries(template.Resources).find(
      ([, r]) =>
        r.Type === "AWS::Lambda::Function" && String(r.Properties.Handler ?? "").endsWith(".handler"),
    ) ?? [];
  const table = resources.find((r) => r.Type === "AWS::DynamoDB::Table");
  if (!fn || !logicalId || !table)
    throw new Error(`${templateFile} has no Lambda function or no DynamoDB table`);
  const assetPath = fn.Metadata?.["aws:asset:path"];
  if (typeof assetPath !== "string") throw new Error("the function has no aws:asset:path metadata");

  const { environment, refs } = environmentOf(fn, template.Resources);
  const followUp = resources.find(
    (r) => r.Type === "AWS::Lambda::Function" && String(r.Properties.Handler ?? "").endsWith(".followUp"),
  );

  const logging = (fn.Properties.LoggingConfig ?? {}) as {
    LogGroup?: unknown;
    LogFormat?: string;
    ApplicationLogLevel?: string;
  };
  const functionName =
    typeof fn.Properties.FunctionName === "string"
      ? fn.Properties.FunctionName
      : generatedName(stackName, logicalId);
  const logGroupName = resolveLogGroupName(template.Resources, logging.LogGroup, stackName, functionName);
  const schedule = resources.find((r) => {
    const target = r.Properties.Target as { Arn?: { "Fn::GetAtt"?: unknown[] } } | undefined;
    return r.Type === "AWS::Scheduler::Schedule" && target?.Arn?.["Fn::GetAtt"]?.[0] === logicalId;
  });
  const scheduleInput = (schedule?.Properties.Target as { Input?: unknown } | undefined)?.Input;
  return {
    stackName,
    assetDir: join(outdir, assetPath),
    handler: String(fn.Properties.Handler),
    environment,
    refs,
    runtime: String(fn.Properties.Runtime),
    architectures: (fn.Properties.Architectures as string[]) ?? [],
    logicalId,
    functionName,
    logGroupName,
    logFormat: logging.LogFormat === "JSON" ? "JSON" : "Text",
    ...(typeof scheduleInput === "string" && { scheduleInput }),
    ...(logging.LogFormat === "JSON" && { applicationLogLevel: logging.ApplicationLogLevel ?? "INFO" }),
    timeoutSeconds: Number(fn.Properties.Timeout ?? 3),
    memorySize: Number(fn.Properties.MemorySize ?? 128),
    table: {
      keySchema: table.Properties.KeySchema as KeyElement[],
      attributeDefinitions: table.Properties
        .AttributeDefinitions as SynthesizedFunction["table"]["attributeDefinitions"],
      globalSecondaryIndexes: (table.Properties.GlobalSecondaryIndexes ??
        []) as SynthesizedFunction["table"]["globalSecondaryIndexes"],
    },
    template,
    ...(followUp && {
      followUp: {
        handler: String(followUp.Properties.Handler),
        ...environmentOf(followUp, template.Resources),
      },
    }),
    cleanup,
  };
}

/** A function's environment, with references to other resources kept apart by logical id and type. */
function environmentOf(
  fn: CfnResource,
  resources: Record<string, CfnResource>,
): Pick<SynthesizedFunction, "environment" | "refs"> {
  const variables = ((fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ??
    {}) as Record<string, unknown>;
  const environment: Record<string, string> = {};
  const refs: Record<string, { logicalId: string; type: string }> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === "string") environment[name] = value;
    else if (value && typeof value === "object" && "Ref" in value) {
      const logicalId = String(value.Ref);
      refs[name] = { logicalId, type: resources[logicalId]?.Type ?? "unknown" };
    } else throw new Error(`environment variable ${name} has a value the sandbox cannot resolve`);
  }
  return { environment, refs };
}

function resolveLogGroupName(
  resources: Record<string, CfnResource>,
  logGroup: unknown,
  stackName: string,
  functionName: string,
): string {
  if (logGroup === undefined) return `/aws/lambda/${functionName}`;
  if (typeof logGroup === "string") return logGroup;
  const ref = (logGroup as { Ref?: unknown }).Ref;
  const resource = typeof ref === "string" ? resources[ref] : undefined;
  if (typeof ref !== "string" || resource?.Type !== "AWS::Logs::LogGroup")
    throw new Error(
      `the function's LoggingConfig.LogGroup is ${JSON.stringify(logGroup)}, not a log group's Ref`,
    );
  const name = resource.Properties.LogGroupName;
  return typeof name === "string" ? name : generatedName(stackName, ref);
}

/**
 * The event EventBridge Scheduler sends the function for a run at `scheduledTime`: the schedule's `Input` with its
 * context attributes filled in (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
export function scheduledEvent(fn: SynthesizedFunction, scheduledTime: Date, attempt = 1): unknown {
  if (fn.scheduleInput === undefined)
    throw new Error("the template has no schedule with an Input for the function");
  const filled = fn.scheduleInput
    .replaceAll("<aws.scheduler.scheduled-time>", scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z"))
    .replaceAll("<aws.scheduler.attempt-number>", String(attempt));
  return JSON.parse(filled);
}

/** How one invocation of the bundle went. */
export interface Invocation<T> {
  /** The handler's return value, when it returned. */
  readonly result?: T;
  /** The error the handler or its module's start-up threw, when it did. */
  readonly error?: { name: string; message: string };
  /** Process exit code (0 when the handler returned). */
  readonly exitCode: number | null;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** Every stdout line that parsed as JSON: the function's structured logs. */
  readonly logs: Record<string, unknown>[];
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident set size of the child, in bytes. */
  readonly maxRssBytes?: number;
  /** Under the runtime client (`runtime: "ric"`): what went over the Lambda Runtime API. */
  readonly runtimeApi?: RuntimeApiTrace;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** Environment on top of the function's own: endpoints, credentials, overrides. */
  readonly env: Record<string, string>;
  /** The Lambda request id, used as the run id. */
  readonly requestId?: string;
  /** What `context.getRemainingTimeInMillis()` starts from; default the function's timeout. */
  readonly remainingTimeMs?: number;
  /** The event; the schedule sends an empty object. */
  readonly event?: unknown;
  /** Run the function's clock this many times faster than the wall (see function-clock.mjs). @default 1 */
  readonly timeScale?: number;
  /**
   * Make the function's waits (setTimeout, setInterval) this many times shorter on the wall, its clock jumping over
   * the rest, while work and the sandbox's answers count at their real length, not k times (see function-clock.mjs);
   * so a busy machine makes the function's time run far less fast than `timeScale` does. Not with `timeScale`.
   * @default 1
   */
  readonly waitScale?: number;
  /** The instant (epoch ms) the function's clock starts at; it then advances with the wall. @default the wall */
  readonly clockStart?: number;
  /** Kill the child once a stdout line matches this (to simulate a crash at a chosen point). */
  readonly killWhen?: (line: string) => boolean;
  /**
   * Kills the child with SIGKILL when aborted: a crash at whatever point the caller chooses, e.g. once the
   * sandbox's call log shows a call the function made. The invocation then resolves with `signal: "SIGKILL"`.
   */
  readonly signal?: AbortSignal;
  /**
   * What runs the handler. `node` (the default): a small script of ours imports the bundle and calls the handler in
   * the Node.js that runs the tests. `ric`: as Lambda runs it, the Lambda Runtime Interface Client on the Node.js
   * major the template's `Runtime` names, with the variables Lambda sets, driven through a local Runtime API (see
   * runtime-client.ts; `.cache/lambda-runtime` must be installed, else this throws
   * {@link LambdaRuntimeMissingError}).
   * @default "node"
   */
  readonly runtime?: "node" | "ric";
  /**
   * For `runtime: "node"`, the command that runs Node.js, e.g. another architecture's binary under an emulator:
   * `["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu", "…/node"]`. @default the Node.js running the tests
   */
  readonly nodeCommand?: readonly string[];
}

/** Invokes the synthesized handler once in a fresh process, as a cold start. */
export function invokeBundle<T>(fn: SynthesizedFunction, options: InvokeOptions): Promise<Invocation<T>> {
  if (options.runtime === "ric") return invokeUnderRuntimeClient<T>(fn, options);
  const [file, exportName] = splitHandler(fn.handler);
  const resultDir = mkdtempSync(join(tmpdir(), "idle-model-stopper-invoke-"));
  const resultFile = join(resultDir, "result.json");
  const event = JSON.stringify(options.event ?? {});
  // Linux refuses an environment string over 128 KiB (E2BIG): a large event goes in a file instead.
  const eventFile = event.length > 64 * 1024 ? join(resultDir, "event.json") : undefined;
  if (eventFile) writeFileSync(eventFile, event);
  const [command, ...prefix] = options.nodeCommand ?? [process.execPath];
  const child = spawn(
    command as string,
    [...prefix, "--enable-source-maps", "--import", FUNCTION_CLOCK, INVOKE_SCRIPT],
    {
      cwd: fn.assetDir,
      env: {
        PATH: process.env.PATH ?? "",
        ...fn.environment,
        ...options.env,
        INVOKE_MODULE: join(fn.assetDir, `${file}.mjs`),
        INVOKE_EXPORT: exportName,
        INVOKE_REQUEST_ID: options.requestId ?? "",
        INVOKE_REMAINING_MS: String(options.remainingTimeMs ?? fn.timeoutSeconds * 1000),
        ...(eventFile ? { INVOKE_EVENT_FILE: eventFile } : { INVOKE_EVENT: event }),
        INVOKE_RESULT_FILE: resultFile,
        INVOKE_TIME_SCALE: String(options.timeScale ?? 1),
        INVOKE_WAIT_SCALE: String(options.waitScale ?? 1),
        ...(options.clockStart !== undefined && { INVOKE_CLOCK_START: String(options.clockStart) }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    if (options.killWhen && lines.some(options.killWhen)) child.kill("SIGKILL");
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const kill = () => child.kill("SIGKILL");
  if (options.signal?.aborted) kill();
  else options.signal?.addEventListener("abort", kill, { once: true });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      options.signal?.removeEventListener("abort", kill);
      let outcome: { result?: T; error?: { name: string; message: string }; maxRssBytes?: number } = {};
      try {
        outcome = JSON.parse(readFileSync(resultFile, "utf8"));
      } catch {
        // No result file: the process was killed or died before writing one.
      }
      rmSync(resultDir, { recursive: true, force: true });
      resolve({ ...outcome, exitCode, signal, logs: jsonLogLines(stdout), stdout, stderr });
    });
  });
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf(".");
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
