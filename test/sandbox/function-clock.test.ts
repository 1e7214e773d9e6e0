/**
 * The clocks the tests run on: the function's clock (sandbox/function-clock.mjs, preloaded into a child `node` as the
 * bundle's is) with a pinned start and shortened waits, and the sandbox's pinned clock.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { FUNCTION_CLOCK } from "../../sandbox/bundle.ts";
import { PINNED_START_MILLIS, pinnedClock } from "../../sandbox/index.ts";
import { childRun } from "../support/child-run.ts";

const HOUR = 3_600_000;

/** Runs an ES module body in a child `node` with the function's clock preloaded; returns what it printed as JSON. */
async function withFunctionClock(env: Record<string, string>, body: string): Promise<Record<string, number>> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      FUNCTION_CLOCK,
      "--input-type=module",
      "--eval",
      `${body}\nconsole.log(JSON.stringify(out));`,
    ],
    { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const { code, stdout, stderr } = await childRun(child);
  if (code !== 0) throw new Error(`the child exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

// Wall time in the child: performance.now() is never shifted by the function's clock.
const MEASURE = `
const wall = () => performance.now();
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const out = {};
`;

describe("the function's clock", () => {
  it("starts at INVOKE_CLOCK_START, whatever the wall says, and then advances with the wall", async () => {
    const out = await withFunctionClock(
      { INVOKE_CLOCK_START: String(PINNED_START_MILLIS) },
      `${MEASURE}
out.sinceStart = Date.now() - ${PINNED_START_MILLIS};
out.newDate = new Date().getTime() - ${PINNED_START_MILLIS};
out.sinceProcessStart = wall();
out.fixedDate = new Date(0).getTime();`,
    );

    // The clock started when the preload ran, after the process did: it is behind the process's own age.
    assert.ok(out.sinceStart !== undefined && out.sinceStart >= 0, `${out.sinceStart} ms after the start`);
    assert.ok(out.sinceStart <= (out.sinceProcessStart ?? 0) + 2, JSON.stringify(out));
    assert.ok(out.newDate !== undefined && out.newDate >= out.sinceStart);
    assert.equal(out.fixedDate, 0, "a Date of a given instant is left alone");
  });

  it("with INVOKE_WAIT_SCALE, sees each wait at its full length in a fraction of it on the wall", async () => {
    const out = await withFunctionClock(
      { INVOKE_CLOCK_START: String(PINNED_START_MILLIS), INVOKE_WAIT_SCALE: "1000" },
      `${MEASURE}
const clockBefore = Date.now();
const wallBefore = wall();
await wait(60_000);
out.clock = Date.now() - clockBefore;
out.wall = wall() - wallBefore;`,
    );

    assert.ok(out.clock !== undefined && out.clock >= 60_000, `the clock moved ${out.clock} ms`);
    assert.ok(out.clock <= 60_000 + (out.wall ?? 0) + 1, JSON.stringify(out));
    assert.ok(out.wall !== undefined && out.wall < 30_000, `the wait took ${out.wall} ms on the wall`);
  });

  it("with INVOKE_WAIT_SCALE, overlaps concurrent waits, ignores a cleared one, and counts work once", async () => {
    const out = await withFunctionClock(
      { INVOKE_WAIT_SCALE: "1000" },
      `${MEASURE}
let clock = Date.now();
let started = wall();
await Promise.all([wait(20_000), wait(30_000), wait(10_000)]);
out.overlapped = Date.now() - clock;
out.overlappedWall = wall() - started;

clock = Date.now();
started = wall();
clearTimeout(setTimeout(() => {}, 3_600_000));
await wait(1_000);
out.cleared = Date.now() - clock;
out.clearedWall = wall() - started;

clock = Date.now();
started = wall();
while (wall() - started < 100) {}
out.work = Date.now() - clock;
out.workWall = wall() - started;`,
    );

    const { overlapped = 0, overlappedWall = 0, cleared = 0, clearedWall = 0, work = 0, workWall = 0 } = out;
    assert.ok(overlapped >= 30_000 && overlapped <= 30_000 + overlappedWall + 1, JSON.stringify(out));
    assert.ok(cleared >= 1_000 && cleared <= 1_000 + clearedWall + 1, JSON.stringify(out));
    // No wait, no jump: the clock moves as the wall does, not a thousand times faster.
    assert.ok(Math.abs(work - workWall) <= 2, JSON.stringify(out));
  });

  it("refuses a bad value, and the time scale together with the wait scale, naming them", async () => {
    await assert.rejects(
      withFunctionClock({ INVOKE_WAIT_SCALE: "0.5" }, `${MEASURE}`),
      /INVOKE_WAIT_SCALE must be a number ≥ 1, got 0\.5/,
    );
    await assert.rejects(
      withFunctionClock({ INVOKE_CLOCK_START: "soon" }, `${MEASURE}`),
      /INVOKE_CLOCK_START must be epoch milliseconds, got soon/,
    );
    await assert.rejects(
      withFunctionClock({ INVOKE_TIME_SCALE: "2", INVOKE_WAIT_SCALE: "2" }, `${MEASURE}`),
      /INVOKE_TIME_SCALE and INVOKE_WAIT_SCALE exclude each other/,
    );
  });
});

describe("the sandbox's pinned clock", () => {
  it("reads PINNED_START_MILLIS, five seconds past a whole minute, and then advances with the wall", async () => {
    const clock = pinnedClock();
    const first = clock();
    await sleep(20);
    const second = clock();

    assert.ok(first >= PINNED_START_MILLIS && first < second, `${first} then ${second}`);
    assert.equal(new Date(PINNED_START_MILLIS).toISOString(), "2026-11-28T02:00:05.000Z");
    assert.ok(Number.isSafeInteger(second));
    const custom = pinnedClock(12 * HOUR)();
    assert.ok(custom >= 12 * HOUR && custom < 12 * HOUR + 1_000, `${custom}`);
  });

  it("refuses a start that is not whole epoch milliseconds", () => {
    assert.throws(() => pinnedClock(1.5), /startMillis must be whole epoch milliseconds, got 1\.5/);
  });
});
