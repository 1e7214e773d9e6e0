/**
 * The follow-up schedule's gap against restartLeadMinutes: synth's warning (never an error, since only models with a
 * restart rule are affected), and the longest gap it measures for a rate and for a cron.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { followUpGapWarning, longestScheduleGapMinutes } from "../../infra/stack-settings.ts";

const warningFor = (followUpSchedule: string, restartLeadMinutes = 45) =>
  followUpGapWarning({ followUpSchedule, restartLeadMinutes, optOutTagKey: "auto-stop" });

describe("longestScheduleGapMinutes", () => {
  const cases: [string, number | undefined][] = [
    ["rate(15 minutes)", 15],
    ["rate(1 hour)", 60],
    ["rate(1 day)", 1440],
    ["cron(0/15 * * * ? *)", 15],
    ["cron(5,50 * ? * * *)", 45],
    ["cron(0/15 8-23 * * ? *)", 495],
    ["cron(*/15 * ? * SUN-SAT *)", 15],
    // aws-cron-parser reads a range that wraps past Saturday as no day; one round the whole week is every day.
    ["cron(*/15 * ? * MON-SUN *)", 15],
    ["cron(*/15 * ? * 2-1 *)", 15],
    ["cron(*/15 * ? * mon-sun *)", 15],
    ["cron(*/15 * ? * MON-FRI *)", undefined],
    ["cron(*/15 * ? * FRI-MON *)", undefined],
    ["cron(*/15 * ? * SAT-SUN *)", undefined],
    ["cron(*/15 * 1-15 * ? *)", undefined],
    ["cron(*/15 * * 1-6 ? *)", undefined],
  ];
  for (const [expression, gap] of cases)
    it(`is ${gap ?? "undefined"} for ${expression}`, () => {
      assert.equal(longestScheduleGapMinutes(expression), gap);
    });
});

describe("followUpGapWarning", () => {
  it("warns nothing when the follow-ups come at most restartLeadMinutes apart", () => {
    for (const [schedule, lead] of [
      ["rate(15 minutes)", 45],
      ["rate(45 minutes)", 45],
      ["rate(1 hour)", 60],
      ["rate(3 hours)", 180],
      ["cron(0/15 * * * ? *)", 30],
      ["cron(5,50 * ? * * *)", 45],
      ["cron(*/15 * ? * MON-SUN *)", 45],
    ] as const)
      assert.equal(warningFor(schedule, lead), undefined, `${schedule} with ${lead}`);
  });

  it("names both settings, the gap, the delay and both remedies when raising the lead can help", () => {
    assert.equal(
      warningFor("rate(2 hours)", 90),
      "followUpSchedule rate(2 hours) runs the follow-ups up to 2h00m apart, more than restartLeadMinutes 90: a " +
        "restart by rule (tag auto-stop:restart) is made by the first follow-up from restartLeadMinutes before the " +
        "rule's time, so it can start a model up to 30 minutes after that time. If you use restart rules, run the " +
        "follow-ups at most 90 minutes apart, such as rate(15 minutes), or raise restartLeadMinutes to 120 or more " +
        "(at most 180).",
    );
  });

  it("suggests only more frequent follow-ups when the gap is over 180 minutes", () => {
    const warning = warningFor("rate(4 hours)");
    assert.match(String(warning), /up to 4h00m apart, .* up to 3h15m after that time\./);
    assert.doesNotMatch(String(warning), /raise restartLeadMinutes/);
  });

  it("says a schedule that skips days can restart a model a day or more late, without suggesting a longer lead", () => {
    for (const schedule of ["cron(*/5 8-18 ? * MON-FRI *)", "cron(*/15 * ? * FRI-MON *)"]) {
      const warning = String(warningFor(schedule, 180));
      assert.match(
        warning,
        /^followUpSchedule cron\(.*\) does not run every day, with restartLeadMinutes 180: /,
      );
      assert.match(warning, /a day or more late\./);
      assert.doesNotMatch(warning, /raise restartLeadMinutes/);
    }
  });
});
