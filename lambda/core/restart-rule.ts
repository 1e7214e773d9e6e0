/**
 * The restart rule of a tag `<optOutTagKey>:restart=<when>`: when a model the stopper stopped should be running
 * again. A small grammar, `<days> <HH:MM> <time zone>`:
 *
 * - days: `daily`, `weekdays` (mon-fri), `weekends` (sat,sun), or day names `mon tue wed thu fri sat sun` as a
 *   comma-separated list and/or ranges (`mon,wed`, `mon-fri`, `fri-mon` wraps over the weekend);
 * - a 24-hour local time, `07:30` or `7:30`;
 * - an IANA time zone, validated with Intl: `UTC`, `Europe/Paris`, `America/New_York`.
 *
 * Words are case-insensitive. Local times follow the zone's daylight saving changes the way Temporal's
 * "compatible" disambiguation does: a time that does not exist (the clocks jump over it) is taken at the offset
 * before the jump, so it falls later by the gap (02:30 on the spring-forward night in Paris is 03:30 CEST); a time
 * that happens twice (the clocks fall back) is the earlier of the two. Pure: no clock, only Intl.
 */

/** What the grammar allows, for error messages and docs. */
export const RESTART_RULE_ALLOWED =
  "<days> <HH:MM> <time zone>, e.g. weekdays 07:30 Europe/Paris, daily 06:00 UTC or mon,wed 08:00 " +
  "America/New_York: days are daily, weekdays, weekends, or mon tue wed thu fri sat sun as a list and/or " +
  "ranges (mon,wed or mon-fri); the time is 24-hour local time; the zone is an IANA time zone name";

export { RESTART_SUFFIX } from "../../common/settings.ts";

/** A parsed rule. */
export interface RestartRule {
  /** The rule written the canonical way, e.g. `weekdays 07:30 Europe/Paris`. */
  readonly text: string;
  /** Local days it applies to, 0 = Sunday … 6 = Saturday. */
  readonly days: ReadonlySet<number>;
  readonly hour: number;
  readonly minute: number;
  /** The IANA zone as Intl resolved it. */
  readonly timeZone: string;
}

/** The outcome of parsing a tag value: the rule, or why it is not one. */
export type ParsedRestartRule = { readonly rule: RestartRule } | { readonly error: string };

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const WEEKDAYS = [1, 2, 3, 4, 5];
const WEEKENDS = [6, 0];
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
const TIME = /^(\d{1,2}):(\d{2})$/;
// Region/City names such as Europe/Paris or America/Argentina/Buenos_Aires, or UTC; no "+01:00" offsets.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

const dayIndex = (name: string) => DAY_NAMES.indexOf(name as (typeof DAY_NAMES)[number]);

/** The days of a days field, or an error naming the part that is not a day. */
function parseDays(field: string): ReadonlySet<number> | string {
  const word = field.toLowerCase();
  if (word === "daily") return new Set(ALL_DAYS);
  if (word === "weekdays") return new Set(WEEKDAYS);
  if (word === "weekends") return new Set(WEEKENDS);
  const days = new Set<number>();
  for (const part of word.split(",")) {
    const range = /^([a-z]+)-([a-z]+)$/.exec(part);
    if (range) {
      const [, from = "", to = ""] = range;
      const first = dayIndex(from);
      const last = dayIndex(to);
      if (first < 0 || last < 0) return `"${part}" is not a range of day names`;
      // A range may wrap over the end of the week: fri-mon is fri, sat, sun, mon.
      for (let day = first; ; day = (day + 1) % 7) {
        days.add(day);
        if (day === last) break;
      }
      continue;
    }
    const day = dayIndex(part);
    if (day < 0) return `"${part === "" ? field : part}" is not a day`;
    days.add(day);
  }
  return days;
}

/** The zone as Intl resolves it, or undefined when it is not an IANA name Intl knows. */
function resolveZone(name: string): string | undefined {
  if (!ZONE_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Parses a tag value. */
export function parseRestartRule(value: string): ParsedRestartRule {
  const fields = value.trim().split(/\s+/);
  const fail = (why: string): ParsedRestartRule => ({
    error: `${JSON.stringify(value)} is not a restart rule: ${why}. Allowed: ${RESTART_RULE_ALLOWED}`,
  });
  const count = fields[0] === "" ? 0 : fields.length;
  if (count !== 3) {
    return fail(
      count === 2 && TIME.test(fields[1] ?? "")
        ? "the time zone is missing (add one such as UTC or Europe/Paris)"
        : `it has ${count} part${count === 1 ? "" : "s"}, not 3`,
    );
  }
  const [daysField = "", timeField = "", zoneField = ""] = fields;
  const days = parseDays(daysField);
  if (typeof days === "string") return fail(days);
  const time = TIME.exec(timeField);
  const hour = Number(time?.[1]);
  const minute = Number(time?.[2]);
  if (!time || hour > 23 || minute > 59)
    return fail(`"${timeField}" is not a 24-hour time from 00:00 to 23:59`);
  const timeZone = resolveZone(zoneField);
  if (timeZone === undefined) return fail(`"${zoneField}" is not an IANA time zone`);
  return {
    rule: {
      text: `${describeDays(days)} ${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")} ${timeZone}`,
      days,
      hour,
      minute,
      timeZone,
    },
  };
}

/** The days the shortest way: daily, weekdays, weekends, else the day names in week order from Monday. */
function describeDays(days: ReadonlySet<number>): string {
  const same = (list: readonly number[]) => list.length === days.size && list.every((day) => days.has(day));
  if (same(ALL_DAYS)) return "daily";
  if (same(WEEKDAYS)) return "weekdays";
  if (same(WEEKENDS)) return "weekends";
  return [1, 2, 3, 4, 5, 6, 0]
    .filter((day) => days.has(day))
    .map((day) => DAY_NAMES[day])
    .join(",");
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local date and time of an instant in a zone, as the epoch ms of the same fields read as UTC. */
function localFields(instant: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(instant)) part[type] = Number(value);
  return Date.UTC(
    part.year ?? 1970,
    (part.month ?? 1) - 1,
    part.day ?? 1,
    part.hour ?? 0,
    part.minute ?? 0,
    part.second ?? 0,
  );
}

const DAY_MS = 86_400_000;

/** The zone's offset from UTC at an instant, in ms (whole seconds). */
const offsetAt = (instant: number, timeZone: string) =>
  localFields(instant, timeZone) - Math.floor(instant / 1000) * 1000;

/**
 * The instant of a local date-time (given as the epoch ms of its fields read as UTC) in a zone, disambiguated like
 * Temporal's "compatible": the earlier of two instants when the local time happens twice, and the offset from
 * before the change when it does not happen at all.
 */
export function zonedInstant(local: number, timeZone: string): number {
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  const fits = [local - before, local - after].filter((instant) => localFields(instant, timeZone) === local);
  if (fits.length > 0) return Math.min(...fits);
  // In the gap: the clocks jumped over this time; read it with the offset that held before the jump.
  return local - before;
}

/**
 * The first time the rule fires strictly after `after` (epoch ms). Every rule fires at least once a week, so the
 * search covers eight local days.
 */
export function nextOccurrence(rule: RestartRule, after: number): number {
  const today = localFields(after, rule.timeZone);
  const midnight = today - (today % DAY_MS);
  for (let day = -1; day <= 8; day += 1) {
    const date = midnight + day * DAY_MS;
    if (!rule.days.has(new Date(date).getUTCDay())) continue;
    const instant = zonedInstant(date + (rule.hour * 60 + rule.minute) * 60_000, rule.timeZone);
    if (instant > after) return instant;
  }
  // Unreachable for a parsed rule (it has at least one day); say so rather than loop.
  throw new Error(
    `restart rule ${rule.text} has no occurrence within a week of ${new Date(after).toISOString()}`,
  );
}
