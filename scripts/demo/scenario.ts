/**
 * What `npm run demo` shows, apart from its synth and its timing (scripts/demo.ts): the demo account seeded into a
 * sandbox world, one nightly run of the bundle, then the follow-up function 65 and 135 minutes later, printed line by
 * line. The world's clock is given, so a test can run the same scenario from a pinned instant.
 */

import { isStopRecord } from "../../lambda/core/stop-record.ts";
import type { SynthesizedFunction } from "../../sandbox/bundle.ts";
import { demoAccount } from "../../sandbox/demo-account.ts";
import type { SeedProject } from "../../sandbox/seed.ts";
import { LOG_TABLE_NAME, type LogItem, startStopperWorld } from "../../sandbox/stopper-world.ts";

/** How many times shorter the function's waits (its own pacing, the SDK's backoff) are on the wall. */
const DEMO_WAIT_SCALE = 10;

const MINUTE_MS = 60_000;
/** The follow-ups shown, in minutes after the nightly run: the regret check (an hour after the stop), and a restart. */
const FOLLOW_UPS_AFTER_MINUTES = [65, 135];
/** The restart rule's time zone: a team in Paris. */
const RULE_TIME_ZONE = "Europe/Paris";

/**
 * The demo's account: the shared one, with shelf-audit.v7 tagged to be running again by a time 3 hours from `now`
 * (so the second follow-up starts it, `restartLeadMinutes` = 45 before), and a nightly batch with a request a minute
 * ago, which CloudWatch (3 minutes late, see main) shows neither to the run nor to its last look, and does show to
 * the first follow-up's regret check.
 */
export function followUpAccount(now: number): SeedProject[] {
  const ruleTime = new Intl.DateTimeFormat("en-GB", {
    timeZone: RULE_TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(now + 180 * MINUTE_MS));
  const restartRule = `daily ${ruleTime} ${RULE_TIME_ZONE}`;
  return [
    ...demoAccount(now).map((project) => ({
      ...project,
      versions: (project.versions ?? []).map((version) =>
        version.name === "shelf-audit.v7"
          ? { ...version, tags: { ...version.tags, "auto-stop:restart": restartRule } }
          : version,
      ),
    })),
    {
      name: "receipts",
      versions: [
        {
          name: "receipts.v4",
          status: "RUNNING" as const,
          minInferenceUnits: 1,
          inService: [{ fromMinutesAgo: 12 * 60, toMinutesAgo: 0, units: 1 }],
          requests: [{ minutesAgo: 1, count: 6 }],
        },
      ],
    },
  ];
}

const cell = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
const money = (usd: number | undefined) => (usd === undefined ? "" : `$${usd.toFixed(2)}`);
const nameOf = (model: { readonly projectName: string; readonly versionName: string }) =>
  `${model.projectName}/${model.versionName}`;

/** The stops of a demo, split by whether they held, and the hourly cost of those that did. */
export interface DemoSaving {
  /** Live stop records whose model is still STOPPING or STOPPED. */
  readonly stillStopped: readonly LogItem[];
  /** Live stop records whose model runs again: restarted by a follow-up (restartedAt), or started otherwise. */
  readonly startedAgain: readonly LogItem[];
  /** What the models still stopped cost an hour when they ran. */
  readonly hourlyUsd: number;
}

/**
 * Splits the log's live stops into those that held and those started again, by the record's restartedAt and the
 * model's status now, so a model a follow-up started again is not counted as saving.
 */
export function demoSaving(
  items: readonly LogItem[],
  statusOf: (modelArn: string) => string | undefined,
): DemoSaving {
  const stops = items.filter(
    (item) => isStopRecord(item as { readonly kind?: string }) && item.dryRun !== true,
  );
  const held = (item: LogItem) =>
    item.restartedAt === undefined && ["STOPPING", "STOPPED"].includes(statusOf(item.modelArn) ?? "");
  const stillStopped = stops.filter(held);
  return {
    stillStopped,
    startedAgain: stops.filter((item) => !held(item)),
    hourlyUsd: stillStopped.reduce((sum, item) => sum + Number(item.estimatedHourlyCostUsd ?? 0), 0),
  };
}

/** The demo's saving line: what it counts, and which stops it leaves out. */
export function savingLine(
  saving: DemoSaving,
  models: ReadonlyMap<string, { readonly name: string }>,
): string {
  const stops = saving.stillStopped.length + saving.startedAgain.length;
  const names = saving.startedAgain.map((item) => models.get(item.modelArn)?.name ?? item.modelArn);
  return (
    `Still stopped after the follow-ups: ${saving.stillStopped.length} of ${stops} stopped models, saving about ` +
    `${money(saving.hourlyUsd)} an hour (${money(saving.hourlyUsd * 24)} a day while they stay stopped)` +
    (names.length > 0 ? `; not counted: ${names.length} started again (${names.join(", ")}).` : ".")
  );
}

/** What the scenario needs besides the function: the world's clock, and where its lines go. */
export interface DemoOptions {
  /** The world's clock, epoch ms: the wall for `npm run demo`, a pinned one in a test. */
  readonly clock: () => number;
  readonly print: (line: string) => void;
}

/** The log and the models' statuses when the demo ends, for a test to check what it printed. */
export interface DemoOutcome {
  readonly items: readonly LogItem[];
  readonly statuses: ReadonlyMap<string, string>;
}

/** Runs the demo's scenario in a new world on `fn`, printing as it goes; stops the world at the end. */
export async function runDemoScenario(fn: SynthesizedFunction, options: DemoOptions): Promise<DemoOutcome> {
  const { print } = options;
  // Stops take a while in AWS; the sandbox keeps models STOPPING for a minute, longer than the demo. The world runs
  // on the given clock, moved on by `shift` for the follow-ups.
  let shift = 0;
  const clock = () => options.clock() + shift;
  const world = await startStopperWorld(fn, {
    seed: { projects: followUpAccount(options.clock()) },
    transitionDelayMs: 60_000,
    clock,
  });
  try {
    // CloudWatch gets Rekognition's metrics minutes late: every datapoint of the last 3 minutes is not there yet, so
    // the run's evidence reaches 3 minutes back, and the batch's request after that shows only after the stop.
    world.sandbox.cloudwatch.metricDelaySeconds = 180;
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

    // Models are known by ARN, or by `<project>/<version>` when metrics-first discovery judged them by name only.
    const facts = new Map<string, { estimatedHourlyCostUsd?: number; nearMissTags?: string[] }>();
    for (const line of run.logs) {
      const key = typeof line.modelArn === "string" ? line.modelArn : line.model;
      if (typeof key === "string")
        facts.set(key, (line.facts ?? {}) as { estimatedHourlyCostUsd?: number; nearMissTags?: string[] });
    }
    const reasons = new Map(summary.skipped.map((s) => [s.arn ?? String(s.model), s.reason]));
    const stopped = new Set(summary.stopped);

    const models = world.sandbox.rekognition.models();
    const items = await world.items();
    const width = Math.max(...models.map((m) => m.projectName.length + m.versionName.length + 1));
    print(
      `${cell("MODEL", width)} ${cell("BEFORE", 9)} ${cell("AFTER", 9)} ${cell("DECISION", 12)} ${cell("$/HOUR", 7)} REASON`,
    );
    const notes: string[] = [];
    for (const model of models) {
      const after = world.sandbox.rekognition.model(model.arn)?.status ?? "?";
      const name = nameOf(model);
      const key = reasons.has(model.arn) || facts.has(model.arn) ? model.arn : name;
      let decision = "not running";
      let reason = "only RUNNING models are considered";
      if (model.feature !== "CUSTOM_LABELS") {
        decision = "untouched";
        reason = "Content Moderation: never touched";
      } else if (stopped.has(model.arn)) {
        decision = "STOPPED";
        reason = String(items.find((item) => item.modelArn === model.arn)?.reason ?? "");
      } else if (reasons.has(key)) {
        decision = "kept";
        reason = reasons.get(key) ?? "";
      } else if (before.get(model.arn) === "RUNNING") {
        decision = "not seen";
        reason =
          "publishes no InServiceInferenceUnits, so metrics-first discovery does not see it; never stopped " +
          "(`idle-model-stopper scan --full` lists it)";
      }
      const cost = money(facts.get(key)?.estimatedHourlyCostUsd);
      print(
        `${cell(name, width)} ${cell(before.get(model.arn) ?? "?", 9)} ${cell(after, 9)} ${cell(decision, 12)} ${cell(cost, 7)} ${reason}`,
      );
      for (const note of facts.get(model.arn)?.nearMissTags ?? []) notes.push(`- ${name}: ${note}`);
    }

    print(
      `\nScanned ${summary.scanned} running Custom Labels models: stopped ${summary.stopped.length}, ` +
        `kept ${summary.skipped.length}, errors ${summary.errors.length}.`,
    );
    if (notes.length > 0)
      print(
        `\nTags that look like an opt-out but do nothing (no decision counts them):\n${notes.join("\n")}`,
      );

    // The follow-up function runs every 15 minutes; these two are the ones that do something.
    print("\nFollow-ups (the follow-up function runs every 15 minutes):");
    for (const [index, minutes] of FOLLOW_UPS_AFTER_MINUTES.entries()) {
      shift = minutes * MINUTE_MS;
      const followUp = await world.invokeFollowUp(
        {},
        { requestId: `demo-follow-up-${index + 1}`, waitScale: DEMO_WAIT_SCALE },
      );
      if (!followUp.result)
        throw new Error(`the follow-up failed: ${followUp.error?.message ?? followUp.stderr}`);
      const { restarted, startedByHand, errors } = followUp.result;
      print(
        `${minutes} minutes after the run: looked after ${followUp.result.followed} stops; ` +
          `started ${restarted.length} again, ${startedByHand.length} started by hand, errors ${errors.length}`,
      );
      for (const restart of restarted) {
        const model = world.sandbox.rekognition.model(restart.arn);
        print(
          `  ${cell(`${model?.projectName}/${model?.versionName}`, width)} STOPPED → ${cell(model?.status ?? "?", 9)} ` +
            `${money(restart.hourlyCostUsd)}/h  ${restart.reason}`,
        );
      }
    }

    // The saving is the stops that held: a model the follow-ups started again saves nothing from now on.
    const log = await world.items();
    const now = new Map(
      world.sandbox.rekognition.models().map((m) => [m.arn, { status: m.status, name: nameOf(m) }]),
    );
    print(
      `\n${savingLine(
        demoSaving(log, (arn) => now.get(arn)?.status),
        now,
      )}`,
    );

    print(`\nThe DynamoDB log (table ${LOG_TABLE_NAME}), as \`aws dynamodb scan\` would show it:\n`);
    for (const item of log) printItem(item, print);
    return { items: log, statuses: new Map([...now].map(([arn, model]) => [arn, model.status])) };
  } finally {
    await world.stop();
  }
}

function printItem(item: LogItem, print: (line: string) => void) {
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
  for (const [key, value] of fields) print(`  ${cell(key, 24)} ${value}`);
  print("");
}
