/**
 * The CLI as a user runs it: `node bin/idle-model-stopper.mjs …` in a child process against the sandbox's
 * Rekognition, CloudWatch and DynamoDB endpoints. Assertions read stdout, stderr, the exit code, the sandbox's
 * call log and its models' state. Every AWS call a run makes is simulated against the shipped least-privilege
 * policy (policies/cli-policy.json): a run whose call that policy would refuse fails its test.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RekognitionClient, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-rekognition";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RESTART_RULE_ALLOWED } from "../../lambda/core/restart-rule.ts";
import { CallGuard } from "../../sandbox/call-guard.ts";
import { accessKeyFromAuthorization, regionFromAuthorization } from "../../sandbox/http-endpoint.ts";
import { type Sandbox, type SeedProject, startSandbox } from "../../sandbox/index.ts";
import { PermissionChecker } from "../../sandbox/permission-check.ts";
import { cliPrincipal } from "../support/cli-policy.ts";

const LAUNCHER = fileURLToPath(new URL("../../bin/idle-model-stopper.mjs", import.meta.url));
const TABLE = "cli-test-log";
const STACK = "IdleModelStopper";
/** The CLI's own identity: only its calls are checked against the CLI policy, not the harness's seeding. */
const CLI_ACCESS_KEY_ID = "AKIASANDBOXCLIUSER01";
const STACK_ID = "5b7e3c1a-0d2f-4e6a-9b8c-1f2e3d4c5b6a";
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
  { name: "pallets", versions: [{ name: "v1", status: "STOPPED" }] },
  {
    name: "forms",
    versions: [
      { name: "reader", status: "STOPPED" },
      { name: "writer", status: "STOPPED" },
      { name: "typo", status: "STOPPED" },
    ],
  },
  { name: "eu-cats", region: "eu-west-1", versions: [{ name: "v1", status: "RUNNING", ...idle(3) }] },
];

/** A decision as `scan --json` prints it. */
interface JsonDecision {
  readonly model: { readonly modelArn: string; readonly region: string };
  readonly verdict: {
    readonly action: string;
    readonly facts: { readonly inferenceUnits?: number; readonly estimatedHourlyCostUsd?: number };
  };
  readonly idleFor: string;
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let sandbox: Sandbox;
let permissions: CallGuard | undefined;
let cloudFormation: http.Server;
let cloudFormationUrl: string;
let now: number;
const arn = (project: string, version: string, region?: string) =>
  sandbox.rekognition.modelArn(project, version, region);

/** Runs the CLI with the sandbox's environment; stdin is empty, as in a pipeline. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = { ...process.env };
  // The developer's own settings must not leak into the run.
  for (const name of ["AWS_PROFILE", "AWS_DEFAULT_REGION", "IDLE_MODEL_STOPPER_TABLE"]) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      env: {
        ...base,
        ...sandbox.env,
        AWS_ACCESS_KEY_ID: CLI_ACCESS_KEY_ID,
        AWS_CONFIG_FILE: "/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
        AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      // The calls of this run (and of any run beside it) against the CLI policy.
      permissions?.settle().then(() => resolve({ code, stdout, stderr }), reject);
    });
  });
}

/** stderr without the AWS SDK's Node-version notice, which Node 20 prints whatever the CLI does. */
const errorLines = (run: CliRun) => run.stderr.split("\n").filter((line) => line.startsWith("error:"));

/** A fake CloudFormation (awsQuery) that knows one stack, IdleModelStopper, with a LogTableName output. */
function startCloudFormation(): Promise<string> {
  cloudFormation = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const params = new URLSearchParams(body);
      const stack = params.get("StackName");
      const region = regionFromAuthorization(request.headers.authorization) ?? sandbox.region;
      const accessKeyId = accessKeyFromAuthorization(request.headers.authorization);
      // IAM checks DescribeStacks against the stack's ARN, `stack/<name>/<id>`.
      permissions?.observe({
        operation: String(params.get("Action")),
        action: `cloudformation:${params.get("Action")}`,
        resource: `arn:aws:cloudformation:${region}:${sandbox.account}:stack/${stack}/${STACK_ID}`,
        region,
        ...(accessKeyId !== undefined && { accessKeyId }),
      });
      response.setHeader("content-type", "text/xml");
      if (params.get("Action") !== "DescribeStacks" || stack !== "IdleModelStopper") {
        response.statusCode = 400;
        response.end(
          "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>" +
            `<Message>Stack with id ${stack} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
        );
        return;
      }
      response.end(
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult>' +
          "<Stacks><member><StackName>IdleModelStopper</StackName><StackStatus>CREATE_COMPLETE</StackStatus>" +
          "<CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs><member><OutputKey>LogTableName</OutputKey>" +
          `<OutputValue>${TABLE}</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult>` +
          "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>",
      );
    });
  });
  return new Promise((resolve) =>
    cloudFormation.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`),
    ),
  );
}

const iso = (hoursAgo: number) => new Date(now - hoursAgo * HOUR_MS).toISOString();
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
    expiresAt: Math.floor(now / 1000) + 86_400,
    ...fields,
  };
};

before(async () => {
  // Models stay STARTING for the whole file, so a restart can be seen.
  sandbox = await startSandbox({
    seed: { projects },
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
  cloudFormationUrl = await startCloudFormation();
  now = Date.now();
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
  ];
  await DynamoDBDocumentClient.from(dynamo).send(
    new BatchWriteCommand({ RequestItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) } }),
  );
  dynamo.destroy();
});

after(async () => {
  cloudFormation?.closeAllConnections();
  await Promise.all([
    sandbox?.stop(),
    cloudFormation && new Promise((resolve) => cloudFormation.close(resolve)),
  ]);
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
    const rows = Object.fromEntries(
      run.stdout
        .split("\n\n")[0]
        ?.split("\n")
        .slice(1)
        .map((line) => [line.split(/\s{2,}/)[0], line]) ?? [],
    );
    assert.deepEqual(Object.keys(rows).sort(), ["logos/prod", "shelf/busy", "shelf/idle", "shelf/recent"]);
    assert.match(run.stdout, /^MODEL\s+UNITS\s+LAST REQUEST\s+IDLE FOR\s+DECISION\s+\$\/H\s+REASON\n/);
    assert.match(
      rows["shelf/idle"] ?? "",
      /^shelf\/idle\s+2\s+none in 3h00m\s+≥ 3h00m\s+would stop\s+\$8\.00\s+idle: no requests in the last 3h00m/,
    );
    assert.match(
      rows["shelf/busy"] ?? "",
      /\s1\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+(29|30|31)m\s+keep\s+\$4\.00\s+in use: 12/,
    );
    assert.match(
      rows["shelf/recent"] ?? "",
      /none in 3h00m\s+(59m|1h00m)\s+keep\s+\$4\.00\s+started recently/,
    );
    assert.match(
      rows["logos/prod"] ?? "",
      /—\s+—\s+keep\s+\$4\.00\s+opted out: tag auto-stop=never on the project/,
    );
    assert.match(run.stdout, /\nWould stop 1 of 4 running models, saving about \$8\.00\/h\.\n$/);
    assert.match(run.stderr, /us-east-1: 4 running Custom Labels models decided/);
    assert.ok(!run.stderr.includes("would stop"), "the table goes to stdout only");
    assert.equal(sandbox.rekognition.model(arn("shelf", "idle"))?.status, "RUNNING");
  });

  it("shows a model whose tags cannot be read as kept to be safe, lists the error, and exits 1", async () => {
    sandbox.setFaults({ rekognition: { operations: { ListTagsForResource: { serverErrorRate: 1 } } } });
    let run: CliRun;
    try {
      run = await cli(["scan"], { AWS_MAX_ATTEMPTS: "1" });
    } finally {
      sandbox.setFaults({});
    }

    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^shelf\/idle\s.*keep\s+\$8\.00\s+kept to be safe: could not read tags/m);
    assert.match(
      run.stdout,
      /Would stop 0 of 4 running models, saving about \$0\.00\/h\. Incomplete: 4 problems/,
    );
    assert.equal(errorLines(run).length, 4);
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
    let run: CliRun;
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
    // The tags keep it, so its metrics are not even read.
    assert.ok(
      run.stdout.includes(
        `\neu-cats/v1  1      —             —         keep      $4.00  kept to be safe: ${problem}\n`,
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
    assert.equal(byArn.get(arn("shelf", "busy"))?.verdict.action, "keep");
    assert.equal(report.wouldStop, 2);
    assert.equal(report.estimatedHourlySavingsUsd, 25);
    assert.match(run.stderr, /eu-west-1: 1 running Custom Labels model decided/);
  });
});

describe("bad arguments", () => {
  const cases: { args: string[]; message: RegExp; usage: RegExp }[] = [
    { args: [], message: /^$/, usage: /^Usage: idle-model-stopper <command>/m },
    {
      args: ["frobnicate"],
      message: /^error: unknown command: frobnicate$/,
      usage: /^Usage: idle-model-stopper <command>/m,
    },
    {
      args: ["scan", "--idle-minutes", "5"],
      message:
        /^error: Invalid --idle-minutes: "5"\. Allowed: a whole number of minutes from 15 to 10080 \(7 days\)\.$/,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--region", "mars-1"],
      message: /^error: Invalid --region: "mars-1"\./,
      usage: /^Usage: idle-model-stopper scan/m,
    },
    {
      args: ["scan", "--bogus"],
      message: /^error: Unknown option '--bogus'$/,
      usage: /^Usage: idle-model-stopper scan/m,
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

  it("each gets a message naming what is wrong, the usage on stderr, and exit code 2", async () => {
    const runs = await Promise.all(cases.map(({ args }) => cli(args)));
    for (const [index, run] of runs.entries()) {
      const { args, message, usage } = cases[index] as (typeof cases)[number];
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "", args.join(" "));
      assert.match(errorLines(run).join("\n"), message, args.join(" "));
      assert.match(run.stderr, usage, args.join(" "));
    }
    assert.equal(sandbox.calls.filter((c) => c.operation === "StartProjectVersion").length, 0);
  });

  it("--help prints the command's usage on stdout and exits 0", async () => {
    const [main, scan] = await Promise.all([cli(["--help"]), cli(["scan", "--help"])]);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /^Usage: idle-model-stopper <command> \[options\]/);
    assert.equal(scan.code, 0);
    assert.match(scan.stdout, /--idle-minutes N/);
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
    assert.match(rows[8] ?? "", /\$8\.00\s+\$16\.0\d \(2h00m\)\s+no/);
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
      /Estimated cost avoided: about \$444\.0\d \(assumes each stopped model stayed stopped until it was started again, its next record/,
    );
    assert.match(run.stderr, new RegExp(`Log table ${TABLE} in us-east-1 \\(from --table\\)`));
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
    assert.ok(Math.abs(history.totals.estimatedCostAvoidedUsd - 16) < 0.5);
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
});

describe("restart", () => {
  it("does nothing without confirmation", async () => {
    const run = await cli(["restart", arn("pallets", "v1"), "--table", TABLE]);

    assert.equal(run.code, 1);
    assert.match(errorLines(run).join("\n"), /^error: not started: the start was not confirmed/);
    assert.equal(sandbox.rekognition.model(arn("pallets", "v1"))?.status, "STOPPED");
  });

  it("starts the model with the units of its newest live record", async () => {
    const run = await cli(["restart", arn("pallets", "v1"), "--table", TABLE, "--yes"]);

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

  it("refuses a model with no stop record, one that runs, and one the stopper already started again, saying why", async () => {
    const [noRecord, running, restarted] = await Promise.all([
      cli(["restart", arn("shelf", "busy"), "--table", TABLE, "--yes"]),
      cli(["restart", arn("shelf", "idle"), "--table", TABLE, "--yes"]),
      cli(["restart", arn("forms", "reader"), "--table", TABLE, "--yes"]),
    ]);

    assert.equal(noRecord.code, 1);
    assert.match(
      errorLines(noRecord).join("\n"),
      new RegExp(
        `^error: no live \\(not dry-run\\) stop of ${arn("shelf", "busy").replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is recorded`,
      ),
    );
    assert.equal(running.code, 1);
    assert.deepEqual(errorLines(running), [
      "error: not started: shelf/idle in us-east-1 is RUNNING, so there is nothing to start",
    ]);
    assert.equal(restarted.code, 1);
    assert.match(
      errorLines(restarted)[0] ?? "",
      /^error: not started: the stopper already started forms\/reader in us-east-1 again at \S+ \(regretted: a request at 2026-11-28T01:59:00Z arrived before the stop\); see idle-model-stopper history --model /,
    );
    assert.ok(
      !sandbox.calls.some(
        (call) =>
          call.operation === "StartProjectVersion" && call.input.ProjectVersionArn !== arn("pallets", "v1"),
      ),
      "no start was even tried",
    );
    assert.equal(sandbox.rekognition.model(arn("forms", "reader"))?.status, "STOPPED");
  });

  it("reports AWS's refusal of a start in one line", async () => {
    const refused = await cli(["restart", arn("forms", "typo"), "--table", TABLE, "--yes"]);

    assert.equal(refused.code, 1);
    assert.deepEqual(errorLines(refused), [
      "error: InvalidParameterException: MaxInferenceUnits (2) must be greater than or equal to MinInferenceUnits (3).",
    ]);
    assert.equal(sandbox.rekognition.model(arn("forms", "typo"))?.status, "STOPPED");
  });
});
