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
// run that waits on time takes 1/k of it; nothing that does not wait on time changes.
const env = process.env;
const scale = Number(env.INVOKE_TIME_SCALE || "1");
if (!(scale >= 1)) throw new Error(`INVOKE_TIME_SCALE must be a number ≥ 1, got ${env.INVOKE_TIME_SCALE}`);
const startText = env.INVOKE_CLOCK_START;
const start = startText ? Number(startText) : undefined;
if (start !== undefined && !Number.isSafeInteger(start))
  throw new Error(`INVOKE_CLOCK_START must be epoch milliseconds, got ${startText}`);
const originText = env.INVOKE_CLOCK_ORIGIN;
const givenOrigin = originText ? Number(originText) : undefined;
if (givenOrigin !== undefined && !Number.isSafeInteger(givenOrigin))
  throw new Error(`INVOKE_CLOCK_ORIGIN must be epoch milliseconds, got ${originText}`);

if (scale !== 1 || start !== undefined) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const origin = givenOrigin ?? realNow();
  const base = start ?? origin;
  const now = () => Math.floor(base + (realNow() - origin) * scale);
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
}
