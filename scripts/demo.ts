/**
 * `npm run demo`: the stopper on a realistic account, with no AWS account. It takes the real Lambda bundle (the CDK
 * app synthesized once per content of its sources: sandbox/synth-cache.ts), starts the local sandbox, seeds the demo
 * account (sandbox/demo-account.ts), runs the handler once, and prints what happened, the log, and its own time,
 * which it also writes to test-output/demo.json for the README's figures (npm run figures).
 */

import { cpus, loadavg } from "node:os";
import { quietUnsupportedNode } from "../cli/node-support.ts";
import { demoAccount } from "../sandbox/demo-account.ts";
import { LOG_TABLE_NAME, type LogItem, startStopperWorld } from "../sandbox/stopper-world.ts";
import { synthesizeCached } from "../sandbox/synth-cache.ts";
import { recordDemoRun } from "./figures/demo-figures.ts";

/** How many times shorter the function's waits (its own pacing, the SDK's backoff) are on the wall. */
const DEMO_WAIT_SCALE = 10;

const cell = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
const money = (usd: number | undefined) => (usd === undefined ? "" : `$${usd.toFixed(2)}`);

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
  // Stops take a while in AWS; the sandbox keeps models STOPPING for a minute, longer than the demo. The demo shows
  // today's times, so its world runs on the wall clock rather than the pinned instant the tests use.
  const world = await startStopperWorld(fn, {
    seed: { projects: demoAccount(Date.now()) },
    transitionDelayMs: 60_000,
    clock: Date.now,
  });
  try {
    const before = new Map(world.sandbox.rekognition.models().map((m) => [m.arn, m.status]));
    process.stderr.write(
      `Sandbox up; running the handler once (idle threshold 3h, ${before.size} models)…\n\n`,
    );

    // The function paces its own calls (5 a second per Rekognition API by default), which is most of a run this size;
    // its waits run DEMO_WAIT_SCALE times shorter on the wall while its clock jumps over them, so the run, its
    // settings and what it sees are those of a real one, only sooner (sandbox/function-clock.mjs).
    const run = await world.invoke({}, { requestId: "demo-run-1", waitScale: DEMO_WAIT_SCALE });
    if (!run.result) throw new Error(`the handler failed: ${run.error?.message ?? run.stderr}`);
    const summary = run.result;

    const facts = new Map<string, { estimatedHourlyCostUsd?: number; nearMissTags?: string[] }>();
    for (const line of run.logs) {
      if (typeof line.modelArn === "string")
        facts.set(line.modelArn, (line.facts ?? {}) as { estimatedHourlyCostUsd?: number });
    }
    const reasons = new Map(summary.skipped.map((s) => [s.arn, s.reason]));
    const stopped = new Set(summary.stopped);

    const models = world.sandbox.rekognition.models();
    const items = await world.items();
    const width = Math.max(...models.map((m) => m.projectName.length + m.versionName.length + 1));
    console.log(
      `${cell("MODEL", width)} ${cell("BEFORE", 9)} ${cell("AFTER", 9)} ${cell("DECISION", 12)} ${cell("$/HOUR", 7)} REASON`,
    );
    const notes: string[] = [];
    for (const model of models) {
      const after = world.sandbox.rekognition.model(model.arn)?.status ?? "?";
      const name = `${model.projectName}/${model.versionName}`;
      let decision = "not running";
      let reason = "only RUNNING models are considered";
      if (model.feature !== "CUSTOM_LABELS") {
        decision = "untouched";
        reason = "Content Moderation: never touched";
      } else if (stopped.has(model.arn)) {
        decision = "STOPPED";
        reason = String(items.find((item) => item.modelArn === model.arn)?.reason ?? "");
      } else if (reasons.has(model.arn)) {
        decision = "kept";
        reason = reasons.get(model.arn) ?? "";
      }
      const cost = money(facts.get(model.arn)?.estimatedHourlyCostUsd);
      console.log(
        `${cell(name, width)} ${cell(before.get(model.arn) ?? "?", 9)} ${cell(after, 9)} ${cell(decision, 12)} ${cell(cost, 7)} ${reason}`,
      );
      for (const note of facts.get(model.arn)?.nearMissTags ?? []) notes.push(`- ${name}: ${note}`);
    }

    const saved = items.reduce((sum, item) => sum + Number(item.estimatedHourlyCostUsd ?? 0), 0);
    console.log(
      `\nScanned ${summary.scanned} running Custom Labels models: stopped ${summary.stopped.length}, ` +
        `kept ${summary.skipped.length}, errors ${summary.errors.length}. Saving about ${money(saved)} an hour ` +
        `(${money(saved * 24)} a day).`,
    );
    if (notes.length > 0)
      console.log(
        `\nTags that look like an opt-out but do nothing (no decision counts them):\n${notes.join("\n")}`,
      );

    console.log(`\nThe DynamoDB log (table ${LOG_TABLE_NAME}), as \`aws dynamodb scan\` would show it:\n`);
    for (const item of items) printItem(item);
  } finally {
    await world.stop();
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

function printItem(item: LogItem) {
  const fields: [string, string][] = [
    ["modelArn", item.modelArn],
    ["stoppedAt", item.stoppedAt],
    ["status", item.status],
    ["dryRun", String(item.dryRun)],
    [
      "inferenceUnits",
      `${item.inferenceUnits} (min ${item.minInferenceUnits ?? "-"}, max ${item.maxInferenceUnits ?? "-"})`,
    ],
    ["estimatedHourlyCostUsd", String(item.estimatedHourlyCostUsd)],
    ["reason", String(item.reason)],
    ["runId", String(item.runId)],
    [
      "expiresAt",
      `${item.expiresAt} (${new Date(Number(item.expiresAt) * 1000).toISOString().slice(0, 10)})`,
    ],
  ];
  for (const [key, value] of fields) console.log(`  ${cell(key, 24)} ${value}`);
  console.log("");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
