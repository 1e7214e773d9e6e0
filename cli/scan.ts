/**
 * `scan`: the Lambda's discovery and decision core (`assess` from lambda/run.ts) run read-only against the account
 * of the default credential chain. Nothing is stopped and the log table is never touched.
 */

import { parseArgs } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { createGate, type Gate } from "../lambda/adapters/gate.ts";
import { CloudWatchUsageReader } from "../lambda/adapters/metrics.ts";
import { RekognitionModelDirectory } from "../lambda/adapters/rekognition.ts";
import type { AwsCredentialIdentity } from "../lambda/adapters/spoke-role.ts";
import { perRegion } from "../lambda/aws-clients.ts";
import type { StopperConfig } from "../lambda/config.ts";
import { applyStopCap, type Decision, usageWindow } from "../lambda/core/decide.ts";
import { formatDuration, formatTime } from "../lambda/core/format.ts";
import type { VerdictFacts } from "../lambda/core/types.ts";
import { type Assessment, assess } from "../lambda/run.ts";
import { ACCOUNT_OPTIONS, type AccountChoice, accountChoice, assumeAccountRole } from "./account.ts";
import type { CliIo } from "./io.ts";
import { defaultRegion, parseOrUsage, type SettingFlags, settingsFromFlags } from "./options.ts";
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

/** Reads the command line into the configuration a run would have; the log table is not part of a scan. */
export async function scanConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ config: StopperConfig; json: boolean; account?: AccountChoice }> {
  const { values } = parseOrUsage("scan", () =>
    parseArgs({
      args: [...args],
      options: {
        region: { type: "string", multiple: true },
        "idle-minutes": { type: "string" },
        "opt-out-tag-key": { type: "string" },
        "require-opt-in": { type: "boolean" },
        price: { type: "string" },
        "max-stops": { type: "string" },
        json: { type: "boolean" },
        ...ACCOUNT_OPTIONS,
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  const account = accountChoice("scan", values);
  // Each --region on its own first, so an error quotes the value as it was typed.
  for (const region of values.region ?? []) settingsFromFlags("scan", { regions: region }, SCAN_FLAGS);
  const settings = settingsFromFlags(
    "scan",
    {
      ...(values.region && { regions: values.region.join(",") }),
      ...(values["idle-minutes"] !== undefined && { idleMinutes: values["idle-minutes"] }),
      ...(values["opt-out-tag-key"] !== undefined && { optOutTagKey: values["opt-out-tag-key"] }),
      ...(values["require-opt-in"] && { requireOptIn: "true" }),
      ...(values.price !== undefined && { pricePerInferenceUnitHour: values.price }),
      ...(values["max-stops"] !== undefined && { maxStopsPerRun: values["max-stops"] }),
      ...(env.AWS_MAX_ATTEMPTS && { maxAttempts: env.AWS_MAX_ATTEMPTS }),
    },
    { ...SCAN_FLAGS, maxAttempts: "AWS_MAX_ATTEMPTS" },
  );
  const regions = settings.regions.length > 0 ? settings.regions : [await defaultRegion("scan")];
  const config: StopperConfig = Object.freeze({
    ...settings,
    // A scan is a dry run that does not even record: the log table is never named, so it cannot be written.
    dryRun: true,
    regions: Object.freeze([...regions]),
    homeRegion: regions[0] as string,
    logTableName: "",
  });
  return { config, json: values.json === true, ...(account && { account }) };
}

/** A gate that refuses every call: the stop gate of a scan, so no StopProjectVersion can leave the CLI. */
const refuseStops: Gate = () => Promise.reject(new Error("scan is read-only: it never stops a model"));

/** The Lambda's read adapters over real SDK clients, with the same retry and gates, and no way to stop. */
function readOnlyAdapters(config: StopperConfig, credentials?: AwsCredentialIdentity) {
  // With --account, the clients act in the member account through its role's credentials.
  const retry = {
    retryMode: "adaptive",
    maxAttempts: config.maxAttempts,
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
        stop: refuseStops,
      })),
    ),
    usage: new CloudWatchUsageReader(
      perRegion((region) => keep(new CloudWatchClient({ region, ...retry }))),
      perRegion(() => createGate({ tps: config.metricsTps, concurrency: config.metricsConcurrency })),
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
    this.io.err(`\r\x1b[K${this.line()} models decided…`);
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
  if (since <= usageWindow(now, facts.idleMinutes).start) {
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

/** Would-stops first, most expensive first (the order a run stops them in), then the kept models by name. */
export function sortForDisplay(decisions: readonly Decision[]): Decision[] {
  const name = (d: Decision) => `${d.model.region}/${d.model.projectName}/${d.model.versionName}`;
  return [...decisions].sort((a, b) => {
    const aStop = a.verdict.action === "stop";
    const bStop = b.verdict.action === "stop";
    if (aStop !== bStop) return aStop ? -1 : 1;
    if (aStop) {
      const cost =
        (b.verdict.facts.estimatedHourlyCostUsd ?? 0) - (a.verdict.facts.estimatedHourlyCostUsd ?? 0);
      if (cost !== 0) return cost;
    }
    return name(a).localeCompare(name(b)) || a.model.modelArn.localeCompare(b.model.modelArn);
  });
}

/** The scan's result, as `--json` prints it. */
export interface ScanReport {
  readonly scannedAt: string;
  readonly regions: readonly string[];
  readonly settings: Pick<
    StopperConfig,
    "idleMinutes" | "optOutTagKey" | "requireOptIn" | "pricePerInferenceUnitHour" | "maxStopsPerRun"
  >;
  /** Running Custom Labels models found. */
  readonly running: number;
  readonly wouldStop: number;
  readonly estimatedHourlySavingsUsd: number;
  readonly decisions: readonly (Decision & { readonly idleFor: string })[];
  readonly errors: Assessment["errors"];
  readonly unfinished: Assessment["unfinished"];
}

/** Builds the report from what `assess` found, with the run's cap on stops applied. */
export function buildScanReport(config: StopperConfig, assessment: Assessment, now: number): ScanReport {
  const decisions = sortForDisplay(applyStopCap(assessment.decisions, config.maxStopsPerRun));
  const stops = decisions.filter((d) => d.verdict.action === "stop");
  return {
    scannedAt: formatTime(now),
    regions: config.regions,
    settings: {
      idleMinutes: config.idleMinutes,
      optOutTagKey: config.optOutTagKey,
      requireOptIn: config.requireOptIn,
      pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
      maxStopsPerRun: config.maxStopsPerRun,
    },
    running: decisions.length,
    wouldStop: stops.length,
    estimatedHourlySavingsUsd: roundCents(
      stops.reduce((sum, d) => sum + (d.verdict.facts.estimatedHourlyCostUsd ?? 0), 0),
    ),
    decisions: decisions.map((d) => ({ ...d, idleFor: idleFor(d.verdict.facts, now) })),
    errors: assessment.errors,
    unfinished: assessment.unfinished,
  };
}

/** The table and the total line a person reads. */
export function renderScanReport(report: ScanReport): string {
  const manyRegions = report.regions.length > 1;
  const headers = [
    "MODEL",
    ...(manyRegions ? ["REGION"] : []),
    "UNITS",
    "LAST REQUEST",
    "IDLE FOR",
    "DECISION",
    "$/H",
    "REASON",
  ];
  const rows = report.decisions.map(({ model, verdict, idleFor: idle }) => [
    `${model.projectName}/${model.versionName}`,
    ...(manyRegions ? [model.region] : []),
    verdict.facts.inferenceUnits === undefined ? "—" : String(verdict.facts.inferenceUnits),
    lastRequest(verdict.facts),
    idle,
    verdict.action === "stop" ? "would stop" : "keep",
    formatUsd(verdict.facts.estimatedHourlyCostUsd),
    verdict.reason,
  ]);
  const problems = report.errors.length + report.unfinished.length;
  const table = rows.length > 0 ? renderTable(headers, rows) : "No running Custom Labels models.\n";
  const total =
    `Would stop ${report.wouldStop} of ${report.running} running model${report.running === 1 ? "" : "s"}, ` +
    `saving about ${formatUsd(report.estimatedHourlySavingsUsd)}/h.` +
    (problems > 0 ? ` Incomplete: ${problems} problem${problems === 1 ? "" : "s"}, listed on stderr.` : "");
  return `${table}\n${total}\n`;
}

/** Runs `scan`; returns the exit code: 0, or 1 when something could not be read (the table still shows it). */
export async function scanCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { config, json, account } = await scanConfig(args, io.env);
  const credentials =
    account &&
    (await assumeAccountRole(account, {
      region: config.homeRegion,
      maxAttempts: config.maxAttempts,
      now: io.clock(),
    }));
  if (account) io.err(`In account ${account.accountId} through role ${account.roleName}.\n`);
  const adapters = readOnlyAdapters(config, credentials);
  const progress = new Progress(io, config.regions);
  const now = io.clock();
  io.err(
    `Scanning ${config.regions.join(", ")} read-only: idle after ${formatDuration(config.idleMinutes * MINUTE_MS)}, ` +
      `opt-out tag ${config.optOutTagKey}${config.requireOptIn ? " (opt-in required)" : ""}, ` +
      `${formatUsd(config.pricePerInferenceUnitHour)} per inference-unit hour.\n`,
  );
  let assessment: Assessment;
  try {
    assessment = await assess(adapters, config, now, {
      onDecision: (decision) => progress.decided(decision.model.region),
    });
  } finally {
    adapters.destroy();
  }
  progress.done();
  const report = buildScanReport(config, assessment, now);
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderScanReport(report));
  for (const problem of report.errors) {
    io.err(`error: ${problem.arn ? `${problem.arn}: ` : ""}${problem.message}\n`);
  }
  for (const item of report.unfinished) io.err(`not scanned: ${item.arn}: ${item.reason}\n`);
  return report.errors.length > 0 || report.unfinished.length > 0 ? 1 : 0;
}
