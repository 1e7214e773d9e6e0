/**
 * `npm run bench`: the real Lambda bundle against the sandbox with AWS-like rate limits and latency, on accounts of
 * 1,000, 10,000, 50,000 and 200,000 model versions, each run with both discoveries (metrics-first and full, and the
 * sequential baseline with `--baseline`). For each it prints the wall time, the calls and throttles per API, the
 * floor a full discovery's calls set at the rate limits ("today's floor"), the Rekognition calls against the issue's
 * bound, the peak RSS and the CloudWatch cost; then the bundle's size and import time, and the targets. It exits 1
 * when a target measured is not met, and writes its figures to test-output/bench.json, which `npm run figures` records
 * in figures/bench.json and renders as the README's performance table (scripts/figures/bench-figures.ts).
 *
 *   npm run bench [-- --sizes 1000,10000] [--baseline] [--time-scale 20] [--latency-ms 25]
 *                 [--asset-dir <dir>] [--no-model-check] [--env STOP_CONCURRENCY=5 …]
 *
 * At real speed a full discovery of 200,000 versions alone needs over 1,600 s of DescribeProjectVersions at 5 TPS,
 * so by default the whole world runs `--time-scale` times faster: the sandbox's limits are that many times higher,
 * its latency that many times shorter, and the function's own pacing (REKOGNITION_TPS, METRICS_TPS) that many times
 * faster. Every duration printed is converted back to real seconds (measured × scale). `--time-scale 1` runs at
 * real speed.
 *
 * This file reads the command line and runs the sizes; bench/world.ts builds each account and its floor,
 * bench/measure.ts runs the bundle and measures it, bench/report.ts prints the figures and judges the targets,
 * bench/results.ts writes them.
 */

import { mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { type SynthesizedFunction, synthesize } from "../sandbox/bundle.ts";
import { startStopperWorld } from "../sandbox/stopper-world.ts";
import {
  type BenchOptions,
  functionPacing,
  METRICS_TPS_CAP,
  measureBundle,
  type RunMode,
  runOnce,
} from "./bench/measure.ts";
import { runOrganizationBench } from "./bench/organization.ts";
import {
  evaluateTargets,
  int,
  printBundle,
  printSize,
  printTargets,
  type SizeResult,
} from "./bench/report.ts";
import { OUTPUT_FILE, toResults, writeResults } from "./bench/results.ts";
import { type AccountSize, buildAccount, PRESET_SIZES } from "./bench/world.ts";

const USAGE =
  "Usage: npm run bench -- [--sizes 1000,10000,50000,200000] [--baseline] [--time-scale <k>] [--latency-ms <ms>]\n" +
  "  --sizes        account sizes in versions (1000, 10000, 50000, 200000) or versions/projects/running, e.g. 2000/100/40\n" +
  "  --baseline     also run the sequential baseline (a full discovery, one phase and one call at a time)\n" +
  "  --no-model-check  do not check the sandbox's answers against the API models (to measure what that costs)\n" +
  `  --time-scale   run k times faster than real and report real seconds (default ${20}; 1 = real speed)\n` +
  "  --latency-ms   latency the sandbox adds to every AWS call, in real milliseconds (default 25)\n" +
  "  --asset-dir    run the index.mjs of this folder instead of the synthesized one (to measure a bundling change)\n" +
  "  --env          KEY=VALUE for the function in every run, e.g. STOP_CONCURRENCY=5 (repeatable; the baseline's\n" +
  "                 concurrency settings still win)";

const DEFAULT_TIME_SCALE = 20;
/**
 * Accounts up to this size run at real speed by default: the time scale counts the function's own CPU time k times
 * over, and a real-speed run of them takes minutes, not the hours a full discovery of 200,000 versions would.
 */
const REAL_SPEED_UP_TO_VERSIONS = 10_000;
const DEFAULT_LATENCY_MS = 25;

/** The command line's options; `timeScale` only when `--time-scale` was given (otherwise it is chosen per size). */
type CommandLine = Omit<BenchOptions, "timeScale"> & { readonly timeScale: number | undefined };

function parseOptions(): CommandLine {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      baseline: { type: "boolean" },
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
            `--sizes takes 1000, 10000, 50000, 200000 or versions/projects/running with running ≤ projects ≤ versions, got ${text}`,
          );
        return { versions, projects, running };
      })
    : PRESET_SIZES;
  return {
    sizes,
    baseline: values.baseline === true,
    presetSizes: values.sizes === undefined,
    modelCheck: !values["no-model-check"],
    timeScale:
      values["time-scale"] === undefined
        ? undefined
        : number("time-scale", values["time-scale"], DEFAULT_TIME_SCALE, 1),
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

/** What a time scale does to an account's runs, printed before them. */
function printTimeScale(fn: SynthesizedFunction, k: number): void {
  const pacing = functionPacing(fn, k);
  console.log(
    `\nTIME SCALE ×${k}: the world runs ${k} times faster than real (sandbox limits ×${k}, latency ÷${k}, the ` +
      `function's REKOGNITION_TPS/METRICS_TPS ×${k}).\nEvery time below is in REAL seconds = measured × ${k}, so ` +
      `the function's own CPU time is counted ${k} times over (it errs slow). The deadline is not scaled: the run ` +
      `gets its whole timeout and the 10-minute check uses the real figure. \`--time-scale 1\` runs at real speed.\n` +
      `function pacing: REKOGNITION_TPS=${pacing.REKOGNITION_TPS} (${Number(pacing.REKOGNITION_TPS) / k} real), ` +
      `METRICS_TPS=${pacing.METRICS_TPS} (${Number(pacing.METRICS_TPS) / k} real` +
      `${Number(pacing.METRICS_TPS) / k < Number(fn.environment.METRICS_TPS ?? 25) ? `, capped by settings at ${METRICS_TPS_CAP}` : ""})`,
  );
}

async function main(): Promise<number> {
  // The organization case (issue 11) has its own command line: scripts/bench/organization.ts.
  if (process.argv.includes("--organization")) {
    return await runOrganizationBench(process.argv.slice(2));
  }
  const options = parseOptions();
  const scaleOf = (size: AccountSize) =>
    options.timeScale ?? (size.versions <= REAL_SPEED_UP_TO_VERSIONS ? 1 : DEFAULT_TIME_SCALE);
  const benchStarted = performance.now();
  const loadAtStart = loadavg()[0] as number;
  const cpu = cpus();
  const cpuModel = cpu[0]?.model.trim() ?? "unknown CPU";
  console.log(
    `idle-model-stopper bench: node ${process.version}, ${cpu.length} cores (${cpuModel}), ` +
      `V8 heap limit ${(getHeapStatistics().heap_size_limit / 1024 / 1024).toFixed(0)} MB, 1-minute load average ${loadAtStart.toFixed(2)}`,
  );
  console.log(
    "sandbox limits per region: 5 TPS for each of DescribeProjects, DescribeProjectVersions, ListTagsForResource " +
      `and StopProjectVersion; 50 TPS for GetMetricData, 25 for ListMetrics; token buckets of 1 s of burst; ${options.latencyMs} ms latency a call`,
  );
  console.log(
    options.timeScale === undefined
      ? `time scale: accounts of up to ${int(REAL_SPEED_UP_TO_VERSIONS)} versions run at real speed, larger ones ` +
          `×${DEFAULT_TIME_SCALE} faster than real (\`--time-scale k\` sets one scale for all)`
      : `time scale: ×${options.timeScale} for every account`,
  );

  process.stderr.write("cdk synth…\n");
  const synthesized = await synthesize();
  // The template's handler and environment, with another build of the bundle when one is given.
  const fn = options.assetDir ? { ...synthesized, assetDir: options.assetDir } : synthesized;
  if (options.assetDir) console.log(`bundle under test: ${options.assetDir} (not the synthesized one)`);
  for (const [name, value] of Object.entries(options.env))
    console.log(`--env: ${name}=${value} in every run`);
  try {
    const env = fn.environment;
    console.log(
      `defaults: the synthesized function's environment (DISCOVERY=${env.DISCOVERY}, DESCRIBE_CONCURRENCY=${env.DESCRIBE_CONCURRENCY}, ` +
        `TAG_CONCURRENCY=${env.TAG_CONCURRENCY}, METRICS_CONCURRENCY=${env.METRICS_CONCURRENCY}, ` +
        `STOP_CONCURRENCY=${env.STOP_CONCURRENCY}, OVERLAP_PHASES=${env.OVERLAP_PHASES}); each account is run with ` +
        "DISCOVERY=metrics-first and DISCOVERY=full",
    );
    if (options.baseline)
      console.log(
        "baseline: a full discovery, sequential, every concurrency at 1 and OVERLAP_PHASES=false (discovery, then tags, then metrics)",
      );

    const modes: RunMode[] = [
      "metrics-first",
      "full",
      ...(options.baseline ? (["sequential"] as const) : []),
    ];
    const results: SizeResult[] = [];
    for (const size of options.sizes) {
      const k = scaleOf(size);
      if (k !== 1) printTimeScale(fn, k);
      const account = buildAccount(size, Number(fn.environment.MAX_STOPS_PER_RUN ?? 25));
      process.stderr.write(`${int(size.versions)} versions: seeding and running…\n`);
      const seedStart = performance.now();
      // The seeding cost alone, on a sandbox of its own (each run then gets a fresh world of the same account).
      const probe = await startStopperWorld(fn);
      probe.sandbox.seed(account.spec);
      const seededMs = performance.now() - seedStart;
      await probe.stop();
      const runs = [];
      for (const mode of modes) runs.push(await runOnce(fn, account, { ...options, timeScale: k }, mode));
      const result = { account, runs, timeScale: k };
      printSize(result, seededMs, k);
      results.push(result);
    }

    process.stderr.write("bundle: size and import time…\n");
    const bundle = await measureBundle(fn);
    printBundle(bundle);
    const targets = evaluateTargets(results, bundle);
    const benchSeconds = (performance.now() - benchStarted) / 1000;
    printTargets(results, targets, benchSeconds);
    const record = toResults({
      results,
      bundle,
      targets,
      machine: {
        node: process.version,
        cpu: cpuModel,
        cores: cpu.length,
        loadAverage: { start: loadAtStart, end: loadavg()[0] as number },
      },
      latencyMs: options.latencyMs,
      recordedAt: new Date().toISOString(),
      benchSeconds,
      presetSizes: options.presetSizes,
    });
    mkdirSync(dirname(OUTPUT_FILE), { recursive: true });
    writeResults(record, OUTPUT_FILE);
    console.log(
      `figures written to ${OUTPUT_FILE}${options.presetSizes ? "; npm run figures records them in the README" : " (other sizes than the bench's own: npm run figures will not record them)"}`,
    );
    return targets.some((target) => target.met === false) ? 1 : 0;
  } finally {
    synthesized.cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
