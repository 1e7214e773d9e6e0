/** Small formatters for reasons a person reads. */

const MINUTE_MS = 60_000;

/** Formats a duration as `45m`, `3h00m` or `2d04h10m`; rounds down to the minute. */
export function formatDuration(ms: number): string {
  const totalMinutes = Math.max(0, Math.floor(ms / MINUTE_MS));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  const mm = String(minutes).padStart(2, "0");
  if (days > 0) return `${days}d${String(hours).padStart(2, "0")}h${mm}m`;
  if (hours > 0) return `${hours}h${mm}m`;
  return `${minutes}m`;
}

/** Formats an epoch-ms time as ISO-8601 UTC without milliseconds, e.g. `2026-11-28T02:00:00Z`. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Formats USD with two decimals, e.g. `$8.00/h`. */
export function formatHourlyCost(usd: number): string {
  return `$${usd.toFixed(2)}/h`;
}

/** A count and its noun, singular for exactly one: `1 request`, `2 requests`, `0 stops`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
