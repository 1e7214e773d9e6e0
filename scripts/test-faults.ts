/**
 * `npm run test:faults`: the fault storms of test/reliability/fault-storm.test.ts, printed as one line each: the
 * nightly run's, once with each discovery (metrics-first and full, side by side), with faults injected, retries seen,
 * idle models stopped, wrong stops, records written, duplicates and errors reported, and how long the run took on the
 * function's clock and on the wall; then the follow-up's, with models started again of those expected, restarts
 * doubled, restart records and errors reported. The lines are also written to test-output/faults.json, from which the
 * README quotes them (npm run figures). Exits 1 if the stopper broke a promise in any, naming each on stderr.
 *
 *   npm run test:faults [-- --seed <n>] [--attempts <1-20>] [--time-scale <k ≥ 1>] [--discovery metrics-first|full]
 *
 * By default the function's waits (backoff, pacing) are STORM_TIME_SCALE times shorter on the wall while its clock
 * jumps over what they skip, which changes how long the run takes on the wall and nothing else; `--time-scale 1` lets
 * them take their real length, so the run takes as long on the wall as the line's function time.
 */

import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { quietUnsupportedNode } from "../cli/node-support.ts";
import { DISCOVERY_MODES, type Discovery } from "../common/settings.ts";
import { synthesize } from "../sandbox/bundle.ts";
import {
  formatStormLine,
  runFaultStorm,
  STORM_FAULTS,
  STORM_MAX_ATTEMPTS,
  STORM_TIME_SCALE,
} from "../test/reliability/fault-storm.ts";
import { formatFollowUpStormLine, runFollowUpStorm } from "../test/reliability/follow-up-storm.ts";
import { ROOT, writeFileAtomically } from "./build/stamp.ts";

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
  const notice = quietUnsupportedNode(process.env, process.version, "npm run test:faults");
  if (notice) process.stderr.write(`${notice}\n`);
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
      `Running the bundle in the fault storm with discovery ${discoveries.join(" and ")} (seed ${seed}, waits ×${timeScale} shorter)…\n`,
    );
    // Side by side, in sandboxes of their own: each spends most of its time waiting on backoff.
    const reports = await Promise.all(
      discoveries.map((discovery) => runFaultStorm(fn, { seed, maxAttempts, timeScale, discovery })),
    );
    const lines = reports.map(formatStormLine);
    for (const line of lines) console.log(line);
    // After the nightly storms rather than beside them, which would slow them past their deadline.
    process.stderr.write("Following stops up in the storm (the follow-up function)…\n");
    const followUps = await runFollowUpStorm(fn, { seed, maxAttempts, timeScale });
    const followUpLine = formatFollowUpStormLine(followUps);
    console.log(followUpLine);
    const broken = [
      ...reports.flatMap((report) => report.broken.map((item) => ({ storm: report.discovery, ...item }))),
      ...followUps.broken.map((item) => ({ storm: "follow-ups", ...item })),
    ];
    // The README quotes these lines from the file (npm run figures), never by hand.
    writeFileAtomically(
      join(ROOT, "test-output", "faults.json"),
      `${JSON.stringify({ lines, followUpLine, node: process.version, cores: cpus().length, recordedAt: new Date().toISOString(), broken }, null, 2)}\n`,
    );
    for (const { storm, promise, detail } of broken)
      process.stderr.write(`BROKEN (${storm}) ${promise}: ${detail}\n`);
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
