/**
 * `npm run bench`: the real Lambda bundle against the sandbox with AWS-like rate limits and latency, on accounts of
 * 1,000, 10,000 and 50,000 model versions. For each it prints the wall time, the calls and throttles per API, the
 * floor the rate limits set, the ratio between the two, the peak RSS and the CloudWatch cost, for the default
 * settings and for a sequential baseline; then the bundle's size and import time, and the targets.
 *
 *   npm run bench [-- --sizes 1000,10000] [--no-baseline] [--time-scale 20] [--latency-ms 25] [--asset-dir <dir>]
 *                 [--no-model-check]
 *                 [--env STOP_CONCURRENCY=5 …]
 *
 * At real speed the 50,000-version account alone needs 400 s of DescribeProjectVersions at 5 TPS, so by default
 * the whole world runs `--time-scale` times faster: the sandbox's limits are that many times higher, its latency
 * that many times shorter, and the function's own pacing (REKOGNITION_TPS, METRICS_TPS) that many times faster.
 * Every duration printed is converted back to real seconds (measured × scale). `--time-scale 1` runs at real speed.
 */

import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { gzipSync } from "node:zlib";
import { type Invocation, type SynthesizedFunction, synthesize } from "../sandbox/bundle.ts";
import {
  BENCH_RATE_LIMITS,
  type CallRecord,
  describeMismatch,
  type RateLimitSettings,
  type SeedProject,
  type SeedSpec,
  type SeedVersion,
  scaleRateLimits,
} from "../sandbox/index.ts";
import { normalizeRateLimit } from "../sandbox/rate-limits.ts";
import { LOG_TABLE_NAME, type StopperSummary, startStopperWorld } from "../sandbox/stopper-world.ts";

const USAGE =
  "Usage: npm run bench -- [--sizes 1000,10000,50000] [--no-baseline] [--time-scale <k>] [--latency-ms <ms>]\n" +
  "  --sizes        account sizes in versions (1000, 10000, 50000) or versions/projects/running, e.g. 2000/100/40\n" +
  "  --no-baseline  skip the sequential baseline runs\n" +
  "  --no-model-check  do not check the sandbox's answers against the API models (to measure what that costs)\n" +
  `  --time-scale   run k times faster than real and report real seconds (default ${20}; 1 = real speed)\n` +
  "  --latency-ms   latency the sandbox adds to every AWS call, in real milliseconds (default 25)\n" +
  "  --asset-dir    run the index.mjs of this folder instead of the synthesized one (to measure a bundling change)\n" +
  "  --env          KEY=VALUE for the function in every run, e.g. STOP_CONCURRENCY=5 (repeatable; the baseline's\n" +
  "                 concurrency settings still win)";

/** The account sizes of the issue: versions, projects, running models. */
const PRESET_SIZES: readonly AccountSize[] = [
  { versions: 1_000, projects: 50, running: 20 },
  { versions: 10_000, projects: 500, running: 200 },
  { versions: 50_000, projects: 2_000, running: 500 },
];
const DEFAULT_TIME_SCALE = 20;
const DEFAULT_LATENCY_MS = 25;
/** The size the final line and the ratio, RSS and speed-up targets are about. */
const HEADLINE_VERSIONS = 10_000;

/** The sequential baseline: one call in flight per API, and discovery, tags and metrics one phase after another. */
const BASELINE_ENV: Readonly<Record<string, string>> = {
  OVERLAP_PHASES: "false",
  DESCRIBE_CONCURRENCY: "1",
  TAG_CONCURRENCY: "1",
  METRICS_CONCURRENCY: "1",
  STOP_CONCURRENCY: "1",
};

/** Caps of common/settings.ts on the function's own pacing. */
const REKOGNITION_TPS_CAP = 100;
const METRICS_TPS_CAP = 50;

// The issue's targets.
const TARGET_RATIO = 1.3;
const TARGET_TIMEOUT_S = 600;
const TARGET_RSS_BYTES = 128 * 1024 * 1024;
const TARGET_BUNDLE_BYTES = 350_000;
const TARGET_IMPORT_MS = 150;
const USD_PER_METRIC = 0.01 / 1000;
const METRICS_PER_MODEL = 5;
const QUERIES_PER_CALL = 500;
const PAGE_SIZE = 100;
const IMPORT_SAMPLES = 5;

interface AccountSize {
  readonly versions: number;
  readonly projects: number;
  readonly running: number;
}

interface BenchOptions {
  readonly sizes: readonly AccountSize[];
  readonly baseline: boolean;
  readonly timeScale: number;
  readonly latencyMs: number;
  readonly assetDir: string | undefined;
  /** Check the sandbox's answers against the API models (`--no-model-check` turns it off). */
  readonly modelCheck: boolean;
  /** Function settings for every run, on top of the template's. */
  readonly env: Readonly<Record<string, string>>;
}

/** The deterministic account of one size, and what a correct run over it must do. */
interface Account {
  readonly size: AccountSize;
  readonly spec: SeedSpec;
  readonly idle: number;
  readonly expectedStops: number;
  /** Required calls per API, from the account's shape. */
  readonly required: Readonly<Record<string, number>>;
}

/** What one invocation measured, in real (unscaled) units. */
interface RunFigures {
  readonly label: string;
  readonly wallS: number;
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

// ---------- the account

const MINUTE_SPAN = 660; // 11 hours of InServiceInferenceUnits, more than the 3-hour window needs

/**
 * Spreads the versions over the projects and the running models one per project, evenly. Most versions are
 * STOPPED. Running models cycle through eight kinds: 2 idle for 11 hours (stopped, up to the cap), 3 in use, 1
 * started 90 minutes ago, 1 opted out by its own tag, 1 snoozed by its project's tag.
 */
function buildAccount(size: AccountSize, maxStops: number): Account {
  const { versions, projects, running } = size;
  const projectOfRunning = new Map<number, number>();
  for (let i = 0; i < running; i += 1) projectOfRunning.set(Math.floor((i * projects) / running), i);
  let idle = 0;
  let describeVersionPages = 0;
  const seedProjects: SeedProject[] = [];
  for (let p = 0; p < projects; p += 1) {
    const count = Math.floor(versions / projects) + (p < versions % projects ? 1 : 0);
    describeVersionPages += Math.max(1, Math.ceil(count / PAGE_SIZE));
    const runningIndex = projectOfRunning.get(p);
    const kind = runningIndex === undefined ? undefined : runningIndex % 8;
    const projectVersions: SeedVersion[] = [];
    for (let v = 0; v < count; v += 1) {
      const name = `bench-${p}.v${v}`;
      if (runningIndex !== undefined && kind !== undefined && v === count - 1) {
        const units = 1 + (runningIndex % 3);
        const inService = [{ fromMinutesAgo: kind === 3 ? 90 : MINUTE_SPAN, toMinutesAgo: 0, units }];
        const base = { name, status: "RUNNING" as const, minInferenceUnits: units, inService };
        if (kind === 0 || kind === 4) {
          idle += 1;
          projectVersions.push(base);
        } else if (kind === 6) projectVersions.push({ ...base, tags: { "auto-stop": "never" } });
        else if (kind === 1 || kind === 2 || kind === 5)
          projectVersions.push({ ...base, requests: [{ minutesAgo: 5 + (runningIndex % 60), count: 12 }] });
        else projectVersions.push(base);
      } else {
        projectVersions.push({
          name,
          status: v % 10 === 0 ? "TRAINING_COMPLETED" : v % 10 === 1 ? "TRAINING_FAILED" : "STOPPED",
        });
      }
    }
    seedProjects.push({
      name: `bench-${p}`,
      ...(kind === 7 && { tags: { "auto-stop": "2099-01-01" } }),
      versions: projectVersions,
    });
  }
  const expectedStops = Math.min(idle, maxStops);
  return {
    size,
    spec: { projects: seedProjects },
    idle,
    expectedStops,
    required: {
      DescribeProjects: Math.max(1, Math.ceil(projects / PAGE_SIZE)),
      DescribeProjectVersions: describeVersionPages,
      // Every running model, and each project that has one (read once per project).
      ListTagsForResource: running + projectOfRunning.size,
      GetMetricData: Math.ceil((running * METRICS_PER_MODEL) / QUERIES_PER_CALL),
      StopProjectVersion: expectedStops,
    },
  };
}

/** The real limit (TPS) of each API of the floor. */
function realLimits(limits: RateLimitSettings): Record<string, number> {
  const all = { ...limits.rekognition, ...limits.cloudwatch };
  return Object.fromEntries(
    Object.entries(all).map(([operation, limit]) => [operation, normalizeRateLimit(limit).tps]),
  );
}

/** Each API's floor (required calls ÷ its limit) and the floor of the run: the largest, as APIs run in parallel. */
function floorOf(account: Account) {
  const limits = realLimits(BENCH_RATE_LIMITS);
  const perApi = Object.entries(account.required).map(([operation, calls]) => {
    const tps = limits[operation] ?? Number.POSITIVE_INFINITY;
    return { operation, calls, tps, seconds: calls / tps };
  });
  const bound = perApi.reduce((max, api) => (api.seconds > max.seconds ? api : max));
  const sequential = perApi.reduce((sum, api) => sum + api.seconds, 0);
  return { perApi, seconds: bound.seconds, boundBy: bound.operation, sequential };
}

// ---------- one run

/** Invokes the bundle once on a freshly seeded world and returns what it measured, in real units. */
async function runOnce(
  fn: SynthesizedFunction,
  account: Account,
  options: BenchOptions,
  label: string,
  extraEnv: Readonly<Record<string, string>>,
): Promise<RunFigures> {
  const k = options.timeScale;
  const latencyMs = options.latencyMs / k;
  const world = await startStopperWorld(fn, {
    rateLimits: scaleRateLimits(BENCH_RATE_LIMITS, k),
    faults: { rekognition: { latencyMs }, cloudwatch: { latencyMs }, dynamodb: { latencyMs } },
    checkApiModels: options.modelCheck,
  });
  try {
    world.sandbox.seed(account.spec);
    const invocation = await world.invoke(
      { ...functionPacing(fn, k), ...options.env, ...extraEnv },
      // Under a time scale the deadline is not scaled (its margin cannot go below 5 s): the run gets the function's
      // whole timeout, and the 10-minute check is made on the real-time figure instead.
      { requestId: `bench-${account.size.versions}-${label}`, remainingTimeMs: fn.timeoutSeconds * 1000 },
    );
    const run = figures(label, invocation, world.sandbox.calls, account, k);
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
function functionPacing(fn: SynthesizedFunction, k: number): Record<string, string> {
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
  label: string,
  invocation: Invocation<StopperSummary>,
  calls: readonly CallRecord[],
  account: Account,
  k: number,
): RunFigures {
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
  for (const call of calls) {
    // The world's own set-up (the log table's creation) is not the function's.
    if (call.receivedAt < started) continue;
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
    const firstS = ((call.receivedAt - started) / 1000) * k;
    const lastS = ((call.receivedAt + call.durationMs - started) / 1000) * k;
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
    rssBytes: invocation.maxRssBytes,
    metricsRequested,
    calls: byOperation,
    phases,
    summary,
    complete: summary !== undefined && summary.scanned === account.size.running && unfinished === 0,
    problems,
  };
}

// ---------- the bundle

interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number | undefined;
  readonly importMs: number;
  readonly emptyMs: number;
  readonly nodeOptions: string;
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
async function measureBundle(fn: SynthesizedFunction): Promise<BundleFigures> {
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
  // One of each first, so the file cache is warm for every sample.
  await timeNode(importArgs, env, fn.assetDir);
  await timeNode(emptyArgs, env, fn.assetDir);
  const imports: number[] = [];
  const empties: number[] = [];
  for (let sample = 0; sample < IMPORT_SAMPLES; sample += 1) {
    empties.push(await timeNode(emptyArgs, env, fn.assetDir));
    imports.push(await timeNode(importArgs, env, fn.assetDir));
  }
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    mapBytes,
    importMs: median(imports),
    emptyMs: median(empties),
    nodeOptions: env.NODE_OPTIONS ?? "",
  };
}

// ---------- printing

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const secs = (value: number) => `${value.toFixed(1)} s`;
const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const usd = (value: number) => `$${value.toFixed(4)}`;
const pad = (text: string, width: number) => text.padEnd(width);
const lpad = (text: string, width: number) => text.padStart(width);

function printSize(account: Account, runs: readonly RunFigures[], seededMs: number, k: number): void {
  const { size } = account;
  const floor = floorOf(account);
  console.log(
    `\n== ${int(size.versions)} versions / ${int(size.projects)} projects / ${int(size.running)} running ` +
      `(${account.idle} idle, ${account.expectedStops} to stop: MAX_STOPS_PER_RUN=25) ==`,
  );
  console.log(`seeding one world: ${(seededMs / 1000).toFixed(2)} s`);
  console.log(
    `floor: ${floor.perApi.map((api) => `${api.operation} ${int(api.calls)}/${api.tps} = ${secs(api.seconds)}`).join("; ")}`,
  );
  console.log(
    `       max over APIs = ${secs(floor.seconds)} (${floor.boundBy}); the same calls one API after another would need ${secs(floor.sequential)}`,
  );

  const width = 22;
  const column = 24;
  const row = (name: string, cell: (run: RunFigures) => string) =>
    console.log(`${pad(name, width)}${runs.map((run) => lpad(cell(run), column)).join("")}`);
  row("", (run) => run.label);
  row("wall time (real)", (run) => secs(run.wallS));
  row("ratio to floor", (run) => (run.wallS / floor.seconds).toFixed(2));
  row("peak RSS", (run) => mb(run.rssBytes));
  row("CloudWatch metrics", (run) => int(run.metricsRequested));
  row("CloudWatch cost", (run) => usd(run.metricsRequested * USD_PER_METRIC));
  row("stopped / scanned", (run) =>
    run.summary ? `${run.summary.stopped.length} / ${run.summary.scanned}` : "failed",
  );
  const operations = [...new Set(runs.flatMap((run) => [...run.calls.keys()]))].sort(
    (a, b) => Number(a.includes(":")) - Number(b.includes(":")) || a.localeCompare(b),
  );
  console.log(`calls (throttled) per operation; first → last call, real s from the start:`);
  for (const operation of operations) {
    row(`  ${operation}`, (run) => {
      const entry = run.calls.get(operation);
      const phase = run.phases.get(operation);
      if (!entry || !phase) return "-";
      const errors = entry.errors > 0 ? ` ${entry.errors}err` : "";
      return `${int(entry.calls)} (${entry.throttled})${errors} ${phase.firstS.toFixed(0)}→${phase.lastS.toFixed(0)}`;
    });
  }
  const [optimized, baseline] = runs;
  if (optimized) {
    // Where the time beyond the floor goes: before the first Rekognition call, and after the assessment.
    const assessment = ["DescribeProjects", "DescribeProjectVersions", "ListTagsForResource", "GetMetricData"]
      .map((operation) => optimized.phases.get(operation))
      .filter((phase) => phase !== undefined);
    if (assessment.length > 0) {
      const firstS = Math.min(...assessment.map((phase) => phase.firstS));
      const assessedS = Math.max(...assessment.map((phase) => phase.lastS));
      console.log(
        `where the time goes (${optimized.label}): ${secs(firstS)} before the first Rekognition call; discovery, ` +
          `tags and metrics done at ${secs(assessedS)}; then ${secs(optimized.wallS - assessedS)} of stops, log ` +
          "writes and the digest",
      );
    }
    console.log(
      `speed-up over a run without overlap, whose best is the one-API-after-another ${secs(floor.sequential)}: ` +
        `≥ ${(floor.sequential / optimized.wallS).toFixed(2)}× (computed, not measured)`,
    );
  }
  if (optimized && baseline)
    console.log(
      `speed-up of the defaults over the measured baseline: ${(baseline.wallS / optimized.wallS).toFixed(2)}×`,
    );
  for (const run of runs)
    if (run.modelCheck)
      console.log(
        `API-model check (${run.label}): ${run.modelCheck.validated} answers checked, ${run.modelCheck.mismatches} ` +
          `mismatches, ${run.modelCheck.checkMs.toFixed(0)} ms of the sandbox's CPU ` +
          `(${((run.modelCheck.checkMs * 1000) / Math.max(1, run.modelCheck.validated)).toFixed(0)} µs an answer)`,
      );
  for (const run of runs)
    for (const problem of run.problems) console.log(`WARNING (${run.label}): ${problem}`);
  if (k !== 1) console.log(`(measured at time scale ×${k}; every time above is measured × ${k})`);
}

// ---------- main

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      "no-baseline": { type: "boolean" },
      "no-model-check": { type: "boolean" },
      "time-scale": { type: "string" },
      "latency-ms": { type: "string" },
      "asset-dir": { type: "string" },
      env: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!(Number.isFinite(value) && value >= min))
      throw new Error(`--${name} must be a number ≥ ${min}, got ${raw}`);
    return value;
  };
  const sizes = values.sizes
    ? values.sizes.split(",").map((text): AccountSize => {
        const preset = PRESET_SIZES.find((size) => String(size.versions) === text.trim());
        if (preset) return preset;
        const parts = text.trim().split("/").map(Number);
        const [versions, projects, running] = parts as [number, number, number];
        if (
          parts.length !== 3 ||
          !parts.every((part) => Number.isInteger(part) && part > 0) ||
          projects > versions ||
          running > projects
        )
          throw new Error(
            `--sizes takes 1000, 10000, 50000 or versions/projects/running with running ≤ projects ≤ versions, got ${text}`,
          );
        return { versions, projects, running };
      })
    : PRESET_SIZES;
  return {
    sizes,
    baseline: !values["no-baseline"],
    modelCheck: !values["no-model-check"],
    timeScale: number("time-scale", values["time-scale"], DEFAULT_TIME_SCALE, 1),
    latencyMs: number("latency-ms", values["latency-ms"], DEFAULT_LATENCY_MS, 0),
    assetDir: values["asset-dir"] && resolve(values["asset-dir"]),
    env: Object.fromEntries(
      (values.env ?? []).map((pair) => {
        const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
        if (!match) throw new Error(`--env takes KEY=VALUE, got ${pair}`);
        return [match[1] as string, match[2] as string];
      }),
    ),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const k = options.timeScale;
  const benchStarted = performance.now();
  const cpu = cpus();
  console.log(
    `idle-model-stopper bench: node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ` +
      `V8 heap limit ${(getHeapStatistics().heap_size_limit / 1024 / 1024).toFixed(0)} MB`,
  );
  console.log(
    "sandbox limits per region: 5 TPS for each of DescribeProjects, DescribeProjectVersions, ListTagsForResource " +
      `and StopProjectVersion; 50 TPS for GetMetricData; token buckets of 1 s of burst; ${options.latencyMs} ms latency a call`,
  );
  if (k !== 1)
    console.log(
      `TIME SCALE ×${k}: the world runs ${k} times faster than real (sandbox limits ×${k}, latency ÷${k}, the ` +
        `function's REKOGNITION_TPS/METRICS_TPS ×${k}).\nEvery time below is in REAL seconds = measured × ${k}, so ` +
        `the function's own CPU time is counted ${k} times over (it errs slow). The deadline is not scaled: the run ` +
        `gets its whole timeout and the 10-minute check uses the real figure. \`--time-scale 1\` runs at real speed.`,
    );

  process.stderr.write("cdk synth…\n");
  const synthesized = await synthesize();
  // The template's handler and environment, with another build of the bundle when one is given.
  const fn = options.assetDir ? { ...synthesized, assetDir: options.assetDir } : synthesized;
  if (options.assetDir) console.log(`bundle under test: ${options.assetDir} (not the synthesized one)`);
  for (const [name, value] of Object.entries(options.env))
    console.log(`--env: ${name}=${value} in every run`);
  try {
    const pacing = functionPacing(fn, k);
    if (k !== 1)
      console.log(
        `function pacing: REKOGNITION_TPS=${pacing.REKOGNITION_TPS} (${Number(pacing.REKOGNITION_TPS) / k} real), ` +
          `METRICS_TPS=${pacing.METRICS_TPS} (${Number(pacing.METRICS_TPS) / k} real` +
          `${Number(pacing.METRICS_TPS) / k < Number(fn.environment.METRICS_TPS ?? 25) ? `, capped by settings at ${METRICS_TPS_CAP}` : ""})`,
      );
    const env = fn.environment;
    console.log(
      `defaults: the synthesized function's environment (DESCRIBE_CONCURRENCY=${env.DESCRIBE_CONCURRENCY}, ` +
        `TAG_CONCURRENCY=${env.TAG_CONCURRENCY}, METRICS_CONCURRENCY=${env.METRICS_CONCURRENCY}, ` +
        `STOP_CONCURRENCY=${env.STOP_CONCURRENCY}, OVERLAP_PHASES=${env.OVERLAP_PHASES})`,
    );
    if (options.baseline)
      console.log(
        "baseline: sequential, every concurrency at 1 and OVERLAP_PHASES=false (discovery, then tags, then metrics)",
      );

    const headline: { ratio?: number; speedup?: number; versions?: number } = {};
    const results: { account: Account; runs: RunFigures[] }[] = [];
    for (const size of options.sizes) {
      const account = buildAccount(size, Number(fn.environment.MAX_STOPS_PER_RUN ?? 25));
      process.stderr.write(`${int(size.versions)} versions: seeding and running…\n`);
      const seedStart = performance.now();
      // The seeding cost alone, on a sandbox of its own (each run then gets a fresh world of the same account).
      const probe = await startStopperWorld(fn);
      probe.sandbox.seed(account.spec);
      const seededMs = performance.now() - seedStart;
      await probe.stop();
      const runs = [await runOnce(fn, account, options, "defaults", {})];
      if (options.baseline) runs.push(await runOnce(fn, account, options, "sequential", BASELINE_ENV));
      printSize(account, runs, seededMs, k);
      results.push({ account, runs });
    }

    process.stderr.write("bundle: size and import time…\n");
    const bundle = await measureBundle(fn);
    console.log(
      `\n== Lambda bundle ==\nindex.mjs: ${int(bundle.bytes)} bytes minified (${int(bundle.gzipBytes)} gzip)` +
        `${bundle.mapBytes === undefined ? "" : `; index.mjs.map: ${int(bundle.mapBytes)} bytes`}`,
    );
    console.log(
      `import in a fresh node (median of ${IMPORT_SAMPLES}, the function's env${bundle.nodeOptions ? ` incl. NODE_OPTIONS=${bundle.nodeOptions}` : ""}): ` +
        `${bundle.importMs.toFixed(0)} ms; empty node: ${bundle.emptyMs.toFixed(0)} ms; ` +
        `difference ${(bundle.importMs - bundle.emptyMs).toFixed(0)} ms`,
    );

    // Targets.
    const find = (versions: number) => results.find((result) => result.account.size.versions === versions);
    const main10k = find(HEADLINE_VERSIONS) ?? results[results.length - 1];
    const checks: [string, boolean | undefined, string][] = [];
    if (main10k) {
      const [optimized, baseline] = main10k.runs;
      const floor = floorOf(main10k.account).seconds;
      if (optimized) {
        headline.versions = main10k.account.size.versions;
        headline.ratio = optimized.wallS / floor;
        if (baseline) headline.speedup = baseline.wallS / optimized.wallS;
        const at = `at ${int(main10k.account.size.versions)} versions`;
        checks.push([
          `ratio to floor ≤ ${TARGET_RATIO} ${at}`,
          headline.ratio <= TARGET_RATIO,
          headline.ratio.toFixed(2),
        ]);
        checks.push([
          `peak RSS ≤ 128 MB ${at}`,
          optimized.rssBytes === undefined ? undefined : optimized.rssBytes <= TARGET_RSS_BYTES,
          mb(optimized.rssBytes),
        ]);
      }
    }
    const large = find(50_000)?.runs[0];
    checks.push([
      "50,000 versions inside a 10-minute timeout",
      large ? large.wallS <= TARGET_TIMEOUT_S && large.complete : undefined,
      large ? secs(large.wallS) : "not run",
    ]);
    checks.push([
      `bundle ≤ 350 KB (350,000 bytes) minified`,
      bundle.bytes <= TARGET_BUNDLE_BYTES,
      `${int(bundle.bytes)} bytes`,
    ]);
    const importDelta = bundle.importMs - bundle.emptyMs;
    checks.push([
      `import ≤ ${TARGET_IMPORT_MS} ms above empty node`,
      importDelta <= TARGET_IMPORT_MS,
      `${importDelta.toFixed(0)} ms`,
    ]);
    console.log("\n== Targets ==");
    for (const [name, met, value] of checks)
      console.log(`${pad(met === undefined ? "n/a" : met ? "met" : "NOT MET", 8)}${pad(name, 48)}${value}`);
    const problems = results.flatMap((result) => result.runs.flatMap((run) => run.problems));
    if (problems.length > 0)
      console.log(`WARNING: ${problems.length} runs did not do what the account requires (see above)`);
    console.log(
      `\nbench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s of wall time (synth included)`,
    );
    console.log(
      `bench: ratio-to-floor=${headline.ratio === undefined ? "n/a" : headline.ratio.toFixed(2)} ` +
        `speedup=${headline.speedup === undefined ? "n/a" : headline.speedup.toFixed(1)} at ${headline.versions ?? HEADLINE_VERSIONS} versions`,
    );
  } finally {
    synthesized.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
