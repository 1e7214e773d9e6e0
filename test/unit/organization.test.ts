/** The organization mode's plain parts (issue 11): settings, the work of a run, compact summaries, the digest. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_ORGANIZATION_SETTINGS,
  organizationSettingsFromEnv,
  organizationSettingsToEnv,
} from "../../common/organization-settings.ts";
import { sessionNameFor } from "../../lambda/adapters/spoke-role.ts";
import { MAX_MESSAGE_BYTES } from "../../lambda/core/digest.ts";
import {
  asItemSummary,
  buildOrganizationDigest,
  compactSummary,
  failedItem,
  followUpAccounts,
  gatherSummary,
  ITEM_RESULTS_BUDGET_BYTES,
  type ItemSummary,
  MAX_ITEMS,
  MIN_ITEM_SUMMARY_BYTES,
  planWork,
  summaryBudgetBytes,
} from "../../lambda/core/organization.ts";
import { loadOrganizationConfig } from "../../lambda/organization/config.ts";

const NOW = Date.parse("2026-11-28T02:00:05Z");
const arn = (account: string, region: string, i: number, name = "p") =>
  `arn:aws:rekognition:${region}:${account}:project/${name}/version/${name}.v${i}/1700000000000`;

describe("organization settings from the environment", () => {
  it("are off, and give the function no variable, without accounts or OUs", () => {
    assert.deepEqual(organizationSettingsFromEnv({}), DEFAULT_ORGANIZATION_SETTINGS);
    assert.deepEqual(organizationSettingsToEnv(DEFAULT_ORGANIZATION_SETTINGS), {});
    assert.equal(loadOrganizationConfig({}), undefined);
  });

  it("read every variable, and the hub's account and partition the stack sets", () => {
    const config = loadOrganizationConfig({
      ACCOUNTS: "111111111111, 222222222222",
      ORGANIZATIONAL_UNITS: "ou-ab12-cd34ef56",
      INCLUDE_HUB_ACCOUNT: "false",
      SPOKE_ROLE_NAME: "StopperSpoke",
      SPOKE_EXTERNAL_ID: "ext-1234",
      HUB_ACCOUNT_ID: "123456789012",
      HUB_PARTITION: "aws-us-gov",
    });
    assert.deepEqual(config, {
      accounts: ["111111111111", "222222222222"],
      organizationalUnits: ["ou-ab12-cd34ef56"],
      includeHubAccount: false,
      spokeRoleName: "StopperSpoke",
      spokeExternalId: "ext-1234",
      organizationId: undefined,
      mapConcurrency: 10,
      hubAccountId: "123456789012",
      partition: "aws-us-gov",
    });
  });

  it("round-trip through the variables the stack writes", () => {
    const settings = { ...DEFAULT_ORGANIZATION_SETTINGS, accounts: ["111111111111"], spokeExternalId: "abc" };
    const env = {
      ...organizationSettingsToEnv(settings),
      HUB_ACCOUNT_ID: "123456789012",
      HUB_PARTITION: "aws",
    };
    const config = loadOrganizationConfig(env);
    assert.deepEqual(config?.accounts, ["111111111111"]);
    assert.equal(config?.spokeExternalId, "abc");
    assert.equal(config?.includeHubAccount, true);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [
      { ACCOUNTS: "1234" },
      /^Invalid ACCOUNTS: "1234"\. Allowed: a comma-separated list of 12-digit account ids/,
    ],
    [{ ACCOUNTS: "111111111111,111111111111" }, /111111111111 is listed twice/],
    [{ ORGANIZATIONAL_UNITS: "ou-x" }, /^Invalid ORGANIZATIONAL_UNITS: "ou-x"/],
    [{ ACCOUNTS: "111111111111", SPOKE_ROLE_NAME: "no/slash" }, /^Invalid SPOKE_ROLE_NAME/],
    [
      { ACCOUNTS: "111111111111", HUB_PARTITION: "aws" },
      /^Invalid HUB_ACCOUNT_ID: null\. Allowed: the hub's 12-digit/,
    ],
    [{ ACCOUNTS: "111111111111", HUB_ACCOUNT_ID: "123456789012" }, /^Invalid HUB_PARTITION: null/],
  ];
  for (const [env, message] of bad)
    it(`refuses ${JSON.stringify(env)} at cold start, naming the variable`, () => {
      assert.throws(() => loadOrganizationConfig(env), { name: "InvalidSettingError", message });
    });
});

describe("the work of a run", () => {
  it("is the hub's account first, then the listed ones, then the OUs', each once, in every region", () => {
    const items = planWork({
      hubAccountId: "999999999999",
      includeHubAccount: true,
      accounts: ["222222222222", "111111111111"],
      accountsInOus: ["333333333333", "111111111111", "999999999999"],
      regions: ["us-east-1", "eu-west-1"],
    });
    assert.deepEqual(
      items.map((i) => `${i.accountId} ${i.region}`),
      [
        "999999999999 us-east-1",
        "999999999999 eu-west-1",
        "222222222222 us-east-1",
        "222222222222 eu-west-1",
        "111111111111 us-east-1",
        "111111111111 eu-west-1",
        "333333333333 us-east-1",
        "333333333333 eu-west-1",
      ],
    );
  });

  it("leaves the hub's account out when told to, even when an OU holds it", () => {
    const items = planWork({
      hubAccountId: "999999999999",
      includeHubAccount: false,
      accounts: [],
      accountsInOus: ["999999999999", "111111111111"],
      regions: ["us-east-1"],
    });
    assert.deepEqual(items, [{ accountId: "111111111111", region: "us-east-1" }]);
  });
});

const REGRET = "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop";

/** A run that kept its one model and stopped nothing. */
const QUIET_RUN = {
  scanned: 1,
  stopped: [],
  skipped: [{}],
  errors: [],
  unfinished: [],
  estimatedHourlySavingsUsd: 0,
};

/** A run summary with `count` stops of earlier runs undone by its regret check, at $8.00/h each. */
const withRestarts = <T extends object>(
  summary: T,
  count: number,
  account = "111111111111",
  region = "us-east-1",
) => ({
  ...summary,
  restarted: Array.from({ length: count }, (_, i) => ({
    arn: arn(account, region, i, "batch"),
    by: "regret" as const,
    reason: REGRET,
    hourlyCostUsd: 8,
  })),
});

describe("an item's compact summary", () => {
  const run = (stopped: number, errors: number) => ({
    scanned: stopped + 3,
    stopped: Array.from({ length: stopped }, (_, i) => arn("111111111111", "us-east-1", i)),
    skipped: [{}, {}, {}],
    errors: Array.from({ length: errors }, (_, i) => ({
      arn: arn("111111111111", "us-east-1", i),
      message: "x".repeat(1000),
    })),
    unfinished: [],
    estimatedHourlySavingsUsd: stopped * 4,
  });

  it("keeps every count, and as many errors and then stopped ARNs as its share allows", () => {
    const summary = compactSummary(run(25, 4), { accountId: "111111111111", region: "us-east-1" }, 1024);
    assert.equal(summary.stopped, 25);
    assert.equal(summary.errors, 4);
    assert.equal(summary.kept, 3);
    assert.equal(summary.status, "errors");
    assert.ok(Buffer.byteLength(JSON.stringify(summary)) <= 1024);
    assert.ok(summary.errorList.length >= 1 && summary.errorList.every((e) => e.message.length <= 300));
    assert.ok(summary.stoppedArns.length < 25);
    const roomy = compactSummary(run(25, 0), { accountId: "111111111111", region: "us-east-1" }, 8192);
    assert.equal(roomy.stoppedArns.length, 25);
    assert.equal(roomy.status, "ok");
  });

  it("never takes more than its share, nor less than its counts, whatever the run found", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: MAX_ITEMS }),
        (stopped, errors, items) => {
          const budget = summaryBudgetBytes(items);
          const summary = compactSummary(
            run(stopped, errors),
            { accountId: "111111111111", region: "ap-southeast-2" },
            budget,
          );
          const size = Buffer.byteLength(JSON.stringify(summary));
          assert.ok(size <= Math.max(budget, MIN_ITEM_SUMMARY_BYTES), `${size} > ${budget}`);
          assert.equal(summary.stopped, stopped);
        },
      ),
    );
  });

  it("keeps the Map's output under 256 KiB with the most items a run takes, even with counts at their largest", () => {
    const biggest: ItemSummary = {
      accountId: "111111111111",
      region: "ap-southeast-2",
      status: "errors",
      scanned: 999_999_999,
      stopped: 999_999_999,
      kept: 999_999_999,
      errors: 999_999_999,
      unfinished: 999_999_999,
      savingsUsd: 99_999_999.99,
      warned: 999_999_999,
      restarted: 999_999_999,
      restartedUsd: 99_999_999.99,
      startedByHand: 999_999_999,
      stoppedArns: [],
      errorList: [],
      restarts: [],
      handStarts: [],
    };
    assert.ok(Buffer.byteLength(JSON.stringify(biggest)) <= MIN_ITEM_SUMMARY_BYTES);
    const output = JSON.stringify(
      Array.from({ length: MAX_ITEMS }, () =>
        compactSummary(withRestarts(run(25, 5), 5), biggest, summaryBudgetBytes(MAX_ITEMS)),
      ),
    );
    assert.ok(Buffer.byteLength(output) < 262_144);
    // The module's bound: the larger of the shared budget and the items' counts, and the array's commas.
    const bound = Math.max(ITEM_RESULTS_BUDGET_BYTES, MAX_ITEMS * MIN_ITEM_SUMMARY_BYTES) + MAX_ITEMS + 1;
    assert.ok(Buffer.byteLength(output) <= bound, `${Buffer.byteLength(output)} > ${bound}`);
  });

  it("lists the restarts its regret check made after the errors and before the stopped ARNs, within its share", () => {
    // Prepare
    const where = { accountId: "111111111111", region: "us-east-1" };
    const found = withRestarts(run(25, 2), 3);
    const roomy = compactSummary(found, where, 8192);
    // Each entry is counted with a comma after it: one more per list than the JSON has.
    const withoutArns = Buffer.byteLength(JSON.stringify({ ...roomy, stoppedArns: [] })) + 2;
    // Act
    const tight = compactSummary(found, where, withoutArns);
    const least = compactSummary(found, where, MIN_ITEM_SUMMARY_BYTES);
    // Assess
    assert.deepEqual([roomy.restarted, roomy.restartedUsd, roomy.stoppedArns.length], [3, 24, 25]);
    assert.deepEqual(roomy.restarts[0], { arn: found.restarted[0]?.arn, reason: REGRET, hourlyCostUsd: 8 });
    assert.deepEqual(
      [tight.errorList.length, tight.restarts.length, tight.stoppedArns.length],
      [2, 3, 0],
      "the errors and the restarts take the room first",
    );
    assert.deepEqual(
      [least.restarted, least.restartedUsd, least.restarts.length],
      [3, 24, 0],
      "the counts, whatever the room",
    );
  });

  it("of a run that could not start says why, cut to 300 characters", () => {
    const item = failedItem(
      { accountId: "222222222222", region: "us-east-1" },
      `AccessDenied: ${"y".repeat(500)}`,
    );
    assert.equal(item.status, "failed");
    assert.equal(item.failure?.length, 300);
  });

  it("of a run that could not start fits the item's share, so a Map whose every item failed stays under 256 KiB", () => {
    // A real spoke-role failure: the hint, then STS's own long message, with quotes JSON must escape.
    const failure =
      "could not assume arn:aws:iam::222222222222:role/IdleModelStopperSpoke (is the spoke role deployed in this " +
      "account, and does its trust name this hub's role and organization?): AccessDenied: User: " +
      `"arn:aws:sts::111111111111:assumed-role/IdleModelStopperHub-ap-southeast-2/x" is not authorized ${"z".repeat(300)}`;
    const where = { accountId: "222222222222", region: "ap-southeast-2" };
    const budget = summaryBudgetBytes(MAX_ITEMS);
    const failed = failedItem(where, failure, budget);
    assert.ok(Buffer.byteLength(JSON.stringify(failed)) <= MIN_ITEM_SUMMARY_BYTES);
    assert.match(
      failed.failure ?? "",
      /^could not assume arn:aws:iam::222222222222:role\/IdleModelStopperSpoke .*…$/,
    );
    // With room to spare, the usual 300 characters.
    assert.equal(failedItem(where, failure, 8192).failure?.length, 300);
    for (const failedCount of [MAX_ITEMS, MAX_ITEMS / 2]) {
      const output = JSON.stringify(
        Array.from({ length: MAX_ITEMS }, (_, index) =>
          index < failedCount
            ? failedItem(where, failure, budget)
            : compactSummary(withRestarts(run(25, 5), 5), where, budget),
        ),
      );
      const bound = Math.max(ITEM_RESULTS_BUDGET_BYTES, MAX_ITEMS * MIN_ITEM_SUMMARY_BYTES) + MAX_ITEMS + 1;
      assert.ok(
        Buffer.byteLength(output) <= bound,
        `${failedCount} failed: ${Buffer.byteLength(output)} > ${bound}`,
      );
    }
  });
});

describe("the organization's run summary and digest", () => {
  const items: ItemSummary[] = [
    compactSummary(
      {
        scanned: 4,
        stopped: [arn("111111111111", "us-east-1", 1), arn("111111111111", "us-east-1", 2)],
        skipped: [{}, {}],
        errors: [],
        unfinished: [],
        estimatedHourlySavingsUsd: 12,
      },
      { accountId: "111111111111", region: "us-east-1" },
      4096,
    ),
    compactSummary(
      {
        scanned: 0,
        stopped: [],
        skipped: [],
        errors: [
          {
            message:
              "DescribeProjects failed in ap-east-1: UnrecognizedClientException: The security token included in the request is invalid.",
          },
        ],
        unfinished: [],
        estimatedHourlySavingsUsd: 0,
      },
      { accountId: "111111111111", region: "ap-east-1" },
      4096,
    ),
    failedItem(
      { accountId: "222222222222", region: "us-east-1" },
      "SpokeRoleUnavailableError: could not assume arn:aws:iam::222222222222:role/IdleModelStopperSpoke: AccessDenied",
    ),
    asItemSummary({ accountId: "333333333333", region: "us-east-1", caught: "Sandbox.Timedout" }),
  ];

  it("adds the items up, and lists the failed ones with why", () => {
    const summary = gatherSummary({ runId: "r1", dryRun: false, mode: "run", items, problems: [] });
    assert.equal(summary.accounts, 3);
    assert.equal(summary.items, 4);
    assert.equal(summary.stopped, 2);
    assert.equal(summary.estimatedHourlySavingsUsd, 12);
    assert.deepEqual(
      summary.failedItems.map((f) => `${f.accountId} ${f.region}`),
      ["222222222222 us-east-1", "333333333333 us-east-1"],
    );
    assert.match(summary.failedItems[1]?.reason ?? "", /the function failed: Sandbox\.Timedout/);
    assert.deepEqual(summary.itemsWithErrors, [
      { accountId: "111111111111", region: "ap-east-1", errors: 1 },
    ]);
  });

  it("sends one digest naming the failed accounts first, then the stops and the errors by account and region", () => {
    const summary = gatherSummary({
      mode: "run",
      runId: "scheduled-2026-11-28T02:00:00Z",
      dryRun: false,
      items,
      problems: [{ message: "could not list the accounts of ou-ab12-cd34ef56: AccessDeniedException" }],
    });
    const digest = buildOrganizationDigest({ summary, items, now: NOW, logTableName: "log" });
    assert.ok(digest);
    assert.equal(
      digest.subject,
      "idle-model-stopper: stopped 2 models ($12.00/h) in 3 accounts, 3 failed, 1 error",
    );
    const message = digest.message;
    assert.match(
      message,
      /^Run scheduled-2026-11-28T02:00:00Z at 2026-11-28T02:00:05Z served 3 accounts in 2 regions \(4 account × region items\)/,
    );
    const failedAt = message.indexOf("Failed (3)");
    const stoppedAt = message.indexOf("Stopped 2, about $12.00/h:");
    const errorsAt = message.indexOf("Errors (1):");
    assert.ok(failedAt > 0 && failedAt < stoppedAt && stoppedAt < errorsAt, message);
    assert.match(message, /- 222222222222 us-east-1: SpokeRoleUnavailableError/);
    assert.match(message, /- could not list the accounts of ou-ab12-cd34ef56/);
    assert.match(
      message,
      /- 111111111111 us-east-1: 2 \(\$12\.00\/h\)\n {2}arn:aws:rekognition:us-east-1:111111111111:project\/p\/version\/p\.v1/,
    );
    assert.match(
      message,
      /- 111111111111 ap-east-1: 1 error\n {2}DescribeProjects failed in ap-east-1: UnrecognizedClientException/,
    );
  });

  it("lists the stops the items' regret checks undid by account and region, before the stops, as one account's does", () => {
    // Prepare: one item undid a stop and stopped two models; another undid one stop and stopped nothing.
    const undoing: ItemSummary[] = [
      compactSummary(
        withRestarts(
          {
            scanned: 4,
            stopped: [arn("111111111111", "us-east-1", 1), arn("111111111111", "us-east-1", 2)],
            skipped: [{}, {}],
            errors: [],
            unfinished: [],
            estimatedHourlySavingsUsd: 12,
          },
          1,
        ),
        { accountId: "111111111111", region: "us-east-1" },
        4096,
      ),
      compactSummary(
        withRestarts(QUIET_RUN, 1, "222222222222", "eu-west-1"),
        { accountId: "222222222222", region: "eu-west-1" },
        4096,
      ),
    ];
    // Act
    const summary = gatherSummary({ runId: "r1", dryRun: false, mode: "run", items: undoing, problems: [] });
    const digest = buildOrganizationDigest({ summary, items: undoing, now: NOW, logTableName: "log" });
    // Assess
    assert.deepEqual([summary.restarted, summary.restartedHourlyCostUsd, summary.stopped], [2, 16, 2]);
    assert.equal(
      digest?.subject,
      "idle-model-stopper: undid 2 stops, stopped 2 models ($12.00/h) in 2 accounts",
    );
    const message = digest?.message ?? "";
    const undoneAt = message.indexOf(
      "Undid 2 stops that proved wrong, starting the model again (about $16.00/h again):\n",
    );
    assert.ok(undoneAt > 0 && undoneAt < message.indexOf("Stopped 2, about $12.00/h:"), message);
    assert.ok(
      message.includes(
        [
          "- 111111111111 us-east-1: 1 ($8.00/h)",
          `  ${REGRET} ($8.00/h)`,
          `  ${arn("111111111111", "us-east-1", 0, "batch")}`,
          "- 222222222222 eu-west-1: 1 ($8.00/h)",
          `  ${REGRET} ($8.00/h)`,
          `  ${arn("222222222222", "eu-west-1", 0, "batch")}`,
        ].join("\n"),
      ),
      message,
    );
  });

  it("lists the models started again by hand, by account and region, and sends a digest for them alone", () => {
    // Prepare: an item whose regret check found two of its stops running again, and room for one of them.
    const handStarts = [0, 1].map((i) => ({
      arn: arn("222222222222", "eu-west-1", i, "batch"),
      note: "started again by hand 3 hours after the stop (seen running at 2026-11-28T05:10:00Z)",
    }));
    const found = { ...QUIET_RUN, startedByHand: handStarts };
    const where = { accountId: "222222222222", region: "eu-west-1" };
    const roomy = compactSummary(found, where, 4096);
    const oneListed = compactSummary(
      found,
      where,
      Buffer.byteLength(JSON.stringify({ ...roomy, handStarts: roomy.handStarts.slice(0, 1) })) + 2,
    );
    // Act
    const summary = gatherSummary({
      runId: "r",
      dryRun: false,
      mode: "run",
      items: [oneListed],
      problems: [],
    });
    const digest = buildOrganizationDigest({
      summary,
      items: [oneListed],
      now: NOW,
      logTableName: "log",
      optOutTagKey: "team:auto-stop",
    });
    // Assess
    assert.deepEqual([roomy.startedByHand, roomy.handStarts.length, oneListed.handStarts.length], [2, 2, 1]);
    assert.equal(summary.startedByHand, 2);
    assert.equal(digest?.subject, "idle-model-stopper: stopped 0 models in 1 account, 2 started by hand");
    assert.ok(
      digest?.message.includes(
        [
          "Started again by hand within a day of the stop (2): the idle threshold may be wrong for these models " +
            "(a tag team:auto-stop:idle-minutes sets a model's own):",
          "- 222222222222 eu-west-1: 2",
          `  ${handStarts[0]?.note}`,
          `  ${handStarts[0]?.arn}`,
          "  and 1 more in the log table",
        ].join("\n"),
      ),
      digest?.message,
    );
  });

  it("sends a digest when a regret check undid a stop and nothing else happened", () => {
    // Prepare
    const undone = [
      compactSummary(withRestarts(QUIET_RUN, 1), { accountId: "111111111111", region: "us-east-1" }, 4096),
    ];
    // Act
    const summary = gatherSummary({ runId: "r", dryRun: false, mode: "run", items: undone, problems: [] });
    const digest = buildOrganizationDigest({ summary, items: undone, now: NOW, logTableName: "log" });
    // Assess
    assert.equal(digest?.subject, "idle-model-stopper: undid 1 stop, stopped 0 models in 1 account");
    assert.match(digest?.message ?? "", /Undid 1 stop that proved wrong/);
  });

  it("counts no restart for an item summary from before restarts were passed on", () => {
    // Prepare: what the earlier code's item returned, without the restart and started-by-hand fields.
    const {
      restarted: _,
      restartedUsd: __,
      restarts: ___,
      startedByHand: ____,
      handStarts: _____,
      ...earlier
    } = items[0] as ItemSummary;
    // Act
    const summary = gatherSummary({
      runId: "r",
      dryRun: false,
      mode: "run",
      items: [earlier as ItemSummary],
      problems: [],
    });
    const digest = buildOrganizationDigest({
      summary,
      items: [earlier as ItemSummary],
      now: NOW,
      logTableName: "log",
    });
    // Assess
    assert.deepEqual([summary.restarted, summary.restartedHourlyCostUsd, summary.startedByHand], [0, 0, 0]);
    assert.doesNotMatch(digest?.message ?? "", /Undid|by hand/);
  });

  it("sends nothing when nothing was stopped and nothing went wrong", () => {
    const quiet = [
      compactSummary(
        { scanned: 1, stopped: [], skipped: [{}], errors: [], unfinished: [], estimatedHourlySavingsUsd: 0 },
        { accountId: "111111111111", region: "us-east-1" },
        1024,
      ),
    ];
    const summary = gatherSummary({ runId: "r", dryRun: false, mode: "run", items: quiet, problems: [] });
    assert.equal(
      buildOrganizationDigest({ summary, items: quiet, now: NOW, logTableName: "log" }),
      undefined,
    );
  });

  it("fits SNS's 256 KiB with the most items a run takes, each at its largest", () => {
    const many = Array.from({ length: MAX_ITEMS }, (_, i) =>
      compactSummary(
        {
          scanned: 100,
          stopped: Array.from({ length: 25 }, (_, j) =>
            arn(String(100000000000 + i), "us-east-1", j, "a".repeat(200)),
          ),
          skipped: [],
          errors: Array.from({ length: 10 }, () => ({ message: "z".repeat(400) })),
          unfinished: [],
          estimatedHourlySavingsUsd: 100,
          restarted: Array.from({ length: 5 }, (_, j) => ({
            arn: arn(String(100000000000 + i), "us-east-1", j, "b".repeat(200)),
            reason: "r".repeat(400),
            hourlyCostUsd: 8,
          })),
        },
        { accountId: String(100000000000 + i), region: "us-east-1" },
        summaryBudgetBytes(MAX_ITEMS),
      ),
    );
    const summary = gatherSummary({ runId: "r", dryRun: false, mode: "run", items: many, problems: [] });
    const digest = buildOrganizationDigest({ summary, items: many, now: NOW, logTableName: "log" });
    assert.ok(digest && Buffer.byteLength(digest.message) <= MAX_MESSAGE_BYTES);
    assert.match(digest?.subject ?? "", /^idle-model-stopper: undid 3000 stops, stopped 15000 models/);
  });
});

describe("the spoke role's session name", () => {
  it("names the run, in the characters STS accepts, at most 64 of them", () => {
    assert.equal(
      sessionNameFor("scheduled-2026-11-28T02:00:00Z"),
      "idle-model-stopper-scheduled-2026-11-28T02-00-00Z",
    );
    assert.ok(sessionNameFor("x".repeat(100)).length === 64);
  });
});

describe("the accounts the follow-up function serves", () => {
  const HUB = "999999999999";
  const cases: { name: string; keys: string[]; expected: { accountId: string; regions: string[] }[] }[] = [
    { name: "none without keys", keys: [], expected: [] },
    {
      name: "the hub first, its account-less keys its own, then the others in order, regions as configured",
      keys: [
        "222222222222:us-east-1",
        "eu-west-1",
        "111111111111:eu-west-1",
        `${HUB}:us-east-1`,
        "111111111111:us-east-1",
      ],
      expected: [
        { accountId: HUB, regions: ["us-east-1", "eu-west-1"] },
        { accountId: "111111111111", regions: ["us-east-1", "eu-west-1"] },
        { accountId: "222222222222", regions: ["us-east-1"] },
      ],
    },
    {
      name: "not a region no longer configured",
      keys: ["111111111111:ap-south-1", "ap-south-1", "111111111111:us-east-1"],
      expected: [{ accountId: "111111111111", regions: ["us-east-1"] }],
    },
  ];
  for (const { name, keys, expected } of cases)
    it(`are ${name}`, () => {
      assert.deepEqual(followUpAccounts(keys, HUB, ["us-east-1", "eu-west-1"]), expected);
    });
});
