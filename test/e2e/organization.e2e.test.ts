/**
 * The organization mode end to end (issue 11): 3 accounts × 2 regions. The synthesized state machine's definition
 * runs in an ASL interpreter, and each of its Tasks invokes the real bundle with exactly the input the definition
 * builds (the list step's output through the Map's ItemSelector). The hub serves its own account; account A, listed,
 * has the spoke role but eu-west-1 disabled; account B, found in an OU, has no spoke role; account C, in the same
 * OU, is suspended. Every call is simulated: the hub's role, the spoke role's sessions, the state machine's role.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ItemSummary, OrganizationRunSummary } from "../../lambda/core/organization.ts";
import type { WorkList } from "../../lambda/organization/steps.ts";
import { type OrganizationSpec, spokeAccessKeyOf } from "../../sandbox/index.ts";
import { runExecution } from "../../sandbox/organization-run.ts";
import { synthesizedStateMachine, validateAsl } from "../../sandbox/state-machine.ts";
import { idleFor10Hours } from "../support/case-mix.ts";
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

const B = "222222222222";
const C = "333333333333";

const fixture = useSynthesizedStopper(NIGHTLY_ORGANIZATION_STACK);

const organization: OrganizationSpec = {
  id: ORG,
  rootId: "r-ab12",
  ous: [{ id: OU, parent: "r-ab12" }],
  // One account a page, so the list step must follow NextToken.
  pageSize: 1,
  accounts: [
    { id: A, spokeRole: "IdleModelStopperSpoke", disabledRegions: ["eu-west-1"] },
    { id: B, parent: OU },
    { id: C, parent: OU, status: "SUSPENDED", spokeRole: "IdleModelStopperSpoke" },
  ],
};

const spoke = spokeStackSet({ hubAccountId: HUB, organizationId: ORG, regions: REGIONS, accounts: [A] });

/** Every account's models: one idle (stopped), one busy (kept), in each region. */
const models = (region: string) => ({
  name: `vision-${region}`,
  region,
  versions: [
    { name: "idle", status: "RUNNING" as const, ...idleFor10Hours(2) },
    {
      name: "busy",
      status: "RUNNING" as const,
      ...idleFor10Hours(),
      requests: [{ minutesAgo: 20, count: 5 }],
    },
  ],
});

async function organizationWorld() {
  const { world, guards } = await worldWithSpokes(fixture, spoke, { organization });
  world.sandbox.seed({
    projects: [
      ...REGIONS.map(models),
      // A model an earlier version of the stopper stopped, whose record it left STOP_PENDING.
      {
        name: "legacy",
        region: "eu-west-1",
        versions: [{ name: "v1", status: "STOPPED", ...idleFor10Hours() }],
      },
    ],
  });
  for (const account of [A, B, C]) world.sandbox.inAccount(account).seed({ projects: REGIONS.map(models) });
  const template = fixture.fn.template;
  const machine = synthesizedStateMachine(template, { account: HUB, region: "us-east-1" });
  return { world, guards, template, machine };
}

const scheduledInput = { scheduledTime: "2026-11-28T02:00:00Z", attempt: 1 };

describe("a run over the organization: 3 accounts × 2 regions", () => {
  it("stops and records in every account and region it can reach, and reports the others", async () => {
    // Prepare
    const { world, guards, template, machine } = await organizationWorld();
    assert.deepEqual(validateAsl(machine.definition).errors, []);
    // A record the hub wrote before the organization mode: STOP_PENDING, no accountId, keyed by its region alone.
    const stoppedLegacy = world.sandbox.rekognition.modelArn("legacy", "v1", "eu-west-1");
    await world.putItem?.({
      modelArn: stoppedLegacy,
      stoppedAt: "2026-11-27T02:00:05.000Z",
      dryRun: false,
      projectName: "legacy",
      versionName: "v1",
      region: "eu-west-1",
      reason: "idle",
      idleMinutes: 180,
      runId: "scheduled-2026-11-27T02:00:00Z",
      status: "STOP_PENDING",
      pendingRegion: "eu-west-1",
      expiresAt: 1_900_000_000,
    });

    // Act
    const outcome = await runExecution(world, machine, template, { input: scheduledInput, name: "night-1" });
    await guards.settle();

    // Assess: the items, exactly as the definition built them from the list step's output
    assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
    const list = outcome.invocations.find((i) => i.state === "ListWork");
    const work = list?.result as WorkList;
    assert.deepEqual(
      work.items.map((i) => `${i.accountId} ${i.region}`),
      [HUB, A, B].flatMap((account) => REGIONS.map((region) => `${account} ${region}`)),
      "the hub first, the listed account, then the OU's ACTIVE accounts (C is suspended)",
    );
    const itemEvents = outcome.invocations.filter((i) => i.state === "RunItem").map((i) => i.event);
    assert.deepEqual(
      [...itemEvents].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      work.items
        .map((item) => ({
          step: "item",
          accountId: item.accountId,
          region: item.region,
          runId: "scheduled-2026-11-28T02:00:00Z",
          mode: "run",
          scheduledAt: Date.parse(scheduledInput.scheduledTime),
          summaryBytes: work.summaryBytes,
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );

    // The hub's own account and A's us-east-1: the idle models stopped, the busy ones kept
    const notRunning = (access: {
      rekognition: {
        models(): { arn: string; status: string; region: string; projectName: string; versionName: string }[];
      };
    }) =>
      access.rekognition
        .models()
        .filter((m) => m.status !== "RUNNING")
        .map((m) => `${m.region} ${m.projectName}/${m.versionName} ${m.status}`)
        .sort();
    assert.deepEqual(notRunning(world.sandbox), [
      "eu-west-1 legacy/v1 STOPPED",
      "eu-west-1 vision-eu-west-1/idle STOPPED",
      "us-east-1 vision-us-east-1/idle STOPPED",
    ]);
    assert.deepEqual(
      notRunning(world.sandbox.inAccount(A)),
      ["us-east-1 vision-us-east-1/idle STOPPED"],
      "A's eu-west-1 is disabled: nothing happens there",
    );
    assert.deepEqual(notRunning(world.sandbox.inAccount(B)), [], "B has no spoke role: nothing is touched");
    assert.deepEqual(notRunning(world.sandbox.inAccount(C)), [], "C is suspended: not served");

    // One record per stop, each with its account; the earlier, account-less record completed by the hub's item
    const items = await world.items();
    const live = items.filter((r) => r.stoppedAt.startsWith("2026-11-28"));
    assert.deepEqual(
      live.map((r) => `${r.accountId} ${r.region} ${r.status} ${r.pendingRegion ?? "-"}`).sort(),
      [`${A} us-east-1 STOPPING -`, `${HUB} eu-west-1 STOPPING -`, `${HUB} us-east-1 STOPPING -`],
    );
    assert.ok(live.every((r) => r.modelArn.includes(`:${r.accountId}:project/`)));
    const legacy = items.find((r) => r.modelArn === stoppedLegacy);
    assert.equal(legacy?.status, "STOPPED");
    assert.equal(legacy?.accountId, undefined);
    assert.equal(legacy?.pendingRegion, undefined);
    assert.match(String(legacy?.note), /found the model STOPPED/);

    // The gathered summary and the one digest
    const summary = outcome.output as OrganizationRunSummary;
    assert.equal(summary.accounts, 3);
    assert.equal(summary.items, 6);
    assert.equal(summary.stopped, 3);
    assert.deepEqual(
      summary.failedItems.map((f) => `${f.accountId} ${f.region}`),
      [`${B} us-east-1`, `${B} eu-west-1`],
    );
    assert.match(
      summary.failedItems[0]?.reason ?? "",
      /could not assume arn:aws:iam::222222222222:role\/IdleModelStopperSpoke \(is the spoke role deployed in this account.*\): AccessDenied/,
    );
    // A disabled region answers neither ListMetrics nor, in the full discovery metrics-first falls back to, DescribeProjects.
    assert.deepEqual(summary.itemsWithErrors, [{ accountId: A, region: "eu-west-1", errors: 2 }]);
    const aEu = (outcome.invocations.find(
      (i) =>
        i.state === "RunItem" &&
        (i.event as ItemSummary).accountId === A &&
        (i.event as ItemSummary).region === "eu-west-1",
    )?.result ?? {}) as ItemSummary;
    assert.match(
      aEu.errorList[0]?.message ?? "",
      /UnrecognizedClientException: The security token included in the request is invalid/,
    );
    const digests = world.sandbox.sns.messages;
    assert.equal(digests.length, 1, "one digest for the organization, none per item");
    assert.equal(
      digests[0]?.subject,
      "idle-model-stopper: stopped 3 models ($24.00/h) in 3 accounts, 2 failed, 2 errors",
    );
    assert.match(
      digests[0]?.message ?? "",
      /Failed \(2\): nothing was stopped there\n- 222222222222 us-east-1: SpokeRoleUnavailableError/,
    );
    assert.match(
      digests[0]?.message ?? "",
      /- 111111111111 eu-west-1: 2 errors\n {2}.*UnrecognizedClientException/,
    );

    // Each stop announced: its event on the hub's bus of the model's region, with the model's account in the detail;
    // its last-action tag on the model, in its own account (A's through the spoke role, judged below)
    const stoppedEvents = world.sandbox.eventbridge.events.filter(
      (e) => e.detailType === "Idle Model Stopped",
    );
    assert.deepEqual(
      stoppedEvents
        .map((e) => `${e.eventBusArn} ${e.detail.accountId} ${e.detail.region} ${e.detail.projectName}`)
        .sort(),
      [
        `arn:aws:events:eu-west-1:${HUB}:event-bus/default ${HUB} eu-west-1 vision-eu-west-1`,
        `arn:aws:events:us-east-1:${HUB}:event-bus/default ${A} us-east-1 vision-us-east-1`,
        `arn:aws:events:us-east-1:${HUB}:event-bus/default ${HUB} us-east-1 vision-us-east-1`,
      ],
    );
    const memberIdle = world.sandbox.inAccount(A).rekognition.modelArn("vision-us-east-1", "idle");
    assert.match(
      world.sandbox.inAccount(A).rekognition.model(memberIdle)?.tags["auto-stop:last-action"] ?? "",
      /^stopped 2026-\S+Z$/,
    );
    assert.equal(
      world.sandbox
        .inAccount(A)
        .rekognition.models()
        .filter((m) => m.tags["auto-stop:last-action"]).length,
      1,
      "only the stopped model is tagged",
    );

    // Who called what: the spoke session in A only; AssumeRole into B refused; nothing for C
    const assumed = world.sandbox.calls
      .filter((c) => c.service === "sts")
      .map((c) => `${c.resource} ${c.outcome}`);
    assert.deepEqual(assumed.sort(), [
      `arn:aws:iam::${A}:role/IdleModelStopperSpoke ok`,
      `arn:aws:iam::${A}:role/IdleModelStopperSpoke ok`,
      `arn:aws:iam::${B}:role/IdleModelStopperSpoke AccessDenied`,
      `arn:aws:iam::${B}:role/IdleModelStopperSpoke AccessDenied`,
    ]);
    const inAccountA = world.sandbox.calls.filter((c) => c.account === A);
    assert.ok(inAccountA.length > 0 && inAccountA.every((c) => c.accessKeyId === spokeAccessKeyOf(A)));
    assert.ok(
      world.sandbox.calls.some((c) => c.service === "organizations" && c.input.NextToken !== undefined),
    );
    assert.ok(world.sandbox.calls.some((c) => c.service === "states" && c.operation === "ListExecutions"));
    // Step Functions' bill: the three steps, and one state per item (none caught here).
    assert.equal(outcome.transitions, 1 + 1 + 6 + 1);
  });

  it("does not start while an earlier run is still going", async () => {
    // Prepare
    const { world, template, machine } = await organizationWorld();
    world.sandbox.executions.push({
      executionArn: `arn:aws:states:us-east-1:${HUB}:execution:${machine.name}:stuck`,
      stateMachineArn: machine.arn,
      name: "stuck",
      startDate: world.clock() - 3_600_000,
      status: "RUNNING",
    });

    // Act
    const outcome = await runExecution(world, machine, template, { input: scheduledInput, name: "night-2" });

    // Assess
    assert.equal(outcome.error?.name, "RunInProgressError");
    assert.match(outcome.error?.message ?? "", /:stuck\).*must not overlap/);
    assert.deepEqual(
      outcome.invocations.map((i) => i.state),
      ["ListWork"],
    );
    assert.equal(world.sandbox.calls.filter((c) => c.operation === "StopProjectVersion").length, 0);
    assert.equal(world.sandbox.sns.messages.length, 0);
  });
});
