/**
 * Phase "read metrics": each model's request and in-service metrics, in GetMetricData batches of
 * {@link MODELS_PER_CALL} models (500 queries), one set of batches per idle threshold since a call has one time
 * range. A batch goes out as soon as it is full; the partial ones once every model has reached the phase. Models
 * the tags already keep, or whose tags could not be read, are not asked about; nor is a model whose metrics were
 * already read over the same window this run (metrics-first discovery's screen).
 */

import { errorMessage } from "../adapters/errors.ts";
import { MODELS_PER_CALL, type UsageReader } from "../adapters/metrics.ts";
import { usageWindow } from "../core/decide.ts";
import type { ModelUsage, RunningModel, UsageEvidence } from "../core/types.ts";
import type { Stage } from "../pipeline.ts";
import type { TaggedModel } from "./read-tags.ts";

/** A model with the evidence of its tags and of its metrics. */
export interface MeasuredModel extends TaggedModel {
  /** The model's usage over its window, or why it is not known ({@link METRICS_NOT_NEEDED} when not asked). */
  readonly usage: UsageEvidence;
}

/**
 * Usage already read this run, by `<project>/<version>`, with the threshold whose window it covers: what
 * metrics-first discovery's screen read of the models it hands over.
 */
export type KnownUsage = ReadonlyMap<string, { readonly idleMinutes: number; readonly usage: ModelUsage }>;

/** Not an error: the tags alone decide, so the metrics were never asked for. */
export const METRICS_NOT_NEEDED: UsageEvidence = { error: "metrics not read: the tags decide" };

/** Options of the read-metrics phase. */
export interface ReadMetricsOptions {
  /**
   * Read the metrics of the models the tags keep too, over this many minutes: `scan` shows every model's units and
   * cost whatever keeps it, while a run saves those queries. @default not read
   */
  readonly keptModelsIdleMinutes?: number;
  /** Usage already read this run (metrics-first discovery's screen), reused when its window is the model's. */
  readonly known?: KnownUsage;
}

/** The read-metrics phase of one region's run: a stage from each {@link TaggedModel} to its {@link MeasuredModel}. */
export function readMetrics(
  deps: { readonly usage: UsageReader },
  scope: { readonly region: string; readonly now: number },
  options: ReadMetricsOptions = {},
): Stage<TaggedModel, MeasuredModel> {
  const batches = new MetricBatcher((models, idleMinutes) =>
    deps.usage.readUsage(scope.region, models, usageWindow(scope.now, idleMinutes)),
  );
  return {
    run: async (tagged) => {
      const { policy, model } = tagged;
      if (!policy) return { ...tagged, usage: METRICS_NOT_NEEDED };
      const minutes = policy.keep ? options.keptModelsIdleMinutes : policy.idleMinutes;
      if (minutes === undefined) return { ...tagged, usage: METRICS_NOT_NEEDED };
      // Read moments ago over the same window: reading it again would cost a call and tell nothing new.
      const read = options.known?.get(`${model.projectName}/${model.versionName}`);
      if (read && read.idleMinutes === minutes) return { ...tagged, usage: read.usage };
      return { ...tagged, usage: await batches.add(model, minutes) };
    },
    // No model joins a batch any more: send the partial ones.
    end: () => batches.flush(),
  };
}

/**
 * Collects models into GetMetricData batches of {@link MODELS_PER_CALL}, one set per idle threshold. A batch goes
 * out as soon as it is full; `flush` sends the rest.
 */
class MetricBatcher {
  private readonly open = new Map<
    number,
    {
      models: RunningModel[];
      read: Promise<Map<string, UsageEvidence>>;
      settle: (u: Map<string, UsageEvidence>) => void;
    }
  >();

  constructor(
    private readonly fetch: (
      models: RunningModel[],
      idleMinutes: number,
    ) => Promise<Map<string, UsageEvidence>>,
  ) {}

  /** Adds a model to the open batch for its threshold and resolves with its usage once that batch is read. */
  add(model: RunningModel, idleMinutes: number): Promise<UsageEvidence> {
    let batch = this.open.get(idleMinutes);
    if (!batch) {
      let settle: (u: Map<string, UsageEvidence>) => void = () => {};
      const read = new Promise<Map<string, UsageEvidence>>((resolve) => (settle = resolve));
      batch = { models: [], read, settle };
      this.open.set(idleMinutes, batch);
    }
    batch.models.push(model);
    const { read } = batch;
    if (batch.models.length >= MODELS_PER_CALL) this.send(idleMinutes);
    return read.then(
      (usage) => usage.get(model.modelArn) ?? { error: "CloudWatch returned nothing for the model" },
    );
  }

  /** Sends every batch that is not full yet. */
  flush(): void {
    for (const idleMinutes of [...this.open.keys()]) this.send(idleMinutes);
  }

  private send(idleMinutes: number): void {
    const batch = this.open.get(idleMinutes);
    if (!batch) return;
    this.open.delete(idleMinutes);
    this.fetch(batch.models, idleMinutes).then(batch.settle, (error: unknown) => {
      const failed: UsageEvidence = { error: `GetMetricData failed: ${errorMessage(error)}` };
      batch.settle(new Map(batch.models.map((model) => [model.modelArn, failed])));
    });
  }
}
