/**
 * The stopper's runtime settings, described once.
 *
 * The CDK app validates them from context at synth time and passes them to the Lambda as environment
 * variables; the Lambda parses the same variables at cold start. Both sides use this module so that a value
 * accepted by `cdk synth` is always accepted by the function, and the error for a bad value reads the same.
 * It has no dependencies: it is plain data and plain functions.
 */

/** The settings that change what the Lambda does on each run. */
export interface StopperSettings {
  /** Minutes without any request, with the model in service all along, before it may be stopped. */
  readonly idleMinutes: number;
  /** Tag key that opts a model or project out (`false`, `never`…) or snoozes it (an ISO-8601 date). */
  readonly optOutTagKey: string;
  /** When true, nothing is stopped; would-stop decisions are logged with `dryRun: true`. */
  readonly dryRun: boolean;
  /** Regions to scan. Empty means the function's own region. */
  readonly regions: readonly string[];
  /** Most models stopped in one run; the rest are kept and the reason says so. */
  readonly maxStopsPerRun: number;
  /** USD per inference-unit hour, used for the estimated cost in the log and the summary. */
  readonly pricePerInferenceUnitHour: number;
  /** Days a log record is kept before DynamoDB's TTL removes it. */
  readonly logTtlDays: number;
  /** Attempts per AWS call, first try included, with the SDK's adaptive retry between them. */
  readonly maxAttempts: number;
  /** When true, only models or projects tagged `<optOutTagKey>=true` are candidates. */
  readonly requireOptIn: boolean;
  /** Calls per second the function allows itself for each Rekognition API (describe, tags, stop apart). */
  readonly rekognitionTps: number;
  /** GetMetricData calls per second the function allows itself. */
  readonly metricsTps: number;
  /** DescribeProjectVersions calls in flight at once, per region. */
  readonly describeConcurrency: number;
  /** ListTagsForResource calls in flight at once, per region. */
  readonly tagConcurrency: number;
  /** GetMetricData calls in flight at once, per region. */
  readonly metricsConcurrency: number;
  /** StopProjectVersion calls in flight at once. */
  readonly stopConcurrency: number;
  /** Seconds of the function's time kept in reserve: no new stop starts with less left. */
  readonly deadlineMarginSeconds: number;
  /** Whether discovery, tag reads and metric reads overlap; off runs them one phase after another. */
  readonly overlapPhases: boolean;
  /** How running models are found: from their CloudWatch metrics first, or by describing every project. */
  readonly discovery: Discovery;
  // Issue 12, the nightly run: the last look and warnings before a stop.
  /** Minutes of request metrics re-read just before each stop, up to the moment of the re-read. */
  readonly lastLookMinutes: number;
  /** Hours between a model's warning and the earliest run that may stop it; 0 stops without a warning. */
  readonly warnBeforeStopHours: number;
  // Events and the last-action tag (lambda/phases/announce.ts).
  /** Whether each stop, warning and restart is put on the default EventBridge bus of the model's region. */
  readonly publishEvents: boolean;
  /** Whether each model stopped, warned or restarted is tagged `<optOutTagKey>:last-action` with what and when. */
  readonly tagLastAction: boolean;
  // Issue 12, the follow-ups: regret checks, starts by hand and restarts by rule.
  /**
   * Minutes after a stop when the follow-up function reads its request metrics again, and starts the model again if
   * a request came in before the stop that the decision could not see yet; 0 leaves it to the next nightly run.
   */
  readonly regretCheckMinutes: number;
  /** Minutes before a restart rule's time that the model is started, so that it is RUNNING by then. */
  readonly restartLeadMinutes: number;
}

/** The ways to discover running models (see {@link StopperSettings.discovery}). */
export const DISCOVERY_MODES = ["metrics-first", "full"] as const;

/** One of {@link DISCOVERY_MODES}. */
export type Discovery = (typeof DISCOVERY_MODES)[number];

const parseDiscovery = (raw: string): Discovery | undefined => {
  const text = raw.trim().toLowerCase();
  return DISCOVERY_MODES.find((mode) => mode === text);
};

/** A setting's value was rejected; the message names where it came from, the value and what is allowed. */
export class InvalidSettingError extends Error {
  constructor(
    readonly source: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid ${source}: ${JSON.stringify(value)}. Allowed: ${allowed}.`);
    this.name = "InvalidSettingError";
  }
}

/** How one setting is named on each side, its default and how a raw string becomes its value. */
export interface SettingSpec<K extends keyof StopperSettings = keyof StopperSettings> {
  /** Property name, also the `cdk.json` context key. */
  readonly key: K;
  /** Environment variable read by the Lambda. */
  readonly env: string;
  /** Value used when the setting is not given. */
  readonly default: StopperSettings[K];
  /** What is allowed, as a phrase for error messages and docs. */
  readonly allowed: string;
  /** Turns a raw string into the value, or returns undefined when it is not allowed. */
  readonly parse: (raw: string) => StopperSettings[K] | undefined;
  /** Turns a value back into the string the Lambda reads. */
  readonly format: (value: StopperSettings[K]) => string;
}

/** A parser for whole numbers from `min` to `max`. */
export const integerIn =
  (min: number, max: number) =>
  (raw: string): number | undefined => {
    const text = raw.trim();
    if (!/^\d+$/.test(text)) return undefined;
    const value = Number(text);
    return value >= min && value <= max ? value : undefined;
  };

/** What every boolean setting accepts, at synth, in the function's environment and in the CLI. */
export const BOOLEAN_FORM = "true or false";

/**
 * The one boolean grammar: `true` or `false`, in any case, with spaces around ignored. Anything else (yes, 1, on) is
 * refused rather than guessed at, so `dryRun=yes` is an error, not a silent meaning.
 */
export const parseBoolean = (raw: string): boolean | undefined => {
  const text = raw.trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  return undefined;
};

/** Region codes such as `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-(gov|iso|isob|isoe|isof))?-[a-z]+-\d{1,2}$/;

const parseRegions = (raw: string): readonly string[] | undefined => {
  const regions = raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (!regions.every((region) => REGION_PATTERN.test(region))) return undefined;
  return [...new Set(regions)];
};

// AWS tag keys: 1-128 characters of letters, digits, spaces and _ . : / = + - @, not starting with "aws:". The
// length is checked apart (see MAX_OPT_OUT_KEY_LENGTH), so that the error can say how long the key is.
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;

/** The most characters AWS allows in a tag key. */
export const MAX_TAG_KEY_LENGTH = 128;

/** Suffix of the tag key that overrides the idle threshold, e.g. `auto-stop:idle-minutes`. */
export const IDLE_MINUTES_SUFFIX = ":idle-minutes";

/** Suffix of the tag key that names a model's own warning topic, e.g. `auto-stop:notify`. */
export const NOTIFY_SUFFIX = ":notify";

/** Suffix of the tag the stopper writes on a model it stopped, warned or restarted, e.g. `auto-stop:last-action`. */
export const LAST_ACTION_SUFFIX = ":last-action";

/** Suffix of the tag key that carries a restart rule, e.g. `auto-stop:restart`. */
export const RESTART_SUFFIX = ":restart";

/**
 * Every suffix the stopper puts after the opt-out key to make a tag key it reads or writes. A new one goes here: the
 * opt-out key's cap then leaves room for it, and the near-miss check knows its key as one the stopper reads.
 */
export const OPT_OUT_KEY_SUFFIXES: readonly string[] = [
  IDLE_MINUTES_SUFFIX,
  NOTIFY_SUFFIX,
  LAST_ACTION_SUFFIX,
  RESTART_SUFFIX,
];

/** The longest of {@link OPT_OUT_KEY_SUFFIXES}: it sets the cap on the opt-out key. */
export const LONGEST_OPT_OUT_KEY_SUFFIX: string = OPT_OUT_KEY_SUFFIXES.reduce((longest, suffix) =>
  suffix.length > longest.length ? suffix : longest,
);

/**
 * Longest opt-out key whose every derived tag key still fits AWS's 128 characters, whatever the settings: the
 * stopper reads `<key>:idle-minutes` whether or not it writes `<key>:last-action`.
 */
export const MAX_OPT_OUT_KEY_LENGTH = MAX_TAG_KEY_LENGTH - LONGEST_OPT_OUT_KEY_SUFFIX.length;

/**
 * Discovery takes no new project once the invocation has no more than this many `deadlineMarginSeconds` left, so
 * that what it found can still be decided, looked at again and stopped.
 */
export const DISCOVERY_RESERVE_MARGINS = 3;

/** The time, in ms, discovery keeps for the phases after it: {@link DISCOVERY_RESERVE_MARGINS} margins. */
export const discoveryReserveMs = (deadlineMarginSeconds: number): number =>
  DISCOVERY_RESERVE_MARGINS * deadlineMarginSeconds * 1000;

/**
 * The function's timeout must hold this many margins: the {@link DISCOVERY_RESERVE_MARGINS} discovery leaves to the
 * phases after it, and one more for discovery itself. A longer margin would leave a run nothing to discover.
 */
export const MARGINS_PER_TIMEOUT = DISCOVERY_RESERVE_MARGINS + 1;

const parseTagKey = (raw: string): string | undefined => {
  const key = raw.trim();
  return TAG_KEY_PATTERN.test(key) && !key.toLowerCase().startsWith("aws:") ? key : undefined;
};

const parsePrice = (raw: string): number | undefined => {
  const text = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && value <= 1000 ? value : undefined;
};

/**
 * How late the stopper allows a metric's datapoint to reach CloudWatch: in-service data older than this leaves a
 * model's state unknown (lambda/core/decide.ts), the last look reads at least this far back, and the regret check
 * reads the requests from this long before the decision (lambda/core/follow-up.ts).
 */
export const LATE_METRICS_MINUTES = 15;

/** The longest lead restartLeadMinutes allows: synth's follow-up gap warning suggests raising it only up to this. */
export const MAX_RESTART_LEAD_MINUTES = 180;

/** Every runtime setting, in the order the README's configuration table lists them. */
export const SETTINGS: readonly SettingSpec[] = [
  {
    key: "idleMinutes",
    env: "IDLE_MINUTES",
    default: 180,
    allowed: "a whole number of minutes from 15 to 10080 (7 days)",
    parse: integerIn(15, 10080),
    format: String,
  },
  {
    key: "optOutTagKey",
    env: "OPT_OUT_TAG_KEY",
    default: "auto-stop",
    allowed:
      `an AWS tag key of 1-${MAX_OPT_OUT_KEY_LENGTH} letters, digits, spaces or _ . : / = + - @, not starting with ` +
      `aws: (AWS allows ${MAX_TAG_KEY_LENGTH}; <key>${LONGEST_OPT_OUT_KEY_SUFFIX} must fit too)`,
    parse: parseTagKey,
    format: String,
  },
  {
    key: "dryRun",
    env: "DRY_RUN",
    default: false,
    allowed: BOOLEAN_FORM,
    parse: parseBoolean,
    format: String,
  },
  {
    key: "regions",
    env: "REGIONS",
    default: [],
    allowed:
      "a comma-separated list of region codes such as us-east-1,eu-west-1 (empty: the function's own region)",
    parse: parseRegions,
    format: (value) => (value as readonly string[]).join(","),
  },
  {
    key: "maxStopsPerRun",
    env: "MAX_STOPS_PER_RUN",
    default: 25,
    allowed: "a whole number from 1 to 1000",
    parse: integerIn(1, 1000),
    format: String,
  },
  {
    key: "pricePerInferenceUnitHour",
    env: "PRICE_PER_INFERENCE_UNIT_HOUR",
    default: 4,
    allowed: "a decimal number of USD above 0 and at most 1000, such as 4.00",
    parse: parsePrice,
    format: String,
  },
  {
    key: "logTtlDays",
    env: "LOG_TTL_DAYS",
    default: 400,
    allowed: "a whole number of days from 1 to 3650",
    parse: integerIn(1, 3650),
    format: String,
  },
  {
    key: "maxAttempts",
    // The AWS SDK's own name for the setting, so the function and any other SDK tool read it alike.
    env: "AWS_MAX_ATTEMPTS",
    default: 6,
    allowed: "a whole number of attempts per AWS call from 1 to 20",
    parse: integerIn(1, 20),
    format: String,
  },
  {
    key: "requireOptIn",
    env: "REQUIRE_OPT_IN",
    default: false,
    allowed: BOOLEAN_FORM,
    parse: parseBoolean,
    format: String,
  },
  {
    key: "rekognitionTps",
    env: "REKOGNITION_TPS",
    default: 5,
    allowed: "a whole number of calls per second from 1 to 100",
    parse: integerIn(1, 100),
    format: String,
  },
  {
    key: "metricsTps",
    env: "METRICS_TPS",
    default: 25,
    allowed: "a whole number of calls per second from 1 to 50 (GetMetricData's limit)",
    parse: integerIn(1, 50),
    format: String,
  },
  {
    key: "describeConcurrency",
    env: "DESCRIBE_CONCURRENCY",
    default: 4,
    allowed: "a whole number from 1 to 32",
    parse: integerIn(1, 32),
    format: String,
  },
  {
    key: "tagConcurrency",
    env: "TAG_CONCURRENCY",
    default: 4,
    allowed: "a whole number from 1 to 32",
    parse: integerIn(1, 32),
    format: String,
  },
  {
    key: "metricsConcurrency",
    env: "METRICS_CONCURRENCY",
    default: 4,
    allowed: "a whole number from 1 to 32",
    parse: integerIn(1, 32),
    format: String,
  },
  {
    key: "stopConcurrency",
    env: "STOP_CONCURRENCY",
    // Each stop is four calls in a row (log query, log write, stop, log update); the stop gate still paces them.
    default: 5,
    allowed: "a whole number from 1 to 32",
    parse: integerIn(1, 32),
    format: String,
  },
  {
    key: "deadlineMarginSeconds",
    env: "DEADLINE_MARGIN_SECONDS",
    default: 30,
    allowed: "a whole number of seconds from 5 to 150",
    parse: integerIn(5, 150),
    format: String,
  },
  {
    key: "overlapPhases",
    env: "OVERLAP_PHASES",
    default: true,
    allowed: `${BOOLEAN_FORM} (false: discovery, then tags, then metrics, as a baseline for benchmarks)`,
    parse: parseBoolean,
    format: String,
  },
  {
    key: "discovery",
    env: "DISCOVERY",
    // Chosen on `npm run bench`'s figures: see the README's "Two ways to discover".
    default: "metrics-first",
    allowed:
      "metrics-first (candidates from CloudWatch ListMetrics, only idle ones described) or full (every project described)",
    parse: parseDiscovery,
    format: String,
  },
  // Issue 12, the nightly run: the last look and warnings before a stop.
  {
    key: "lastLookMinutes",
    env: "LAST_LOOK_MINUTES",
    default: LATE_METRICS_MINUTES,
    allowed: `a whole number of minutes from ${LATE_METRICS_MINUTES} to 60 (CloudWatch's request metrics may arrive up to ${LATE_METRICS_MINUTES} minutes late, and the last look is there to see them)`,
    parse: integerIn(LATE_METRICS_MINUTES, 60),
    format: String,
  },
  {
    key: "warnBeforeStopHours",
    env: "WARN_BEFORE_STOP_HOURS",
    default: 0,
    allowed:
      "0 (no warning: idle models are stopped at once) or a whole number of hours from 1 to 168 (7 days)",
    parse: integerIn(0, 168),
    format: String,
  },
  // Events and the last-action tag: both best effort, neither ever holds back or undoes a stop.
  {
    key: "publishEvents",
    env: "PUBLISH_EVENTS",
    default: true,
    allowed: `${BOOLEAN_FORM} (false: no EventBridge event, and no events:PutEvents grant)`,
    parse: parseBoolean,
    format: String,
  },
  {
    key: "tagLastAction",
    env: "TAG_LAST_ACTION",
    default: true,
    allowed: `${BOOLEAN_FORM} (false: no last-action tag, and no rekognition:TagResource grant)`,
    parse: parseBoolean,
    format: String,
  },
  // Issue 12, the follow-ups: regret checks, starts by hand and restarts by rule.
  {
    key: "regretCheckMinutes",
    env: "REGRET_CHECK_MINUTES",
    default: 60,
    allowed:
      "0 (only the next nightly run checks a stop again) or a whole number of minutes from 15 to 1440 after a stop",
    parse: (raw: string) => (raw.trim() === "0" ? 0 : integerIn(15, 1440)(raw)),
    format: String,
  },
  {
    key: "restartLeadMinutes",
    env: "RESTART_LEAD_MINUTES",
    // Starting a model can take up to 30 minutes, and the follow-up function runs every 15.
    default: 45,
    allowed: `a whole number of minutes from 30 to ${MAX_RESTART_LEAD_MINUTES} before a restart rule's time`,
    parse: integerIn(30, MAX_RESTART_LEAD_MINUTES),
    format: String,
  },
] as SettingSpec[];

/** The settings with every default applied. */
export const DEFAULT_SETTINGS: StopperSettings = Object.freeze(
  Object.fromEntries(SETTINGS.map((spec) => [spec.key, spec.default])) as unknown as StopperSettings,
);

/**
 * Reads every setting through `lookup`, which returns the raw text for a spec or undefined when it is not set.
 * `describe` names the source in errors, e.g. `IDLE_MINUTES` or `context key idleMinutes`.
 */
export function readSettings(
  lookup: (spec: SettingSpec) => string | undefined,
  describe: (spec: SettingSpec) => string,
): StopperSettings {
  const values: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const raw = lookup(spec);
    if (raw === undefined) {
      values[spec.key] = spec.default;
      continue;
    }
    const value = spec.parse(raw);
    if (value === undefined) throw new InvalidSettingError(describe(spec), raw, spec.allowed);
    values[spec.key] = value;
  }
  // The stopper reads and writes tags whose keys are the opt-out key and a suffix: AWS refuses a key over 128.
  const key = values.optOutTagKey as string;
  if (key.length > MAX_OPT_OUT_KEY_LENGTH) {
    const spec = SETTINGS.find((candidate) => candidate.key === "optOutTagKey") as SettingSpec;
    throw new InvalidSettingError(describe(spec), key, optOutKeyTooLong(key));
  }
  return Object.freeze(values) as unknown as StopperSettings;
}

/** Why an opt-out key is too long, with its length, the cap and where the cap comes from. */
function optOutKeyTooLong(key: string): string {
  const derived = OPT_OUT_KEY_SUFFIXES.map((suffix) => `<key>${suffix}`).join(", ");
  return (
    `a tag key of at most ${MAX_OPT_OUT_KEY_LENGTH} characters, and this one has ${key.length}: the stopper ` +
    `reads and writes the tags ${derived}, AWS allows at most ${MAX_TAG_KEY_LENGTH} characters in a tag key, and ` +
    `the longest, <key>${LONGEST_OPT_OUT_KEY_SUFFIX}, leaves ${MAX_OPT_OUT_KEY_LENGTH} for the key`
  );
}

/** Parses the Lambda's environment. An empty variable counts as unset. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): StopperSettings {
  return readSettings(
    (spec) => (env[spec.env] === "" ? undefined : env[spec.env]),
    (spec) => spec.env,
  );
}

/** The environment variables that make the Lambda see `settings`. */
export function settingsToEnv(settings: StopperSettings): Record<string, string> {
  return Object.fromEntries(SETTINGS.map((spec) => [spec.env, spec.format(settings[spec.key] as never)]));
}
