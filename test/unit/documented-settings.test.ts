/**
 * The settings as the README documents them: one boolean grammar at synth and in the function's environment, and
 * every range of the configuration table accepted at both of its ends, with every other setting at its default.
 * The ranges are read from the README's own table, so a range documented there and not kept by the code, or the
 * other way round, fails here.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ORGANIZATION_SETTINGS } from "../../common/organization-settings.ts";
import { BOOLEAN_FORM, SETTINGS, settingsFromEnv } from "../../common/settings.ts";
import { INFRA_SETTINGS, parseGivenSettings, type StackSettings } from "../../infra/stack-settings.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** One row of the README's configuration table that documents a range `A–B`. */
interface DocumentedRange {
  readonly key: keyof StackSettings;
  readonly env?: string;
  readonly min: number;
  readonly max: number;
}

/** The rows of the configuration table whose "Allowed" cell starts with a range such as `15–10080`. */
function documentedRanges(readme: string): DocumentedRange[] {
  const section = readme.slice(readme.indexOf("### Configuration"));
  const ranges: DocumentedRange[] = [];
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const key = /^`(\w+)`$/.exec(cells[1] ?? "")?.[1];
    const env = /^`([A-Z_]+)`$/.exec(cells[2] ?? "")?.[1];
    const range = /^(\d+)–(\d+)/.exec(cells[4] ?? "");
    if (key && range)
      ranges.push({
        key: key as keyof StackSettings,
        ...(env && { env }),
        min: Number(range[1]),
        max: Number(range[2]),
      });
  }
  return ranges;
}

/** Synth's check of one context key, every other key at its default. */
const atSynth = (key: keyof StackSettings, value: string) =>
  parseGivenSettings(
    (candidate) => (candidate === key ? value : undefined),
    (candidate) => `context key ${candidate}`,
  );

const BOOLEAN_KEYS = [...SETTINGS, ...INFRA_SETTINGS, ...ORGANIZATION_SETTINGS]
  .filter((spec) => typeof spec.default === "boolean")
  .map((spec) => spec.key);

describe("the boolean grammar", () => {
  const accepted: [string, boolean][] = [
    ["true", true],
    ["false", false],
    ["TRUE", true],
    ["False", false],
    [" true ", true],
    ["\tfalse\n", false],
  ];
  const refused = ["yes", "no", "1", "0", "on", "off", "y", "t", "", "truee", "true false"];

  it("covers every boolean setting, runtime and infra-only", () => {
    // Assess
    assert.deepEqual(BOOLEAN_KEYS.sort(), [
      "dryRun",
      "enabled",
      "includeHubAccount",
      "overlapPhases",
      "publishEvents",
      "requireOptIn",
      "retainLogTable",
      "tagLastAction",
    ]);
  });

  for (const key of BOOLEAN_KEYS) {
    it(`${key} at synth takes true or false in any case with spaces around, and refuses yes, 1, on…`, () => {
      for (const [raw, value] of accepted) assert.equal(atSynth(key, raw)[key], value, JSON.stringify(raw));
      for (const raw of refused)
        assert.throws(() => atSynth(key, raw), {
          name: "InvalidSettingError",
          message: new RegExp(
            `^Invalid context key ${key}: ${JSON.stringify(JSON.stringify(raw)).slice(1, -1)}\\. Allowed: true or false`,
          ),
        });
    });
  }

  for (const spec of SETTINGS.filter((candidate) => typeof candidate.default === "boolean")) {
    it(`${spec.env} in the function's environment follows the same grammar and names the variable`, () => {
      for (const [raw, value] of accepted)
        assert.equal(settingsFromEnv({ [spec.env]: raw })[spec.key], value, JSON.stringify(raw));
      for (const raw of refused.filter((candidate) => candidate !== ""))
        assert.throws(() => settingsFromEnv({ [spec.env]: raw }), {
          message: `Invalid ${spec.env}: ${JSON.stringify(raw)}. Allowed: ${spec.allowed}.`,
        });
      assert.ok(spec.allowed.startsWith(BOOLEAN_FORM));
    });
  }
});

describe("every range of the configuration table", () => {
  const ranges = documentedRanges(README);

  it("is found in the README's table, for every whole-number setting", () => {
    // Assess: the settings whose values are whole numbers in a range, runtime and infra-only.
    assert.deepEqual(ranges.map((range) => range.key).sort(), [
      "deadlineMarginSeconds",
      "describeConcurrency",
      "functionTimeoutMinutes",
      "idleMinutes",
      "lastLookMinutes",
      "logTtlDays",
      "mapConcurrency",
      "maxAttempts",
      "maxStopsPerRun",
      "memorySize",
      "metricsConcurrency",
      "metricsTps",
      "regretCheckMinutes",
      "rekognitionTps",
      "restartLeadMinutes",
      "stopConcurrency",
      "tagConcurrency",
      "warnBeforeStopHours",
    ]);
  });

  for (const { key, env, min, max } of ranges) {
    it(`${key} synthesizes at ${min} and at ${max} with every other setting at its default, and refuses ${min - 1} and ${max + 1}`, () => {
      // Act and assess: both ends are accepted, one step beyond each is refused.
      assert.equal(atSynth(key, String(min))[key], min);
      assert.equal(atSynth(key, String(max))[key], max);
      for (const outside of [min - 1, max + 1])
        assert.throws(() => atSynth(key, String(outside)), {
          name: "InvalidSettingError",
          message: new RegExp(`^Invalid context key ${key}: "${outside}"\\.`),
        });
    });

    if (env)
      it(`${env} starts the function at ${min} and at ${max}, and refuses ${min - 1} and ${max + 1}`, () => {
        const spec = SETTINGS.find((candidate) => candidate.env === env);
        assert.ok(spec, `${env} is a runtime setting`);
        assert.equal(settingsFromEnv({ [env]: String(min) })[spec.key], min);
        assert.equal(settingsFromEnv({ [env]: String(max) })[spec.key], max);
        for (const outside of [min - 1, max + 1])
          assert.throws(() => settingsFromEnv({ [env]: String(outside) }), {
            message: new RegExp(`^Invalid ${env}: "${outside}"\\.`),
          });
      });
  }
});
