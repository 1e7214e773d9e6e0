/**
 * The organization mode's warning pass end to end: the synthesized state machine started as the warnSchedule starts
 * it (`mode: "warn"`), each item the real bundle. A member account's idle model is warned, not stopped; its record
 * carries the account and is followed up under the account's own key; the owner's message goes to the hub's topic its
 * tag names, published by the hub's role; the spoke role's calls and the hub's are simulated against their policies.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OrganizationRunSummary } from "../../lambda/core/organization.ts";
import type { OrganizationSpec } from "../../sandbox/index.ts";
import { runExecution } from "../../sandbox/organization-run.ts";
import { synthesizedStateMachine } from "../../sandbox/state-machine.ts";
import { idleFor10Hours } from "../support/case-mix.ts";
import { A, HUB, ORG, worldWithSpokes } from "../support/organization-world.ts";
import { spokeStackSet } from "../support/spoke-stack-set.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const REGION = "us-east-1";

const fixture = useSynthesizedStopper({
  accounts: A,
  organizationId: ORG,
  regions: REGION,
  warnBeforeStopHours: "8",
  warnSchedule: "cron(0 18 * * ? *)",
});

const organization: OrganizationSpec = {
  id: ORG,
  rootId: "r-ab12",
  ous: [],
  accounts: [{ id: A, spokeRole: "IdleModelStopperSpoke" }],
};

const spoke = spokeStackSet({ hubAccountId: HUB, organizationId: ORG, regions: [REGION], accounts: [A] });

describe("a warning pass over the organization", () => {
  it("warns the member account's idle model through the hub's topic, keyed by its account, and stops nothing", async () => {
    // Prepare: A's idle model names a topic of the hub's account for its warnings.
    const { world, guards } = await worldWithSpokes(fixture, spoke, { organization });
    const topicArn = world.sandbox.sns.createTopic("vision-team");
    world.sandbox.inAccount(A).seed({
      projects: [
        {
          name: "vision",
          region: REGION,
          versions: [
            {
              name: "idle",
              status: "RUNNING",
              ...idleFor10Hours(2),
              tags: { "auto-stop:notify": topicArn },
            },
          ],
        },
      ],
    });
    const template = fixture.fn.template;
    const machine = synthesizedStateMachine(template, { account: HUB, region: REGION });

    // Act
    const outcome = await runExecution(world, machine, template, {
      input: { mode: "warn", scheduledTime: "2026-11-27T18:00:00Z", attempt: 1 },
      name: "evening-1",
    });
    await guards.settle();

    // Assess: warned, not stopped, in A's own key of the FollowUps index
    assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
    const modelArn = world.sandbox.inAccount(A).rekognition.modelArn("vision", "idle");
    assert.equal(world.sandbox.inAccount(A).rekognition.model(modelArn)?.status, "RUNNING");
    const records = (await world.items()).filter((record) => record.modelArn === modelArn);
    assert.deepEqual(
      records.map((r) => `${r.kind} ${r.status} ${r.accountId} ${r.followUpRegion} ${r.stopNotBefore}`),
      [`warning WARNED ${A} ${A}:${REGION} 2026-11-28T02:00:00Z`],
    );
    // The owner's message and the one digest, both published by the hub's role in the hub's account
    const messages = world.sandbox.sns.messages;
    assert.deepEqual(messages.map((m) => m.topicArn).sort(), [topicArn, world.sandbox.sns.topicArn].sort());
    const summary = outcome.output as OrganizationRunSummary;
    assert.equal(summary.mode, "warn");
    assert.equal(summary.warned, 1);
    assert.equal(summary.stopped, 0);
    assert.deepEqual(summary.failedItems, []);
    const digest = messages.find((m) => m.topicArn === world.sandbox.sns.topicArn);
    assert.match(digest?.subject ?? "", /^idle-model-stopper: warning pass, warned 1 model in 2 accounts/);
    // The spoke session made no SNS, DynamoDB or stop call: those are the hub's, or nobody's in a warning pass
    const inA = world.sandbox.calls.filter((call) => call.account === A);
    assert.ok(inA.length > 0);
    assert.deepEqual([...new Set(inA.map((call) => call.service))].sort(), ["cloudwatch", "rekognition"]);
    assert.ok(!inA.some((call) => call.operation === "StopProjectVersion"));

    // A follow-up meanwhile goes into A (its warning is in the FollowUps index, under A's key) through the spoke
    // role, and leaves the warning to the nightly run: it follows up stops only.
    const followUp = await world.invokeFollowUp({}, { requestId: "follow-up-1" });
    await guards.settle();
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.deepEqual(
      [followUp.result?.followed, followUp.result?.restarted, followUp.result?.errors],
      [0, [], []],
    );
    const [after] = (await world.items()).filter((record) => record.modelArn === modelArn);
    assert.deepEqual([after?.status, after?.followUpRegion], ["WARNED", `${A}:${REGION}`]);
    assert.ok(
      world.sandbox.calls.some(
        (call) =>
          call.operation === "AssumeRole" && call.input.RoleSessionName === "idle-model-stopper-follow-up-1",
      ),
    );
  });
});
