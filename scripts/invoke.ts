/**
 * `npm run invoke`: one run of the real Lambda bundle against the sandbox of `npm run sandbox`, from the variables it
 * prints (AWS_ENDPOINT_URL_*, AWS_REGION and the dummy keys). It finds the log table and the topic as a deployed
 * function is given them, through the stack's outputs (CloudFormation DescribeStacks), then invokes the handler once
 * in a child `node` process with the template's environment, as a cold start, and prints what the run did.
 *
 *   npm run invoke [-- --set DRY_RUN=true] [--set IDLE_MINUTES=120] …
 *
 * Exit codes, as the CLI's: 0 the handler returned; 1 it failed, or the sandbox could not be reached; 2 wrong usage.
 */

import { parseArgs } from "node:util";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { quietUnsupportedNode, SDK_WARNING_SWITCH } from "../cli/node-support.ts";
import { InvalidSettingError, SETTINGS, settingsFromEnv } from "../common/settings.ts";
import { formatHourlyCost } from "../lambda/core/format.ts";
import { invokeBundle, REPOSITORY_STACK, type SynthesizedFunction } from "../sandbox/bundle.ts";
import { FUNCTION_ACCESS_KEY_ID } from "../sandbox/function-permissions.ts";
import { SANDBOX_SERVICES } from "../sandbox/index.ts";
import { resolveFunctionRefs, type StopperSummary } from "../sandbox/stopper-world.ts";
import { synthesizeCached } from "../sandbox/synth-cache.ts";

const USAGE = "Usage: npm run invoke [-- --set NAME=VALUE …]   (after npm run sandbox, with its exports)";

/** The variables `npm run sandbox` prints, which this script needs. */
const NEEDED = [
  ...SANDBOX_SERVICES.map((service) => `AWS_ENDPOINT_URL_${service.toUpperCase()}`),
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
];

/** Something the user can fix: printed alone, exit 1 (or 2 for usage). */
class InvokeError extends Error {
  override readonly name = "InvokeError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `NAME=VALUE` pairs of `--set`, checked. */
function settingsOf(pairs: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(pair);
    if (!match)
      throw new InvokeError(
        `Invalid --set: ${JSON.stringify(pair)}. Allowed: NAME=VALUE with an environment variable of the function, such as DRY_RUN=true\n${USAGE}`,
        2,
      );
    settings[match[1] as string] = match[2] as string;
  }
  return settings;
}

/**
 * Each `--set` must name one of the function's variables and hold a value its cold start accepts: checked here, so
 * a misspelled name is not silently ignored and a bad value is one line, not the child's stack trace.
 */
function checkOverrides(overrides: Record<string, string>, fn: SynthesizedFunction): void {
  const names = new Set([
    ...SETTINGS.map((spec) => spec.env),
    ...Object.keys(fn.environment),
    ...Object.keys(fn.refs),
  ]);
  for (const name of Object.keys(overrides))
    if (!names.has(name))
      throw new InvokeError(
        `Invalid --set: ${name} is not a variable of the function. Allowed: ${[...names].sort().join(", ")}\n${USAGE}`,
        2,
      );
  try {
    settingsFromEnv({ ...fn.environment, ...overrides });
  } catch (error) {
    if (error instanceof InvalidSettingError) throw new InvokeError(`${error.message}\n${USAGE}`, 2);
    throw error;
  }
}

/** The stack's outputs from the sandbox's CloudFormation, as a deployed stack shows them. */
async function stackOutputs(region: string): Promise<Record<string, string>> {
  const client = new CloudFormationClient({ region, maxAttempts: 1 });
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: REPOSITORY_STACK }));
    return Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""]),
    );
  } catch (error) {
    throw new InvokeError(
      `could not read the stack ${REPOSITORY_STACK} from ${process.env.AWS_ENDPOINT_URL_CLOUDFORMATION}: ` +
        `${(error as Error).name}: ${(error as Error).message}. Is npm run sandbox still running?`,
    );
  }
}

async function main(): Promise<number> {
  const notice = quietUnsupportedNode(process.env, process.version, "npm run invoke");
  if (notice) process.stderr.write(`${notice}\n`);
  let set: string[];
  try {
    ({
      values: { set = [] },
    } = parseArgs({ options: { set: { type: "string", multiple: true } } }));
  } catch (error) {
    throw new InvokeError(`${(error as Error).message.split(". To specify")[0]}\n${USAGE}`, 2);
  }
  const overrides = settingsOf(set);
  const missing = NEEDED.filter((name) => !process.env[name]);
  if (missing.length > 0)
    throw new InvokeError(
      `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set: start npm run sandbox in another shell ` +
        "and paste the export lines it prints here",
    );
  const region = process.env.AWS_REGION as string;
  const outputs = await stackOutputs(region);
  const tableName = outputs.LogTableName;
  const topicArn = outputs.NotificationTopicArn;
  if (!tableName || !topicArn)
    throw new InvokeError(`the stack ${REPOSITORY_STACK} has no LogTableName or NotificationTopicArn output`);

  const { fn } = await synthesizeCached();
  checkOverrides(overrides, fn);
  const endpoints = Object.fromEntries(NEEDED.map((name) => [name, process.env[name] as string]));
  process.stderr.write(`Running the bundle once against the sandbox (log table ${tableName})…\n`);
  const run = await invokeBundle<StopperSummary>(fn, {
    env: {
      ...resolveFunctionRefs(fn, { tableName, topicArn }),
      ...endpoints,
      // The bundle signs as the function, so the sandbox checks its calls against the template's role.
      AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY_ID,
      ...(process.env[SDK_WARNING_SWITCH] !== undefined && {
        [SDK_WARNING_SWITCH]: process.env[SDK_WARNING_SWITCH],
      }),
      ...overrides,
    },
    requestId: `invoke-${new Date().toISOString().replace(/[:.]/g, "-")}`,
  });
  if (!run.result) {
    process.stderr.write(run.stderr);
    throw new InvokeError(
      `the handler failed: ${run.error ? `${run.error.name}: ${run.error.message}` : `exit ${run.exitCode}`}`,
    );
  }
  const summary = run.result;
  const facts = new Map<string, { estimatedHourlyCostUsd?: number; nearMissTags?: string[] }>();
  for (const line of run.logs)
    if (typeof line.modelArn === "string") facts.set(line.modelArn, (line.facts ?? {}) as never);
  const name = (arn: string) => /project\/([^/]+)\/version\/([^/]+)\//.exec(arn)?.slice(1).join("/") ?? arn;
  const lines = [
    `Run ${summary.runId}${summary.dryRun ? " (dry run)" : ""}: scanned ${summary.scanned} running models, ` +
      `stopped ${summary.stopped.length}, kept ${summary.skipped.length}, errors ${summary.errors.length}; ` +
      `saving about ${formatHourlyCost(summary.estimatedHourlySavingsUsd)}.`,
    ...summary.stopped.map((arn) => {
      const cost = facts.get(arn)?.estimatedHourlyCostUsd;
      return `  stopped ${name(arn)}${cost === undefined ? "" : ` (${formatHourlyCost(cost)})`}: ${arn}`;
    }),
    ...summary.skipped.map(
      (kept) => `  kept ${kept.arn ? name(kept.arn) : `${kept.model} (${kept.region})`}: ${kept.reason}`,
    ),
    ...summary.errors.map((error) => `  error ${error.arn ? `${name(error.arn)}: ` : ""}${error.message}`),
    ...[...facts].flatMap(([arn, fact]) =>
      (fact.nearMissTags ?? []).map((note) => `  note ${name(arn)}: ${note}`),
    ),
    `Recorded in ${tableName}: see npx idle-model-stopper history.`,
  ];
  console.log(lines.join("\n"));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof InvokeError ? error.exitCode : 1;
  },
);
