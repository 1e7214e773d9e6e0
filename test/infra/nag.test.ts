/** cdk-nag's AWS Solutions rules over the app `cdk synth` runs: every finding fixed or acknowledged with a reason. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { App, type PolicyValidationPluginReport, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { SpokeRoleStack } from "../../infra/spoke-role.ts";
import { createStopperApp } from "../../infra/stopper-app.ts";
import { CDK_JSON_CONTEXT } from "./template-helpers.ts";

/** A finding as `rule at construct path`, one per resource. */
function findings(report: PolicyValidationPluginReport): string[] {
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))
    .sort();
}

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

/** Every acknowledgement recorded in the tree, with the path it was made on. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ""), reason, path: construct.node.path })),
  );
}

/** The findings the rules would report if nothing were acknowledged. */
function findingsIgnoringAcknowledgements(root: IConstruct): string[] {
  const checks = new AwsSolutionsChecks();
  // The pack's own filter is private; replacing it is the only way to see what the acknowledgements hide.
  Object.defineProperty(checks, "isAcknowledged", { value: () => false });
  return findings(checks.validateScope(root));
}

for (const [name, context] of [
  ["the default settings", {}],
  [
    "two regions and an email subscription",
    { regions: "eu-west-1,us-east-1", notifyEmail: "ops@example.com" },
  ],
  [
    "the organization mode, accounts and OUs",
    {
      accounts: "111111111111",
      organizationalUnits: "ou-ab12-cd34ef56",
      organizationId: "o-a1b2c3d4e5",
      regions: "eu-west-1,us-east-1",
    },
  ],
  [
    "warnings before a stop, a warning pass and two regions",
    { regions: "eu-west-1,us-east-1", warnBeforeStopHours: "8", warnSchedule: "cron(0 18 * * ? *)" },
  ],
  ["no events and no last-action tag", { publishEvents: "false", tagLastAction: "false" }],
  [
    "the organization mode without the hub's own account",
    { accounts: "111111111111", organizationId: "o-a1b2c3d4e5", includeHubAccount: "false" },
  ],
] as const) {
  describe(`cdk-nag AWS Solutions checks, with ${name}`, () => {
    const { app } = createStopperApp({ context: { ...CDK_JSON_CONTEXT, ...context } });

    it("synthesizes: the app registers the checks, and no finding is left unacknowledged", () => {
      // In tests, synth throws with the whole report when a validation plugin reports a finding.
      assert.doesNotThrow(() => app.synth());
      assert.deepEqual(findings(new AwsSolutionsChecks().validateScope(app)), []);
    });

    it("acknowledges only findings the rules really make, each on the construct it is about", () => {
      const hidden = findingsIgnoringAcknowledgements(app);

      const unused = acknowledgements(app).filter(
        (ack) => !hidden.some((finding) => finding.startsWith(`${ack.id} at ${ack.path}/`)),
      );
      assert.deepEqual(unused, []);
      assert.ok(hidden.length >= 5, `findings hidden: ${hidden.join("; ")}`);
    });

    it("gives each acknowledgement its own specific reason", () => {
      const acks = acknowledgements(app);
      // The project/* wildcard of each region is one kind of finding, with one reason.
      const reasonByKind = new Map(
        acks.map((ack) => [ack.id.replace(/:(rekognition|sns):[^:]+:/, ":$1:<region>:"), ack.reason]),
      );

      assert.equal(new Set(reasonByKind.values()).size, reasonByKind.size, "no two kinds share a reason");
      for (const { id, reason } of acks) {
        assert.ok(reason.length >= 80, `${id}: "${reason}" explains itself`);
      }
    });
  });
}

describe("cdk-nag acknowledgements", () => {
  it("are exactly these, and IAM5 on project/* names each configured region", () => {
    const { app } = createStopperApp({
      context: { ...CDK_JSON_CONTEXT, regions: "eu-west-1,us-east-1" },
    });

    assert.deepEqual(
      acknowledgements(app).map((ack) => `${ack.id} at ${ack.path}`),
      [
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Resource::*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*/version/*/*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*/version/*/*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-L1 at IdleModelStopper/Default/StopperFunction",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-IAM5[Resource::*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*/version/*/*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*/version/*/*] at IdleModelStopper/Default/FollowUpFunctionRole",
        "AwsSolutions-L1 at IdleModelStopper/Default/FollowUpFunction",
        "AwsSolutions-SQS3 at IdleModelStopper/Default/ScheduleDeadLetterQueue",
      ],
    );
  });

  it("without the last-action tag, have no IAM5 on the model ARNs on either role: nothing is granted there", () => {
    const { app } = createStopperApp({
      context: { ...CDK_JSON_CONTEXT, regions: "eu-west-1,us-east-1", tagLastAction: "false" },
    });

    assert.deepEqual(
      acknowledgements(app).filter((ack) => ack.id.includes("/version/")),
      [],
    );
  });

  it("with warnings, add IAM5 on the topics of each configured region, for the warned models' own messages", () => {
    const { app } = createStopperApp({
      context: { ...CDK_JSON_CONTEXT, regions: "eu-west-1,us-east-1", warnBeforeStopHours: "24" },
    });

    assert.deepEqual(
      acknowledgements(app)
        .map((ack) => `${ack.id} at ${ack.path}`)
        .filter((ack) => ack.includes(":sns:")),
      [
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:eu-west-1:<AWS::AccountId>:*] at IdleModelStopper/Default/StopperFunctionRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:us-east-1:<AWS::AccountId>:*] at IdleModelStopper/Default/StopperFunctionRole",
      ],
    );
  });
});

describe("cdk-nag AWS Solutions checks, on the spoke role's stack", () => {
  it("finds nothing unacknowledged, and each acknowledgement hides a real finding", () => {
    // Prepare
    const app = new App();
    new SpokeRoleStack(app, "IdleModelStopperSpoke");
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const hidden = findingsIgnoringAcknowledgements(app);

    // Assess
    assert.doesNotThrow(() => app.synth());
    assert.deepEqual(findings(new AwsSolutionsChecks().validateScope(app)), []);
    const acks = acknowledgements(app);
    assert.equal(acks.length, 3);
    for (const ack of acks)
      assert.ok(
        hidden.some((finding) => finding.startsWith(`${ack.id} at ${ack.path}/`)),
        ack.id,
      );
  });
});
