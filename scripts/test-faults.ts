/**
 * `npm run test:faults`: the fault storms of test/reliability/fault-storm.test.ts, run once each, printed as one line
 * each: for the nightly run, faults injected, retries seen, idle models stopped, wrong stops, records written,
 * duplicates and errors reported; for the follow-up, models started again of those expected, restarts doubled,
 * restart records and errors reported. Exits 1 if the stopper broke a promise, naming each on stderr.
 *
 *   npm run test:faults [-- --seed 20261128] [--attempts 10] [--time-scale 12]
 *
 * `--time-scale 1` runs the function's clock at real speed (about four minutes); the default runs it faster, which
 * changes how long the waits take and nothing else.
 */

import { parseArgs } from "node:util";
import { synthesize } from "../sandbox/bundle.ts";
import {
  formatStormLine,
  runFaultStorm,
  STORM_FAULTS,
  STORM_MAX_ATTEMPTS,
  STORM_TIME_SCALE,
} from "../test/reliability/fault-storm.ts";
import { formatFollowUpStormLine, runFollowUpStorm } from "../test/reliability/follow-up-storm.ts";

const USAGE = "Usage: npm run test:faults -- [--seed <n>] [--attempts <1-20>] [--time-scale <k ≥ 1>]";

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

  process.stderr.write("Synthesizing the CDK app to get the real Lambda bundle…\n");
  const fn = await synthesize();
  try {
    process.stderr.write(`Running the bundle in the fault storm (seed ${seed}, clock ×${timeScale})…\n`);
    const report = await runFaultStorm(fn, { seed, maxAttempts, timeScale });
    console.log(formatStormLine(report));
    process.stderr.write("Following stops up in the storm (the follow-up function)…\n");
    const followUps = await runFollowUpStorm(fn, { seed, maxAttempts, timeScale });
    console.log(formatFollowUpStormLine(followUps));
    const broken = [...report.broken, ...followUps.broken];
    for (const { promise, detail } of broken) process.stderr.write(`BROKEN ${promise}: ${detail}\n`);
    return broken.length === 0 ? 0 : 1;
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
