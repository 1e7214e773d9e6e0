/**
 * Reads the opt-out tag. The value is trimmed and compared case-insensitively:
 * - `false`, `off`, `no`, `never`, `disabled` or `0`: never stop;
 * - an ISO-8601 date or date-time in the future: snoozed until then (a past one has no effect);
 * - something that looks like a date but is not a valid one: kept, because the owner clearly meant a snooze;
 * - `true`, `on`, `yes`, `enabled` or `1`: may be stopped (the opt-in of `requireOptIn`);
 * - any other value (`keep`, `skip`, an empty value, `24/12/2026`…): kept to be safe. The owner tagged the model to
 *   say something, and a wrong stop costs more than a model kept one run too long.
 */

import { formatTime } from "./format.ts";

/** What one tag value means for the stopper. */
export type OptOut =
  | { readonly kind: "none" }
  | { readonly kind: "never"; readonly value: string }
  | { readonly kind: "snoozed"; readonly value: string; readonly until: number }
  | { readonly kind: "invalid-date"; readonly value: string }
  | { readonly kind: "unknown"; readonly value: string };

const NEVER_WORDS = new Set(["false", "off", "no", "never", "disabled", "0"]);

/** The values that let a model be stopped: `true` opts it in when `requireOptIn` is on. */
export const MAY_STOP_WORDS: ReadonlySet<string> = new Set(["true", "on", "yes", "enabled", "1"]);

// YYYY-MM-DD, optionally followed by THH:MM[:SS[.fff]] and Z or ±HH:MM. Without a zone, UTC is meant.
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Parses an ISO-8601 date or date-time to epoch ms, or returns undefined when it is not a real instant. */
export function parseIsoInstant(text: string): number | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", zone = "Z"] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const utc = Date.UTC(
    year,
    month - 1,
    day,
    hour,
    minute,
    second,
    Number(fraction.padEnd(3, "0").slice(0, 3)),
  );
  // Date.UTC rolls 2026-02-30 over to March; a round trip catches impossible dates and times.
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  if (zone.toUpperCase() === "Z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2, 4));
  if (offsetHours > 14 || offsetMinutes > 59) return undefined;
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** Interprets one opt-out tag value at `now` (epoch ms). Undefined means the tag is absent. */
export function parseOptOut(value: string | undefined, now: number): OptOut {
  if (value === undefined) return { kind: "none" };
  const text = value.trim();
  const word = text.toLowerCase();
  if (NEVER_WORDS.has(word)) return { kind: "never", value };
  if (MAY_STOP_WORDS.has(word)) return { kind: "none" };
  if (!DATE_LIKE.test(text)) return { kind: "unknown", value };
  const until = parseIsoInstant(text);
  if (until === undefined) return { kind: "invalid-date", value };
  return until > now ? { kind: "snoozed", value, until } : { kind: "none" };
}

/** A sentence explaining why an opt-out keeps the model, naming the tag and where it was found. */
export function describeOptOut(optOut: OptOut, key: string, where: "model" | "project"): string | undefined {
  switch (optOut.kind) {
    case "none":
      return undefined;
    case "never":
      return `opted out: tag ${key}=${optOut.value} on the ${where}`;
    case "snoozed":
      return `snoozed until ${formatTime(optOut.until)} by tag ${key}=${optOut.value} on the ${where}`;
    case "invalid-date":
      return (
        `tag ${key}=${optOut.value} on the ${where} looks like a snooze date but is not a valid ISO-8601 date; ` +
        "kept to be safe (use e.g. 2026-12-24 or 2026-12-24T18:00:00Z)"
      );
    case "unknown":
      return (
        `kept to be safe: tag ${key}=${JSON.stringify(optOut.value)} on the ${where} is not a value the stopper ` +
        "knows (never, false, off, no, disabled or 0 keeps the model; an ISO-8601 date such as 2026-12-24 snoozes " +
        "it; true, on, yes, enabled or 1 lets it be stopped, and with REQUIRE_OPT_IN only true opts it in)"
      );
  }
}
