/**
 * The organization mode's plain data (issue 11): the work of a run (account × region items), each item's compact
 * summary, and the run summary and digest for the whole organization that the state machine's last step gathers.
 * No SDK, no clock: the handler's steps (lambda/organization/) call these with what they read.
 *
 * Why compact summaries, and the bound. The state machine's inline Map returns every item's result in one array,
 * and Step Functions refuses a state's input or output over 256 KiB (262,144 bytes). Each item therefore returns
 * its counts, and as many errors, restarts, models started again by hand and stopped ARNs as fit in its share of {@link ITEM_RESULTS_BUDGET_BYTES};
 * the full lists stay in the log table and in each item's `run summary` log line. A summary with its counts only
 * takes at most {@link MIN_ITEM_SUMMARY_BYTES}, so the Map's output is at most
 * max(ITEM_RESULTS_BUDGET_BYTES, items × MIN_ITEM_SUMMARY_BYTES) plus the array's commas: with at most
 * {@link MAX_ITEMS} items, 600 × 400 = 240,000 bytes and 600 commas, about 92% of the limit.
 */

import { accountsOfRun } from "../../common/organization-settings.ts";
import type { Digest } from "./digest.ts";
import { fitSections, MAX_MESSAGE_BYTES, type Section } from "./digest.ts";
import { formatHourlyCost, formatTime } from "./format.ts";

/** One account and region: the unit of work the Map hands to one invocation of the function. */
export interface WorkItem {
  readonly accountId: string;
  readonly region: string;
}

// The most items one run takes (common/organization-settings.ts: synth checks it too, with listed accounts only).
export { MAX_ITEMS } from "../../common/organization-settings.ts";

/** The bytes all items' summaries share (160 KiB): the rest of the 256 KiB limit is headroom. */
export const ITEM_RESULTS_BUDGET_BYTES = 160 * 1024;

/**
 * The largest summary with its counts only (every count at 9 digits, the longest region name: 352 bytes measured,
 * and 48 to spare): never cut below.
 */
export const MIN_ITEM_SUMMARY_BYTES = 400;

/** The most bytes one item's summary takes, however few items there are: a digest lists no more than this. */
export const MAX_ITEM_SUMMARY_BYTES = 8 * 1024;

/** How the run went for one item. */
export type ItemStatus = "ok" | "errors" | "failed";

/** What one item returns to the Map: counts, and the stopped ARNs and errors that fit its share of the budget. */
export interface ItemSummary {
  readonly accountId: string;
  readonly region: string;
  /** `failed`: the run could not start (no spoke role, denied); `errors`: it ran, with errors; `ok`: it ran clean. */
  readonly status: ItemStatus;
  readonly scanned: number;
  readonly stopped: number;
  readonly kept: number;
  readonly errors: number;
  readonly unfinished: number;
  readonly savingsUsd: number;
  /** Models warned before a stop (each owner's topic told, and the warning recorded in the log table). */
  readonly warned: number;
  /** Stops of earlier runs the item's regret check undid, starting the model again (a request came in before it). */
  readonly restarted: number;
  /** What the models started again cost an hour, by the configured price. */
  readonly restartedUsd: number;
  /** Stops of earlier runs someone undid by starting the model again within a day, seen by the regret check. */
  readonly startedByHand: number;
  /** The first stopped (or would-stop) ARNs, as many as fit. */
  readonly stoppedArns: readonly string[];
  /** The first restarts, each reason cut to {@link MAX_MESSAGE_CHARS}, as many as fit. */
  readonly restarts: readonly ItemRestart[];
  /** The first models started again by hand, each note cut to {@link MAX_MESSAGE_CHARS}, as many as fit. */
  readonly handStarts: readonly ItemStartedByHand[];
  /** The first errors, each message cut to {@link MAX_MESSAGE_CHARS}, as many as fit. */
  readonly errorList: readonly { readonly arn?: string; readonly message: string }[];
  /** Why the run could not start, when `status` is `failed`. */
  readonly failure?: string;
}

/** A stop the item's run undid, as the organization's digest lists it. */
export interface ItemRestart {
  readonly arn: string;
  readonly reason: string;
  readonly hourlyCostUsd: number;
}

/** A stop someone undid by hand, as the organization's digest lists it. */
export interface ItemStartedByHand {
  readonly arn: string;
  /** E.g. "started again by hand 3 hours after the stop (seen running at …)". */
  readonly note: string;
}

/** What the gather step reads of a run summary (lambda/phases/report.ts's RunSummary fits). */
export interface ItemRunSummary {
  readonly scanned: number;
  readonly stopped: readonly string[];
  readonly skipped: readonly unknown[];
  readonly errors: readonly { readonly arn?: string; readonly message: string }[];
  readonly unfinished: readonly unknown[];
  readonly estimatedHourlySavingsUsd: number;
  /** The models warned before a stop; none when absent. */
  readonly warned?: readonly unknown[];
  /** The stops of earlier runs the run's regret check undid; none when absent. */
  readonly restarted?: readonly ItemRestart[];
  /** The stops of earlier runs someone undid by hand, seen by the run's regret check; none when absent. */
  readonly startedByHand?: readonly ItemStartedByHand[];
}

/** The longest error message an item passes on; the whole message is in the item's log. */
export const MAX_MESSAGE_CHARS = 300;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Each item's share of the budget, given how many items the run has. */
export function summaryBudgetBytes(itemCount: number): number {
  const share = Math.floor(ITEM_RESULTS_BUDGET_BYTES / Math.max(1, itemCount));
  return Math.max(MIN_ITEM_SUMMARY_BYTES, Math.min(MAX_ITEM_SUMMARY_BYTES, share));
}

/**
 * The work of a run: every account (the hub's first unless left out, then the listed ones, then those found in the
 * OUs, each once) × every region.
 */
export function planWork(input: {
  readonly hubAccountId: string;
  readonly includeHubAccount: boolean;
  readonly accounts: readonly string[];
  readonly accountsInOus: readonly string[];
  readonly regions: readonly string[];
}): WorkItem[] {
  return accountsOfRun(input).flatMap((accountId) => input.regions.map((region) => ({ accountId, region })));
}

/** The summary of an item whose run finished, within `budget` bytes (never below its counts). */
export function compactSummary(summary: ItemRunSummary, item: WorkItem, budget: number): ItemSummary {
  const restarted = summary.restarted ?? [];
  const byHand = summary.startedByHand ?? [];
  const counts: ItemSummary = {
    accountId: item.accountId,
    region: item.region,
    status: summary.errors.length > 0 ? "errors" : "ok",
    scanned: summary.scanned,
    stopped: summary.stopped.length,
    kept: summary.skipped.length,
    errors: summary.errors.length,
    unfinished: summary.unfinished.length,
    savingsUsd: summary.estimatedHourlySavingsUsd,
    warned: summary.warned?.length ?? 0,
    restarted: restarted.length,
    restartedUsd: Math.round(restarted.reduce((sum, restart) => sum + restart.hourlyCostUsd, 0) * 100) / 100,
    startedByHand: byHand.length,
    stoppedArns: [],
    errorList: [],
    restarts: [],
    handStarts: [],
  };
  return fillLists(
    counts,
    {
      stopped: summary.stopped,
      errors: summary.errors.map((error) => ({
        ...(error.arn !== undefined && { arn: error.arn }),
        message: cut(error.message, MAX_MESSAGE_CHARS),
      })),
      // Only what the digest shows: a RunSummary's restart also says which check made it.
      restarts: restarted.map(({ arn, reason, hourlyCostUsd }) => ({
        arn,
        reason: cut(reason, MAX_MESSAGE_CHARS),
        hourlyCostUsd,
      })),
      handStarts: byHand.map(({ arn, note }) => ({ arn, note: cut(note, MAX_MESSAGE_CHARS) })),
    },
    budget,
  );
}

/**
 * The summary of an item whose run could not start, e.g. because its account has no spoke role. With a `budget`
 * (the item step's share), the failure is cut further so that the whole fits it, or {@link MIN_ITEM_SUMMARY_BYTES}:
 * every item may fail at once (a spoke role not rolled out yet), and the Map's output must still fit.
 */
export function failedItem(item: WorkItem, failure: string, budget?: number): ItemSummary {
  let text = cut(failure, MAX_MESSAGE_CHARS);
  let summary = failedItemWith(item, text);
  const limit = Math.max(budget ?? Number.POSITIVE_INFINITY, MIN_ITEM_SUMMARY_BYTES);
  while (text !== "" && bytes(summary) > limit) {
    const chars = text.length - (bytes(summary) - limit);
    text = chars <= 1 ? "" : cut(failure, chars);
    summary = failedItemWith(item, text);
  }
  return summary;
}

function failedItemWith(item: WorkItem, failure: string): ItemSummary {
  return {
    accountId: item.accountId,
    region: item.region,
    status: "failed",
    scanned: 0,
    stopped: 0,
    kept: 0,
    errors: 1,
    unfinished: 0,
    savingsUsd: 0,
    warned: 0,
    restarted: 0,
    restartedUsd: 0,
    startedByHand: 0,
    stoppedArns: [],
    errorList: [],
    restarts: [],
    handStarts: [],
    failure,
  };
}

/**
 * Errors first (a person acts on them), then the restarts (a model running again costs money again), then the
 * models started again by hand (a threshold to look at), then stopped ARNs, each list in order while the whole fits
 * `budget`.
 */
function fillLists(
  counts: ItemSummary,
  lists: {
    readonly stopped: readonly string[];
    readonly errors: readonly { readonly arn?: string; readonly message: string }[];
    readonly restarts: readonly ItemRestart[];
    readonly handStarts: readonly ItemStartedByHand[];
  },
  budget: number,
): ItemSummary {
  let used = bytes(counts);
  const fill = <T>(entries: readonly T[]): T[] => {
    const kept: T[] = [];
    for (const entry of entries) {
      const cost = bytes(entry) + 1;
      if (used + cost > budget) break;
      kept.push(entry);
      used += cost;
    }
    return kept;
  };
  const errorList = fill(lists.errors);
  const restarts = fill(lists.restarts);
  const handStarts = fill(lists.handStarts);
  const stoppedArns = fill(lists.stopped);
  return { ...counts, stoppedArns, errorList, restarts, handStarts };
}

/** What the Map hands back for an item whose invocation failed outright (timeout, crash), after its Catch. */
export interface CaughtItem {
  readonly accountId: string;
  readonly region: string;
  /** The error name Step Functions caught, e.g. `Sandbox.Timedout`. */
  readonly caught: string;
}

/** A problem of the run as a whole, e.g. an OU that could not be listed. */
export interface RunProblem {
  readonly message: string;
}

/** The run summary for the whole organization, returned by the gather step and logged as one JSON line. */
export interface OrganizationRunSummary {
  readonly runId: string;
  readonly dryRun: boolean;
  /** A run, or a warning pass (which warns and never stops). */
  readonly mode: "run" | "warn";
  readonly accounts: number;
  readonly items: number;
  readonly scanned: number;
  readonly stopped: number;
  readonly kept: number;
  readonly errors: number;
  readonly unfinished: number;
  readonly estimatedHourlySavingsUsd: number;
  readonly warned: number;
  /** Stops of earlier runs the items' regret checks undid, starting the model again. */
  readonly restarted: number;
  /** What the models started again cost an hour, by the configured price. */
  readonly restartedHourlyCostUsd: number;
  /** Stops of earlier runs someone undid by starting the model again within a day. */
  readonly startedByHand: number;
  /** The items whose run could not start or was cut short, each with why. */
  readonly failedItems: readonly {
    readonly accountId: string;
    readonly region: string;
    readonly reason: string;
  }[];
  /** Items that ran but hit errors, with their counts. */
  readonly itemsWithErrors: readonly {
    readonly accountId: string;
    readonly region: string;
    readonly errors: number;
  }[];
  /** Problems of the run as a whole (an OU that could not be listed), and a digest that could not be sent. */
  readonly problems: readonly RunProblem[];
}

/** Turns whatever the Map returned for an item into a summary: a caught failure becomes a failed item. */
export function asItemSummary(result: ItemSummary | CaughtItem): ItemSummary {
  if ("caught" in result)
    return failedItem(
      result,
      `the function failed: ${result.caught} (its log in the hub account has the details); nothing in this ` +
        "account and region was stopped after that",
    );
  return result;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** Adds up the items' summaries into the organization's. */
export function gatherSummary(input: {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly mode: "run" | "warn";
  readonly items: readonly ItemSummary[];
  readonly problems: readonly RunProblem[];
}): OrganizationRunSummary {
  const { items } = input;
  const sum = (pick: (item: ItemSummary) => number) => items.reduce((total, item) => total + pick(item), 0);
  return {
    runId: input.runId,
    dryRun: input.dryRun,
    mode: input.mode,
    accounts: new Set(items.map((item) => item.accountId)).size,
    items: items.length,
    scanned: sum((i) => i.scanned),
    stopped: sum((i) => i.stopped),
    kept: sum((i) => i.kept),
    errors: sum((i) => i.errors),
    unfinished: sum((i) => i.unfinished),
    estimatedHourlySavingsUsd: Math.round(sum((i) => i.savingsUsd) * 100) / 100,
    // A summary from before warnings or restarts (an execution started by the earlier code) has none.
    warned: sum((i) => i.warned ?? 0),
    restarted: sum((i) => i.restarted ?? 0),
    restartedHourlyCostUsd: Math.round(sum((i) => i.restartedUsd ?? 0) * 100) / 100,
    startedByHand: sum((i) => i.startedByHand ?? 0),
    failedItems: items
      .filter((i) => i.status === "failed")
      .map((i) => ({ accountId: i.accountId, region: i.region, reason: i.failure ?? "failed" })),
    itemsWithErrors: items
      .filter((i) => i.status === "errors")
      .map((i) => ({ accountId: i.accountId, region: i.region, errors: i.errors })),
    problems: [...input.problems],
  };
}

/**
 * The one digest of an organization run, or undefined when nothing was stopped, undone or warned and nothing went
 * wrong. Failed items come first, then the stops undone and the stops by account and region (the single-account
 * digest's order), the warnings, then the errors; each list is cut to fit SNS's 256 KiB.
 */
export function buildOrganizationDigest(input: {
  readonly summary: OrganizationRunSummary;
  readonly items: readonly ItemSummary[];
  readonly now: number;
  readonly logTableName: string;
  /** The tag key the hint about a model's own threshold names; `auto-stop` when absent. */
  readonly optOutTagKey?: string;
}): Digest | undefined {
  const { summary, items } = input;
  const failed = summary.failedItems.length;
  if (
    summary.stopped === 0 &&
    summary.restarted === 0 &&
    summary.startedByHand === 0 &&
    summary.warned === 0 &&
    summary.errors === 0 &&
    failed === 0 &&
    summary.problems.length === 0
  )
    return undefined;
  const verb = summary.dryRun ? "would stop" : "stopped";
  const warnVerb = summary.dryRun ? "would warn" : "warned";
  const parts =
    summary.mode === "warn"
      ? [`warning pass, ${warnVerb} ${plural(summary.warned, "model")}`]
      : [`${verb} ${plural(summary.stopped, "model")}`];
  if (summary.mode !== "warn" && summary.stopped > 0)
    parts[0] += ` (${formatHourlyCost(summary.estimatedHourlySavingsUsd)})`;
  parts[0] += ` in ${plural(summary.accounts, "account")}`;
  if (summary.restarted > 0) parts.unshift(`undid ${plural(summary.restarted, "stop")}`);
  if (summary.startedByHand > 0) parts.push(`${summary.startedByHand} started by hand`);
  if (summary.mode !== "warn" && summary.warned > 0) parts.push(`${warnVerb} ${summary.warned}`);
  if (failed + summary.problems.length > 0) parts.push(`${failed + summary.problems.length} failed`);
  const otherErrors = summary.errors - failed;
  if (otherErrors > 0) parts.push(plural(otherErrors, "error"));
  const subject = `idle-model-stopper${summary.dryRun ? " dry run" : ""}: ${parts.join(", ")}`
    .slice(0, 99)
    .replace(/[^\x20-\x7e]/g, "?");
  const regions = new Set(items.map((item) => item.region)).size;
  const head = [
    `${summary.mode === "warn" ? "Warning pass" : "Run"} ${summary.runId}` +
      `${summary.mode === "warn" ? " (it warns and stops nothing)" : summary.dryRun ? " (dry run: nothing was stopped)" : ""} at ${formatTime(input.now)} ` +
      `served ${plural(summary.accounts, "account")} in ${plural(regions, "region")} (${plural(summary.items, "account × region item")}) ` +
      `and scanned ${plural(summary.scanned, "running model")}.`,
    "",
  ];
  const place = (item: { accountId: string; region: string }) => `${item.accountId} ${item.region}`;
  const cutNote = "not listed to keep this message within SNS's size limit";
  const sections: Section[] = [];
  if (failed > 0 || summary.problems.length > 0)
    sections.push({
      title: `Failed (${failed + summary.problems.length}): nothing was stopped there`,
      entries: [
        ...summary.problems.map((problem) => `- ${problem.message}`),
        ...summary.failedItems.map((item) => `- ${place(item)}: ${item.reason}`),
      ],
      more: (count) => `- and ${count} more, ${cutNote}: see the run summary in the function's log`,
    });
  const restarting = items.filter((item) => (item.restarted ?? 0) > 0);
  if (restarting.length > 0)
    sections.push({
      // The nightly run's restarts are all its regret check's: restart rules are the follow-up function's.
      title:
        `Undid ${plural(summary.restarted, "stop")} that proved wrong, starting the model again ` +
        `(about ${formatHourlyCost(summary.restartedHourlyCostUsd)} again):`,
      entries: restarting.map((item) => {
        const listed = item.restarts ?? [];
        return [
          `- ${place(item)}: ${item.restarted} (${formatHourlyCost(item.restartedUsd ?? 0)})`,
          ...listed.flatMap((restart) => [
            `  ${restart.reason} (${formatHourlyCost(restart.hourlyCostUsd)})`,
            `  ${restart.arn}`,
          ]),
          ...(listed.length < item.restarted
            ? [`  and ${item.restarted - listed.length} more in the log table`]
            : []),
        ].join("\n");
      }),
      more: (count) => `- and ${count} more accounts and regions, ${cutNote}: see the log table`,
    });
  const stopping = items.filter((item) => item.stopped > 0);
  if (stopping.length > 0)
    sections.push({
      title: `${summary.dryRun ? "Would stop" : "Stopped"} ${summary.stopped}, about ${formatHourlyCost(summary.estimatedHourlySavingsUsd)}:`,
      entries: stopping.map((item) =>
        [
          `- ${place(item)}: ${item.stopped} (${formatHourlyCost(item.savingsUsd)})`,
          ...item.stoppedArns.map((arn) => `  ${arn}`),
          ...(item.stoppedArns.length < item.stopped
            ? [`  and ${item.stopped - item.stoppedArns.length} more in the log table`]
            : []),
        ].join("\n"),
      ),
      more: (count) => `- and ${count} more accounts and regions, ${cutNote}: see the log table`,
    });
  const byHand = items.filter((item) => (item.startedByHand ?? 0) > 0);
  if (byHand.length > 0)
    sections.push({
      title:
        `Started again by hand within a day of the stop (${summary.startedByHand}): the idle threshold may be ` +
        `wrong for these models (a tag ${input.optOutTagKey ?? "auto-stop"}:idle-minutes sets a model's own):`,
      entries: byHand.map((item) => {
        const listed = item.handStarts ?? [];
        return [
          `- ${place(item)}: ${item.startedByHand}`,
          ...listed.flatMap((start) => [`  ${start.note}`, `  ${start.arn}`]),
          ...(listed.length < item.startedByHand
            ? [`  and ${item.startedByHand - listed.length} more in the log table`]
            : []),
        ].join("\n");
      }),
      more: (count) => `- and ${count} more accounts and regions, ${cutNote}: see the log table`,
    });
  const warning = items.filter((item) => (item.warned ?? 0) > 0);
  if (warning.length > 0)
    sections.push({
      title: `${summary.dryRun ? "Would warn" : "Warned"} ${summary.warned} before a stop (each model and when a run may stop it are in the log table: idle-model-stopper history --account <id>):`,
      entries: warning.map((item) => `- ${place(item)}: ${item.warned}`),
      more: (count) => `- and ${count} more accounts and regions, ${cutNote}: see the log table`,
    });
  const erring = items.filter((item) => item.status === "errors");
  if (erring.length > 0)
    sections.push({
      title: `Errors (${otherErrors}):`,
      entries: erring.map((item) =>
        [
          `- ${place(item)}: ${plural(item.errors, "error")}`,
          ...item.errorList.map((error) => `  ${error.arn ? `${error.arn}: ` : ""}${error.message}`),
        ].join("\n"),
      ),
      more: (count) =>
        `- and ${count} more accounts and regions, ${cutNote}: see each item's run summary in the log`,
    });
  const tail = [
    `Kept running: ${summary.kept} (each with its reason in the function's log).`,
    `Every stop is recorded in the DynamoDB table ${input.logTableName} (idle-model-stopper history --account <id>).`,
  ];
  const message = [
    ...head,
    ...fitSections(sections, MAX_MESSAGE_BYTES - Buffer.byteLength([...head, ...tail].join("\n")) - 1),
    ...tail,
  ].join("\n");
  return { subject, message };
}

/** The accounts with stops to follow up, each with its regions, as the FollowUps index's keys name them. */
export interface FollowUpAccount {
  readonly accountId: string;
  readonly regions: readonly string[];
}

const ACCOUNT_KEY = /^(\d{12}):(.+)$/;

/**
 * Groups the FollowUps index's keys by account: `<accountId>:<region>`, or a plain `<region>` (a record the hub wrote
 * before the organization mode, the hub's own). Regions no longer configured are left out, as the single-account
 * follow-up leaves them; the hub's account comes first, then the others in order.
 */
export function followUpAccounts(
  keys: readonly string[],
  hubAccountId: string,
  regions: readonly string[],
): FollowUpAccount[] {
  const configured = new Set(regions);
  const byAccount = new Map<string, Set<string>>();
  for (const key of keys) {
    const [, accountId = hubAccountId, region = key] = ACCOUNT_KEY.exec(key) ?? [];
    if (!configured.has(region)) continue;
    const found = byAccount.get(accountId) ?? new Set<string>();
    found.add(region);
    byAccount.set(accountId, found);
  }
  return [...byAccount]
    .sort(([a], [b]) => (a === hubAccountId ? -1 : b === hubAccountId ? 1 : a.localeCompare(b)))
    .map(([accountId, found]) => ({ accountId, regions: regions.filter((region) => found.has(region)) }));
}
