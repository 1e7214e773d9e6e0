/**
 * The account `npm run demo` and `npm run sandbox` seed: a team's account on a Monday morning, a dozen models in
 * every situation the stopper meets. Its times are relative to `now`, so a run at any hour decides the same.
 *
 * One tag is wrong on purpose: `crop-health` carries `Auto-Stop=never`, which looks like an opt-out but is not the
 * key (`auto-stop`; tag keys are case-sensitive). Its model is stopped, and the run, `scan` and the digest say which
 * tag did nothing and the key that would have worked: the mistake a user makes with real models.
 */

import type { SeedProject } from "./seed.ts";

const HOUR_MINUTES = 60;
const DAY_MS = 86_400_000;

/** In service at `units` for the last `hours`, still running. */
const running = (hours: number, units = 1) => ({
  status: "RUNNING" as const,
  minInferenceUnits: units,
  inService: [{ fromMinutesAgo: hours * HOUR_MINUTES, toMinutesAgo: 0, units }],
});

/** The demo's projects and models, as seen at `now` (epoch ms). */
export function demoAccount(now: number): SeedProject[] {
  const inDays = (days: number) => new Date(now + days * DAY_MS).toISOString().slice(0, 10);
  return [
    {
      name: "defect-detection",
      tags: { team: "quality" },
      versions: [
        {
          name: "defect-detection.2026-11-20",
          ...running(72, 2),
          requests: [
            { minutesAgo: 4, count: 310 },
            { minutesAgo: 2, count: 7, metric: "UserErrorCount" },
          ],
        },
        { name: "defect-detection.2026-11-27", ...running(62, 2) },
        { name: "defect-detection.2026-10-01", status: "STOPPED" },
      ],
    },
    {
      name: "shelf-audit",
      tags: { team: "retail" },
      versions: [
        { name: "shelf-audit.v7", ...running(16, 1) },
        { name: "shelf-audit.v8", ...running(0.75, 1) },
        { name: "shelf-audit.v9", status: "STARTING", minInferenceUnits: 1 },
      ],
    },
    {
      name: "logo-finder",
      tags: { team: "brand", "auto-stop": "never" },
      versions: [{ name: "logo-finder.prod", ...running(400, 1) }],
    },
    {
      name: "pallet-counter",
      versions: [
        { name: "pallet-counter.v2", ...running(30, 4), tags: { "auto-stop": inDays(3) } },
        {
          name: "pallet-counter.v3",
          ...running(9, 1),
          requests: [{ minutesAgo: 95, count: 1, metric: "ThrottledCount" }],
        },
        { name: "pallet-counter.v1", status: "RUNNING", minInferenceUnits: 1 },
      ],
    },
    {
      name: "crop-health",
      // Deliberately the wrong key: see the file's comment.
      tags: { team: "agri", "Auto-Stop": "never" },
      versions: [{ name: "crop-health.2026-q4", ...running(48, 3) }],
    },
    {
      name: "moderation-adapter",
      feature: "CONTENT_MODERATION",
      versions: [{ name: "adapter-1", ...running(48, 1) }],
    },
  ];
}
