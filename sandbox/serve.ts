/**
 * Starts the sandbox from a shell, prints the variables to export, and stops on Ctrl-C:
 *
 *   npx tsx sandbox/serve.ts [--seed sandbox/demo-seed.json] [--port 4600] [--region us-east-1]
 *                            [--transition-delay-ms 5000]
 */

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { describeMismatch, type SeedSpec, startSandbox } from "./index.ts";

const USAGE =
  "Usage: npx tsx sandbox/serve.ts [--seed <file.json>] [--port <first port>] [--region <region>] [--transition-delay-ms <ms>]";

/** A non-negative integer option, or an error naming the option and the value. */
function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new Error(`--${name} must be a whole number ≥ 0, got ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      port: { type: "string" },
      region: { type: "string" },
      "transition-delay-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = integerOption("port", values.port);
  const transitionDelayMs = integerOption("transition-delay-ms", values["transition-delay-ms"]);
  const seed = values.seed ? (JSON.parse(await readFile(values.seed, "utf8")) as SeedSpec) : undefined;
  const sandbox = await startSandbox({
    ...(values.region && { region: values.region }),
    ...(transitionDelayMs !== undefined && { transitionDelayMs }),
    ...(port !== undefined && { ports: { rekognition: port, cloudwatch: port + 1, dynamodb: port + 2 } }),
    ...(seed && { seed }),
  });

  console.log(`# idle-model-stopper sandbox (account ${sandbox.account}). Paste into another shell:`);
  for (const [name, value] of Object.entries(sandbox.env)) console.log(`export ${name}=${value}`);
  console.log("# Ctrl-C stops it.");

  let stopping = false;
  const stop = () => {
    if (stopping) {
      // A second Ctrl-C means the graceful stop is stuck; give up on it.
      process.exit(130);
    }
    stopping = true;
    const calls = sandbox.calls.length;
    sandbox.stop().then(
      () => {
        console.error(`# sandbox stopped after ${calls} calls`);
        // Answers unlike AWS's API models are the sandbox's bugs (or an input it should have refused): say so.
        for (const mismatch of sandbox.modelMismatches())
          console.error(`# unlike the AWS API models: ${describeMismatch(mismatch)}`);
      },
      (error: unknown) => {
        console.error("# sandbox failed to stop cleanly:", error);
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exitCode = 1;
});
