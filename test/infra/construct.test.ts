/** The construct on its own, as an app that has its stack already uses it through the package's entry point. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { CfnRole, ManagedPolicy, PermissionsBoundary } from "aws-cdk-lib/aws-iam";
import { MissingBundleError, stopperFunctionCode } from "../../infra/handler-source.ts";
import { IdleModelStopper, type IdleModelStopperProps, METRICS_NAMESPACE } from "../../infra/index.ts";
import type { RoleRef } from "./template-helpers.ts";

describe("IdleModelStopper in an app's own stack", () => {
  const app = new App();
  const stack = new Stack(app, "PlatformStack", { env: { account: "123456789012", region: "eu-west-1" } });
  const props: IdleModelStopperProps = {
    idleMinutes: 120,
    dryRun: true,
    regions: ["eu-west-1", "eu-central-1"],
    requireOptIn: true,
    schedule: "cron(0 20 ? * MON-FRI *)",
    scheduleTimezone: "Europe/Berlin",
    notifyEmail: "ml-platform@example.com",
    enabled: false,
  };
  const stopper = new IdleModelStopper(stack, "ModelStopper", props);
  const template = Template.fromStack(stack);

  it("builds the functions, schedules, table, topic, alarms and dashboard into that stack", () => {
    for (const [type, count] of [
      // The nightly function and the follow-up function, each with its schedule.
      ["AWS::Lambda::Function", 2],
      ["AWS::Scheduler::Schedule", 2],
      ["AWS::DynamoDB::Table", 1],
      ["AWS::SQS::Queue", 1],
      ["AWS::SNS::Topic", 1],
      ["AWS::SNS::Subscription", 1],
      ["AWS::CloudWatch::Alarm", 5],
      ["AWS::CloudWatch::Dashboard", 1],
    ] as const) {
      template.resourceCountIs(type, count);
    }
    assert.deepEqual(template.findOutputs("*"), {}, "outputs are the stack's business, not the construct's");
  });

  it("applies its typed props", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          IDLE_MINUTES: "120",
          DRY_RUN: "true",
          REGIONS: "eu-west-1,eu-central-1",
          REQUIRE_OPT_IN: "true",
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          NOTIFICATION_TOPIC_ARN: {
            Ref: stack.getLogicalId(stopper.notificationTopic.node.defaultChild as never),
          },
        },
      },
    });
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 20 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "Europe/Berlin",
      State: "DISABLED",
    });
    // The kill switch stops the follow-ups too.
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(15 minutes)",
      State: "DISABLED",
    });
    template.hasResourceProperties("AWS::SNS::Subscription", { Endpoint: "ml-platform@example.com" });
  });

  it("scopes the project ARNs it may stop to the stack's account and the configured regions", () => {
    const policies = JSON.stringify(template.findResources("AWS::IAM::Policy"));
    assert.match(policies, /":rekognition:eu-west-1:123456789012:project\/\*"/);
    assert.match(policies, /":rekognition:eu-central-1:123456789012:project\/\*"/);
  });

  it("exposes its parts for the app to extend", () => {
    assert.equal(stopper.alarms.length, 5);
    assert.ok(stopper.logTable && stopper.stopperFunction && stopper.schedule && stopper.deadLetterQueue);
    assert.ok(stopper.followUpFunction && stopper.followUpSchedule);
    assert.ok(stopper.notificationTopic && stopper.notificationKey && stopper.dashboard);
  });

  it("rejects a bad prop, naming the construct's prop", () => {
    assert.throws(
      () => new IdleModelStopper(new Stack(new App(), "Other"), "Stopper", { notifyEmail: "ops" }),
      {
        name: "InvalidSettingError",
        message: /^Invalid IdleModelStopper prop notifyEmail: "ops"\. Allowed: one email address/,
      },
    );
  });
});

describe("IdleModelStopper under a permissions boundary applied to it", () => {
  const configurations: [string, IdleModelStopperProps][] = [
    ["in one account", { warnSchedule: "cron(0 18 * * ? *)", warnBeforeStopHours: 6 }],
    ["as an organization's hub", { accounts: ["111111111111"], organizationId: "o-a1b2c3d4e5" }],
  ];
  for (const [mode, props] of configurations) {
    it(`keeps every role it needs, the schedules' too, under its own path, so the boundary reaches them (${mode})`, () => {
      // Prepare: an app's stack holding the construct, the boundary applied to the construct only (an Aspect).
      const stack = new Stack(new App(), "PlatformStack", {
        env: { account: "123456789012", region: "eu-west-1" },
      });
      const stopper = new IdleModelStopper(stack, "ModelStopper", props);
      PermissionsBoundary.of(stopper).apply(
        ManagedPolicy.fromManagedPolicyName(stack, "Boundary", "PlatformBoundary"),
      );

      // Act
      const template = Template.fromStack(stack);

      // Assess: no role outside the construct, each schedule's role among them, and the boundary on every role.
      const roles = stack.node.findAll().filter((construct) => construct instanceof CfnRole);
      for (const role of roles)
        assert.ok(role.node.path.startsWith("PlatformStack/ModelStopper/"), role.node.path);
      const roleIds = Object.keys(template.findResources("AWS::IAM::Role"));
      const scheduleRoles = Object.values(template.findResources("AWS::Scheduler::Schedule")).map(
        (schedule) => (schedule.Properties.Target.RoleArn as RoleRef)["Fn::GetAtt"][0],
      );
      assert.ok(scheduleRoles.length >= 2);
      for (const id of scheduleRoles) assert.ok(roleIds.includes(id), id);
      for (const [id, role] of Object.entries(template.findResources("AWS::IAM::Role")))
        assert.deepEqual(
          role.Properties.PermissionsBoundary,
          {
            "Fn::Join": [
              "",
              ["arn:", { Ref: "AWS::Partition" }, ":iam::123456789012:policy/PlatformBoundary"],
            ],
          },
          id,
        );
    });
  }

  it("lets the schedules' roles be assumed by this account's EventBridge Scheduler only, to invoke their target", () => {
    // Prepare
    const stack = new Stack(new App(), "PlatformStack", {
      env: { account: "123456789012", region: "eu-west-1" },
    });
    const stopper = new IdleModelStopper(stack, "ModelStopper");
    const template = Template.fromStack(stack);
    const idOf = (fn: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(fn.node.defaultChild as never);

    // Act: the role of each schedule, and what its policy allows.
    for (const [schedule, fn] of [
      [stopper.schedule, stopper.stopperFunction],
      [stopper.followUpSchedule, stopper.followUpFunction],
    ] as const) {
      const target = (template.toJSON().Resources[idOf(schedule)].Properties.Target as { RoleArn: RoleRef })
        .RoleArn;
      const roleId = target["Fn::GetAtt"][0];
      const role = template.toJSON().Resources[roleId].Properties;
      const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
        JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
      );

      // Assess
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
        {
          Action: "sts:AssumeRole",
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Condition: {
            StringEquals: {
              "aws:SourceAccount": "123456789012",
              "aws:SourceArn": {
                "Fn::Join": [
                  "",
                  [
                    "arn:",
                    { Ref: "AWS::Partition" },
                    ":scheduler:eu-west-1:123456789012:schedule-group/default",
                  ],
                ],
              },
            },
          },
        },
      ]);
      assert.equal(policies.length, 1);
      assert.deepEqual(policies[0]?.Properties.PolicyDocument.Statement, [
        { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: { "Fn::GetAtt": [idOf(fn), "Arn"] } },
        {
          Action: "sqs:SendMessage",
          Effect: "Allow",
          Resource: { "Fn::GetAtt": [idOf(stopper.deadLetterQueue), "Arn"] },
        },
      ]);
    }
  });
});

describe("the package's entry points", () => {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const root = fileURLToPath(new URL("../..", import.meta.url));

  it("point main, types and exports at the compiled construct and CLI that the build emits", () => {
    const targets = [
      manifest.main,
      manifest.types,
      manifest.exports["."].types,
      manifest.exports["."].default,
      manifest.exports["./cli"].types,
      manifest.exports["./cli"].default,
    ];

    assert.equal(manifest.exports["."].default, manifest.main);
    for (const target of targets) {
      assert.match(target, /^\.\/dist\/.*\.(js|d\.ts)$/, target);
      assert.ok(existsSync(join(root, target)), `${target} is built`);
    }
  });

  it("asks of constructs what aws-cdk-lib itself asks, so an app with any constructs aws-cdk-lib accepts installs it", () => {
    // Prepare: aws-cdk-lib's own peer range for constructs.
    const cdkLib = JSON.parse(readFileSync(join(root, "node_modules/aws-cdk-lib/package.json"), "utf8"));

    // Assess
    assert.equal(manifest.peerDependencies.constructs, cdkLib.peerDependencies.constructs);
    assert.equal(manifest.peerDependencies.constructs, "^10.5.0");
  });
});

describe("the function's code", () => {
  it("fails synth, saying what to run, when the bundle is missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "idle-model-stopper-no-bundle-"));
    try {
      assert.throws(
        () => stopperFunctionCode(empty),
        (error: Error) => {
          assert.ok(error instanceof MissingBundleError);
          assert.ok(error.message.includes(join(empty, "index.mjs")), error.message);
          assert.match(error.message, /run `npm run build`/);
          return true;
        },
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
