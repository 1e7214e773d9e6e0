/** The organization mode's infrastructure (issue 11): the state machine, the hub's grants, the spoke role. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { ORGANIZATION_BUNDLE_DIR } from "../../infra/handler-source.ts";
import { IdleModelStopper } from "../../infra/idle-model-stopper.ts";
import { SPOKE_ACTIONS, SpokeRoleStack } from "../../infra/spoke-role.ts";
import { IdleModelStopperStack } from "../../infra/stopper-stack.ts";
import { spokeRoleIn } from "../../sandbox/organization-run.ts";
import { PermissionChecker } from "../../sandbox/permission-check.ts";
import { type AslState, synthesizedStateMachine, validateAsl } from "../../sandbox/state-machine.ts";
import { spokeTemplate } from "../../scripts/spoke-template.ts";
import { spokeStackSet } from "../support/spoke-stack-set.ts";
import {
  asArray,
  assetDirOf,
  buildStack,
  CDK_JSON_CONTEXT,
  FOLLOW_UP,
  functionStatements,
  lambdaFunction,
  lambdaFunctionId,
  NIGHTLY,
  type RoleRef,
  render,
  resourcesFor,
  theOnly,
} from "./template-helpers.ts";

const ORG = { organizationId: "o-a1b2c3d4e5" };
const HUB = { account: "123456789012", region: "us-east-1" };

const accountsOnlyStack = buildStack({
  ...ORG,
  accounts: "111111111111,222222222222",
  regions: "us-east-1,eu-west-1",
  mapConcurrency: "8",
});
const accountsOnly = Template.fromStack(accountsOnlyStack);
const withOus = Template.fromStack(
  buildStack({ ...ORG, organizationalUnits: "ou-ab12-cd34ef56,r-ab12", spokeRoleName: "StopperSpoke" }),
);

const machineOf = (template: Template) =>
  synthesizedStateMachine(template.toJSON() as never, { ...HUB, stackName: "IdleModelStopper" });

describe("without accounts or OUs", () => {
  it("synthesizes the same template whatever the other organization settings say", () => {
    // Prepare
    const plain = Template.fromStack(buildStack()).toJSON();

    // Act
    const others = Template.fromStack(
      buildStack({
        accounts: "",
        organizationalUnits: "",
        includeHubAccount: "false",
        spokeRoleName: "Other",
        spokeExternalId: "some-external-id",
        mapConcurrency: 40,
      }),
    ).toJSON();

    // Assess
    assert.deepEqual(others, plain);
  });

  it("has no state machine: the schedule invokes the function, whose reserved concurrency is 1", () => {
    const template = Template.fromStack(buildStack());
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 0);
    const fn = lambdaFunction(template).Properties;
    assert.equal(fn.ReservedConcurrentExecutions, 1);
    const variables = Object.keys((fn.Environment as { Variables: object }).Variables);
    for (const name of [
      "ACCOUNTS",
      "ORGANIZATIONAL_UNITS",
      "SPOKE_ROLE_NAME",
      "HUB_ACCOUNT_ID",
      "HUB_PARTITION",
    ])
      assert.ok(!variables.includes(name), name);
    const roleId = (fn.Role as RoleRef)["Fn::GetAtt"][0];
    assert.equal(template.toJSON().Resources[roleId].Properties.RoleName, undefined);
    const schedules = Object.values(template.findResources("AWS::Scheduler::Schedule")).map(
      (schedule) => (schedule.Properties as { Target: { Arn: RoleRef } }).Target.Arn["Fn::GetAtt"][0],
    );
    assert.deepEqual(
      schedules.sort(),
      [lambdaFunctionId(template), lambdaFunctionId(template, FOLLOW_UP)].sort(),
    );
    for (const handler of [undefined, FOLLOW_UP])
      for (const action of [
        "sts:AssumeRole",
        "organizations:ListChildren",
        "states:ListExecutions",
        "dynamodb:Scan",
      ])
        assert.deepEqual(resourcesFor(functionStatements(template, handler), action), [], action);
  });
});

describe("the state machine", () => {
  const machine = machineOf(accountsOnly);
  const states = machine.definition.States;
  const item = states.EachAccountAndRegion?.ItemProcessor?.States ?? {};

  it("is valid Amazon States Language (asl-validator)", () => {
    const validation = validateAsl(machine.definition);
    assert.deepEqual(validation.errors, []);
    assert.equal(validation.isValid, true);
  });

  it("lists the work, runs each item in an inline Map at mapConcurrency, then gathers", () => {
    assert.equal(machine.definition.StartAt, "ListWork");
    assert.equal(states.ListWork?.Next, "EachAccountAndRegion");
    const map = states.EachAccountAndRegion as AslState;
    assert.equal(map.Type, "Map");
    assert.equal(map.ItemProcessor?.ProcessorConfig?.Mode, "INLINE");
    assert.equal(map.MaxConcurrency, 8);
    assert.equal(map.ItemsPath, "$.items");
    assert.equal(map.ResultPath, "$.items");
    assert.deepEqual(map.ItemSelector, {
      step: "item",
      "accountId.$": "$$.Map.Item.Value.accountId",
      "region.$": "$$.Map.Item.Value.region",
      "runId.$": "$.runId",
      "mode.$": "$.mode",
      "scheduledAt.$": "$.scheduledAt",
      "summaryBytes.$": "$.summaryBytes",
    });
    assert.equal(map.Next, "GatherRun");
    assert.equal(states.GatherRun?.End, true);
    assert.equal(machine.definition.TimeoutSeconds, 23 * 3600);
  });

  it("invokes the stopper function itself in every task, with the step's event", () => {
    const fnArn = `arn:aws:lambda:us-east-1:123456789012:function:IdleModelStopper-${Object.keys(accountsOnly.findResources("AWS::Lambda::Function"))[0]}`;
    for (const state of [states.ListWork, item.RunItem, states.GatherRun])
      assert.equal(state?.Resource, fnArn);
    assert.equal(states.ListWork?.Parameters?.step, "list");
    assert.equal(states.ListWork?.Parameters?.["executionStartTime.$"], "$$.Execution.StartTime");
    assert.equal(states.GatherRun?.Parameters?.step, "gather");
    assert.equal(states.GatherRun?.Parameters?.["items.$"], "$.items");
  });

  it("retries an item only when Lambda did not run it, and catches any failure of one item", () => {
    const runItem = item.RunItem as AslState;
    assert.deepEqual(
      runItem.Retry?.map((r) => r.ErrorEquals),
      [["Lambda.TooManyRequestsException"]],
    );
    assert.equal(runItem.TimeoutSeconds, 11 * 60);
    assert.deepEqual(runItem.Catch, [
      { ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "ItemFailed" },
    ]);
    assert.deepEqual(item.ItemFailed?.Parameters, {
      "accountId.$": "$.accountId",
      "region.$": "$.region",
      "caught.$": "$.failure.Error",
    });
    assert.deepEqual(
      states.GatherRun?.Retry?.map((r) => r.ErrorEquals),
      [["Lambda.TooManyRequestsException"]],
    );
    assert.ok(states.ListWork?.Retry?.[0]?.ErrorEquals.includes("Lambda.ServiceException"));
  });

  it("is started by the schedule with the scheduled time, and its role may only invoke the function", () => {
    const schedule = Object.values(
      accountsOnly.findResources("AWS::Scheduler::Schedule", {
        Properties: { Description: "Invokes the idle model stopper" },
      }),
    )[0]?.Properties as { Target: { Arn: { Ref: string }; Input: string; RoleArn: RoleRef } };
    assert.equal(schedule.Target.Arn.Ref, machine.logicalId);
    assert.match(schedule.Target.Input, /<aws\.scheduler\.scheduled-time>/);
    const policies = Object.values(
      accountsOnly.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: machine.roleLogicalId }] },
      }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const invoke = policies.filter((s) => asArray(s.Action).includes("lambda:InvokeFunction"));
    assert.deepEqual(
      invoke.flatMap((s) => asArray(s.Resource).map(render)),
      [`<${lambdaFunctionId(accountsOnly)}.Arn>`],
    );
    const otherActions = policies.flatMap((s) => asArray(s.Action)).filter((a) => !a.startsWith("logs:"));
    assert.deepEqual(otherActions, ["lambda:InvokeFunction"]);
  });

  it("is started by the warning pass's schedule too, with mode warn; the hub's role alone may publish warnings", () => {
    // Prepare
    const template = Template.fromStack(
      buildStack({
        ...ORG,
        accounts: "111111111111",
        regions: "us-east-1,eu-west-1",
        warnBeforeStopHours: "8",
        warnSchedule: "cron(0 18 * * ? *)",
      }),
    );
    const warnMachine = machineOf(template);

    // Act
    const schedules = Object.values(template.findResources("AWS::Scheduler::Schedule"))
      .map((resource) => resource.Properties as { Target: { Arn: { Ref: string }; Input: string } })
      .filter((schedule) => schedule.Target.Arn.Ref !== undefined);

    // Assess: both start the state machine (the follow-ups' invokes its function); only the warning pass asks for
    // mode warn.
    assert.deepEqual(
      schedules.map((schedule) => schedule.Target.Arn.Ref),
      [warnMachine.logicalId, warnMachine.logicalId],
    );
    assert.deepEqual(
      schedules.map((schedule) => JSON.parse(schedule.Target.Input).mode),
      [undefined, "warn"],
    );
    assert.deepEqual(
      resourcesFor(functionStatements(template), "sns:Publish").filter(
        (arn) => !arn.includes("NotificationTopic"),
      ),
      [
        "arn:<AWS::Partition>:sns:us-east-1:<AWS::AccountId>:*",
        "arn:<AWS::Partition>:sns:eu-west-1:<AWS::AccountId>:*",
      ],
    );
  });

  it("is named in the stack's outputs, which stay as they were without accounts", () => {
    assert.deepEqual(Object.keys(accountsOnly.findOutputs("StateMachineArn")), ["StateMachineArn"]);
    assert.deepEqual(Object.keys(Template.fromStack(buildStack()).findOutputs("StateMachineArn")), []);
  });

  it("logs every state's entry and exit, without the data", () => {
    accountsOnly.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineType: "STANDARD",
      LoggingConfiguration: { Level: "ALL", IncludeExecutionData: false },
    });
  });

  it("logs under /aws/vendedlogs/states/, named after the state machine, as AWS advises", () => {
    // Elsewhere, each state machine's log group takes room in the account's 5,120-character log resource policy.
    const [stateMachine] = Object.values(accountsOnly.findResources("AWS::StepFunctions::StateMachine"));
    const name = stateMachine?.Properties.StateMachineName as string;
    accountsOnly.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: `/aws/vendedlogs/states/${name}`,
    });
    const destination = stateMachine?.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup;
    const [logGroupId] = Object.keys(
      accountsOnly.findResources("AWS::Logs::LogGroup", {
        Properties: { LogGroupName: `/aws/vendedlogs/states/${name}` },
      }),
    );
    assert.deepEqual(destination.LogGroupArn, { "Fn::GetAtt": [logGroupId, "Arn"] });
  });

  it("deletes its log group with the stack, as the functions' log groups are", () => {
    // Every log group of the hub: the two functions' and the state machine's.
    const logGroups = Object.entries(accountsOnly.findResources("AWS::Logs::LogGroup"));
    assert.equal(logGroups.length, 3);
    for (const [id, logGroup] of logGroups) {
      assert.equal(logGroup.DeletionPolicy, "Delete", id);
      assert.equal(logGroup.UpdateReplacePolicy, "Delete", id);
    }
  });
});

describe("the hub in the organization mode", () => {
  it("runs the hub's own bundle in both functions, byte for byte: the one with the STS, Organizations and Step Functions clients", () => {
    for (const handler of [undefined, FOLLOW_UP]) {
      const assetDir = assetDirOf(accountsOnlyStack, accountsOnly, handler);
      for (const file of ["index.mjs", "index.mjs.map"]) {
        assert.ok(
          readFileSync(join(assetDir, file)).equals(readFileSync(join(ORGANIZATION_BUNDLE_DIR, file))),
          `${handler ?? "index.handler"}: ${file}`,
        );
      }
    }
  });

  it("lets the Map run mapConcurrency items at once, under a fixed role name the spoke roles trust", () => {
    const fn = lambdaFunction(accountsOnly).Properties;
    assert.equal(fn.ReservedConcurrentExecutions, 8);
    const roleNameOf = (handler?: string) => {
      const roleId = (lambdaFunction(accountsOnly, handler).Properties.Role as RoleRef)["Fn::GetAtt"][0];
      return render(accountsOnly.toJSON().Resources[roleId].Properties.RoleName);
    };
    assert.equal(roleNameOf(), "IdleModelStopperHub-<AWS::Region>");
    // The follow-up function's role too: the spoke roles trust it, to undo stops in member accounts.
    assert.equal(roleNameOf(FOLLOW_UP), "IdleModelStopperHub-<AWS::Region>-FollowUp");
    assert.equal(lambdaFunction(accountsOnly, FOLLOW_UP).Properties.ReservedConcurrentExecutions, 1);
  });

  it("tells both functions the accounts, the spoke role and where the hub is", () => {
    for (const handler of [undefined, FOLLOW_UP]) {
      const variables = (
        lambdaFunction(accountsOnly, handler).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      assert.equal(variables.ACCOUNTS, "111111111111,222222222222");
      assert.equal(variables.ORGANIZATIONAL_UNITS, "");
      assert.equal(variables.INCLUDE_HUB_ACCOUNT, "true");
      assert.equal(variables.SPOKE_ROLE_NAME, "IdleModelStopperSpoke");
      assert.deepEqual(variables.HUB_ACCOUNT_ID, { Ref: "AWS::AccountId" });
      assert.deepEqual(variables.HUB_PARTITION, { Ref: "AWS::Partition" });
    }
  });

  it("may assume only the spoke role of each listed account, inside the organization, from either function", () => {
    for (const handler of [undefined, FOLLOW_UP]) {
      const statements = functionStatements(accountsOnly, handler).filter((s) =>
        s.actions.includes("sts:AssumeRole"),
      );
      assert.equal(statements.length, 1);
      assert.deepEqual(statements[0]?.actions, ["sts:AssumeRole"]);
      assert.deepEqual(statements[0]?.resources, [
        "arn:<AWS::Partition>:iam::111111111111:role/IdleModelStopperSpoke",
        "arn:<AWS::Partition>:iam::222222222222:role/IdleModelStopperSpoke",
      ]);
      assert.deepEqual(statements[0]?.condition, { StringEquals: { "aws:ResourceOrgID": "o-a1b2c3d4e5" } });
      assert.deepEqual(
        resourcesFor(functionStatements(accountsOnly, handler), "organizations:ListChildren"),
        [],
      );
    }
  });

  it("lets the follow-up function scan the FollowUps index only, to find the accounts with stops to follow up", () => {
    const statements = functionStatements(accountsOnly, FOLLOW_UP);
    assert.deepEqual(resourcesFor(statements, "dynamodb:Scan"), [
      `<${Object.keys(accountsOnly.findResources("AWS::DynamoDB::Table"))[0]}.Arn>/index/FollowUps`,
    ]);
    assert.deepEqual(resourcesFor(functionStatements(accountsOnly), "dynamodb:Scan"), []);
    for (const action of ["organizations:ListChildren", "states:ListExecutions"])
      assert.deepEqual(resourcesFor(statements, action), [], action);
  });

  it("with includeHubAccount=false, may stop, start, tag or read no model and read no metric in the hub's account", () => {
    // Prepare: the same hub, its own account left out.
    const withoutHub = Template.fromStack(
      buildStack({
        ...ORG,
        accounts: "111111111111",
        regions: "us-east-1,eu-west-1",
        includeHubAccount: "false",
      }),
    );
    const actsOnModels = (action: string) => /^(rekognition|cloudwatch):/.test(action);

    for (const handler of [undefined, FOLLOW_UP]) {
      // Act
      const actions = functionStatements(withoutHub, handler).flatMap((statement) => statement.actions);
      const withHub = functionStatements(accountsOnly, handler).flatMap((statement) => statement.actions);

      // Assess: the hub's own account gets no Rekognition or CloudWatch grant, which a served hub has...
      assert.deepEqual(actions.filter(actsOnModels), [], handler ?? NIGHTLY);
      assert.ok(withHub.includes("rekognition:StartProjectVersion"), handler ?? NIGHTLY);
      assert.ok(withHub.includes("rekognition:TagResource"), handler ?? NIGHTLY);
      assert.ok(withHub.includes("cloudwatch:GetMetricData"), handler ?? NIGHTLY);
      // ...and keeps what it needs to serve the members: their spoke roles, its log table, events on its own buses.
      for (const kept of [
        "sts:AssumeRole",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "events:PutEvents",
        "sns:Publish",
      ])
        assert.ok(actions.includes(kept), `${handler ?? NIGHTLY}: ${kept}`);
    }
    const nightly = functionStatements(withoutHub).flatMap((statement) => statement.actions);
    for (const kept of ["dynamodb:PutItem", "states:ListExecutions"]) assert.ok(nightly.includes(kept), kept);
    assert.ok(functionStatements(withoutHub, FOLLOW_UP).some((s) => s.actions.includes("dynamodb:Scan")));
  });

  it("with OUs, may assume the spoke role by name in any account of the organization, and list the OUs", () => {
    const statements = functionStatements(withOus);
    assert.deepEqual(resourcesFor(statements, "sts:AssumeRole"), [
      "arn:<AWS::Partition>:iam::*:role/StopperSpoke",
    ]);
    for (const action of ["organizations:ListAccountsForParent", "organizations:ListChildren"])
      assert.deepEqual(resourcesFor(statements, action), [
        "arn:<AWS::Partition>:organizations::*:ou/o-a1b2c3d4e5/*",
        "arn:<AWS::Partition>:organizations::*:root/o-a1b2c3d4e5/*",
      ]);
  });

  it("may list the executions of its own state machine only", () => {
    const machine = machineOf(accountsOnly);
    const [resource] = resourcesFor(functionStatements(accountsOnly), "states:ListExecutions");
    assert.equal(
      resource,
      `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${machine.name}`,
    );
  });

  it("alarms on failed runs and on items not served, and draws them on the dashboard", () => {
    const alarms = Object.values(accountsOnly.findResources("AWS::CloudWatch::Alarm"));
    assert.equal(
      alarms.length,
      7,
      "the five of a single account (two of them the follow-up's) and these two",
    );
    const descriptions = alarms.map((a) => String(a.Properties.AlarmDescription));
    assert.ok(descriptions.some((d) => d.includes("ExecutionsFailed")));
    assert.ok(descriptions.some((d) => d.includes("ItemsFailed")));
    accountsOnly.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: "ExecutionsFailed", Namespace: "AWS/States" }),
          }),
        }),
      ]),
    });
    const body = JSON.stringify(theOnly(accountsOnly, "AWS::CloudWatch::Dashboard").Properties.DashboardBody);
    assert.match(body, /Accounts × regions not served per day/);
    assert.match(body, /ExecutionsSucceeded/);
  });
});

describe("organization settings at synth", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { ...ORG, accounts: "11111111111" },
      /^Invalid context key accounts: "11111111111"\. Allowed: .*12-digit/,
    ],
    [
      { ...ORG, accounts: "111111111111,222222222222,111111111111" },
      /^Invalid context key accounts: .*\(111111111111 is listed twice\)/,
    ],
    [
      { ...ORG, organizationalUnits: "ou-12" },
      /^Invalid context key organizationalUnits: "ou-12"\. Allowed: .*ou-ab12-cd34ef56/,
    ],
    [
      { ...ORG, organizationalUnits: "ou-ab12-cd34ef56,ou-ab12-cd34ef56" },
      /ou-ab12-cd34ef56 is listed twice/,
    ],
    [
      { ...ORG, accounts: "111111111111", mapConcurrency: "0" },
      /^Invalid context key mapConcurrency: "0"\. Allowed: .* 1 to 40/,
    ],
    [{ ...ORG, accounts: "111111111111", mapConcurrency: "41" }, /^Invalid context key mapConcurrency: "41"/],
    [
      { accounts: "111111111111" },
      /^Invalid context key organizationId with context key accounts or .*: null\. Allowed: the AWS Organization's id/,
    ],
    [{ ...ORG }, /^Invalid context key organizationId without context key accounts .*: "o-a1b2c3d4e5"/],
    [{ organizationId: "o-12", accounts: "111111111111" }, /^Invalid context key organizationId: "o-12"/],
    [
      { ...ORG, accounts: "111111111111", spokeRoleName: "a role" },
      /^Invalid context key spokeRoleName: "a role"/,
    ],
    [{ ...ORG, accounts: "111111111111", spokeExternalId: "x" }, /^Invalid context key spokeExternalId: "x"/],
  ];
  for (const [context, message] of cases)
    it(`refuses ${JSON.stringify(context)}, naming the value and what is allowed`, () => {
      assert.throws(() => buildStack(context), { name: "InvalidSettingError", message });
    });

  it("refuses a list of accounts that would pass Lambda's 4 KB of environment, which only the deploy would refuse", () => {
    const accounts = (count: number) =>
      Array.from({ length: count }, (_, index) => String(100_000_000_000 + index)).join(",");
    assert.throws(() => buildStack({ ...ORG, accounts: accounts(240) }), {
      name: "InvalidSettingError",
      message:
        /^Invalid function environment: "about \d{4} bytes, ACCOUNTS taking 3119"\. Allowed: at most 4096 bytes in all, Lambda's limit: list fewer accounts and serve the others through organizationalUnits/,
    });
    assert.doesNotThrow(() => buildStack({ ...ORG, accounts: accounts(200) }));
  });

  it("refuses listed accounts × regions over the items a run takes, which every night's list step would refuse", () => {
    const accounts = (count: number) =>
      Array.from({ length: count }, (_, index) => String(100_000_000_000 + index)).join(",");
    const regions = "eu-west-1,us-east-1,us-west-2,ap-southeast-2";
    assert.throws(() => buildStack({ ...ORG, accounts: accounts(150), regions }), {
      name: "InvalidSettingError",
      message:
        /^Invalid context key accounts with context key regions: "150 accounts and the hub's × 4 regions = 604 items"\. Allowed: at most 600 account × region items in a run/,
    });
    // 149 and the hub in 4 regions is 600: deployed. With an OU the count is known only at each run.
    assert.doesNotThrow(() => buildStack({ ...ORG, accounts: accounts(149), regions }));
    assert.doesNotThrow(() =>
      buildStack({ ...ORG, accounts: accounts(150), regions, organizationalUnits: "ou-ab12-cd34ef56" }),
    );
  });

  it("counts the hub's account once when it is listed too, as the list step does, if synth knows the account", () => {
    const others = (count: number) =>
      Array.from({ length: count }, (_, index) => String(100_000_000_000 + index));
    const regions = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"];
    const stackWith = (accounts: string[], env?: typeof HUB, includeHubAccount = true) =>
      new IdleModelStopperStack(new App({ context: CDK_JSON_CONTEXT }), "IdleModelStopper", {
        ...ORG,
        accounts,
        regions,
        includeHubAccount,
        ...(env && { env }),
      });
    // 149 accounts and the hub, listed, in 4 regions: 150 accounts and 600 items a night, as each run lists them.
    assert.doesNotThrow(() => stackWith([...others(149), HUB.account], HUB));
    // The construct in an app's own stack reads the account from that stack.
    assert.doesNotThrow(
      () =>
        new IdleModelStopper(
          new Stack(new App({ context: CDK_JSON_CONTEXT }), "AppStack", { env: HUB }),
          "Stopper",
          { ...ORG, accounts: [...others(149), HUB.account], regions },
        ),
    );
    assert.throws(() => stackWith([...others(150), HUB.account], HUB), {
      name: "InvalidSettingError",
      message:
        /^Invalid IdleModelStopperStack prop accounts with IdleModelStopperStack prop regions: "151 accounts, the hub's among them, × 4 regions = 604 items"\. Allowed: at most 600 account × region items in a run/,
    });
    // With includeHubAccount=false the hub listed is not served: 151 listed, 150 served, 600 items.
    assert.doesNotThrow(() => stackWith([...others(150), HUB.account], HUB, false));
    // Without env.account the hub's account is a token at synth, which cannot be told from the listed ones: it is
    // counted apart, one account too many if it is listed.
    assert.throws(() => stackWith([...others(149), HUB.account]), {
      name: "InvalidSettingError",
      message:
        /: "150 accounts and the hub's × 4 regions = 604 items"\. Allowed: at most 600 .*; if the hub's own account is in the list, leave it out: includeHubAccount serves it\.$/,
    });
  });
});

describe("the spoke role", () => {
  const template = Template.fromJSON(spokeTemplate());
  const role = theOnly(template, "AWS::IAM::Role").Properties as {
    AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] };
    RoleName: unknown;
  };

  it("takes the hub, the organization, the regions, its name and an optional external id as parameters", () => {
    assert.deepEqual(Object.keys(template.toJSON().Parameters).sort(), [
      "ExternalId",
      "HubAccountId",
      "HubRoleName",
      "OrganizationId",
      "Regions",
      "RoleName",
    ]);
    assert.deepEqual(role.RoleName, { Ref: "RoleName" });
    assert.equal(template.toJSON().Rules, undefined, "no bootstrap version rule: a plain StackSet template");
  });

  it("trusts exactly the hub's two roles, from inside the organization, with the external id when one is given", () => {
    const [statement] = role.AssumeRolePolicyDocument.Statement;
    assert.equal(role.AssumeRolePolicyDocument.Statement.length, 1);
    assert.equal(statement?.Action, "sts:AssumeRole");
    assert.equal(
      render((statement?.Principal as { AWS: unknown } | undefined)?.AWS),
      "arn:<AWS::Partition>:iam::<HubAccountId>:root",
    );
    const condition = statement?.Condition as Record<string, Record<string, unknown>>;
    // The nightly function's, and the follow-up function's, which undoes stops here.
    assert.deepEqual(asArray(condition.ArnEquals?.["aws:PrincipalArn"]).map(render), [
      "arn:<AWS::Partition>:iam::<HubAccountId>:role/<HubRoleName>",
      "arn:<AWS::Partition>:iam::<HubAccountId>:role/<HubRoleName>-FollowUp",
    ]);
    assert.deepEqual(condition.StringEquals, {
      "Fn::If": [
        "HasExternalId",
        { "aws:PrincipalOrgID": { Ref: "OrganizationId" }, "sts:ExternalId": { Ref: "ExternalId" } },
        { "aws:PrincipalOrgID": { Ref: "OrganizationId" } },
      ],
    });
  });

  it("allows exactly the stopper's Rekognition and CloudWatch calls, in the configured regions, and nothing else", () => {
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => asArray(s.Action)).sort();
    assert.deepEqual(actions, Object.values(SPOKE_ACTIONS).flat().sort());
    assert.ok(!actions.some((a) => /^(dynamodb|sns|kms|sts|iam):/.test(a)));
    for (const statement of statements) {
      assert.deepEqual(statement.Condition, { StringEquals: { "aws:RequestedRegion": { Ref: "Regions" } } });
      for (const resource of asArray(statement.Resource).map(render))
        assert.match(
          resource,
          /^(\*|arn:<AWS::Partition>:rekognition:\*:<AWS::AccountId>:project\/\*(\/version\/\*\/\*)?)$/,
        );
      // The last-action tag goes on models only, never on a project.
      const tagging = statements.filter((s) => asArray(s.Action).includes("rekognition:TagResource"));
      assert.deepEqual(
        tagging.flatMap((s) => asArray(s.Resource).map(render)),
        ["arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*/version/*/*"],
      );
    }
  });

  it("is the construct's stack, so a CDK app deploying into member accounts gets the same role", () => {
    const app = new App();
    const stack = new SpokeRoleStack(app, "Spoke");
    assert.deepEqual(Template.fromStack(stack).toJSON(), spokeTemplate());
  });
});

describe("the spoke role's trust, simulated", () => {
  const ALLOW_ANY_ASSUME = {
    name: "caller",
    source: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
    },
    document: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
    },
  };
  const trustWith = (externalId: string) =>
    spokeRoleIn(
      spokeStackSet({
        hubAccountId: "123456789012",
        organizationId: "o-a1b2c3d4e5",
        regions: ["us-east-1"],
        accounts: ["111111111111"],
        externalId,
      }),
      "111111111111",
    );
  const assume = async (
    externalId: string,
    caller: { role: string; account?: string; org?: string; externalId?: string },
  ) => {
    const spoke = trustWith(externalId);
    const account = caller.account ?? "123456789012";
    const checker = new PermissionChecker(
      {
        name: "caller",
        arn: `arn:aws:sts::${account}:assumed-role/${caller.role}/session`,
        account,
        policies: [ALLOW_ANY_ASSUME],
        context: {
          "aws:PrincipalArn": `arn:aws:iam::${account}:role/${caller.role}`,
          "aws:PrincipalAccount": account,
          "aws:PrincipalOrgID": caller.org ?? "o-a1b2c3d4e5",
          "aws:PrincipalType": "AssumedRole",
        },
      },
      new Map([[spoke.arn, spoke.trust]]),
    );
    const verdict = await checker.check({
      operation: "AssumeRole",
      action: "sts:AssumeRole",
      resource: spoke.arn,
      region: "us-east-1",
      ...(caller.externalId !== undefined && { context: { "sts:ExternalId": caller.externalId } }),
    });
    return verdict.decision;
  };

  it("lets in the hub's role from inside the organization", async () => {
    assert.equal(await assume("", { role: "IdleModelStopperHub-us-east-1" }), "Allowed");
  });

  it("refuses another role of the hub account, the hub's role from another organization, and another account", async () => {
    assert.notEqual(await assume("", { role: "SomeoneElse" }), "Allowed");
    assert.notEqual(
      await assume("", { role: "IdleModelStopperHub-us-east-1", org: "o-zzzzzzzzzz" }),
      "Allowed",
    );
    assert.notEqual(
      await assume("", { role: "IdleModelStopperHub-us-east-1", account: "999999999999" }),
      "Allowed",
    );
  });

  it("with an external id, refuses the hub's role without it or with another", async () => {
    const role = "IdleModelStopperHub-us-east-1";
    assert.equal(await assume("ext-1234", { role, externalId: "ext-1234" }), "Allowed");
    assert.notEqual(await assume("ext-1234", { role }), "Allowed");
    assert.notEqual(await assume("ext-1234", { role, externalId: "ext-9999" }), "Allowed");
  });
});
