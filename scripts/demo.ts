/**
 * `npm run demo`: the stopper on a realistic account, with no AWS account. It takes the real Lambda bundle (the CDK
 * app synthesized once per content of its sources: sandbox/synth-cache.ts), starts the local sandbox, seeds the demo
 * account (sandbox/demo-account.ts, with two models of its own: a nightly batch whose request reaches CloudWatch late,
 * and a model with a restart rule), runs the handler once, then the follow-up handler 65 and 135 minutes later (the
 * world's clock moved on), and prints what happened (scripts/demo/scenario.ts), the log, and its own time, which it
 * also writes to test-output/demo.json for the README's figures (npm run figures).
 */

import { cpus, loadavg } from "node:os";
import { quietUnsupportedNode } from "../cli/node-support.ts";
import { synthesizeCached } from "../sandbox/synth-cache.ts";
import { runDemoScenario } from "./demo/scenario.ts";
import { recordDemoRun } from "./figures/demo-figures.ts";

async function main() {
  const notice = quietUnsupportedNode(process.env, process.version, "npm run demo");
  if (notice) process.stderr.write(`${notice}\n`);
  const load = loadavg()[0] ?? 0;
  const synthStarted = performance.now();
  process.stderr.write(
    "Synthesizing the CDK app for its template and bundle (reused while the sources are unchanged)…\n",
  );
  const { fn, cached } = await synthesizeCached();
  const synthSeconds = (performance.now() - synthStarted) / 1000;
  process.stderr.write(
    cached
      ? `Reused the synthesized app and bundle of these sources (${synthSeconds.toFixed(1)} s).\n`
      : `Synthesized in ${synthSeconds.toFixed(1)} s; the next run reuses it.\n`,
  );
  try {
    // The demo shows today's times, so its world runs on the wall clock rather than the pinned instant the tests use.
    await runDemoScenario(fn, { clock: Date.now, print: (line) => console.log(line) });
  } finally {
    fn.cleanup();
  }
  // From the start of the process: what running the demo costs a user, tsx's start included.
  const seconds = performance.now() / 1000;
  const path = recordDemoRun({
    cache: cached ? "warm" : "cold",
    seconds,
    synthSeconds,
    node: process.version,
    cores: cpus().length,
    loadAverage: load,
    recordedAt: new Date().toISOString(),
  });
  console.log(
    `Done in ${seconds.toFixed(1)} s (${cached ? "warm: synthesized app reused" : "cold: synthesized"}; written to ${path}).`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
