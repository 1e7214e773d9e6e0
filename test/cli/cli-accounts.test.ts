/**
 * The CLI in a member account of the organization (issue 11): `scan --account`, `history --account` and
 * `restart --account`, in a child process against the sandbox with an organization. The CLI's own calls are checked
 * against the shipped CLI policy; the calls made with the spoke role's session against the spoke template's role.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { CallGuard } from "../../sandbox/call-guard.ts";
import { PINNED_START_MILLIS, type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { SpokeGuards } from "../../sandbox/organization-run.ts";
import { PermissionChecker } from "../../sandbox/permission-check.ts";
import type { PolicyDocument } from "../../sandbox/template-policies.ts";
import type { ChildRun } from "../support/child-run.ts";
import { cliPrincipal } from "../support/cli-policy.ts";
import { FIXED_CLOCK_LAUNCHER, runCli } from "../support/cli-run.ts";
import { profileFiles } from "../support/profile-files.ts";
import { spokeStackSet } from "../support/spoke-stack-set.ts";

const CLI_ACCOUNTS_POLICY = new URL("../../policies/cli-accounts-policy.json", import.meta.url);

const NOW = PINNED_START_MILLIS;
const TABLE = "cli-accounts-log";
const CLI_ACCESS_KEY_ID = "AKIASANDBOXCLIUSER02";
const MEMBER = "111111111111";
/** A role an operator may assume in the member account (as OrganizationAccountAccessRole trusts its organization's admins). */
const OPERATOR_ROLE = "ModelOperator";
const idle = (units = 1) => ({ inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units }] });

let sandbox: Sandbox;
let permissions: CallGuard;
let spokes: SpokeGuards;

/** Runs the CLI with its clock fixed at NOW; resolves once its calls are checked against both guards. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<ChildRun> {
  return runCli(FIXED_CLOCK_LAUNCHER, args, {
    sandboxEnv: sandbox.env,
    accessKeyId: CLI_ACCESS_KEY_ID,
    env: { CLI_FIXED_CLOCK: String(NOW), ...env },
    settle: () => Promise.all([permissions.settle(), spokes.settle()]),
  });
}

before(async () => {
  spokes = new SpokeGuards(
    spokeStackSet({
      hubAccountId: "123456789012",
      organizationId: "o-a1b2c3d4e5",
      regions: ["us-east-1"],
      accounts: [MEMBER],
    }),
  );
  sandbox = await startSandbox({
    clock: () => NOW,
    transitionDelayMs: 600_000,
    organization: {
      id: "o-a1b2c3d4e5",
      rootId: "r-ab12",
      accounts: [
        { id: MEMBER, spokeRole: "IdleModelStopperSpoke", roles: [OPERATOR_ROLE] },
        { id: "222222222222" },
      ],
    },
    onCall: (call) => {
      permissions?.observe(call);
      spokes?.observe(call);
    },
  });
  // The user holds the CLI policy and the accounts policy; the member role trusts the hub account, as
  // OrganizationAccountAccessRole trusts the management account.
  const base = cliPrincipal({
    ACCOUNT_ID: sandbox.account,
    HOME_REGION: sandbox.region,
    LOG_TABLE_NAME: TABLE,
    STACK_NAME: "IdleModelStopper",
  });
  const accounts = JSON.parse(readFileSync(CLI_ACCOUNTS_POLICY, "utf8")) as PolicyDocument;
  const trust: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${sandbox.account}:root` },
        Action: "sts:AssumeRole",
      },
    ],
  };
  permissions = new CallGuard(
    new PermissionChecker(
      {
        ...base,
        policies: [
          ...base.policies,
          {
            name: "idle-model-stopper-cli-accounts",
            source: accounts,
            document: JSON.parse(
              JSON.stringify(accounts).replaceAll("MEMBER_ROLE_NAME", OPERATOR_ROLE),
            ) as PolicyDocument,
          },
        ],
      },
      new Map([[`arn:aws:iam::${MEMBER}:role/${OPERATOR_ROLE}`, trust]]),
    ),
    {
      accessKeyId: CLI_ACCESS_KEY_ID,
      // Account 222222222222 has no such role: IAM refuses it there, as the sandbox does.
      refusedOnPurpose: (call) =>
        call.action === "sts:AssumeRole" && call.resource?.includes(":222222222222:") === true,
    },
  );
  sandbox.seed({
    projects: [{ name: "hub-model", versions: [{ name: "v1", status: "RUNNING", ...idle() }] }],
  });
  sandbox.inAccount(MEMBER).seed({
    projects: [
      {
        name: "member",
        versions: [
          { name: "idle", status: "RUNNING", ...idle(2) },
          { name: "stopped", status: "STOPPED" },
        ],
      },
    ],
  });
  const dynamo = new DynamoDBClient({
    region: sandbox.region,
    endpoint: sandbox.endpoints.dynamodb,
    credentials: { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID, secretAccessKey: "x" },
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
  const memberStopped = sandbox.inAccount(MEMBER).rekognition.modelArn("member", "stopped");
  const hubModel = sandbox.rekognition.modelArn("hub-model", "v1");
  const item = (modelArn: string, fields: Record<string, unknown>) => ({
    modelArn,
    stoppedAt: new Date(NOW - 2 * 3_600_000).toISOString(),
    projectName: modelArn.split("/")[1],
    versionName: modelArn.split("/")[3],
    region: "us-east-1",
    idleMinutes: 180,
    runId: "r1",
    dryRun: false,
    status: "STOPPING",
    minInferenceUnits: 2,
    estimatedHourlyCostUsd: 8,
    reason: "idle",
    expiresAt: Math.floor(NOW / 1000) + 86_400,
    ...fields,
  });
  await DynamoDBDocumentClient.from(dynamo).send(
    new BatchWriteCommand({
      RequestItems: {
        [TABLE]: [
          { PutRequest: { Item: item(memberStopped, { accountId: MEMBER }) } },
          // Written before the organization mode: no accountId, the account is the ARN's.
          { PutRequest: { Item: item(hubModel, {}) } },
        ],
      },
    }),
  );
  dynamo.destroy();
});

after(async () => {
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

/** `restart ARN --yes` in the member account, through the operator's role, with the hub's table. */
const restartInMember = (arn: string) => [
  "restart",
  arn,
  "--account",
  MEMBER,
  "--role-name",
  OPERATOR_ROLE,
  "--table",
  TABLE,
  "--region",
  "us-east-1",
  "--yes",
];

describe("the CLI in a member account", () => {
  it("scan --account reads that account's models through the role named, and only them", async () => {
    const run = await cli([
      "scan",
      "--account",
      MEMBER,
      "--role-name",
      OPERATOR_ROLE,
      "--region",
      "us-east-1",
      "--json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /In account 111111111111 through role ModelOperator\./);
    const report = JSON.parse(run.stdout) as {
      decisions: { model: { modelArn: string }; verdict: { action: string } }[];
    };
    assert.deepEqual(
      report.decisions.map(
        (d) =>
          `${d.model.modelArn.split(":")[4]} ${d.model.modelArn.split("/").slice(1, 4).join("/")} ${d.verdict.action}`,
      ),
      ["111111111111 member/version/idle stop"],
    );
    const assumed = sandbox.calls.find((c) => c.service === "sts");
    assert.match(String(assumed?.input.RoleSessionName), /^idle-model-stopper-cli-2026-11-28T02-00-05/);
  });

  it("scan --account fails clearly where the role is missing", async () => {
    const run = await cli([
      "scan",
      "--account",
      "222222222222",
      "--role-name",
      OPERATOR_ROLE,
      "--region",
      "us-east-1",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /error: SpokeRoleUnavailableError: could not assume arn:aws:iam::222222222222:role\/ModelOperator \(is the spoke role deployed.*\): AccessDenied/,
    );
  });

  it("history --account lists that account's records, with the account column", async () => {
    const run = await cli(["history", "--account", MEMBER, "--table", TABLE, "--region", "us-east-1"]);
    assert.equal(run.code, 0, run.stderr);
    const [header, row, ...rest] = run.stdout.split("\n");
    assert.match(header ?? "", /^STOPPED AT\s+ACCOUNT\s+MODEL\s+REGION/);
    assert.match(row ?? "", /111111111111\s+member\/stopped\s+us-east-1/);
    assert.ok(!rest.join("\n").includes("hub-model"));
  });

  it("history without --account shows both accounts, an older record's from its ARN", async () => {
    const run = await cli(["history", "--table", TABLE, "--region", "us-east-1"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /123456789012\s+hub-model\/v1/);
    assert.match(run.stdout, /111111111111\s+member\/stopped/);
  });

  it("restart --account starts the model in that account with its recorded units", async () => {
    const arn = sandbox.inAccount(MEMBER).rekognition.modelArn("member", "stopped");
    const run = await cli(restartInMember(arn));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(sandbox.inAccount(MEMBER).rekognition.model(arn)?.status, "STARTING");
    const start = sandbox.calls.find((c) => c.operation === "StartProjectVersion");
    assert.equal(start?.account, MEMBER);
  });

  it("restart --account reads the model's status through the role, and exits 3 when it runs already", async () => {
    // Prepare
    const arn = sandbox.inAccount(MEMBER).rekognition.modelArn("member", "idle");
    // Act
    const run = await cli(restartInMember(arn));
    // Assess
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /member\/idle in us-east-1 is RUNNING: nothing to restart/);
    const status = sandbox.calls.findLast((c) => c.operation === "DescribeProjectVersions");
    assert.equal(status?.account, MEMBER);
  });

  it("assumes the role with the credentials of --profile, before or after the command", async () => {
    // Prepare: no keys in the environment, so only the profile can sign the AssumeRole.
    const profile = profileFiles("operator", "us-east-1", CLI_ACCESS_KEY_ID);
    const env = profile.env;
    const args = ["--account", MEMBER, "--role-name", OPERATOR_ROLE, "--json"];
    try {
      // Act
      const [after, before, none] = await Promise.all([
        cli(["scan", ...args, "--profile", "operator"], env),
        cli(["--profile=operator", "scan", ...args], env),
        cli(["scan", ...args, "--region", "us-east-1"], env),
      ]);
      // Assess
      for (const run of [after, before]) {
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /In account 111111111111 through role ModelOperator\./);
      }
      assert.equal(none.code, 1, "without the profile there are no credentials to assume the role with");
    } finally {
      profile.remove();
    }
  });

  it("refuses a bad --account, --role-name without --account, and an ARN of another account", async () => {
    const bad = await cli(["scan", "--account", "1234"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid --account: "1234"\. Allowed: a 12-digit account id/);
    const alone = await cli(["scan", "--role-name", "X", "--region", "us-east-1"]);
    assert.equal(alone.code, 2);
    const other = await cli([
      "restart",
      sandbox.rekognition.modelArn("hub-model", "v1"),
      "--account",
      MEMBER,
      "--table",
      TABLE,
      "--region",
      "us-east-1",
    ]);
    assert.equal(other.code, 2);
    assert.match(
      other.stderr,
      /Invalid --account: "111111111111"\. Allowed: the account of MODEL_ARN, 123456789012/,
    );
  });
});
