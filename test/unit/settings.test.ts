import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_SETTINGS,
  MAX_OPT_OUT_KEY_LENGTH,
  MAX_TAG_KEY_LENGTH,
  OPT_OUT_KEY_SUFFIXES,
  settingsFromEnv,
  settingsToEnv,
} from "../../common/settings.ts";
import { loadConfig } from "../../lambda/config.ts";

const base = { LOG_TABLE_NAME: "idle-model-stopper-log", AWS_REGION: "eu-west-1" };

describe("settings from the environment", () => {
  it("applies every default when nothing is set", () => {
    assert.deepEqual(settingsFromEnv({}), {
      idleMinutes: 180,
      optOutTagKey: "auto-stop",
      dryRun: false,
      regions: [],
      maxStopsPerRun: 25,
      pricePerInferenceUnitHour: 4,
      logTtlDays: 400,
      maxAttempts: 6,
      requireOptIn: false,
      rekognitionTps: 5,
      metricsTps: 25,
      describeConcurrency: 4,
      tagConcurrency: 4,
      metricsConcurrency: 4,
      stopConcurrency: 5,
      deadlineMarginSeconds: 30,
      overlapPhases: true,
      discovery: "metrics-first",
      lastLookMinutes: 15,
      warnBeforeStopHours: 0,
      publishEvents: true,
      tagLastAction: true,
      regretCheckMinutes: 60,
      restartLeadMinutes: 45,
    });
  });

  it("reads every variable", () => {
    const settings = settingsFromEnv({
      IDLE_MINUTES: "120",
      OPT_OUT_TAG_KEY: "team:auto-stop",
      DRY_RUN: "TRUE",
      REGIONS: " us-east-1, eu-west-1 ,us-east-1",
      MAX_STOPS_PER_RUN: "3",
      PRICE_PER_INFERENCE_UNIT_HOUR: "4.25",
      LOG_TTL_DAYS: "30",
      AWS_MAX_ATTEMPTS: "3",
      REQUIRE_OPT_IN: " True ",
      REKOGNITION_TPS: "10",
      METRICS_TPS: "50",
      DESCRIBE_CONCURRENCY: "1",
      TAG_CONCURRENCY: "2",
      METRICS_CONCURRENCY: "3",
      STOP_CONCURRENCY: "4",
      DEADLINE_MARGIN_SECONDS: "60",
      OVERLAP_PHASES: "false",
      DISCOVERY: " Full ",
      LAST_LOOK_MINUTES: "60",
      WARN_BEFORE_STOP_HOURS: "168",
      PUBLISH_EVENTS: "False",
      TAG_LAST_ACTION: " false",
      REGRET_CHECK_MINUTES: "0",
      RESTART_LEAD_MINUTES: "30",
    });
    assert.deepEqual(settings, {
      idleMinutes: 120,
      optOutTagKey: "team:auto-stop",
      dryRun: true,
      regions: ["us-east-1", "eu-west-1"],
      maxStopsPerRun: 3,
      pricePerInferenceUnitHour: 4.25,
      logTtlDays: 30,
      maxAttempts: 3,
      requireOptIn: true,
      rekognitionTps: 10,
      metricsTps: 50,
      describeConcurrency: 1,
      tagConcurrency: 2,
      metricsConcurrency: 3,
      stopConcurrency: 4,
      deadlineMarginSeconds: 60,
      overlapPhases: false,
      discovery: "full",
      lastLookMinutes: 60,
      warnBeforeStopHours: 168,
      publishEvents: false,
      tagLastAction: false,
      regretCheckMinutes: 0,
      restartLeadMinutes: 30,
    });
  });

  it("round-trips through the environment the stack sets", () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      regions: ["us-west-2", "ap-south-1"],
      dryRun: true,
      idleMinutes: 15,
    };
    assert.deepEqual(settingsFromEnv(settingsToEnv(settings)), settings);
  });

  const bad: [string, string, RegExp][] = [
    ["IDLE_MINUTES", "14", /whole number of minutes from 15 to 10080/],
    ["IDLE_MINUTES", "10081", /from 15 to 10080/],
    ["IDLE_MINUTES", "90.5", /from 15 to 10080/],
    ["IDLE_MINUTES", "3h", /from 15 to 10080/],
    ["OPT_OUT_TAG_KEY", "aws:auto-stop", /not starting with aws:/],
    ["OPT_OUT_TAG_KEY", "x".repeat(129), /at most 115 characters, and this one has 129/],
    ["OPT_OUT_TAG_KEY", "auto stop!", /letters, digits, spaces or _ \. : \/ = \+ - @/],
    ["DRY_RUN", "maybe", /true or false/],
    ["REGIONS", "us-east-1,moon-1", /region codes/],
    ["MAX_STOPS_PER_RUN", "0", /from 1 to 1000/],
    ["PRICE_PER_INFERENCE_UNIT_HOUR", "-4", /above 0/],
    ["PRICE_PER_INFERENCE_UNIT_HOUR", "four", /above 0/],
    ["LOG_TTL_DAYS", "0", /from 1 to 3650/],
    ["AWS_MAX_ATTEMPTS", "0", /from 1 to 20/],
    ["REQUIRE_OPT_IN", "sometimes", /true or false/],
    ["REKOGNITION_TPS", "0", /from 1 to 100/],
    ["METRICS_TPS", "51", /from 1 to 50/],
    ["DESCRIBE_CONCURRENCY", "0", /from 1 to 32/],
    ["TAG_CONCURRENCY", "33", /from 1 to 32/],
    ["METRICS_CONCURRENCY", "-1", /from 1 to 32/],
    ["STOP_CONCURRENCY", "x", /from 1 to 32/],
    ["DEADLINE_MARGIN_SECONDS", "4", /from 5 to 150/],
    ["DEADLINE_MARGIN_SECONDS", "151", /from 5 to 150/],
    ["OVERLAP_PHASES", "sometimes", /true or false/],
    ["DISCOVERY", "metrics", /metrics-first .* or full/],
    [
      "LAST_LOOK_MINUTES",
      "14",
      /from 15 to 60 \(CloudWatch.s request metrics may arrive up to 15 minutes late/,
    ],
    ["LAST_LOOK_MINUTES", "61", /from 15 to 60/],
    ["WARN_BEFORE_STOP_HOURS", "169", /0 \(no warning.*from 1 to 168/],
    ["WARN_BEFORE_STOP_HOURS", "1.5", /from 1 to 168/],
    [
      "REGRET_CHECK_MINUTES",
      "14",
      /0 \(only the next nightly run checks a stop again\) or .* from 15 to 1440/,
    ],
    ["REGRET_CHECK_MINUTES", "1441", /from 15 to 1440/],
    ["REGRET_CHECK_MINUTES", "-1", /from 15 to 1440/],
    ["RESTART_LEAD_MINUTES", "29", /from 30 to 180 before a restart rule's time/],
    ["RESTART_LEAD_MINUTES", "181", /from 30 to 180/],
  ];
  for (const [name, value, allowed] of bad) {
    it(`rejects ${name}=${JSON.stringify(value.slice(0, 20))} naming the variable, the value and what is allowed`, () => {
      assert.throws(
        () => loadConfig({ ...base, [name]: value }),
        (error: Error) => {
          assert.equal(error.name, "InvalidSettingError");
          assert.ok(
            error.message.startsWith(`Invalid ${name}: ${JSON.stringify(value)}. Allowed: `),
            error.message,
          );
          assert.match(error.message, allowed);
          return true;
        },
      );
    });
  }
});

describe("the opt-out key's length", () => {
  it("is capped by the longest suffix the stopper puts after it: 128 less :idle-minutes, 115", () => {
    // Every key the stopper reads or writes from the longest allowed opt-out key fits AWS's 128, one exactly.
    const lengths = OPT_OUT_KEY_SUFFIXES.map((suffix) => MAX_OPT_OUT_KEY_LENGTH + suffix.length);
    assert.equal(MAX_OPT_OUT_KEY_LENGTH, 115);
    assert.ok(OPT_OUT_KEY_SUFFIXES.includes(":idle-minutes"));
    assert.ok(lengths.every((length) => length <= MAX_TAG_KEY_LENGTH));
    assert.equal(Math.max(...lengths), MAX_TAG_KEY_LENGTH);
  });

  for (const tagLastAction of ["true", "false"]) {
    it(`accepts 115 characters and refuses 116 with TAG_LAST_ACTION=${tagLastAction}, naming the key, its length, the cap and why`, () => {
      const longest = "k".repeat(115);
      const tooLong = "k".repeat(116);

      assert.equal(
        settingsFromEnv({ OPT_OUT_TAG_KEY: longest, TAG_LAST_ACTION: tagLastAction }).optOutTagKey,
        longest,
      );
      assert.throws(() => settingsFromEnv({ OPT_OUT_TAG_KEY: tooLong, TAG_LAST_ACTION: tagLastAction }), {
        name: "InvalidSettingError",
        message:
          `Invalid OPT_OUT_TAG_KEY: "${tooLong}". Allowed: a tag key of at most 115 characters, and this one has ` +
          "116: the stopper reads and writes the tags <key>:idle-minutes, <key>:notify, <key>:last-action, " +
          "<key>:restart, AWS allows at most 128 characters in a tag key, and the longest, <key>:idle-minutes, " +
          "leaves 115 for the key.",
      });
    });
  }

  it("counts the key without the spaces around it, as it is used, at cold start", () => {
    assert.equal(
      loadConfig({ ...base, OPT_OUT_TAG_KEY: ` ${"k".repeat(115)} ` }).optOutTagKey,
      "k".repeat(115),
    );
    assert.throws(() => loadConfig({ ...base, OPT_OUT_TAG_KEY: ` ${"k".repeat(116)} ` }), {
      name: "InvalidSettingError",
      message:
        /^Invalid OPT_OUT_TAG_KEY: "k{116}"\. Allowed: a tag key of at most 115 characters, and this one has 116:/,
    });
  });
});

describe("loadConfig", () => {
  it("scans the function's own region when REGIONS is empty", () => {
    const config = loadConfig({ ...base, REGIONS: "" });
    assert.deepEqual(config.regions, ["eu-west-1"]);
    assert.equal(config.homeRegion, "eu-west-1");
    assert.equal(config.logTableName, "idle-model-stopper-log");
    assert.ok(Object.isFrozen(config));
  });

  it("requires LOG_TABLE_NAME", () => {
    assert.throws(
      () => loadConfig({ AWS_REGION: "eu-west-1" }),
      /Invalid LOG_TABLE_NAME: null\. Allowed: a DynamoDB table name/,
    );
  });

  it("rejects a table name DynamoDB would refuse", () => {
    assert.throws(() => loadConfig({ ...base, LOG_TABLE_NAME: "a/b" }), /Invalid LOG_TABLE_NAME: "a\/b"/);
  });

  it("requires a region", () => {
    assert.throws(() => loadConfig({ LOG_TABLE_NAME: "stops" }), /Invalid AWS_REGION: null/);
  });
});
