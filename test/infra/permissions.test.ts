/**
 * The template's other principals, simulated against its policies with iam-simulate: the scheduler's role, CloudWatch
 * alarms through the key policy and the topic policy, and the function publishing. What may happen is allowed, and
 * what must not (another account's alarm, a request without TLS, another function) is refused. Every verdict goes to
 * the proof ledger; the function's own calls are checked in every sandbox world (sandbox/function-permissions.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Template } from "aws-cdk-lib/assertions";
import type { CfnTemplate } from "../../sandbox/cfn-template.ts";
import {
  type CheckedCall,
  describeCall,
  PermissionChecker,
  type SimulatedPrincipal,
  type Verdict,
} from "../../sandbox/permission-check.ts";
import { recordGrants, recordVerdicts } from "../../sandbox/permission-ledger.ts";
import { deployedPolicies } from "../../sandbox/template-policies.ts";
import { buildStack } from "./template-helpers.ts";

const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const template = Template.fromStack(buildStack()).toJSON() as CfnTemplate;
const deployed = deployedPolicies(template, { account: ACCOUNT, region: REGION });
const [topicArn = "", keyArn = ""] = [...deployed.topicKeys].flat();

/** Checks calls and records them in the ledger as allowed or refused on purpose. */
async function simulate(
  checker: PermissionChecker,
  calls: readonly CheckedCall[],
  expected: "allow" | "deny",
): Promise<Verdict[]> {
  const verdicts = await Promise.all(calls.map((call) => checker.check(call)));
  recordVerdicts(checker.principal.name, verdicts, expected);
  return verdicts;
}

/** Fails naming every call whose decision is not the one expected. */
function assertDecisions(verdicts: readonly Verdict[], expected: "allow" | "deny"): void {
  const wrong = verdicts.filter((v) => (v.decision === "Allowed") !== (expected === "allow"));
  assert.deepEqual(
    wrong.map((v) => `${describeCall(v.call)}: ${v.decision}${v.detail ? ` (${v.detail})` : ""}`),
    [],
    `expected every call to be ${expected === "allow" ? "allowed" : "refused"}`,
  );
}

/** CloudWatch acting for one alarm: the service principal, with the alarm as the source of the request. */
const alarmContext = (alarmArn: string, account = ACCOUNT) => ({
  "aws:SourceAccount": account,
  "aws:SourceArn": alarmArn,
});

// Each schedule has a role of its own: the nightly run's, and the follow-up's.
for (const role of deployed.scheduleRoles()) {
  const target = /function:([^:]+)$/.exec(role.targetArn)?.[1] ?? role.targetArn;
  describe(`the scheduler's role for ${target}`, () => {
    const checker = new PermissionChecker(
      {
        name: "scheduler role",
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/scheduler-session`,
        account: ACCOUNT,
        policies: role.policies,
      },
      deployed.resourcePolicies,
    );
    const invoke = (resource: string): CheckedCall => ({
      operation: "Invoke",
      action: "lambda:InvokeFunction",
      resource,
      region: REGION,
    });
    const send = (resource: string): CheckedCall => ({
      operation: "SendMessage",
      action: "sqs:SendMessage",
      resource,
      region: REGION,
    });
    const otherFunctions = () =>
      deployed
        .scheduleRoles()
        .map((other) => other.targetArn)
        .filter((arn) => arn !== role.targetArn);

    it("may invoke the function the schedule targets, unqualified, and send to its dead-letter queue", async () => {
      assert.ok(role.deadLetterArn, "the schedule has a dead-letter queue");
      assert.match(
        role.targetArn,
        /^arn:aws:lambda:[^:]+:\d{12}:function:[^:]+$/,
        "an unqualified function ARN",
      );

      const verdicts = await simulate(checker, [invoke(role.targetArn), send(role.deadLetterArn)], "allow");

      assertDecisions(verdicts, "allow");
    });

    it("may not invoke a version or alias of the function, the other schedule's function or another, or send to another queue", async () => {
      const otherFunction = role.targetArn.replace(/function:.*$/, "function:SomethingElse");
      const otherQueue = `arn:aws:sqs:${REGION}:${ACCOUNT}:another-queue`;
      assert.equal(otherFunctions().length, 1, "two schedules, two functions");

      const verdicts = await simulate(
        checker,
        [
          invoke(`${role.targetArn}:1`),
          invoke(`${role.targetArn}:live`),
          invoke(otherFunction),
          ...otherFunctions().map(invoke),
          send(otherQueue),
        ],
        "deny",
      );

      assertDecisions(verdicts, "deny");
    });

    it("is assumed by EventBridge Scheduler for this account's default schedule group, by nothing else", async () => {
      // The role's trust policy is its resource policy: Scheduler asks with the group of the schedule as its source.
      const scheduler = new PermissionChecker(
        { name: "EventBridge Scheduler", arn: "scheduler.amazonaws.com", account: ACCOUNT, policies: [] },
        new Map([[role.arn, role.trustPolicy]]),
      );
      const assume = (account: string, sourceArn?: string): CheckedCall => ({
        operation: "AssumeRole",
        action: "sts:AssumeRole",
        resource: role.arn,
        region: REGION,
        context: {
          "aws:SourceAccount": account,
          ...(sourceArn !== undefined && { "aws:SourceArn": sourceArn }),
        },
      });
      const group = (region: string, account: string, name: string) =>
        `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`;

      const allowed = await simulate(
        scheduler,
        [assume(ACCOUNT, group(REGION, ACCOUNT, "default"))],
        "allow",
      );
      const refused = await simulate(
        scheduler,
        [
          assume(ACCOUNT, group(REGION, ACCOUNT, "someone-elses")),
          assume(ACCOUNT, group("us-east-1", ACCOUNT, "default")),
          assume(OTHER_ACCOUNT, group(REGION, OTHER_ACCOUNT, "default")),
          assume(ACCOUNT),
        ],
        "deny",
      );

      assertDecisions(allowed, "allow");
      assertDecisions(refused, "deny");
    });

    it("is granted nothing else", () => {
      const grants = checker.grants();
      recordGrants("scheduler role", grants);
      const functionId = Object.keys(template.Resources).find(
        (id) =>
          template.Resources[id]?.Type === "AWS::Lambda::Function" &&
          deployed.resolver.getAtt(id, "Arn") === role.targetArn,
      );
      const queueId = Object.keys(template.Resources).find(
        (id) => template.Resources[id]?.Type === "AWS::SQS::Queue",
      );

      assert.deepEqual(grants.map((g) => `${g.action} on ${g.resource}`).sort(), [
        `lambda:InvokeFunction on \${${functionId}.Arn}`,
        `sqs:SendMessage on \${${queueId}.Arn}`,
      ]);
    });
  });
}

describe("CloudWatch alarms publishing to the encrypted topic", () => {
  const cloudwatch: SimulatedPrincipal = {
    name: "CloudWatch alarms",
    arn: "cloudwatch.amazonaws.com",
    account: ACCOUNT,
    policies: [],
  };
  const checker = new PermissionChecker(cloudwatch, deployed.resourcePolicies);
  // What an alarm's action needs: SNS Publish, and the key for SNS to encrypt the message with.
  const alarmCalls = (context: Record<string, string>): CheckedCall[] => [
    { operation: "Publish", action: "sns:Publish", resource: topicArn, region: REGION, context },
    ...["GenerateDataKey", "Decrypt"].map((operation) => ({
      operation,
      action: `kms:${operation}`,
      resource: keyArn,
      region: REGION,
      via: "SNS for the alarm's Publish",
      context,
    })),
  ];

  it("are allowed to publish and use the key, for each of this account's alarms", async () => {
    assert.equal(deployed.alarmArns.length, 5);

    const verdicts = await simulate(
      checker,
      deployed.alarmArns.flatMap((alarm) => alarmCalls(alarmContext(alarm))),
      "allow",
    );

    assertDecisions(verdicts, "allow");
  });

  it("are refused for another account's alarm, an alarm in another region, an unnamed source, and without TLS", async () => {
    const otherAccountsAlarm = `arn:aws:cloudwatch:${REGION}:${OTHER_ACCOUNT}:alarm:Anything`;
    const otherRegionsAlarm = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:Anything`;
    const [ownAlarm = ""] = deployed.alarmArns;

    const verdicts = await simulate(
      checker,
      [
        ...alarmCalls(alarmContext(otherAccountsAlarm, OTHER_ACCOUNT)),
        ...alarmCalls(alarmContext(otherRegionsAlarm)),
        ...alarmCalls({}),
        {
          operation: "Publish",
          action: "sns:Publish",
          resource: topicArn,
          region: REGION,
          context: { ...alarmContext(ownAlarm), "aws:SecureTransport": "false" },
        },
      ],
      "deny",
    );

    assertDecisions(verdicts, "deny");
  });
});

describe("the function publishing its digest", () => {
  const role = deployed.functionRole();
  const checker = new PermissionChecker(
    {
      name: "function role",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/function`,
      account: ACCOUNT,
      policies: role.policies,
    },
    deployed.resourcePolicies,
  );
  const publish = (context: Record<string, string> = {}): CheckedCall => ({
    operation: "Publish",
    action: "sns:Publish",
    resource: topicArn,
    region: REGION,
    context,
  });

  it("may publish over TLS, the topic policy granting nothing and its own role the topic", async () => {
    const verdicts = await simulate(checker, [publish()], "allow");

    assertDecisions(verdicts, "allow");
  });

  it("is refused without TLS (the topic's enforceSSL)", async () => {
    const verdicts = await simulate(checker, [publish({ "aws:SecureTransport": "false" })], "deny");

    assertDecisions(verdicts, "deny");
    assert.match(verdicts[0]?.detail ?? "", /denied by resource-policy statement/);
  });
});
