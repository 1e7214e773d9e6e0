import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { propsFromContext } from "../../infra/context.ts";
import { IdleModelStopperStack, type IdleModelStopperStackProps } from "../../infra/stopper-stack.ts";

// The feature flags `cdk synth` uses, so the tests see the template users deploy.
const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;

/** Builds the stack as infra/app.ts does, with cdk.json's context plus `context` (like `-c key=value`). */
function buildStack(context: Record<string, unknown> = {}): IdleModelStopperStack {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  return new IdleModelStopperStack(app, "IdleModelStopper", propsFromContext(app.node));
}

interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition: unknown;
}

/** Renders a CloudFormation string, writing `Ref`s as `<AWS::Region>` and `GetAtt`s as `<Id.Attr>`. */
function render(value: unknown): string {
  if (typeof value === "string") return value;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === "string") return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic["Fn::GetAtt"])) return `<${intrinsic["Fn::GetAtt"].join(".")}>`;
  const join = intrinsic["Fn::Join"] as [string, unknown[]] | undefined;
  if (join) return join[1].map(render).join(join[0]);
  return JSON.stringify(value);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

type RoleRef = { "Fn::GetAtt": [string, "Arn"] };

/** Every Allow statement in the policies attached to the function's role. */
function functionStatements(template: Template): Statement[] {
  const roleId = (theOnly(template, "AWS::Lambda::Function").Properties.Role as RoleRef)["Fn::GetAtt"][0];
  const policies = Object.values(
    template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  assert.ok(policies.length > 0, "the function's role has a policy");
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === "Allow")
    .map((statement) => ({
      actions: asArray(statement.Action),
      resources: asArray(statement.Resource).map(render),
      condition: statement.Condition,
    }));
}

const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);

function theOnly(
  template: Template,
  type: string,
): { Properties: Record<string, unknown> } & Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  assert.equal(resources.length, 1, `one ${type}`);
  return resources[0] as { Properties: Record<string, unknown> };
}

const PROJECTS_IN_OWN_REGION = "arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*";

// One synthesis per configuration: each one bundles the handler with esbuild.
const defaultStack = buildStack();
const defaults = Template.fromStack(defaultStack);
const overridden = Template.fromStack(
  buildStack({
    // Strings as `-c key=value` gives them, and the JSON types cdk.json may hold.
    idleMinutes: "120",
    optOutTagKey: "keep-running",
    dryRun: true,
    regions: ["eu-west-1", "us-east-1"],
    maxStopsPerRun: 5,
    pricePerInferenceUnitHour: "4.5",
    logTtlDays: 30,
    maxAttempts: "3",
    schedule: "cron(30 6 ? * MON-FRI *)",
    scheduleTimezone: "Europe/Paris",
    retainLogTable: "false",
    logRetentionDays: 30,
    functionTimeoutMinutes: "15",
    memorySize: 512,
  }),
);

describe("IdleModelStopperStack with the default settings", () => {
  it("runs the handler on Node.js 22 on arm64, one run at a time", () => {
    defaults.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      ReservedConcurrentExecutions: 1,
      Timeout: 600,
      MemorySize: 256,
    });
  });

  it("bundles the handler and the AWS SDK into one ES module with a require shim and a source map", () => {
    const code = theOnly(defaults, "AWS::Lambda::Function").Properties.Code as { S3Key: string };
    const assetDir = join(
      (defaultStack.node.root as App).synth().directory,
      `asset.${code.S3Key.replace(/\.zip$/, "")}`,
    );
    const bundle = readFileSync(join(assetDir, "index.mjs"), "utf8");

    const imported = [...bundle.matchAll(/\b(?:from\s*|import\s*\(\s*)["']([^"'\s]+)["']/g)].map((m) => m[1]);

    assert.match(bundle, /^import \{ createRequire as \w+ \} from 'node:module'; const require = /);
    assert.ok(imported.length > 0);
    assert.deepEqual(
      imported.filter((specifier) => !specifier?.startsWith("node:")),
      [],
      "everything but Node built-ins, the AWS SDK included, is in the bundle",
    );
    assert.ok(existsSync(join(assetDir, "index.mjs.map")), "index.mjs.map exists");
  });

  it("passes the default settings, the table name and the service name to the function", () => {
    defaults.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          LOG_TABLE_NAME: { Ref: Match.stringLikeRegexp("^LogTable") },
          IDLE_MINUTES: "180",
          OPT_OUT_TAG_KEY: "auto-stop",
          DRY_RUN: "false",
          REGIONS: "",
          MAX_STOPS_PER_RUN: "25",
          PRICE_PER_INFERENCE_UNIT_HOUR: "4",
          LOG_TTL_DAYS: "400",
          AWS_MAX_ATTEMPTS: "6",
          POWERTOOLS_SERVICE_NAME: "idle-model-stopper",
          NODE_OPTIONS: "--enable-source-maps",
        },
      },
    });
  });

  it("retries a run that fails inside the function once, then sends it to the dead-letter queue", () => {
    const queueId = Object.keys(defaults.findResources("AWS::SQS::Queue"))[0];
    defaults.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
    });
  });

  it("invokes the function every night at 02:00 UTC", () => {
    defaults.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 2 * * ? *)",
      ScheduleExpressionTimezone: "UTC",
      State: "ENABLED",
      Target: { Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^StopperFunction"), "Arn"] } },
    });
  });

  it("sends invocations the schedule could not deliver to an encrypted, TLS-only dead-letter queue", () => {
    const queueIds = Object.keys(defaults.findResources("AWS::SQS::Queue"));
    assert.equal(queueIds.length, 1);
    defaults.hasResourceProperties("AWS::Scheduler::Schedule", {
      Target: {
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueIds[0], "Arn"] } },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      },
    });
    defaults.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    defaults.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    defaults.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: "sqs:SendMessage", Resource: { "Fn::GetAtt": [queueIds[0], "Arn"] } }),
        ]),
      },
    });
  });

  it("allows StopProjectVersion only on Custom Labels projects in the stack's own region", () => {
    const statements = functionStatements(defaults);

    assert.deepEqual(resourcesFor(statements, "rekognition:StopProjectVersion"), [PROJECTS_IN_OWN_REGION]);
    assert.deepEqual(resourcesFor(statements, "rekognition:DescribeProjectVersions"), [
      PROJECTS_IN_OWN_REGION,
    ]);
    assert.deepEqual(resourcesFor(statements, "rekognition:ListTagsForResource"), [PROJECTS_IN_OWN_REGION]);
  });

  it("grants '*' only to DescribeProjects and GetMetricData, which have no resource-level permissions", () => {
    const statements = functionStatements(defaults);
    const onEverything = statements.filter((s) => s.resources.includes("*"));

    assert.deepEqual(onEverything.flatMap((s) => s.actions).sort(), [
      "cloudwatch:GetMetricData",
      "rekognition:DescribeProjects",
    ]);
    for (const statement of onEverything) {
      assert.deepEqual(statement.condition, {
        StringEquals: { "aws:RequestedRegion": [{ Ref: "AWS::Region" }] },
      });
    }
  });

  it("lets the function read and write stop records in its table only, and write its own log group only", () => {
    const statements = functionStatements(defaults);
    const tableArn = `<${Object.keys(defaults.findResources("AWS::DynamoDB::Table"))[0]}.Arn>`;
    const logGroupArn = `<${Object.keys(defaults.findResources("AWS::Logs::LogGroup"))[0]}.Arn>`;

    const dynamoActions = statements.flatMap((s) => s.actions).filter((a) => a.startsWith("dynamodb:"));
    assert.deepEqual(dynamoActions.sort(), [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    for (const action of dynamoActions) assert.deepEqual(resourcesFor(statements, action), [tableArn]);
    const logActions = statements.flatMap((s) => s.actions).filter((a) => a.startsWith("logs:"));
    for (const action of logActions) assert.deepEqual(resourcesFor(statements, action), [logGroupArn]);
    const roleId = (theOnly(defaults, "AWS::Lambda::Function").Properties.Role as RoleRef)["Fn::GetAtt"][0];
    const role = defaults.toJSON().Resources[roleId];
    assert.equal(
      role.Properties.ManagedPolicyArns,
      undefined,
      "no AWS managed policy on the function's role",
    );
  });

  it("keeps stop records in an on-demand, encrypted table with point-in-time recovery and a TTL", () => {
    defaults.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "modelArn", KeyType: "HASH" },
        { AttributeName: "stoppedAt", KeyType: "RANGE" },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: "modelArn", AttributeType: "S" },
        { AttributeName: "stoppedAt", AttributeType: "S" },
      ]),
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("retains the table when the stack is deleted", () => {
    defaults.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
  });

  it("keeps the function's logs for 90 days in its own log group", () => {
    const [logGroupId] = Object.keys(defaults.findResources("AWS::Logs::LogGroup"));
    defaults.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
    defaults.hasResourceProperties("AWS::Lambda::Function", {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
  });

  it("outputs the table name, the function name and the dead-letter queue URL", () => {
    assert.deepEqual(Object.keys(defaults.findOutputs("*")).sort(), [
      "DeadLetterQueueUrl",
      "FunctionName",
      "LogTableName",
    ]);
  });
});

describe("IdleModelStopperStack with settings from context", () => {
  it("passes the context's settings to the function", () => {
    overridden.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          IDLE_MINUTES: "120",
          OPT_OUT_TAG_KEY: "keep-running",
          DRY_RUN: "true",
          REGIONS: "eu-west-1,us-east-1",
          MAX_STOPS_PER_RUN: "5",
          PRICE_PER_INFERENCE_UNIT_HOUR: "4.5",
          LOG_TTL_DAYS: "30",
          AWS_MAX_ATTEMPTS: "3",
        }),
      },
      Timeout: 900,
      MemorySize: 512,
    });
  });

  it("runs on the context's schedule in the context's time zone", () => {
    overridden.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(30 6 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "Europe/Paris",
    });
  });

  it("allows StopProjectVersion on the projects of each configured region and nowhere else", () => {
    const statements = functionStatements(overridden);
    const projects = [
      "arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*",
      "arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*",
    ];

    assert.deepEqual(resourcesFor(statements, "rekognition:StopProjectVersion"), projects);
    assert.deepEqual(resourcesFor(statements, "rekognition:DescribeProjectVersions"), projects);
    for (const statement of statements.filter((s) => s.resources.includes("*"))) {
      assert.deepEqual(statement.condition, {
        StringEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] },
      });
    }
  });

  it("deletes the table with the stack when retainLogTable is false", () => {
    overridden.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
    });
  });

  it("keeps the function's logs for logRetentionDays", () => {
    overridden.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });
});

describe("propsFromContext", () => {
  const propsFor = (context: Record<string, unknown>) => propsFromContext(new App({ context }).node);

  it("leaves out the keys that are not set, so the stack's defaults apply", () => {
    assert.deepEqual(propsFor({}), {});
  });

  it("reads -c strings and cdk.json values alike", () => {
    const fromCommandLine = propsFor({ regions: "eu-west-1, us-east-1", dryRun: "true", idleMinutes: "90" });
    const fromCdkJson = propsFor({ regions: ["eu-west-1", "us-east-1"], dryRun: true, idleMinutes: 90 });

    assert.deepEqual(fromCommandLine, { regions: ["eu-west-1", "us-east-1"], dryRun: true, idleMinutes: 90 });
    assert.deepEqual(fromCdkJson, fromCommandLine);
  });

  const accepted: [string, unknown][] = [
    ["schedule", "cron(0 2 * * ? *)"],
    ["schedule", "cron(0/15 * * * ? *)"],
    ["schedule", "cron(0 3 ? * SUN *)"],
    ["schedule", "rate(1 day)"],
    ["schedule", "rate(6 hours)"],
    ["scheduleTimezone", "UTC"],
    ["scheduleTimezone", "America/Argentina/Buenos_Aires"],
    ["scheduleTimezone", "Etc/GMT+5"],
    ["logRetentionDays", "3653"],
    ["functionTimeoutMinutes", 1],
    ["memorySize", "10240"],
    ["retainLogTable", "no"],
  ];
  for (const [key, value] of accepted) {
    it(`accepts ${key}=${value}`, () => {
      assert.ok(propsFor({ [key]: value })[key as keyof IdleModelStopperStackProps] !== undefined);
    });
  }
});

describe("IdleModelStopperStack with a bad setting", () => {
  const rejected: [string, unknown, string][] = [
    ["idleMinutes", "5", '"5"'],
    ["idleMinutes", 90.5, '"90.5"'],
    ["regions", "moon-1", '"moon-1"'],
    ["regions", ["us-east-1", "moon-1"], '"us-east-1,moon-1"'],
    ["schedule", "every night", '"every night"'],
    ["schedule", "cron(0 2 * * *)", '"cron(0 2 * * *)"'],
    ["schedule", "cron(0 2 * * 1 *)", '"cron(0 2 * * 1 *)"'],
    ["schedule", "rate(1 hours)", '"rate(1 hours)"'],
    ["schedule", "at(2030-01-01T00:00:00)", '"at(2030-01-01T00:00:00)"'],
    ["scheduleTimezone", "Mars/Olympus", '"Mars/Olympus"'],
    ["scheduleTimezone", "europe/paris", '"europe/paris"'],
    ["scheduleTimezone", "+01:00", '"+01:00"'],
    ["dryRun", "maybe", '"maybe"'],
    ["maxStopsPerRun", "0", '"0"'],
    ["optOutTagKey", "aws:auto-stop", '"aws:auto-stop"'],
    ["pricePerInferenceUnitHour", "0", '"0"'],
    ["logTtlDays", "0", '"0"'],
    ["maxAttempts", "21", '"21"'],
    ["retainLogTable", "perhaps", '"perhaps"'],
    ["logRetentionDays", "45", '"45"'],
    ["functionTimeoutMinutes", "20", '"20"'],
    ["memorySize", 64, '"64"'],
  ];
  for (const [key, value, shown] of rejected) {
    it(`fails synth for ${key}=${JSON.stringify(value)}, naming the key, the value and what is allowed`, () => {
      assert.throws(() => buildStack({ [key]: value }), {
        name: "InvalidSettingError",
        message: new RegExp(`^Invalid context key ${key}: ${escapeRegExp(shown)}\\. Allowed: .+`),
      });
    });
  }

  it("fails synth for a misspelled context key instead of ignoring it", () => {
    assert.throws(() => buildStack({ idleMinute: "120" }), {
      name: "InvalidSettingError",
      message:
        /^Invalid context key name: "idleMinute"\. Allowed: one of idleMinutes, optOutTagKey, .*memorySize/,
    });
  });

  it("fails for a bad prop set in code, naming the prop", () => {
    assert.throws(() => new IdleModelStopperStack(new App(), "Stack", { functionTimeoutMinutes: 20 }), {
      name: "InvalidSettingError",
      message: /^Invalid IdleModelStopperStack prop functionTimeoutMinutes: "20"\. Allowed: .*1 to 15/,
    });
  });
});
