/**
 * The CLI's dispatcher: picks the command, runs it, and turns what it throws into an exit code and one line on
 * stderr: 2 with the usage for bad arguments, 1 for a failed AWS call or anything else, never a stack trace.
 */

import { errorMessage } from "../lambda/adapters/errors.ts";
import { CliError, type CommandName, UsageError } from "./errors.ts";
import { historyCommand } from "./history.ts";
import type { CliIo } from "./io.ts";
import { restartCommand } from "./restart.ts";
import { scanCommand } from "./scan.ts";
import { COMMAND_USAGE, MAIN_USAGE } from "./usage.ts";

// The package's `idle-model-stopper/cli` entry: runCli with the real process, as bin/idle-model-stopper.mjs does.
export { type CliIo, processIo } from "./io.ts";

const COMMANDS: Record<CommandName, (args: readonly string[], io: CliIo) => Promise<number>> = {
  scan: scanCommand,
  history: historyCommand,
  restart: restartCommand,
};

const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMANDS, name);

const wantsHelp = (args: readonly string[]) =>
  args.some((arg) => arg === "--help" || arg === "-h") && !args.includes("--");

/** Runs the command line (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (
    first === undefined ||
    first === "--help" ||
    first === "-h" ||
    (first === "help" && rest.length === 0)
  ) {
    if (first === undefined) {
      io.err(MAIN_USAGE);
      return 2;
    }
    io.out(MAIN_USAGE);
    return 0;
  }
  if (first === "help") {
    const topic = rest[0];
    if (isCommand(topic)) {
      io.out(COMMAND_USAGE[topic]);
      return 0;
    }
    return usageError(io, new UsageError(`unknown command: ${topic}`));
  }
  if (!isCommand(first)) {
    return usageError(io, new UsageError(`unknown command: ${first}`));
  }
  if (wantsHelp(rest)) {
    io.out(COMMAND_USAGE[first]);
    return 0;
  }
  try {
    return await COMMANDS[first](rest, io);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error);
    io.err(`error: ${error instanceof CliError ? error.message : errorMessage(error)}\n`);
    return 1;
  }
}

function usageError(io: CliIo, error: UsageError): number {
  io.err(`error: ${error.message}\n\n${error.command ? COMMAND_USAGE[error.command] : MAIN_USAGE}`);
  return 2;
}
