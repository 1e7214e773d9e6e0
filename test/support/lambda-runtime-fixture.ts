/**
 * What the tests of test/runtime/ share: a pinned clock and an idle model to seed, and the decision to skip a file
 * whose Node.js or runtime client is not installed (or, in CI, to fail it), recorded in the proof ledger.
 */

import type { SeedVersion } from "../../sandbox/index.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import { LambdaRuntimeMissingError, REQUIRE_LAMBDA_RUNTIME_VARIABLE } from "../../sandbox/runtime-client.ts";

/** Every world of these files starts its clock here: 2026-11-28T02:00:05Z, five seconds into a minute. */
export const START = Date.UTC(2026, 10, 28, 2, 0, 5);

/** A clock that reads START now and then advances with the monotonic wall clock. */
export function pinnedClock(): () => number {
  const origin = performance.now();
  return () => START + Math.floor(performance.now() - origin);
}

/** A running model, in service for the last ten hours, with no requests unless `extra` says otherwise. */
export const idle = (name: string, extra: Partial<SeedVersion> = {}): SeedVersion => ({
  name,
  status: "RUNNING",
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units: 1 }],
  ...extra,
});

/** Whether a test file can run, and why not. */
export interface RuntimeAvailability {
  /** What is missing, when something is. */
  readonly missing?: LambdaRuntimeMissingError;
  /** The file's skip message: set when something is missing and CI does not require it. */
  readonly skip?: string;
}

/**
 * Runs `locate` (which throws {@link LambdaRuntimeMissingError} when something is missing) and decides: skip with
 * one line, recorded in the proof ledger under `path`, or, with IMS_REQUIRE_LAMBDA_RUNTIME=1, run and fail.
 */
export function runtimeAvailability(
  path: "ric" | "arm64",
  notRun: string,
  scenario: string,
  locate: () => unknown,
): RuntimeAvailability {
  let missing: LambdaRuntimeMissingError | undefined;
  try {
    locate();
  } catch (error) {
    if (!(error instanceof LambdaRuntimeMissingError)) throw error;
    missing = error;
  }
  if (!missing) return {};
  if (process.env[REQUIRE_LAMBDA_RUNTIME_VARIABLE] === "1") return { missing };
  const skip = `${notRun}: ${missing.message}`;
  recordProof("runtime", [{ path, scenario, outcome: "skipped", reason: skip }]);
  return { missing, skip };
}
