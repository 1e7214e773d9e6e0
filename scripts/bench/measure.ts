/**
 * The bench's measuring: one invocation of the real bundle on a freshly seeded world, turned into real-time
 * figures (wall time, calls and throttles per API, when each API was first and last called, peak RSS, metrics
 * billed); and the bundle's size and import time.
 */

import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { Invocation, SynthesizedFunction } from "../../sandbox/bundle.ts";
import {
  BENCH_RATE_LIMITS,
  type CallRecord,
  describeMismatch,
  scaleRateLimits,
} from "../../sandbox/index.ts";
import { LOG_TABLE_NAME, type StopperSummary, startStopperWorld } from "../../sandbox/stopper-world.ts";
import type { Account, AccountSize } from "./world.ts";

/** The sequential baseline: one call in flight per API, and discovery, tags and metrics one phase after another. */
export const BASELINE_ENV: Readonly<Record<string, string>> = {
  OVERLAP_PHASES: "false",
  DESCRIBE_CONCURRENCY: "1",
  TAG_CONCURRENCY: "1",
  METRICS_CONCURRENCY: "1",
  STOP_CONCURRENCY: "1",
};

/** The runs the bench makes of each account: the two discoveries, and the sequential baseline when asked. */
export const RUN_MODES = {
  "metrics-first": { DISCOVERY: "metrics-first" },
  full: { DISCOVERY: "full" },
  sequential: { ...BASELINE_ENV, DISCOVERY: "full" },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

/** One of {@link RUN_MODES}. */
export type RunMode = keyof typeof RUN_MODES;

// Cap of common/settings.ts on REKOGNITION_TPS.
const REKOGNITION_TPS_CAP = 100;
/** Cap of common/settings.ts on METRICS_TPS. */
export const METRICS_TPS_CAP = 50;

/** How many times the import is timed; the median is reported. */
export const IMPORT_SAMPLES = 5;

/** The option the function's NODE_OPTIONS sets so that stack traces point into the sources. */
const SOURCE_MAPS_OPTION = "--enable-source-maps";

/** The bench's command line. */
export interface BenchOptions {
  readonly sizes: readonly AccountSize[];
  /** Also run the sequential baseline. */
  readonly baseline: boolean;
  /** Whether these are the bench's own account sizes (not `--sizes`): only such a run is recorded. */
  readonly presetSizes: boolean;
  readonly timeScale: number;
  readonly latencyMs: number;
  readonly assetDir: string | undefined;
  /** Check the sandbox's answers against the API models (`--no-model-check` turns it off). */
  readonly modelCheck: boolean;
  /** Function settings for every run, on top of the template's. */
  readonly env: Readonly<Record<string, string>>;
}

/** What one invocation measured, in real (unscaled) units. */
export interface RunFigures {
  readonly label: RunMode;
  readonly wallS: number;
  /** Rekognition calls the function made, every operation and attempt, as the sandbox's call log has them. */
  readonly rekognitionCalls: number;
  readonly rssBytes: number | undefined;
  readonly metricsRequested: number;
  readonly calls: ReadonlyMap<string, { calls: number; throttled: number; errors: number }>;
  readonly phases: ReadonlyMap<string, { firstS: number; lastS: number }>;
  readonly summary: StopperSummary | undefined;
  /** Whether the run scanned every running model and left nothing unfinished. */
  readonly complete: boolean;
  readonly problems: readonly string[];
  /** The sandbox's answers checked against the API models, and the time the check took; none when it was off. */
  readonly modelCheck?: { readonly validated: number; readonly mismatches: number; readonly checkMs: number };
}

/** Invokes the bundle once on a freshly seeded world and returns what it measured, in real units. */
export async function runOnce(
  fn: SynthesizedFunction,
  account: Account,
  options: BenchOptions,
  label: RunMode,
): Promise<RunFigures> {
  const extraEnv = RUN_MODES[label];
  const k = options.timeScale;
  const latencyMs = options.latencyMs / k;
  const world = await startStopperWorld(fn, {
    rateLimits: scaleRateLimits(BENCH_RATE_LIMITS, k),
    faults: { rekognition: { latencyMs }, cloudwatch: { latencyMs }, dynamodb: { latencyMs } },
    checkApiModels: options.modelCheck,
  });
  // The sandbox stamps each call with the wall's time, the function logs its own clock's (the world's, from the
  // pinned instant): both advance with the wall, so one offset turns a call's time into the function's.
  const wallToFunctionMs = world.clock() - Date.now();
  try {
    world.sandbox.seed(account.spec);
    const invocation = await world.invoke(
      { ...functionPacing(fn, k), ...options.env, ...extraEnv },
      // Under a time scale the deadline is not scaled (its margin cannot go below 5 s): the run gets the function's
      // whole timeout, and the 10-minute check is made on the real-time figure instead.
      { requestId: `bench-${account.size.versions}-${label}`, remainingTimeMs: fn.timeoutSeconds * 1000 },
    );
    const run = figures(label, invocation, world.sandbox.calls, account, { k, wallToFunctionMs });
    if (!options.modelCheck) return run;
    const tallies = world.sandbox.modelCheckCounts();
    const sum = (field: "validated" | "mismatches" | "checkMs") =>
      tallies.reduce((total, tally) => total + tally[field], 0);
    const mismatches = world.sandbox.modelMismatches().slice(0, 5).map(describeMismatch);
    return {
      ...run,
      problems: [...run.problems, ...mismatches.map((text) => `unlike the API models: ${text}`)],
      modelCheck: { validated: sum("validated"), mismatches: sum("mismatches"), checkMs: sum("checkMs") },
    };
  } finally {
    await world.stop();
  }
}

/** The function's own pacing, sped up with the world. */
export function functionPacing(fn: SynthesizedFunction, k: number): Record<string, string> {
  const rekognition = Number(fn.environment.REKOGNITION_TPS ?? 5) * k;
  if (rekognition > REKOGNITION_TPS_CAP)
    throw new Error(
      `--time-scale ${k} needs REKOGNITION_TPS=${rekognition}, above the cap of ${REKOGNITION_TPS_CAP} in ` +
        "common/settings.ts; use a smaller scale or raise the cap",
    );
  const metrics = Math.min(METRICS_TPS_CAP, Number(fn.environment.METRICS_TPS ?? 25) * k);
  return { REKOGNITION_TPS: String(rekognition), METRICS_TPS: String(metrics) };
}

const logTime = (line: Record<string, unknown> | undefined) =>
  typeof line?.timestamp === "string" ? Date.parse(line.timestamp) : Number.NaN;

function figures(
  label: RunMode,
  invocation: Invocation<StopperSummary>,
  calls: readonly CallRecord[],
  account: Account,
  time: { readonly k: number; readonly wallToFunctionMs: number },
): RunFigures {
  const { k, wallToFunctionMs } = time;
  const problems: string[] = [];
  // The handler's own time: from the cold start's configuration line to the summary line, both logged by it.
  const started = logTime(invocation.logs.find((line) => line.message === "configuration"));
  const ended = logTime(invocation.logs.find((line) => line.message === "run summary"));
  if (!Number.isFinite(started) || !Number.isFinite(ended))
    problems.push("the run logged no configuration or summary line");
  const summary = invocation.result;
  const unfinished = (summary?.unfinished as unknown[] | undefined)?.length ?? 0;
  if (!summary)
    problems.push(`the handler failed: ${invocation.error?.message ?? invocation.stderr.slice(0, 500)}`);
  else {
    if (summary.scanned !== account.size.running)
      problems.push(`scanned ${summary.scanned} running models, expected ${account.size.running}`);
    if (summary.stopped.length !== account.expectedStops)
      problems.push(`stopped ${summary.stopped.length}, expected ${account.expectedStops}`);
    if (summary.errors.length > 0)
      problems.push(`${summary.errors.length} errors, first: ${summary.errors[0]?.message}`);
    if (unfinished > 0) problems.push(`${unfinished} projects or models unfinished`);
  }

  const byOperation = new Map<string, { calls: number; throttled: number; errors: number }>();
  const phases = new Map<string, { firstS: number; lastS: number }>();
  let metricsRequested = 0;
  let rekognitionCalls = 0;
  for (const call of calls) {
    const receivedAt = call.receivedAt + wallToFunctionMs;
    // The world's own set-up (the log table's creation) is not the function's.
    if (receivedAt < started) continue;
    if (call.service === "rekognition") rekognitionCalls += 1;
    const key =
      call.service === "rekognition" || call.service === "cloudwatch"
        ? call.operation
        : `${call.service}:${call.operation}`;
    const entry = byOperation.get(key) ?? { calls: 0, throttled: 0, errors: 0 };
    entry.calls += 1;
    if (call.rateLimited) entry.throttled += 1;
    else if (call.outcome !== "ok") entry.errors += 1;
    byOperation.set(key, entry);
    // CloudWatch bills the metrics of the calls it answers.
    if (call.operation === "GetMetricData" && call.outcome === "ok")
      metricsRequested += Number(call.input.queryCount ?? 0);
    const firstS = ((receivedAt - started) / 1000) * k;
    const lastS = ((receivedAt + call.durationMs - started) / 1000) * k;
    const phase = phases.get(key);
    phases.set(
      key,
      phase
        ? { firstS: Math.min(phase.firstS, firstS), lastS: Math.max(phase.lastS, lastS) }
        : { firstS, lastS },
    );
  }
  return {
    label,
    wallS: ((ended - started) / 1000) * k,
    rekognitionCalls,
    rssBytes: invocation.maxRssBytes,
    metricsRequested,
    calls: byOperation,
    phases,
    summary,
    complete: summary !== undefined && summary.scanned === account.size.running && unfinished === 0,
    problems,
  };
}
/** The bundle's size and import times. */
export interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number | undefined;
  readonly importMs: number;
  readonly emptyMs: number;
  readonly nodeOptions: string;
  /**
   * The median import with the function's NODE_OPTIONS less `--enable-source-maps`, when it has that flag: what
   * readable stack traces cost at cold start (Node reads and parses the map as it loads the module).
   */
  readonly importWithoutSourceMapsMs?: number;
}

/** Times one `node` process from spawn to exit; rejects when it fails. */
function timeNode(args: string[], env: Record<string, string>, cwd: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`node ${args.join(" ")} exited with ${code}: ${stderr.slice(0, 1000)}`));
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Size of the bundle, and the median time to import it in a fresh `node` against an empty `node`. */
export async function measureBundle(fn: SynthesizedFunction): Promise<BundleFigures> {
  const file = join(fn.assetDir, `${fn.handler.slice(0, fn.handler.lastIndexOf("."))}.mjs`);
  const code = readFileSync(file);
  let mapBytes: number | undefined;
  try {
    mapBytes = statSync(`${file}.map`).size;
  } catch {
    mapBytes = undefined;
  }
  // The function's environment, so the import runs the whole cold start: settings parsed, clients built.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...fn.environment,
    LOG_TABLE_NAME,
    NOTIFICATION_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:idle-model-stopper-notifications",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "BENCHACCESSKEYID",
    AWS_SECRET_ACCESS_KEY: "bench-secret-access-key",
  };
  const importArgs = [
    "--input-type=module",
    "-e",
    `await import(${JSON.stringify(pathToFileURL(file).href)})`,
  ];
  const emptyArgs = ["-e", ""];
  const nodeOptions = env.NODE_OPTIONS ?? "";
  const options = nodeOptions.split(/\s+/).filter(Boolean);
  const envWithoutMaps = options.includes(SOURCE_MAPS_OPTION)
    ? { ...env, NODE_OPTIONS: options.filter((option) => option !== SOURCE_MAPS_OPTION).join(" ") }
    : undefined;
  // One of each first, so the file cache is warm for every sample.
  await timeNode(importArgs, env, fn.assetDir);
  await timeNode(emptyArgs, env, fn.assetDir);
  const imports: number[] = [];
  const empties: number[] = [];
  const importsWithoutMaps: number[] = [];
  for (let sample = 0; sample < IMPORT_SAMPLES; sample += 1) {
    empties.push(await timeNode(emptyArgs, env, fn.assetDir));
    imports.push(await timeNode(importArgs, env, fn.assetDir));
    if (envWithoutMaps) importsWithoutMaps.push(await timeNode(importArgs, envWithoutMaps, fn.assetDir));
  }
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    mapBytes,
    importMs: median(imports),
    emptyMs: median(empties),
    nodeOptions,
    ...(envWithoutMaps && { importWithoutSourceMapsMs: median(importsWithoutMaps) }),
  };
}
