/**
 * `npm run test:faults`: the fault storm of test/reliability/fault-storm.test.ts, run once with each discovery
 * (metrics-first and full, side by side), each printed as one line: faults injected, retries seen, idle models
 * stopped, wrong stops, records written, duplicates and errors reported. Exits 1 if the stopper broke a promise in
 * either, naming each on stderr.
 *
 *   npm run test:faults [-- --seed 20261128] [--attempts 10] [--time-scale 12] [--discovery metrics-first|full]
 *
 * `--time-scale 1` runs the function's clock at real speed (about four minutes); the default runs it faster, which
 * changes how long the waits take and nothing else.
 */

import { parseArgs } from "node:util";
import { DISCOVERY_MODES, type Discovery } from "../common/settings.ts";
import { synthesize } from "../sandbox/bundle.ts";
import {
  formatStormLine,
  runFaultStorm,
  STORM_FAULTS,
  STORM_MAX_ATTEMPTS,
  STORM_TIME_SCALE,
} from "../test/reliability/fault-storm.ts";

const USAGE =
  "Usage: npm run test:faults -- [--seed <n>] [--attempts <1-20>] [--time-scale <k ≥ 1>] [--discovery metrics-first|full]";

function positiveNumber(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isFinite(value) && value >= 1 && (!integer || Number.isInteger(value))))
    throw new Error(
      `--${name} must be a ${integer ? "whole " : ""}number ≥ 1, got ${JSON.stringify(text)}\n${USAGE}`,
    );
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      attempts: { type: "string" },
      "time-scale": { type: "string" },
      discovery: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = positiveNumber("seed", values.seed, STORM_FAULTS.seed as number);
  const maxAttempts = positiveNumber("attempts", values.attempts, STORM_MAX_ATTEMPTS);
  const timeScale = positiveNumber("time-scale", values["time-scale"], STORM_TIME_SCALE, false);
  const asked = values.discovery;
  if (asked !== undefined && !(DISCOVERY_MODES as readonly string[]).includes(asked))
    throw new Error(
      `--discovery must be one of ${DISCOVERY_MODES.join(", ")}, got ${JSON.stringify(asked)}\n${USAGE}`,
    );
  const discoveries: readonly Discovery[] = asked === undefined ? DISCOVERY_MODES : [asked as Discovery];

  process.stderr.write("Synthesizing the CDK app to get the real Lambda bundle…\n");
  const fn = await synthesize();
  try {
    process.stderr.write(
      `Running the bundle in the fault storm with discovery ${discoveries.join(" and ")} (seed ${seed}, clock ×${timeScale})…\n`,
    );
    // Side by side, in sandboxes of their own: each spends most of its time waiting on backoff.
    const reports = await Promise.all(
      discoveries.map((discovery) => runFaultStorm(fn, { seed, maxAttempts, timeScale, discovery })),
    );
    for (const report of reports) {
      console.log(formatStormLine(report));
      for (const { promise, detail } of report.broken)
        process.stderr.write(`BROKEN (${report.discovery}) ${promise}: ${detail}\n`);
    }
    return reports.every((report) => report.broken.length === 0) ? 0 : 1;
  } finally {
    fn.cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
