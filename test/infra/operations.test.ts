/** Notifications, alarms, the dashboard and the kill switch: what an operator hears and sees. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Template } from "aws-cdk-lib/assertions";
import {
  buildStack,
  FOLLOW_UP,
  functionStatements,
  lambdaFunctionId,
  NIGHTLY,
  render,
  resourcesFor,
  theOnly,
  theOnlyId,
} from "./template-helpers.ts";

const defaults = Template.fromStack(buildStack());
const configured = Template.fromStack(buildStack({ notifyEmail: "ops@example.com", enabled: "false" }));

type Alarm = { Properties: Record<string, unknown> };

/** The alarm on `metricName`, failing unless there is exactly one. */
function alarmOn(template: Template, metricName: string, functionId?: string): Alarm {
  const alarms = Object.values(
    template.findResources("AWS::CloudWatch::Alarm", { Properties: { MetricName: metricName } }),
  ).filter(
    (alarm) => functionId === undefined || JSON.stringify(alarm.Properties.Dimensions).includes(functionId),
  );
  assert.equal(alarms.length, 1, `one alarm on ${metricName}${functionId ? ` of ${functionId}` : ""}`);
  return alarms[0] as Alarm;
}

/** The confused-deputy guard on a grant to cloudwatch.amazonaws.com: this account's alarms, in this region. */
function assertThisAccountsAlarms(condition: unknown): void {
  const { StringEquals, ArnLike, ...others } = condition as Record<string, Record<string, unknown>>;
  assert.deepEqual(others, {});
  assert.deepEqual(StringEquals, { "aws:SourceAccount": { Ref: "AWS::AccountId" } });
  assert.deepEqual(Object.keys(ArnLike ?? {}), ["aws:SourceArn"]);
  assert.equal(
    render(ArnLike?.["aws:SourceArn"]),
    "arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*",
  );
}

describe("notifications", () => {
  it("creates one topic, encrypted with a rotated customer managed key", () => {
    const keyId = theOnlyId(defaults, "AWS::KMS::Key");

    defaults.hasResourceProperties("AWS::SNS::Topic", {
      DisplayName: "Idle model stopper",
      KmsMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] },
    });
    defaults.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("lets this account's CloudWatch alarms use the key, which the AWS managed key for SNS would never allow", () => {
    const { KeyPolicy } = theOnly(defaults, "AWS::KMS::Key").Properties as {
      KeyPolicy: { Statement: Record<string, unknown>[] };
    };
    const forAlarms = KeyPolicy.Statement.filter(
      (statement) => JSON.stringify(statement.Principal) === '{"Service":"cloudwatch.amazonaws.com"}',
    );

    assert.equal(forAlarms.length, 1);
    const [statement = {}] = forAlarms;
    assert.deepEqual(
      [statement.Effect, statement.Action, statement.Resource],
      ["Allow", ["kms:Decrypt", "kms:GenerateDataKey*"], "*"],
    );
    assertThisAccountsAlarms(statement.Condition);
  });

  it("refuses publishing without TLS, and lets only this account's alarms publish as CloudWatch", () => {
    const topic = { Ref: theOnlyId(defaults, "AWS::SNS::Topic") };
    const policy = theOnly(defaults, "AWS::SNS::TopicPolicy").Properties as {
      Topics: unknown[];
      PolicyDocument: { Statement: Record<string, unknown>[] };
    };
    const [denyWithoutTls, allowAlarms = {}, ...others] = policy.PolicyDocument.Statement;

    assert.deepEqual(policy.Topics, [topic]);
    assert.deepEqual(others, []);
    assert.deepEqual(
      { ...denyWithoutTls, Sid: undefined },
      {
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topic,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
        Sid: undefined,
      },
    );
    assertThisAccountsAlarms(allowAlarms.Condition);
    assert.deepEqual(
      { ...allowAlarms, Sid: undefined, Condition: undefined },
      {
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topic,
        Sid: undefined,
        Condition: undefined,
      },
    );
  });

  it("lets each function publish to the topic only, and use its key only", () => {
    const topicId = theOnlyId(defaults, "AWS::SNS::Topic");
    const keyId = theOnlyId(defaults, "AWS::KMS::Key");
    for (const handler of [NIGHTLY, FOLLOW_UP]) {
      const statements = functionStatements(defaults, handler);

      assert.deepEqual(
        statements.filter((s) => s.actions.some((a) => a.startsWith("sns:"))),
        [{ actions: ["sns:Publish"], resources: [`<${topicId}>`], condition: undefined }],
      );
      assert.deepEqual(resourcesFor(statements, "kms:GenerateDataKey*"), [`<${keyId}.Arn>`]);
      assert.deepEqual(resourcesFor(statements, "kms:Decrypt"), [`<${keyId}.Arn>`]);
    }
  });

  it("subscribes no one by default", () => {
    defaults.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it("subscribes notifyEmail to the topic", () => {
    configured.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: { Ref: theOnlyId(configured, "AWS::SNS::Topic") },
    });
  });
});

describe("alarms", () => {
  const topic = () => ({ Ref: theOnlyId(defaults, "AWS::SNS::Topic") });
  const quietWhenNoData = {
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    Threshold: 1,
    EvaluationPeriods: 1,
    TreatMissingData: "notBreaching",
  };

  it("has five alarms: failed and throttled runs of each function, and undelivered invocations", () => {
    defaults.resourceCountIs("AWS::CloudWatch::Alarm", 5);
  });

  for (const [name, handler] of [
    ["a run", NIGHTLY],
    ["a follow-up", FOLLOW_UP],
  ] as const) {
    it(`notifies the topic once ${name} fails, or is throttled`, () => {
      const functionId = lambdaFunctionId(defaults, handler);
      for (const metric of ["Errors", "Throttles"]) {
        const alarm = alarmOn(defaults, metric, functionId);

        assert.deepEqual(
          { ...alarm.Properties, AlarmDescription: undefined, Dimensions: undefined },
          {
            ...quietWhenNoData,
            Namespace: "AWS/Lambda",
            MetricName: metric,
            Statistic: "Sum",
            Period: 3600,
            AlarmActions: [topic()],
            AlarmDescription: undefined,
            Dimensions: undefined,
          },
        );
        assert.deepEqual(alarm.Properties.Dimensions, [{ Name: "FunctionName", Value: { Ref: functionId } }]);
      }
    });
  }

  it("notifies the topic while a message waits in the dead-letter queue", () => {
    defaults.hasResourceProperties("AWS::CloudWatch::Alarm", {
      ...quietWhenNoData,
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Statistic: "Maximum",
      Period: 300,
      Dimensions: [
        {
          Name: "QueueName",
          Value: { "Fn::GetAtt": [theOnlyId(defaults, "AWS::SQS::Queue"), "QueueName"] },
        },
      ],
      AlarmActions: [topic()],
    });
  });

  it("tells the reader of each alarm what happened and where to look", () => {
    for (const alarm of Object.values(defaults.findResources("AWS::CloudWatch::Alarm"))) {
      assert.match(String(alarm.Properties.AlarmDescription), /idle model stopper.{40,}/);
    }
    assert.match(
      String(alarmOn(defaults, "Errors", lambdaFunctionId(defaults, FOLLOW_UP)).Properties.AlarmDescription),
      /^A follow-up of the idle model stopper failed/,
    );
  });

  it("does not notify when an alarm clears, so one incident is one message", () => {
    for (const alarm of Object.values(defaults.findResources("AWS::CloudWatch::Alarm"))) {
      assert.equal(alarm.Properties.OKActions, undefined);
      assert.equal(alarm.Properties.InsufficientDataActions, undefined);
    }
  });
});

describe("dashboard", () => {
  const body = () => {
    const dashboard = theOnly(defaults, "AWS::CloudWatch::Dashboard").Properties;
    return render(dashboard.DashboardBody);
  };
  const widgets = () => (JSON.parse(body().replace(/<[^>]+>/g, "REF")) as { widgets: Widget[] }).widgets;
  type Widget = {
    type: string;
    properties: { title?: string; metrics?: unknown[][]; annotations?: unknown };
  };
  const widget = (title: string): Widget => {
    const found = widgets().find((w) => w.properties.title === title);
    assert.ok(found, `a widget titled ${title}`);
    return found;
  };
  const emf = (metric: string) => ["IdleModelStopper", metric, "service", "idle-model-stopper"];

  it("exists, with a generated name so two deployments in one account do not clash", () => {
    const dashboard = theOnly(defaults, "AWS::CloudWatch::Dashboard").Properties;
    assert.equal(dashboard.DashboardName, undefined);
  });

  it("graphs the models stopped and warned per day, from the function's EMF namespace and service dimension", () => {
    const [stopped, warned] = widget("Models stopped and warned per day").properties.metrics ?? [];
    assert.deepEqual(stopped?.slice(0, 4), emf("ModelsStopped"));
    assert.deepEqual(stopped?.[4], { label: "Models stopped", period: 86400, stat: "Sum" });
    assert.deepEqual(warned?.slice(0, 4), emf("ModelsWarned"));
    assert.deepEqual(warned?.[4], {
      label: "Models warned (warnBeforeStopHours)",
      period: 86400,
      stat: "Sum",
    });
  });

  it("graphs the estimated dollars saved per day as the hourly savings times 24, saying what it assumes", () => {
    const [expression, hourly] = widget("Estimated USD saved per day").properties.metrics ?? [];
    assert.deepEqual(expression, [
      {
        expression: "hourly * 24",
        label: "Estimated USD saved per day (if stopped models stay stopped for a day)",
        period: 86400,
      },
    ]);
    assert.deepEqual(hourly?.slice(0, 4), emf("EstimatedHourlySavingsUsd"));
    assert.deepEqual(hourly?.[4], {
      label: "Hourly savings of the stops",
      period: 86400,
      stat: "Sum",
      visible: false,
      id: "hourly",
    });
  });

  it("graphs models scanned and kept, per-model errors next to failed runs, and run duration", () => {
    const names = (title: string) =>
      (widget(title).properties.metrics ?? []).map((metric) => metric.slice(0, 2).join("/"));

    assert.deepEqual(names("Models scanned and kept per day"), [
      "IdleModelStopper/ModelsScanned",
      "IdleModelStopper/ModelsKept",
    ]);
    assert.deepEqual(names("Errors per day"), ["IdleModelStopper/Errors", "AWS/Lambda/Errors"]);
    assert.deepEqual(names("Run duration"), ["AWS/Lambda/Duration", "AWS/Lambda/Duration"]);
    assert.deepEqual(
      (widget("Run duration").properties.metrics ?? []).map((metric) => metric[4]),
      // Average is a graph's default statistic, so the dashboard leaves it out.
      [
        { label: "Longest run", period: 86400, stat: "Maximum" },
        { label: "Average run", period: 86400 },
      ],
    );
    assert.deepEqual(widget("Run duration").properties.annotations, {
      horizontal: [{ value: 600000, label: "Function timeout", yAxis: "left" }],
    });
  });

  it("shows the five alarms", () => {
    const alarms = widgets().find((w) => w.type === "alarm")?.properties as
      | { alarms?: unknown[] }
      | undefined;
    assert.equal(alarms?.alarms?.length, 5);
  });

  it("graphs the stops undone per day: regretted, restarted by the stopper, started again by hand", () => {
    const names = (title: string) =>
      (widget(title).properties.metrics ?? []).map((metric) => metric.slice(0, 2).join("/"));

    assert.deepEqual(names("Stops undone per day"), [
      "IdleModelStopper/ModelsRegretted",
      "IdleModelStopper/ModelsRestarted",
      "IdleModelStopper/ModelsStartedByHand",
    ]);
    assert.deepEqual(names("Follow-ups: failed runs and duration"), [
      "AWS/Lambda/Errors",
      "AWS/Lambda/Duration",
    ]);
    assert.ok(body().includes(`<${lambdaFunctionId(defaults, FOLLOW_UP)}>`), "of the follow-up function");
  });

  it("uses the metric names the function publishes, and no others from its namespace", () => {
    const published = [...body().matchAll(/"IdleModelStopper","(\w+)","service","idle-model-stopper"/g)].map(
      (m) => m[1],
    );
    assert.equal(
      body().match(/"IdleModelStopper"/g)?.length,
      published.length,
      "every one with the dimension",
    );
    assert.deepEqual([...new Set(published)].sort(), [
      "Errors",
      "EstimatedHourlySavingsUsd",
      "ModelsKept",
      "ModelsRegretted",
      "ModelsRestarted",
      "ModelsScanned",
      "ModelsStartedByHand",
      "ModelsStopped",
      "ModelsWarned",
    ]);
  });
});

describe("kill switch", () => {
  it("runs the schedule by default", () => {
    defaults.hasResourceProperties("AWS::Scheduler::Schedule", { State: "ENABLED" });
  });

  it("disables the schedule when enabled is false, and keeps everything else", () => {
    configured.hasResourceProperties("AWS::Scheduler::Schedule", { State: "DISABLED" });
    const types = (template: Template) =>
      Object.values(template.toJSON().Resources as Record<string, { Type: string }>)
        .map((r) => r.Type)
        .filter((type) => type !== "AWS::SNS::Subscription")
        .sort();
    assert.deepEqual(types(configured), types(defaults));
  });
});
