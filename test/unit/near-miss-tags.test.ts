/**
 * Tags that look like an opt-out but are not one: which keys count, on both sides of each rule, what the note says,
 * and that the decision never changes because of them (only its facts, the scan and the digest say so).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide } from "../../lambda/core/decide.ts";
import { buildDigest } from "../../lambda/core/digest.ts";
import { foldTagKey, nearMissTags } from "../../lambda/core/near-miss-tags.ts";
import { tagKeysRead } from "../../lambda/core/tag-policy.ts";
import type { ModelUsage, RunningModel } from "../../lambda/core/types.ts";

const KEYS = tagKeysRead("auto-stop");
const found = (key: string, value = "true", keys = KEYS) =>
  nearMissTags({ model: { [key]: value }, project: {} }, keys).map((miss) => miss.suggestedKey);

describe("a tag key that looks like an opt-out", () => {
  const nearMisses: [string, string, string][] = [
    ["another case", "Auto-Stop", "auto-stop"],
    ["all capitals", "AUTO-STOP", "auto-stop"],
    ["an underscore", "auto_stop", "auto-stop"],
    ["no separator", "autostop", "auto-stop"],
    ["a space", "auto stop", "auto-stop"],
    ["a trailing space", "auto-stop ", "auto-stop"],
    ["the threshold key with a dash", "auto-stop-idle-minutes", "auto-stop:idle-minutes"],
    ["the threshold key in capitals", "Auto-Stop:Idle-Minutes", "auto-stop:idle-minutes"],
    ["the restart key in capitals", "Auto-Stop:Restart", "auto-stop:restart"],
    ["the key with the value in it", "auto-stop:never", "auto-stop"],
    ["the key and a word", "autostop-exempt", "auto-stop"],
    ["the stopper's name", "idle-stopper:keep", "auto-stop"],
    ["the stopper's full name", "idle-model-stopper", "auto-stop"],
    ["the stopper's short name", "model-stopper/skip", "auto-stop"],
    ["do not stop", "do-not-stop", "auto-stop"],
    ["don't stop", "DontStop", "auto-stop"],
    ["no stop", "no_stop", "auto-stop"],
    ["no auto-stop", "no-auto-stop", "auto-stop"],
    ["keep running", "keep-running", "auto-stop"],
    ["keep alive", "KeepAlive", "auto-stop"],
    ["always on", "always-on", "auto-stop"],
    ["exempt from stops", "stop-exempt", "auto-stop"],
    ["skip the stop", "skip-stop", "auto-stop"],
  ];
  for (const [what, key, suggested] of nearMisses) {
    it(`is found in ${JSON.stringify(key)} (${what}), naming ${suggested}`, () => {
      assert.deepEqual(found(key), [suggested]);
    });
  }

  const others: [string, string][] = [
    ["the opt-out key itself", "auto-stop"],
    ["the threshold key itself", "auto-stop:idle-minutes"],
    ["the warning topic key itself", "auto-stop:notify"],
    ["the restart rule key itself", "auto-stop:restart"],
    ["a team tag", "team"],
    ["another stop-related word", "stop-date"],
    ["auto-scaling", "auto-scaling"],
    ["a cost centre", "CostCenter"],
    ["keep as part of another word", "keeper"],
    ["a key that merely contains stop", "nonstop-pipeline"],
    ["an AWS-style name", "Name"],
  ];
  for (const [what, key] of others) {
    it(`is not found in ${JSON.stringify(key)} (${what})`, () => {
      assert.deepEqual(found(key), []);
    });
  }

  it("is judged against the configured key: with team:auto-stop, auto-stop is a near miss and team:auto-stop is not", () => {
    const keys = tagKeysRead("team:auto-stop");

    assert.deepEqual(found("auto-stop", "never", keys), ["team:auto-stop"]);
    assert.deepEqual(found("Team:Auto-Stop", "never", keys), ["team:auto-stop"]);
    assert.deepEqual(found("team:auto-stop", "never", keys), []);
  });

  it("says where the tag is, why it does nothing and what to tag instead", () => {
    const misses = nearMissTags(
      { model: { "idle-stopper:keep": "true" }, project: { "Auto-Stop": "never", team: "vision" } },
      KEYS,
    );

    assert.deepEqual(
      misses.map((miss) => miss.note),
      [
        "tag idle-stopper:keep=true on the model looks like an opt-out but does nothing: the opt-out key is auto-stop (e.g. auto-stop=never)",
        "tag Auto-Stop=never on the project looks like an opt-out but does nothing: tag keys are case-sensitive and must match exactly, and the key is auto-stop (e.g. auto-stop=never)",
      ],
    );
  });

  it("keeps the value of a threshold tag in its example", () => {
    const [miss] = nearMissTags({ model: { "auto-stop-idle-minutes": "480" }, project: {} }, KEYS);

    assert.match(miss?.note ?? "", /\(e\.g\. auto-stop:idle-minutes=480\)$/);
  });

  it("folds case and every separator a tag key may hold", () => {
    assert.equal(foldTagKey("Auto-Stop_ :x./+=@y"), "autostopxy");
  });
});

describe("the decision with a near-miss tag", () => {
  const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
  const model: RunningModel = {
    region: "us-east-1",
    projectArn: "arn:aws:rekognition:us-east-1:123456789012:project/dogs/1",
    projectName: "dogs",
    modelArn: "arn:aws:rekognition:us-east-1:123456789012:project/dogs/version/dogs.v1/2",
    versionName: "dogs.v1",
    minInferenceUnits: 1,
  };
  const idle: ModelUsage = {
    requests: { SuccessfulRequestCount: [], UserErrorCount: [], ServerErrorCount: [], ThrottledCount: [] },
    inService: Array.from({ length: 300 }, (_, i) => ({ at: NOW - (300 - i) * 60_000, value: 1 })),
  };
  const judge = (modelTags: Record<string, string>) =>
    decide({
      model,
      tags: { model: modelTags, project: {} },
      usage: idle,
      now: NOW,
      idleMinutes: 180,
      optOutTagKey: "auto-stop",
      pricePerInferenceUnitHour: 4,
    });

  it("is the same stop as without it, with the note in its facts", () => {
    const plain = judge({});
    const tagged = judge({ "idle-stopper:keep": "true" });

    assert.equal(tagged.action, "stop");
    assert.equal(tagged.reason, plain.reason);
    assert.deepEqual(
      { ...tagged.facts, nearMissTags: undefined },
      { ...plain.facts, nearMissTags: undefined },
    );
    assert.equal(plain.facts.nearMissTags, undefined);
    assert.equal(tagged.facts.nearMissTags?.length, 1);
  });

  it("is still a keep when the real opt-out is there too", () => {
    const verdict = judge({ "auto-stop": "never", autostop: "never" });

    assert.equal(verdict.action, "keep");
    assert.match(verdict.reason, /^opted out: tag auto-stop=never on the model/);
    assert.equal(verdict.facts.nearMissTags?.length, 1);
  });

  it("is named in the digest under the stopped model", () => {
    const verdict = judge({ "idle-stopper:keep": "true" });

    const digest = buildDigest({
      runId: "run-1",
      dryRun: false,
      now: NOW,
      regions: ["us-east-1"],
      scanned: 1,
      kept: 0,
      stopped: [{ model, verdict }],
      errors: [],
      unfinished: [],
      logTableName: "log",
    });

    assert.match(
      digest?.message ?? "",
      /^ {2}idle: no requests .*\n {2}note: tag idle-stopper:keep=true on the model looks like an opt-out but does nothing: the opt-out key is auto-stop \(e\.g\. auto-stop=never\)\n {2}arn:aws:rekognition:.*dogs\.v1\/2$/m,
    );
  });
});
