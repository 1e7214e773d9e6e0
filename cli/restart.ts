/**
 * `restart MODEL_ARN`: starts a model the stopper stopped, with the inference units its newest live log record
 * says it had. The one command that changes anything; it asks first unless `--yes`, and refuses a model that the
 * stopper already started again, or that is running, starting or stopping.
 */

import { parseArgs } from "node:util";
import { RekognitionClient, StartProjectVersionCommand } from "@aws-sdk/client-rekognition";
import { RekognitionModelDirectory } from "../lambda/adapters/rekognition.ts";
import { isStop, RUNNING_STATUSES, type StartUnits, startUnits } from "../lambda/core/follow-up.ts";
import { formatTime } from "../lambda/core/format.ts";
import { CliError, UsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { type LoggedStop, LogTableReader, resolveLogTable } from "./log-table.ts";
import { checkModelArn, checkRegion, defaultRegion, parseOrUsage } from "./options.ts";
import { formatUsd } from "./text-table.ts";

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
  const region = checkRegion("restart", values.region) ?? (await defaultRegion("restart"));
  const table = await resolveLogTable("restart", values, io.env, region);

  const reader = new LogTableReader(table);
  let record: LoggedStop | undefined;
  try {
    record = (await reader.recordsOf(model.arn)).find((r) => r.dryRun !== true && isStop(r));
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

  const name = `${model.projectName}/${model.versionName} in ${model.region}`;
  if (record.status === "RESTARTED" || record.status === "RESTART_PENDING") {
    const done =
      record.status === "RESTARTED"
        ? `already started ${name} again at ${record.restartedAt}`
        : `is starting ${name} again (${record.status} since ${record.restartClaimedAt})`;
    throw new CliError(
      `not started: the stopper ${done} (${record.restartReason ?? "no reason recorded"}); see ` +
        `idle-model-stopper history --model ${model.arn}`,
    );
  }
  const units = startUnits(record);
  io.err(
    `Newest stop of ${name}: ${formatTime(Date.parse(record.stoppedAt))}` +
      `${record.runId ? ` by run ${record.runId}` : ""}, status ${record.status ?? "unknown"}` +
      `${typeof record.estimatedHourlyCostUsd === "number" ? `, ${formatUsd(record.estimatedHourlyCostUsd)}/h when stopped` : ""}.\n`,
  );
  if (units.note) io.err(`Note: ${units.note}.\n`);

  const client = new RekognitionClient({
    region: model.region,
    retryMode: "adaptive",
    maxAttempts: table.maxAttempts,
  });
  try {
    // Only a stopped model is started: never one that runs, is starting, or is still stopping.
    const status = await new RekognitionModelDirectory(() => client).modelStatus(model.region, model.arn);
    if (status === undefined) throw new CliError(`not started: ${name} no longer exists`);
    if (status !== "STOPPED") {
      throw new CliError(
        `not started: ${name} is ${status}` +
          (RUNNING_STATUSES.has(status) ? ", so there is nothing to start" : "; start it once it is STOPPED"),
      );
    }
    if (!values.yes) {
      const answer = await io.ask(`Start ${name} with ${unitsText(units)}? It bills while it runs. [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        throw new CliError("not started: the start was not confirmed (pass --yes to start without asking)");
      }
    }
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
