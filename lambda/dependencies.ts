/**
 * What a run works through: the adapters, a logger, a metrics sink, the clock and the time left. The handler wires
 * the real ones once, at cold start; tests pass fakes. Each phase takes only the part it needs.
 */

import type { EventPublisher, ModelTagger } from "./adapters/announcer.ts";
import type { UsageReader } from "./adapters/metrics.ts";
import type { Notifier } from "./adapters/notifier.ts";
import type { ModelDirectory } from "./adapters/rekognition.ts";
import type { StopLog } from "./adapters/stop-log.ts";

/** The structured logger the run writes to (Powertools' Logger fits). */
export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Where the run's numbers go (Powertools' Metrics, in Embedded Metric Format, fits). */
export interface RunMetrics {
  addMetric(name: string, unit: "Count" | "None", value: number): void;
  publishStoredMetrics(): void;
}

/** The adapters a run works through; tests pass fakes or SDK clients mocked with aws-sdk-client-mock. */
export interface RunDependencies {
  readonly directory: ModelDirectory;
  readonly usage: UsageReader;
  readonly log: StopLog;
  readonly logger: RunLogger;
  /** Wall clock, epoch ms; read once for the run's `now` and again to time-stamp outcomes. */
  readonly clock: () => number;
  /** Milliseconds the invocation has left (Lambda's `context.getRemainingTimeInMillis`); unlimited if absent. */
  readonly remainingMs?: () => number;
  /** Publishes the digest; no digest is sent without one. */
  readonly notifier?: Notifier;
  readonly metrics?: RunMetrics;
  /** Puts an event per stop, warning and restart; none is put without one (or with `publishEvents` off). */
  readonly events?: EventPublisher;
  /** Writes the last-action tag; none is written without one (or with `tagLastAction` off). */
  readonly tagger?: ModelTagger;
}

/** Milliseconds the invocation has left; unlimited when the run was given no deadline. */
export function timeLeftMs(deps: Pick<RunDependencies, "remainingMs">): number {
  return deps.remainingMs?.() ?? Number.POSITIVE_INFINITY;
}
