/**
 * `npm run demo`: the stopper on a realistic account, with no AWS account. It synthesizes the real Lambda bundle,
 * starts the local sandbox, seeds a dozen models, runs the handler once, and prints what happened and the log.
 */

import { synthesize } from "../sandbox/bundle.ts";
import type { SeedProject } from "../sandbox/index.ts";
import { type LogItem, startStopperWorld } from "../sandbox/stopper-world.ts";

const HOURS = 60;
const running = (hours: number, units = 1) => ({
  status: "RUNNING" as const,
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: hours * HOURS, toMinutesAgo: 0, units }],
});
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** A team's account on a Monday morning. */
const ACCOUNT: SeedProject[] = [
  {
    name: "defect-detection",
    tags: { team: "quality" },
    versions: [
      {
        name: "defect-detection.2026-11-20",
        ...running(72, 2),
        requests: [
          { minutesAgo: 4, count: 310 },
          { minutesAgo: 2, count: 7, metric: "UserErrorCount" },
        ],
      },
      { name: "defect-detection.2026-11-27", ...running(62, 2) },
      { name: "defect-detection.2026-10-01", status: "STOPPED" },
    ],
  },
  {
    name: "shelf-audit",
    tags: { team: "retail" },
    versions: [
      { name: "shelf-audit.v7", ...running(16, 1) },
      { name: "shelf-audit.v8", ...running(0.75, 1) },
      { name: "shelf-audit.v9", status: "STARTING", minInferenceUnits: 1 },
    ],
  },
  {
    name: "logo-finder",
    tags: { team: "brand", "auto-stop": "never" },
    versions: [{ name: "logo-finder.prod", ...running(400, 1) }],
  },
  {
    name: "pallet-counter",
    versions: [
      { name: "pallet-counter.v2", ...running(30, 4), tags: { "auto-stop": inDays(3) } },
      {
        name: "pallet-counter.v3",
        ...running(9, 1),
        requests: [{ minutesAgo: 95, count: 1, metric: "ThrottledCount" }],
      },
      { name: "pallet-counter.v1", status: "RUNNING", minInferenceUnits: 1 },
    ],
  },
  {
    name: "crop-health",
    versions: [{ name: "crop-health.2026-q4", ...running(48, 3) }],
  },
  {
    name: "moderation-adapter",
    feature: "CONTENT_MODERATION",
    versions: [{ name: "adapter-1", ...running(48, 1) }],
  },
];

const cell = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
const money = (usd: number | undefined) => (usd === undefined ? "" : `$${usd.toFixed(2)}`);

async function main() {
  const started = Date.now();
  process.stderr.write("Synthesizing the CDK app (cdk synth) to get the real Lambda bundle…\n");
  const fn = await synthesize();
  // Stops take a while in AWS; the sandbox keeps models STOPPING for a minute, longer than the demo. The demo shows
  // today's times, so its world runs on the wall clock rather than the pinned instant the tests use.
  const world = await startStopperWorld(fn, {
    seed: { projects: ACCOUNT },
    transitionDelayMs: 60_000,
    clock: Date.now,
  });
  try {
    const before = new Map(world.sandbox.rekognition.models().map((m) => [m.arn, m.status]));
    process.stderr.write(
      `Sandbox up; running the handler once (idle threshold 3h, ${before.size} models)…\n\n`,
    );

    const run = await world.invoke({}, { requestId: "demo-run-1" });
    if (!run.result) throw new Error(`the handler failed: ${run.error?.message ?? run.stderr}`);
    const summary = run.result;

    const facts = new Map<string, { estimatedHourlyCostUsd?: number }>();
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
    }

    const saved = items.reduce((sum, item) => sum + Number(item.estimatedHourlyCostUsd ?? 0), 0);
    console.log(
      `\nScanned ${summary.scanned} running Custom Labels models: stopped ${summary.stopped.length}, ` +
        `kept ${summary.skipped.length}, errors ${summary.errors.length}. Saving about ${money(saved)} an hour ` +
        `(${money(saved * 24)} a day).`,
    );

    console.log(
      `\nThe DynamoDB log (table ${"idle-model-stopper-log"}), as \`aws dynamodb scan\` would show it:\n`,
    );
    for (const item of items) printItem(item);
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await world.stop();
    fn.cleanup();
  }
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
