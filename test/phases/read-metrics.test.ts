import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MODELS_PER_CALL } from "../../lambda/adapters/metrics.ts";
import { usageWindow } from "../../lambda/core/decide.ts";
import type { RunningModel } from "../../lambda/core/types.ts";
import { METRICS_NOT_NEEDED, readMetrics } from "../../lambda/phases/read-metrics.ts";
import type { TaggedModel } from "../../lambda/phases/read-tags.ts";
import { busyUsage, FakeUsage, idleUsage, modelsOf, NOW, REGION, settle } from "./fakes.ts";

const NO_TAGS = { model: {}, project: {} };

/** A model whose tags say to judge it over `idleMinutes`. */
const judgeable = (model: RunningModel, idleMinutes = 180): TaggedModel => ({
  model,
  tags: NO_TAGS,
  policy: { keep: false, idleMinutes },
});

function stage(usage: FakeUsage) {
  return readMetrics({ usage }, { region: REGION, now: NOW });
}

describe("the read-metrics phase", () => {
  it(`sends a batch of ${MODELS_PER_CALL} models as soon as it is full, and the rest at its end`, async () => {
    // Prepare
    const usage = new FakeUsage();
    const metrics = stage(usage);
    const models = modelsOf("cats", MODELS_PER_CALL + 30);

    // Act
    const measured = models.map((model) => metrics.run(judgeable(model)));
    await settle();
    const beforeEnd = usage.calls.map((call) => call.arns.length);
    metrics.end?.();
    const answers = await Promise.all(measured);

    // Assess
    assert.deepEqual(beforeEnd, [MODELS_PER_CALL]);
    assert.deepEqual(
      usage.calls.map((call) => call.arns.length),
      [MODELS_PER_CALL, 30],
    );
    assert.equal(answers.length, models.length);
    assert.ok(answers.every((answer) => !("error" in answer.usage)));
  });

  it("takes the usage read this run over the same window as it is, and reads a model again over another", async () => {
    // Prepare: the screen of metrics-first discovery read both models over the 180-minute window.
    const usage = new FakeUsage();
    const [same, other] = modelsOf("cats", 2) as [RunningModel, RunningModel];
    const screenedUsage = busyUsage();
    const known = new Map([
      ["cats/v0", { idleMinutes: 180, usage: screenedUsage }],
      ["cats/v1", { idleMinutes: 180, usage: screenedUsage }],
    ]);
    const metrics = readMetrics({ usage }, { region: REGION, now: NOW }, { known });

    // Act
    const measured = [metrics.run(judgeable(same, 180)), metrics.run(judgeable(other, 480))];
    metrics.end?.();
    const [sameAnswer, otherAnswer] = await Promise.all(measured);

    // Assess
    assert.equal(sameAnswer?.usage, screenedUsage);
    assert.deepEqual(
      usage.calls.map((call) => [call.arns, call.window]),
      [[[other.modelArn], usageWindow(NOW, 480)]],
    );
    assert.notEqual(otherAnswer?.usage, screenedUsage);
  });

  it("reads each idle threshold in batches of its own, over its own window", async () => {
    // Prepare
    const usage = new FakeUsage();
    const metrics = stage(usage);
    const [a, b, c] = modelsOf("cats", 3) as [RunningModel, RunningModel, RunningModel];

    // Act
    const measured = [
      metrics.run(judgeable(a, 180)),
      metrics.run(judgeable(b, 60)),
      metrics.run(judgeable(c, 180)),
    ];
    metrics.end?.();
    await Promise.all(measured);

    // Assess
    assert.deepEqual(
      usage.calls.map((call) => ({ arns: call.arns, window: call.window })),
      [
        { arns: [a.modelArn, c.modelArn], window: usageWindow(NOW, 180) },
        { arns: [b.modelArn], window: usageWindow(NOW, 60) },
      ],
    );
  });

  it("does not ask about a model its tags keep or whose tags could not be read", async () => {
    // Prepare
    const usage = new FakeUsage();
    const metrics = stage(usage);
    const [kept, unreadable] = modelsOf("cats", 2) as [RunningModel, RunningModel];

    // Act
    const measured = [
      metrics.run({
        model: kept,
        tags: NO_TAGS,
        policy: { keep: true, reason: "opted out", cause: "opted-out" },
      }),
      metrics.run({ model: unreadable, tags: { error: "ListTagsForResource on the model failed: x" } }),
    ];
    metrics.end?.();
    const answers = await Promise.all(measured);

    // Assess
    assert.deepEqual(usage.calls, []);
    assert.deepEqual(
      answers.map((answer) => answer.usage),
      [METRICS_NOT_NEEDED, METRICS_NOT_NEEDED],
    );
  });

  const failures: {
    name: string;
    prepare: (usage: FakeUsage, model: RunningModel) => void;
    error: string;
  }[] = [
    {
      name: "the batch's GetMetricData fails",
      prepare: (usage) => {
        usage.failure = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
      },
      error: "GetMetricData failed: Throttling: Rate exceeded",
    },
    {
      name: "CloudWatch leaves the model out of its answer",
      prepare: (usage, model) => usage.unanswered.add(model.modelArn),
      error: "CloudWatch returned nothing for the model",
    },
  ];
  for (const { name, prepare, error } of failures) {
    it(`gives the reason the usage is unknown when ${name}`, async () => {
      // Prepare
      const usage = new FakeUsage();
      const [model] = modelsOf("cats", 1) as [RunningModel];
      prepare(usage, model);
      const metrics = stage(usage);

      // Act
      const measured = metrics.run(judgeable(model));
      metrics.end?.();

      // Assess
      assert.deepEqual((await measured).usage, { error });
    });
  }

  it("hands on each model's own usage, with its tags", async () => {
    // Prepare
    const usage = new FakeUsage();
    const [busy, idle] = modelsOf("cats", 2) as [RunningModel, RunningModel];
    usage.usage.set(busy.modelArn, busyUsage());
    const metrics = stage(usage);

    // Act
    const measured = [metrics.run(judgeable(busy)), metrics.run(judgeable(idle))];
    metrics.end?.();
    const [busyAnswer, idleAnswer] = await Promise.all(measured);

    // Assess
    assert.deepEqual(busyAnswer, { ...judgeable(busy), usage: busyUsage() });
    assert.deepEqual(idleAnswer, { ...judgeable(idle), usage: idleUsage() });
  });
});
