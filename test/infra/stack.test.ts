import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Annotations, App, Aws, CfnParameter, Stack } from "aws-cdk-lib";
import { Match, Template, Annotations as TemplateAnnotations } from "aws-cdk-lib/assertions";
import { propsFromContext } from "../../infra/context.ts";
import { BUNDLE_DIR } from "../../infra/handler-source.ts";
import { IdleModelStopper } from "../../infra/idle-model-stopper.ts";
import { IdleModelStopperStack, type IdleModelStopperStackProps } from "../../infra/stopper-stack.ts";
import {
  assetDirOf,
  buildStack,
  escapeRegExp,
  FOLLOW_UP,
  functionStatements,
  lambdaFunction,
  lambdaFunctionId,
  PROJECTS_IN_OWN_REGION,
  type RoleRef,
  resourcesFor,
} from "./template-helpers.ts";

// One synthesis per configuration.
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
    requireOptIn: "true",
    rekognitionTps: "10",
    metricsTps: 40,
    describeConcurrency: "8",
    tagConcurrency: 2,
    metricsConcurrency: "6",
    stopConcurrency: 1,
    deadlineMarginSeconds: "120",
    discovery: "full",
    regretCheckMinutes: 0,
    restartLeadMinutes: "60",
    followUpSchedule: "rate(5 minutes)",
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
    const assetDir = assetDirOf(defaultStack, defaults);
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

  it("deploys the single-account bundle the package ships in both functions, byte for byte, and nothing else", () => {
    for (const handler of [undefined, FOLLOW_UP]) {
      const assetDir = assetDirOf(defaultStack, defaults, handler);

      assert.deepEqual(readdirSync(assetDir).sort(), ["index.mjs", "index.mjs.map"]);
      for (const file of ["index.mjs", "index.mjs.map"]) {
        assert.ok(readFileSync(join(assetDir, file)).equals(readFileSync(join(BUNDLE_DIR, file))), file);
      }
    }
  });

  it("passes the default settings, the table, the topic and the metrics namespace to the function", () => {
    defaults.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          LOG_TABLE_NAME: { Ref: Match.stringLikeRegexp("^LogTable") },
          NOTIFICATION_TOPIC_ARN: { Ref: Match.stringLikeRegexp("^NotificationTopic") },
          IDLE_MINUTES: "180",
          OPT_OUT_TAG_KEY: "auto-stop",
          DRY_RUN: "false",
          REGIONS: "",
          MAX_STOPS_PER_RUN: "25",
          PRICE_PER_INFERENCE_UNIT_HOUR: "4",
          LOG_TTL_DAYS: "400",
          AWS_MAX_ATTEMPTS: "6",
          REQUIRE_OPT_IN: "false",
          REKOGNITION_TPS: "5",
          METRICS_TPS: "25",
          DESCRIBE_CONCURRENCY: "4",
          TAG_CONCURRENCY: "4",
          METRICS_CONCURRENCY: "4",
          STOP_CONCURRENCY: "5",
          OVERLAP_PHASES: "true",
          DEADLINE_MARGIN_SECONDS: "30",
          DISCOVERY: "metrics-first",
          LAST_LOOK_MINUTES: "15",
          WARN_BEFORE_STOP_HOURS: "0",
          POWERTOOLS_SERVICE_NAME: "idle-model-stopper",
          POWERTOOLS_METRICS_NAMESPACE: "IdleModelStopper",
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

  it("lets each schedule invoke its own function itself only, not its versions or aliases, with a role of its own", () => {
    const invokeStatements = Object.values(defaults.findResources("AWS::IAM::Policy")).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement: { Action: unknown }) =>
        [statement.Action].flat().includes("lambda:InvokeFunction"),
      ).map((statement: { Resource: unknown }) => ({
        roles: policy.Properties.Roles,
        resource: statement.Resource,
      })),
    );

    assert.deepEqual(invokeStatements.map((statement) => JSON.stringify(statement.resource)).sort(), [
      JSON.stringify({ "Fn::GetAtt": [lambdaFunctionId(defaults, FOLLOW_UP), "Arn"] }),
      JSON.stringify({ "Fn::GetAtt": [lambdaFunctionId(defaults), "Arn"] }),
    ]);
    const [first, second] = invokeStatements;
    assert.notDeepEqual(first?.roles, second?.roles);
    const schedules = Object.values(defaults.findResources("AWS::Scheduler::Schedule"));
    assert.equal(
      new Set(schedules.map((schedule) => JSON.stringify(schedule.Properties.Target.RoleArn))).size,
      2,
    );
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

  it("lets the function's role send to the dead-letter queue only, which Lambda does for a run that failed twice", () => {
    const queueArn = `<${Object.keys(defaults.findResources("AWS::SQS::Queue"))[0]}.Arn>`;
    const statements = functionStatements(defaults);

    const sqsActions = statements.flatMap((s) => s.actions).filter((a) => a.startsWith("sqs:"));
    assert.deepEqual(sqsActions, ["sqs:SendMessage"]);
    assert.deepEqual(resourcesFor(statements, "sqs:SendMessage"), [queueArn]);
  });

  it("allows StopProjectVersion only on Custom Labels projects in the stack's own region", () => {
    const statements = functionStatements(defaults);

    assert.deepEqual(resourcesFor(statements, "rekognition:StopProjectVersion"), [PROJECTS_IN_OWN_REGION]);
    assert.deepEqual(resourcesFor(statements, "rekognition:DescribeProjectVersions"), [
      PROJECTS_IN_OWN_REGION,
    ]);
    assert.deepEqual(resourcesFor(statements, "rekognition:ListTagsForResource"), [PROJECTS_IN_OWN_REGION]);
  });

  it("grants '*' only to DescribeProjects, GetMetricData and ListMetrics, which have no resource-level permissions", () => {
    const statements = functionStatements(defaults);
    const onEverything = statements.filter((s) => s.resources.includes("*"));

    assert.deepEqual(onEverything.flatMap((s) => s.actions).sort(), [
      "cloudwatch:GetMetricData",
      "cloudwatch:ListMetrics",
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

    const dynamoActions = [
      ...new Set(statements.flatMap((s) => s.actions).filter((a) => a.startsWith("dynamodb:"))),
    ];
    assert.deepEqual(dynamoActions.sort(), ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    for (const action of ["dynamodb:PutItem", "dynamodb:UpdateItem"]) {
      assert.deepEqual(resourcesFor(statements, action), [tableArn]);
    }
    // Query also on the two indexes the run reads, never on every index.
    assert.deepEqual(resourcesFor(statements, "dynamodb:Query"), [
      tableArn,
      `${tableArn}/index/PendingStops`,
      `${tableArn}/index/FollowUps`,
    ]);
    const logActions = statements.flatMap((s) => s.actions).filter((a) => a.startsWith("logs:"));
    for (const action of logActions) assert.deepEqual(resourcesFor(statements, action), [logGroupArn]);
    const roleId = (lambdaFunction(defaults).Properties.Role as RoleRef)["Fn::GetAtt"][0];
    const role = defaults.toJSON().Resources[roleId];
    assert.equal(
      role.Properties.ManagedPolicyArns,
      undefined,
      "no AWS managed policy on the function's role",
    );
  });

  it("indexes the records still STOP_PENDING, and those still followed up, by region: one query finds each", () => {
    defaults.hasResourceProperties("AWS::DynamoDB::Table", {
      GlobalSecondaryIndexes: [
        {
          IndexName: "PendingStops",
          KeySchema: [
            { AttributeName: "pendingRegion", KeyType: "HASH" },
            { AttributeName: "stoppedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: "FollowUps",
          KeySchema: [
            { AttributeName: "followUpRegion", KeyType: "HASH" },
            { AttributeName: "stoppedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
  });

  it("names each scheduled run by its scheduled time, so a retried invocation is the same run", () => {
    defaults.hasResourceProperties("AWS::Scheduler::Schedule", {
      Target: {
        Input: JSON.stringify({
          scheduledTime: "<aws.scheduler.scheduled-time>",
          attempt: "<aws.scheduler.attempt-number>",
        }),
      },
    });
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

  it("outputs the table, the function, the dead-letter queue, the topic and the dashboard", () => {
    assert.deepEqual(Object.keys(defaults.findOutputs("*")).sort(), [
      "DashboardName",
      "DeadLetterQueueUrl",
      "FollowUpFunctionName",
      "FunctionName",
      "LogTableName",
      "NotificationTopicArn",
    ]);
  });

  it("keeps the logical ids the resources had before they moved into the construct", () => {
    // A new id for the table would make CloudFormation create an empty table and orphan the old one.
    const ids = Object.keys(defaults.toJSON().Resources);
    for (const prefix of ["LogTable", "StopperFunction", "FunctionLogGroup", "ScheduleDeadLetterQueue"]) {
      assert.ok(
        ids.some((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id)),
        `${prefix}<hash> in ${ids.join(", ")}`,
      );
    }
    assert.ok(ids.includes("LogTable64197333"), "the log table's id is unchanged");
  });
});

describe("the follow-up function", () => {
  const followUp = () => lambdaFunction(defaults, FOLLOW_UP).Properties;
  const nightly = () => lambdaFunction(defaults).Properties;

  it("runs the nightly function's bundle through its followUp export, on its own role and log group, one at a time", () => {
    const fn = followUp();

    assert.equal(fn.Runtime, "nodejs22.x");
    assert.deepEqual(fn.Architectures, ["arm64"]);
    assert.equal(fn.ReservedConcurrentExecutions, 1);
    assert.deepEqual(fn.Code, nightly().Code, "the same asset");
    assert.notDeepEqual(fn.Role, nightly().Role);
    assert.notDeepEqual(fn.LoggingConfig, nightly().LoggingConfig);
    assert.deepEqual(fn.Environment, nightly().Environment, "the same settings, table and topic");
    assert.equal(fn.Timeout, 600);
  });

  it("is invoked every 15 minutes by its own schedule, each run named by its scheduled time, with the dead-letter queue", () => {
    const queueId = Object.keys(defaults.findResources("AWS::SQS::Queue"))[0];
    defaults.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(15 minutes)",
      State: "ENABLED",
      Target: {
        Arn: { "Fn::GetAtt": [lambdaFunctionId(defaults, FOLLOW_UP), "Arn"] },
        Input: JSON.stringify({
          scheduledTime: "<aws.scheduler.scheduled-time>",
          attempt: "<aws.scheduler.attempt-number>",
        }),
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueId, "Arn"] } },
        RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 900 },
      },
    });
  });

  it("sends a follow-up that failed to the dead-letter queue without a retry: the next one comes 15 minutes later", () => {
    const queueId = Object.keys(defaults.findResources("AWS::SQS::Queue"))[0];
    defaults.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: lambdaFunctionId(defaults, FOLLOW_UP) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 900,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
    });
  });

  it("may start models but never stop them, reads what it needs, and writes only updates to followed stops", () => {
    const statements = functionStatements(defaults, FOLLOW_UP);
    const tableArn = `<${Object.keys(defaults.findResources("AWS::DynamoDB::Table"))[0]}.Arn>`;
    const topicId = Object.keys(defaults.findResources("AWS::SNS::Topic"))[0];
    const granted = Object.fromEntries(
      [...new Set(statements.flatMap((s) => s.actions))]
        .filter((action) => !action.startsWith("logs:") && !action.startsWith("kms:"))
        .sort()
        .map((action) => [action, resourcesFor(statements, action)]),
    );

    assert.deepEqual(granted, {
      "cloudwatch:GetMetricData": ["*"],
      "dynamodb:Query": [`${tableArn}/index/FollowUps`],
      "dynamodb:UpdateItem": [tableArn],
      // Its restarts announced (publishEvents and tagLastAction are on by default): see announce.test.ts.
      "events:PutEvents": ["arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default"],
      "rekognition:DescribeProjectVersions": [PROJECTS_IN_OWN_REGION],
      "rekognition:DescribeProjects": ["*"],
      "rekognition:ListTagsForResource": [PROJECTS_IN_OWN_REGION],
      "rekognition:StartProjectVersion": [PROJECTS_IN_OWN_REGION],
      "rekognition:TagResource": [`${PROJECTS_IN_OWN_REGION}/version/*/*`],
      "sns:Publish": [`<${topicId}>`],
      "sqs:SendMessage": [`<${Object.keys(defaults.findResources("AWS::SQS::Queue"))[0]}.Arn>`],
    });
    for (const statement of statements.filter((s) => s.resources.includes("*"))) {
      assert.deepEqual(statement.condition, {
        StringEquals: { "aws:RequestedRegion": [{ Ref: "AWS::Region" }] },
      });
    }
  });

  it("lets the nightly function start a model again too (its regret check), on the same resources as its stops", () => {
    const statements = functionStatements(defaults);

    assert.deepEqual(resourcesFor(statements, "rekognition:StartProjectVersion"), [PROJECTS_IN_OWN_REGION]);
    const changes = statements.find((s) => s.actions.includes("rekognition:StartProjectVersion"));
    assert.deepEqual(changes?.actions, ["rekognition:StopProjectVersion", "rekognition:StartProjectVersion"]);
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
          REQUIRE_OPT_IN: "true",
          REKOGNITION_TPS: "10",
          METRICS_TPS: "40",
          DESCRIBE_CONCURRENCY: "8",
          TAG_CONCURRENCY: "2",
          METRICS_CONCURRENCY: "6",
          STOP_CONCURRENCY: "1",
          DEADLINE_MARGIN_SECONDS: "120",
          DISCOVERY: "full",
          REGRET_CHECK_MINUTES: "0",
          RESTART_LEAD_MINUTES: "60",
        }),
      },
      Timeout: 900,
      MemorySize: 512,
    });
  });

  it("does not grant ListMetrics when discovery is full: that discovery never lists metrics", () => {
    const actions = functionStatements(overridden).flatMap((s) => s.actions);

    assert.ok(actions.includes("cloudwatch:GetMetricData"));
    assert.ok(!actions.includes("cloudwatch:ListMetrics"));
  });

  it("runs the follow-up on the context's followUpSchedule, with the same settings as the nightly function", () => {
    overridden.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(5 minutes)",
      Target: { Arn: { "Fn::GetAtt": [lambdaFunctionId(overridden, FOLLOW_UP), "Arn"] } },
    });
    assert.deepEqual(
      lambdaFunction(overridden, FOLLOW_UP).Properties.Environment,
      lambdaFunction(overridden).Properties.Environment,
    );
  });

  it("scans both configured regions: the function is told them, and IAM allows exactly them", () => {
    const statements = functionStatements(overridden);
    const variables = (
      lambdaFunction(overridden).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

    assert.equal(variables.REGIONS, "eu-west-1,us-east-1");
    assert.deepEqual(resourcesFor(statements, "rekognition:ListTagsForResource"), [
      "arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*",
      "arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*",
    ]);
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

  it("allows StartProjectVersion on the projects of each configured region, for both functions, and nowhere else", () => {
    const projects = [
      "arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*",
      "arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*",
    ];
    for (const handler of [undefined, FOLLOW_UP]) {
      const statements = functionStatements(overridden, handler);
      assert.deepEqual(resourcesFor(statements, "rekognition:StartProjectVersion"), projects);
      for (const statement of statements.filter((s) => s.resources.includes("*"))) {
        assert.deepEqual(statement.condition, {
          StringEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] },
        });
      }
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
    ["schedule", "cron(0 22 ? * MON-FRI *)"],
    ["schedule", "cron(0 8 L * ? *)"],
    ["schedule", "cron(0 8 ? * 6#3 *)"],
    ["schedule", "cron(0 8 15W * ? *)"],
    ["schedule", "cron(0 2 1 JAN,JUL ? 2027-2030)"],
    ["schedule", "rate(1 day)"],
    ["schedule", "rate(6 hours)"],
    ["scheduleTimezone", "UTC"],
    ["scheduleTimezone", "America/Argentina/Buenos_Aires"],
    ["scheduleTimezone", "Etc/GMT+5"],
    ["logRetentionDays", "3653"],
    ["functionTimeoutMinutes", 2],
    ["memorySize", "10240"],
    ["retainLogTable", " FALSE "],
    ["requireOptIn", "True"],
    ["deadlineMarginSeconds", "150"],
    ["notifyEmail", " ops+stopper@example.co.uk "],
    ["enabled", false],
  ];
  for (const [key, value] of accepted) {
    it(`accepts ${key}=${value}`, () => {
      assert.ok(propsFor({ [key]: value })[key as keyof IdleModelStopperStackProps] !== undefined);
    });
  }

  it("reads every runtime knob of opt-in mode, rates, concurrency and the deadline", () => {
    const props = propsFor({
      requireOptIn: "true",
      rekognitionTps: "10",
      metricsTps: 40,
      describeConcurrency: "8",
      tagConcurrency: 2,
      metricsConcurrency: "6",
      stopConcurrency: 1,
      deadlineMarginSeconds: "45",
    });

    assert.deepEqual(props, {
      requireOptIn: true,
      rekognitionTps: 10,
      metricsTps: 40,
      describeConcurrency: 8,
      tagConcurrency: 2,
      metricsConcurrency: 6,
      stopConcurrency: 1,
      deadlineMarginSeconds: 45,
    });
  });

  it("accepts a 2-minute timeout with the default 30-second margin, a quarter of it", () => {
    assert.deepEqual(propsFor({ functionTimeoutMinutes: "2" }), { functionTimeoutMinutes: 2 });
    assert.doesNotThrow(() => buildStack({ functionTimeoutMinutes: "2" }));
  });

  it("reads notifyEmail trimmed", () => {
    assert.equal(propsFor({ notifyEmail: " ops@example.com " }).notifyEmail, "ops@example.com");
  });
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
    ["schedule", "cron(99 2 * * ? *)", '"cron(99 2 * * ? *)"'],
    ["schedule", "cron(0 25 * * ? *)", '"cron(0 25 * * ? *)"'],
    ["schedule", "cron(0 2 32 * ? *)", '"cron(0 2 32 * ? *)"'],
    ["schedule", "cron(0 2 ? * 8 *)", '"cron(0 2 ? * 8 *)"'],
    ["schedule", "cron(0 2 * JANUARY ? *)", '"cron(0 2 * JANUARY ? *)"'],
    ["schedule", "cron(a b c d ? e)", '"cron(a b c d ? e)"'],
    ["schedule", "at(2030-01-01T00:00:00)", '"at(2030-01-01T00:00:00)"'],
    ["scheduleTimezone", "Mars/Olympus", '"Mars/Olympus"'],
    ["scheduleTimezone", "europe/paris", '"europe/paris"'],
    ["scheduleTimezone", "+01:00", '"+01:00"'],
    ["dryRun", "maybe", '"maybe"'],
    ["dryRun", "yes", '"yes"'],
    ["dryRun", "1", '"1"'],
    ["dryRun", "on", '"on"'],
    ["retainLogTable", "no", '"no"'],
    ["maxStopsPerRun", "0", '"0"'],
    ["optOutTagKey", "aws:auto-stop", '"aws:auto-stop"'],
    ["pricePerInferenceUnitHour", "0", '"0"'],
    ["logTtlDays", "0", '"0"'],
    ["maxAttempts", "21", '"21"'],
    ["overlapPhases", "sometimes", '"sometimes"'],
    ["discovery", "metrics-only", '"metrics-only"'],
    ["retainLogTable", "perhaps", '"perhaps"'],
    ["logRetentionDays", "45", '"45"'],
    ["functionTimeoutMinutes", "20", '"20"'],
    ["functionTimeoutMinutes", "1", '"1"'],
    ["memorySize", 64, '"64"'],
    ["requireOptIn", "perhaps", '"perhaps"'],
    ["rekognitionTps", "0", '"0"'],
    ["metricsTps", 51, '"51"'],
    ["describeConcurrency", "33", '"33"'],
    ["tagConcurrency", "0", '"0"'],
    ["metricsConcurrency", "four", '"four"'],
    ["stopConcurrency", "0", '"0"'],
    ["deadlineMarginSeconds", "4", '"4"'],
    ["deadlineMarginSeconds", "151", '"151"'],
    ["notifyEmail", "ops", '"ops"'],
    ["notifyEmail", "ops@example.com,dev@example.com", '"ops@example.com,dev@example.com"'],
    ["notifyEmail", "Ops <ops@example.com>", '"Ops <ops@example.com>"'],
    ["notifyEmail", "", '""'],
    ["enabled", "off", '"off"'],
    ["lastLookMinutes", "14", '"14"'],
    ["lastLookMinutes", 61, '"61"'],
    ["warnBeforeStopHours", "169", '"169"'],
    ["warnBeforeStopHours", "-1", '"-1"'],
    ["warnSchedule", "at 18:00", '"at 18:00"'],
    ["regretCheckMinutes", "10", '"10"'],
    ["regretCheckMinutes", 1441, '"1441"'],
    ["restartLeadMinutes", "29", '"29"'],
    ["followUpSchedule", "every 15 minutes", '"every 15 minutes"'],
    ["followUpSchedule", "rate(15 minute)", '"rate(15 minute)"'],
    ["followUpSchedule", "cron(0/15 24 * * ? *)", '"cron(0/15 24 * * ? *)"'],
  ];
  for (const [key, value, shown] of rejected) {
    it(`fails synth for ${key}=${JSON.stringify(value)}, naming the key, the value and what is allowed`, () => {
      assert.throws(() => buildStack({ [key]: value }), {
        name: "InvalidSettingError",
        message: new RegExp(`^Invalid context key ${key}: ${escapeRegExp(shown)}\\. Allowed: .+`),
      });
    });
  }

  for (const key of ["DRY_RUN", "dry-run", "DryRun", "IDLE_MINUTES", "idle-minutes"]) {
    it(`fails synth for a setting spelled ${key}, naming the key as written, instead of deploying without it`, () => {
      const meant = key.toLowerCase().startsWith("dry") ? "dryRun" : "idleMinutes";
      assert.throws(() => buildStack({ [key]: meant === "dryRun" ? "true" : "120" }), {
        name: "InvalidSettingError",
        message: `Invalid context key name: "${key}". Allowed: ${meant}, as written (context keys are the settings' camelCase names, not the function's variables).`,
      });
    });
  }

  it("fails synth for an unknown key written like a function variable", () => {
    assert.throws(() => buildStack({ IDLE_MINUTE: "120" }), {
      name: "InvalidSettingError",
      message: /^Invalid context key name: "IDLE_MINUTE"\. Allowed: one of idleMinutes, optOutTagKey, /,
    });
  });

  it("leaves CDK's own context keys alone", () => {
    assert.doesNotThrow(() =>
      buildStack({
        "acknowledged-issue-numbers": [32775],
        "@aws-cdk/core:newStyleStackSynthesis": true,
        "availability-zones:account=123456789012:region=us-east-1": ["us-east-1a"],
      }),
    );
  });

  it("fails synth for a misspelled context key instead of ignoring it", () => {
    assert.throws(() => buildStack({ idleMinute: "120" }), {
      name: "InvalidSettingError",
      message:
        /^Invalid context key name: "idleMinute"\. Allowed: one of idleMinutes, optOutTagKey, .*memorySize/,
    });
  });

  it("fails synth for a margin of more than a quarter of the timeout, naming both keys and their values", () => {
    assert.throws(() => buildStack({ functionTimeoutMinutes: "2", deadlineMarginSeconds: "31" }), {
      name: "InvalidSettingError",
      message:
        /^Invalid context key deadlineMarginSeconds with context key functionTimeoutMinutes=2: "31"\. Allowed: at most the function's timeout in seconds divided by 4, so at most 30 for a 2-minute timeout: discovery stops once 3 margins are left, and a longer margin would leave it no time \(lower deadlineMarginSeconds or raise functionTimeoutMinutes\)\.$/,
    });
    assert.throws(() => buildStack({ functionTimeoutMinutes: 3, deadlineMarginSeconds: 46 }), {
      message: /^Invalid context key deadlineMarginSeconds with context key functionTimeoutMinutes=3: "46"\./,
    });
    assert.doesNotThrow(() => buildStack({ functionTimeoutMinutes: 3, deadlineMarginSeconds: 45 }));
  });

  it("says what the timeout allows when a margin within its own range is too long for it", () => {
    assert.throws(() => buildStack({ functionTimeoutMinutes: "5", deadlineMarginSeconds: "150" }), {
      name: "InvalidSettingError",
      message: /functionTimeoutMinutes=5: "150"\. Allowed: .*at most 75 for a 5-minute timeout/,
    });
    assert.throws(() => buildStack({ deadlineMarginSeconds: "140", functionTimeoutMinutes: "2" }), {
      message: /functionTimeoutMinutes=2: "140"\. Allowed: .*at most 30 for a 2-minute timeout/,
    });
  });

  it("checks the margin against the timeout for props set in code too, naming the props", () => {
    assert.throws(
      () =>
        new IdleModelStopperStack(new App(), "Stack", {
          functionTimeoutMinutes: 2,
          deadlineMarginSeconds: 45,
        }),
      {
        name: "InvalidSettingError",
        message:
          /^Invalid IdleModelStopperStack prop deadlineMarginSeconds with IdleModelStopperStack prop functionTimeoutMinutes=2: "45"\./,
      },
    );
    assert.throws(
      () =>
        new IdleModelStopper(new App(), "Stopper", { functionTimeoutMinutes: 2, deadlineMarginSeconds: 45 }),
      {
        message:
          /^Invalid IdleModelStopper prop deadlineMarginSeconds with IdleModelStopper prop functionTimeoutMinutes=2/,
      },
    );
  });

  it("fails synth for a region aws-cdk-lib does not know, naming it and the regions allowed", () => {
    assert.throws(() => buildStack({ regions: "us-east-1,us-esat-1" }), {
      name: "InvalidSettingError",
      message:
        /^Invalid context key regions: "us-esat-1"\. Allowed: a region aws-cdk-lib knows \(upgrade aws-cdk-lib for a newer one\): .*\bus-east-1, us-east-2\b/,
    });
    assert.throws(() => new IdleModelStopper(new App(), "Stopper", { regions: ["eu-wset-1"] }), {
      message: /^Invalid IdleModelStopper prop regions: "eu-wset-1"\./,
    });
  });

  it("fails synth for a setting given as a token, which synth cannot check, naming the prop", () => {
    const stack = new Stack(new App(), "Consumer");
    const email = new CfnParameter(stack, "Email").valueAsString;
    const minutes = new CfnParameter(stack, "Minutes", { type: "Number" }).valueAsNumber;
    assert.throws(() => new IdleModelStopper(stack, "ByEmail", { notifyEmail: email }), {
      name: "InvalidSettingError",
      message:
        /^Invalid IdleModelStopper prop notifyEmail: "\$\{Token\[[^\]]+\]\}"\. Allowed: a value known at synth, not a token: a CloudFormation parameter/,
    });
    assert.throws(() => new IdleModelStopper(stack, "ByMinutes", { idleMinutes: minutes }), {
      message:
        /^Invalid IdleModelStopper prop idleMinutes: "a number token"\. Allowed: a value known at synth/,
    });
    assert.throws(() => new IdleModelStopper(stack, "InItsRegion", { regions: [Aws.REGION] }), {
      message: /^Invalid IdleModelStopper prop regions: "\$\{Token\[AWS\.Region\.\d+\]\}"\./,
    });
  });

  it("fails for a prop name that clearly means a setting, from JavaScript, naming the setting", () => {
    // Act and assess: JavaScript passes what TypeScript would refuse; the default would have been deployed.
    const fromJavaScript = (props: Record<string, unknown>) => props as IdleModelStopperStackProps;
    assert.throws(() => new IdleModelStopper(new App(), "Stopper", fromJavaScript({ idleMinute: 120 })), {
      name: "InvalidSettingError",
      message:
        /^Invalid IdleModelStopper prop name: "idleMinute"\. Allowed: idleMinutes, as written, or another of the settings \(idleMinutes, optOutTagKey, .*\) or a stack's own props \(.*\benv\b.*\)\.$/,
    });
    for (const [given, closest] of [
      ["dryrun", "dryRun"],
      ["DRY_RUN", "dryRun"],
      ["idle-minutes", "idleMinutes"],
      ["stackname", "stackName"],
      ["region", "regions"],
      ["Account", "accounts"],
      ["dryRuns", "dryRun"],
    ] as const)
      assert.throws(() => new IdleModelStopperStack(new App(), "Stack", fromJavaScript({ [given]: "x" })), {
        message: new RegExp(
          `^Invalid IdleModelStopperStack prop name: "${given}"\\. Allowed: ${closest}, as written, or another`,
        ),
      });
  });

  const unknownPropWarnings = (stack: Stack) =>
    TemplateAnnotations.fromStack(stack).findWarning(
      "*",
      Match.stringLikeRegexp("idle-model-stopper:unknown-prop"),
    );

  it("warns about any other unknown prop name, naming it and the settings, and still synthesizes", () => {
    // Prepare: an app's own key beside the settings, from JavaScript.
    const stack = new Stack(new App(), "Platform");
    const props = { colour: "blue", idleMinutes: 120 } as IdleModelStopperStackProps;

    // Act
    new IdleModelStopper(stack, "Stopper", props);

    // Assess
    const warnings = unknownPropWarnings(stack);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.id, "/Platform/Stopper");
    assert.match(
      String(warnings[0]?.entry.data),
      /^IdleModelStopper prop "colour" is not a setting, so the stopper ignores it \(fine for a stack prop of a newer aws-cdk-lib or the app's own; a setting misspelled is not\)\. The settings: idleMinutes, optOutTagKey, .*, mapConcurrency\. \[ack: idle-model-stopper:unknown-prop\]$/,
    );
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ IDLE_MINUTES: "120" }) },
    });
  });

  it("deploys with a stack prop of a newer aws-cdk-lib, warning once on the stack and passing it on", () => {
    // Prepare: a StackProps key aws-cdk-lib 2.276 does not have, handed to the stack whole.
    const props = { someNewStackOption: true, stackName: "Stopper" } as IdleModelStopperStackProps;

    // Act
    const stack = new IdleModelStopperStack(new App(), "Stack", props);

    // Assess: one warning, on the stack, not again on the construct it hands the props to.
    const warnings = unknownPropWarnings(stack);
    assert.deepEqual(
      warnings.map((warning) => warning.id),
      ["/Stack"],
    );
    assert.match(
      String(warnings[0]?.entry.data),
      /^IdleModelStopperStack prop "someNewStackOption" is not a setting/,
    );
    assert.equal(stack.stackName, "Stopper");
  });

  it("accepts a stack's own props beside the settings, in the stack and in the construct it hands them to", () => {
    // Prepare: what an app's own stack passes on, as IdleModelStopperStack does.
    const props: IdleModelStopperStackProps = {
      env: { account: "123456789012", region: "eu-west-1" },
      stackName: "Stopper",
      description: "stops idle models",
      tags: { team: "ml" },
      terminationProtection: true,
      propertyInjectors: [],
      idleMinutes: 120,
    };

    // Act
    const stack = new IdleModelStopperStack(new App(), "Stack", props);
    const platform = new Stack(new App(), "Platform");
    new IdleModelStopper(platform, "Stopper", props);

    // Assess: accepted without a warning.
    assert.equal(stack.stackName, "Stopper");
    assert.deepEqual(unknownPropWarnings(stack), []);
    assert.deepEqual(unknownPropWarnings(platform), []);
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ IDLE_MINUTES: "120" }) },
    });
  });

  const wrongTypes: [string, unknown, RegExp][] = [
    ["idleMinutes", "120", /a number, not a string: a whole number of minutes from 15 to 10080/],
    ["dryRun", "false", /a boolean, not a string: true or false/],
    ["enabled", 0, /a boolean, not a number: true or false/],
    ["regions", "eu-west-1", /a list of strings such as \["us-east-1"\], not a string: /],
    ["regions", ["eu-west-1", 1], /a list of strings such as \["us-east-1"\], not a list holding a number: /],
    ["schedule", 7, /a string, not a number: an EventBridge Scheduler expression/],
    ["notifyEmail", ["ops@example.com"], /a string, not a list: one email address/],
    ["accounts", "111111111111", /a list of strings .*, not a string: a comma-separated list of 12-digit/],
  ];
  for (const [key, value, allowed] of wrongTypes) {
    it(`fails for ${key}=${JSON.stringify(value)} from JavaScript, naming the prop, the value and the type allowed`, () => {
      const props = { [key]: value } as IdleModelStopperStackProps;
      assert.throws(() => new IdleModelStopper(new App(), "Stopper", props), {
        name: "InvalidSettingError",
        message: new RegExp(
          `^Invalid IdleModelStopper prop ${key}: ${escapeRegExp(JSON.stringify(value))}\\. Allowed: ${allowed.source}`,
        ),
      });
    });
  }

  const gapWarnings = (stack: Stack) =>
    TemplateAnnotations.fromStack(stack).findWarning(
      "*",
      Match.stringLikeRegexp("idle-model-stopper:follow-up-gap"),
    );

  it("warns nothing about the follow-ups' gap with the default schedule and lead", () => {
    assert.deepEqual(gapWarnings(defaultStack), []);
  });

  it("warns, and still synthesizes, when the follow-ups come further apart than restartLeadMinutes", () => {
    // Act: rate(1 hour) with the default lead (45) deployed before the check and must still deploy.
    const stack = buildStack({ followUpSchedule: "rate(1 hour)" });

    // Assess: one warning on the construct, naming both settings, the gap, the delay and what helps.
    const warnings = gapWarnings(stack);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.id, "/IdleModelStopper/Default");
    assert.equal(
      warnings[0]?.entry.data,
      "followUpSchedule rate(1 hour) runs the follow-ups up to 1h00m apart, more than restartLeadMinutes 45: a " +
        "restart by rule (tag auto-stop:restart) is made by the first follow-up from restartLeadMinutes before the " +
        "rule's time, so it can start a model up to 15 minutes after that time. If you use restart rules, run the " +
        "follow-ups at most 45 minutes apart, such as rate(15 minutes), or raise restartLeadMinutes to 60 or more " +
        "(at most 180). [ack: idle-model-stopper:follow-up-gap]",
    );
    Template.fromStack(stack).hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(1 hour)",
    });
  });

  it("warns that a follow-up schedule that skips days can restart a model a day or more late, and synthesizes", () => {
    // Act
    const stack = new Stack(new App(), "Platform");
    new IdleModelStopper(stack, "Stopper", {
      followUpSchedule: "cron(*/5 8-18 ? * MON-FRI *)",
      optOutTagKey: "ops",
    });

    // Assess: raising restartLeadMinutes cannot help here, so the warning does not suggest it.
    TemplateAnnotations.fromStack(stack).hasWarning(
      "/Platform/Stopper",
      Match.stringLikeRegexp(
        "^followUpSchedule cron\\(\\*/5 8-18 \\? \\* MON-FRI \\*\\) does not run every day, with restartLeadMinutes 45: a restart by rule \\(tag ops:restart\\) .* so one due on a day it does not run is made only by the first follow-up after it, a day or more late\\. If you use restart rules, run the follow-ups at most 45 minutes apart, such as rate\\(15 minutes\\), every day\\. \\[ack",
      ),
    );
    Template.fromStack(stack).hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(*/5 8-18 ? * MON-FRI *)",
    });
  });

  it("lets an app without restart rules acknowledge the follow-up gap warning on its stack", () => {
    // Prepare
    const stack = new Stack(new App(), "Platform");
    new IdleModelStopper(stack, "Stopper", { followUpSchedule: "rate(1 day)" });

    // Act
    Annotations.of(stack).acknowledgeWarning("idle-model-stopper:follow-up-gap");

    // Assess
    assert.deepEqual(gapWarnings(stack), []);
  });

  it("suggests raising restartLeadMinutes only when the gap is within its 180 minutes", () => {
    // Act
    const daily = gapWarnings(buildStack({ followUpSchedule: "rate(1 day)" }));
    const evenings = gapWarnings(
      buildStack({ followUpSchedule: "cron(0/15 8-23 * * ? *)", restartLeadMinutes: "180" }),
    );

    // Assess
    assert.match(
      String(daily[0]?.entry.data),
      /up to 24h00m apart, .* up to 23h15m after that time\. If you use restart rules, run the follow-ups at most 45 minutes apart, such as rate\(15 minutes\)\. \[ack/,
    );
    assert.match(
      String(evenings[0]?.entry.data),
      /up to 8h15m apart, more than restartLeadMinutes 180: .* up to 5h15m after that time\. .*rate\(15 minutes\)\. \[ack/,
    );
  });

  it("fails for a bad prop set in code, naming the prop", () => {
    assert.throws(() => new IdleModelStopperStack(new App(), "Stack", { functionTimeoutMinutes: 20 }), {
      name: "InvalidSettingError",
      message: /^Invalid IdleModelStopperStack prop functionTimeoutMinutes: "20"\. Allowed: .*2 to 15/,
    });
  });
});
