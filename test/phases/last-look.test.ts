import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../lambda/core/decide.ts";
import type { RequestEvidence, RunningModel } from "../../lambda/core/types.ts";
import { lastLook } from "../../lambda/phases/last-look.ts";
import { awsError, configWith, FakeUsage, MINUTE, NOW, runningModel } from "./fakes.ts";

const LOOK_AT = NOW + 42_000;

const decision = (model: RunningModel, action: "stop" | "keep"): Decision => ({
  model,
  verdict: {
    action,
    reason: action === "stop" ? "idle: no requests" : "in use: 3 requests",
    facts: { idleMinutes: 180 },
    cause: action === "stop" ? "idle" : "in-use",
  },
});

const oneRequest = (at: number): RequestEvidence => ({
  requests: {
    SuccessfulRequestCount: [],
    UserErrorCount: [{ at, value: 1 }],
    ServerErrorCount: [],
    ThrottledCount: [],
  },
});

function world(env: Record<string, string> = {}) {
  const usage = new FakeUsage();
  const look = (decisions: Decision[]) =>
    lastLook({ usage, clock: () => LOOK_AT }, configWith(env), { now: NOW, decisions });
  return { usage, look };
}

describe("the last-look phase", () => {
  it("re-reads the stop candidates of each region in one call, from lastLookMinutes before the decision to the look", async () => {
    // Prepare
    const { usage, look } = world();
    const east = [runningModel("a", "v1"), runningModel("b", "v1")];
    const west = runningModel("c", "v1", "eu-west-1");
    const busy = runningModel("d", "v1");

    // Act
    const looked = await look([
      decision(east[0] as RunningModel, "stop"),
      decision(busy, "keep"),
      decision(west, "stop"),
      decision(east[1] as RunningModel, "stop"),
    ]);

    // Assess
    assert.deepEqual(
      usage.requestCalls.map((call) => [call.region, call.arns]),
      [
        ["us-east-1", east.map((m) => m.modelArn)],
        ["eu-west-1", [west.modelArn]],
      ],
    );
    for (const call of usage.requestCalls)
      assert.deepEqual(call.range, { start: NOW - 15 * MINUTE, end: LOOK_AT, periodSeconds: 60 });
    assert.deepEqual(
      looked.decisions.map((d) => [d.model.projectName, d.verdict.action]),
      [
        ["a", "stop"],
        ["d", "keep"],
        ["c", "stop"],
        ["b", "stop"],
      ],
    );
    assert.deepEqual(looked.decisions[0]?.verdict.facts.lastLook, {
      at: "2026-11-28T02:00:42Z",
      fromTime: "2026-11-28T01:45:00Z",
      requests: 0,
    });
    assert.equal(looked.decisions[1]?.verdict.facts.lastLook, undefined, "a keep is not looked at");
    assert.deepEqual(looked.errors, []);
  });

  const sides: {
    name: string;
    answer: (model: RunningModel, usage: FakeUsage) => void;
    action: string;
    error?: RegExp;
  }[] = [
    { name: "nothing new", answer: () => {}, action: "stop" },
    {
      name: "a request a minute before the run",
      answer: (m, usage) => usage.requests.set(m.modelArn, oneRequest(NOW - MINUTE)),
      action: "keep",
    },
    {
      name: "a request during the last look's span, after the decision",
      answer: (m, usage) => usage.requests.set(m.modelArn, oneRequest(NOW)),
      action: "keep",
    },
    {
      name: "the model's re-read failed",
      answer: (m, usage) =>
        usage.requests.set(m.modelArn, { error: "CloudWatch returned status InternalError" }),
      action: "keep",
      error: /^last look: CloudWatch returned status InternalError$/,
    },
    {
      name: "no answer for the model",
      answer: (m, usage) => usage.unanswered.add(m.modelArn),
      action: "keep",
      error: /^last look: CloudWatch returned nothing for the model$/,
    },
    {
      name: "the whole re-read failed",
      answer: (_m, usage) => {
        usage.requestFailure = awsError("Throttling", "Rate exceeded");
      },
      action: "keep",
      error: /^last look: GetMetricData failed: Throttling: Rate exceeded$/,
    },
  ];
  for (const { name, answer, action, error } of sides) {
    it(`${action === "stop" ? "still stops" : "keeps"} an idle model when the last look finds ${name}`, async () => {
      // Prepare
      const { usage, look } = world();
      const model = runningModel("cats", "v1");
      answer(model, usage);

      // Act
      const looked = await look([decision(model, "stop")]);

      // Assess
      assert.equal(looked.decisions[0]?.verdict.action, action, looked.decisions[0]?.verdict.reason);
      if (action === "keep")
        assert.match(looked.decisions[0]?.verdict.reason ?? "", /^kept (to be safe )?at the last look: /);
      if (error) {
        assert.equal(looked.errors.length, 1);
        assert.equal(looked.errors[0]?.arn, model.modelArn);
        assert.match(looked.errors[0]?.message ?? "", error);
      } else assert.deepEqual(looked.errors, []);
    });
  }

  it("reads as many minutes back as lastLookMinutes says, from the minute", async () => {
    // Prepare
    const { usage } = world();
    const model = runningModel("cats", "v1");

    // Act
    await lastLook({ usage, clock: () => LOOK_AT }, configWith({ LAST_LOOK_MINUTES: "60" }), {
      now: NOW + 30_000,
      decisions: [decision(model, "stop")],
    });

    // Assess
    assert.equal(usage.requestCalls[0]?.range.start, NOW - 60 * MINUTE);
  });

  it("makes no call when nothing is to be stopped", async () => {
    // Prepare
    const { usage, look } = world();

    // Act
    const looked = await look([decision(runningModel("a", "v1"), "keep")]);

    // Assess
    assert.deepEqual(usage.requestCalls, []);
    assert.equal(looked.decisions[0]?.verdict.action, "keep");
  });
});
