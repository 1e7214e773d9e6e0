/** The follow-up function in the organization mode: one account's follow-up per account with stops to follow up. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AccountScope } from "../../lambda/aws-clients.ts";
import { runOrganizationFollowUp } from "../../lambda/organization/follow-ups.ts";
import { configWith, FakeNotifier, REGION } from "./fakes.ts";
import { followedStop, followUpWorld, requestsAt } from "./follow-up-fixtures.ts";

const HUB = "999999999999";
const A = "111111111111";
const B = "222222222222";
/** The hub's settings: the two member accounts listed, no OUs. */
const LISTED = { hubAccountId: HUB, includeHubAccount: true, accounts: [A, B], organizationalUnits: [] };

/** A world per account, each with one stop a request at 01:59 proved wrong; the hub's own log serves the keys. */
function organizationOf(accounts: readonly string[], options: { remainingMs?: () => number } = {}) {
  const worlds = new Map(
    accounts.map((accountId) => {
      const stop = followedStop(`batch-${accountId}`, "v1");
      const world = followUpWorld([stop]);
      world.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:59:00Z"));
      return [accountId, world];
    }),
  );
  const hub = worlds.get(HUB) ?? followUpWorld([]);
  const assumed: string[] = [];
  const scopes: AccountScope[] = [];
  const notifier = new FakeNotifier();
  const deps = {
    ...hub,
    notifier,
    ...(options.remainingMs && { remainingMs: options.remainingMs }),
    keys: { followUpKeys: async () => accounts.map((accountId) => `${accountId}:${REGION}`) },
    assumer: {
      assume: async (accountId: string) => {
        assumed.push(accountId);
        if (accountId === B)
          throw new Error("could not assume arn:aws:iam::222222222222:role/IdleModelStopperSpoke");
        return { accessKeyId: `key-${accountId}`, secretAccessKey: "secret" };
      },
    },
    adaptersIn: (scope: AccountScope) => {
      scopes.push(scope);
      const world = worlds.get(scope.account.accountId);
      if (!world) throw new Error(`no world for ${scope.account.accountId}`);
      return { directory: world.directory, usage: world.usage, log: world.log };
    },
  };
  return { deps, worlds, assumed, scopes, notifier, logger: hub.logger };
}

describe("the follow-up function over the organization", () => {
  it("undoes a wrong stop in each account, through the spoke role in member accounts and its own role in the hub", async () => {
    // Prepare
    const { deps, worlds, assumed, scopes } = organizationOf([HUB, A]);

    // Act
    const summary = await runOrganizationFollowUp(deps, configWith(), LISTED, "follow-up-1");

    // Assess
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.restarted.length, 2);
    assert.deepEqual(assumed, [A], "only the member account's role is assumed");
    assert.deepEqual(
      scopes.map((scope) => [scope.account, scope.credentials?.accessKeyId]),
      [
        [{ accountId: HUB, readsAccountlessRecords: true }, undefined],
        [{ accountId: A, readsAccountlessRecords: false }, `key-${A}`],
      ],
    );
    for (const world of worlds.values())
      assert.equal(world.directory.calls.filter((call) => call.startsWith("startModel")).length, 1);
  });

  it("reports an account whose spoke role cannot be assumed, and follows up the others", async () => {
    // Prepare
    const { deps, notifier } = organizationOf([HUB, A, B]);

    // Act
    const summary = await runOrganizationFollowUp(deps, configWith(), LISTED, "follow-up-1");

    // Assess
    assert.equal(summary.restarted.length, 2);
    assert.deepEqual(
      summary.errors.map((error) => error.message),
      [
        `account ${B} (${REGION}): not followed up: Error: could not assume arn:aws:iam::${B}:role/IdleModelStopperSpoke`,
      ],
    );
    assert.equal(notifier.sent.length, 1, "one digest for all accounts");
  });

  it("begins no account once the deadline margin is near, and says the next follow-up does it", async () => {
    // Prepare: 40 s left, less than twice the 30 s margin.
    const { deps, assumed } = organizationOf([HUB, A], { remainingMs: () => 40_000 });

    // Act
    const summary = await runOrganizationFollowUp(
      deps,
      configWith({ DEADLINE_MARGIN_SECONDS: "30" }),
      LISTED,
      "follow-up-1",
    );

    // Assess
    assert.deepEqual(summary.restarted, []);
    assert.deepEqual(assumed, []);
    assert.deepEqual(
      summary.errors.map((error) => error.message),
      [HUB, A].map(
        (account) =>
          `account ${account} (${REGION}): not followed up, no time left; the next follow-up does it`,
      ),
    );
  });

  it("still follows up an account taken off the list while its role may be assumed, and only logs one that may not", async () => {
    // Prepare: A and B were served once and are off the list now; B's role can no longer be assumed, A's still can.
    const listedNow = { ...LISTED, accounts: [] };

    // Act
    const { deps, assumed, logger } = organizationOf([HUB, A, B]);
    const summary = await runOrganizationFollowUp(deps, configWith(), listedNow, "follow-up-1");
    const withOus = organizationOf([HUB, A, B]);
    const fromOus = await runOrganizationFollowUp(
      withOus.deps,
      configWith(),
      { ...listedNow, organizationalUnits: ["ou-ab12-cd34ef56"] },
      "follow-up-1",
    );

    // Assess
    assert.deepEqual(assumed, [A, B]);
    assert.equal(summary.restarted.length, 2, "A's wrong stop is still undone, as the hub's");
    assert.deepEqual(summary.errors, [], "nothing to report every 15 minutes for B");
    assert.ok(
      logger.lines.some(
        (line) =>
          line.level === "warn" && /no longer listed/.test(line.message) && line.extra.accountId === B,
      ),
      "B is logged",
    );
    assert.equal(fromOus.errors.length, 1, "with OUs, an account found in the index may be in one of them");
  });

  it("leaves the hub's own account out with includeHubAccount=false, where its roles have no grant", async () => {
    const { deps, scopes } = organizationOf([HUB, A]);
    const summary = await runOrganizationFollowUp(
      deps,
      configWith(),
      { ...LISTED, includeHubAccount: false },
      "follow-up-1",
    );
    assert.deepEqual(
      scopes.map((scope) => scope.account.accountId),
      [A],
    );
    assert.deepEqual([summary.errors, summary.restarted.length], [[], 1]);
  });

  it("follows nothing up in a dry run", async () => {
    const { deps, assumed } = organizationOf([HUB, A]);
    const summary = await runOrganizationFollowUp(
      deps,
      configWith({ DRY_RUN: "true" }),
      LISTED,
      "follow-up-1",
    );
    assert.deepEqual([summary.restarted, summary.errors, assumed], [[], [], []]);
  });
});
