/**
 * The function's three steps in the organization mode (issue 11), as the state machine calls them:
 *
 *   list   → the run's account × region items (OUs expanded), after checking no other run is going, and whether it
 *            is a run or a warning pass (the execution's input, `mode: "warn"` from the warnSchedule);
 *   item   → one account and region: assume the spoke role there (the hub's own account uses the function's role)
 *            and run exactly the single-account run (`runStopper`: reconcile, assess, warn, last look, stop) with
 *            Rekognition and CloudWatch in that account, `regions` = that region, the log recording that account,
 *            and warnings published by the hub (its role, its account's topics); return a compact summary;
 *   gather → add the items' summaries up into one run summary and send one digest for the organization.
 *
 * Any other event (a manual `aws lambda invoke` with `{}`) is refused, naming the way to start a run: it would run
 * the hub's account outside the state machine, where `includeHubAccount=false` and the check that no other run is
 * going do not hold.
 */

import type { Context } from "aws-lambda";
import { REGION_PATTERN } from "../../common/settings.ts";
import { errorMessage } from "../adapters/errors.ts";
import type { RunningExecutions } from "../adapters/executions.ts";
import type { Notifier } from "../adapters/notifier.ts";
import type { OrganizationAccounts } from "../adapters/organizations.ts";
import type { SpokeRoleAssumer } from "../adapters/spoke-role.ts";
import type { AccountScope } from "../aws-clients.ts";
import type { StopperConfig } from "../config.ts";
import {
  asItemSummary,
  buildOrganizationDigest,
  type CaughtItem,
  compactSummary,
  failedItem,
  gatherSummary,
  type ItemSummary,
  MAX_ITEMS,
  type OrganizationRunSummary,
  planWork,
  type RunProblem,
  summaryBudgetBytes,
  type WorkItem,
} from "../core/organization.ts";
import { runIdFor, runOptionsFor } from "../create-handler.ts";
import type { RunDependencies, RunLogger, RunMetrics } from "../dependencies.ts";
import { type RunMode, runStopper } from "../run.ts";
import type { OrganizationConfig } from "./config.ts";

/** The list step's input: the execution's input and its context object fields. */
export interface ListEvent {
  readonly step: "list";
  /** What started the execution: the schedule's `{scheduledTime, attempt}`, or anything given by hand. */
  readonly input?: unknown;
  readonly executionId: string;
  readonly executionName: string;
  /** ISO-8601, `$$.Execution.StartTime`. */
  readonly executionStartTime: string;
  readonly stateMachineId: string;
}

/** What the list step hands to the Map. */
export interface WorkList {
  readonly runId: string;
  readonly dryRun: boolean;
  /** A run, or a warning pass that warns and never stops. */
  readonly mode: RunMode;
  /** When the run was scheduled for (epoch ms): the schedule's time, else the execution's start. */
  readonly scheduledAt: number;
  /** Each item's share of the Map's output (see lambda/core/organization.ts). */
  readonly summaryBytes: number;
  readonly items: readonly WorkItem[];
  readonly problems: readonly RunProblem[];
}

/** One item, as the Map's ItemSelector builds it. */
export interface ItemEvent extends WorkItem {
  readonly step: "item";
  readonly runId: string;
  readonly mode: RunMode;
  readonly scheduledAt: number;
  readonly summaryBytes: number;
}

/** The gather step's input: the Map's results and the list's problems. */
export interface GatherEvent {
  readonly step: "gather";
  readonly runId: string;
  readonly dryRun: boolean;
  readonly mode: RunMode;
  readonly items: readonly (ItemSummary | CaughtItem)[];
  readonly problems: readonly RunProblem[];
}

/** Another execution of the state machine is still running: this one stops before doing anything. */
export class RunInProgressError extends Error {
  constructor(readonly running: readonly string[]) {
    super(
      `another run of the state machine is still going (${running.join(", ")}); runs must not overlap, so this ` +
        "one stops here. If that run is stuck, stop it in the Step Functions console.",
    );
    this.name = "RunInProgressError";
  }
}

/** The run has more items than one inline Map's output can carry. */
export class TooManyItemsError extends Error {
  constructor(readonly count: number) {
    super(
      `${count} account × region items exceed the ${MAX_ITEMS} one run takes (the Map's results must stay under ` +
        "Step Functions' 256 KiB): serve fewer regions or accounts per deployment",
    );
    this.name = "TooManyItemsError";
  }
}

/** An event that is not what the state machine sends. */
export class InvalidStepEventError extends Error {
  constructor(step: string, detail: string) {
    super(`invalid ${step} event: ${detail}`);
    this.name = "InvalidStepEventError";
  }
}

/** An event that is none of the state machine's steps: in the organization mode, runs start the state machine. */
export class NotAStepError extends Error {
  constructor() {
    super(
      "the organization mode's function runs the state machine's steps only (an event with step list, item or " +
        "gather): start a run with aws stepfunctions start-execution --state-machine-arn <the stack's " +
        'StateMachineArn output>, or a warning pass with the input {"mode":"warn"}',
    );
    this.name = "NotAStepError";
  }
}

/** What the steps work through. */
export interface OrganizationDependencies {
  /** The run's logger, with keys added to every line of a step (Powertools' Logger fits). */
  readonly logger: RunLogger & {
    appendKeys(keys: Record<string, string>): void;
    resetKeys(): void;
  };
  readonly metrics?: RunMetrics;
  readonly clock: () => number;
  readonly assumer: SpokeRoleAssumer;
  /** Present only when OUs are set: the hub's grant to Organizations exists only then. */
  readonly organization?: OrganizationAccounts;
  readonly executions: RunningExecutions;
  /** The hub's: the gather step's digest, and each item's warnings to its owners' topics in the hub account. */
  readonly notifier?: Notifier;
  /** The hub's: every item's events go on the hub's default bus of the model's region, one place for the rules. */
  readonly events?: RunDependencies["events"];
  /**
   * The run's adapters in an account: Rekognition and CloudWatch there, the log recording that account, and the
   * last-action tagger writing there.
   */
  readonly adaptersIn: (
    scope: AccountScope,
  ) => Pick<RunDependencies, "directory" | "usage" | "log" | "tagger">;
}

/** The part of Lambda's context the steps read. */
export type StepContext = Pick<Context, "awsRequestId"> & Partial<Pick<Context, "getRemainingTimeInMillis">>;

const stepOf = (event: unknown) => (event as { step?: unknown } | null)?.step;

/** Builds the handler of the organization mode. */
export function createOrganizationHandler(
  config: StopperConfig,
  organization: OrganizationConfig,
  deps: OrganizationDependencies,
) {
  const list = async (event: ListEvent): Promise<WorkList> => {
    const startedAt = Date.parse(event.executionStartTime);
    if (!Number.isFinite(startedAt))
      throw new InvalidStepEventError("list", "executionStartTime is not a time");
    // A bad mode fails the execution at once, before anything is read.
    const options = runOptionsFor(event.input, config);
    const running = await deps.executions.startedBefore(event.stateMachineId, event.executionId, startedAt);
    if (running.length > 0) throw new RunInProgressError(running);
    const runId = runIdFor(event.input, event.executionName);
    const problems: RunProblem[] = [];
    const inOus: string[] = [];
    for (const ou of organization.organizationalUnits) {
      try {
        if (!deps.organization) throw new Error("no Organizations client");
        inOus.push(...(await deps.organization.activeAccountsUnder(ou)));
      } catch (error) {
        // The listed accounts still run; the OU's are reported, and the digest says so.
        problems.push({
          message: `could not list the accounts of ${ou} (is the hub the management account or a delegated administrator?): ${errorMessage(error)}`,
        });
      }
    }
    const items = planWork({
      hubAccountId: organization.hubAccountId,
      includeHubAccount: organization.includeHubAccount,
      accounts: organization.accounts,
      accountsInOus: inOus,
      regions: config.regions,
    });
    if (items.length > MAX_ITEMS) throw new TooManyItemsError(items.length);
    const mode = options.mode ?? "run";
    deps.logger.info("work listed", { runId, mode, items: items.length, problems });
    return {
      runId,
      dryRun: config.dryRun,
      mode,
      scheduledAt: options.scheduledAt ?? startedAt,
      summaryBytes: summaryBudgetBytes(items.length),
      items,
      problems,
    };
  };

  const item = async (event: ItemEvent, context?: StepContext): Promise<ItemSummary> => {
    checkItem(event);
    const { accountId, region, runId } = event;
    const where = { accountId, region };
    // The single-account run, in one region: the Map gives each account and region its own invocation.
    // A notify tag may name a topic of the hub's account in any configured region: the hub's role publishes there.
    const itemConfig: StopperConfig = Object.freeze({
      ...config,
      regions: Object.freeze([region]),
      warningTopics: { account: organization.hubAccountId, regions: config.regions },
    });
    const hub = accountId === organization.hubAccountId;
    try {
      const credentials = hub ? undefined : await deps.assumer.assume(accountId, runId);
      // Only these: the adapters' notifier must not send a digest per item, and their events would go to the
      // member account's bus.
      const { directory, usage, log, tagger } = deps.adaptersIn({
        ...(credentials && { credentials }),
        account: { accountId, readsAccountlessRecords: hub },
      });
      const remaining = context?.getRemainingTimeInMillis?.bind(context);
      // No digest per item: the gather step sends one for the whole organization.
      const summary = await runStopper(
        {
          directory,
          usage,
          log,
          logger: deps.logger,
          clock: deps.clock,
          ...(deps.notifier && { notifier: deps.notifier }),
          ...(deps.events && { events: deps.events }),
          ...(tagger && { tagger }),
          ...(deps.metrics && { metrics: deps.metrics }),
          ...(remaining && { remainingMs: remaining }),
        },
        itemConfig,
        runId,
        { mode: event.mode, scheduledAt: event.scheduledAt, digest: false },
      );
      return compactSummary(summary, where, event.summaryBytes);
    } catch (error) {
      // Reported, not thrown: the item's Catch is kept for the function failing outright (timeout, crash), and a
      // thrown error would carry its stack trace into the Map's output (see lambda/core/organization.ts).
      deps.logger.error("item failed", { error: errorMessage(error) });
      return failedItem(where, errorMessage(error), event.summaryBytes);
    }
  };

  const gather = async (event: GatherEvent): Promise<OrganizationRunSummary> => {
    const items = (event.items ?? []).map(asItemSummary);
    const problems = [...(event.problems ?? [])];
    const now = deps.clock();
    const summary = gatherSummary({
      runId: event.runId,
      dryRun: event.dryRun,
      mode: event.mode ?? "run",
      items,
      problems,
    });
    const digest = buildOrganizationDigest({
      summary,
      items,
      now,
      logTableName: config.logTableName,
      optOutTagKey: config.optOutTagKey,
    });
    let sent: OrganizationRunSummary = summary;
    if (digest && deps.notifier) {
      try {
        await deps.notifier.publish(digest);
      } catch (error) {
        sent = {
          ...summary,
          problems: [...problems, { message: `could not publish the digest: ${errorMessage(error)}` }],
        };
      }
    }
    if (deps.metrics) {
      deps.metrics.addMetric("ItemsServed", "Count", summary.items);
      deps.metrics.addMetric("ItemsFailed", "Count", summary.failedItems.length + problems.length);
      deps.metrics.publishStoredMetrics();
    }
    deps.logger.info("organization run summary", { summary: sent });
    return sent;
  };

  return async (event: unknown, context?: StepContext): Promise<unknown> => {
    const step = stepOf(event);
    if (step === undefined) throw new NotAStepError();
    const runId = (event as { runId?: unknown }).runId;
    deps.logger.appendKeys({
      step: String(step),
      ...(typeof runId === "string" && { runId }),
      ...(step === "item" && {
        accountId: String((event as ItemEvent).accountId),
        region: String((event as ItemEvent).region),
      }),
    });
    try {
      if (step === "list") return await list(event as ListEvent);
      if (step === "item") return await item(event as ItemEvent, context);
      if (step === "gather") return await gather(event as GatherEvent);
      throw new InvalidStepEventError(String(step), "step must be list, item or gather");
    } finally {
      deps.logger.resetKeys();
    }
  };
}

function checkItem(event: ItemEvent): void {
  if (typeof event.accountId !== "string" || !/^\d{12}$/.test(event.accountId))
    throw new InvalidStepEventError("item", `accountId ${JSON.stringify(event.accountId)} is not 12 digits`);
  if (typeof event.region !== "string" || !REGION_PATTERN.test(event.region))
    throw new InvalidStepEventError("item", `region ${JSON.stringify(event.region)} is not a region code`);
  if (typeof event.runId !== "string" || event.runId === "")
    throw new InvalidStepEventError("item", "runId is missing");
  if (event.mode !== "run" && event.mode !== "warn")
    throw new InvalidStepEventError("item", `mode ${JSON.stringify(event.mode)} is not run or warn`);
  if (!Number.isFinite(event.scheduledAt))
    throw new InvalidStepEventError("item", `scheduledAt ${JSON.stringify(event.scheduledAt)} is not a time`);
  if (!Number.isInteger(event.summaryBytes) || event.summaryBytes < 1)
    throw new InvalidStepEventError(
      "item",
      `summaryBytes ${JSON.stringify(event.summaryBytes)} is not a count`,
    );
}
