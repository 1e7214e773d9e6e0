import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { regretCheck } from "../../lambda/phases/regret-check.ts";
import { awsError, configWith, MINUTE, NOW, REGION } from "./fakes.ts";
import { followedStop, followUpWorld, requestsAt } from "./follow-up-fixtures.ts";

const config = configWith();

/** The regret check of `followed`, run by the follow-up or the nightly run "run-now" at the world's `now`. */
const checkAs = (
  deps: ReturnType<typeof followUpWorld>,
  followed: Parameters<typeof regretCheck>[2]["followed"],
  by: "follow-up" | "nightly",
  options: { readonly runId?: string; readonly config?: typeof config } = {},
) =>
  regretCheck(deps, options.config ?? config, {
    runId: options.runId ?? "run-now",
    now: deps.now,
    followed,
    by,
  });

describe("the regret check phase", () => {
  const due: { by: "follow-up" | "nightly"; minutes: string; after: number; checked: boolean }[] = [
    { by: "follow-up", minutes: "60", after: 59, checked: false },
    { by: "follow-up", minutes: "60", after: 61, checked: true },
    { by: "follow-up", minutes: "0", after: 600, checked: false },
    { by: "nightly", minutes: "0", after: 5, checked: true },
    { by: "nightly", minutes: "60", after: 5, checked: true },
  ];
  for (const { by, minutes, after, checked } of due) {
    it(`run by the ${by} with regretCheckMinutes=${minutes}, ${after} minutes after the stop: ${checked ? "checks it" : "waits"}`, async () => {
      // Prepare
      const stop = followedStop("cats", "v1");
      const deps = followUpWorld([stop], NOW + after * MINUTE);

      // Act
      const result = await checkAs(deps, [stop], by, {
        config: configWith({ REGRET_CHECK_MINUTES: minutes }),
      });

      // Assess
      assert.equal(result.checked, checked ? 1 : 0);
      assert.equal(deps.usage.requestCalls.length, checked ? 1 : 0);
      assert.equal(deps.record(stop.modelArn)?.regretCheckedAt !== undefined, checked);
      assert.deepEqual(result.restarted, []);
    });
  }

  it("leaves the run's own stops alone: a retried nightly invocation is the same run, and sees no more", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop], NOW + 5 * MINUTE);

    // Act
    const result = await checkAs(deps, [stop], "nightly", { runId: stop.runId });

    // Assess
    assert.equal(result.checked, 0);
    assert.deepEqual(deps.directory.calls, []);
  });

  it("reads the requests of every due stop of a region in one call, from 15 minutes before the decisions to the stops", async () => {
    // Prepare
    const stops = [followedStop("cats", "v1"), followedStop("cats", "v2"), followedStop("dogs", "v1")];
    const deps = followUpWorld(stops);

    // Act
    await checkAs(deps, stops, "follow-up");

    // Assess
    assert.deepEqual(
      deps.usage.requestCalls.map(({ region, arns }) => [region, arns.length]),
      [[REGION, 3]],
    );
    const { range } = deps.usage.requestCalls[0] ?? {};
    assert.deepEqual(
      [
        new Date(range?.start ?? 0).toISOString(),
        new Date(range?.end ?? 0).toISOString(),
        range?.periodSeconds,
      ],
      ["2026-11-28T01:45:00.000Z", "2026-11-28T02:02:00.000Z", 60],
    );
  });

  it("reads stops days apart in calls of their own, so no call reads days of minutes", async () => {
    // Prepare
    const recent = followedStop("cats", "v1");
    const older = {
      ...followedStop("dogs", "v1"),
      stoppedAt: "2026-11-25T02:00:00.000Z",
      completedAt: "2026-11-25T02:00:05.000Z",
      evidenceUntil: "2026-11-25T01:58:00.000Z",
    };
    const deps = followUpWorld([recent, older]);

    // Act
    await checkAs(deps, [recent, older], "nightly");

    // Assess
    assert.deepEqual(
      deps.usage.requestCalls.map(({ arns, range }) => [arns, new Date(range.start).toISOString()]),
      [
        [[older.modelArn], "2026-11-25T01:45:00.000Z"],
        [[recent.modelArn], "2026-11-28T01:45:00.000Z"],
      ],
    );
  });

  it("never checks a warning: a warning is not a stop, there is nothing to undo", async () => {
    // Prepare
    const warning = { ...followedStop("cats", "v1"), kind: "warning" as const, status: "WARNED" };
    const deps = followUpWorld([warning]);
    deps.usage.requests.set(warning.modelArn, requestsAt("2026-11-28T01:59:00Z"));

    // Act
    const result = await checkAs(deps, [warning], "nightly");

    // Assess
    assert.equal(result.checked, 0);
    assert.deepEqual(result.restarted, []);
    assert.equal(deps.usage.requestCalls.length, 0);
    assert.equal(deps.record(warning.modelArn)?.regretCheckedAt, undefined);
  });

  it("starts the model again with its recorded units when a request arrived between the horizon and the stop", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:59:00Z"));

    // Act
    const result = await checkAs(deps, [stop], "follow-up");

    // Assess
    assert.deepEqual(
      result.restarted.map(({ by, reason, hourlyCostUsd }) => ({ by, reason, hourlyCostUsd })),
      [
        {
          by: "regret",
          reason: "regretted: a request at 2026-11-28T01:59:00Z arrived before the stop",
          hourlyCostUsd: 8,
        },
      ],
    );
    assert.deepEqual(result.remaining, []);
    // Write-ahead: the record is claimed before the start and completed after it.
    assert.deepEqual(
      deps.directory.calls.filter((call) => !call.startsWith("modelStatus")),
      [
        `changeFollowUp ${stop.modelArn} claim-restart`,
        `startModel ${REGION} ${stop.modelArn} 2-3`,
        `changeFollowUp ${stop.modelArn} restarted`,
      ],
    );
    const record = deps.record(stop.modelArn);
    assert.equal(record?.status, "RESTARTED");
    assert.equal(record?.restartedBy, "regret");
    assert.equal(record?.followUpRegion, undefined);
  });

  it("starts the model again for a request just before the evidence horizon whose datapoint came after the last look", async () => {
    // Prepare: the decision at 02:00 saw in-service data to 01:58; the request at 01:57 reached CloudWatch late,
    // after the last look too, so neither saw it (a request seen would have kept the model).
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    deps.usage.requests.set(stop.modelArn, requestsAt("2026-11-28T01:57:00Z"));

    // Act
    const result = await checkAs(deps, [stop], "follow-up");

    // Assess
    assert.deepEqual(
      result.restarted.map((restart) => [restart.reason, restart.lateRequests?.from]),
      [
        [
          "regretted: a request at 2026-11-28T01:57:00Z arrived before the stop",
          Date.parse("2026-11-28T01:45:00Z"),
        ],
      ],
    );
    assert.equal(deps.record(stop.modelArn)?.status, "RESTARTED");
  });

  const outside: [string, string][] = [
    ["more than 15 minutes before the decision (CloudWatch has had it since)", "2026-11-28T01:44:00Z"],
    ["after the stop (the model was no longer running)", "2026-11-28T02:01:00Z"],
  ];
  for (const [when, at] of outside) {
    it(`does not restart for a request ${when}`, async () => {
      // Prepare
      const stop = followedStop("cats", "v1");
      const deps = followUpWorld([stop]);
      deps.usage.requests.set(stop.modelArn, requestsAt(at));

      // Act
      const result = await checkAs(deps, [stop], "follow-up");

      // Assess
      assert.deepEqual(result.restarted, []);
      assert.ok(!deps.directory.calls.some((call) => call.startsWith("startModel")));
      assert.ok(deps.record(stop.modelArn)?.regretCheckedAt);
    });
  }

  it("says so on a record with no evidence horizon, reading nothing", async () => {
    // Prepare
    const { evidenceUntil: _, ...older } = followedStop("cats", "v1");
    const deps = followUpWorld([older]);

    // Act
    const result = await checkAs(deps, [older], "nightly");

    // Assess
    assert.equal(result.checked, 1);
    assert.equal(deps.usage.requestCalls.length, 0);
    assert.match(
      String(deps.record(older.modelArn)?.note),
      /^no regret check: the record has no evidenceUntil/,
    );
  });

  it("reports metrics it could not read and leaves the stop to be checked again", async () => {
    // Prepare
    const stop = followedStop("cats", "v1");
    const deps = followUpWorld([stop]);
    deps.usage.requestFailure = awsError("ThrottlingException", "Rate exceeded");

    // Act
    const result = await checkAs(deps, [stop], "follow-up");

    // Assess
    assert.deepEqual(result.errors, [
      {
        arn: stop.modelArn,
        message:
          "could not read its request metrics up to the stop to check it was right (ThrottlingException: Rate " +
          "exceeded); it is checked again next time",
      },
    ]);
    assert.equal(deps.record(stop.modelArn)?.regretCheckedAt, undefined);
    assert.deepEqual(result.remaining, [stop]);
  });
});
