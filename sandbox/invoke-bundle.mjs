// Runs one Lambda invocation of a bundled handler, the way the Node.js runtime does: import the module
// (its top level is the cold start), then call the export with the event and a context. Plain JavaScript on
// purpose: the bundle must run on bare `node`, with nothing from this repository loaded beside it.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const env = process.env;

// INVOKE_TIME_SCALE=k runs the function's clock k times faster than the wall: Date.now and the delays of
// setTimeout/setInterval, which the SDK's backoff and adaptive rate limiter, p-throttle and the remaining-time
// clock all read. A run that waits on time takes 1/k of it; nothing that does not wait on time changes.
const scale = Number(env.INVOKE_TIME_SCALE || "1");
if (!(scale >= 1)) throw new Error(`INVOKE_TIME_SCALE must be a number ≥ 1, got ${env.INVOKE_TIME_SCALE}`);
if (scale !== 1) {
  const realNow = Date.now.bind(Date);
  const origin = realNow();
  Date.now = () => Math.floor(origin + (realNow() - origin) * scale);
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  globalThis.setTimeout = (callback, delay, ...args) =>
    realSetTimeout(callback, Math.max(0, Number(delay) || 0) / scale, ...args);
  globalThis.setInterval = (callback, delay, ...args) =>
    realSetInterval(callback, Math.max(0, Number(delay) || 0) / scale, ...args);
}
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
  const result = await module[env.INVOKE_EXPORT](JSON.parse(env.INVOKE_EVENT), context);
  write({ result });
} catch (error) {
  write({ error: { name: error?.name ?? "Error", message: error?.message ?? String(error) } });
  console.error(error);
  process.exitCode = 1;
}
