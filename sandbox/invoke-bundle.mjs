// Runs one Lambda invocation of a bundled handler, the way the Node.js runtime does: import the module
// (its top level is the cold start), then call the export with the event and a context. Plain JavaScript on
// purpose: the bundle must run on bare `node`, with nothing from this repository loaded beside it.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const env = process.env;

// The clock (INVOKE_CLOCK_START, INVOKE_TIME_SCALE) is set by function-clock.mjs, loaded with --import before this.
const remainingAtStart = Number(env.INVOKE_REMAINING_MS);
let started = Date.now();
const context = {
  awsRequestId: env.INVOKE_REQUEST_ID || randomUUID(),
  functionName: "IdleModelStopper-StopperFunction",
  functionVersion: "$LATEST",
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "256",
  getRemainingTimeInMillis: () => Math.max(0, remainingAtStart - (Date.now() - started)),
};

const write = (outcome) =>
  writeFileSync(
    env.INVOKE_RESULT_FILE,
    JSON.stringify({ ...outcome, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
  );

try {
  const module = await import(pathToFileURL(env.INVOKE_MODULE).href);
  // As on Lambda, the invocation's time starts once the module's start-up (the init phase) is over.
  started = Date.now();
  // A large event (the organization's gather step: every item's summary) comes in a file: one environment
  // variable may hold at most 128 KiB on Linux.
  const event = env.INVOKE_EVENT_FILE ? readFileSync(env.INVOKE_EVENT_FILE, "utf8") : env.INVOKE_EVENT;
  const result = await module[env.INVOKE_EXPORT](JSON.parse(event), context);
  write({ result });
} catch (error) {
  write({ error: { name: error?.name ?? "Error", message: error?.message ?? String(error) } });
  console.error(error);
  process.exitCode = 1;
}
