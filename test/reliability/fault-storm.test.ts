/**
 * The fault storm (scenario in fault-storm.ts, shared with `npm run test:faults`): the real bundle against 138
 * running models, 100 of them idle, while Rekognition throttles 30% of calls and fails 5%, CloudWatch and DynamoDB
 * throttle 20% and fail 5%, and 5% of all calls hit a latency spike. The promises are checked from the sandbox's
 * account, call log and log table.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";
import { formatStormLine, runFaultStorm, STORM_MAX_ATTEMPTS, type StormReport } from "./fault-storm.ts";
import { type FollowUpStormReport, formatFollowUpStormLine, runFollowUpStorm } from "./follow-up-storm.ts";

const stopper = useSynthesizedStopper();
const DISCOVERIES = ["metrics-first", "full"] as const;
let enough: Record<(typeof DISCOVERIES)[number], Promise<StormReport>>;
let tooFew: Promise<StormReport>;
let followUps: Promise<FollowUpStormReport>;
let followUpsTooFew: Promise<FollowUpStormReport>;

// Whatever a storm's outcome, the next one may start.
const settled = (storm: Promise<unknown>) =>
  storm.then(
    () => undefined,
    () => undefined,
  );

before(() => {
  // Two storms at a time, in sandboxes of their own: each spends most of its time waiting on backoff, but its
  // function's clock runs ×16, so the CPU it waits for counts 16 times over; a third at once would stretch them all
  // on a busy machine. The full discovery's storm follows the metrics-first one.
  const metricsFirst = stopper.ready().then((fn) => runFaultStorm(fn, { discovery: "metrics-first" }));
  enough = {
    "metrics-first": metricsFirst,
    full: settled(metricsFirst)
      .then(() => stopper.ready())
      .then((fn) => runFaultStorm(fn, { discovery: "full" })),
  };
  tooFew = stopper.ready().then((fn) => runFaultStorm(fn, { maxAttempts: 2, thenCalm: true }));
  // The follow-up storms each come after a storm, not beside it, for the same reason.
  followUps = settled(enough.full).then(() => stopper.ready().then((fn) => runFollowUpStorm(fn)));
  followUpsTooFew = settled(tooFew).then(() =>
    stopper.ready().then((fn) => runFollowUpStorm(fn, { maxAttempts: 2, thenCalm: true })),
  );
  // Each test awaits its own; a storm that fails before its test runs is reported there, not as unhandled.
  for (const storm of [...Object.values(enough), tooFew, followUps, followUpsTooFew]) storm.catch(() => {});
});
after(async () => {
  await Promise.allSettled([...Object.values(enough), tooFew, followUps, followUpsTooFew]);
});

describe("the fault storm", () => {
  for (const discovery of DISCOVERIES)
    it(`stops the idle models, only those, each with one record, while every API throttles, fails and slows down (discovery ${discovery})`, async () => {
      const report = await enough[discovery];

      assert.deepEqual(report.broken, [], formatStormLine(report));
      assert.ok(report.running >= 100);
      assert.deepEqual(report.wrongStops, []);
      assert.ok(report.idleStopped >= 0.99 * report.idle, formatStormLine(report));
      assert.equal(report.records, report.idleStopped);
      assert.deepEqual(report.duplicates, []);
      assert.ok(report.items.every((item) => item.status === "STOPPING"));
      // Whatever failed for good is in the summary; with enough attempts, nothing did.
      assert.deepEqual(report.unreported, []);
      assert.equal(report.errorsReported === 0, report.failedCalls.length === 0);
      // It was a storm, and the function rode it out by retrying.
      assert.equal(report.maxAttempts, STORM_MAX_ATTEMPTS);
      assert.ok(
        report.injected.throttles >= 150 && report.injected.serverErrors >= 20,
        formatStormLine(report),
      );
      assert.ok(report.injected.latencySpikes >= 20 && report.retries >= 200, formatStormLine(report));
    });

  it("with only 2 attempts stops fewer, never a wrong one, reports every failure, and the next run finishes (metrics-first)", async () => {
    const report = await tooFew;

    // Two attempts are not enough for the idle set; every other promise holds.
    assert.deepEqual(
      report.broken.filter((broken) => broken.promise !== "idle-stopped"),
      [],
      formatStormLine(report),
    );
    assert.ok(report.idleStopped < report.idle);
    assert.deepEqual(report.wrongStops, []);
    assert.ok(report.failedCalls.length > 0);
    assert.deepEqual(report.unreported, []);
    assert.ok(
      report.summary?.errors.every(
        (error) => error.arn === undefined || !error.message.startsWith("Provisioned"),
      ),
      "each error says which step failed",
    );
    // A stop whose outcome could not be written left its record STOP_PENDING; the next run completes it from the
    // model's real status, stops the idle models the storm kept, and stops nothing twice.
    const pending = report.items.filter((item) => item.status === "STOP_PENDING").length;
    assert.deepEqual(report.calm?.broken, []);
    assert.equal(report.calm?.idleStopped, report.idle);
    assert.equal(report.calm?.completed, pending);
  });

  it("restarts each regretted or scheduled model once, records each restart once, and starts nothing else", async () => {
    const report = await followUps;

    assert.deepEqual(report.broken, [], formatFollowUpStormLine(report));
    assert.equal(report.restarted, report.expected);
    assert.deepEqual(report.doubled, []);
    assert.equal(report.restartRecords, report.expected);
    assert.deepEqual(report.unreported, []);
    // Starts lost their answers and were retried: each such start still counts once.
    assert.ok(report.injected.lostStarts >= 1 && report.retries >= 20, formatFollowUpStormLine(report));
    const reasons = report.items
      .filter((item) => item.status === "RESTARTED")
      .map((item) => item.restartedBy);
    assert.deepEqual([...new Set(reasons)].sort(), ["regret", "schedule"]);
  });

  it("with only 2 attempts restarts fewer, never one twice or a wrong one, reports every failure, and the next follow-up finishes", async () => {
    const report = await followUpsTooFew;

    const line = formatFollowUpStormLine(report);
    assert.deepEqual(report.broken, [], line);
    assert.equal(report.summaries.length, 2);
    const [storm, calm] = report.summaries;
    assert.ok(
      (storm?.restarted.length ?? 0) < report.expected,
      `the storm alone leaves some for later: ${line}`,
    );
    assert.ok((storm?.errors.length ?? 0) > 0, line);
    assert.deepEqual(calm?.errors, [], line);
    // Every expected model was started once, by one follow-up or the other, counted once, and its record says so.
    assert.equal(report.restarted, report.expected, line);
    assert.equal((storm?.restarted.length ?? 0) + (calm?.restarted.length ?? 0), report.expected, line);
    assert.equal(report.restartRecords, report.expected, line);
  });
});
