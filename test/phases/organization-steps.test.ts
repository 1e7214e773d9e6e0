/** The organization mode's steps (issue 11) over plain fakes: list, item and gather, as the state machine calls them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningExecutions } from "../../lambda/adapters/executions.ts";
import type { OrganizationAccounts } from "../../lambda/adapters/organizations.ts";
import { type SpokeRoleAssumer, SpokeRoleUnavailableError } from "../../lambda/adapters/spoke-role.ts";
import type { AccountScope } from "../../lambda/aws-clients.ts";
import type { ItemSummary, OrganizationRunSummary } from "../../lambda/core/organization.ts";
import type { StopRecord } from "../../lambda/core/stop-record.ts";
import { loadOrganizationConfig } from "../../lambda/organization/config.ts";
import { createOrganizationHandler, type WorkList } from "../../lambda/organization/steps.ts";
import {
  awsError,
  configWith,
  FakeDirectory,
  FakeLogger,
  FakeNotifier,
  FakeStopLog,
  FakeUsage,
  NOW,
  runningModel,
} from "./fakes.ts";
import { followedStop, requestsAt } from "./follow-up-fixtures.ts";

const HUB = "999999999999";

class KeyedLogger extends FakeLogger {
  keys: Record<string, string> = {};
  appendKeys(keys: Record<string, string>): void {
    this.keys = { ...this.keys, ...keys };
  }
  resetKeys(): void {
    this.keys = {};
  }
}

function steps(options: {
  env?: Record<string, string>;
  running?: string[];
  ous?: Record<string, string[] | Error>;
  assume?: (account: string) => Error | undefined;
  /** Tags of every account's model. */
  tags?: Record<string, string>;
  /** Per account: stops of earlier runs its log follows up, each with a request that arrived before it. */
  wrongStops?: Record<string, StopRecord[]>;
}) {
  // The steps, not discovery, are under test here: the full discovery walks the fakes' projects.
  const config = configWith({ REGIONS: "us-east-1,eu-west-1", DISCOVERY: "full", ...options.env });
  const organization = loadOrganizationConfig({
    ACCOUNTS: "111111111111",
    HUB_ACCOUNT_ID: HUB,
    HUB_PARTITION: "aws",
    ...options.env,
  });
  assert.ok(organization);
  const scopes: AccountScope[] = [];
  const assumed: string[] = [];
  const logs = new Map<string, FakeStopLog>();
  const notifier = new FakeNotifier();
  const logger = new KeyedLogger();
  const assumer: SpokeRoleAssumer = {
    assume: async (account, runId) => {
      assumed.push(`${account} ${runId}`);
      const failure = options.assume?.(account);
      if (failure)
        throw new SpokeRoleUnavailableError(`arn:aws:iam::${account}:role/IdleModelStopperSpoke`, {
          cause: failure,
        });
      return { accessKeyId: `KEY${account}`, secretAccessKey: "secret" };
    },
  };
  const accounts: OrganizationAccounts = {
    activeAccountsUnder: async (ou) => {
      const found = options.ous?.[ou];
      if (found instanceof Error) throw found;
      return found ?? [];
    },
  };
  const executions: RunningExecutions = { startedBefore: async () => options.running ?? [] };
  const handler = createOrganizationHandler(config, organization, {
    logger,
    clock: () => NOW,
    assumer,
    organization: accounts,
    executions,
    notifier,
    adaptersIn: (scope) => {
      scopes.push(scope);
      const account = scope.account.accountId;
      const wrongStops = options.wrongStops?.[account] ?? [];
      const log = logs.get(account) ?? new FakeStopLog();
      if (!logs.has(account)) log.records.push(...wrongStops);
      logs.set(account, log);
      const model = runningModel(`p${account}`, "v1");
      const modelArn = model.modelArn.replace("123456789012", account);
      const directory = new FakeDirectory([[{ ...model, modelArn }]]);
      if (options.tags) directory.tags.set(modelArn, options.tags);
      const usage = new FakeUsage();
      for (const stop of wrongStops) {
        directory.statuses.set(stop.modelArn, "STOPPED");
        usage.requests.set(stop.modelArn, requestsAt(LATE_REQUEST));
      }
      return { directory, usage, log };
    },
  });
  return { handler, scopes, assumed, logs, notifier, logger };
}

/** Last night's stop, and the request that CloudWatch received only after it. */
const LATE_REQUEST = "2026-11-27T01:59:00Z";

/** A stop an earlier night's run made in an account, still followed up, that a late request proved wrong. */
function wrongStop(account: string): StopRecord {
  const stop = followedStop("batch", "nightly", {
    stoppedAt: "2026-11-27T02:00:00.000Z",
    completedAt: "2026-11-27T02:00:05Z",
    evidenceUntil: "2026-11-27T01:58:00Z",
    runId: "scheduled-2026-11-27T02:00:00Z",
    status: "STOPPED",
  });
  return { ...stop, modelArn: stop.modelArn.replace("123456789012", account), accountId: account };
}

const listEvent = {
  step: "list",
  input: { scheduledTime: "2026-11-28T02:00:00Z", attempt: 1 },
  executionId: "arn:aws:states:us-east-1:999999999999:execution:sm:run-1",
  executionName: "run-1",
  executionStartTime: "2026-11-28T02:00:01.000Z",
  stateMachineId: "arn:aws:states:us-east-1:999999999999:stateMachine:sm",
};

describe("the list step", () => {
  it("lists the hub's account and the listed and OU accounts in every region, named after the scheduled time", async () => {
    const { handler } = steps({
      env: { ORGANIZATIONAL_UNITS: "ou-ab12-cd34ef56" },
      ous: { "ou-ab12-cd34ef56": ["333333333333"] },
    });
    const list = (await handler(listEvent)) as WorkList;
    assert.equal(list.runId, "scheduled-2026-11-28T02:00:00Z");
    assert.deepEqual(
      list.items.map((i) => `${i.accountId} ${i.region}`),
      [
        "999999999999 us-east-1",
        "999999999999 eu-west-1",
        "111111111111 us-east-1",
        "111111111111 eu-west-1",
        "333333333333 us-east-1",
        "333333333333 eu-west-1",
      ],
    );
    assert.equal(list.summaryBytes, 8192);
    assert.deepEqual(list.problems, []);
    assert.equal(list.mode, "run");
    assert.equal(list.scheduledAt, Date.parse("2026-11-28T02:00:00Z"));
  });

  it("makes a warning pass of an execution the warnSchedule started, timed by its scheduled time", async () => {
    // Prepare
    const { handler } = steps({ env: { WARN_BEFORE_STOP_HOURS: "8" } });
    // Act
    const list = (await handler({
      ...listEvent,
      input: { mode: "warn", scheduledTime: "2026-11-27T18:00:00Z", attempt: 1 },
    })) as WorkList;
    // Assess
    assert.equal(list.mode, "warn");
    assert.equal(list.scheduledAt, Date.parse("2026-11-27T18:00:00Z"));
    assert.equal(list.runId, "scheduled-2026-11-27T18:00:00Z");
  });

  it("times a run started by hand by the execution's start, and refuses a warning pass while warnings are off", async () => {
    const { handler } = steps({});
    const list = (await handler({ ...listEvent, input: {} })) as WorkList;
    assert.equal(list.scheduledAt, Date.parse(listEvent.executionStartTime));
    await assert.rejects(handler({ ...listEvent, input: { mode: "warn" } }), {
      name: "InvalidEventError",
      message: /"warn" while WARN_BEFORE_STOP_HOURS is 0/,
    });
  });

  it("goes on with the listed accounts when an OU cannot be listed, and reports it", async () => {
    const { handler } = steps({
      env: { ORGANIZATIONAL_UNITS: "ou-ab12-cd34ef56" },
      ous: { "ou-ab12-cd34ef56": awsError("AccessDeniedException", "not a delegated administrator") },
    });
    const list = (await handler(listEvent)) as WorkList;
    assert.equal(list.items.length, 4);
    assert.match(
      list.problems[0]?.message ?? "",
      /could not list the accounts of ou-ab12-cd34ef56 .*AccessDeniedException: not a delegated administrator/,
    );
  });

  it("stops the run when an earlier one is still going", async () => {
    const { handler } = steps({ running: ["arn:aws:states:us-east-1:999999999999:execution:sm:run-0"] });
    await assert.rejects(handler(listEvent), {
      name: "RunInProgressError",
      message: /run-0.*must not overlap/,
    });
  });
});

describe("the item step", () => {
  const item = (accountId: string, mode = "run") => ({
    step: "item",
    accountId,
    region: "us-east-1",
    runId: "run-1",
    mode,
    scheduledAt: NOW,
    summaryBytes: 4096,
  });

  it("runs a member account with its spoke role's credentials, in that one region, and records under its account", async () => {
    const { handler, scopes, assumed, logs, notifier } = steps({});
    const summary = (await handler(item("111111111111"))) as ItemSummary;
    assert.deepEqual(assumed, ["111111111111 run-1"]);
    assert.deepEqual(scopes, [
      {
        credentials: { accessKeyId: "KEY111111111111", secretAccessKey: "secret" },
        account: { accountId: "111111111111", readsAccountlessRecords: false },
      },
    ]);
    assert.equal(summary.status, "ok");
    assert.equal(summary.stopped, 1);
    assert.match(summary.stoppedArns[0] ?? "", /:111111111111:project\/p111111111111\//);
    assert.equal(logs.get("111111111111")?.records.length, 1);
    assert.deepEqual(notifier.sent, [], "no digest per item");
  });

  it("runs the hub's own account with the function's role, reading its earlier account-less records too", async () => {
    const { handler, scopes, assumed } = steps({});
    await handler(item(HUB));
    assert.deepEqual(assumed, []);
    assert.deepEqual(scopes, [{ account: { accountId: HUB, readsAccountlessRecords: true } }]);
  });

  it("reports an account whose spoke role cannot be assumed as a failed item, with the role and why", async () => {
    const { handler, logger } = steps({
      assume: () => awsError("AccessDenied", "User is not authorized to perform: sts:AssumeRole"),
    });
    const summary = (await handler(item("111111111111"))) as ItemSummary;
    assert.equal(summary.status, "failed");
    assert.match(
      summary.failure ?? "",
      /^SpokeRoleUnavailableError: could not assume arn:aws:iam::111111111111:role\/IdleModelStopperSpoke \(is the spoke role deployed in this account.*\): AccessDenied/,
    );
    assert.ok(logger.lines.some((l) => l.level === "error" && l.message === "item failed"));
    assert.deepEqual(logger.keys, {}, "the keys are reset after the step");
  });

  it("refuses an event the state machine would not send", async () => {
    const { handler } = steps({});
    await assert.rejects(handler({ ...item("1111"), step: "item" }), {
      name: "InvalidStepEventError",
      message: /accountId "1111"/,
    });
    await assert.rejects(handler(item("111111111111", "stop")), {
      name: "InvalidStepEventError",
      message: /mode "stop" is not run or warn/,
    });
  });

  it("warns a member account's idle model in a warning pass, through the hub's topic its tag names, and stops nothing", async () => {
    // Prepare: the notify tag names a topic of the hub's account, in another configured region.
    const topic = `arn:aws:sns:eu-west-1:${HUB}:vision-team`;
    const { handler, logs, notifier } = steps({
      env: { WARN_BEFORE_STOP_HOURS: "8" },
      tags: { "auto-stop:notify": topic },
    });
    // Act
    const summary = (await handler(item("111111111111", "warn"))) as ItemSummary;
    // Assess
    assert.equal(summary.stopped, 0);
    assert.equal(summary.warned, 1);
    assert.equal(summary.status, "ok");
    const records = logs.get("111111111111")?.records ?? [];
    assert.deepEqual(
      records.map((record) => record.status),
      ["WARNED"],
    );
    assert.deepEqual(
      notifier.sentTo.map((message) => message.topicArn),
      [topic],
    );
    assert.deepEqual(notifier.sent, [], "no digest per item");
  });

  it("refuses a notify tag naming a topic of the member account: the hub's role publishes only to the hub's topics", async () => {
    // Prepare
    const { handler, notifier } = steps({
      env: { WARN_BEFORE_STOP_HOURS: "8" },
      tags: { "auto-stop:notify": "arn:aws:sns:us-east-1:111111111111:vision-team" },
    });
    // Act
    const summary = (await handler(item("111111111111"))) as ItemSummary;
    // Assess: warned all the same (a run warns first), the tag reported and not used.
    assert.equal(summary.warned, 1);
    assert.equal(summary.stopped, 0);
    assert.deepEqual(notifier.sentTo, []);
    assert.match(
      summary.errorList[0]?.message ?? "",
      /the topic belongs to account 111111111111, not to the stopper's account 999999999999/,
    );
  });
});

describe("the gather step", () => {
  it("adds up the items, sends one digest, and counts failed items", async () => {
    const { handler, notifier } = steps({});
    const ok = (await steps({}).handler({
      step: "item",
      accountId: "111111111111",
      region: "us-east-1",
      runId: "run-1",
      mode: "run",
      scheduledAt: NOW,
      summaryBytes: 4096,
    })) as ItemSummary;
    const summary = (await handler({
      step: "gather",
      runId: "run-1",
      dryRun: false,
      mode: "run",
      items: [ok, { accountId: "222222222222", region: "us-east-1", caught: "Sandbox.Timedout" }],
      problems: [],
    })) as OrganizationRunSummary;
    assert.equal(summary.stopped, 1);
    assert.equal(summary.failedItems.length, 1);
    assert.equal(notifier.sent.length, 1);
    assert.match(notifier.sent[0]?.subject ?? "", /stopped 1 model .* in 2 accounts, 1 failed/);
  });

  it("lists the stops each item's regret check undid in the one digest, with the account, and counts them", async () => {
    // Prepare: the member account's item restarts a stop of last night that a late request proved wrong.
    const wrong = wrongStop("111111111111");
    const env = { REGRET_CHECK_MINUTES: "0" };
    const itemSteps = steps({ env, wrongStops: { "111111111111": [wrong] } });
    const item = (await itemSteps.handler({
      step: "item",
      accountId: "111111111111",
      region: "us-east-1",
      runId: "run-1",
      mode: "run",
      scheduledAt: NOW,
      summaryBytes: 4096,
    })) as ItemSummary;
    const { handler, notifier } = steps({ env });
    // Act
    const summary = (await handler({
      step: "gather",
      runId: "run-1",
      dryRun: false,
      mode: "run",
      items: [item],
      problems: [],
    })) as OrganizationRunSummary;
    // Assess
    const regret = `regretted: a request at ${LATE_REQUEST} arrived before the stop`;
    assert.deepEqual(item.restarts, [{ arn: wrong.modelArn, reason: regret, hourlyCostUsd: 8 }]);
    assert.equal(itemSteps.logs.get("111111111111")?.records[0]?.status, "RESTARTED");
    assert.deepEqual([summary.restarted, summary.restartedHourlyCostUsd, summary.stopped], [1, 8, 1]);
    assert.equal(notifier.sent.length, 1);
    assert.match(notifier.sent[0]?.subject ?? "", /^idle-model-stopper: undid 1 stop, stopped 1 model /);
    assert.ok(
      notifier.sent[0]?.message.includes(
        [
          "Undid 1 stop that proved wrong, starting the model again (about $8.00/h again):",
          "- 111111111111 us-east-1: 1 ($8.00/h)",
          `  ${regret} ($8.00/h)`,
          `  ${wrong.modelArn}`,
        ].join("\n"),
      ),
      notifier.sent[0]?.message,
    );
  });

  it("sends the digest of a warning pass, with the warnings by account and region", async () => {
    // Prepare
    const env = { WARN_BEFORE_STOP_HOURS: "8" };
    const warned = (await steps({ env }).handler({
      step: "item",
      accountId: "111111111111",
      region: "us-east-1",
      runId: "run-1",
      mode: "warn",
      scheduledAt: NOW,
      summaryBytes: 4096,
    })) as ItemSummary;
    const { handler, notifier } = steps({ env });
    // Act
    const summary = (await handler({
      step: "gather",
      runId: "run-1",
      dryRun: false,
      mode: "warn",
      items: [warned],
      problems: [],
    })) as OrganizationRunSummary;
    // Assess
    assert.equal(summary.mode, "warn");
    assert.equal(summary.warned, 1);
    assert.match(notifier.sent[0]?.subject ?? "", /warning pass, warned 1 model in 1 account/);
    assert.match(notifier.sent[0]?.message ?? "", /^Warning pass run-1 \(it warns and stops nothing\)/);
    assert.match(notifier.sent[0]?.message ?? "", /Warned 1 before a stop .*\n- 111111111111 us-east-1: 1/);
  });
});

describe("any other event", () => {
  it("is refused, naming how to start a run, and runs nothing: not even the hub's own account", async () => {
    const { handler, scopes } = steps({});
    for (const event of [{}, { mode: "warn" }, null]) {
      await assert.rejects(handler(event), {
        name: "NotAStepError",
        message:
          /runs the state machine's steps only .*aws stepfunctions start-execution --state-machine-arn/,
      });
    }
    assert.equal(scopes.length, 0, "no account was acted in");
  });
});
