import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyStopCap, type Decision, decide, usageWindow } from "../../lambda/core/decide.ts";
import type {
  Datapoint,
  ModelUsage,
  RequestMetric,
  RunningModel,
  TagEvidence,
} from "../../lambda/core/types.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const IDLE = 180;
const WINDOW_START = NOW - IDLE * MINUTE;
/** Where the function starts reading the metrics: before the window, by the stale and gap tolerances. */
const READ_START = usageWindow(NOW, IDLE).queryStart;
/** The start of the window judged when the newest in-service data ends two minutes ago (the fixture's lag). */
const JUDGED_START = NOW - 2 * MINUTE - IDLE * MINUTE;

const model: RunningModel = {
  region: "us-east-1",
  projectArn: "arn:aws:rekognition:us-east-1:123456789012:project/cats/1700000000000",
  projectName: "cats",
  modelArn: "arn:aws:rekognition:us-east-1:123456789012:project/cats/version/cats.v1/1700000000001",
  versionName: "cats.v1",
  minInferenceUnits: 1,
};

/** One datapoint a minute from `from` up to (not including) `to`. */
function everyMinute(from: number, to: number, value: number): Datapoint[] {
  const points: Datapoint[] = [];
  for (let at = from; at < to; at += MINUTE) points.push({ at, value });
  return points;
}

/**
 * A model in service from `since` (or from the start of the read) until two minutes ago (CloudWatch lags), with the
 * given requests.
 */
function usage(
  options: {
    since?: number;
    inService?: Datapoint[];
    requests?: Partial<Record<RequestMetric, Datapoint[]>>;
    units?: number;
  } = {},
): ModelUsage {
  const since = options.since ?? WINDOW_START - 60 * MINUTE;
  return {
    requests: {
      SuccessfulRequestCount: [],
      UserErrorCount: [],
      ServerErrorCount: [],
      ThrottledCount: [],
      ...options.requests,
    },
    inService:
      options.inService ??
      everyMinute(Math.max(since, usageWindow(NOW, IDLE).queryStart), NOW - 2 * MINUTE, options.units ?? 2),
  };
}

const noTags: TagEvidence = { model: {}, project: {} };

function judge(overrides: Partial<Parameters<typeof decide>[0]> = {}) {
  return decide({
    model,
    tags: noTags,
    usage: usage(),
    now: NOW,
    idleMinutes: IDLE,
    optOutTagKey: "auto-stop",
    pricePerInferenceUnitHour: 4,
    ...overrides,
  });
}

describe("decide: usage", () => {
  it("stops a model with no requests that was in service for the whole window, and says why", () => {
    const verdict = judge();
    assert.equal(verdict.action, "stop");
    assert.equal(verdict.cause, "idle");
    assert.equal(
      verdict.reason,
      "idle: no requests from 2026-11-27T22:58:00Z to 2026-11-28T01:58:00Z, the newest metrics (3h00m idle " +
        "window); in service for the whole window at 2 inference units ($8.00/h)",
    );
    assert.deepEqual(verdict.facts, {
      idleMinutes: 180,
      inferenceUnits: 2,
      estimatedHourlyCostUsd: 8,
      requestsInWindow: 0,
      inServiceSince: "2026-11-27T22:40:00Z",
      // The end of the newest in-service datapoint: requests after it could not be seen yet.
      evidenceUntil: "2026-11-28T01:58:00Z",
    });
  });

  it("stops a model whose in-service data starts in the minute before the window", () => {
    const verdict = judge({
      usage: usage({ inService: everyMinute(WINDOW_START - MINUTE, NOW, 1) }),
    });
    assert.equal(verdict.action, "stop");
    assert.equal(verdict.facts.inServiceSince, "2026-11-27T22:59:00Z");
  });

  it("stops a model whose datapoint just before the window is missing, its data beginning earlier (a hiccup)", () => {
    const verdict = judge({
      usage: usage({
        inService: [
          ...everyMinute(WINDOW_START - 4 * MINUTE, WINDOW_START - 2 * MINUTE, 1),
          ...everyMinute(WINDOW_START, NOW - MINUTE, 1),
        ],
      }),
    });
    assert.equal(verdict.action, "stop");
    assert.equal(verdict.facts.inServiceSince, "2026-11-27T22:56:00Z");
  });

  it("keeps a model whose in-service data starts exactly at the start of the window: it may have come into service late in that minute", () => {
    const verdict = judge({ usage: usage({ inService: everyMinute(WINDOW_START, NOW - MINUTE, 1) }) });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.cause, "started-recently");
    assert.match(verdict.reason, /^started recently: in service since 2026-11-27T23:00:00Z \(3h00m ago\)/);
  });

  it("keeps a model that came into service one minute after the window started, saying when", () => {
    const verdict = judge({
      usage: usage({ inService: everyMinute(WINDOW_START + MINUTE, NOW - MINUTE, 1) }),
    });
    assert.equal(verdict.action, "keep");
    assert.match(verdict.reason, /^started recently: in service since 2026-11-27T23:01:00Z \(2h59m ago\)/);
  });

  const requestCases: { metric: RequestMetric; label: string }[] = [
    { metric: "SuccessfulRequestCount", label: "successful" },
    { metric: "UserErrorCount", label: "user error" },
    { metric: "ServerErrorCount", label: "server error" },
    { metric: "ThrottledCount", label: "throttled" },
  ];
  for (const { metric, label } of requestCases) {
    it(`keeps a model with a single ${metric} datapoint in the window`, () => {
      const at = NOW - 30 * MINUTE;
      const verdict = judge({ usage: usage({ requests: { [metric]: [{ at, value: 1 }] } }) });
      assert.equal(verdict.action, "keep");
      assert.equal(
        verdict.reason,
        `in use: 1 request since 2026-11-27T22:58:00Z (1 ${label}); last request at 2026-11-28T01:30:00Z`,
      );
      assert.equal(verdict.facts.lastRequestAt, "2026-11-28T01:30:00Z");
    });
  }

  it("counts a request in the first minute of the window", () => {
    const verdict = judge({
      usage: usage({ requests: { SuccessfulRequestCount: [{ at: WINDOW_START, value: 3 }] } }),
    });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.facts.requestsInWindow, 3);
  });

  it("says the requests were in the last idleMinutes when the newest metrics reach the run's clock", () => {
    const verdict = judge({
      usage: usage({
        inService: everyMinute(READ_START, NOW, 1),
        requests: { UserErrorCount: [{ at: NOW - 10 * MINUTE, value: 2 }] },
      }),
    });
    assert.equal(
      verdict.reason,
      "in use: 2 requests in the last 3h00m (2 user error); last request at 2026-11-28T01:50:00Z",
    );
  });

  it("ignores a request in the minute just before the window", () => {
    const verdict = judge({
      usage: usage({ requests: { SuccessfulRequestCount: [{ at: JUDGED_START - MINUTE, value: 3 }] } }),
    });
    assert.equal(verdict.action, "stop");
  });

  it("treats zero-valued request datapoints as no requests", () => {
    const zeros = everyMinute(WINDOW_START, NOW, 0);
    const verdict = judge({
      usage: usage({ requests: { SuccessfulRequestCount: zeros, UserErrorCount: zeros } }),
    });
    assert.equal(verdict.action, "stop");
  });

  it("sums requests across metrics and names each", () => {
    const verdict = judge({
      usage: usage({
        requests: {
          SuccessfulRequestCount: [{ at: NOW - 90 * MINUTE, value: 10 }],
          ThrottledCount: [{ at: NOW - 10 * MINUTE, value: 2 }],
        },
      }),
    });
    assert.equal(verdict.action, "keep");
    assert.match(
      verdict.reason,
      /^in use: 12 requests since 2026-11-27T22:58:00Z \(10 successful, 2 throttled\)/,
    );
    assert.equal(verdict.facts.lastRequestAt, "2026-11-28T01:50:00Z");
  });

  it("keeps a model with no in-service data at all: the evidence is insufficient", () => {
    const verdict = judge({ usage: usage({ inService: [] }) });
    assert.equal(verdict.action, "keep");
    assert.match(verdict.reason, /^insufficient evidence: no InServiceInferenceUnits data in the last 3h00m/);
    assert.equal(verdict.facts.inferenceUnits, 1, "falls back to MinInferenceUnits for the cost");
  });

  it("keeps a model whose in-service data has a long gap: it was restarted inside the window", () => {
    const restartedAt = NOW - 60 * MINUTE;
    const inService = [
      ...everyMinute(WINDOW_START - MINUTE, NOW - 120 * MINUTE, 1),
      ...everyMinute(restartedAt, NOW - MINUTE, 1),
    ];
    const verdict = judge({ usage: usage({ inService }) });
    assert.equal(verdict.action, "keep");
    assert.match(verdict.reason, /^started recently: in service since 2026-11-28T01:00:00Z \(1h00m ago\)/);
  });

  it("tolerates a short gap of a few missing minutes in the in-service data", () => {
    const inService = everyMinute(READ_START, NOW - MINUTE, 1).filter(
      (point) => point.at < NOW - 100 * MINUTE || point.at >= NOW - 97 * MINUTE,
    );
    assert.equal(judge({ usage: usage({ inService }) }).action, "stop");
  });

  it("keeps a model whose in-service data stopped arriving long ago", () => {
    const inService = everyMinute(WINDOW_START - MINUTE, NOW - 40 * MINUTE, 1);
    const verdict = judge({ usage: usage({ inService }) });
    assert.equal(verdict.action, "keep");
    assert.match(
      verdict.reason,
      /^insufficient evidence: InServiceInferenceUnits data stops at 2026-11-28T01:20:00Z/,
    );
  });

  it("keeps a model whose metrics could not be read", () => {
    const verdict = judge({ usage: { error: "ThrottlingException: Rate exceeded" } });
    assert.equal(verdict.action, "keep");
    assert.equal(
      verdict.reason,
      "kept to be safe: could not read metrics (ThrottlingException: Rate exceeded)",
    );
  });

  it("uses the latest in-service value as the model's inference units", () => {
    const inService = [...everyMinute(READ_START, NOW - 10 * MINUTE, 1), { at: NOW - 10 * MINUTE, value: 3 }];
    const verdict = judge({ usage: usage({ inService }), pricePerInferenceUnitHour: 4.25 });
    assert.equal(verdict.action, "stop");
    assert.equal(verdict.facts.inferenceUnits, 3);
    assert.equal(verdict.facts.estimatedHourlyCostUsd, 12.75);
  });

  it("takes a period with no unit in service (0, or not a number) as no evidence the model was in service", () => {
    // In service at 0 units from before the window, then at 1 unit only for the last hour: it started an hour ago.
    const inService = [
      ...everyMinute(WINDOW_START - 60 * MINUTE, NOW - 60 * MINUTE, 0),
      ...everyMinute(NOW - 60 * MINUTE, NOW - 2 * MINUTE, 1),
    ];
    const verdict = judge({ usage: usage({ inService }) });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.cause, "started-recently");
    assert.equal(verdict.facts.inServiceSince, "2026-11-28T01:00:00Z");

    const notNumbers = judge({
      usage: usage({ inService: everyMinute(WINDOW_START - MINUTE, NOW, Number.NaN) }),
    });
    assert.equal(notNumbers.action, "keep");
    assert.match(notNumbers.reason, /^insufficient evidence: no InServiceInferenceUnits data/);
  });
});

describe("decide: the evidence horizon", () => {
  // The horizon is the end of the newest InServiceInferenceUnits period, never past now.
  // The window judged ends there: its idleMinutes are all data CloudWatch has delivered.
  const horizonCases: { name: string; newestAt: number; horizon: string; start: string }[] = [
    {
      name: "a datapoint two minutes old",
      newestAt: NOW - 3 * MINUTE,
      horizon: "2026-11-28T01:58:00Z",
      start: "2026-11-27T22:58:00Z",
    },
    {
      name: "a datapoint of the minute just past",
      newestAt: NOW - MINUTE,
      horizon: "2026-11-28T02:00:00Z",
      start: "2026-11-27T23:00:00Z",
    },
    {
      name: "a datapoint of the current minute",
      newestAt: NOW,
      horizon: "2026-11-28T02:00:00Z",
      start: "2026-11-27T23:00:00Z",
    },
    {
      name: "a datapoint 14 minutes old",
      newestAt: NOW - 15 * MINUTE,
      horizon: "2026-11-28T01:46:00Z",
      start: "2026-11-27T22:46:00Z",
    },
  ];
  for (const { name, newestAt, horizon, start } of horizonCases) {
    it(`reaches the end of the newest in-service period, where the window ends: ${name}`, () => {
      const verdict = judge({
        usage: usage({ inService: everyMinute(READ_START, newestAt + MINUTE, 1) }),
      });
      assert.equal(verdict.action, "stop");
      assert.equal(verdict.facts.evidenceUntil, horizon);
      assert.match(verdict.reason, new RegExp(`^idle: no requests from ${start} to ${horizon}, `));
    });
  }

  it("keeps a model in service since before now's window but not since before the window ending at the evidence", () => {
    // The newest data is 14 minutes old: the window judged is 22:46 to 01:46, and the model came in at 22:50.
    const verdict = judge({
      usage: usage({ inService: everyMinute(NOW - 190 * MINUTE, NOW - 14 * MINUTE, 1) }),
    });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.cause, "started-recently");
    assert.match(verdict.reason, /^started recently: in service since 2026-11-27T22:50:00Z/);
  });

  it("names no window start earlier than the read when the in-service data is older than the stale tolerance", () => {
    // In service until 40 minutes ago, a request 30 minutes ago: in use, since the start of what was read.
    const verdict = judge({
      usage: usage({
        inService: everyMinute(READ_START, NOW - 40 * MINUTE, 1),
        requests: { SuccessfulRequestCount: [{ at: NOW - 30 * MINUTE, value: 3 }] },
      }),
    });
    assert.equal(verdict.action, "keep");
    assert.match(verdict.reason, /^in use: 3 requests since 2026-11-27T22:40:00Z /);
  });

  it("keeps a short window whose newest data is old: no idle minute is claimed without data", () => {
    // A 15-minute threshold, the newest data 15 minutes old: the window ends there, and the model came in before it.
    const inService = everyMinute(NOW - 45 * MINUTE, NOW - 14 * MINUTE, 1);
    const idle = judge({ idleMinutes: 15, usage: usage({ inService }) });
    assert.equal(idle.action, "stop");
    assert.match(idle.reason, /^idle: no requests from 2026-11-28T01:31:00Z to 2026-11-28T01:46:00Z, /);
    // In service only since 01:35: before, the window ending at now (01:45 to 02:00) would have passed it.
    const recent = judge({
      idleMinutes: 15,
      usage: usage({ inService: everyMinute(NOW - 25 * MINUTE, NOW - 14 * MINUTE, 1) }),
    });
    assert.equal(recent.action, "keep");
    assert.equal(recent.cause, "started-recently");
  });

  it("ends a five-minute period five minutes after its start", () => {
    const start = usageWindow(NOW, 2000).start;
    const inService: Datapoint[] = [];
    for (let at = start - 5 * MINUTE; at <= NOW - 10 * MINUTE; at += 5 * MINUTE)
      inService.push({ at, value: 1 });
    const verdict = judge({ idleMinutes: 2000, usage: usage({ inService }) });
    assert.equal(verdict.facts.evidenceUntil, "2026-11-28T01:55:00Z");
  });

  it("is stated on a busy model's facts too, and absent when there is no in-service data", () => {
    const busy = judge({
      usage: usage({ requests: { UserErrorCount: [{ at: NOW - 5 * MINUTE, value: 1 }] } }),
    });
    assert.equal(busy.action, "keep");
    assert.equal(busy.facts.evidenceUntil, "2026-11-28T01:58:00Z");
    assert.equal(judge({ usage: usage({ inService: [] }) }).facts.evidenceUntil, undefined);
  });

  it("is not known for a model the tags keep: its metrics are not read", () => {
    const verdict = judge({ tags: { model: { "auto-stop": "never" }, project: {} } });
    assert.equal(verdict.facts.evidenceUntil, undefined);
  });

  it("keeps a model with a request after the horizon: a request seen is a request, however late its metric", () => {
    const verdict = judge({
      usage: usage({ requests: { SuccessfulRequestCount: [{ at: NOW - MINUTE, value: 1 }] } }),
    });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.facts.evidenceUntil, "2026-11-28T01:58:00Z");
    assert.equal(verdict.facts.lastRequestAt, "2026-11-28T01:59:00Z");
  });
});

describe("decide: what a verdict rests on", () => {
  const causes: { name: string; input: Partial<Parameters<typeof decide>[0]>; cause: string }[] = [
    { name: "idle", input: {}, cause: "idle" },
    {
      name: "in use",
      input: { usage: usage({ requests: { ThrottledCount: [{ at: NOW - 9 * MINUTE, value: 1 }] } }) },
      cause: "in-use",
    },
    {
      name: "started recently",
      input: { usage: usage({ since: NOW - 60 * MINUTE }) },
      cause: "started-recently",
    },
    {
      name: "opted out",
      input: { tags: { model: { "auto-stop": "off" }, project: {} } },
      cause: "opted-out",
    },
    {
      name: "snoozed",
      input: { tags: { model: {}, project: { "auto-stop": "2027-01-01" } } },
      cause: "opted-out",
    },
    { name: "not opted in", input: { requireOptIn: true }, cause: "opted-out" },
    // Kept to be safe, but the owner tagged it to keep it: opted out, so that a warning is cleared by it.
    {
      name: "an invalid snooze date",
      input: { tags: { model: { "auto-stop": "2026-02-30" }, project: {} } },
      cause: "opted-out",
    },
    {
      name: "an opt-out value the stopper does not know",
      input: { tags: { model: {}, project: { "auto-stop": "keep" } } },
      cause: "opted-out",
    },
    {
      name: "an invalid threshold tag",
      input: { tags: { model: { "auto-stop:idle-minutes": "5" }, project: {} } },
      cause: "unsure",
    },
    { name: "unreadable tags", input: { tags: { error: "x" } }, cause: "unsure" },
    { name: "unreadable metrics", input: { usage: { error: "x" } }, cause: "unsure" },
    { name: "no in-service data", input: { usage: usage({ inService: [] }) }, cause: "unsure" },
    {
      name: "stale in-service data",
      input: { usage: usage({ inService: everyMinute(WINDOW_START - MINUTE, NOW - 40 * MINUTE, 1) }) },
      cause: "unsure",
    },
  ];
  for (const { name, input, cause } of causes) {
    it(`${name}: ${cause}`, () => {
      assert.equal(judge(input).cause, cause);
    });
  }
});

describe("decide: tags", () => {
  it("keeps a model whose tags could not be read", () => {
    const verdict = judge({ tags: { error: "AccessDeniedException: not allowed" } });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.reason, "kept to be safe: could not read tags (AccessDeniedException: not allowed)");
  });

  for (const value of ["false", "off", "no", "never", "disabled", "0", " Never ", "FALSE", "Off"]) {
    it(`keeps a model tagged auto-stop=${JSON.stringify(value)} on the model`, () => {
      const verdict = judge({ tags: { model: { "auto-stop": value }, project: {} } });
      assert.equal(verdict.action, "keep");
      assert.equal(verdict.reason, `opted out: tag auto-stop=${value} on the model`);
    });
  }

  it("keeps a model whose project is tagged auto-stop=never, whatever its usage", () => {
    const verdict = judge({ tags: { model: {}, project: { "auto-stop": "never" } } });
    assert.equal(verdict.action, "keep");
    assert.equal(verdict.reason, "opted out: tag auto-stop=never on the project");
  });

  it("reads the configured tag key only", () => {
    const tags = { model: { "auto-stop": "never" }, project: {} };
    assert.equal(judge({ tags, optOutTagKey: "cost:auto-stop" }).action, "stop");
    assert.equal(
      judge({ tags: { model: { "cost:auto-stop": "off" }, project: {} }, optOutTagKey: "cost:auto-stop" })
        .action,
      "keep",
    );
  });

  const snoozeCases: {
    value: string;
    where: "model" | "project";
    action: "stop" | "keep";
    reason?: RegExp;
  }[] = [
    {
      value: "2026-11-28T06:00:00Z",
      where: "model",
      action: "keep",
      reason: /^snoozed until 2026-11-28T06:00:00Z/,
    },
    {
      value: "2026-12-24",
      where: "project",
      action: "keep",
      reason: /^snoozed until 2026-12-24T00:00:00Z by tag auto-stop=2026-12-24 on the project/,
    },
    { value: "2026-11-28T04:00:00+03:00", where: "model", action: "stop" },
    {
      value: "2026-11-28T03:30:00+01:00",
      where: "model",
      action: "keep",
      reason: /^snoozed until 2026-11-28T02:30:00Z/,
    },
    { value: "2026-11-28T02:00:00Z", where: "model", action: "stop" },
    { value: "2026-11-28T02:00:01Z", where: "model", action: "keep" },
    { value: "2026-11-27", where: "project", action: "stop" },
    {
      value: "2026-02-30",
      where: "model",
      action: "keep",
      reason: /looks like a snooze date but is not a valid ISO-8601 date/,
    },
    { value: "2026-12-01T25:00", where: "project", action: "keep", reason: /not a valid ISO-8601 date/ },
    { value: "true", where: "model", action: "stop" },
    { value: " Yes ", where: "project", action: "stop" },
    { value: "1", where: "model", action: "stop" },
    {
      value: "someday",
      where: "project",
      action: "keep",
      reason: /^kept to be safe: tag auto-stop="someday" on the project is not a value the stopper knows/,
    },
    { value: "keep", where: "model", action: "keep", reason: /auto-stop="keep" on the model is not a value/ },
    { value: "", where: "model", action: "keep", reason: /auto-stop="" on the model is not a value/ },
    { value: "24/12/2026", where: "project", action: "keep", reason: /is not a value the stopper knows/ },
  ];
  for (const { value, where, action, reason } of snoozeCases) {
    it(`${action === "stop" ? "ignores" : "honours"} auto-stop=${JSON.stringify(value)} on the ${where} at 02:00Z`, () => {
      const tagged = { "auto-stop": value };
      const tags: TagEvidence =
        where === "model" ? { model: tagged, project: {} } : { model: {}, project: tagged };
      const verdict = judge({ tags });
      assert.equal(verdict.action, action, verdict.reason);
      if (reason) assert.match(verdict.reason, reason);
    });
  }

  it("still reports what an opted-out model costs to keep", () => {
    const verdict = judge({ tags: { model: { "auto-stop": "never" }, project: {} } });
    assert.equal(verdict.facts.inferenceUnits, 2);
    assert.equal(verdict.facts.estimatedHourlyCostUsd, 8);
  });

  it("checks the opt-out before the metrics: an opted-out model with unreadable metrics names the tag", () => {
    const verdict = judge({ tags: { model: {}, project: { "auto-stop": "off" } }, usage: { error: "boom" } });
    assert.equal(verdict.reason, "opted out: tag auto-stop=off on the project");
  });
});

describe("usageWindow", () => {
  it("uses one-minute periods up to a day and aligns the start to the period", () => {
    const window = usageWindow(NOW + 30_000, 180);
    assert.deepEqual(window, {
      start: WINDOW_START,
      end: NOW + 30_000,
      periodSeconds: 60,
      // The window judged may end as far back as the 15 minutes metrics may be late, and a gap of 5 is bridged.
      queryStart: WINDOW_START - 20 * MINUTE,
    });
  });

  it("uses five-minute periods for windows longer than a day", () => {
    const window = usageWindow(NOW + 7 * MINUTE, 10080);
    assert.equal(window.periodSeconds, 300);
    assert.equal(window.start, NOW - 10080 * MINUTE + 5 * MINUTE, "aligned down to five minutes");
  });

  it("judges a 7-day window with five-minute data", () => {
    const idleMinutes = 10080;
    const start = usageWindow(NOW, idleMinutes).start;
    const inService: Datapoint[] = [];
    for (let at = start - 10 * MINUTE; at < NOW - 5 * MINUTE; at += 5 * MINUTE)
      inService.push({ at, value: 1 });
    const verdict = judge({ idleMinutes, usage: usage({ inService }) });
    assert.equal(verdict.action, "stop");
    assert.match(
      verdict.reason,
      /^idle: no requests from 2026-11-21T01:55:00Z to 2026-11-28T01:55:00Z, the newest metrics \(7d00h00m idle window\)/,
    );
  });
});

describe("applyStopCap", () => {
  const decision = (name: string, cost: number | undefined, action: "stop" | "keep" = "stop"): Decision => ({
    model: {
      ...model,
      modelArn: `${model.projectArn.replace(/\/\d+$/, "")}/version/${name}/1`,
      versionName: name,
    },
    verdict: {
      action,
      reason: action === "stop" ? "idle: no requests" : "in use",
      facts: { idleMinutes: 180, ...(cost !== undefined && { estimatedHourlyCostUsd: cost }) },
    },
  });

  it("stops the most expensive models first and keeps the rest with a reason naming the cap", () => {
    const decisions = [decision("a", 4), decision("b", 12), decision("busy", 40, "keep"), decision("c", 8)];
    const capped = applyStopCap(decisions, 2);
    assert.equal(capped[0]?.verdict.cause, "held");
    assert.deepEqual(
      capped.map((d) => [d.model.versionName, d.verdict.action]),
      [
        ["a", "keep"],
        ["b", "stop"],
        ["busy", "keep"],
        ["c", "stop"],
      ],
    );
    assert.equal(
      capped[0]?.verdict.reason,
      "idle: no requests; but kept: this run reached its cap of 2 stops (MAX_STOPS_PER_RUN), it will be considered again next run",
    );
    assert.equal(capped[2]?.verdict.reason, "in use");
  });

  it("leaves every decision alone under the cap", () => {
    const decisions = [decision("a", 4), decision("b", undefined)];
    assert.deepEqual(applyStopCap(decisions, 2), decisions);
  });
});

describe("decide: per-model settings by tag", () => {
  const eightHoursIdle = usage({ inService: everyMinute(NOW - 9 * 60 * MINUTE, NOW - MINUTE, 1) });

  it("judges a model by its own auto-stop:idle-minutes tag, and says where the threshold came from", () => {
    const tags = { model: { "auto-stop:idle-minutes": "480" }, project: { "auto-stop:idle-minutes": "60" } };
    const verdict = judge({ tags, usage: eightHoursIdle });
    assert.equal(verdict.action, "stop");
    assert.equal(
      verdict.reason,
      "idle: no requests from 2026-11-27T17:59:00Z to 2026-11-28T01:59:00Z, the newest metrics (8h00m idle " +
        "window, threshold from tag auto-stop:idle-minutes=480 on the model); in service for the whole window at " +
        "1 inference unit ($4.00/h)",
    );
    assert.equal(verdict.facts.idleMinutes, 480);
  });

  it("keeps a model whose longer threshold from its project is not reached yet", () => {
    const tags = { model: {}, project: { "auto-stop:idle-minutes": "720" } };
    const verdict = judge({ tags, usage: eightHoursIdle });
    assert.equal(verdict.action, "keep");
    assert.match(
      verdict.reason,
      /^started recently: .* less than the 12h00m idle window \(threshold from tag auto-stop:idle-minutes=720 on the project\)/,
    );
  });

  for (const value of ["abc", "10", "10081", "90.5", ""]) {
    it(`keeps a model whose idle-minutes tag is ${JSON.stringify(value)}, naming the tag and what is allowed`, () => {
      const verdict = judge({ tags: { model: { "auto-stop:idle-minutes": value }, project: {} } });
      assert.equal(verdict.action, "keep");
      assert.equal(
        verdict.reason,
        `kept to be safe: tag auto-stop:idle-minutes=${value} on the model is not a whole number of minutes from 15 to 10080`,
      );
    });
  }

  it("in opt-in mode, keeps a model nobody opted in", () => {
    const verdict = judge({ requireOptIn: true });
    assert.equal(verdict.action, "keep");
    assert.equal(
      verdict.reason,
      "not opted in: REQUIRE_OPT_IN is on and neither the model nor its project has the tag auto-stop=true",
    );
  });

  for (const where of ["model", "project"] as const) {
    it(`in opt-in mode, stops an idle model opted in on the ${where}`, () => {
      const tagged = { "auto-stop": " TRUE " };
      const tags: TagEvidence =
        where === "model" ? { model: tagged, project: {} } : { model: {}, project: tagged };
      assert.equal(judge({ requireOptIn: true, tags }).action, "stop");
    });
  }

  it("lets an opt-out on the model win over an opt-in on the project", () => {
    const tags = { model: { "auto-stop": "never" }, project: { "auto-stop": "true" } };
    assert.equal(judge({ requireOptIn: true, tags }).reason, "opted out: tag auto-stop=never on the model");
  });
});

describe("decide: an opt-out key named like a member of every JavaScript object", () => {
  // AWS allows these tag keys; a plain object read by key would find Object.prototype's member for them.
  const eightHoursIdle = usage({ inService: everyMinute(NOW - 9 * 60 * MINUTE, NOW - MINUTE, 1) });
  // Built the way the SDK builds a tag map from JSON: `{ __proto__: … }` written literally would set the prototype.
  const tagged = (key: string, value: string): Record<string, string> => Object.fromEntries([[key, value]]);

  for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
    it(`with ${key}, judges a model without tags on its metrics and stops it when idle`, () => {
      const verdict = judge({ optOutTagKey: key });
      assert.equal(verdict.action, "stop", verdict.reason);
      assert.match(verdict.reason, /^idle: no requests/);
    });

    it(`with ${key}, keeps a model tagged ${key}=false, and one whose project is tagged ${key}=never`, () => {
      const onModel = judge({ optOutTagKey: key, tags: { model: tagged(key, "false"), project: {} } });
      const onProject = judge({ optOutTagKey: key, tags: { model: {}, project: tagged(key, "never") } });
      assert.equal(onModel.action, "keep");
      assert.equal(onModel.reason, `opted out: tag ${key}=false on the model`);
      assert.equal(onProject.action, "keep");
      assert.equal(onProject.reason, `opted out: tag ${key}=never on the project`);
    });

    it(`with ${key}, reads ${key}:idle-minutes as the model's threshold`, () => {
      const tags = { model: tagged(`${key}:idle-minutes`, "480"), project: {} };
      const verdict = judge({ optOutTagKey: key, tags, usage: eightHoursIdle });
      assert.equal(verdict.action, "stop", verdict.reason);
      assert.equal(verdict.facts.idleMinutes, 480);
      assert.match(verdict.reason, new RegExp(`threshold from tag ${key}:idle-minutes=480 on the model`));
    });

    it(`with ${key} in opt-in mode, keeps a model without tags and stops one tagged ${key}=true`, () => {
      const untagged = judge({ optOutTagKey: key, requireOptIn: true });
      const optedIn = judge({
        optOutTagKey: key,
        requireOptIn: true,
        tags: { model: tagged(key, "true"), project: {} },
      });
      assert.equal(untagged.action, "keep");
      assert.equal(
        untagged.reason,
        `not opted in: REQUIRE_OPT_IN is on and neither the model nor its project has the tag ${key}=true`,
      );
      assert.equal(optedIn.action, "stop", optedIn.reason);
    });
  }
});
