import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../lambda/core/decide.ts";
import { judgeLastLook } from "../../lambda/core/last-look.ts";
import type { RequestEvidence, RequestMetric, RunningModel } from "../../lambda/core/types.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const FROM = NOW - 15 * MINUTE;
const AT = NOW + 20_000;
const IDLE_REASON = "idle: no requests from 2026-11-27T23:00:00Z to 2026-11-28T01:58:00Z, the newest metrics";

const model: RunningModel = {
  region: "us-east-1",
  projectArn: "arn:aws:rekognition:us-east-1:123456789012:project/cats/1700000000000",
  projectName: "cats",
  modelArn: "arn:aws:rekognition:us-east-1:123456789012:project/cats/version/cats.v1/1700000000001",
  versionName: "cats.v1",
};

const stop: Decision = {
  model,
  verdict: {
    action: "stop",
    reason: IDLE_REASON,
    facts: { idleMinutes: 180, inferenceUnits: 1, evidenceUntil: "2026-11-28T01:58:00Z" },
    cause: "idle",
  },
};

/** Request evidence with the given datapoints on one metric. */
const requests = (
  points: { at: number; value: number }[] = [],
  metric: RequestMetric = "SuccessfulRequestCount",
) =>
  ({
    requests: {
      SuccessfulRequestCount: [],
      UserErrorCount: [],
      ServerErrorCount: [],
      ThrottledCount: [],
      [metric]: points,
    },
  }) as RequestEvidence;

describe("the last look, judged", () => {
  const cases: {
    name: string;
    evidence: RequestEvidence;
    action: "stop" | "keep";
    cause: string;
    reason: string;
    lastLook: unknown;
  }[] = [
    {
      name: "no request in the span: still a stop, with what it saw",
      evidence: requests(),
      action: "stop",
      cause: "idle",
      reason: `${IDLE_REASON}; the last look from 2026-11-28T01:45:00Z to 2026-11-28T02:00:20Z saw no request either`,
      lastLook: { at: "2026-11-28T02:00:20Z", fromTime: "2026-11-28T01:45:00Z", requests: 0 },
    },
    {
      name: "zero-valued datapoints: no request",
      evidence: requests([{ at: NOW - MINUTE, value: 0 }]),
      action: "stop",
      cause: "idle",
      reason: `${IDLE_REASON}; the last look from 2026-11-28T01:45:00Z to 2026-11-28T02:00:20Z saw no request either`,
      lastLook: { at: "2026-11-28T02:00:20Z", fromTime: "2026-11-28T01:45:00Z", requests: 0 },
    },
    {
      name: "one request a minute before the run: kept",
      evidence: requests([{ at: NOW - MINUTE, value: 1 }]),
      action: "keep",
      cause: "in-use",
      reason:
        "kept at the last look: 1 request (1 successful) between 2026-11-28T01:45:00Z and 2026-11-28T02:00:20Z, " +
        `the last at 2026-11-28T01:59:00Z; before it: ${IDLE_REASON}`,
      lastLook: {
        at: "2026-11-28T02:00:20Z",
        fromTime: "2026-11-28T01:45:00Z",
        requests: 1,
        lastRequestAt: "2026-11-28T01:59:00Z",
      },
    },
    {
      name: "a throttled request: kept, a request of any kind counts",
      evidence: requests(
        [
          { at: NOW - 10 * MINUTE, value: 2 },
          { at: NOW - 3 * MINUTE, value: 1 },
        ],
        "ThrottledCount",
      ),
      action: "keep",
      cause: "in-use",
      reason:
        "kept at the last look: 3 requests (3 throttled) between 2026-11-28T01:45:00Z and 2026-11-28T02:00:20Z, " +
        `the last at 2026-11-28T01:57:00Z; before it: ${IDLE_REASON}`,
      lastLook: {
        at: "2026-11-28T02:00:20Z",
        fromTime: "2026-11-28T01:45:00Z",
        requests: 3,
        lastRequestAt: "2026-11-28T01:57:00Z",
      },
    },
    {
      name: "a request whose period began just before the span (a late one): kept",
      evidence: requests([{ at: FROM - MINUTE, value: 4 }], "ServerErrorCount"),
      action: "keep",
      cause: "in-use",
      reason:
        "kept at the last look: 4 requests (4 server error) between 2026-11-28T01:45:00Z and 2026-11-28T02:00:20Z, " +
        `the last at 2026-11-28T01:44:00Z; before it: ${IDLE_REASON}`,
      lastLook: {
        at: "2026-11-28T02:00:20Z",
        fromTime: "2026-11-28T01:45:00Z",
        requests: 4,
        lastRequestAt: "2026-11-28T01:44:00Z",
      },
    },
    {
      name: "the re-read failed: kept to be safe",
      evidence: { error: "GetMetricData failed: Throttling: Rate exceeded" },
      action: "keep",
      cause: "unsure",
      reason:
        "kept to be safe at the last look: could not re-read the request metrics (GetMetricData failed: " +
        `Throttling: Rate exceeded); before it: ${IDLE_REASON}`,
      lastLook: { at: "2026-11-28T02:00:20Z", error: "GetMetricData failed: Throttling: Rate exceeded" },
    },
  ];
  for (const { name, evidence, action, cause, reason, lastLook } of cases) {
    it(name, () => {
      // Act
      const looked = judgeLastLook(stop, { at: AT, from: FROM, evidence });

      // Assess
      assert.equal(looked.verdict.action, action);
      assert.equal(looked.verdict.cause, cause);
      assert.equal(looked.verdict.reason, reason);
      assert.deepEqual(looked.verdict.facts.lastLook, lastLook);
      assert.equal(
        looked.verdict.facts.evidenceUntil,
        "2026-11-28T01:58:00Z",
        "the decision's facts are kept",
      );
      assert.equal(looked.model, model);
    });
  }

  it("leaves a keep alone, whatever the re-read says", () => {
    const keep: Decision = {
      model,
      verdict: { action: "keep", reason: "in use", facts: { idleMinutes: 180 } },
    };
    assert.equal(
      judgeLastLook(keep, { at: AT, from: FROM, evidence: requests([{ at: NOW, value: 1 }]) }),
      keep,
    );
  });
});
