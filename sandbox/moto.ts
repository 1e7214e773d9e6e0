/**
 * moto (https://github.com/getmoto/moto), a Python emulator of AWS that this repository did not write, run as a
 * server on a free 127.0.0.1 port for the end-to-end tests: CloudWatch, DynamoDB and SNS answer from it while the
 * sandbox keeps Rekognition (no public emulator implements the Custom Labels project APIs). Python and moto are
 * optional: `findMoto()` says why they cannot be used, and the tests skip with that reason.
 */

import { type ChildProcessByStdio, spawn, spawnSync } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/** The environment variable naming the Python interpreter to run moto with. @default "python3" */
export const PYTHON_VARIABLE = "IMS_PYTHON";

/** The moto major version the tests were written against (its server reads AWS JSON 1.0 for CloudWatch). */
export const MOTO_MAJOR = 5;

/** moto found and usable. */
export interface MotoFound {
  readonly available: true;
  /** The interpreter's own path (`sys.executable`), so the server's PID is Python's and not a shim's. */
  readonly python: string;
  /** moto's version, e.g. `5.2.1`. */
  readonly version: string;
}

/** moto not usable, and why, in one sentence. */
export interface MotoMissing {
  readonly available: false;
  readonly reason: string;
}

/** Thrown when the moto server does not start or does not answer. */
export class MotoStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MotoStartError";
  }
}

// Imports the server too: `pip install moto` without the `[server]` extra has no flask and cannot serve.
const PROBE = "import sys, moto, moto.server; print(sys.executable); print(moto.__version__)";

/** Whether Python and moto's server can be used here; never throws. */
export function findMoto(python = process.env[PYTHON_VARIABLE] || "python3"): MotoFound | MotoMissing {
  const probe = spawnSync(python, ["-c", PROBE], { encoding: "utf8", timeout: 60_000 });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return {
      available: false,
      reason:
        code === "ENOENT"
          ? `${python} was not found (set ${PYTHON_VARIABLE} to a Python 3 interpreter that has moto[server] ${MOTO_MAJOR})`
          : `${python} could not be run: ${probe.error.message}`,
    };
  }
  if (probe.status !== 0) {
    const lastLine = probe.stderr.trim().split("\n").pop() ?? "";
    const module = /No module named '([^']+)'/.exec(lastLine)?.[1];
    return {
      available: false,
      reason:
        module === "moto"
          ? `moto is not installed for ${python} (pip install 'moto[server]>=${MOTO_MAJOR}')`
          : module !== undefined
            ? `moto's server cannot start under ${python}: no module ${module} (pip install 'moto[server]>=${MOTO_MAJOR}')`
            : `${python} could not import moto: ${lastLine || `exit code ${probe.status}`}`,
    };
  }
  const [executable = "", version = ""] = probe.stdout.trim().split("\n");
  const major = Number(version.split(".")[0]);
  if (!(major >= MOTO_MAJOR))
    return {
      available: false,
      reason: `moto ${version} is installed for ${python}, but the tests need moto ${MOTO_MAJOR} or later`,
    };
  return { available: true, python: executable, version };
}

/** A message moto's SNS accepted for a topic. */
export interface MotoSnsMessage {
  readonly messageId: string;
  readonly message: string;
  readonly subject?: string;
}

/** A running moto server. */
export interface MotoServer {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The Python process's id; `stop()` ends this process and no other. */
  readonly pid: number;
  readonly version: string;
  /** The latest 64 KiB of its output (Werkzeug's request log and any traceback), for a failing test to show. */
  output(): string;
  /** Forgets every resource of every service (moto's `/moto-api/reset`). */
  reset(): Promise<void>;
  /** The messages published to an SNS topic, oldest first, read through moto's inspection API. */
  snsMessages(topicArn: string): Promise<MotoSnsMessage[]>;
  /** Ends the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** How to start moto. */
export interface MotoOptions {
  /** The interpreter and version from {@link findMoto}. */
  readonly moto: MotoFound;
  /** How long to wait for the server to listen and answer. @default 60 000 ms (Python starts slowly on a busy machine) */
  readonly startTimeoutMs?: number;
}

// The server, with a guard: a thread that reads stdin and ends the process when it closes, so a test process that
// dies without calling stop() (a runner timeout, SIGKILL) does not leave moto running.
const SERVER = [
  "import os, sys, threading",
  "def watch():",
  "    sys.stdin.read()",
  "    os._exit(0)",
  "threading.Thread(target=watch, daemon=True).start()",
  "from moto.server import main",
  "main(['--host', '127.0.0.1', '--port', '0'])",
].join("\n");

const LISTENING = /Running on (http:\/\/127\.0\.0\.1:\d+)/;
const OUTPUT_KEPT = 65_536;

/** Starts moto's server on a free loopback port and waits until it answers. */
export async function startMoto(options: MotoOptions): Promise<MotoServer> {
  const { moto } = options;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(moto.python, ["-c", SERVER], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  const pid = child.pid;
  let output = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  const listening = new Promise<string>((resolve, reject) => {
    let found = false;
    const read = (chunk: Buffer) => {
      // Werkzeug logs every request: keep the latest 64 KiB.
      output = `${output}${chunk.toString("utf8")}`;
      if (output.length > OUTPUT_KEPT) output = output.slice(-OUTPUT_KEPT);
      const match = found ? undefined : LISTENING.exec(output);
      if (match?.[1]) {
        found = true;
        resolve(match[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("error", reject);
    void exit.then(() =>
      reject(
        new MotoStartError(`moto exited (${exited?.signal ?? exited?.code}) before listening:\n${output}`),
      ),
    );
  });
  // Awaited below; this keeps a failure that comes after start-up was given up on from going unhandled.
  listening.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited && pid !== undefined) {
        signal(pid, "SIGTERM");
        const ended = await Promise.race([exit.then(() => true), sleep(5_000, false, { ref: false })]);
        if (!ended) {
          signal(pid, "SIGKILL");
          await exit;
        }
      }
      child.stdin.destroy();
    })();
    return stopping;
  };
  try {
    if (pid === undefined) throw new MotoStartError(`${moto.python} could not be started`);
    const deadline = AbortSignal.timeout(timeoutMs);
    const url = await Promise.race([
      listening,
      new Promise<never>((_, reject) =>
        deadline.addEventListener("abort", () =>
          reject(new MotoStartError(`moto did not listen within ${timeoutMs} ms:\n${output}`)),
        ),
      ),
    ]);
    await waitUntilAnswering(url, deadline);
    return {
      url,
      pid,
      version: moto.version,
      output: () => output,
      async reset() {
        const response = await fetch(`${url}/moto-api/reset`, { method: "POST" });
        if (!response.ok) throw new Error(`moto's reset answered ${response.status}`);
      },
      snsMessages: (topicArn) => snsMessages(url, topicArn),
      stop,
    };
  } catch (error) {
    await stop();
    throw error instanceof MotoStartError
      ? error
      : new MotoStartError(`moto did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
}

/** Signals the process, unless it has just exited by itself. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Polls moto's configuration endpoint, the cheapest thing it answers, until it does. */
async function waitUntilAnswering(url: string, deadline: AbortSignal): Promise<void> {
  let lastError: unknown;
  while (!deadline.aborted) {
    try {
      const response = await fetch(`${url}/moto-api/config`, { signal: deadline });
      await response.arrayBuffer();
      if (response.ok) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw new MotoStartError(`moto listened at ${url} but did not answer in time`, { cause: lastError });
}

interface MotoTopic {
  readonly arn?: unknown;
  readonly sent_notifications?: unknown;
}

/**
 * moto's `/moto-api/data.json` lists every model instance with its public attributes; an SNS Topic keeps what was
 * published to it in `sent_notifications`, as `[messageId, message, subject, attributes, groupId]`.
 */
async function snsMessages(url: string, topicArn: string): Promise<MotoSnsMessage[]> {
  const response = await fetch(`${url}/moto-api/data.json`);
  if (!response.ok) throw new Error(`moto's data.json answered ${response.status}`);
  const data = (await response.json()) as { sns?: { Topic?: MotoTopic[] } };
  const topic = data.sns?.Topic?.find((candidate) => candidate.arn === topicArn);
  if (!topic) throw new Error(`moto has no SNS topic ${topicArn}`);
  if (!Array.isArray(topic.sent_notifications))
    throw new Error("moto's data.json has no sent_notifications on the topic: its inspection API changed");
  return topic.sent_notifications.map((entry: unknown) => {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string")
      throw new Error(`moto's sent_notifications entry has an unknown shape: ${JSON.stringify(entry)}`);
    return {
      messageId: entry[0],
      message: entry[1],
      ...(typeof entry[2] === "string" && { subject: entry[2] }),
    };
  });
}
