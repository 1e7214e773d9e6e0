import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TagEvidence, UsageEvidence } from "../../lambda/core/types.ts";
import { decideModel } from "../../lambda/phases/decide.ts";
import { METRICS_NOT_NEEDED } from "../../lambda/phases/read-metrics.ts";
import { busyUsage, configWith, idleUsage, NOW, runningModel } from "./fakes.ts";

const MODEL = runningModel("cats", "v1");
const NO_TAGS: TagEvidence = { model: {}, project: {} };

describe("the decide phase", () => {
  const cases: {
    name: string;
    tags: TagEvidence;
    usage: UsageEvidence;
    action: "stop" | "keep";
    reason: RegExp;
    problems: string[];
  }[] = [
    {
      name: "idle all window",
      tags: NO_TAGS,
      usage: idleUsage(),
      action: "stop",
      reason: /^idle: no requests/,
      problems: [],
    },
    {
      name: "in use",
      tags: NO_TAGS,
      usage: busyUsage(),
      action: "keep",
      reason: /^in use: 3 requests/,
      problems: [],
    },
    {
      name: "opted out, metrics not read",
      tags: { model: { "auto-stop": "never" }, project: {} },
      usage: METRICS_NOT_NEEDED,
      action: "keep",
      reason: /^opted out/,
      problems: [],
    },
    {
      name: "tags unreadable",
      tags: { error: "ListTagsForResource on the model failed: denied" },
      usage: METRICS_NOT_NEEDED,
      action: "keep",
      reason: /^kept to be safe: could not read tags/,
      problems: ["ListTagsForResource on the model failed: denied"],
    },
    {
      name: "metrics unreadable",
      tags: NO_TAGS,
      usage: { error: "GetMetricData failed: Throttling" },
      action: "keep",
      reason: /^kept to be safe: could not read metrics/,
      problems: ["GetMetricData failed: Throttling"],
    },
  ];
  for (const { name, tags, usage, action, reason, problems } of cases) {
    it(`judges a model by its evidence and reports what could not be read: ${name}`, async () => {
      // Prepare
      const stage = decideModel(configWith(), NOW);

      // Act
      const decided = await stage.run({ model: MODEL, tags, usage });

      // Assess
      assert.equal(decided.decision.model, MODEL);
      assert.equal(decided.decision.verdict.action, action);
      assert.match(decided.decision.verdict.reason, reason);
      assert.deepEqual(
        decided.problems,
        problems.map((message) => ({ arn: MODEL.modelArn, message })),
      );
    });
  }
});
