/**
 * How the phases of a run stream: a source hands over items as it finds them, and each stage takes an item as soon
 * as the stage before has done with it, so tags are read while discovery goes on and a metric batch goes out as
 * soon as it is full. Without overlap (the benchmark's baseline) each stage takes every item before the next
 * stage starts. Items come out in the order the source found them, whatever order they finish in.
 */

/** Hands over items through `emit` as it finds them; resolves, once it has found them all, with its report. */
export type Source<T, R> = (emit: (item: T) => void) => Promise<R>;

/** A phase over one item at a time. */
export interface Stage<I, O> {
  /** Handles one item; called as soon as the item reaches the stage, so its work starts at once. */
  readonly run: (item: I) => O | Promise<O>;
  /** Told once every item has reached the stage and no more will come: a batching stage sends what it holds. */
  readonly end?: () => void;
}

/** How a flow runs. */
export interface FlowOptions<T, R> {
  /** Whether stages work side by side; false collects every item of a stage before the next one starts. */
  readonly overlap: boolean;
  /** Told of each item as it leaves the last stage. */
  readonly onItem?: (item: T) => void;
  /** Told of the source's report as soon as the source is done. */
  readonly onSourceEnd?: (report: R) => void;
}

/** What a flow ends with. */
export interface FlowResult<T, R> {
  /** Every item out of the last stage, in the order the source found them. */
  readonly items: T[];
  /** What the source said once it was done. */
  readonly report: R;
}

/** A source and the stages its items go through, in order. */
export interface Flow<T, R> {
  /** Adds a stage after the others. */
  through<O>(stage: Stage<T, O>): Flow<O, R>;
  /** Runs the source and every stage; resolves once every item is out of the last stage. */
  run(options: FlowOptions<T, R>): Promise<FlowResult<T, R>>;
}

/** Starts a flow from a source. */
export function flow<T, R>(source: Source<T, R>): Flow<T, R> {
  return chain(source as Source<unknown, R>, []);
}

// Each `through` is typed against the stage before it; once chained, the stages are run as a list.
type AnyStage = Stage<unknown, unknown>;
type AnyOptions<R> = FlowOptions<unknown, R>;

function chain<T, R>(source: Source<unknown, R>, stages: readonly AnyStage[]): Flow<T, R> {
  return {
    through: <O>(stage: Stage<T, O>) => chain<O, R>(source, [...stages, stage as AnyStage]),
    run: (options) => {
      const run = options.overlap ? overlapped : oneStageAtATime;
      return run(source, stages, options as AnyOptions<R>) as Promise<FlowResult<T, R>>;
    },
  };
}

/** Every item goes on to the next stage as soon as it is out of one; a stage ends once every item has reached it. */
async function overlapped<R>(
  source: Source<unknown, R>,
  stages: readonly AnyStage[],
  options: AnyOptions<R>,
): Promise<FlowResult<unknown, R>> {
  // Per stage: the items that reached it, or left the flow before it by failing.
  const reached = stages.map(() => 0);
  let ended = 0;
  let found = 0;
  let sourceDone = false;
  const endStages = () => {
    while (sourceDone && ended < stages.length && reached[ended] === found) {
      const stage = stages[ended] as AnyStage;
      ended += 1;
      stage.end?.();
    }
  };

  const throughStages = async (item: unknown): Promise<unknown> => {
    let value = item;
    let index = 0;
    try {
      for (; index < stages.length; index += 1) {
        reached[index] = (reached[index] ?? 0) + 1;
        // The stage starts on the item now; only then may it be told that no more will come.
        const output = (stages[index] as AnyStage).run(value);
        endStages();
        value = await output;
      }
    } catch (error) {
      for (let later = index + 1; later < stages.length; later += 1)
        reached[later] = (reached[later] ?? 0) + 1;
      endStages();
      throw error;
    }
    options.onItem?.(value);
    return value;
  };

  const outputs: Promise<unknown>[] = [];
  let report: R;
  try {
    report = await source((item) => {
      found += 1;
      outputs.push(throughStages(item));
    });
  } catch (error) {
    // The items already found still go through, so that no stage is left waiting for its end.
    sourceDone = true;
    endStages();
    await Promise.allSettled(outputs);
    throw error;
  }
  options.onSourceEnd?.(report);
  sourceDone = true;
  endStages();
  return { items: await Promise.all(outputs), report };
}

/** The source finds every item, then each stage takes every item before the next stage starts. */
async function oneStageAtATime<R>(
  source: Source<unknown, R>,
  stages: readonly AnyStage[],
  options: AnyOptions<R>,
): Promise<FlowResult<unknown, R>> {
  let items: unknown[] = [];
  const report = await source((item) => items.push(item));
  options.onSourceEnd?.(report);
  for (const [index, stage] of stages.entries()) {
    const last = index === stages.length - 1;
    const outputs = items.map(async (item) => {
      const value = await stage.run(item);
      if (last) options.onItem?.(value);
      return value;
    });
    stage.end?.();
    items = await Promise.all(outputs);
  }
  if (stages.length === 0) for (const item of items) options.onItem?.(item);
  return { items, report };
}
