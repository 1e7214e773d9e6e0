/**
 * The pure part of the events and the last-action tag: the PutEvents entry of each action and the tag's key and
 * value, which must fit AWS's rules for tags (checked against Rekognition's API model) and EventBridge's for an entry.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_OPT_OUT_KEY_LENGTH, settingsFromEnv } from "../../common/settings.ts";
import {
  type Announcement,
  DETAIL_TYPES,
  eventEntryOf,
  lastActionTagKey,
  lastActionTagValue,
} from "../../lambda/core/announcement.ts";
import { nearMissTags } from "../../lambda/core/near-miss-tags.ts";
import { tagKeysRead, tagPolicy } from "../../lambda/core/tag-policy.ts";
import { apiModel } from "../../sandbox/api-models.ts";

const NOW = Date.UTC(2026, 10, 28, 2, 0, 5, 678);
const MODEL_ARN = "arn:aws:rekognition:eu-west-1:123456789012:project/cats/version/cats.v1/1700000000001";

const action = (fields: Partial<Announcement> = {}): Announcement => ({
  action: "stopped",
  model: { region: "eu-west-1", projectName: "cats", versionName: "cats.v1", modelArn: MODEL_ARN },
  at: NOW,
  reason: "no requests for 3h00m; in service for the whole window",
  inferenceUnits: 2,
  estimatedHourlyCostUsd: 8,
  evidenceUntil: "2026-11-28T01:57:00Z",
  logRecord: { modelArn: MODEL_ARN, stoppedAt: "2026-11-28T02:00:00.000Z" },
  ...fields,
});

const shape = (name: string) => {
  for (const operation of apiModel("rekognition").operations.values()) {
    const tags = operation.input?.members.get("Tags")?.shape;
    if (tags?.key && tags.value) return name === "key" ? tags.key.shape : tags.value.shape;
  }
  throw new Error("no Tags map in the Rekognition model");
};

describe("the event of an action", () => {
  it("is from idle-model-stopper, names the model as its resource, and carries the run's facts in its detail", () => {
    // Act
    const entry = eventEntryOf(action(), { runId: "scheduled-2026-11-28T02:00:00Z", logTableName: "stops" });

    // Assess
    assert.deepEqual(
      { ...entry, detail: JSON.parse(entry.detail) },
      {
        source: "idle-model-stopper",
        detailType: "Idle Model Stopped",
        resources: [MODEL_ARN],
        time: Date.UTC(2026, 10, 28, 2, 0, 5),
        detail: {
          version: "1",
          action: "stopped",
          modelArn: MODEL_ARN,
          accountId: "123456789012",
          projectName: "cats",
          versionName: "cats.v1",
          region: "eu-west-1",
          runId: "scheduled-2026-11-28T02:00:00Z",
          at: "2026-11-28T02:00:05Z",
          reason: "no requests for 3h00m; in service for the whole window",
          inferenceUnits: 2,
          estimatedHourlyCostUsd: 8,
          evidenceUntil: "2026-11-28T01:57:00Z",
          logRecord: { tableName: "stops", modelArn: MODEL_ARN, stoppedAt: "2026-11-28T02:00:00.000Z" },
        },
      },
    );
  });

  it("of a warning says when the stop may come, and leaves out what the decision did not measure", () => {
    // Act
    const entry = eventEntryOf(
      action({
        action: "warned",
        stopNotBefore: Date.UTC(2026, 10, 28, 10, 0, 0),
        inferenceUnits: undefined,
        estimatedHourlyCostUsd: undefined,
        evidenceUntil: undefined,
      }),
      { runId: "r", logTableName: "stops" },
    );

    // Assess
    const detail = JSON.parse(entry.detail);
    assert.equal(entry.detailType, "Idle Model Warned");
    assert.equal(detail.stopNotBefore, "2026-11-28T10:00:00Z");
    assert.deepEqual(
      ["inferenceUnits", "estimatedHourlyCostUsd", "evidenceUntil"].filter((key) => key in detail),
      [],
    );
  });

  it("has one detail type per action, the restart's reserved for the follow-up function", () => {
    assert.deepEqual(DETAIL_TYPES, {
      stopped: "Idle Model Stopped",
      warned: "Idle Model Warned",
      restarted: "Idle Model Restarted",
    });
  });
});

describe("the last-action tag", () => {
  it("is <optOutTagKey>:last-action=<action> <ISO time to the second>", () => {
    assert.equal(lastActionTagKey("auto-stop"), "auto-stop:last-action");
    assert.equal(lastActionTagValue("stopped", NOW), "stopped 2026-11-28T02:00:05Z");
    assert.equal(lastActionTagValue("warned", NOW), "warned 2026-11-28T02:00:05Z");
  });

  it("fits the key and value rules of Rekognition's API model, for every action and the longest key allowed", () => {
    // Prepare
    const [key, value] = [shape("key"), shape("value")];
    const longest = "k".repeat(MAX_OPT_OUT_KEY_LENGTH);

    // Act: the last-action key, and every other key the stopper reads, from the longest opt-out key allowed.
    const keys = [lastActionTagKey("auto-stop"), ...tagKeysRead(longest)];
    const values = (["stopped", "warned", "restarted"] as const).map((a) => lastActionTagValue(a, NOW));

    // Assess
    for (const k of keys) {
      assert.ok(k.length >= (key.min ?? 0) && k.length <= (key.max ?? 0), k);
      assert.match(k, key.pattern as RegExp);
    }
    for (const v of values) {
      assert.ok(v.length <= (value.max ?? 0), v);
      assert.match(v, value.pattern as RegExp);
    }
  });

  it("is read by the stopper as its own key: no opt-out, no near miss, whatever its value", () => {
    // Prepare
    const tags = { model: { "auto-stop:last-action": "stopped 2026-11-20T02:00:05Z" }, project: {} };

    // Act
    const misses = nearMissTags(tags, tagKeysRead("auto-stop"));
    const policy = tagPolicy(tags, {
      optOutTagKey: "auto-stop",
      requireOptIn: false,
      defaultIdleMinutes: 180,
      now: NOW,
    });

    // Assess
    assert.ok(tagKeysRead("auto-stop").includes("auto-stop:last-action"));
    assert.deepEqual(misses, []);
    assert.deepEqual(policy, { keep: false, idleMinutes: 180 });
  });

  it("needs room in the tag key: an opt-out key over 115 characters fails, tagLastAction on or off", () => {
    const key = "k".repeat(116);

    for (const tagLastAction of ["true", "false"])
      assert.throws(() => settingsFromEnv({ OPT_OUT_TAG_KEY: key, TAG_LAST_ACTION: tagLastAction }), {
        name: "InvalidSettingError",
        message: /^Invalid OPT_OUT_TAG_KEY: "k{116}"\. Allowed: a tag key of at most 115 characters/,
      });
    assert.equal(settingsFromEnv({ OPT_OUT_TAG_KEY: "k".repeat(115) }).optOutTagKey, "k".repeat(115));
  });
});
