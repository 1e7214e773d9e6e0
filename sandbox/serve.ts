/**
 * `npm run sandbox`: a whole local account with the stopper deployed into it, kept up until Ctrl-C. Rekognition,
 * CloudWatch, SNS, DynamoDB with the log table created from the synthesized template (same keys, same index), and
 * CloudFormation answering DescribeStacks for the stack `IdleModelStopper` with its outputs, so the CLI finds the
 * table as it does in AWS. It seeds the demo's account (sandbox/demo-account.ts) unless `--seed` gives another,
 * compiles the CLI if needed, then prints the variables to export and a short list of commands to try.
 *
 *   npm run sandbox [-- --port <first port>] [--seed <file.json>] [--region <region>] [--transition-delay-ms <ms>]
 *
 * The six services take consecutive ports from `--port` (default 4600), in the order of SANDBOX_SERVICES;
 * `--port 0` lets the system choose free ones. A port already taken ends it at once, naming the port.
 */

import { readFile } from "node:fs/promises";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { quietUnsupportedNode } from "../cli/node-support.ts";
import { ensureCompiled } from "../scripts/build/compile.ts";
import { demoAccount } from "./demo-account.ts";
import {
  describeMismatch,
  PortInUseError,
  SANDBOX_SERVICES,
  type SandboxService,
  type SeedSpec,
} from "./index.ts";
import { LOG_TABLE_NAME, startStopperWorld } from "./stopper-world.ts";
import { synthesizeCached } from "./synth-cache.ts";

/** The first port when `--port` is not given: the README's exports name these ports. */
export const DEFAULT_FIRST_PORT = 4600;

const USAGE =
  "Usage: npm run sandbox [-- --port <first port, default 4600; 0 for free ports>] [--seed <file.json>] " +
  "[--region <region>] [--transition-delay-ms <ms>]";

/** Exit codes, as the CLI's: 1 something could not be done (a port is taken), 2 wrong usage. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** A command line the sandbox cannot run. */
class SandboxUsageError extends Error {
  override readonly name = "SandboxUsageError";
}

/** A non-negative integer option, or an error naming the option and the value. */
function integerOption(
  name: string,
  value: string | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || parsed > max)
    throw new SandboxUsageError(
      `Invalid --${name}: ${JSON.stringify(value)}. Allowed: a whole number from 0 to ${max}`,
    );
  return parsed;
}

/** Each service's port: consecutive from `first` in the order of SANDBOX_SERVICES, or all 0. */
export function servicePorts(first: number): Record<SandboxService, number> {
  return Object.fromEntries(
    SANDBOX_SERVICES.map((service, index) => [service, first === 0 ? 0 : first + index]),
  ) as Record<SandboxService, number>;
}

/** The first taken port of the list, or undefined when all are free (each is opened and closed at once). */
async function firstTakenPort(ports: Record<SandboxService, number>): Promise<PortInUseError | undefined> {
  for (const service of SANDBOX_SERVICES) {
    const port = ports[service];
    if (port === 0) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (!free) return new PortInUseError(service, port);
  }
  return undefined;
}

/** The lines to paste into another shell: the SDK's and the AWS CLI's variables. */
export function exportLines(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `export ${name}=${value}`);
}

/** The commands to try, each of which works exactly as printed against this sandbox. */
export function tryThis(restartArn: string | undefined): string[] {
  return [
    "npx idle-model-stopper scan",
    "npm run invoke",
    "npx idle-model-stopper history",
    restartArn === undefined
      ? "npx idle-model-stopper restart <the ARN of a model the run stopped, from history --json> --yes"
      : `npx idle-model-stopper restart ${restartArn} --yes`,
  ];
}

async function main(): Promise<number> {
  const notice = quietUnsupportedNode(process.env, process.version, "npm run sandbox");
  if (notice) process.stderr.write(`${notice}\n`);
  let values: {
    seed?: string;
    port?: string;
    region?: string;
    "transition-delay-ms"?: string;
    help?: boolean;
  };
  let first: number;
  let transitionDelayMs: number;
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: "string" },
        port: { type: "string" },
        region: { type: "string" },
        "transition-delay-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
    first = integerOption("port", values.port, 65535 - SANDBOX_SERVICES.length + 1) ?? DEFAULT_FIRST_PORT;
    transitionDelayMs = integerOption("transition-delay-ms", values["transition-delay-ms"]) ?? 0;
    if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(values.region))
      throw new SandboxUsageError(
        `Invalid --region: ${JSON.stringify(values.region)}. Allowed: a region code such as us-east-1`,
      );
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message.split(". To specify")[0]}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const ports = servicePorts(first);
  const taken = await firstTakenPort(ports);
  if (taken) return portTaken(taken);

  const seed: SeedSpec = values.seed
    ? (JSON.parse(await readFile(values.seed, "utf8")) as SeedSpec)
    : { projects: demoAccount(Date.now()) };
  process.stderr.write(
    "Compiling the CLI and synthesizing the app (each reused while its sources are unchanged)…\n",
  );
  await ensureCompiled();
  const { fn } = await synthesizeCached();
  let world: Awaited<ReturnType<typeof startStopperWorld>>;
  try {
    world = await startStopperWorld(fn, {
      seed,
      clock: Date.now,
      ports,
      transitionDelayMs,
      ...(values.region !== undefined && { region: values.region }),
    });
  } catch (error) {
    if (error instanceof PortInUseError) return portTaken(error);
    throw error;
  }
  const { sandbox } = world;
  const restartArn = values.seed
    ? undefined
    : sandbox.rekognition.modelArn("crop-health", "crop-health.2026-q4", sandbox.region);
  const lines = [
    `# idle-model-stopper sandbox: account ${sandbox.account} in ${sandbox.region}, ${sandbox.rekognition.models().length} models` +
      `${values.seed ? ` from ${values.seed}` : " (the demo's account)"}, the stack ${fn.stackName} and its log table ${LOG_TABLE_NAME}.`,
    "# In another shell in this folder, paste these (the AWS SDK, this CLI and the AWS CLI read them), then try the commands:",
    ...exportLines({ ...sandbox.env }),
    ...tryThis(restartArn),
    "# Ctrl-C stops the sandbox.",
  ];
  console.log(lines.join("\n"));

  return new Promise<number>((resolve) => {
    let stoppingSince: number | undefined;
    const stop = () => {
      if (stoppingSince !== undefined) {
        // The same Ctrl-C often arrives twice (the terminal's, and tsx relaying it): only a later one means the
        // graceful stop is stuck and should be given up.
        if (performance.now() - stoppingSince > 2000) process.exit(130);
        return;
      }
      stoppingSince = performance.now();
      const calls = sandbox.calls.length;
      world.stop().then(
        () => {
          // Answers unlike AWS's API models are the sandbox's bugs (or an input it should have refused): say so.
          const mismatches = sandbox.modelMismatches();
          for (const mismatch of mismatches)
            process.stderr.write(`# unlike the AWS API models: ${describeMismatch(mismatch)}\n`);
          process.stderr.write(`# sandbox stopped after ${calls} calls\n`);
          resolve(mismatches.length === 0 ? 0 : EXIT_FAILED);
        },
        (error: unknown) => {
          // The bundle's calls are checked against the template's role: a call it would refuse is told here.
          process.stderr.write(`# ${error instanceof Error ? error.message : String(error)}\n`);
          resolve(EXIT_FAILED);
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function portTaken(error: PortInUseError): number {
  process.stderr.write(
    `error: ${error.message}. Stop what holds it, or pass --port <n> to place the ${SANDBOX_SERVICES.length} ` +
      `services on n to n+${SANDBOX_SERVICES.length - 1}.\n`,
  );
  return EXIT_FAILED;
}

// Run from a shell (npm run sandbox), not when a test imports the helpers above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_FAILED;
    },
  );
