import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RESTART_RULE_ALLOWED } from "../../lambda/core/restart-rule.ts";
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
      name: "a restart tag that is not a rule (kept, and reported with what is allowed)",
      tags: { model: { "auto-stop:restart": "weekdays at 7" }, project: {} },
      usage: METRICS_NOT_NEEDED,
      action: "keep",
      reason: /^kept to be safe: tag auto-stop:restart on the model: "weekdays at 7" is not a restart rule/,
      problems: [
        `tag auto-stop:restart on the model: "weekdays at 7" is not a restart rule: "at" is not a 24-hour time from 00:00 to 23:59. Allowed: ${RESTART_RULE_ALLOWED}`,
      ],
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

  it("hands on the restart rule of the model's tags with its decision, the model's own tag first", async () => {
    // Prepare
    const stage = decideModel(configWith(), NOW);
    const tags: TagEvidence = {
      model: { "auto-stop:restart": "mon-fri 7:30 europe/paris" },
      project: { "auto-stop:restart": "daily 06:00 UTC" },
    };

    // Act
    const decided = await stage.run({ model: MODEL, tags, usage: idleUsage() });

    // Assess
    assert.equal(decided.decision.verdict.action, "stop");
    assert.deepEqual(decided.decision.restart, {
      rule: "weekdays 07:30 Europe/Paris",
      source: "tag auto-stop:restart on the model",
    });
    assert.deepEqual(decided.problems, []);
  });
});
