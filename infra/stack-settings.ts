/**
 * The stack's settings: the runtime settings of `common/settings.ts` plus the infra-only ones below.
 *
 * Both the context reader and the stack validate through `parseGivenSettings`, so a value is checked by the same
 * rule whether it comes from `cdk.json`, `-c key=value` or a prop set in code, and the error names its source.
 */
import { type StackProps, Token } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { RegionInfo } from "aws-cdk-lib/region-info";
import AwsCronParser from "aws-cron-parser";
import {
  accountsOfRun,
  DEFAULT_ORGANIZATION_SETTINGS,
  isOrganizationMode,
  MAX_ITEMS,
  ORGANIZATION_SETTINGS,
  type OrganizationSettings,
  readOrganizationSettings,
} from "../common/organization-settings.ts";
import {
  DEFAULT_SETTINGS,
  DISCOVERY_RESERVE_MARGINS,
  InvalidSettingError,
  integerIn,
  MARGINS_PER_TIMEOUT,
  MAX_RESTART_LEAD_MINUTES,
  parseBoolean,
  readSettings,
  SETTINGS,
  type StopperSettings,
} from "../common/settings.ts";

/** Settings that shape the deployed resources but that the Lambda never reads. */
export interface InfraSettings {
  /** EventBridge Scheduler expression for the runs. */
  readonly schedule: string;
  /** IANA time zone the schedule expression is evaluated in. */
  readonly scheduleTimezone: string;
  /** Whether the DynamoDB log table survives `cdk destroy`. */
  readonly retainLogTable: boolean;
  /** Days CloudWatch Logs keeps the function's log events. */
  readonly logRetentionDays: number;
  /** Lambda timeout in whole minutes. */
  readonly functionTimeoutMinutes: number;
  /** Lambda memory in MB. */
  readonly memorySize: number;
  /** Email address subscribed to the notification topic, or undefined for none. */
  readonly notifyEmail: string | undefined;
  /** Whether the schedule runs the function; false disables it and keeps everything else. */
  readonly enabled: boolean;
  // Issue 12, the nightly run: warnings before a stop.
  /** EventBridge Scheduler expression of a second, earlier schedule: a warning pass that warns and never stops. */
  readonly warnSchedule: string | undefined;
  // Issue 12, the follow-ups: regret checks, starts by hand and restarts by rule.
  /** EventBridge Scheduler expression for the follow-up function (regret checks, restarts, starts by hand). */
  readonly followUpSchedule: string;
}

/** Every setting the stack accepts: runtime, infra-only, and the organization mode's. */
export type StackSettings = StopperSettings & InfraSettings & OrganizationSettings;

/** How one infra-only setting is named, its default and how a raw string becomes its value. */
export interface InfraSettingSpec<K extends keyof InfraSettings = keyof InfraSettings> {
  /** Prop name, also the `cdk.json` context key. */
  readonly key: K;
  /** Value used when the setting is not given. */
  readonly default: InfraSettings[K];
  /** What is allowed, as a phrase for error messages and docs. */
  readonly allowed: string;
  /** Turns a raw string into the value, or returns undefined when it is not allowed. */
  readonly parse: (raw: string) => InfraSettings[K] | undefined;
}

/** The retention periods CloudWatch Logs accepts, in days; "never expire" is left out so logs stay bounded. */
export const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays)
  .filter((days): days is number => typeof days === "number" && days !== RetentionDays.INFINITE)
  .sort((a, b) => a - b);

// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
// cron(minutes hours day-of-month month day-of-week year); one of day-of-month and day-of-week must be "?".
const CRON_PATTERN = /^cron\(\s*(\S+(?:\s+\S+){5})\s*\)$/;
// What each field may be made of: numbers and the wildcards and operators the field takes, or the month's and the
// day's three-letter names. The ranges of the numbers are aws-cron-parser's to check.
const NUMBERS = /^[0-9*,/-]+$/;
const CRON_FIELD_PATTERNS: readonly RegExp[] = [
  NUMBERS,
  NUMBERS,
  /^[0-9*,/?LW-]+$/,
  /^(?:[0-9*,/-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i,
  /^(?:[0-9*,/?L#-]|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i,
  NUMBERS,
];
// rate(value unit); the unit is singular when the value is 1 and plural otherwise.
const RATE_PATTERN = /^rate\(\s*([1-9]\d*)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;

const parseSchedule = (raw: string): string | undefined => {
  const text = raw.trim();
  const rate = RATE_PATTERN.exec(text);
  if (rate) {
    const [, value, unit = ""] = rate;
    return (value === "1") === !unit.endsWith("s") ? text : undefined;
  }
  const cron = CRON_PATTERN.exec(text);
  if (!cron?.[1]) return undefined;
  const fields = cron[1].split(/\s+/);
  if (!fields.every((field, index) => CRON_FIELD_PATTERNS[index]?.test(field))) return undefined;
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) return undefined;
  try {
    // A number out of its field's range (minute 99, hour 25, day 32) would fail only at deploy.
    AwsCronParser.parse(fields.join(" "));
  } catch {
    return undefined;
  }
  return `cron(${fields.join(" ")})`;
};

// Region/City names such as Europe/Paris or America/Argentina/Buenos_Aires, or UTC; no "+01:00" offsets.
const TIME_ZONE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

const parseTimeZone = (raw: string): string | undefined => {
  const zone = raw.trim();
  if (!TIME_ZONE_NAME_PATTERN.test(zone)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  // Intl ignores case ("europe/paris"); EventBridge Scheduler may not, so insist on the canonical spelling.
  return resolved.toLowerCase() === zone.toLowerCase() && resolved !== zone ? undefined : zone;
};

// Deliberately loose: SNS checks the address itself when it sends the confirmation. This catches a missing value,
// a list (ops@example.com,dev@example.com) or a name instead of an address.
const EMAIL_PATTERN = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;.]+$/;

const parseEmail = (raw: string): string | undefined => {
  const email = raw.trim();
  return email.length <= 254 && EMAIL_PATTERN.test(email) ? email : undefined;
};

const parseLogRetention = (raw: string): number | undefined => {
  const days = integerIn(1, 3653)(raw);
  return days !== undefined && LOG_RETENTION_DAYS.includes(days) ? days : undefined;
};

/** Every infra-only setting, in the order the README's configuration table lists them. */
export const INFRA_SETTINGS: readonly InfraSettingSpec[] = [
  {
    key: "schedule",
    default: "cron(0 2 * * ? *)",
    allowed:
      "an EventBridge Scheduler expression: cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) " +
      "with ? in exactly one of day-of-month and day-of-week and each number in its field's range (minutes " +
      "0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT), or " +
      "rate(<n> minute(s)|hour(s)|day(s))",
    parse: parseSchedule,
  },
  {
    key: "scheduleTimezone",
    default: "UTC",
    allowed:
      "an IANA time zone name such as UTC, Europe/Paris or America/New_York, spelled with its capitals",
    parse: parseTimeZone,
  },
  {
    key: "retainLogTable",
    default: true,
    allowed: "true or false",
    parse: parseBoolean,
  },
  {
    key: "logRetentionDays",
    default: 90,
    allowed: `a number of days CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`,
    parse: parseLogRetention,
  },
  {
    key: "functionTimeoutMinutes",
    default: 10,
    allowed: "a whole number of minutes from 2 to 15",
    parse: integerIn(2, 15),
  },
  {
    key: "memorySize",
    default: 256,
    allowed: "a whole number of MB from 128 to 10240",
    parse: integerIn(128, 10240),
  },
  {
    key: "notifyEmail",
    default: undefined,
    allowed: "one email address such as ops@example.com (subscribe more addresses to the topic yourself)",
    parse: parseEmail,
  },
  {
    key: "enabled",
    default: true,
    allowed: "true or false",
    parse: parseBoolean,
  },
  // Issue 12, the nightly run: warnings before a stop.
  {
    key: "warnSchedule",
    default: undefined,
    allowed:
      "an EventBridge Scheduler expression like schedule's, in the same time zone, for a warning pass before the " +
      "runs (it needs warnBeforeStopHours)",
    parse: parseSchedule,
  },
  // Issue 12, the follow-ups: regret checks, starts by hand and restarts by rule.
  {
    key: "followUpSchedule",
    default: "rate(15 minutes)",
    allowed:
      "an EventBridge Scheduler expression for the follow-up function: rate(<n> minute(s)|hour(s)|day(s)) or " +
      "cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) with ? in exactly one day field and " +
      "each number in its field's range",
    parse: parseSchedule,
  },
] as InfraSettingSpec[];

/** The infra-only settings with every default applied. */
export const DEFAULT_INFRA_SETTINGS: InfraSettings = Object.freeze(
  Object.fromEntries(INFRA_SETTINGS.map((spec) => [spec.key, spec.default])) as unknown as InfraSettings,
);

/** Every key the stack accepts as a prop or a context key, runtime settings first. */
export const STACK_SETTING_KEYS: readonly (keyof StackSettings)[] = [
  ...SETTINGS.map((spec) => spec.key),
  ...INFRA_SETTINGS.map((spec) => spec.key),
  ...ORGANIZATION_SETTINGS.map((spec) => spec.key),
];

/**
 * Turns a prop or context value into the raw text a spec parses: `cdk.json` may hold numbers, booleans and
 * arrays (regions), `-c key=value` always gives strings. Returns undefined when the value is not set.
 */
export function toRawSetting(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map((item) => toRawSetting(item) ?? "").join(",");
  // Anything else (an object) cannot be a setting; its JSON fails every parser and shows in the error.
  return JSON.stringify(value);
}

/**
 * A setting must be known at synth: it becomes the function's environment, the grants' scope and the schedules, all
 * checked here. A token (a CloudFormation parameter, an SSM reference, another resource's attribute) is not.
 * @throws InvalidSettingError naming the prop and the token.
 */
function refuseToken(value: unknown, name: string): void {
  const items = Array.isArray(value) ? [value, ...value] : [value];
  const token = items.find((item) => Token.isUnresolved(item));
  if (token === undefined) return;
  throw new InvalidSettingError(
    name,
    typeof token === "string" ? token : `a ${Array.isArray(token) ? "list" : typeof token} token`,
    "a value known at synth, not a token: a CloudFormation parameter, an SSM parameter or another resource's " +
      "attribute cannot stand in for a setting, which is checked at synth and written into the function's " +
      "environment, grants and schedules",
  );
}

/**
 * A configured region must be one aws-cdk-lib knows: a misspelled one (`us-esat-1`) has the shape of a region, and
 * would deploy a stopper that fails on it every night.
 * @throws InvalidSettingError naming the region and the regions allowed.
 */
function checkRegionsKnown(
  given: Partial<Record<keyof StackSettings, unknown>>,
  describe: (key: keyof StackSettings) => string,
): void {
  const known = RegionInfo.regions.map((region) => region.name);
  for (const region of (given.regions ?? []) as readonly string[]) {
    if (known.includes(region)) continue;
    throw new InvalidSettingError(
      describe("regions"),
      region,
      `a region aws-cdk-lib knows (upgrade aws-cdk-lib for a newer one): ${known.join(", ")}`,
    );
  }
}

/**
 * Parses the settings that `lookup` finds and leaves out the others.
 * `describe` names the source in errors, e.g. `context key idleMinutes`.
 * @param hubAccountId the hub's account id when synth knows it (the stack's `env.account`); undefined when it does
 * not, and the listed accounts' items are then counted as if the hub were not among them.
 * @throws InvalidSettingError naming the source, the value and what is allowed.
 */
export function parseGivenSettings(
  lookup: (key: keyof StackSettings) => string | undefined,
  describe: (key: keyof StackSettings) => string,
  hubAccountId?: string,
): Partial<StackSettings> {
  const runtime = readSettings(
    (spec) => lookup(spec.key),
    (spec) => describe(spec.key),
  );
  const given: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    if (lookup(spec.key) !== undefined) given[spec.key] = runtime[spec.key];
  }
  for (const spec of INFRA_SETTINGS) {
    const raw = lookup(spec.key);
    if (raw === undefined) continue;
    const value = spec.parse(raw);
    if (value === undefined) throw new InvalidSettingError(describe(spec.key), raw, spec.allowed);
    given[spec.key] = value;
  }
  checkDeadlineMargin(given, describe);
  checkRegionsKnown(given, describe);
  // The organization mode's settings (issue 11), parsed like the others; its cross-checks below.
  const organization = readOrganizationSettings(
    (spec) => lookup(spec.key),
    (spec) => describe(spec.key),
  );
  for (const spec of ORGANIZATION_SETTINGS) {
    if (lookup(spec.key) !== undefined) given[spec.key] = organization[spec.key];
  }
  checkOrganization(organization, describe);
  checkListedItems(organization, (given.regions ?? []) as readonly string[], describe, hubAccountId);
  checkWarnSchedule(given, describe);
  return given as Partial<StackSettings>;
}

const MINUTES_PER: Readonly<Record<string, number>> = { minute: 1, hour: 60, day: 1440 };
const ALL = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
const covers = (field: readonly unknown[], all: readonly number[]) =>
  all.every((value) => field.includes(value));
const DAY_NUMBERS: Readonly<Record<string, number>> = {
  SUN: 1,
  MON: 2,
  TUE: 3,
  WED: 4,
  THU: 5,
  FRI: 6,
  SAT: 7,
};

/**
 * Whether a day-of-week field is one range round the whole week that starts on another day than Sunday (`MON-SUN`,
 * `3-2`): aws-cron-parser reads a range that wraps past Saturday as no day at all.
 */
function isWholeWeekRange(field: string): boolean {
  const range = /^(\w+)-(\w+)$/.exec(field);
  if (!range) return false;
  const [from, to] = [range[1], range[2]].map((day = "") => DAY_NUMBERS[day.toUpperCase()] ?? Number(day));
  return from !== undefined && to !== undefined && (to % 7) + 1 === from;
}

/**
 * The longest time between two consecutive firings of a schedule (parsed by `parseSchedule`), in minutes, on the
 * clock of its expression: a rate's interval; for a cron, the longest gap between its times of day, the one from
 * the day's last time to the next day's first included, or undefined when it does not fire every day (its day,
 * month or day-of-week fields leave days out, so two firings are a day or more apart somewhere).
 */
export function longestScheduleGapMinutes(expression: string): number | undefined {
  const rate = RATE_PATTERN.exec(expression);
  if (rate) return Number(rate[1]) * (MINUTES_PER[(rate[2] ?? "").replace(/s$/, "")] ?? Number.NaN);
  const cron = CRON_PATTERN.exec(expression);
  if (!cron?.[1]) return undefined;
  const [, , dayOfMonth, , dayOfWeek = ""] = cron[1].split(/\s+/);
  const parsed = AwsCronParser.parse(cron[1]);
  const everyDayOfMonth = covers(parsed.daysOfMonth, ALL(1, 31)) && parsed.daysOfWeek.length === 0;
  const everyDayOfWeek =
    parsed.daysOfMonth.length === 0 &&
    (covers(parsed.daysOfWeek, ALL(1, 7)) ||
      (dayOfMonth === "?" && parsed.daysOfWeek.length === 0 && isWholeWeekRange(dayOfWeek)));
  if (!covers(parsed.months, ALL(1, 12)) || !(everyDayOfMonth || everyDayOfWeek)) return undefined;
  const times = (parsed.hours as number[]).flatMap((hour) =>
    (parsed.minutes as number[]).map((minute) => hour * 60 + minute),
  );
  times.sort((a, b) => a - b);
  const first = times[0] as number;
  return Math.max(
    first + 1440 - (times[times.length - 1] as number),
    ...times.slice(1).map((time, index) => time - (times[index] as number)),
  );
}

/** A number of minutes as hours and two-digit minutes, such as 1h05m or 0h30m. */
function hoursAndMinutes(minutes: number): string {
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

const durationText = (minutes: number) =>
  minutes < 60 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : hoursAndMinutes(minutes);

/**
 * A restart by rule is made by the first follow-up from restartLeadMinutes before the rule's time, so with
 * follow-ups further apart than that a model can be started after the time its rule says it must be running
 * (rate(1 day) would start it up to a day late). Only models tagged with a restart rule are affected, which synth
 * cannot know, so this is a warning for the construct to show, never an error.
 * @returns the warning, naming both settings, their values, the gap, what can happen and what helps; or undefined
 * when the follow-ups come at most restartLeadMinutes apart.
 */
export function followUpGapWarning(
  settings: Pick<StackSettings, "followUpSchedule" | "restartLeadMinutes" | "optOutTagKey">,
): string | undefined {
  const { followUpSchedule: schedule, restartLeadMinutes: lead, optOutTagKey } = settings;
  const gap = longestScheduleGapMinutes(schedule);
  if (gap !== undefined && gap <= lead) return undefined;
  const rule =
    `a restart by rule (tag ${optOutTagKey}:restart) is made by the first follow-up from restartLeadMinutes ` +
    "before the rule's time";
  const often = `run the follow-ups at most ${lead} minutes apart, such as rate(15 minutes)`;
  if (gap === undefined)
    return (
      `followUpSchedule ${schedule} does not run every day, with restartLeadMinutes ${lead}: ${rule}, so one due ` +
      "on a day it does not run is made only by the first follow-up after it, a day or more late. If you use " +
      `restart rules, ${often}, every day.`
    );
  const raise =
    gap <= MAX_RESTART_LEAD_MINUTES
      ? `, or raise restartLeadMinutes to ${gap} or more (at most ${MAX_RESTART_LEAD_MINUTES})`
      : "";
  return (
    `followUpSchedule ${schedule} runs the follow-ups up to ${durationText(gap)} apart, more than ` +
    `restartLeadMinutes ${lead}: ${rule}, so it can start a model up to ${durationText(gap - lead)} after that ` +
    `time. If you use restart rules, ${often}${raise}.`
  );
}

// cron(<minute> <hour> <day-of-month> <month> <day-of-week> <year>) with a fixed minute and hour.
const DAILY_AT = /^cron\((\d{1,2}) (\d{1,2}) (\S+ \S+ \S+ \S+)\)$/;

/**
 * The organization mode needs the Organization's id, which the spoke roles' trust policy and the hub's
 * sts:AssumeRole grant are conditioned on; an id given without any account or OU would be silently unused.
 * @throws InvalidSettingError naming the setting and what is needed.
 */
function checkOrganization(
  settings: OrganizationSettings,
  describe: (key: keyof StackSettings) => string,
): void {
  if (isOrganizationMode(settings) && settings.organizationId === undefined)
    throw new InvalidSettingError(
      `${describe("organizationId")} with ${describe("accounts")} or ${describe("organizationalUnits")} set`,
      null,
      "the AWS Organization's id such as o-a1b2c3d4e5 (aws organizations describe-organization --query " +
        "Organization.Id): the spoke roles trust the hub only from inside that organization",
    );
  if (!isOrganizationMode(settings) && settings.organizationId !== undefined)
    throw new InvalidSettingError(
      `${describe("organizationId")} without ${describe("accounts")} or ${describe("organizationalUnits")}`,
      settings.organizationId,
      "an organization id only together with the accounts or OUs to serve",
    );
}

/**
 * With listed accounts only, a run's items are known at synth: (the hub, unless left out, and the accounts) × the
 * regions, each account once, counted by `accountsOfRun` as the list step's planWork counts them: the hub listed
 * too is one account, and listed with includeHubAccount=false it is left out. More than a run takes would fail
 * every night's list step (TooManyItemsError); fail here instead.
 * @param hubAccountId the hub's account id, or undefined when synth does not know it (a stack without
 * `env.account`, whose account is a token until deploy). Then it cannot be compared with the listed accounts, and
 * is counted apart from them: if it is also listed, that counts one account too many, never too few.
 * @throws InvalidSettingError naming the accounts, their count, the regions' and the most a run takes.
 */
function checkListedItems(
  settings: OrganizationSettings,
  regions: readonly string[],
  describe: (key: keyof StackSettings) => string,
  hubAccountId: string | undefined,
): void {
  if (settings.organizationalUnits.length > 0) return;
  const { accounts: listed, includeHubAccount } = settings;
  const hubListed = hubAccountId !== undefined && listed.includes(hubAccountId);
  // The list step's own count; a hub whose account synth does not know stands apart from every listed account.
  const accounts = accountsOfRun({
    hubAccountId: hubAccountId ?? "the hub's account",
    includeHubAccount,
    accounts: listed,
  }).length;
  const hub = includeHubAccount
    ? hubListed
      ? ", the hub's among them,"
      : " and the hub's"
    : hubListed
      ? " less the hub's (includeHubAccount=false)"
      : "";
  const regionCount = Math.max(1, regions.length);
  const items = accounts * regionCount;
  if (items <= MAX_ITEMS) return;
  throw new InvalidSettingError(
    `${describe("accounts")} with ${describe("regions")}`,
    `${listed.length} accounts${hub} × ${regionCount} regions = ${items} items`,
    `at most ${MAX_ITEMS} account × region items in a run (the Map's results must stay under Step Functions' ` +
      "256 KiB): serve fewer accounts or regions from this hub, or deploy a second hub for the rest" +
      // Without the stack's env.account (the shipped app has none), a listed hub cannot be told apart.
      (hubAccountId === undefined && includeHubAccount
        ? "; if the hub's own account is in the list, leave it out: includeHubAccount serves it"
        : ""),
  );
}

/**
 * A warning pass needs warnings on; and when it and the runs fire at a fixed time on the same days, the run after
 * a warning pass must come at least warnBeforeStopHours later, or warned models would be stopped a day later than
 * their warning says.
 * @throws InvalidSettingError naming the settings and their values.
 */
function checkWarnSchedule(
  given: Partial<Record<keyof StackSettings, unknown>>,
  describe: (key: keyof StackSettings) => string,
): void {
  const warnSchedule = given.warnSchedule as string | undefined;
  if (warnSchedule === undefined) return;
  const hours = (given.warnBeforeStopHours ?? DEFAULT_SETTINGS.warnBeforeStopHours) as number;
  if (hours === 0)
    throw new InvalidSettingError(
      `${describe("warnSchedule")} with ${describe("warnBeforeStopHours")}=0${given.warnBeforeStopHours === undefined ? " (the default)" : ""}`,
      warnSchedule,
      "a warning pass only with warnings on: set warnBeforeStopHours (1-168) too, or leave warnSchedule out",
    );
  const schedule = (given.schedule ?? DEFAULT_INFRA_SETTINGS.schedule) as string;
  const warn = DAILY_AT.exec(warnSchedule);
  const run = DAILY_AT.exec(schedule);
  if (!warn || !run || warn[3] !== run[3]) return;
  const minutesOf = (match: RegExpExecArray) => Number(match[2]) * 60 + Number(match[1]);
  const gap = (((minutesOf(run) - minutesOf(warn)) % 1440) + 1440) % 1440;
  if (hours * 60 <= gap && gap > 0) return;
  const gapText = hoursAndMinutes(gap);
  throw new InvalidSettingError(
    `${describe("warnSchedule")} with ${describe("schedule")}=${schedule} and ${describe("warnBeforeStopHours")}=${hours}`,
    warnSchedule,
    `a warning pass at least warnBeforeStopHours before the run it warns for: the run comes ${gapText} after this ` +
      "warning pass, so its warnings would fall due only the run after (make the warning pass earlier, or lower " +
      "warnBeforeStopHours)",
  );
}

/**
 * The function stops starting new stops `deadlineMarginSeconds` before its timeout, and discovery takes no new
 * project once {@link DISCOVERY_RESERVE_MARGINS} margins are left. The timeout must hold
 * {@link MARGINS_PER_TIMEOUT} margins, or a run would have no time to discover anything. Each range works at both
 * ends with the other at its default (a 2-minute timeout with the 30 s margin, a 150 s margin with the 10-minute
 * timeout). Both values come from here, so synth checks them.
 * @throws InvalidSettingError naming both settings and their values.
 */
function checkDeadlineMargin(
  given: Partial<Record<keyof StackSettings, unknown>>,
  describe: (key: keyof StackSettings) => string,
): void {
  const margin = (given.deadlineMarginSeconds ?? DEFAULT_SETTINGS.deadlineMarginSeconds) as number;
  const timeoutMinutes = (given.functionTimeoutMinutes ??
    DEFAULT_INFRA_SETTINGS.functionTimeoutMinutes) as number;
  const longest = Math.floor((timeoutMinutes * 60) / MARGINS_PER_TIMEOUT);
  if (margin <= longest) return;
  const timeout =
    `${describe("functionTimeoutMinutes")}=${timeoutMinutes}` +
    (given.functionTimeoutMinutes === undefined ? " (the default)" : "");
  throw new InvalidSettingError(
    `${describe("deadlineMarginSeconds")} with ${timeout}`,
    String(margin),
    `at most the function's timeout in seconds divided by ${MARGINS_PER_TIMEOUT}, so at most ${longest} for a ` +
      `${timeoutMinutes}-minute timeout: discovery stops once ${DISCOVERY_RESERVE_MARGINS} margins are left, ` +
      "and a longer margin would leave it no time (lower deadlineMarginSeconds or raise functionTimeoutMinutes)",
  );
}

/**
 * The props a stack takes (aws-cdk-lib's `StackProps`): `IdleModelStopperStack` hands its props to the construct
 * whole, and an app's own stack may do the same, so the construct accepts and ignores these. The `satisfies` makes
 * `tsc` fail here when the aws-cdk-lib this package builds with adds one; an app on a newer aws-cdk-lib than the
 * package knows gets a synth warning for it, not an error.
 */
const STACK_PROPS: Record<keyof StackProps, true> = {
  analyticsReporting: true,
  crossRegionReferences: true,
  description: true,
  env: true,
  notificationArns: true,
  permissionsBoundary: true,
  propertyInjectors: true,
  stackName: true,
  suppressTemplateIndentation: true,
  synthesizer: true,
  tags: true,
  terminationProtection: true,
} satisfies Record<keyof StackProps, true>;

/** Every prop name the construct and the stack accept: the settings, and a stack's own props. */
export const ACCEPTED_PROP_NAMES: readonly string[] = [...STACK_SETTING_KEYS, ...Object.keys(STACK_PROPS)];

/**
 * The accepted name that `name` clearly means: one spelled alike but for case and separators (`DRY_RUN`, `dryrun`,
 * `stack-name`), or else a setting with or without a trailing s (`idleMinute`, `region`). Undefined when none is.
 */
export function closestPropName(name: string): string | undefined {
  const spelling = (key: string) => key.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
  const given = spelling(name);
  return (
    ACCEPTED_PROP_NAMES.find((key) => spelling(key) === given) ??
    STACK_SETTING_KEYS.find((key) => `${spelling(key)}s` === given || spelling(key) === `${given}s`)
  );
}

/**
 * From JavaScript, nothing checks the props' names: a misspelled setting (`idleMinute: 120`) would be ignored and
 * the default deployed. A name that clearly means an accepted one is refused; any other is only warned about
 * ({@link ignoredPropNames}), since a newer aws-cdk-lib's stack prop or an app's own must still deploy.
 * @throws InvalidSettingError naming the key, the accepted one it means, and every accepted one.
 */
function refuseMisspelledProps(props: object, owner: string): void {
  const accepted = new Set(ACCEPTED_PROP_NAMES);
  for (const key of Object.keys(props)) {
    if (accepted.has(key)) continue;
    const closest = closestPropName(key);
    if (closest === undefined) continue;
    throw new InvalidSettingError(
      `${owner} prop name`,
      key,
      `${closest}, as written, or another of the settings (${STACK_SETTING_KEYS.join(", ")}) or a stack's own ` +
        `props (${Object.keys(STACK_PROPS).join(", ")})`,
    );
  }
}

/**
 * The props' names that are neither a setting nor a stack prop aws-cdk-lib 2.276 has, nor refused as a misspelled
 * one: a newer aws-cdk-lib's stack prop, or an app's own key. The settings ignore them.
 */
export function ignoredPropNames(props: object): string[] {
  const accepted = new Set(ACCEPTED_PROP_NAMES);
  return Object.keys(props).filter((key) => !accepted.has(key) && closestPropName(key) === undefined);
}

/** The synth warning for a prop the settings ignore (see {@link ignoredPropNames}), naming it and every setting. */
export function ignoredPropWarning(name: string, owner: string): string {
  return (
    `${owner} prop "${name}" is not a setting, so the stopper ignores it (fine for a stack prop of a newer ` +
    `aws-cdk-lib or the app's own; a setting misspelled is not). The settings: ${STACK_SETTING_KEYS.join(", ")}.`
  );
}

/** Every setting's default, runtime, infra-only and organization, merged once. */
const ALL_DEFAULTS: Readonly<StackSettings> = {
  ...DEFAULT_SETTINGS,
  ...DEFAULT_INFRA_SETTINGS,
  ...DEFAULT_ORGANIZATION_SETTINGS,
};

/** Every setting's spec, runtime, infra-only and organization, in that order. */
const ALL_SPECS: readonly { readonly key: string; readonly allowed: string }[] = [
  ...SETTINGS,
  ...INFRA_SETTINGS,
  ...ORGANIZATION_SETTINGS,
];

/** The JavaScript type each setting's prop takes, read from its default: a list for the lists of regions, accounts and OUs. */
function propTypeOf(key: keyof StackSettings): "number" | "boolean" | "string" | "list" {
  const value = ALL_DEFAULTS[key];
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  // The settings without a default (notifyEmail, warnSchedule, organizationId, spokeExternalId) are strings.
  return "string";
}

/** What each setting allows, as its spec says it. */
function allowedOf(key: keyof StackSettings): string {
  const spec = ALL_SPECS.find((each) => each.key === key);
  return spec?.allowed ?? "";
}

const typeName = (value: unknown) =>
  Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;

/**
 * From JavaScript, nothing checks the props' types either, and a value of the wrong one was turned into text and
 * parsed: `idleMinutes: "120"` deployed 120, `dryRun: "false"` was false, `regions: "eu-west-1"` one region. A prop
 * must have its TypeScript type: a number, a boolean, a string, or a list of strings.
 * @throws InvalidSettingError naming the prop, the value and the type and values allowed.
 */
function refuseWrongTypes(props: Partial<Record<keyof StackSettings, unknown>>, owner: string): void {
  for (const key of STACK_SETTING_KEYS) {
    const value = props[key];
    if (value === undefined || value === null) continue;
    const type = propTypeOf(key);
    const fits =
      type === "list"
        ? Array.isArray(value) && value.every((item) => typeof item === "string")
        : typeof value === type;
    if (fits) continue;
    const wanted = type === "list" ? 'a list of strings such as ["us-east-1"]' : `a ${type}`;
    const given =
      Array.isArray(value) && type === "list"
        ? `a list holding ${typeName(value.find((item) => typeof item !== "string"))}`
        : typeName(value);
    throw new InvalidSettingError(
      `${owner} prop ${key}`,
      value,
      `${wanted}, not ${given}: ${allowedOf(key)}`,
    );
  }
}

/**
 * Applies the defaults to `props` and validates every value; errors name `<owner> prop <key>`. Props given from
 * JavaScript are checked as TypeScript would: a misspelled setting or a value of the wrong type is refused (any
 * other unknown name is the caller's to warn about, {@link ignoredPropNames}).
 * @param hubAccount the account the stack deploys to (`Stack.of(this).account`, or the stack's `env.account`): a
 * token or undefined when synth does not know it.
 * @throws InvalidSettingError naming the prop, the value and what is allowed.
 */
export function resolveSettings(
  props: Partial<Record<keyof StackSettings, unknown>>,
  owner: string,
  hubAccount?: string,
): StackSettings {
  refuseMisspelledProps(props, owner);
  for (const key of STACK_SETTING_KEYS) refuseToken(props[key], `${owner} prop ${key}`);
  refuseWrongTypes(props, owner);
  const given = parseGivenSettings(
    (key) => toRawSetting(props[key]),
    (key) => `${owner} prop ${key}`,
    hubAccount === undefined || Token.isUnresolved(hubAccount) ? undefined : hubAccount,
  );
  return { ...ALL_DEFAULTS, ...given };
}
