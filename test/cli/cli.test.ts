/**
 * The CLI in a child process against the sandbox's Rekognition, CloudWatch, DynamoDB and CloudFormation endpoints.
 * Assertions read stdout, stderr, the exit code, the sandbox's call log and its models' state.
 *
 * Time is fixed: the sandbox's clock and the seed stand still at PINNED_START_MILLIS, and `scan` and `history`, whose
 * output depends on "now", run through test/support/cli-fixed-clock.mjs, which gives the CLI that same instant as
 * its clock, so "idle for 1h00m" and "$16.00 avoided" are exact. The commands that do not read the clock (bad
 * arguments, help, restart) run through the real launcher, `node bin/idle-model-stopper.mjs …`, as a user runs it.
 * Every AWS call a run makes is simulated against the shipped least-privilege policy (policies/cli-policy.json): a
 * run whose call that policy would refuse fails its test.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RekognitionClient, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-rekognition";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { EXIT } from "../../cli/errors.ts";
import { nodeMajor, SUPPORTED_NODE_MAJOR } from "../../cli/node-support.ts";
import { RESTART_RULE_ALLOWED } from "../../lambda/core/restart-rule.ts";
import { CallGuard } from "../../sandbox/call-guard.ts";
import { PINNED_START_MILLIS, type Sandbox, type SeedProject, startSandbox } from "../../sandbox/index.ts";
import { PermissionChecker } from "../../sandbox/permission-check.ts";
import type { ChildRun } from "../support/child-run.ts";
import { cliPrincipal } from "../support/cli-policy.ts";
import { CLI_LAUNCHER, FIXED_CLOCK_LAUNCHER, runCli } from "../support/cli-run.ts";
import { profileFiles } from "../support/profile-files.ts";

/** The instant the sandbox, the seed and the CLI all read as now. */
const NOW = PINNED_START_MILLIS;
const TABLE = "cli-test-log";
const STACK = "IdleModelStopper";
/** The CLI's own identity: only its calls are checked against the CLI policy, not the harness's seeding. */
const CLI_ACCESS_KEY_ID = "AKIASANDBOXCLIUSER01";
const PACKAGE_VERSION = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;
const HOUR_MS = 3_600_000;
const idle = (units = 1) => ({ inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units }] });

const projects: SeedProject[] = [
  {
    name: "shelf",
    versions: [
      { name: "idle", status: "RUNNING", minInferenceUnits: 2, maxInferenceUnits: 3, ...idle(2) },
      { name: "busy", status: "RUNNING", ...idle(), requests: [{ minutesAgo: 30, count: 12 }] },
      { name: "recent", status: "RUNNING", inService: [{ fromMinutesAgo: 60, toMinutesAgo: 0, units: 1 }] },
    ],
  },
  {
    name: "logos",
    tags: { "auto-stop": "never" },
    versions: [{ name: "prod", status: "RUNNING", ...idle() }],
  },
  {
    name: "moderation",
    feature: "CONTENT_MODERATION",
    versions: [{ name: "adapter", status: "RUNNING", ...idle() }],
  },
  {
    name: "pallets",
    versions: [
      { name: "v1", status: "STOPPED" },
      // Stopped, but by someone else: the log table has no record of it.
      { name: "v0", status: "STOPPED" },
    ],
  },
  // Started before August 2022: RUNNING, but it publishes no InServiceInferenceUnits.
  { name: "legacy", versions: [{ name: "v1", status: "RUNNING" }] },
  {
    name: "eu-cats",
    region: "eu-west-1",
    // A tag that looks like an opt-out but is not the key: pointed out, and the model is still judged idle.
    tags: { "idle-stopper:keep": "true" },
    versions: [{ name: "v1", status: "RUNNING", ...idle(3) }],
  },
  // Being stopped: restart must wait for STOPPED.
  { name: "winding", versions: [{ name: "down", status: "STOPPING" }] },
  {
    name: "forms",
    versions: [
      { name: "reader", status: "STOPPED" },
      { name: "writer", status: "STOPPED" },
      { name: "typo", status: "STOPPED" },
    ],
  },
];

/** A decision as `scan --json` prints it. */
interface JsonDecision {
  readonly model: {
    readonly modelArn?: string;
    readonly region: string;
    readonly projectName: string;
    readonly versionName: string;
  };
  readonly verdict: {
    readonly action: string;
    readonly facts: { readonly inferenceUnits?: number; readonly estimatedHourlyCostUsd?: number };
  };
  readonly idleFor: string;
}

let sandbox: Sandbox;
let permissions: CallGuard | undefined;
const arn = (project: string, version: string, region?: string) =>
  sandbox.rekognition.modelArn(project, version, region);

/** Runs the CLI with its clock fixed at NOW, for commands whose output depends on the time. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<ChildRun> {
  return spawnCli(FIXED_CLOCK_LAUNCHER, args, { ...env, CLI_FIXED_CLOCK: String(NOW) });
}

/** Runs the CLI through the real launcher, for commands that do not read the clock. */
function launcher(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<ChildRun> {
  return spawnCli(CLI_LAUNCHER, args, env, stdin);
}

/** Runs a CLI entry script as the CLI user; resolves once its calls are checked against the CLI policy. */
function spawnCli(
  script: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): Promise<ChildRun> {
  return runCli(script, args, {
    sandboxEnv: sandbox.env,
    accessKeyId: CLI_ACCESS_KEY_ID,
    env,
    ...(stdin !== undefined && { stdin }),
    // The calls of this run (and of any run beside it) against the CLI policy.
    settle: async () => permissions?.settle(),
  });
}

/** stderr without the AWS SDK's Node-version notice, which Node 20 prints whatever the CLI does. */
const errorLines = (run: ChildRun) => run.stderr.split("\n").filter((line) => line.startsWith("error:"));

const iso = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR_MS).toISOString();
const record = (modelArn: string, hoursAgo: number, fields: Record<string, unknown>) => {
  const [, projectName, versionName] = /project\/([^/]+)\/version\/([^/]+)\//.exec(modelArn) ?? [];
  return {
    modelArn,
    stoppedAt: iso(hoursAgo),
    projectName,
    versionName,
    region: /:rekognition:([^:]+):/.exec(modelArn)?.[1],
    idleMinutes: 180,
    runId: `run-${hoursAgo}`,
    dryRun: false,
    reason: "idle: no requests in the last 3h00m; in service for the whole window",
    expiresAt: Math.floor(NOW / 1000) + 86_400,
    ...fields,
  };
};

before(async () => {
  // The clock stands still, so a model started by restart stays STARTING for the whole file.
  sandbox = await startSandbox({
    seed: { projects },
    clock: () => NOW,
    transitionDelayMs: 600_000,
    onCall: (call) => permissions?.observe(call),
  });
  const principal = cliPrincipal({
    ACCOUNT_ID: sandbox.account,
    HOME_REGION: sandbox.region,
    LOG_TABLE_NAME: TABLE,
    STACK_NAME: STACK,
  });
  permissions = new CallGuard(new PermissionChecker(principal), {
    accessKeyId: CLI_ACCESS_KEY_ID,
    // The tests that name another stack or a missing table show the CLI's error; the policy must refuse both.
    refusedOnPurpose: (call) =>
      Boolean(
        call.resource?.includes(":stack/Elsewhere/") || call.resource?.endsWith(":table/no-such-table"),
      ),
  });
  sandbox.cloudformation.putStack({ name: STACK, outputs: [{ key: "LogTableName", value: TABLE }] });
  const dynamo = new DynamoDBClient({
    region: sandbox.region,
    endpoint: sandbox.endpoints.dynamodb,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: "modelArn", KeyType: "HASH" },
        { AttributeName: "stoppedAt", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "modelArn", AttributeType: "S" },
        { AttributeName: "stoppedAt", AttributeType: "S" },
        { AttributeName: "followUpRegion", AttributeType: "S" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "FollowUps",
          KeySchema: [
            { AttributeName: "followUpRegion", KeyType: "HASH" },
            { AttributeName: "stoppedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const idleArn = arn("shelf", "idle");
  const palletsArn = arn("pallets", "v1");
  const stop = { status: "STOPPING", inferenceUnits: 2, minInferenceUnits: 2, maxInferenceUnits: 3 };
  const items = [
    // shelf/idle: stopped, seen running again 24 hours later (a dry run recorded it), stopped again 2 hours ago.
    record(idleArn, 50, { ...stop, estimatedHourlyCostUsd: 8 }),
    record(idleArn, 26, { ...stop, dryRun: true, status: "DRY_RUN", estimatedHourlyCostUsd: 8 }),
    record(idleArn, 2, { ...stop, status: "STOPPED", estimatedHourlyCostUsd: 8 }),
    // A stop that did not take effect, and one older than a week.
    record(arn("logos", "prod"), 10, {
      status: "ALREADY_CHANGING: ResourceInUseException: The model is STOPPING.",
      inferenceUnits: 1,
      estimatedHourlyCostUsd: 4,
    }),
    record(arn("logos", "prod"), 24 * 30, {
      status: "STOPPING",
      inferenceUnits: 1,
      estimatedHourlyCostUsd: 4,
    }),
    // pallets/v1: an older stop at 1 unit, the newest live stop at 2-4, and a newer dry run at 5 to be ignored.
    record(palletsArn, 40, { status: "STOPPING", inferenceUnits: 1, minInferenceUnits: 1 }),
    record(palletsArn, 20, {
      status: "STOPPING",
      inferenceUnits: 3,
      minInferenceUnits: 2,
      maxInferenceUnits: 4,
      estimatedHourlyCostUsd: 12,
    }),
    record(palletsArn, 5, { status: "DRY_RUN", dryRun: true, inferenceUnits: 5, minInferenceUnits: 5 }),
    // forms: one stop the stopper undid 3 hours later (a request had come in before it), one a person undid after 4.
    record(arn("forms", "reader"), 12, {
      ...stop,
      status: "RESTARTED",
      estimatedHourlyCostUsd: 8,
      restartedAt: iso(9),
      restartedBy: "regret",
      restartReason: "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
    }),
    record(arn("forms", "writer"), 11, {
      ...stop,
      status: "STARTED_BY_HAND",
      completedAt: iso(11),
      estimatedHourlyCostUsd: 8,
      startedByHandAt: iso(7),
    }),
    // A stop ten days ago whose recorded units AWS refuses (the maximum under the minimum).
    record(arn("forms", "typo"), 240, { status: "STOPPED", minInferenceUnits: 3, maxInferenceUnits: 2 }),
    // Not a stop record: something else sharing the table.
    { modelArn: "RUN#2026-11-28", stoppedAt: iso(1), note: "not a model" },
    // Warnings, not stops: eu-cats/v1 warned an hour ago and still open; logos/prod warned, then opted out.
    record(arn("eu-cats", "v1", "eu-west-1"), 1, {
      kind: "warning",
      status: "WARNED",
      followUpRegion: "eu-west-1",
      stopNotBefore: iso(-7).replace(/\.\d{3}Z$/, "Z"),
      inferenceUnits: 3,
    }),
    record(arn("logos", "prod"), 30, {
      kind: "warning",
      status: "CLEARED",
      note: "opted out or snoozed since the warning: opted out: tag auto-stop=never on the project",
    }),
  ];
  await DynamoDBDocumentClient.from(dynamo).send(
    new BatchWriteCommand({ RequestItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) } }),
  );
  dynamo.destroy();
});

after(async () => {
  await sandbox?.stop();
  sandbox?.assertMatchesApiModels();
});

describe("scan", () => {
  it("prints each running model's decision and what a run would stop, calling nothing that writes", async () => {
    const callsBefore = sandbox.calls.length;

    const run = await cli(["scan"]);

    assert.equal(run.code, 0, run.stderr);
    const calls = sandbox.calls.slice(callsBefore);
    assert.deepEqual(
      calls.filter((c) => c.service === "dynamodb" || c.operation === "StopProjectVersion"),
      [],
    );
    assert.ok(calls.some((c) => c.operation === "GetMetricData"));
    // The models in service come from ListMetrics; the busy and recent ones are judged by their metrics alone.
    assert.ok(calls.some((c) => c.operation === "ListMetrics"));
    for (const version of ["busy", "recent"])
      assert.ok(
        !calls.some((c) => c.resource === arn("shelf", version)),
        `shelf/${version} is not described`,
      );
    const rows = Object.fromEntries(
      run.stdout
        .split("\n\n")[0]
        ?.split("\n")
        .slice(1)
        .map((line) => [line.split(/\s{2,}/)[0], line]) ?? [],
    );
    assert.deepEqual(Object.keys(rows).sort(), ["logos/prod", "shelf/busy", "shelf/idle", "shelf/recent"]);
    assert.match(
      run.stdout,
      /^MODEL\s+UNITS\s+LAST REQUEST\s+EVIDENCE UNTIL\s+IDLE FOR\s+DECISION\s+\$\/H\s+REASON\n/,
    );
    assert.match(
      rows["shelf/idle"] ?? "",
      /^shelf\/idle\s+2\s+none in 3h00m\s+2026-11-28T02:00:00Z\s+≥ 3h00m\s+would stop\s+\$8\.00\s+idle: no requests from 2026-11-27T23:00:00Z to 2026-11-28T02:00:00Z, the newest metrics/,
    );
    assert.match(
      rows["shelf/busy"] ?? "",
      // The requests were seeded 30 minutes before NOW's minute (01:30:00), and NOW is 02:00:05; the evidence
      // reaches 02:00:00, the end of the newest one-minute in-service period.
      /\s1\s+2026-11-28T01:30:00Z\s+2026-11-28T02:00:00Z\s+30m\s+keep\s+\$4\.00\s+in use: 12/,
    );
    assert.match(
      rows["shelf/recent"] ?? "",
      /none in 3h00m\s+2026-11-28T02:00:00Z\s+1h00m\s+keep\s+\$4\.00\s+started recently: in service since 2026-11-28T01:00:00Z \(1h00m ago\)/,
    );
    assert.match(
      rows["logos/prod"] ?? "",
      // Judged by its project's tags, undescribed; what the screen read of its metrics is shown.
      /\s1\s+none in 3h00m\s+2026-11-28T02:00:00Z\s+≥ 3h00m\s+keep\s+\$4\.00\s+opted out: tag auto-stop=never on the project/,
    );
    assert.match(run.stdout, /\nWould stop 1 of 4 running models, saving about \$8\.00\/h\.\n$/);
    assert.match(run.stderr, /us-east-1: 4 running Custom Labels models decided/);
    assert.ok(!run.stderr.includes("would stop"), "the table goes to stdout only");
    assert.equal(sandbox.rekognition.model(arn("shelf", "idle"))?.status, "RUNNING");
  });

  it("shows a model whose tags cannot be read as kept to be safe, lists the error, and exits 1", async () => {
    sandbox.setFaults({ rekognition: { operations: { ListTagsForResource: { serverErrorRate: 1 } } } });
    let run: ChildRun;
    try {
      run = await cli(["scan"], { AWS_MAX_ATTEMPTS: "1" });
    } finally {
      sandbox.setFaults({});
    }

    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^shelf\/idle\s.*keep\s+\$8\.00\s+kept to be safe: could not read tags/m);
    // Only the two models their metrics call idle have their tags read: shelf/idle and logos/prod.
    assert.match(
      run.stdout,
      /Would stop 0 of 4 running models, saving about \$0\.00\/h\. Incomplete: 2 problems/,
    );
    assert.equal(errorLines(run).length, 2);
    assert.match(
      errorLines(run)[0] ?? "",
      /^error: arn:aws:rekognition:.*: ListTagsForResource on the (model|project) failed: InternalServerError/,
    );
  });

  it("keeps a model whose restart tag is not a rule, and says what is allowed, on stderr too", async () => {
    const model = arn("eu-cats", "v1", "eu-west-1");
    const harness = new RekognitionClient({
      region: "eu-west-1",
      endpoint: sandbox.endpoints.rekognition,
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
      },
    });
    await harness.send(
      new TagResourceCommand({ ResourceArn: model, Tags: { "auto-stop:restart": "weekdays 7:30" } }),
    );
    let run: ChildRun;
    try {
      run = await cli(["scan", "--region", "eu-west-1"]);
    } finally {
      await harness.send(new UntagResourceCommand({ ResourceArn: model, TagKeys: ["auto-stop:restart"] }));
      harness.destroy();
    }

    const problem =
      'tag auto-stop:restart on the model: "weekdays 7:30" is not a restart rule: the time zone is missing (add one ' +
      `such as UTC or Europe/Paris). Allowed: ${RESTART_RULE_ALLOWED}`;
    assert.equal(run.code, 1, run.stderr);
    // The tags keep it; scan still reads its units in service, as for every model the tags keep.
    assert.ok(
      run.stdout.includes(
        `\neu-cats/v1  3      —             —               —         keep      $12.00  kept to be safe: ${problem}\n`,
      ),
      run.stdout,
    );
    assert.deepEqual(errorLines(run), [`error: ${model}: ${problem}`]);
  });

  it("--json gives every decision with its model, verdict and facts, across the regions asked for", async () => {
    const run = await cli([
      "scan",
      "--json",
      "--region",
      "us-east-1,eu-west-1",
      "--idle-minutes",
      "120",
      "--price",
      "5",
    ]);

    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.regions, ["us-east-1", "eu-west-1"]);
    assert.equal(report.settings.idleMinutes, 120);
    assert.equal(report.running, 5);
    const byArn = new Map<string, JsonDecision>(
      report.decisions.map((d: JsonDecision) => [d.model.modelArn, d]),
    );
    const euCats = byArn.get(arn("eu-cats", "v1", "eu-west-1"));
    assert.equal(euCats?.model.region, "eu-west-1");
    assert.equal(euCats?.verdict.action, "stop");
    assert.equal(euCats?.verdict.facts.inferenceUnits, 3);
    assert.equal(euCats?.verdict.facts.estimatedHourlyCostUsd, 15);
    assert.equal(euCats?.idleFor, "≥ 2h00m");
    // A busy model is judged by its metrics alone: its names, no ARN.
    const busy = report.decisions.find(
      (d: JsonDecision) => d.model.projectName === "shelf" && d.model.versionName === "busy",
    );
    assert.equal(busy?.verdict.action, "keep");
    assert.equal(busy?.model.modelArn, undefined);
    assert.equal(report.settings.discovery, "metrics-first");
    assert.equal(report.wouldStop, 2);
    assert.equal(report.estimatedHourlySavingsUsd, 25);
    assert.match(run.stderr, /eu-west-1: 1 running Custom Labels model decided/);
  });

  it("--table shows each model's open warning and when a run may stop it, read from the table's FollowUps index", async () => {
    const callsBefore = sandbox.calls.length;

    const [table, json] = await Promise.all([
      cli(["scan", "--region", "us-east-1,eu-west-1", "--table", TABLE]),
      cli(["scan", "--region", "eu-west-1", "--json"], { IDLE_MODEL_STOPPER_TABLE: TABLE }),
    ]);

    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^MODEL\s+REGION\s+UNITS\s+LAST REQUEST\s+EVIDENCE UNTIL\s+IDLE FOR\s+DECISION\s+WARNED: STOP FROM\s+\$\/H/,
    );
    const stopAt = iso(-7).replace(/\.\d{3}Z$/, "Z");
    assert.match(
      table.stdout,
      new RegExp(`^eu-cats/v1\\s+eu-west-1\\s+.*would stop\\s+${stopAt}\\s+\\$12\\.00`, "m"),
    );
    assert.match(table.stdout, /^shelf\/idle\s+us-east-1\s+.*would stop\s+not warned\s+\$8\.00/m);
    assert.match(
      table.stderr,
      new RegExp(`Open warnings from log table ${TABLE} in us-east-1 \\(from --table\\)`),
    );
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.warningsFrom, TABLE);
    assert.deepEqual(report.decisions[0].warning, {
      warnedAt: iso(1).replace(/\.\d{3}Z$/, "Z"),
      stopNotBefore: stopAt,
    });
    const reads = sandbox.calls.slice(callsBefore).filter((c) => c.service === "dynamodb");
    assert.ok(
      reads.length > 0 && reads.every((c) => c.operation === "Query" && c.input.IndexName === "FollowUps"),
    );
  });
});

describe("scan, what it shows whatever keeps a model", () => {
  it("shows the same units and cost with --require-opt-in as without, measured in service, not MinInferenceUnits", async () => {
    // Act: eu-cats/v1 runs 3 inference units with MinInferenceUnits 1; opt-in mode keeps it by its tags alone.
    const [plain, optIn] = await Promise.all([
      cli(["scan", "--region", "eu-west-1"]),
      cli(["scan", "--region", "eu-west-1", "--require-opt-in"]),
    ]);

    // Assess
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(optIn.code, 0, optIn.stderr);
    assert.match(
      plain.stdout,
      /^eu-cats\/v1\s+3\s+none in 3h00m\s+2026-11-28T02:00:00Z\s+≥ 3h00m\s+would stop\s+\$12\.00\s+idle:/m,
    );
    assert.match(optIn.stdout, /^eu-cats\/v1\s+3\s+—\s+—\s+—\s+keep\s+\$12\.00\s+not opted in:/m);
  });

  it("points out a tag that looks like an opt-out but does nothing, naming the key that would work", async () => {
    // Act
    const run = await cli(["scan", "--region", "eu-west-1"]);

    // Assess: the model is still judged idle; the note follows the total.
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /would stop/);
    assert.match(
      run.stdout,
      /\nWould stop 1 of 1 running model, saving about \$12\.00\/h\.\n\nTags that look like an opt-out but do nothing \(no decision above counts them\):\n- eu-cats\/v1: tag idle-stopper:keep=true on the project looks like an opt-out but does nothing: the opt-out key is auto-stop \(e\.g\. auto-stop=never\)\n$/,
    );
  });
});

describe("scan --full", () => {
  it("describes every project, and so also lists a RUNNING model that publishes no InServiceInferenceUnits", async () => {
    // Prepare
    const callsBefore = sandbox.calls.length;

    // Act
    const [full, metricsFirst] = await Promise.all([cli(["scan", "--full"]), cli(["scan"])]);

    // Assess
    assert.equal(full.code, 0, full.stderr);
    assert.match(
      full.stdout,
      /^legacy\/v1\s.*keep\s+\$4\.00\s+insufficient evidence: no InServiceInferenceUnits data in the last 3h00m/m,
    );
    assert.match(full.stdout, /\nWould stop 1 of 5 running models/);
    assert.ok(!metricsFirst.stdout.includes("legacy/v1"), "metrics-first discovery cannot see it");
    assert.match(metricsFirst.stdout, /\nWould stop 1 of 4 running models/);
    assert.match(full.stderr, /every project described/);
    const calls = sandbox.calls.slice(callsBefore);
    assert.ok(
      calls.some(
        (c) => c.operation === "DescribeProjectVersions" && c.resource?.includes(":project/legacy/"),
      ),
    );
  });
});

describe("bad arguments", () => {
  const cases: { args: string[]; message: RegExp; usage: RegExp }[] = [
    { args: [], message: /^$/, usage: /^Usage: idle-model-stopper <command>/m },
    {
      args: ["frobnicate"],
      message: /^error: Unknown command "frobnicate"\. Allowed: scan, history, restart$/,
      usage: /^Usage: idle-model-stopper <command>/m,
    },
    {
      args: ["scan", "--idle-minutes", "5"],
      message:
        /^error: Invalid --idle-minutes: "5"\. Allowed: a whole number of minutes from 15 to 10080 \(7 days\)\.$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--region", "moon-1"],
      message:
        /^error: Invalid --region: "moon-1"\. Allowed: a region code such as us-east-1, or several separated by commas\.$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--region", "us-east-1,moon-1"],
      message:
        /^error: Invalid --region: "us-east-1,moon-1"\. Allowed: .* \("moon-1" is not a region code\)\.$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["history", "--region", "moon-1"],
      message: /^error: Invalid --region: "moon-1"\. Allowed: a region code such as us-east-1\.$/,
      usage: /^Usage: idle-model-stopper history/m,
    },
    {
      args: ["scan", "--profile"],
      message: /^error: Invalid --profile: ""\. Allowed: the name of a profile in your AWS config/,
      usage: /^Usage: idle-model-stopper <command>/m,
    },
    {
      args: ["restart", "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1", "--table", "x"],
      message: /^error: Invalid --table: "x"\. Allowed: a DynamoDB table name/,
      usage: /^Usage: idle-model-stopper restart/m,
    },
    {
      args: ["scan", "--bogus"],
      message:
        /^error: Unknown option "--bogus" for scan\. Allowed: --region, --idle-minutes, .*, --help \(-h\)$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--price", "-1"],
      message:
        /^error: Invalid --price: "-1"\. Allowed: a decimal number of USD above 0 and at most 1000, such as 4\.00\.$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--require-opt-in", "maybe"],
      message: /^error: --require-opt-in is a switch and takes no value; got "maybe"$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["restart", "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1", "--yes", "maybe"],
      message: /^error: --yes is a switch and takes no value; got "maybe"$/,
      usage: /^Usage: idle-model-stopper restart/m,
    },
    {
      args: ["history", "--since", "yesterday", "--table", TABLE],
      message: /^error: Invalid --since: "yesterday"\. Allowed: a duration such as 7d/,
      usage: /^Usage: idle-model-stopper history/m,
    },
    {
      args: ["history", "--since", "2026-02-30"],
      message: /^error: Invalid --since: "2026-02-30"/,
      usage: /^Usage: idle-model-stopper history/m,
    },
    {
      args: ["restart", "arn:aws:rekognition:us-east-1:123456789012:project/x", "--yes"],
      message:
        /^error: Invalid MODEL_ARN: "arn:aws:rekognition:us-east-1:123456789012:project\/x"\. Allowed: a Custom Labels model ARN/,
      usage: /^Usage: idle-model-stopper restart/m,
    },
    {
      args: ["restart", "--yes"],
      message: /^error: restart needs MODEL_ARN$/,
      usage: /^Usage: idle-model-stopper restart/m,
    },
  ];

  it("each gets a message naming what is wrong, the usage on stderr, and exit code 2, before any AWS call", async () => {
    const callsBefore = sandbox.calls.length;

    const runs = await Promise.all(cases.map(({ args }) => launcher(args)));

    for (const [index, run] of runs.entries()) {
      const { args, message, usage } = cases[index] as (typeof cases)[number];
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "", args.join(" "));
      assert.match(errorLines(run).join("\n"), message, args.join(" "));
      assert.match(run.stderr, usage, args.join(" "));
    }
    assert.deepEqual(sandbox.calls.slice(callsBefore), []);
  });

  it("--help prints the command's usage on stdout and exits 0", async () => {
    const [main, scan] = await Promise.all([launcher(["--help"]), launcher(["scan", "--help"])]);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /^Usage: idle-model-stopper <command> \[options\]/);
    assert.equal(scan.code, 0);
    assert.match(scan.stdout, /--idle-minutes N/);
  });

  it("--version prints the package's version on stdout and exits 0", async () => {
    const run = await launcher(["--version"]);

    assert.equal(run.code, EXIT.ok);
    assert.equal(run.stdout, `idle-model-stopper ${PACKAGE_VERSION}\n`);
  });
});

describe("the Node.js it runs on", () => {
  it("gets one line of the CLI's own on an unsupported Node.js, and none of the AWS SDK's warning", async () => {
    const run = await launcher(["history", "--table", TABLE, "--since", "1h"]);

    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stderr.includes("NodeVersionSupportWarning"), run.stderr);
    const notices = run.stderr.split("\n").filter((line) => line.includes("Node.js"));
    if (nodeMajor(process.version) < SUPPORTED_NODE_MAJOR)
      assert.deepEqual(notices, [
        `idle-model-stopper: Node.js ${process.version} is not supported; use Node.js 22 or later (what Lambda runs the function on).`,
      ]);
    else assert.deepEqual(notices, []);
  });
});

describe("--profile", () => {
  it("takes the credentials and the region of a named profile, before or after the command, as the AWS CLI does", async () => {
    // Prepare: a config file with the profile's region, a credentials file with its keys, and no region or keys in
    // the environment, so only the profile can give them.
    const profile = profileFiles("sandbox", "eu-west-1", CLI_ACCESS_KEY_ID);
    const env = profile.env;

    try {
      // Act
      const [after, before, unknown] = await Promise.all([
        cli(["scan", "--profile", "sandbox"], env),
        cli(["--profile=sandbox", "scan"], env),
        cli(["scan", "--profile", "nope"], env),
      ]);

      // Assess
      for (const run of [after, before]) {
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /^Scanning eu-west-1 read-only/m);
        assert.match(run.stdout, /^eu-cats\/v1\s/m);
      }
      assert.equal(unknown.code, EXIT.usage);
      assert.match(
        errorLines(unknown).join("\n"),
        /^error: No region: pass --region, or set AWS_REGION or a region in the profile nope \(--profile\)/,
      );
    } finally {
      profile.remove();
    }
  });
});

describe("the README's exit codes", () => {
  it("are the ones every command uses, in one table", () => {
    // Prepare
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("**Exit codes.**"));

    // Act
    const rows = [
      ...section
        .slice(0, section.indexOf("\n\n", section.indexOf("| Code")))
        .matchAll(/^\| (\d) \| (.+) \|$/gm),
    ].map((match) => Number(match[1]));

    // Assess
    assert.deepEqual(rows, Object.values(EXIT));
  });
});

describe("history", () => {
  it("lists the week's stops, oldest first, and the cost avoided until each model's next record or now", async () => {
    const run = await cli(["history", "--table", TABLE]);

    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.match(
      lines[0] ?? "",
      /^STOPPED AT\s+MODEL\s+REGION\s+STATUS\s+UNITS\s+\$\/H\s+AVOIDED\s+DRY RUN\s+THEN\s+REASON$/,
    );
    const rows = lines.slice(1, lines.indexOf(""));
    assert.deepEqual(
      rows.map((row) =>
        row
          .split(/\s{2,}/)
          .slice(1, 4)
          .join(" "),
      ),
      [
        "shelf/idle us-east-1 STOPPING",
        "pallets/v1 us-east-1 STOPPING",
        "shelf/idle us-east-1 DRY_RUN",
        "pallets/v1 us-east-1 STOPPING",
        "forms/reader us-east-1 RESTARTED",
        "forms/writer us-east-1 STARTED_BY_HAND",
        "logos/prod us-east-1 ALREADY_CHANGING",
        "pallets/v1 us-east-1 DRY_RUN",
        "shelf/idle us-east-1 STOPPED",
      ],
    );
    // 24 h at $8 until the dry run saw it running; 15 h at $12 until the next record; 2 h at $8 until now.
    assert.match(rows[0] ?? "", /\$8\.00\s+\$192\.00 \(1d00h00m\)\s+no\s+—\s+idle:/);
    assert.match(rows[3] ?? "", /\$12\.00\s+\$180\.00 \(15h00m\)\s+no/);
    assert.match(rows[8] ?? "", /\$8\.00\s+\$16\.00 \(2h00m\)\s+no/);
    assert.match(rows[6] ?? "", /\$4\.00\s+—\s+no/);
    // Undone stops: avoided until the model was started again, and what started it.
    assert.match(
      rows[4] ?? "",
      /\$24\.00 \(3h00m\)\s+no\s+restarted \S+ by regret check: regretted: a request at 2026-11-28T01:59:00Z arrived before the stop\s+idle:/,
    );
    assert.match(
      rows[5] ?? "",
      /\$32\.00 \(4h00m\)\s+no\s+started again by hand 4 hours after the stop \(seen running at \S+\)\s+idle:/,
    );
    assert.ok(!run.stdout.includes("RUN#"), "items that are not stop records are left out");
    assert.match(
      run.stdout,
      /: 6 stops of 5 models \(plus 2 dry-run records and 1 stop that did not take effect\)\.\nUndone since: 1 started again by the stopper, 1 started again by hand within a day\.\n/,
    );
    assert.match(
      run.stdout,
      /Estimated cost avoided: about \$444\.00 \(assumes each stopped model stayed stopped until it was started again, its next record/,
    );
    assert.match(run.stderr, new RegExp(`Log table ${TABLE} in us-east-1 \\(from --table\\)`));
    // The warnings come after the stops, apart: they are not stops and avoid no cost.
    const warnings = run.stdout.slice(run.stdout.indexOf("Warnings before a stop"));
    assert.match(
      warnings,
      /^WARNED AT\s+MODEL\s+REGION\s+STATUS\s+STOP NOT BEFORE\s+DRY RUN\s+REASON OR OUTCOME$/m,
    );
    assert.match(
      warnings,
      /^\S+\s+logos\/prod\s+us-east-1\s+CLEARED\s+—\s+no\s+opted out or snoozed since the warning/m,
    );
    assert.match(warnings, /^\S+\s+eu-cats\/v1\s+eu-west-1\s+WARNED\s+\S+Z\s+no\s+idle:/m);
    assert.match(warnings, /^2 warnings: 1 CLEARED, 1 WARNED\.$/m);
  });

  it("--model --since --json reads one model's records, found through the stack's LogTableName output", async () => {
    const run = await cli(["history", "--model", arn("shelf", "idle"), "--since", "30h", "--json"]);

    assert.equal(run.code, 0, run.stderr);
    const history = JSON.parse(run.stdout);
    assert.equal(history.table, TABLE);
    assert.deepEqual(
      history.records.map((r: Record<string, unknown>) => [r.status, r.countedAsAvoided]),
      [
        ["DRY_RUN", false],
        ["STOPPED", true],
      ],
    );
    assert.equal(history.totals.stops, 1);
    assert.equal(history.totals.dryRuns, 1);
    assert.equal(history.totals.estimatedCostAvoidedUsd, 16);
    assert.match(run.stderr, /from output LogTableName of stack IdleModelStopper/);
    const queries = sandbox.calls.filter((c) => c.service === "dynamodb" && c.operation === "Query");
    assert.ok(queries.length > 0, "one model's records are read by Query, not Scan");
  });

  it("takes the table from IDLE_MODEL_STOPPER_TABLE, and names a missing stack or table in one line, exit 1", async () => {
    const [fromEnv, noStack, noTable] = await Promise.all([
      cli(["history", "--since", "2000-01-01"], { IDLE_MODEL_STOPPER_TABLE: TABLE }),
      cli(["history", "--stack", "Elsewhere"]),
      cli(["history", "--table", "no-such-table"]),
    ]);

    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /: 8 stops of 6 models/);
    assert.equal(noStack.code, 1);
    assert.deepEqual(errorLines(noStack), [
      "error: could not find the log table: ValidationError: Stack with id Elsewhere does not exist. " +
        "Pass --table NAME, set IDLE_MODEL_STOPPER_TABLE, or name the stack with --stack and its region with --region",
    ]);
    assert.equal(noTable.code, 1);
    assert.match(
      errorLines(noTable).join("\n"),
      /^error: reading the log table no-such-table in us-east-1 failed: ResourceNotFoundException/,
    );
    for (const run of [noStack, noTable]) assert.ok(!/^\s+at /m.test(run.stderr), "no stack trace");
  });

  it("says to sign in, not to name the table, when there are no credentials", async () => {
    const run = await cli(["history"], {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_EC2_METADATA_DISABLED: "true",
    });

    assert.equal(run.code, 1);
    assert.deepEqual(
      errorLines(run).map((line) => line.replace(/\(CredentialsProviderError: [^)]*\)/, "(…)")),
      [
        "error: could not read the stack IdleModelStopper for its log table: no AWS credentials were found (…). " +
          "Sign in first: set AWS_PROFILE or pass --profile, run aws sso login, or export AWS_ACCESS_KEY_ID and " +
          "AWS_SECRET_ACCESS_KEY",
      ],
    );
  });
});

describe("restart", () => {
  const escapeRegExp = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&");

  it("says a running, starting or stopping model has nothing to restart, exit 3, before reading the log or asking", async () => {
    // Prepare
    const callsBefore = sandbox.calls.length;

    // Act
    const [running, stopping] = await Promise.all([
      launcher(["restart", arn("shelf", "idle")]),
      launcher(["restart", arn("winding", "down"), "--yes"]),
    ]);

    // Assess
    assert.equal(running.code, EXIT.nothingDone, running.stderr);
    assert.match(running.stderr, /^shelf\/idle in us-east-1 is RUNNING: nothing to restart$/m);
    assert.equal(stopping.code, EXIT.nothingDone, stopping.stderr);
    assert.match(
      stopping.stderr,
      /^winding\/down in us-east-1 is STOPPING: nothing started; run restart again once it is STOPPED$/m,
    );
    for (const run of [running, stopping]) {
      assert.deepEqual(errorLines(run), [], "not an error");
      assert.ok(!run.stderr.includes("[y/N]"), "nothing is asked");
    }
    const calls = sandbox.calls.slice(callsBefore);
    assert.deepEqual(
      [...new Set(calls.map((c) => c.operation))].sort(),
      ["DescribeProjectVersions", "DescribeProjects"],
      "only the status is read",
    );
  });

  it("says what it will start and with which units, and exits 3 when the question is declined", async () => {
    // Act
    const [declined, unanswered] = await Promise.all([
      launcher(["restart", arn("pallets", "v1"), "--table", TABLE], {}, "n\n"),
      launcher(["restart", arn("pallets", "v1"), "--table", TABLE]),
    ]);

    // Assess
    for (const run of [declined, unanswered]) {
      assert.equal(run.code, EXIT.nothingDone, run.stderr);
      assert.match(
        run.stderr,
        /^pallets\/v1 in us-east-1 is STOPPED\. Newest stop: .* by run run-20, status STOPPING, \$12\.00\/h when stopped\.$/m,
      );
      assert.match(
        run.stderr,
        /^This starts it with MinInferenceUnits=2, MaxInferenceUnits=4; it bills while it runs\. Nothing else is changed\.$/m,
      );
      assert.match(run.stderr, /Start pallets\/v1 in us-east-1\? \[y\/N\] /);
      assert.match(
        run.stderr,
        /^Not started: the start was not confirmed \(pass --yes to start without asking\)\.$/m,
      );
      assert.deepEqual(errorLines(run), []);
    }
    assert.equal(sandbox.rekognition.model(arn("pallets", "v1"))?.status, "STOPPED");
  });

  it("starts the model with the units of its newest live record", async () => {
    const run = await launcher(["restart", arn("pallets", "v1"), "--table", TABLE, "--yes"]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      "Started pallets/v1 in us-east-1 with MinInferenceUnits=2, MaxInferenceUnits=4: status STARTING.\n",
    );
    const model = sandbox.rekognition.model(arn("pallets", "v1"));
    assert.equal(model?.status, "STARTING");
    assert.equal(model?.minInferenceUnits, 2);
    assert.equal(model?.maxInferenceUnits, 4);
  });

  it("refuses a stopped model with no stop record, and a model that does not exist, naming each, exit 1", async () => {
    // Prepare
    const missing = arn("pallets", "v1").replace("/version/v1/", "/version/v9/");

    // Act
    const [noRecord, noModel] = await Promise.all([
      launcher(["restart", arn("pallets", "v0"), "--table", TABLE, "--yes"]),
      launcher(["restart", missing, "--table", TABLE, "--yes"]),
    ]);

    // Assess
    assert.equal(noRecord.code, EXIT.failed);
    assert.match(
      errorLines(noRecord).join("\n"),
      new RegExp(
        `^error: no live \\(not dry-run\\) stop of ${escapeRegExp(arn("pallets", "v0"))} is recorded`,
      ),
    );
    assert.equal(noModel.code, EXIT.failed);
    assert.deepEqual(errorLines(noModel), [
      `error: pallets/v9 in us-east-1 does not exist: ${missing} was not found`,
    ]);
    assert.equal(sandbox.rekognition.model(arn("pallets", "v0"))?.status, "STOPPED");
  });

  it("leaves a model the stopper already started again alone, saying when and why, exit 3", async () => {
    // Act
    const restarted = await launcher(["restart", arn("forms", "reader"), "--table", TABLE, "--yes"]);

    // Assess
    assert.equal(restarted.code, EXIT.nothingDone, restarted.stderr);
    assert.match(
      restarted.stderr,
      /^Not started: the stopper already started forms\/reader in us-east-1 again at \S+ \(regretted: a request at 2026-11-28T01:59:00Z arrived before the stop\); see idle-model-stopper history --model /m,
    );
    assert.deepEqual(errorLines(restarted), [], "not an error");
    assert.ok(
      !sandbox.calls.some(
        (call) =>
          call.operation === "StartProjectVersion" && call.input.ProjectVersionArn === arn("forms", "reader"),
      ),
      "no start was even tried",
    );
    assert.equal(sandbox.rekognition.model(arn("forms", "reader"))?.status, "STOPPED");
  });

  it("reports AWS's refusal of a start in one line, exit 1", async () => {
    // Act
    const refused = await launcher(["restart", arn("forms", "typo"), "--table", TABLE, "--yes"]);

    // Assess
    assert.equal(refused.code, EXIT.failed);
    assert.deepEqual(errorLines(refused), [
      "error: InvalidParameterException: MaxInferenceUnits (2) must be greater than or equal to MinInferenceUnits (3).",
    ]);
    assert.equal(sandbox.rekognition.model(arn("forms", "typo"))?.status, "STOPPED");
  });
});
