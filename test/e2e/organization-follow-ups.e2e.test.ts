/**
 * The follow-ups in the organization mode end to end (issues 11 and 12): the synthesized state machine's nightly run
 * stops models in the hub's account and in a member account, and the follow-up function (the same bundle's
 * `index.followUp`, its own role) undoes them there: a stop a late request proved wrong, and a restart by tag. Every
 * call is simulated against the role that makes it: the hub's, the hub's follow-up role, the spoke role's sessions
 * (whose trust lets in both hub roles) and the state machine's. Every clock is pinned.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OrganizationRunSummary } from "../../lambda/core/organization.ts";
import type { AccountAccess, OrganizationSpec, SeedProject } from "../../sandbox/index.ts";
import { runExecution } from "../../sandbox/organization-run.ts";
import { synthesizedStateMachine } from "../../sandbox/state-machine.ts";
import type { LogItem } from "../../sandbox/stopper-world.ts";
import {
  A,
  HUB,
  NIGHTLY_ORGANIZATION_STACK,
  ORG,
  OU,
  REGIONS,
  worldWithSpokes,
} from "../support/organization-world.ts";
import { spokeStackSet } from "../support/spoke-stack-set.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const [REGION, OTHER_REGION] = REGIONS;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Saturday 28 November 2026, 02:00 UTC: the nightly run. The request at 01:59 reaches CloudWatch 3 minutes late.
const T = Date.UTC(2026, 10, 28, 2, 0, 0);
const RULE = "sat 04:00 UTC";
const REGRET = "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop";

const fixture = useSynthesizedStopper(NIGHTLY_ORGANIZATION_STACK);

const organization: OrganizationSpec = {
  id: ORG,
  rootId: "r-ab12",
  ous: [{ id: OU, parent: "r-ab12" }],
  accounts: [{ id: A, spokeRole: "IdleModelStopperSpoke" }],
};

const spoke = spokeStackSet({ hubAccountId: HUB, organizationId: ORG, regions: REGIONS, accounts: [A] });

const idleFor = (hours: number, units = 1) => ({
  status: "RUNNING" as const,
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: hours * 60, toMinutesAgo: 0, units }],
});

/** In each account and region: a batch model whose last request arrives late, and a model with a restart rule. */
const projects = (): SeedProject[] =>
  REGIONS.flatMap((region) => [
    {
      name: `batch-${region}`,
      region,
      versions: [{ name: "nightly", ...idleFor(10, 2), maxInferenceUnits: 3 }],
    },
    {
      name: `forms-${region}`,
      region,
      tags: { "auto-stop:restart": RULE },
      versions: [{ name: "reader", ...idleFor(6) }],
    },
  ]);

/** A request at 01:59 that CloudWatch shows only from 02:02: the 02:00 decision cannot see it. */
function lateRequests(account: Pick<AccountAccess, "cloudwatch">): void {
  for (const region of REGIONS)
    account.cloudwatch.insert(region, [
      {
        namespace: "AWS/Rekognition",
        metricName: "SuccessfulRequestCount",
        dimensions: { ProjectName: `batch-${region}`, VersionName: "nightly" },
        timestamp: T - MINUTE,
        value: 4,
      },
    ]);
}

/** The organization's world after the nightly run at 02:00 stopped all eight models, and the ARNs it stopped. */
async function stoppedOvernight() {
  const clock = { now: T };
  const { world, guards } = await worldWithSpokes(fixture, spoke, {
    organization,
    clock: () => clock.now,
    metricDelaySeconds: 180,
  });
  const member = world.sandbox.inAccount(A);
  world.sandbox.seed({ projects: projects() });
  member.seed({ projects: projects() });
  lateRequests(world.sandbox);
  lateRequests(member);
  const arnsIn = (account: Pick<AccountAccess, "rekognition">) =>
    REGIONS.map((region) => ({
      batch: account.rekognition.modelArn(`batch-${region}`, "nightly", region),
      reader: account.rekognition.modelArn(`forms-${region}`, "reader", region),
    }));
  const arns = { hub: arnsIn(world.sandbox), member: arnsIn(member) };
  const template = fixture.fn.template;
  const machine = synthesizedStateMachine(template, { account: HUB, region: REGION });
  const night = await runExecution(world, machine, template, {
    input: { scheduledTime: "2026-11-28T02:00:00Z", attempt: 1 },
    name: "night-1",
    invoke: { clockStart: T },
  });
  assert.equal(night.error, undefined, JSON.stringify(night.error));
  assert.equal((night.output as OrganizationRunSummary).stopped, 8, JSON.stringify(night.output));
  const at = (time: number) => {
    clock.now = time;
    return { clockStart: time };
  };
  /** The state machine's run scheduled at `time`, with the follow-up function leaving the regret check to it. */
  const nightlyAt = async (time: number, name: string) => {
    const run = await runExecution(world, machine, template, {
      input: { scheduledTime: new Date(time).toISOString().replace(".000Z", "Z"), attempt: 1 },
      name,
      invoke: at(time),
      env: { REGRET_CHECK_MINUTES: "0" },
    });
    assert.equal(run.error, undefined, JSON.stringify(run.error));
    return run;
  };
  return { world, member, guards, arns, at, nightlyAt };
}

const byArn = (items: readonly LogItem[], arn: string) => items.filter((item) => item.modelArn === arn);

describe("follow-ups across the organization", () => {
  it("undoes a member account's wrong stop and restarts its tagged model there, through the spoke role", async () => {
    // Prepare
    const { world, member, guards, arns, at } = await stoppedOvernight();
    const [memberBatch, memberOtherBatch] = arns.member.map((models) => models.batch);
    const [memberStop] = byArn(await world.items(), memberBatch as string);
    assert.equal(memberStop?.accountId, A);
    assert.equal(
      memberStop?.followUpRegion,
      `${A}:${REGION}`,
      "the member's stop is followed up under its key",
    );
    assert.equal(memberStop?.evidenceUntil, "2026-11-28T01:58:00Z");
    const [otherStop] = byArn(await world.items(), memberOtherBatch as string);
    assert.equal(otherStop?.followUpRegion, `${A}:${OTHER_REGION}`);
    const [hubStop] = byArn(await world.items(), arns.hub[0]?.batch as string);
    assert.equal(hubStop?.followUpRegion, `${HUB}:${REGION}`);

    // Act: 03:20, an hour after the stops and within 45 minutes of Saturday 04:00 UTC.
    const followUp = await world.invokeFollowUp({}, { ...at(T + 80 * MINUTE), requestId: "follow-up-1" });
    await guards.settle();

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.deepEqual(followUp.result?.errors, []);
    const rule = `restart rule "${RULE}" (tag auto-stop:restart on the project)`;
    const byArnOrder = (a: { arn: string }, b: { arn: string }) => a.arn.localeCompare(b.arn);
    assert.deepEqual(
      [...(followUp.result?.restarted ?? [])].sort(byArnOrder),
      [...arns.hub, ...arns.member]
        .flatMap(({ batch, reader }) => [
          { arn: batch, by: "regret", reason: REGRET, hourlyCostUsd: 8 },
          { arn: reader, by: "schedule", reason: rule, hourlyCostUsd: 4 },
        ])
        .sort(byArnOrder),
    );
    // The member's models run again in the member's account, with their units.
    for (const { batch, reader } of arns.member) {
      assert.equal(member.rekognition.model(batch)?.status, "RUNNING");
      assert.deepEqual(
        [
          member.rekognition.model(batch)?.minInferenceUnits,
          member.rekognition.model(batch)?.maxInferenceUnits,
        ],
        [2, 3],
      );
      assert.equal(member.rekognition.model(reader)?.status, "RUNNING");
    }
    // Each restart announced: its event on the hub's bus of the model's region, the member's with its accountId;
    // the member's models tagged restarted in the member's account, through the spoke role.
    const restartEvents = world.sandbox.eventbridge.events.filter(
      (e) => e.detailType === "Idle Model Restarted",
    );
    assert.deepEqual(
      restartEvents.map((e) => `${e.resources[0]} ${e.eventBusArn} ${e.detail.accountId}`).sort(),
      [...arns.hub, ...arns.member]
        .flatMap(({ batch, reader }) => [batch, reader])
        .map((arn) => {
          const [, , , region, account] = arn.split(":");
          return `${arn} arn:aws:events:${region}:${HUB}:event-bus/default ${account}`;
        })
        .sort(),
    );
    assert.deepEqual(followUp.result?.announced, { events: 8, tagged: 8, failed: 0 });
    for (const { batch, reader } of arns.member)
      for (const arn of [batch, reader])
        assert.match(member.rekognition.model(arn)?.tags["auto-stop:last-action"] ?? "", /^restarted \S+Z$/);
    // The member's calls were made with the spoke role's sessions, named after the follow-up run.
    const sessions = world.sandbox.calls
      .filter((call) => call.operation === "AssumeRole")
      .map((call) => String(call.input.RoleSessionName));
    assert.deepEqual(
      sessions.filter((name) => name.endsWith("follow-up-1")),
      ["idle-model-stopper-follow-up-1"],
      "one session in the member account",
    );
    const items = await world.items();
    for (const { batch, reader } of arns.member)
      for (const arn of [batch, reader]) {
        const [record, ...others] = byArn(items, arn);
        assert.deepEqual(others, [], "the stop's own record says it was undone");
        assert.deepEqual(
          [record?.status, record?.accountId, record?.followUpRegion],
          ["RESTARTED", A, undefined],
        );
      }
  });

  it("is undone by the next nightly run in a member account when regretCheckMinutes is 0", async () => {
    // Prepare
    const { world, member, arns, at, nightlyAt } = await stoppedOvernight();
    const quiet = await world.invokeFollowUp({ REGRET_CHECK_MINUTES: "0" }, at(T + 65 * MINUTE));
    assert.deepEqual(quiet.result?.restarted, []);

    // Act: the next night, the Map's item in each account runs its regret check first.
    const next = await nightlyAt(T + 24 * HOUR, "night-2");

    // Assess
    const items = await world.items();
    for (const { batch } of [...arns.hub, ...arns.member]) {
      const [record] = byArn(items, batch);
      assert.deepEqual([record?.status, record?.restartedBy], ["RESTARTED", "regret"], batch);
    }
    for (const { batch } of arns.member) assert.equal(member.rekognition.model(batch)?.status, "RUNNING");
    for (const { batch } of arns.hub) assert.equal(world.sandbox.rekognition.model(batch)?.status, "RUNNING");
    // The organization's one digest of the night lists each undone stop under its account and region.
    const summary = next.output as OrganizationRunSummary;
    assert.deepEqual([summary.restarted, summary.restartedHourlyCostUsd], [4, 32]);
    const digest = world.sandbox.sns.messages.at(-1);
    assert.match(digest?.subject ?? "", /^idle-model-stopper: undid 4 stops, /);
    assert.match(digest?.message ?? "", /^Run scheduled-2026-11-29T02:00:00Z /);
    for (const [account, models] of [
      [HUB, arns.hub],
      [A, arns.member],
    ] as const)
      for (const [index, { batch }] of models.entries())
        assert.ok(
          digest?.message.includes(
            `- ${account} ${REGIONS[index]}: 1 ($8.00/h)\n  ${REGRET} ($8.00/h)\n  ${batch}`,
          ),
          digest?.message,
        );
  });

  it("lists in the organization's digest the models a member account's owner started again by hand", async () => {
    // Prepare: in the morning, the member account's owner starts its batch models again by hand.
    const { world, member, arns, nightlyAt } = await stoppedOvernight();
    for (const { batch } of arns.member) member.rekognition.setModelStatus(batch, "RUNNING");

    // Act: that evening's run (within a day of the stops) looks at them in its regret check.
    const next = await nightlyAt(T + 20 * HOUR, "evening");

    // Assess
    const summary = next.output as OrganizationRunSummary;
    assert.deepEqual([summary.startedByHand, summary.restarted], [2, 2], JSON.stringify(summary));
    const items = await world.items();
    for (const { batch } of arns.member) {
      const [record] = byArn(items, batch);
      assert.equal(record?.status, "STARTED_BY_HAND", batch);
    }
    const digest = world.sandbox.sns.messages.at(-1);
    assert.match(digest?.subject ?? "", /^idle-model-stopper: undid 2 stops, .*, 2 started by hand/);
    const message = digest?.message ?? "";
    assert.match(
      message,
      /\nStarted again by hand within a day of the stop \(2\): the idle threshold may be wrong/,
    );
    for (const [index, { batch }] of arns.member.entries())
      assert.match(
        message,
        new RegExp(
          `\\n- ${A} ${REGIONS[index]}: 1\\n {2}started again by hand (19|20) hours after the stop ` +
            `\\(seen running at 2026-11-28T22:00:\\d\\dZ\\)\\n {2}${batch}\\n`,
        ),
      );
  });

  it("follows up the other accounts when one account's spoke role cannot be assumed", async () => {
    // Prepare: a followed stop of an account whose spoke role is gone (a record of another member account).
    const { world, member, arns, at } = await stoppedOvernight();
    const gone = "444444444444";
    await world.putItem?.({
      modelArn: `arn:aws:rekognition:${REGION}:${gone}:project/old/version/v1/1`,
      stoppedAt: "2026-11-28T02:00:05.000Z",
      accountId: gone,
      region: REGION,
      status: "STOPPED",
      dryRun: false,
      followUpRegion: `${gone}:${REGION}`,
      evidenceUntil: "2026-11-28T01:58:00Z",
    });

    // Act
    const followUp = await world.invokeFollowUp({}, at(T + 80 * MINUTE));

    // Assess
    assert.equal(followUp.exitCode, 0, followUp.stderr);
    assert.equal(followUp.result?.restarted.length, 8, "the reachable accounts were followed up");
    assert.equal(member.rekognition.model(arns.member[0]?.batch as string)?.status, "RUNNING");
    assert.equal(followUp.result?.errors.length, 1, JSON.stringify(followUp.result?.errors));
    assert.match(
      String(followUp.result?.errors[0]?.message),
      new RegExp(
        `^account ${gone} \\(${REGION}\\): not followed up: SpokeRoleUnavailableError: could not assume arn:aws:iam::${gone}:role/IdleModelStopperSpoke`,
      ),
    );
  });
});
