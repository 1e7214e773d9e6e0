/**
 * `npm run demo`: the stopper on a realistic account, with no AWS account. It synthesizes the real Lambda bundle,
 * starts the local sandbox, seeds a dozen models, runs the nightly handler once at 02:00 UTC, then the follow-up
 * handler at 03:05 and 05:15 (every clock pinned, so the output is the same every time), and prints what happened
 * and the log.
 */

import { synthesize } from "../sandbox/bundle.ts";
import type { SeedProject } from "../sandbox/index.ts";
import { type LogItem, startStopperWorld } from "../sandbox/stopper-world.ts";

const HOURS = 60;
const MINUTE_MS = 60_000;
/** The nightly run's time: Saturday 2026-11-28, 02:00 UTC. */
const NIGHT = Date.UTC(2026, 10, 28, 2, 0, 0);
/** The follow-ups shown: the regret check (an hour after the stop) and the restart rule's lead time. */
const FOLLOW_UPS = [NIGHT + 65 * MINUTE_MS, NIGHT + 135 * MINUTE_MS];
const running = (hours: number, units = 1) => ({
  status: "RUNNING" as const,
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: hours * HOURS, toMinutesAgo: 0, units }],
});
const inDays = (days: number) => new Date(NIGHT + days * 86_400_000).toISOString().slice(0, 10);

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
      // Stopped tonight; its tag has it running again by 06:00 Paris time (05:00 UTC).
      {
        name: "shelf-audit.v7",
        ...running(16, 1),
        tags: { "auto-stop:restart": "daily 06:00 Europe/Paris" },
      },
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
    // A nightly batch that started at 01:59: its first request reaches CloudWatch three minutes late.
    name: "receipts",
    versions: [{ name: "receipts.v4", ...running(12, 1) }],
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
  // Stops take a while in AWS; the sandbox keeps models STOPPING for a minute, longer than the demo.
  // The sandbox's clock and the function's are pinned: the night's run at 02:00 UTC, the follow-ups after it.
  const clock = { now: NIGHT };
  const world = await startStopperWorld(fn, {
    seed: { projects: ACCOUNT },
    transitionDelayMs: 60_000,
    clock: () => clock.now,
  });
  try {
    // CloudWatch gets Rekognition's metrics minutes late: the batch's request at 01:59 shows only after the run.
    world.sandbox.cloudwatch.delayMs = 3 * MINUTE_MS;
    world.sandbox.cloudwatch.insert(world.sandbox.region, [
      {
        namespace: "AWS/Rekognition",
        metricName: "SuccessfulRequestCount",
        dimensions: { ProjectName: "receipts", VersionName: "receipts.v4" },
        timestamp: NIGHT - MINUTE_MS,
        value: 6,
      },
    ]);
    const before = new Map(world.sandbox.rekognition.models().map((m) => [m.arn, m.status]));
    process.stderr.write(
      `Sandbox up; running the nightly handler at 02:00 UTC (idle threshold 3h, ${before.size} models)…\n\n`,
    );

    const run = await world.invoke({}, { requestId: "demo-run-1", clockStart: NIGHT });
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

    // The follow-up function runs every 15 minutes; these two are the ones that do something.
    console.log("\nFollow-ups (the follow-up function runs every 15 minutes):");
    for (const [index, at] of FOLLOW_UPS.entries()) {
      clock.now = at;
      const followUp = await world.invokeFollowUp(
        {},
        { requestId: `demo-follow-up-${index + 1}`, clockStart: at },
      );
      if (!followUp.result)
        throw new Error(`the follow-up failed: ${followUp.error?.message ?? followUp.stderr}`);
      const { restarted, startedByHand, errors } = followUp.result;
      console.log(
        `${new Date(at).toISOString().slice(11, 16)} UTC: looked after ${followUp.result.followed} stops; ` +
          `started ${restarted.length} again, ${startedByHand.length} started by hand, errors ${errors.length}`,
      );
      for (const restart of restarted) {
        const model = world.sandbox.rekognition.model(restart.arn);
        console.log(
          `  ${cell(`${model?.projectName}/${model?.versionName}`, width)} STOPPED → ${cell(model?.status ?? "?", 9)} ` +
            `${money(restart.hourlyCostUsd)}/h  ${restart.reason}`,
        );
      }
    }

    console.log(
      `\nThe DynamoDB log (table ${"idle-model-stopper-log"}), as \`aws dynamodb scan\` would show it:\n`,
    );
    for (const item of await world.items()) printItem(item);
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
    ["evidenceUntil", String(item.evidenceUntil)],
    ["runId", String(item.runId)],
    ...(item.restartedAt !== undefined
      ? ([
          ["restartedAt", String(item.restartedAt)],
          ["restartedBy", String(item.restartedBy)],
          ["restartReason", String(item.restartReason)],
        ] as [string, string][])
      : []),
    ...(item.restartRule !== undefined
      ? ([["restartRule", `${item.restartRule} (${item.restartRuleSource})`]] as [string, string][])
      : []),
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
