/**
 * The demo's own time, as `npm run demo` measures it: the latest cold run (the app synthesized and the bundle built
 * for these sources) and the latest warm one (both reused), kept side by side in test-output/demo.json.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, writeFileAtomically } from "../build/stamp.ts";

/** Where `npm run demo` writes its figures. */
export const DEMO_OUTPUT = join(ROOT, "test-output", "demo.json");

/** One run of the demo. */
export interface DemoRun {
  /** `cold`: `cdk synth` ran; `warm`: the synthesized app of these sources was reused. */
  readonly cache: "cold" | "warm";
  /** From the start of the process to the end of the output. */
  readonly seconds: number;
  /** Of which the synth, or reading it back from the cache. */
  readonly synthSeconds: number;
  readonly node: string;
  readonly cores: number;
  /** The 1-minute load average when the demo started. */
  readonly loadAverage: number;
  readonly recordedAt: string;
}

/** The latest cold and warm runs. */
export interface DemoFigures {
  readonly cold?: DemoRun;
  readonly warm?: DemoRun;
}

/** Adds a run to the figures file (replacing the earlier run of the same kind); returns the file's path. */
export function recordDemoRun(run: DemoRun, path = DEMO_OUTPUT): string {
  const earlier = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DemoFigures) : {};
  writeFileAtomically(path, `${JSON.stringify({ ...earlier, [run.cache]: run }, null, 2)}\n`);
  return path;
}

const describeRun = (run: DemoRun) =>
  `${run.seconds.toFixed(1)} s ${run.cache} (on ${run.recordedAt.slice(0, 10)}, Node.js ${run.node.replace(/^v/, "")}, ` +
  `${run.cores} cores, load average ${run.loadAverage.toFixed(1)})`;

/** The README's sentence: both times with how they were measured. */
export function renderDemoFigures(figures: DemoFigures): string {
  if (!figures.cold || !figures.warm)
    throw new Error("the demo's figures need a cold and a warm run: run npm run demo twice, after a change");
  return (
    `Measured by \`npm run demo\` itself (from the start of its process), from a fresh clone: ${describeRun(figures.cold)}, when it synthesizes the ` +
    `app and builds the bundle (${figures.cold.synthSeconds.toFixed(1)} s of it); ${describeRun(figures.warm)}, ` +
    "when the sources are unchanged and both are reused."
  );
}
