/**
 * `history`: the stops recorded in the log table, and an estimate of what they saved; then the warnings before a
 * stop (WARNED, CLEARED, STOPPED_AFTER_WARNING, EXPIRED), apart from the stops. Reads only.
 */

import { startedByHandText } from "../lambda/core/follow-up.ts";
import { formatDuration, formatTime } from "../lambda/core/format.ts";
import { isStopRecord } from "../lambda/core/stop-record.ts";
import { ACCOUNT_OPTIONS, accountChoice, accountOfArn } from "./account.ts";
import { awsClientOptions, type CliIo } from "./io.ts";
import { type LoggedStop, LogTableReader, resolveLogTable } from "./log-table.ts";
import {
  checkModelArn,
  checkRegion,
  defaultRegion,
  invalid,
  parseCommandArgs,
  parseSince,
  SINCE_FORM,
} from "./options.ts";
import { formatUsd, renderTable, roundCents } from "./text-table.ts";

const HOUR_MS = 3_600_000;

/**
 * Statuses that mean StopProjectVersion took effect: what the Lambda records, what a later run found, and what
 * happened to the stop afterwards (the model started again by the stopper, or by hand).
 */
export const STOPPED_STATUSES: ReadonlySet<string> = new Set([
  "STOPPING",
  "STOPPED",
  "RESTART_PENDING",
  "RESTARTED",
  "STARTED_BY_HAND",
]);

/** The sentence that says what the estimate assumes. */
export const ASSUMPTION =
  "assumes each stopped model stayed stopped until it was started again, its next record in the log table, or now";

/** A record with what its stop is estimated to have saved. */
export interface HistoryEntry {
  readonly record: LoggedStop;
  /** Whether the stop counts towards the cost avoided: live, and StopProjectVersion took effect. */
  readonly counted: boolean;
  /** Hours from the stop until the model's next record, or now. Set when counted. */
  readonly stoppedForHours?: number;
  /** estimatedHourlyCostUsd × stoppedForHours, when counted and the record has a cost. */
  readonly estimatedCostAvoidedUsd?: number;
}

/**
 * The cost each stop avoided: for a live stop that took effect, its hourly cost times the hours until the model was
 * started again (by the stopper or by hand, as the record says), its next record in the table (any record means the
 * model was running again then) or `now`, whichever came first. `records` must hold every record of each model from
 * its first stop on, or the next record is missed.
 */
export function estimateCostAvoided(records: readonly LoggedStop[], now: number): HistoryEntry[] {
  const byModel = new Map<string, LoggedStop[]>();
  // A warning is not a sign the model ran again: only stops (and dry runs' would-stops) end a stop's span.
  const stops = records.filter(isStopRecord);
  for (const record of stops) {
    const list = byModel.get(record.modelArn) ?? [];
    list.push(record);
    byModel.set(record.modelArn, list);
  }
  const next = new Map<LoggedStop, LoggedStop | undefined>();
  for (const list of byModel.values()) {
    list.sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
    for (const [index, record] of list.entries()) next.set(record, list[index + 1]);
  }
  return [...stops]
    .sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt) || a.modelArn.localeCompare(b.modelArn))
    .map((record) => {
      const counted = record.dryRun !== true && STOPPED_STATUSES.has(record.status ?? "");
      if (!counted) return { record, counted };
      const from = Date.parse(record.stoppedAt);
      const following = next.get(record);
      const startedAgain = record.restartedAt ?? record.startedByHandAt;
      const until = Math.max(
        from,
        Math.min(
          following ? Date.parse(following.stoppedAt) : now,
          startedAgain ? Date.parse(startedAgain) : now,
        ),
      );
      const stoppedForHours = (until - from) / HOUR_MS;
      return {
        record,
        counted,
        stoppedForHours,
        ...(typeof record.estimatedHourlyCostUsd === "number" && {
          estimatedCostAvoidedUsd: roundCents(record.estimatedHourlyCostUsd * stoppedForHours),
        }),
      };
    });
}

/** The totals under the table. */
export interface HistoryTotals {
  /** Records listed. */
  readonly records: number;
  /** Live stops that took effect. */
  readonly stops: number;
  readonly dryRuns: number;
  /** Live records whose stop did not take effect (pending, failed, already changing, not found…). */
  readonly notStopped: number;
  /** Distinct models among the records. */
  readonly models: number;
  /** Stops the stopper undid, starting the model again (a regretted stop, or a restart rule). */
  readonly restarted: number;
  /** Stops someone undid by starting the model again within a day. */
  readonly startedByHand: number;
  readonly estimatedCostAvoidedUsd: number;
}

/** Adds up the entries. */
export function totalsOf(entries: readonly HistoryEntry[]): HistoryTotals {
  const dryRuns = entries.filter((e) => e.record.dryRun === true).length;
  const stops = entries.filter((e) => e.counted).length;
  return {
    records: entries.length,
    stops,
    dryRuns,
    notStopped: entries.length - stops - dryRuns,
    models: new Set(entries.map((e) => e.record.modelArn)).size,
    restarted: entries.filter((e) => e.record.status === "RESTARTED").length,
    startedByHand: entries.filter((e) => e.record.status === "STARTED_BY_HAND").length,
    estimatedCostAvoidedUsd: roundCents(
      entries.reduce((sum, e) => sum + (e.estimatedCostAvoidedUsd ?? 0), 0),
    ),
  };
}

/** A record's account: its `accountId`, or, for a record written before the organization mode, its ARN's. */
export function accountOfRecord(record: LoggedStop | undefined): string | undefined {
  if (!record) return undefined;
  return typeof record.accountId === "string" ? record.accountId : accountOfArn(record.modelArn);
}

/** The status's code without its detail: `ALREADY_CHANGING: ResourceInUseException: …` shows as ALREADY_CHANGING. */
const statusCode = (status: string | undefined) => (status ?? "—").split(":")[0] ?? "—";

/** What happened to a stop afterwards, when something did: started again by the stopper, or by hand. */
export function afterwards(record: LoggedStop): string {
  if (record.status === "RESTARTED" && record.restartedAt)
    return `restarted ${formatTime(Date.parse(record.restartedAt))} by ${record.restartedBy === "schedule" ? "rule" : "regret check"}: ${record.restartReason ?? ""}`;
  if (record.status === "RESTART_PENDING") return `being started again: ${record.restartReason ?? ""}`;
  if (record.status === "STARTED_BY_HAND" && record.startedByHandAt)
    return startedByHandText(record, Date.parse(record.startedByHandAt));
  return "—";
}

const modelName = (record: LoggedStop) =>
  record.projectName && record.versionName ? `${record.projectName}/${record.versionName}` : record.modelArn;

/** The warnings' table and a count per status, or nothing when there is no warning. */
export function renderWarnings(
  warnings: readonly LoggedStop[],
  options: { readonly showAccount?: boolean } = {},
): string {
  if (warnings.length === 0) return "";
  const sorted = [...warnings].sort(
    (a, b) => a.stoppedAt.localeCompare(b.stoppedAt) || a.modelArn.localeCompare(b.modelArn),
  );
  // As in the stops' table: an ACCOUNT column for warnings of several accounts.
  const withAccount =
    new Set(warnings.map((warning) => accountOfRecord(warning))).size > 1 || options.showAccount === true;
  const rows = sorted.map((warning) => [
    formatTime(Date.parse(warning.stoppedAt)),
    ...(withAccount ? [accountOfRecord(warning) ?? "—"] : []),
    modelName(warning),
    warning.region ?? "—",
    warning.status ?? "—",
    warning.stopNotBefore ?? "—",
    warning.dryRun === true ? "yes" : "no",
    // An open warning says why; a closed one says what became of it.
    warning.status === "WARNED" ? (warning.reason ?? "") : (warning.note ?? warning.reason ?? ""),
  ]);
  const counts = new Map<string, number>();
  for (const warning of warnings)
    counts.set(warning.status ?? "—", (counts.get(warning.status ?? "—") ?? 0) + 1);
  const table = renderTable(
    [
      "WARNED AT",
      ...(withAccount ? ["ACCOUNT"] : []),
      "MODEL",
      "REGION",
      "STATUS",
      "STOP NOT BEFORE",
      "DRY RUN",
      "REASON OR OUTCOME",
    ],
    rows,
  );
  const summary = [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(", ");
  return `\nWarnings before a stop (not stops; WARNED ones may be stopped from STOP NOT BEFORE on):\n${table}\n${warnings.length} warning${warnings.length === 1 ? "" : "s"}: ${summary}.\n`;
}

/** The table and totals a person reads. */
export function renderHistory(
  entries: readonly HistoryEntry[],
  totals: HistoryTotals,
  since: string,
  options: { readonly showAccount?: boolean } = {},
): string {
  if (entries.length === 0) return `No stops recorded since ${since}.\n`;
  const rows = entries.map(({ record, counted, stoppedForHours, estimatedCostAvoidedUsd }) => [
    formatTime(Date.parse(record.stoppedAt)),
    modelName(record),
    record.region ?? "—",
    statusCode(record.status),
    record.inferenceUnits === undefined ? "—" : String(record.inferenceUnits),
    formatUsd(record.estimatedHourlyCostUsd),
    counted && stoppedForHours !== undefined
      ? `${formatUsd(estimatedCostAvoidedUsd)} (${formatDuration(stoppedForHours * HOUR_MS)})`
      : "—",
    record.dryRun === true ? "yes" : "no",
    afterwards(record),
    record.reason ?? "",
  ]);
  // Records of several accounts (the organization mode) get an ACCOUNT column; older records name theirs in the ARN.
  const accounts = new Set(entries.map(({ record }) => accountOfRecord(record)));
  const withAccount = accounts.size > 1 || options.showAccount === true;
  const table = renderTable(
    [
      "STOPPED AT",
      ...(withAccount ? ["ACCOUNT"] : []),
      "MODEL",
      "REGION",
      "STATUS",
      "UNITS",
      "$/H",
      "AVOIDED",
      "DRY RUN",
      "THEN",
      "REASON",
    ],
    withAccount
      ? rows.map(([at, ...rest], index) => [
          at ?? "",
          accountOfRecord(entries[index]?.record) ?? "—",
          ...rest,
        ])
      : rows,
  );
  const undone = [
    ...(totals.restarted > 0 ? [`${totals.restarted} started again by the stopper`] : []),
    ...(totals.startedByHand > 0 ? [`${totals.startedByHand} started again by hand within a day`] : []),
  ];
  const others = [
    ...(totals.dryRuns > 0 ? [`${totals.dryRuns} dry-run record${totals.dryRuns === 1 ? "" : "s"}`] : []),
    ...(totals.notStopped > 0
      ? [`${totals.notStopped} stop${totals.notStopped === 1 ? "" : "s"} that did not take effect`]
      : []),
  ];
  return (
    `${table}\n` +
    `Since ${since}: ${totals.stops} stop${totals.stops === 1 ? "" : "s"} of ` +
    `${totals.models} model${totals.models === 1 ? "" : "s"}` +
    `${others.length > 0 ? ` (plus ${others.join(" and ")})` : ""}.\n` +
    (undone.length > 0 ? `Undone since: ${undone.join(", ")}.\n` : "") +
    `Estimated cost avoided: about ${formatUsd(totals.estimatedCostAvoidedUsd)} (${ASSUMPTION}).\n`
  );
}

/** Runs `history`; returns the exit code. */
export async function historyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs("history", args, {
    since: { type: "string", default: "7d" },
    model: { type: "string" },
    table: { type: "string" },
    stack: { type: "string" },
    region: { type: "string" },
    json: { type: "boolean" },
    account: ACCOUNT_OPTIONS.account,
  });
  // The log table is the hub's, read with the caller's own credentials: --account filters, nothing is assumed.
  const account = accountChoice("history", {
    ...(values.account !== undefined && { account: values.account }),
  });
  const now = io.clock();
  const sinceMs = parseSince(values.since, now);
  if (sinceMs === undefined) throw invalid("history", "--since", values.since, SINCE_FORM);
  const model = values.model === undefined ? undefined : checkModelArn("history", "--model", values.model);
  const region =
    checkRegion("history", values.region) ?? (await defaultRegion("history", awsClientOptions(io)));
  const table = await resolveLogTable("history", values, io.env, region, awsClientOptions(io));
  io.err(`Log table ${table.name} in ${table.region} (from ${table.source}).\n`);

  const reader = new LogTableReader(table);
  let records: LoggedStop[];
  try {
    records = await reader.recordsSince(new Date(sinceMs).toISOString(), model?.arn);
  } finally {
    reader.destroy();
  }
  if (account) records = records.filter((record) => accountOfRecord(record) === account.accountId);
  const entries = estimateCostAvoided(records, now);
  const warnings = records.filter((record) => !isStopRecord(record));
  const totals = totalsOf(entries);
  const since = formatTime(sinceMs);
  if (values.json) {
    const json = {
      table: table.name,
      since,
      now: formatTime(now),
      ...(model && { model: model.arn }),
      ...(account && { account: account.accountId }),
      records: entries.map(({ record, counted, stoppedForHours, estimatedCostAvoidedUsd }) => ({
        ...record,
        countedAsAvoided: counted,
        ...(stoppedForHours !== undefined && { stoppedForHours: Math.round(stoppedForHours * 100) / 100 }),
        ...(estimatedCostAvoidedUsd !== undefined && { estimatedCostAvoidedUsd }),
      })),
      totals,
      assumption: ASSUMPTION,
      warnings,
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.out(
      renderHistory(entries, totals, since, { showAccount: account !== undefined }) +
        renderWarnings(warnings, { showAccount: account !== undefined }),
    );
  }
  return 0;
}
