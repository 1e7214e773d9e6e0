/** A seedable pseudo-random generator, so a run with fault injection can be repeated exactly. */

/** Returns numbers in [0, 1); the same seed always gives the same sequence. */
export type Prng = () => number;

/** mulberry32: tiny, fast and good enough to decide whether a call fails. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
