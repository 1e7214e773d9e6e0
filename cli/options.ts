/**
 * Parsing and checking what the command line says. Settings the Lambda also has are read through the same specs
 * (common/settings.ts), so `--idle-minutes 5` is refused with the message the Lambda gives for IDLE_MINUTES=5.
 */

import { type ParseArgsConfig, parseArgs } from "node:util";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import {
  InvalidSettingError,
  REGION_PATTERN,
  readSettings,
  type StopperSettings,
} from "../common/settings.ts";
import { parseModelArn } from "../lambda/adapters/rekognition.ts";
import { TABLE_NAME_PATTERN } from "../lambda/config.ts";
import { type CommandName, UsageError } from "./errors.ts";

/** The options a command takes, as node's parseArgs takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

/** The options every command takes besides its own: `--profile` (taken out first, by runCli) and `--help`. */
const GLOBAL_OPTIONS = ["--profile", "--help (-h)"];

const optionList = (options: CommandOptions): string =>
  [
    ...Object.entries(options).map(([name, spec]) => `--${name}${spec.short ? ` (-${spec.short})` : ""}`),
    ...GLOBAL_OPTIONS,
  ].join(", ");

// A negative number after an option is its value (`--price -1`), for the option's own check to refuse with its range.
const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * Reads a command's arguments with node's parseArgs, strict, after a first pass over its tokens that words what
 * parseArgs would refuse: an unknown option (named, with the command's options), a switch given a value, an option
 * with no value, or an argument the command does not take. A negative number after an option is taken as its value,
 * so `--price -1` is refused by the price's own check rather than as "ambiguous". A word after a switch, with more
 * words than the command takes, is read as a value given to the switch (`--yes maybe`) unless it has the form of
 * the command's argument (`--yes <arn> <arn>`), which leaves the command to refuse the extra argument.
 * @param maxPositionals how many arguments besides the options the command takes; the command checks the count.
 * @param isArgument whether a word has the form of the command's argument (restart's: a model ARN).
 * @throws UsageError naming the bad argument and what is allowed.
 */
export function parseCommandArgs<const T extends CommandOptions>(
  command: CommandName,
  args: readonly string[],
  options: T,
  maxPositionals = 0,
  isArgument: (word: string) => boolean = () => false,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>> {
  const { tokens } = parseOrUsage(command, () =>
    parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true }),
  );
  // `--price -1` becomes `--price=-1`, the inline form parseArgs takes as the value.
  const rewritten = new Map<number, string[]>();
  const positionals = tokens.filter((token) => token.kind === "positional");
  for (const [at, token] of tokens.entries()) {
    if (token.kind === "positional") {
      const previous = tokens[at - 1];
      // `--json x`: parseArgs reads x as an argument; it is a value given to a switch. Not so for a word that is
      // one of the command's arguments: `restart --yes <arn> <arn>` gives one ARN too many, not a value to --yes.
      if (
        previous?.kind === "option" &&
        options[previous.name]?.type === "boolean" &&
        previous.inlineValue !== true &&
        positionals.length > maxPositionals &&
        !isArgument(token.value)
      )
        throw new UsageError(
          `${previous.rawName} is a switch and takes no value; got ${JSON.stringify(token.value)}`,
          command,
        );
      if (maxPositionals === 0)
        throw new UsageError(
          `${command} takes no arguments, only options; got ${JSON.stringify(token.value)}`,
          command,
        );
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined)
      throw new UsageError(
        `Unknown option ${JSON.stringify(token.rawName)} for ${command}. Allowed: ${optionList(options)}`,
        command,
      );
    if (spec.type === "boolean") {
      if (token.value !== undefined)
        throw new UsageError(
          `${token.rawName} is a switch and takes no value; got ${JSON.stringify(token.value)}`,
          command,
        );
      continue;
    }
    if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value`, command);
    if (token.inlineValue || !token.value.startsWith("-")) continue;
    if (!NEGATIVE_NUMBER.test(token.value))
      throw new UsageError(
        `${token.rawName} needs a value; got the option ${JSON.stringify(token.value)} ` +
          `(a value that starts with - is written --${token.name}=${token.value})`,
        command,
      );
    rewritten.set(token.index, [`--${token.name}=${token.value}`]);
    rewritten.set(token.index + 1, []);
  }
  return parseOrUsage(command, () =>
    parseArgs({
      args: args.flatMap((arg, index) => rewritten.get(index) ?? [arg]),
      options,
      strict: true,
      allowPositionals: true,
    }),
  );
}

/** Runs node's parseArgs (or any parse) and turns what it throws into a usage error of the command. */
export function parseOrUsage<T>(command: CommandName | undefined, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs's messages go on with advice about "--"; the first sentence is the one that matters.
    const message = error instanceof Error ? error.message.split(". ")[0]?.replace(/\.$/, "") : String(error);
    throw new UsageError(message ?? "bad arguments", command, { cause: error });
  }
}

/** The flag that sets each Lambda setting the CLI accepts. */
export type SettingFlags = Partial<Record<keyof StopperSettings, string>>;

/**
 * Reads the settings from flag values (raw strings, keyed by setting), with every other setting at its default.
 * A bad value is a usage error naming the flag: `Invalid --idle-minutes: "5". Allowed: …`.
 */
export function settingsFromFlags(
  command: CommandName,
  values: Partial<Record<keyof StopperSettings, string>>,
  flags: SettingFlags,
): StopperSettings {
  try {
    return readSettings(
      (spec) => values[spec.key],
      (spec) => flags[spec.key] ?? spec.key,
    );
  } catch (error) {
    if (error instanceof InvalidSettingError) throw new UsageError(error.message, command, { cause: error });
    throw error;
  }
}

/**
 * Attempts per AWS call, first try included: AWS_MAX_ATTEMPTS (the SDK's own variable, which the Lambda reads too),
 * checked by the same spec, else the Lambda's default.
 */
export function maxAttemptsFrom(
  command: CommandName,
  env: Readonly<Record<string, string | undefined>>,
): number {
  const raw = env.AWS_MAX_ATTEMPTS;
  return settingsFromFlags(command, raw ? { maxAttempts: raw } : {}, { maxAttempts: "AWS_MAX_ATTEMPTS" })
    .maxAttempts;
}

/** The `Invalid <source>: "<value>". Allowed: <allowed>.` usage error, worded as settings errors are. */
export function invalid(command: CommandName, source: string, value: string, allowed: string): UsageError {
  return new UsageError(new InvalidSettingError(source, value, allowed).message, command);
}

/** What `--region` takes, for error messages. */
export const REGION_FORM = "a region code such as us-east-1";

/** Checks a single `--region` value. */
export function checkRegion(command: CommandName, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const region = raw.trim();
  if (!REGION_PATTERN.test(region)) throw invalid(command, "--region", raw, REGION_FORM);
  return region;
}

/**
 * Checks a `--region` that may list several regions separated by commas, each part on its own, so `moon-1` is
 * refused as "not a region code" rather than with the Lambda's wording about an empty list.
 */
export function checkRegionList(command: CommandName, raw: string): string[] {
  const parts = raw.split(",").map((part) => part.trim());
  for (const part of parts)
    if (!REGION_PATTERN.test(part))
      throw invalid(
        command,
        "--region",
        raw,
        `${REGION_FORM}, or several separated by commas` +
          (parts.length > 1 ? ` (${JSON.stringify(part)} is not a region code)` : ""),
      );
  return parts;
}

/**
 * The region of the default credential chain (AWS_REGION, then the profile's `region`), as the SDK resolves it.
 * A missing region is a usage error: `--region` fixes it.
 */
export async function defaultRegion(
  command: CommandName,
  clientOptions: { readonly profile?: string } = {},
): Promise<string> {
  const client = new RekognitionClient({ ...clientOptions });
  try {
    const region = await client.config.region();
    if (typeof region === "string" && REGION_PATTERN.test(region)) return region;
    throw new Error(`the SDK resolved the region ${JSON.stringify(region)}`);
  } catch (error) {
    const where =
      clientOptions.profile === undefined
        ? "your AWS profile"
        : `the profile ${clientOptions.profile} (--profile)`;
    throw new UsageError(
      `No region: pass --region, or set AWS_REGION or a region in ${where} ` +
        `(${error instanceof Error ? error.message : String(error)})`,
      command,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/** What a model ARN looks like, for error messages. */
export const MODEL_ARN_FORM =
  "a Custom Labels model ARN, arn:aws:rekognition:<region>:<account>:project/<project>/version/<version>/<number>";

/** A checked model ARN and the parts the CLI shows. */
export interface ModelArnParts {
  readonly arn: string;
  readonly region: string;
  readonly projectName: string;
  readonly versionName: string;
}

/** Checks a model ARN given on the command line. */
export function checkModelArn(command: CommandName, source: string, raw: string): ModelArnParts {
  const arn = raw.trim();
  const parts = parseModelArn(arn);
  const region = /^arn:[^:]+:rekognition:([^:]+):/.exec(arn)?.[1];
  if (!parts || !region || !REGION_PATTERN.test(region)) throw invalid(command, source, raw, MODEL_ARN_FORM);
  return { arn, region, projectName: parts.projectName, versionName: parts.versionName };
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** What `--since` accepts, for error messages and the usage text. */
export const SINCE_FORM =
  "a duration such as 7d, 24h or 90m, a date such as 2026-11-01 (00:00 UTC), or an ISO-8601 date-time with Z or an offset";

/** Turns `--since` into epoch ms: `7d`, `24h`, `90m` before `now`, a date (00:00 UTC) or a date-time. */
export function parseSince(raw: string, now: number): number | undefined {
  const text = raw.trim();
  const duration = /^(\d{1,6})([mhd])$/.exec(text);
  if (duration) {
    const [, amount, unit] = duration as unknown as [string, string, keyof typeof UNIT_MS];
    const value = Number(amount);
    return value > 0 ? now - value * UNIT_MS[unit] : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over to March; a date that does not read back the same is not a date.
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    const day = text.slice(0, 10);
    // The same roll-over check, on the calendar date as written (an offset can move the UTC date by a day).
    const written = Date.parse(`${day}T00:00:00Z`);
    if (Number.isNaN(ms) || Number.isNaN(written) || new Date(written).toISOString().slice(0, 10) !== day) {
      return undefined;
    }
    return ms;
  }
  return undefined;
}

// CloudFormation stack names: a letter, then up to 127 letters, digits and hyphens.
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** Checks a table name from `--table` or the environment. */
export function checkTableName(command: CommandName, source: string, raw: string): string {
  if (!TABLE_NAME_PATTERN.test(raw)) {
    throw invalid(command, source, raw, "a DynamoDB table name: 3-255 letters, digits, _ . or -");
  }
  return raw;
}

/** Checks a stack name from `--stack`. */
export function checkStackName(command: CommandName, raw: string): string {
  if (!STACK_NAME_PATTERN.test(raw)) {
    throw invalid(
      command,
      "--stack",
      raw,
      "a CloudFormation stack name: a letter, then letters, digits or -",
    );
  }
  return raw;
}
