/**
 * The CLI's dispatcher: picks the command, runs it, and turns what it throws into an exit code and one line on
 * stderr: 2 with the usage for bad arguments, 3 when nothing was done on purpose, 1 for a failed AWS call or anything
 * else, never a stack trace. `--profile` and `--version` are global, as in the AWS CLI.
 */

import { readFileSync } from "node:fs";
import { errorMessage } from "../lambda/adapters/errors.ts";
import { CliError, type CommandName, EXIT, NothingDoneError, UsageError } from "./errors.ts";
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

/** The package's name and version, from its package.json (one folder up from cli/, two from dist/cli/). */
export function packageVersion(): string {
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "idle-model-stopper" && pkg.version) return pkg.version;
    } catch {
      // Not this folder: try the next one up.
    }
  }
  return "unknown";
}

/** What `--profile` names: any profile name of ~/.aws/config, which cannot be empty or hold spaces. */
const PROFILE_PATTERN = /^[^\s]{1,128}$/;

/**
 * Takes `--profile NAME` (or `--profile=NAME`) out of the arguments, wherever it stands, as the AWS CLI does.
 * @throws UsageError when the name is missing or empty, or the option is given twice.
 */
export function takeProfile(argv: readonly string[]): { args: string[]; profile?: string } {
  const args: string[] = [];
  let profile: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === "--") {
      args.push(...argv.slice(index));
      break;
    }
    if (arg !== "--profile" && !arg.startsWith("--profile=")) {
      args.push(arg);
      continue;
    }
    const value = arg === "--profile" ? argv[++index] : arg.slice("--profile=".length);
    if (profile !== undefined) throw new UsageError("--profile is given twice");
    if (value === undefined || !PROFILE_PATTERN.test(value))
      throw new UsageError(
        `Invalid --profile: ${JSON.stringify(value ?? "")}. Allowed: the name of a profile in your AWS config, such as dev`,
      );
    profile = value;
  }
  return profile === undefined ? { args } : { args, profile };
}

/** Runs the command line (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], givenIo: CliIo): Promise<number> {
  let taken: ReturnType<typeof takeProfile>;
  try {
    taken = takeProfile(argv);
  } catch (error) {
    return usageError(givenIo, error as UsageError);
  }
  const io: CliIo = taken.profile === undefined ? givenIo : { ...givenIo, profile: taken.profile };
  const [first, ...rest] = taken.args;
  if (first === "--version" || first === "-v") {
    io.out(`idle-model-stopper ${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (
    first === undefined ||
    first === "--help" ||
    first === "-h" ||
    (first === "help" && rest.length === 0)
  ) {
    if (first === undefined) {
      io.err(MAIN_USAGE);
      return EXIT.usage;
    }
    io.out(MAIN_USAGE);
    return EXIT.ok;
  }
  if (first === "help") {
    const topic = rest[0];
    if (isCommand(topic)) {
      io.out(COMMAND_USAGE[topic]);
      return EXIT.ok;
    }
    return usageError(io, unknownCommand(topic ?? ""));
  }
  if (!isCommand(first)) {
    return usageError(
      io,
      first.startsWith("-")
        ? new UsageError(
            `Unknown option ${JSON.stringify(first)} before the command. Allowed: --profile, --version (-v), ` +
              "--help (-h); a command's own options go after it",
          )
        : unknownCommand(first),
    );
  }
  if (wantsHelp(rest)) {
    io.out(COMMAND_USAGE[first]);
    return EXIT.ok;
  }
  try {
    return await COMMANDS[first](rest, io);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error);
    if (error instanceof NothingDoneError) {
      io.err(`${error.message}\n`);
      return EXIT.nothingDone;
    }
    io.err(`error: ${error instanceof CliError ? error.message : errorMessage(error)}\n`);
    return EXIT.failed;
  }
}

/** The error for a first word that is not a command, listing the commands. */
const unknownCommand = (word: string) =>
  new UsageError(`Unknown command ${JSON.stringify(word)}. Allowed: ${Object.keys(COMMANDS).join(", ")}`);

function usageError(io: CliIo, error: UsageError): number {
  io.err(`error: ${error.message}\n\n${error.command ? COMMAND_USAGE[error.command] : MAIN_USAGE}`);
  return EXIT.usage;
}
