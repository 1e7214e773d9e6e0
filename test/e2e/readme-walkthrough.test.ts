/**
 * The README's "Trying it locally" walkthrough, run as written. The commands are taken from the section's own code
 * blocks: the first starts the sandbox (`npm run sandbox`), the second is what the user pastes into another shell.
 * The sandbox must print exactly that second block (its exports and its "try this" list), and each command of it
 * must work against the sandbox: scan, one run of the real bundle, history, and the restart of a model that run
 * stopped. So the README cannot drift from what works.
 *
 * The sandbox runs on the wall clock, as it does for a user; what is asserted does not depend on the minute (the
 * idle models have been idle for days, the busy ones were called minutes ago).
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type ChildRun, childRun } from "../support/child-run.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
/** How long the sandbox may take to come up: a cold synth and compile on a busy 2-core machine. */
const STARTUP_MS = 300_000;

/** The `sh` code blocks of the README's "Trying it locally" section, each as its lines. */
function walkthroughBlocks(readme: string): string[][] {
  const start = readme.indexOf("\n## Trying it locally\n");
  assert.ok(start >= 0, "the README has a Trying it locally section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    (match[1] as string).trimEnd().split("\n"),
  );
}

/** A line that is a command (not a comment, not blank), without a trailing comment. */
const commandsOf = (lines: readonly string[]) =>
  lines
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

/** The environment of a user's shell: theirs, without any AWS setting or table that could leak in. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith("AWS_") && name !== "IDLE_MODEL_STOPPER_TABLE")
      env[name] = value;
  return { ...env, AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" };
}

interface Run extends ChildRun {
  readonly command: string;
}

/** Runs one command of the block in bash, after the block's export lines, as a second shell would. */
async function inShell(exports: readonly string[], command: string): Promise<Run> {
  const child = spawn("bash", ["-c", [...exports, command].join("\n")], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { command, ...(await childRun(child)) };
}

const blocks = walkthroughBlocks(README);
const [startBlock = [], pasteBlock = []] = blocks;
let sandbox: ChildProcess | undefined;
let sandboxOut = "";
let sandboxErr = "";
let sandboxExit: Promise<number | null> | undefined;
const runs = new Map<string, Run>();
const REFUSED_INVOKES = ["npm run invoke -- --set IDLE_MINUTE=120", "npm run invoke -- --set IDLE_MINUTES=5"];
const refused = new Map<string, Run>();

before(
  async () => {
    const [startCommand] = commandsOf(startBlock);
    assert.equal(startCommand, "npm run sandbox", "the section's first block starts the sandbox");
    // A process group of its own, so the whole of it (npm, tsx, node) is stopped by its id at the end.
    sandbox = spawn("bash", ["-c", startCommand], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const child = sandbox;
    sandboxExit = new Promise((resolve) => child.on("close", (code) => resolve(code)));
    child.stderr?.on("data", (chunk) => (sandboxErr += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm run sandbox was not up after ${STARTUP_MS / 1000} s:\n${sandboxErr}`)),
        STARTUP_MS,
      );
      child.stdout?.on("data", (chunk) => {
        sandboxOut += chunk;
        if (sandboxOut.includes("# Ctrl-C stops the sandbox.")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`npm run sandbox ended (exit ${code}) before it was up:\n${sandboxErr}`));
      });
    });
    // The commands depend on each other (the run stops what restart starts): one after the other, in order.
    const exports = pasteBlock.filter((line) => line.startsWith("export "));
    // First, the two --set mistakes the README says fail before anything runs: the block's run must find the account
    // untouched.
    for (const command of REFUSED_INVOKES) refused.set(command, await inShell(exports, command));
    for (const command of commandsOf(pasteBlock).filter((line) => !line.startsWith("export ")))
      runs.set(command.split(" ").slice(0, 3).join(" "), await inShell(exports, command));
  },
  { timeout: STARTUP_MS + 180_000 },
);

after(async () => {
  // Whatever happened above, nothing this file started is left running.
  if (sandbox?.pid !== undefined && sandbox.exitCode === null && sandbox.signalCode === null) {
    try {
      process.kill(-sandbox.pid, "SIGTERM");
    } catch {
      // The group is already gone.
    }
  }
  await sandboxExit;
});

const run = (prefix: string): Run => {
  const found = runs.get(prefix);
  assert.ok(found, `the walkthrough has a command starting with ${prefix}`);
  return found;
};

describe("the README's walkthrough against npm run sandbox", () => {
  it("is exactly what the sandbox prints: the exports for the SDK, the CLI and the AWS CLI, then the commands to try", () => {
    // Prepare
    const printed = sandboxOut
      .split("\n")
      .filter((line) => line.startsWith("export ") || line.startsWith("npx ") || line.startsWith("npm "));

    // Assess
    assert.deepEqual(
      commandsOf(pasteBlock),
      printed.filter((line) => !line.startsWith("npm run sandbox")),
    );
    assert.ok(
      printed.includes("export AWS_DEFAULT_REGION=us-east-1"),
      "the AWS CLI v1 reads AWS_DEFAULT_REGION",
    );
    for (const service of ["REKOGNITION", "CLOUDWATCH", "DYNAMODB", "SNS", "CLOUDFORMATION"])
      assert.ok(
        printed.some((line) => line.startsWith(`export AWS_ENDPOINT_URL_${service}=http://127.0.0.1:`)),
        service,
      );
  });

  it("scan shows what a run would stop, and the tag that looks like an opt-out but is not", () => {
    const scan = run("npx idle-model-stopper scan");

    assert.equal(scan.code, 0, scan.stderr);
    assert.match(scan.stdout, /^crop-health\/crop-health\.2026-q4\s+3\s.*would stop\s+\$12\.00\s+idle:/m);
    assert.match(
      scan.stdout,
      /^logo-finder\/logo-finder\.prod\s.*keep\s+\$4\.00\s+opted out: tag auto-stop=never/m,
    );
    // Metrics-first discovery, the default, judges the models whose InServiceInferenceUnits it finds: not
    // pallet-counter.v1, which publishes none, nor shelf-audit.v9, just started (`scan --full` lists both).
    assert.match(scan.stdout, /^Would stop 3 of 8 running models, saving about \$24\.00\/h\.$/m);
    assert.match(
      scan.stdout,
      /^- crop-health\/crop-health\.2026-q4: tag Auto-Stop=never on the project looks like an opt-out but does nothing/m,
    );
  });

  it("npm run invoke refuses a misspelled variable or a bad value in one line, and runs nothing", () => {
    const [misspelled, bad] = REFUSED_INVOKES.map((command) => refused.get(command) as Run) as [Run, Run];

    assert.equal(misspelled.code, 2, misspelled.stderr);
    assert.match(
      misspelled.stderr,
      /^error: Invalid --set: IDLE_MINUTE is not a variable of the function\. Allowed: .*\bIDLE_MINUTES\b/m,
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /^error: Invalid IDLE_MINUTES: "5"\. Allowed: a whole number of minutes from 15/m,
    );
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
    assert.doesNotMatch(`${misspelled.stderr}${bad.stderr}`, /Running the bundle/);
  });

  it("npm run invoke runs the real bundle once and it stops the idle models", () => {
    const invoke = run("npm run invoke");

    assert.equal(invoke.code, 0, invoke.stderr);
    assert.match(
      invoke.stdout,
      /: scanned 8 running models, stopped 3, kept 5, errors 0; saving about \$24\.00\/h\.$/m,
    );
    for (const model of [
      "crop-health/crop-health.2026-q4",
      "defect-detection/defect-detection.2026-11-27",
      "shelf-audit/shelf-audit.v7",
    ])
      assert.match(invoke.stdout, new RegExp(`^ {2}stopped ${model.replaceAll(".", "\\.")} `, "m"));
  });

  it("history finds the log table through the stack's output and lists the run's stops", () => {
    const history = run("npx idle-model-stopper history");

    assert.equal(history.code, 0, history.stderr);
    assert.match(
      history.stderr,
      /Log table idle-model-stopper-log in us-east-1 \(from output LogTableName of stack IdleModelStopper\)/,
    );
    assert.match(
      history.stdout,
      /^\S+\s+crop-health\/crop-health\.2026-q4\s+us-east-1\s+STOPPING\s+3\s+\$12\.00\s/m,
    );
    assert.match(history.stdout, /: 3 stops of 3 models\.$/m);
  });

  it("restart starts again, with its units, a model the run stopped", () => {
    const restart = run("npx idle-model-stopper restart");

    assert.equal(restart.code, 0, restart.stderr);
    assert.equal(
      restart.stdout,
      "Started crop-health/crop-health.2026-q4 in us-east-1 with MinInferenceUnits=3: status STARTING.\n",
    );
  });

  it("prints no AWS SDK warning about the Node.js version, on any command", () => {
    for (const each of [...runs.values()])
      assert.ok(!each.stderr.includes("NodeVersionSupportWarning"), each.command);
    assert.ok(!sandboxErr.includes("NodeVersionSupportWarning"));
  });

  it("stops on Ctrl-C (SIGTERM here) having seen no call the function's role would refuse, nor an answer unlike AWS's", async () => {
    // Act
    if (sandbox?.pid !== undefined) process.kill(-sandbox.pid, "SIGTERM");
    await sandboxExit;

    // Assess
    assert.match(sandboxErr, /^# sandbox stopped after \d+ calls$/m);
    assert.ok(!/unlike the AWS API models|denied|refuse/i.test(sandboxErr), sandboxErr);
  });
});
