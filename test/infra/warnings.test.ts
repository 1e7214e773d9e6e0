/**
 * The infrastructure of issue 12's nightly part: the last look's and the warnings' settings, the FollowUps index,
 * the warning pass's schedule, and the permission to publish a warned model's own message.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { IdleModelStopper } from "../../infra/idle-model-stopper.ts";
import { buildStack, escapeRegExp, functionStatements, resourcesFor, theOnly } from "./template-helpers.ts";

const defaults = Template.fromStack(buildStack());
const warnings = Template.fromStack(
  buildStack({
    warnBeforeStopHours: "8",
    warnSchedule: "cron(0 18 * * ? *)",
    lastLookMinutes: 30,
    regions: "eu-west-1,us-east-1",
    scheduleTimezone: "Europe/Paris",
  }),
);

const allSchedules = (template: Template) =>
  Object.values(template.findResources("AWS::Scheduler::Schedule"));
/** The schedules of the nightly function: the follow-up function has its own (followUpSchedule). */
const schedules = (template: Template) =>
  allSchedules(template).filter(
    (schedule) => !String(schedule.Properties.Target.Arn?.["Fn::GetAtt"]?.[0]).includes("FollowUpFunction"),
  );

describe("the last look and warnings, by default", () => {
  it("re-read 15 minutes of requests before each stop, warn nobody, and have one schedule", () => {
    defaults.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ LAST_LOOK_MINUTES: "15", WARN_BEFORE_STOP_HOURS: "0" }) },
    });
    assert.equal(schedules(defaults).length, 1);
    assert.deepEqual(resourcesFor(functionStatements(defaults), "sns:Publish"), [
      `<${Object.keys(defaults.findResources("AWS::SNS::Topic"))[0]}>`,
    ]);
  });

  it("add exactly one global secondary index to the table: FollowUps", () => {
    const table = theOnly(defaults, "AWS::DynamoDB::Table");
    const indexes = table.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    assert.deepEqual(
      indexes.map((index) => index.IndexName),
      ["PendingStops", "FollowUps"],
    );
    // The key schema of the table itself cannot change: it is retained across deployments.
    assert.deepEqual(table.Properties.KeySchema, [
      { AttributeName: "modelArn", KeyType: "HASH" },
      { AttributeName: "stoppedAt", KeyType: "RANGE" },
    ]);
  });
});

describe("warnings before a stop, with a warning pass", () => {
  it("tell the function how long to warn and how far to look back", () => {
    warnings.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ LAST_LOOK_MINUTES: "30", WARN_BEFORE_STOP_HOURS: "8" }) },
    });
  });

  it("invoke the warning pass on its own schedule, in the runs' time zone, with the nightly schedule's retries and dead-letter queue", () => {
    const queueId = Object.keys(warnings.findResources("AWS::SQS::Queue"))[0];
    const all = schedules(warnings);
    const warn = all.find((schedule) => String(schedule.Properties.Target.Input).includes('"mode":"warn"'));
    const nightly = all.find((schedule) => schedule !== warn);
    assert.equal(nightly?.Properties.ScheduleExpression, "cron(0 2 * * ? *)");
    assert.equal(warn?.Properties.ScheduleExpression, "cron(0 18 * * ? *)");
    assert.equal(warn?.Properties.ScheduleExpressionTimezone, "Europe/Paris");
    assert.equal(warn?.Properties.State, "ENABLED");
    assert.deepEqual(
      { ...warn?.Properties.Target, Input: undefined, RoleArn: undefined },
      {
        ...nightly?.Properties.Target,
        Input: undefined,
        RoleArn: undefined,
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueId, "Arn"] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
      },
    );
    assert.deepEqual(JSON.parse(warn?.Properties.Target.Input), {
      mode: "warn",
      scheduledTime: "<aws.scheduler.scheduled-time>",
      attempt: "<aws.scheduler.attempt-number>",
    });
  });

  it("let the function publish to the topics of this account in the configured regions, and nowhere else", () => {
    const topic = `<${Object.keys(warnings.findResources("AWS::SNS::Topic"))[0]}>`;
    assert.deepEqual(resourcesFor(functionStatements(warnings), "sns:Publish").sort(), [
      topic,
      "arn:<AWS::Partition>:sns:eu-west-1:<AWS::AccountId>:*",
      "arn:<AWS::Partition>:sns:us-east-1:<AWS::AccountId>:*",
    ]);
  });

  it("are both turned off by the kill switch, and so are the follow-ups", () => {
    const off = Template.fromStack(
      buildStack({ warnBeforeStopHours: 8, warnSchedule: "cron(0 18 * * ? *)", enabled: false }),
    );
    assert.deepEqual(
      schedules(off).map((schedule) => schedule.Properties.State),
      ["DISABLED", "DISABLED"],
    );
    assert.deepEqual(
      allSchedules(off).map((schedule) => schedule.Properties.State),
      ["DISABLED", "DISABLED", "DISABLED"],
    );
  });

  it("can warn without a warning pass: the runs warn, and a later run stops", () => {
    const template = Template.fromStack(buildStack({ warnBeforeStopHours: 24 }));
    assert.equal(schedules(template).length, 1);
  });

  const accepted: Record<string, unknown>[] = [
    { warnBeforeStopHours: 8, warnSchedule: "cron(0 18 * * ? *)" },
    { warnBeforeStopHours: 1, warnSchedule: "cron(59 0 * * ? *)", schedule: "cron(0 2 * * ? *)" },
    {
      warnBeforeStopHours: 14,
      warnSchedule: "cron(0 18 ? * MON-FRI *)",
      schedule: "cron(0 8 ? * MON-FRI *)",
    },
    // Different days or a rate: how far apart the two fall cannot be told at synth, so it is not checked.
    { warnBeforeStopHours: 20, warnSchedule: "cron(0 18 ? * FRI *)", schedule: "cron(0 2 * * ? *)" },
    { warnBeforeStopHours: 20, warnSchedule: "rate(12 hours)" },
  ];
  for (const context of accepted) {
    it(`accepts ${JSON.stringify(context)}`, () => {
      assert.ok(buildStack(context));
    });
  }
});

describe("warning settings that cannot work fail synth", () => {
  const rejected: { context: Record<string, unknown>; message: RegExp }[] = [
    {
      context: { warnSchedule: "cron(0 18 * * ? *)" },
      message: new RegExp(
        `^${escapeRegExp('Invalid context key warnSchedule with context key warnBeforeStopHours=0 (the default): "cron(0 18 * * ? *)". Allowed: a warning pass only with warnings on')}`,
      ),
    },
    {
      context: { warnSchedule: "cron(0 18 * * ? *)", warnBeforeStopHours: "0" },
      message: /^Invalid context key warnSchedule with context key warnBeforeStopHours=0: /,
    },
    {
      context: { warnSchedule: "cron(0 18 * * ? *)", warnBeforeStopHours: 9 },
      message: new RegExp(
        `^${escapeRegExp('Invalid context key warnSchedule with context key schedule=cron(0 2 * * ? *) and context key warnBeforeStopHours=9: "cron(0 18 * * ? *)". Allowed: a warning pass at least warnBeforeStopHours before the run it warns for: the run comes 8h00m after this warning pass')}`,
      ),
    },
    {
      context: { warnSchedule: "cron(0 2 * * ? *)", warnBeforeStopHours: 1 },
      message: /the run comes 0h00m after this warning pass/,
    },
    {
      context: { warnSchedule: "cron(30 18 * * ? *)", schedule: "cron(0 2 * * ? *)", warnBeforeStopHours: 8 },
      message: /the run comes 7h30m after this warning pass/,
    },
  ];
  for (const { context, message } of rejected) {
    it(`refuses ${JSON.stringify(context)}, naming the settings`, () => {
      assert.throws(() => buildStack(context), { name: "InvalidSettingError", message });
    });
  }

  it("checks props set in code the same way, naming the props", () => {
    assert.throws(() => new IdleModelStopper(new App(), "Stopper", { warnSchedule: "cron(0 18 * * ? *)" }), {
      name: "InvalidSettingError",
      message:
        /^Invalid IdleModelStopper prop warnSchedule with IdleModelStopper prop warnBeforeStopHours=0 \(the default\)/,
    });
  });
});
