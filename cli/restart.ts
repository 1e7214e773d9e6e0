/**
 * `restart MODEL_ARN`: starts a model the stopper stopped, with the inference units its newest live log record
 * says it had. The one command that changes anything: it reads the model's status first and says what it will and
 * will not do (a model that runs, starts or is still stopping is left alone, and so is one the stopper already
 * started again: exit 3), then asks unless `--yes`.
 */

import { RekognitionClient, StartProjectVersionCommand } from "@aws-sdk/client-rekognition";
import { errorMessage } from "../lambda/adapters/errors.ts";
import { RekognitionModelDirectory } from "../lambda/adapters/rekognition.ts";
import { type StartUnits, startUnits } from "../lambda/core/follow-up.ts";
import { formatTime } from "../lambda/core/format.ts";
import { isStopRecord } from "../lambda/core/stop-record.ts";
import { ACCOUNT_OPTIONS, accountChoice, accountOfArn, assumeAccountRole } from "./account.ts";
import { CliError, NothingDoneError, UsageError } from "./errors.ts";
import { awsClientOptions, type CliIo } from "./io.ts";
import { type LoggedStop, LogTableReader, type LogTableRef, resolveLogTable } from "./log-table.ts";
import {
  checkModelArn,
  checkRegion,
  checkStackName,
  checkTableName,
  defaultRegion,
  invalid,
  maxAttemptsFrom,
  parseCommandArgs,
} from "./options.ts";
import { formatUsd } from "./text-table.ts";

const unitsText = (units: StartUnits) =>
  `MinInferenceUnits=${units.min}${units.max === undefined ? "" : `, MaxInferenceUnits=${units.max}`}`;

/**
 * Why a model in this status is not started, or undefined when it can be (STOPPED). StartProjectVersion refuses a
 * model that is running, starting or stopping (ResourceInUseException); the sentence says so before asking.
 */
export function whyNotStarted(name: string, status: string): string | undefined {
  switch (status) {
    case "STOPPED":
      return undefined;
    case "RUNNING":
    case "STARTING":
      return `${name} is ${status}: nothing to restart`;
    case "STOPPING":
      return `${name} is STOPPING: nothing started; run restart again once it is STOPPED`;
    default:
      return `${name} is ${status}: only a STOPPED model can be started; nothing started`;
  }
}

/** Runs `restart`; returns the exit code. */
export async function restartCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    "restart",
    args,
    {
      yes: { type: "boolean", short: "y" },
      table: { type: "string" },
      stack: { type: "string" },
      region: { type: "string" },
      ...ACCOUNT_OPTIONS,
    },
    1,
    // A word after --yes that is an ARN is one, not a value given to --yes: `--yes <arn> <arn>` is an ARN too many.
    (word) => word.trim().startsWith("arn:"),
  );
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "restart needs MODEL_ARN"
        : `restart takes one MODEL_ARN, got ${positionals.length}: ` +
            positionals.map((arn) => JSON.stringify(arn)).join(", "),
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
  const region =
    checkRegion("restart", values.region) ?? (await defaultRegion("restart", awsClientOptions(io)));
  // Bad names are usage errors, found before any AWS call (the table itself is looked up only when needed).
  if (values.table !== undefined) checkTableName("restart", "--table", values.table);
  if (values.stack !== undefined) checkStackName("restart", values.stack);
  const name = `${model.projectName}/${model.versionName} in ${model.region}`;
  const maxAttempts = maxAttemptsFrom("restart", io.env);
  // The record is the hub's, read with the caller's own credentials; the model is in the member account, reached
  // through its role.
  const credentials =
    account &&
    (await assumeAccountRole(account, {
      region: model.region,
      maxAttempts,
      now: io.clock(),
      clientOptions: awsClientOptions(io),
    }));
  const client = new RekognitionClient({
    region: model.region,
    retryMode: "adaptive",
    maxAttempts,
    ...awsClientOptions(io),
    ...(credentials && { credentials }),
  });
  try {
    return await restartModel({
      io,
      model,
      table: () => resolveLogTable("restart", values, io.env, region, awsClientOptions(io)),
      name,
      client,
      confirmed: values.yes === true,
    });
  } finally {
    client.destroy();
  }
}

/** Looks at the model, then its newest live record, asks, and starts it. */
async function restartModel(input: {
  readonly io: CliIo;
  readonly model: ReturnType<typeof checkModelArn>;
  /** Finds the log table; called once the model's status shows there is something to start. */
  readonly table: () => Promise<LogTableRef>;
  readonly name: string;
  readonly client: RekognitionClient;
  readonly confirmed: boolean;
}): Promise<number> {
  const { io, model, name, client } = input;
  let status: string | undefined;
  try {
    status = await new RekognitionModelDirectory(() => client).modelStatus(model.region, model.arn);
  } catch (error) {
    throw new CliError(`could not read the status of ${name}: ${errorMessage(error)}`, { cause: error });
  }
  if (status === undefined) throw new CliError(`${name} does not exist: ${model.arn} was not found`);
  const notStarted = whyNotStarted(name, status);
  if (notStarted) throw new NothingDoneError(notStarted);

  const table = await input.table();
  const reader = new LogTableReader(table);
  let record: LoggedStop | undefined;
  try {
    // A warning is not a stop: its units are the model's while it ran, but only a stop says it was stopped.
    record = (await reader.recordsOf(model.arn)).find((r) => r.dryRun !== true && isStopRecord(r));
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

  if (record.status === "RESTARTED" || record.status === "RESTART_PENDING") {
    const done =
      record.status === "RESTARTED"
        ? `already started ${name} again at ${record.restartedAt}`
        : `is starting ${name} again (${record.status} since ${record.restartClaimedAt})`;
    throw new NothingDoneError(
      `Not started: the stopper ${done} (${record.restartReason ?? "no reason recorded"}); see ` +
        `idle-model-stopper history --model ${model.arn}`,
    );
  }
  const units = startUnits(record);
  io.err(
    `${name} is STOPPED. Newest stop: ${formatTime(Date.parse(record.stoppedAt))}` +
      `${record.runId ? ` by run ${record.runId}` : ""}, status ${record.status ?? "unknown"}` +
      `${typeof record.estimatedHourlyCostUsd === "number" ? `, ${formatUsd(record.estimatedHourlyCostUsd)}/h when stopped` : ""}.\n`,
  );
  if (units.note) io.err(`Note: ${units.note}.\n`);
  io.err(`This starts it with ${unitsText(units)}; it bills while it runs. Nothing else is changed.\n`);
  if (!input.confirmed) {
    const answer = await io.ask(`Start ${name}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new NothingDoneError(
        "Not started: the start was not confirmed (pass --yes to start without asking).",
      );
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
  return 0;
}
