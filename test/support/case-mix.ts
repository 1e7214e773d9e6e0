/**
 * The case mix of the main end-to-end scenario ("one run over the wire"): one model or project for every decision
 * branch, as seed data relative to a fixed `now`.
 */

import type { SeedProject, SeedVersion } from "../../sandbox/index.ts";

const HOUR = 3_600_000;

/** In service for the last 10 hours at `units` inference units, with no request. */
export const idleFor10Hours = (units = 1): Pick<SeedVersion, "inService"> => ({
  inService: [{ fromMinutesAgo: 10 * 60, toMinutesAgo: 0, units }],
});

/**
 * Busy, busy with errors, idle at 2 units, started recently, no data, opted out, snoozed, snooze over, already
 * stopped, starting, a project opted out, a project whose snooze is over, and a Content Moderation adapter. With the
 * default 3-hour window, exactly `cases/idle`, `cases/snooze-over` and `over-project/v1.0` are stopped.
 */
export function mainCaseMix(now: number): SeedProject[] {
  const isoAt = (epochMs: number) => new Date(epochMs).toISOString();
  const idle = idleFor10Hours;
  return [
    {
      name: "cases",
      versions: [
        { name: "busy", status: "RUNNING", ...idle(), requests: [{ minutesAgo: 30, count: 12 }] },
        {
          name: "busy-with-errors",
          status: "RUNNING",
          ...idle(),
          requests: [{ minutesAgo: 10, count: 2, metric: "UserErrorCount" }],
        },
        { name: "idle", status: "RUNNING", minInferenceUnits: 2, maxInferenceUnits: 3, ...idle(2) },
        { name: "recent", status: "RUNNING", inService: [{ fromMinutesAgo: 60, toMinutesAgo: 0, units: 1 }] },
        { name: "no-data", status: "RUNNING" },
        { name: "opted-out", status: "RUNNING", tags: { "auto-stop": " Never " }, ...idle() },
        { name: "snoozed", status: "RUNNING", tags: { "auto-stop": isoAt(now + 24 * HOUR) }, ...idle() },
        { name: "snooze-over", status: "RUNNING", tags: { "auto-stop": isoAt(now - HOUR) }, ...idle() },
        { name: "already-stopped", status: "STOPPED", ...idle() },
        { name: "starting", status: "STARTING" },
      ],
    },
    {
      name: "kept-project",
      tags: { "auto-stop": "off" },
      versions: [{ name: "v1", status: "RUNNING", ...idle() }],
    },
    {
      name: "over-project",
      tags: { "auto-stop": "2020-01-01" },
      versions: [{ name: "v1.0", status: "RUNNING", ...idle() }],
    },
    {
      name: "moderation",
      feature: "CONTENT_MODERATION",
      versions: [{ name: "adapter", status: "RUNNING", ...idle() }],
    },
  ];
}
