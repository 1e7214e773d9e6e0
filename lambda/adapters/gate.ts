/**
 * A gate in front of one AWS API: at most `concurrency` calls in flight and at most `tps` calls started per
 * second, spaced evenly. AWS does not publish the Rekognition APIs' rates; pacing below them avoids most
 * throttles, and the SDK's adaptive retry handles the rest.
 */

import pLimit from "p-limit";
import pThrottle from "p-throttle";

/** Runs a call through the gate. */
export type Gate = <T>(call: () => Promise<T>) => Promise<T>;

/** Limits of one gate. */
export interface GateLimits {
  readonly concurrency: number;
  readonly tps: number;
}

/** Creates a gate. */
export function createGate(limits: GateLimits): Gate {
  const limit = pLimit(limits.concurrency);
  // One start per 1000/tps ms rather than bursts of `tps`, which is gentler on a token bucket.
  const paced = pThrottle({ limit: 1, interval: 1000 / limits.tps })(<T>(call: () => Promise<T>) => call());
  return <T>(call: () => Promise<T>) => limit(() => paced(call) as Promise<T>);
}

/** A gate with no limits, for tests and read-only tools that pace themselves. */
export const openGate: Gate = (call) => call();
