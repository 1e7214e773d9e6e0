/**
 * `scan`: the Lambda's discovery and decision core (`assess` from lambda/run.ts) run read-only against the account
 * of the default credential chain. Nothing is stopped and nothing is written; with `--table`, the log table's open
 * warnings are read (Query on its FollowUps index) to show when a warned model will be stopped.
 */

import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { createGate, type Gate } from "../lambda/adapters/gate.ts";
import { CloudWatchUsageReader } from "../lambda/adapters/metrics.ts";
import { parseModelArn, RekognitionModelDirectory } from "../lambda/adapters/rekognition.ts";
import type { AwsCredentialIdentity } from "../lambda/adapters/spoke-role.ts";
import { listMetricsLimits, perRegion } from "../lambda/aws-clients.ts";
import type { StopperConfig } from "../lambda/config.ts";
import { applyStopCap, judgedWindowStart } from "../lambda/core/decide.ts";
import { formatDuration, formatTime } from "../lambda/core/format.ts";
import type { NamedModel, Verdict, VerdictFacts } from "../lambda/core/types.ts";
import { type Assessment, assess } from "../lambda/run.ts";
import {
  ACCOUNT_OPTIONS,
  type AccountChoice,
  accountChoice,
  accountOfArn,
  assumeAccountRole,
} from "./account.ts";
import { awsClientOptions, type CliIo } from "./io.ts";
import { LogTableReader, TABLE_ENV } from "./log-table.ts";
import {
  checkRegion,
  checkRegionList,
  checkTableName,
  defaultRegion,
  parseCommandArgs,
  type SettingFlags,
  settingsFromFlags,
} from "./options.ts";
import { formatUsd, renderTable, roundCents } from "./text-table.ts";

const MINUTE_MS = 60_000;

/** The flag of each Lambda setting `scan` accepts; the others keep their defaults. */
export const SCAN_FLAGS: SettingFlags = {
  regions: "--region",
  idleMinutes: "--idle-minutes",
  optOutTagKey: "--opt-out-tag-key",
  requireOptIn: "--require-opt-in",
  pricePerInferenceUnitHour: "--price",
  maxStopsPerRun: "--max-stops",
};

/** The log table a scan reads the open warnings from, when one is named. */
export interface ScanTable {
  readonly name: string;
  /** The table's region (the stack's); undefined: the SDK's default region. */
  readonly region?: string;
  /** Where the name came from, for the progress line. */
  readonly source: string;
}

/** Reads the command line into the configuration a run would have, and the log table to read warnings from. */
export async function scanConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  clientOptions: { readonly profile?: string } = {},
): Promise<{ config: StopperConfig; json: boolean; table?: ScanTable; account?: AccountChoice }> {
  const { values } = parseCommandArgs("scan", args, {
    region: { type: "string", multiple: true },
    "idle-minutes": { type: "string" },
    "opt-out-tag-key": { type: "string" },
    "require-opt-in": { type: "boolean" },
    price: { type: "string" },
    "max-stops": { type: "string" },
    full: { type: "boolean" },
    json: { type: "boolean" },
    ...ACCOUNT_OPTIONS,
    table: { type: "string" },
    "table-region": { type: "string" },
  });
  const account = accountChoice("scan", values);
  const tableName = values.table ?? (env[TABLE_ENV] || undefined);
  const table: ScanTable | undefined =
    tableName === undefined
      ? undefined
      : {
          name: checkTableName("scan", values.table === undefined ? TABLE_ENV : "--table", tableName),
          ...(values["table-region"] !== undefined && {
            region: checkRegion("scan", values["table-region"]) as string,
          }),
          source: values.table === undefined ? TABLE_ENV : "--table",
        };
  // Each --region on its own first, so an error quotes the value as it was typed.
  for (const region of values.region ?? []) checkRegionList("scan", region);
  const settings = settingsFromFlags(
    "scan",
    {
      ...(values.region && { regions: values.region.join(",") }),
      ...(values["idle-minutes"] !== undefined && { idleMinutes: values["idle-minutes"] }),
      ...(values["opt-out-tag-key"] !== undefined && { optOutTagKey: values["opt-out-tag-key"] }),
      ...(values["require-opt-in"] && { requireOptIn: "true" }),
      ...(values.price !== undefined && { pricePerInferenceUnitHour: values.price }),
      ...(values["max-stops"] !== undefined && { maxStopsPerRun: values["max-stops"] }),
      ...(values.full && { discovery: "full" }),
      ...(env.AWS_MAX_ATTEMPTS && { maxAttempts: env.AWS_MAX_ATTEMPTS }),
    },
    { ...SCAN_FLAGS, maxAttempts: "AWS_MAX_ATTEMPTS", discovery: "--full" },
  );
  const regions =
    settings.regions.length > 0 ? settings.regions : [await defaultRegion("scan", clientOptions)];
  const config: StopperConfig = Object.freeze({
    ...settings,
    // A scan is a dry run that does not even record: the log table is never named, so it cannot be written.
    dryRun: true,
    regions: Object.freeze([...regions]),
    homeRegion: regions[0] as string,
    logTableName: "",
  });
  return { config, json: values.json === true, ...(table && { table }), ...(account && { account }) };
}

/** A gate that refuses every call: the stop and start gates of a scan, so neither call can leave the CLI. */
const refuseChanges: Gate = () =>
  Promise.reject(new Error("scan is read-only: it never stops or starts a model"));

/** The Lambda's read adapters over real SDK clients, with the same retry and gates, and no way to stop. */
function readOnlyAdapters(
  config: StopperConfig,
  clientOptions: { readonly profile?: string },
  credentials?: AwsCredentialIdentity,
) {
  // With --account, the clients act in the member account through its role's credentials.
  const retry = {
    retryMode: "adaptive",
    maxAttempts: config.maxAttempts,
    ...clientOptions,
    ...(credentials && { credentials }),
  } as const;
  const clients: { destroy(): void }[] = [];
  const keep = <T extends { destroy(): void }>(client: T): T => {
    clients.push(client);
    return client;
  };
  const rekognition = { tps: config.rekognitionTps };
  return {
    directory: new RekognitionModelDirectory(
      perRegion((region) => keep(new RekognitionClient({ region, ...retry }))),
      perRegion(() => ({
        describe: createGate({ ...rekognition, concurrency: config.describeConcurrency }),
        tags: createGate({ ...rekognition, concurrency: config.tagConcurrency }),
        stop: refuseChanges,
        start: refuseChanges,
      })),
    ),
    usage: new CloudWatchUsageReader(
      perRegion((region) => keep(new CloudWatchClient({ region, ...retry }))),
      perRegion(() => createGate({ tps: config.metricsTps, concurrency: config.metricsConcurrency })),
      perRegion(() => createGate(listMetricsLimits(config))),
    ),
    destroy: () => {
      for (const client of clients) client.destroy();
    },
  };
}

/** Counts decisions per region on stderr: one rewritten line on a terminal, a line per 100 models otherwise. */
class Progress {
  private readonly counts = new Map<string, number>();
  private lastDraw = 0;

  constructor(
    private readonly io: CliIo,
    regions: readonly string[],
  ) {
    for (const region of regions) this.counts.set(region, 0);
  }

  decided(region: string): void {
    const count = (this.counts.get(region) ?? 0) + 1;
    this.counts.set(region, count);
    if (!this.io.errIsTty) {
      if (count % 100 === 0) this.io.err(`${region}: ${count} models decided…\n`);
      return;
    }
    const now = this.io.clock();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.io.err(`\r\x1b[KModels decided so far: ${this.line()}…`);
  }

  done(): void {
    if (this.io.errIsTty) this.io.err("\r\x1b[K");
    for (const [region, count] of this.counts) {
      this.io.err(`${region}: ${count} running Custom Labels model${count === 1 ? "" : "s"} decided\n`);
    }
  }

  private line(): string {
    return [...this.counts].map(([region, count]) => `${region}: ${count}`).join(", ");
  }
}

/**
 * How long the model has been idle, from the facts: since its last request if one was seen in the window, else
 * `≥ <window>` when it has been in service all window, else since it came into service; `—` when not known.
 */
export function idleFor(facts: VerdictFacts, now: number): string {
  if (facts.lastRequestAt !== undefined) return formatDuration(now - Date.parse(facts.lastRequestAt));
  if (facts.inServiceSince === undefined) return "—";
  const since = Date.parse(facts.inServiceSince);
  // As decide: in service all window only when its data begins before the window, which ends at the evidence.
  if (since < judgedWindowStart(facts, now)) {
    return `≥ ${formatDuration(facts.idleMinutes * MINUTE_MS)}`;
  }
  return formatDuration(now - since);
}

/** The last request seen in the window, `none in <window>` when the metrics show none, `—` when not read. */
export function lastRequest(facts: VerdictFacts): string {
  if (facts.lastRequestAt !== undefined) return facts.lastRequestAt;
  if (facts.requestsInWindow === 0) return `none in ${formatDuration(facts.idleMinutes * MINUTE_MS)}`;
  return "—";
}

/** A model and its verdict, described (with ARNs) or judged by name only (metrics-first discovery). */
export interface JudgedModel {
  readonly model: NamedModel & { readonly modelArn?: string };
  readonly verdict: Verdict;
}

const nameKey = (model: NamedModel) => `${model.region}/${model.projectName}/${model.versionName}`;

/** Would-stops first, most expensive first (the order a run stops them in), then the kept models by name. */
export function sortForDisplay<T extends JudgedModel>(decisions: readonly T[]): T[] {
  const name = (d: JudgedModel) => nameKey(d.model);
  return [...decisions].sort((a, b) => {
    const aStop = a.verdict.action === "stop";
    const bStop = b.verdict.action === "stop";
    if (aStop !== bStop) return aStop ? -1 : 1;
    if (aStop) {
      const cost =
        (b.verdict.facts.estimatedHourlyCostUsd ?? 0) - (a.verdict.facts.estimatedHourlyCostUsd ?? 0);
      if (cost !== 0) return cost;
    }
    return name(a).localeCompare(name(b)) || (a.model.modelArn ?? "").localeCompare(b.model.modelArn ?? "");
  });
}

/** A model's open warning, as the scan shows it. */
export interface PendingWarning {
  /** ISO-8601 UTC: when the model was warned. */
  readonly warnedAt: string;
  /** ISO-8601 UTC: the earliest time a run may stop it. */
  readonly stopNotBefore?: string;
}

/** The scan's result, as `--json` prints it. */
export interface ScanReport {
  readonly scannedAt: string;
  readonly regions: readonly string[];
  readonly settings: Pick<
    StopperConfig,
    | "idleMinutes"
    | "optOutTagKey"
    | "requireOptIn"
    | "pricePerInferenceUnitHour"
    | "maxStopsPerRun"
    | "discovery"
  >;
  /** Running Custom Labels models judged (metrics-first: those with current InServiceInferenceUnits data). */
  readonly running: number;
  readonly wouldStop: number;
  readonly estimatedHourlySavingsUsd: number;
  /**
   * Every model judged. One judged by its metrics alone (metrics-first discovery keeps a busy model without
   * describing it) has no `projectArn` or `modelArn`: they are not known.
   */
  readonly decisions: readonly (JudgedModel & {
    readonly idleFor: string;
    readonly warning?: PendingWarning;
  })[];
  readonly errors: Assessment["errors"];
  readonly unfinished: Assessment["unfinished"];
  /** The log table the open warnings were read from; absent when no table was named. */
  readonly warningsFrom?: string;
}

/**
 * Builds the report from what `assess` found, with the run's cap on stops applied, and each model's open warning
 * when `warnings` (by model ARN, from the log table) is given.
 */
export function buildScanReport(
  config: StopperConfig,
  assessment: Assessment,
  now: number,
  warnings?: { readonly table: string; readonly byModel: ReadonlyMap<string, PendingWarning> },
): ScanReport {
  const decisions = sortForDisplay<JudgedModel>([
    ...applyStopCap(assessment.decisions, config.maxStopsPerRun),
    ...assessment.judgedByName,
  ]);
  const stops = decisions.filter((d) => d.verdict.action === "stop");
  // A model judged by name has no ARN: its warning is found by the names and region its warning's ARN holds.
  const warningsByName = new Map<string, PendingWarning>();
  for (const [arn, warning] of warnings?.byModel ?? []) {
    const names = parseModelArn(arn);
    const region = arn.split(":")[3];
    if (names && region) warningsByName.set(nameKey({ region, ...names }), warning);
  }
  return {
    scannedAt: formatTime(now),
    regions: config.regions,
    settings: {
      idleMinutes: config.idleMinutes,
      optOutTagKey: config.optOutTagKey,
      requireOptIn: config.requireOptIn,
      pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
      maxStopsPerRun: config.maxStopsPerRun,
      discovery: config.discovery,
    },
    running: decisions.length,
    wouldStop: stops.length,
    estimatedHourlySavingsUsd: roundCents(
      stops.reduce((sum, d) => sum + (d.verdict.facts.estimatedHourlyCostUsd ?? 0), 0),
    ),
    decisions: decisions.map((d) => {
      const warning =
        d.model.modelArn === undefined
          ? warningsByName.get(nameKey(d.model))
          : warnings?.byModel.get(d.model.modelArn);
      return { ...d, idleFor: idleFor(d.verdict.facts, now), ...(warning && { warning }) };
    }),
    errors: assessment.errors,
    unfinished: assessment.unfinished,
    ...(warnings && { warningsFrom: warnings.table }),
  };
}

/** The table and the total line a person reads. */
export function renderScanReport(report: ScanReport): string {
  const manyRegions = report.regions.length > 1;
  const withWarnings = report.warningsFrom !== undefined;
  const headers = [
    "MODEL",
    ...(manyRegions ? ["REGION"] : []),
    "UNITS",
    "LAST REQUEST",
    "EVIDENCE UNTIL",
    "IDLE FOR",
    "DECISION",
    ...(withWarnings ? ["WARNED: STOP FROM"] : []),
    "$/H",
    "REASON",
  ];
  const rows = report.decisions.map(({ model, verdict, idleFor: idle, warning }) => [
    `${model.projectName}/${model.versionName}`,
    ...(manyRegions ? [model.region] : []),
    verdict.facts.inferenceUnits === undefined ? "—" : String(verdict.facts.inferenceUnits),
    lastRequest(verdict.facts),
    verdict.facts.evidenceUntil ?? "—",
    idle,
    verdict.action === "stop" ? "would stop" : "keep",
    ...(withWarnings ? [warning ? (warning.stopNotBefore ?? "—") : "not warned"] : []),
    formatUsd(verdict.facts.estimatedHourlyCostUsd),
    verdict.reason,
  ]);
  const problems = report.errors.length + report.unfinished.length;
  const table = rows.length > 0 ? renderTable(headers, rows) : "No running Custom Labels models.\n";
  const total =
    `Would stop ${report.wouldStop} of ${report.running} running model${report.running === 1 ? "" : "s"}, ` +
    `saving about ${formatUsd(report.estimatedHourlySavingsUsd)}/h.` +
    (problems > 0 ? ` Incomplete: ${problems} problem${problems === 1 ? "" : "s"}, listed on stderr.` : "");
  return `${table}\n${total}\n${nearMissNotes(report.decisions)}`;
}

/** The tags that look like an opt-out but do nothing, one line each under the total; "" when there is none. */
export function nearMissNotes(decisions: readonly JudgedModel[]): string {
  const lines = decisions.flatMap(({ model, verdict }) =>
    (verdict.facts.nearMissTags ?? []).map(
      (note) => `- ${model.projectName}/${model.versionName}: ${note}\n`,
    ),
  );
  if (lines.length === 0) return "";
  return `\nTags that look like an opt-out but do nothing (no decision above counts them):\n${lines.join("")}`;
}

/** Runs `scan`; returns the exit code: 0, or 1 when something could not be read (the table still shows it). */
export async function scanCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { config, json, table, account } = await scanConfig(args, io.env, awsClientOptions(io));
  // The models are the member account's, reached through its role; the log table stays the hub's, read with the
  // caller's own credentials.
  const credentials =
    account &&
    (await assumeAccountRole(account, {
      region: config.homeRegion,
      maxAttempts: config.maxAttempts,
      now: io.clock(),
      clientOptions: awsClientOptions(io),
    }));
  if (account) io.err(`In account ${account.accountId} through role ${account.roleName}.\n`);
  const adapters = readOnlyAdapters(config, awsClientOptions(io), credentials);
  const progress = new Progress(io, config.regions);
  const now = io.clock();
  io.err(
    `Scanning ${config.regions.join(", ")} read-only (${config.discovery === "full" ? "every project described" : "models in service found from their metrics; --full describes every project"}): ` +
      `idle after ${formatDuration(config.idleMinutes * MINUTE_MS)}, ` +
      `opt-out tag ${config.optOutTagKey}${config.requireOptIn ? " (opt-in required)" : ""}, ` +
      `${formatUsd(config.pricePerInferenceUnitHour)} per inference-unit hour.\n`,
  );
  let assessment: Assessment;
  try {
    assessment = await assess(adapters, config, now, {
      onDecision: (decision) => progress.decided(decision.model.region),
      // Every row shows the units and cost in service, whether the tags keep the model or not.
      metricsOfKeptModels: true,
    });
    for (const { model } of assessment.judgedByName) progress.decided(model.region);
  } finally {
    adapters.destroy();
  }
  progress.done();
  const accounts = [
    ...new Set(assessment.decisions.map((decision) => accountOfArn(decision.model.modelArn) ?? "")),
  ].filter((accountId) => accountId !== "");
  const warnings = table && (await openWarnings(table, config, io, accounts));
  const report = buildScanReport(config, assessment, now, warnings);
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderScanReport(report));
  for (const problem of report.errors) {
    io.err(`error: ${problem.arn ? `${problem.arn}: ` : ""}${problem.message}\n`);
  }
  for (const item of report.unfinished)
    io.err(`not scanned: ${item.arn ?? `${item.model} (${item.region})`}: ${item.reason}\n`);
  return report.errors.length > 0 || report.unfinished.length > 0 ? 1 : 0;
}

/** The open warnings of the scanned regions, read from the named log table (its FollowUps index). */
async function openWarnings(
  table: ScanTable,
  config: StopperConfig,
  io: CliIo,
  /** The accounts of the scanned models, whose organization-mode keys are read too. */
  accounts: readonly string[],
): Promise<{ table: string; byModel: Map<string, PendingWarning> }> {
  const clientOptions = awsClientOptions(io);
  const region = table.region ?? (await defaultRegion("scan", clientOptions));
  io.err(`Open warnings from log table ${table.name} in ${region} (from ${table.source}).\n`);
  const reader = new LogTableReader({
    name: table.name,
    region,
    source: table.source,
    maxAttempts: config.maxAttempts,
    ...(clientOptions.profile !== undefined && { profile: clientOptions.profile }),
  });
  const byModel = new Map<string, PendingWarning>();
  try {
    for (const scanned of config.regions) {
      // Oldest first: the first warning of a model is the one that times its stop.
      for (const warning of await reader.openWarnings(scanned, accounts)) {
        if (byModel.has(warning.modelArn)) continue;
        byModel.set(warning.modelArn, {
          warnedAt: formatTime(Date.parse(warning.stoppedAt)),
          ...(warning.stopNotBefore !== undefined && { stopNotBefore: warning.stopNotBefore }),
        });
      }
    }
  } finally {
    reader.destroy();
  }
  return { table: table.name, byModel };
}
