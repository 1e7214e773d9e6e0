/**
 * `restart MODEL_ARN`: starts a model the stopper stopped, with the inference units its newest live log record
 * says it had. The one command that changes anything; it asks first unless `--yes`.
 */

import { parseArgs } from "node:util";
import { RekognitionClient, StartProjectVersionCommand } from "@aws-sdk/client-rekognition";
import { formatTime } from "../lambda/core/format.ts";
import { ACCOUNT_OPTIONS, accountChoice, accountOfArn, assumeAccountRole } from "./account.ts";
import { CliError, UsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { type LoggedStop, LogTableReader, resolveLogTable } from "./log-table.ts";
import { checkModelArn, checkRegion, defaultRegion, invalid, parseOrUsage } from "./options.ts";
import { formatUsd } from "./text-table.ts";

/** The units to start a model with, and how they were chosen from its record. */
export interface StartUnits {
  readonly min: number;
  readonly max?: number;
  /** Set when the record lacked minInferenceUnits and a fallback was used. */
  readonly note?: string;
}

/**
 * MinInferenceUnits from the record, else the units in service when it was stopped, else 1; MaxInferenceUnits
 * from the record when it has one (when it is below the min, AWS refuses the start and says so).
 */
export function startUnits(record: LoggedStop): StartUnits {
  const max = typeof record.maxInferenceUnits === "number" ? { max: record.maxInferenceUnits } : {};
  if (typeof record.minInferenceUnits === "number") return { min: record.minInferenceUnits, ...max };
  if (typeof record.inferenceUnits === "number") {
    return {
      min: record.inferenceUnits,
      ...max,
      note: `the record has no minInferenceUnits; using the ${record.inferenceUnits} inference units in service when it was stopped`,
    };
  }
  return { min: 1, ...max, note: "the record has no unit counts; starting with 1 inference unit" };
}

const unitsText = (units: StartUnits) =>
  `MinInferenceUnits=${units.min}${units.max === undefined ? "" : `, MaxInferenceUnits=${units.max}`}`;

/** Runs `restart`; returns the exit code. */
export async function restartCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage("restart", () =>
    parseArgs({
      args: [...args],
      options: {
        yes: { type: "boolean", short: "y" },
        table: { type: "string" },
        stack: { type: "string" },
        region: { type: "string" },
        ...ACCOUNT_OPTIONS,
      },
      strict: true,
      allowPositionals: true,
    }),
  );
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "restart needs MODEL_ARN"
        : `restart takes one MODEL_ARN, got ${positionals.length}`,
      "restart",
    );
  }
  const model = checkModelArn("restart", "MODEL_ARN", positionals[0] as string);
  const account = accountChoice("restart", values);
  if (account && accountOfArn(model.arn) !== account.accountId)
    throw invalid(
      "restart",
      "--account",
      account.accountId,
      `the account of MODEL_ARN, ${accountOfArn(model.arn)}`,
    );
  const region = checkRegion("restart", values.region) ?? (await defaultRegion("restart"));
  const table = await resolveLogTable("restart", values, io.env, region);

  const reader = new LogTableReader(table);
  let record: LoggedStop | undefined;
  try {
    record = (await reader.recordsOf(model.arn)).find((r) => r.dryRun !== true);
  } finally {
    reader.destroy();
  }
  if (!record) {
    throw new CliError(
      `no live (not dry-run) stop of ${model.arn} is recorded in the log table ${table.name} (${table.region}), so the units to ` +
        "start it with are not known. Start it yourself with aws rekognition start-project-version " +
        `--project-version-arn ${model.arn} --min-inference-units N`,
    );
  }

  const units = startUnits(record);
  const name = `${model.projectName}/${model.versionName} in ${model.region}`;
  io.err(
    `Newest stop of ${name}: ${formatTime(Date.parse(record.stoppedAt))}` +
      `${record.runId ? ` by run ${record.runId}` : ""}, status ${record.status ?? "unknown"}` +
      `${typeof record.estimatedHourlyCostUsd === "number" ? `, ${formatUsd(record.estimatedHourlyCostUsd)}/h when stopped` : ""}.\n`,
  );
  if (units.note) io.err(`Note: ${units.note}.\n`);
  if (!values.yes) {
    const answer = await io.ask(`Start ${name} with ${unitsText(units)}? It bills while it runs. [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new CliError("not started: the start was not confirmed (pass --yes to start without asking)");
    }
  }

  // The record is the hub's; the model is in the member account, reached through its role.
  const credentials =
    account &&
    (await assumeAccountRole(account, {
      region: model.region,
      maxAttempts: table.maxAttempts,
      now: io.clock(),
    }));
  const client = new RekognitionClient({
    region: model.region,
    retryMode: "adaptive",
    maxAttempts: table.maxAttempts,
    ...(credentials && { credentials }),
  });
  try {
    const response = await client.send(
      new StartProjectVersionCommand({
        ProjectVersionArn: model.arn,
        MinInferenceUnits: units.min,
        ...(units.max !== undefined && { MaxInferenceUnits: units.max }),
      }),
    );
    io.out(`Started ${name} with ${unitsText(units)}: status ${response.Status ?? "unknown"}.\n`);
  } finally {
    client.destroy();
  }
  return 0;
}
