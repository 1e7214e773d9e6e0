/**
 * The screen of metrics-first discovery: which models its metrics alone keep (judged by name, never described),
 * which may be idle (described, then judged with their tags), and which are no longer in service at all.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { screen } from "../../lambda/core/screen.ts";
import type { Datapoint, ModelUsage, RequestMetric, UsageEvidence } from "../../lambda/core/types.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const IDLE = 180;

/** One datapoint a minute from `from` up to (not including) `to`. */
function everyMinute(from: number, to: number, value: number): Datapoint[] {
  const points: Datapoint[] = [];
  for (let at = from; at < to; at += MINUTE) points.push({ at, value });
  return points;
}

/** In service from `fromMinutesAgo` until `toMinutesAgo`, with the given requests. */
function usage(
  fromMinutesAgo: number,
  toMinutesAgo = 2,
  requests: Partial<Record<RequestMetric, Datapoint[]>> = {},
  units = 2,
): ModelUsage {
  return {
    requests: {
      SuccessfulRequestCount: [],
      UserErrorCount: [],
      ServerErrorCount: [],
      ThrottledCount: [],
      ...requests,
    },
    inService: everyMinute(NOW - fromMinutesAgo * MINUTE, NOW - toMinutesAgo * MINUTE, units),
  };
}

const screenOf = (evidence: UsageEvidence) =>
  screen({ usage: evidence, now: NOW, idleMinutes: IDLE, pricePerInferenceUnitHour: 4 });

describe("the screen of metrics-first discovery", () => {
  const cases: { name: string; usage: UsageEvidence; kind: string; reason: RegExp }[] = [
    {
      name: "in service all window, no request: idle, to be confirmed with its tags",
      usage: usage(IDLE + 60),
      kind: "idle",
      reason:
        /^idle: no requests from 2026-11-27T22:58:00Z to 2026-11-28T01:58:00Z, the newest metrics \(3h00m idle window\); in service for the whole window at 2 inference units \(\$8\.00\/h\)$/,
    },
    {
      name: "a request in the window: kept whatever its tags say",
      usage: usage(IDLE + 60, 2, { SuccessfulRequestCount: [{ at: NOW - 30 * MINUTE, value: 4 }] }),
      kind: "keep",
      reason: /^in use: 4 requests since 2026-11-27T22:58:00Z/,
    },
    {
      name: "a throttled request counts as use",
      usage: usage(IDLE + 60, 2, { ThrottledCount: [{ at: NOW - IDLE * MINUTE, value: 1 }] }),
      kind: "keep",
      reason: /^in use: 1 request .*1 throttled/,
    },
    {
      name: "in service since inside the window: started recently",
      usage: usage(IDLE - 1),
      kind: "keep",
      reason: /^started recently: in service since 2026-11-27T23:01:00Z/,
    },
    {
      name: "in service since exactly the window's start: started recently (it may have started late in that minute)",
      usage: usage(IDLE),
      kind: "keep",
      reason: /^started recently: in service since 2026-11-27T23:00:00Z/,
    },
    {
      // The window ends at the newest data, two minutes ago: it starts at 22:58.
      name: "in service since the minute before the window: idle",
      usage: usage(IDLE + 3),
      kind: "idle",
      reason: /^idle:/,
    },
    {
      // Stopped at 01:00 and started again (by its restart rule, the regret check or by hand) at 01:30.
      name: "in service, stopped, and in service again since inside the window: started recently, since the restart",
      usage: {
        ...usage(IDLE + 60, 60),
        inService: [
          ...everyMinute(NOW - (IDLE + 60) * MINUTE, NOW - 60 * MINUTE, 2),
          ...everyMinute(NOW - 30 * MINUTE, NOW - 2 * MINUTE, 2),
        ],
      },
      kind: "keep",
      reason: /^started recently: in service since 2026-11-28T01:30:00Z \(30m ago\)/,
    },
    {
      name: "metrics that could not be read: kept to be safe",
      usage: { error: "GetMetricData failed: Throttling" },
      kind: "keep",
      reason: /^kept to be safe: could not read metrics \(GetMetricData failed: Throttling\)$/,
    },
    {
      name: "no in-service data in the window (listed for data older than the window): not in service",
      usage: usage(0, 0),
      kind: "not-in-service",
      reason: /^no InServiceInferenceUnits data in the last 3h20m$/,
    },
    {
      name: "in-service data that stopped 16 minutes ago: the model stopped, not judged",
      usage: usage(IDLE + 60, 16),
      kind: "not-in-service",
      reason: /^InServiceInferenceUnits data stops at 2026-11-28T01:44:00Z \(16m ago\)$/,
    },
    {
      name: "in-service data that stopped 15 minutes ago: still taken as in service",
      usage: usage(IDLE + 60, 15),
      kind: "idle",
      reason: /^idle:/,
    },
    {
      name: "a stopped model called before it stopped: not in service, not listed as in use",
      usage: usage(IDLE + 60, 40, { SuccessfulRequestCount: [{ at: NOW - 60 * MINUTE, value: 2 }] }),
      kind: "not-in-service",
      reason: /data stops at/,
    },
  ];
  for (const { name, usage: evidence, kind, reason } of cases) {
    it(name, () => {
      // Act
      const screened = screenOf(evidence);

      // Assess
      assert.equal(screened.kind, kind);
      assert.match("verdict" in screened ? screened.verdict.reason : screened.reason, reason);
    });
  }

  it("says what an idle model costs an hour, so the most expensive are examined first", () => {
    // Act
    const screened = screenOf(usage(IDLE + 60, 2, {}, 3));

    // Assess
    assert.equal(screened.kind, "idle");
    assert.equal("verdict" in screened && screened.verdict.facts.estimatedHourlyCostUsd, 12);
  });

  it("states how far its evidence reaches, as decide does, for a model judged by name and for a candidate alike", () => {
    // Act
    const idle = screenOf(usage(IDLE + 60, 2));
    const busy = screenOf(
      usage(IDLE + 60, 2, { SuccessfulRequestCount: [{ at: NOW - 30 * MINUTE, value: 4 }] }),
    );

    // Assess: the end of the newest in-service minute.
    assert.equal("verdict" in idle && idle.verdict.facts.evidenceUntil, "2026-11-28T01:58:00Z");
    assert.equal("verdict" in busy && busy.verdict.facts.evidenceUntil, "2026-11-28T01:58:00Z");
    assert.equal("verdict" in busy && busy.verdict.cause, "in-use");
  });
});
