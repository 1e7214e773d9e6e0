// The function's clock, set before the bundle loads: `node --import ./function-clock.mjs`, so that it works the same
// under invoke-bundle.mjs and under the Lambda Runtime Interface Client. Plain JavaScript on purpose: nothing from
// this repository may load beside the bundle but this.
//
// INVOKE_CLOCK_START=<epoch ms> starts Date.now (and `new Date()`) at that instant; the clock then advances with the
// wall, so a test can seed the sandbox against a fixed time and the function reads the same one, whatever minute
// the wall shows.
// INVOKE_CLOCK_ORIGIN=<epoch ms> is the wall instant at which the clock reads INVOKE_CLOCK_START (default: when this
// file loads), so that a process outside the function can tell exactly what its clock reads: the Runtime API counts
// the deadline it hands the runtime client in it.
// INVOKE_TIME_SCALE=k runs the clock k times faster than the wall: Date.now and the delays of setTimeout and
// setInterval, which the SDK's backoff and adaptive rate limiter, p-throttle and the remaining-time clock all read. A
// run that waits on time takes 1/k of it; nothing that does not wait on time changes. The rest counts k times too: a
// 250 ms answer or a second of CPU the machine did not give the process looks k times longer to the function.
// INVOKE_WAIT_SCALE=k shortens only the waits: a setTimeout or setInterval fires after 1/k of its delay on the wall,
// and the clock then jumps to the instant the wait was due, so the function sees every wait at its full length.
// Work, the sandbox's answers and time the process spent without a core count once, as they took on the wall, not k
// times. One thing still grows with a slow machine: a watchdog timer the SDK sets around each call (3 s) fires early
// when the call takes more than 3000/k ms on the wall, and moves the clock with it. Not with INVOKE_TIME_SCALE.
const env = process.env;
const scale = Number(env.INVOKE_TIME_SCALE || "1");
if (!(scale >= 1)) throw new Error(`INVOKE_TIME_SCALE must be a number ≥ 1, got ${env.INVOKE_TIME_SCALE}`);
const waitScale = Number(env.INVOKE_WAIT_SCALE || "1");
if (!(waitScale >= 1))
  throw new Error(`INVOKE_WAIT_SCALE must be a number ≥ 1, got ${env.INVOKE_WAIT_SCALE}`);
if (scale !== 1 && waitScale !== 1)
  throw new Error("INVOKE_TIME_SCALE and INVOKE_WAIT_SCALE exclude each other");
const startText = env.INVOKE_CLOCK_START;
const start = startText ? Number(startText) : undefined;
if (start !== undefined && !Number.isSafeInteger(start))
  throw new Error(`INVOKE_CLOCK_START must be epoch milliseconds, got ${startText}`);
const originText = env.INVOKE_CLOCK_ORIGIN;
const givenOrigin = originText ? Number(originText) : undefined;
if (givenOrigin !== undefined && !Number.isSafeInteger(givenOrigin))
  throw new Error(`INVOKE_CLOCK_ORIGIN must be epoch milliseconds, got ${originText}`);

if (scale !== 1 || waitScale !== 1 || start !== undefined) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const origin = givenOrigin ?? realNow();
  const base = start ?? origin;
  // Milliseconds the clock has jumped ahead of the wall over waits that INVOKE_WAIT_SCALE cut short.
  let skipped = 0;
  const now = () => Math.floor(base + (realNow() - origin) * scale + skipped);
  // `new Date()` with no argument and Date.now read the shifted clock; every other use of Date is untouched.
  class FunctionDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = FunctionDate;
  if (scale !== 1) {
    const realSetTimeout = globalThis.setTimeout;
    const realSetInterval = globalThis.setInterval;
    globalThis.setTimeout = (callback, delay, ...args) =>
      realSetTimeout(callback, Math.max(0, Number(delay) || 0) / scale, ...args);
    globalThis.setInterval = (callback, delay, ...args) =>
      realSetInterval(callback, Math.max(0, Number(delay) || 0) / scale, ...args);
  }
  if (waitScale !== 1) {
    const realSetTimeout = globalThis.setTimeout;
    const realSetInterval = globalThis.setInterval;
    // Concurrent waits overlap as they would at real speed: each moves the clock to its own due instant, never back.
    const reach = (due) => {
      const behind = due - now();
      if (behind > 0) skipped += behind;
    };
    globalThis.setTimeout = (callback, delay, ...args) => {
      const ms = Math.max(0, Number(delay) || 0);
      const due = now() + ms;
      return realSetTimeout(() => {
        reach(due);
        callback(...args);
      }, ms / waitScale);
    };
    globalThis.setInterval = (callback, delay, ...args) => {
      const ms = Math.max(0, Number(delay) || 0);
      let due = now();
      return realSetInterval(() => {
        due += ms;
        reach(due);
        callback(...args);
      }, ms / waitScale);
    };
  }
}
