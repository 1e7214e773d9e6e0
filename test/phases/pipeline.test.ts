import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, type Source, type Stage } from "../../lambda/pipeline.ts";
import { deferred, settle } from "./fakes.ts";

/** A source that hands over `items`, waiting for `between` after each but the last. */
function sourceOf(items: number[], between: () => Promise<void> = async () => {}): Source<number, string> {
  return async (emit) => {
    for (const [index, item] of items.entries()) {
      if (index > 0) await between();
      emit(item);
    }
    return `found ${items.length}`;
  };
}

/** Where `event` stands in `events`; fails when it is not there. */
function position(events: string[], event: string): number {
  const index = events.indexOf(event);
  assert.ok(index >= 0, `no "${event}" in ${events.join(", ")}`);
  return index;
}

/** A stage that writes what it sees to `events` and passes the item on after `delay(item)` event-loop turns. */
function recording(
  name: string,
  events: string[],
  delay: (item: number) => number = () => 0,
): Stage<number, number> {
  return {
    run: async (item) => {
      events.push(`${name} ${item}`);
      for (let turn = 0; turn < delay(item); turn += 1) await settle();
      return item;
    },
    end: () => events.push(`${name} end`),
  };
}

describe("a flow with overlap", () => {
  it("gives an item to the next stage while the source is still finding more", async () => {
    // Prepare
    const events: string[] = [];
    const between = async () => {
      await settle();
      events.push("source: next item");
    };

    // Act
    await flow(sourceOf([1, 2], between))
      .through(recording("tags", events))
      .through(recording("metrics", events))
      .run({ overlap: true });

    // Assess
    assert.ok(position(events, "metrics 1") < position(events, "source: next item"), events.join(", "));
  });

  it("tells a stage it has ended only once the source is done and every item has reached it", async () => {
    // Prepare: item 1 takes three turns in the first stage, so the source is done before it reaches the second.
    const events: string[] = [];

    // Act
    await flow(sourceOf([1, 2, 3]))
      .through(recording("tags", events, (item) => (item === 1 ? 3 : 0)))
      .through(recording("metrics", events))
      .run({ overlap: true, onSourceEnd: (report) => events.push(report) });

    // Assess
    const at = (event: string) => position(events, event);
    assert.ok(at("found 3") < at("tags end"), events.join(", "));
    assert.ok(at("metrics 1") < at("metrics end"), events.join(", "));
    assert.equal(events.filter((event) => event === "metrics end").length, 1);
  });

  it("still ends the later stages when an item fails, and then fails", async () => {
    // Prepare
    const events: string[] = [];
    const failing: Stage<number, number> = {
      run: (item) => {
        if (item === 2) throw new Error("item 2 failed");
        return item;
      },
    };

    // Act
    const run = flow(sourceOf([1, 2, 3]))
      .through(failing)
      .through(recording("batch", events))
      .run({ overlap: true });

    // Assess
    await assert.rejects(run, /item 2 failed/);
    assert.ok(events.includes("batch end"), events.join(", "));
  });

  it("ends its stages and fails when the source fails after handing over items", async () => {
    // Prepare
    const events: string[] = [];
    const source: Source<number, string> = async (emit) => {
      emit(1);
      throw new Error("discovery broke");
    };

    // Act
    const run = flow(source).through(recording("batch", events)).run({ overlap: true });

    // Assess
    await assert.rejects(run, /discovery broke/);
    assert.deepEqual(events, ["batch 1", "batch end"]);
  });
});

describe("a flow without overlap", () => {
  it("lets a stage start only once the source and the stage before have done every item", async () => {
    // Prepare
    const events: string[] = [];

    // Act
    await flow(sourceOf([1, 2]))
      .through(recording("tags", events, (item) => (item === 1 ? 2 : 0)))
      .through(recording("metrics", events))
      .run({ overlap: false, onSourceEnd: (report) => events.push(report) });

    // Assess
    assert.deepEqual(events, [
      "found 2",
      "tags 1",
      "tags 2",
      "tags end",
      "metrics 1",
      "metrics 2",
      "metrics end",
    ]);
  });
});

for (const overlap of [true, false]) {
  describe(`a flow (overlap ${overlap})`, () => {
    it("returns the items in the order the source found them, whatever order they finish in", async () => {
      // Prepare: the first items take the longest.
      const told: number[] = [];

      // Act
      const result = await flow(sourceOf([1, 2, 3, 4]))
        .through(recording("slow first", [], (item) => 2 * (5 - item)))
        .run({ overlap, onItem: (item) => told.push(item) });

      // Assess
      assert.deepEqual(told, [4, 3, 2, 1]);
      assert.deepEqual(result.items, [1, 2, 3, 4]);
      assert.equal(result.report, "found 4");
    });

    it("lets a batching stage answer only at its end, for items that never filled a batch", async () => {
      // Prepare: a stage that holds every item until it is told no more will come.
      const held = deferred();
      const batching: Stage<number, number> = {
        run: async (item) => {
          await held.promise;
          return item + 1;
        },
        end: () => held.resolve(),
      };

      // Act
      const result = await flow(sourceOf([1, 2]))
        .through(batching)
        .run({ overlap });

      // Assess
      assert.deepEqual(result.items, [2, 3]);
    });

    it("ends every stage of a source that finds nothing", async () => {
      // Prepare
      const events: string[] = [];

      // Act
      const result = await flow(sourceOf([]))
        .through(recording("tags", events))
        .through(recording("metrics", events))
        .run({ overlap });

      // Assess
      assert.deepEqual(result.items, []);
      assert.deepEqual(events, ["tags end", "metrics end"]);
    });
  });
}
