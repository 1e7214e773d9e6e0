/**
 * Clocks for tests: a pinned start instant that then advances with the wall, so that seeded data, the sandbox and
 * the function agree on "now" whatever minute the wall shows.
 */

/**
 * The instant the stopper's test worlds start at: 2026-11-28T02:00:05Z, the default schedule's 02:00 run, five
 * seconds after a whole minute, so a run that starts within 55 s of it reads the same minute as the seed did.
 */
export const PINNED_START_MILLIS = Date.UTC(2026, 10, 28, 2, 0, 5);

/**
 * A clock (epoch ms, whole milliseconds) that reads `startMillis` now and then advances with the monotonic wall
 * clock, so waits and transitions take their real time while every instant is known in advance.
 */
export function pinnedClock(startMillis: number = PINNED_START_MILLIS): () => number {
  if (!Number.isSafeInteger(startMillis))
    throw new RangeError(`startMillis must be whole epoch milliseconds, got ${startMillis}`);
  const origin = performance.now();
  return () => startMillis + Math.floor(performance.now() - origin);
}
