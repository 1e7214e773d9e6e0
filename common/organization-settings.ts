/**
 * The settings of the multi-account mode (issue 11): which accounts and Organization OUs the stopper serves from one
 * hub deployment, how it reaches them, and how many it serves at once.
 *
 * They are kept apart from `settings.ts` on purpose: without accounts or OUs the stack must synthesize exactly as a
 * single-account stack, so none of these reaches the function's environment unless the organization mode is on
 * (`organizationSettingsToEnv`). Like the runtime settings, the CDK app checks them at synth and the Lambda parses
 * the same variables at cold start, with the same messages. Plain data and plain functions, no dependencies.
 */

import { InvalidSettingError, integerIn, parseBoolean } from "./settings.ts";

/** The settings of the organization mode. */
export interface OrganizationSettings {
  /** Member account ids to serve, besides the accounts of `organizationalUnits`. */
  readonly accounts: readonly string[];
  /** Organization OU ids (or the root id) whose ACTIVE accounts are served, found at run time, nested OUs too. */
  readonly organizationalUnits: readonly string[];
  /** Whether the hub's own account is served too (with the function's own role, no spoke role needed there). */
  readonly includeHubAccount: boolean;
  /** The name of the role in each member account that the hub assumes (the spoke role). */
  readonly spokeRoleName: string;
  /** An `sts:ExternalId` the spoke roles require on top of the organization condition; none when undefined. */
  readonly spokeExternalId: string | undefined;
  /** The AWS Organization's id, required by the spoke roles' trust policy (`aws:PrincipalOrgID`). Synth only. */
  readonly organizationId: string | undefined;
  /** Account × region items the state machine runs at once (its Map's MaxConcurrency). Synth only. */
  readonly mapConcurrency: number;
}

/** How one organization setting is named, its default and how a raw string becomes its value. */
export interface OrganizationSettingSpec<K extends keyof OrganizationSettings = keyof OrganizationSettings> {
  /** Prop name, also the `cdk.json` context key. */
  readonly key: K;
  /** The Lambda's variable; absent for a setting only the stack reads. */
  readonly env?: string;
  readonly default: OrganizationSettings[K];
  /** What is allowed, as a phrase for error messages and docs. */
  readonly allowed: string;
  /** Turns a raw string into the value, or returns undefined when it is not allowed. */
  readonly parse: (raw: string) => OrganizationSettings[K] | undefined;
  /** Turns a value back into the string the Lambda reads. */
  readonly format: (value: OrganizationSettings[K]) => string;
}

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** An Organization OU id (`ou-<root part>-<ou part>`) or root id (`r-…`), as Organizations' API model writes them. */
export const PARENT_ID_PATTERN = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** An Organization id, `o-` and 10 to 32 lowercase letters or digits. */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
/** An IAM role name: 1-64 letters, digits and `+=,.@_-`. */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
// sts:ExternalId: 2-1224 characters of `[\w+=,.@:/-]` (the STS AssumeRole API reference).
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

/** The most items the Map runs at once; Step Functions runs about 40 inline iterations at a time at most. */
export const MAX_MAP_CONCURRENCY = 40;

/**
 * The most account × region items one run takes. Above it, the Map's output could pass 256 KiB even with counts
 * only (lambda/core/organization.ts), and a Distributed Map writing its results to S3 is needed. The execution
 * history is not the binding limit: an item takes 7 events (10 with one retry), so 600 items take at most about
 * 6,000 of Standard's 25,000.
 */
export const MAX_ITEMS = 600;

/** A comma-separated list whose every item matches `pattern` and appears once; undefined otherwise. */
const listOf =
  (pattern: RegExp) =>
  (raw: string): readonly string[] | undefined => {
    const items = raw
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    if (!items.every((item) => pattern.test(item))) return undefined;
    return new Set(items).size === items.length ? items : undefined;
  };

const optional =
  (pattern: RegExp) =>
  (raw: string): string | undefined | null => {
    const text = raw.trim();
    if (text === "") return null;
    return pattern.test(text) ? text : undefined;
  };

/** Every organization setting, in the order the README's configuration table lists them. */
export const ORGANIZATION_SETTINGS: readonly OrganizationSettingSpec[] = [
  {
    key: "accounts",
    env: "ACCOUNTS",
    default: [],
    allowed: "a comma-separated list of 12-digit account ids such as 111111111111,222222222222, each once",
    parse: listOf(ACCOUNT_ID_PATTERN),
    format: (value) => (value as readonly string[]).join(","),
  },
  {
    key: "organizationalUnits",
    env: "ORGANIZATIONAL_UNITS",
    default: [],
    allowed:
      "a comma-separated list of Organization OU ids such as ou-ab12-cd34ef56 (or the root id r-ab12), each once",
    parse: listOf(PARENT_ID_PATTERN),
    format: (value) => (value as readonly string[]).join(","),
  },
  {
    key: "includeHubAccount",
    env: "INCLUDE_HUB_ACCOUNT",
    default: true,
    allowed: "true or false (false: serve only the listed accounts and OUs, not the hub's own account)",
    parse: parseBoolean,
    format: String,
  },
  {
    key: "spokeRoleName",
    env: "SPOKE_ROLE_NAME",
    default: "IdleModelStopperSpoke",
    allowed: "an IAM role name: 1-64 letters, digits or + = , . @ _ -",
    parse: (raw) => (ROLE_NAME_PATTERN.test(raw.trim()) ? raw.trim() : undefined),
    format: String,
  },
  {
    key: "spokeExternalId",
    env: "SPOKE_EXTERNAL_ID",
    default: undefined,
    allowed: "an sts:ExternalId: 2-1224 letters, digits or + = , . @ : / _ - (empty: none)",
    parse: optional(EXTERNAL_ID_PATTERN) as (raw: string) => string | undefined,
    format: (value) => (value as string | undefined) ?? "",
  },
  {
    key: "organizationId",
    default: undefined,
    allowed: "an AWS Organization id such as o-a1b2c3d4e5 (aws organizations describe-organization)",
    parse: optional(ORGANIZATION_ID_PATTERN) as (raw: string) => string | undefined,
    format: (value) => (value as string | undefined) ?? "",
  },
  {
    key: "mapConcurrency",
    default: 10,
    allowed: `a whole number of account × region items at once from 1 to ${MAX_MAP_CONCURRENCY}`,
    parse: integerIn(1, MAX_MAP_CONCURRENCY),
    format: String,
  },
] as OrganizationSettingSpec[];

/** The organization settings with every default applied: the single-account mode. */
export const DEFAULT_ORGANIZATION_SETTINGS: OrganizationSettings = Object.freeze(
  Object.fromEntries(
    ORGANIZATION_SETTINGS.map((spec) => [spec.key, spec.default]),
  ) as unknown as OrganizationSettings,
);

/** Whether the settings turn the organization mode on: at least one account or OU to serve. */
export function isOrganizationMode(settings: Pick<OrganizationSettings, "accounts" | "organizationalUnits">) {
  return settings.accounts.length > 0 || settings.organizationalUnits.length > 0;
}

/**
 * The accounts a run serves, each once: the hub's first unless left out, then the listed ones, then those found in
 * the OUs (sorted). The hub's account is left out wherever it appears when `includeHubAccount` is false.
 */
export function accountsOfRun(input: {
  readonly hubAccountId: string;
  readonly includeHubAccount: boolean;
  readonly accounts: readonly string[];
  readonly accountsInOus?: readonly string[];
}): string[] {
  return [
    ...new Set([
      ...(input.includeHubAccount ? [input.hubAccountId] : []),
      ...input.accounts,
      ...[...(input.accountsInOus ?? [])].sort(),
    ]),
  ].filter((accountId) => input.includeHubAccount || accountId !== input.hubAccountId);
}

/**
 * Reads every organization setting through `lookup` (raw text, or undefined when not set); `describe` names the
 * source in errors. An empty optional value (external id, organization id) means none.
 * @throws InvalidSettingError naming the source, the value and what is allowed.
 */
export function readOrganizationSettings(
  lookup: (spec: OrganizationSettingSpec) => string | undefined,
  describe: (spec: OrganizationSettingSpec) => string,
): OrganizationSettings {
  const values: Record<string, unknown> = {};
  for (const spec of ORGANIZATION_SETTINGS) {
    const raw = lookup(spec);
    if (raw === undefined) {
      values[spec.key] = spec.default;
      continue;
    }
    const value = (spec.parse as (raw: string) => unknown)(raw);
    if (value === undefined) throw new InvalidSettingError(describe(spec), raw, allowedFor(spec, raw));
    values[spec.key] = value === null ? undefined : value;
  }
  return Object.freeze(values) as unknown as OrganizationSettings;
}

/** What is allowed, naming the repeated item when a list holds one twice. */
function allowedFor(spec: OrganizationSettingSpec, raw: string): string {
  const items = raw.split(",").map((part) => part.trim());
  const repeated = items.find((item, index) => item !== "" && items.indexOf(item) !== index);
  return repeated === undefined ? spec.allowed : `${spec.allowed} (${repeated} is listed twice)`;
}

/** The variables that give the Lambda the organization settings; none outside the organization mode. */
export function organizationSettingsToEnv(settings: OrganizationSettings): Record<string, string> {
  if (!isOrganizationMode(settings)) return {};
  return Object.fromEntries(
    ORGANIZATION_SETTINGS.filter((spec) => spec.env !== undefined).map((spec) => [
      spec.env as string,
      spec.format(settings[spec.key] as never),
    ]),
  );
}

/** Parses the Lambda's environment; an empty variable counts as unset. */
export function organizationSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): OrganizationSettings {
  return readOrganizationSettings(
    (spec) => (spec.env === undefined || env[spec.env] === "" ? undefined : env[spec.env]),
    (spec) => spec.env ?? spec.key,
  );
}
