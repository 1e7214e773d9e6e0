import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  nextOccurrence,
  parseRestartRule,
  RESTART_RULE_ALLOWED,
  type RestartRule,
  zonedInstant,
} from "../../lambda/core/restart-rule.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function ruleOf(value: string): RestartRule {
  const parsed = parseRestartRule(value);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.rule;
}

describe("the restart rule grammar", () => {
  const valid: [string, string][] = [
    ["weekdays 07:30 Europe/Paris", "weekdays 07:30 Europe/Paris"],
    ["daily 06:00 UTC", "daily 06:00 UTC"],
    ["mon,wed 08:00 America/New_York", "mon,wed 08:00 America/New_York"],
    ["  WEEKENDS   9:05  utc ", "weekends 09:05 UTC"],
    ["mon-fri 23:59 Asia/Tokyo", "weekdays 23:59 Asia/Tokyo"],
    ["fri-mon 00:00 Europe/London", "mon,fri,sat,sun 00:00 Europe/London"],
    ["sun,sat 12:00 Australia/Lord_Howe", "weekends 12:00 Australia/Lord_Howe"],
    ["mon,mon-tue,sun 06:30 europe/paris", "mon,tue,sun 06:30 Europe/Paris"],
    ["mon-sun 06:30 UTC", "daily 06:30 UTC"],
  ];
  for (const [value, canonical] of valid) {
    it(`reads ${JSON.stringify(value)} as ${canonical}`, () => {
      // Act
      const parsed = parseRestartRule(value);

      // Assess
      assert.ok("rule" in parsed, JSON.stringify(parsed));
      assert.equal(parsed.rule.text, canonical);
    });
  }

  const invalid: [string, RegExp][] = [
    ["", /it has 0 parts, not 3/],
    ["weekdays 07:30", /the time zone is missing \(add one such as UTC or Europe\/Paris\)/],
    ["weekdays at 07:30 UTC", /it has 4 parts, not 3/],
    ["weekday 07:30 UTC", /"weekday" is not a day/],
    ["monday 07:30 UTC", /"monday" is not a day/],
    ["mon,,wed 07:30 UTC", /"mon,,wed" is not a day/],
    ["mon-friday 07:30 UTC", /"mon-friday" is not a range of day names/],
    ["daily 24:00 UTC", /"24:00" is not a 24-hour time from 00:00 to 23:59/],
    ["daily 7h30 UTC", /"7h30" is not a 24-hour time/],
    ["daily 07:60 UTC", /"07:60" is not a 24-hour time/],
    ["daily 7:30pm UTC", /"7:30pm" is not a 24-hour time/],
    ["daily 07:30 Europe/Pariss", /"Europe\/Pariss" is not an IANA time zone/],
    ["daily 07:30 +01:00", /"\+01:00" is not an IANA time zone/],
    ["daily 07:30 CEST", /"CEST" is not an IANA time zone/],
  ];
  for (const [value, why] of invalid) {
    it(`refuses ${JSON.stringify(value)}, saying why and what is allowed`, () => {
      // Act
      const parsed = parseRestartRule(value);

      // Assess
      assert.ok("error" in parsed);
      assert.ok(parsed.error.startsWith(`${JSON.stringify(value)} is not a restart rule: `), parsed.error);
      assert.match(parsed.error, why);
      assert.ok(parsed.error.endsWith(`. Allowed: ${RESTART_RULE_ALLOWED}`), parsed.error);
    });
  }
});

describe("the next time a rule fires", () => {
  const cases: { rule: string; after: string; next: string; why: string }[] = [
    {
      rule: "weekdays 07:30 Europe/Paris",
      after: "2026-11-27T02:00:00Z",
      next: "2026-11-27T06:30:00Z",
      why: "a Friday night's stop: Friday 07:30 CET",
    },
    {
      rule: "weekdays 07:30 Europe/Paris",
      after: "2026-11-27T06:30:00Z",
      next: "2026-11-30T06:30:00Z",
      why: "exactly at the time: the next one, skipping the weekend",
    },
    {
      rule: "weekdays 07:30 Europe/Paris",
      after: "2026-11-28T02:00:00Z",
      next: "2026-11-30T06:30:00Z",
      why: "a Saturday stop: Monday",
    },
    {
      rule: "daily 06:00 UTC",
      after: "2026-11-28T05:59:59Z",
      next: "2026-11-28T06:00:00Z",
      why: "one second before",
    },
    {
      rule: "mon,wed 08:00 America/New_York",
      after: "2026-11-26T12:00:00Z",
      next: "2026-11-30T13:00:00Z",
      why: "Thursday: next Monday, EST",
    },
    {
      rule: "mon 08:00 America/New_York",
      after: "2026-11-30T13:00:00Z",
      next: "2026-12-07T13:00:00Z",
      why: "a weekly rule right after it fired: a week later",
    },
    {
      rule: "daily 00:30 Asia/Tokyo",
      after: "2026-11-28T16:00:00Z",
      next: "2026-11-29T15:30:00Z",
      why: "the local date is ahead of UTC",
    },
    {
      rule: "daily 23:30 America/Los_Angeles",
      after: "2026-11-28T08:00:00Z",
      next: "2026-11-29T07:30:00Z",
      why: "the local date is behind UTC",
    },
    // Daylight saving: Europe/Paris springs forward on 2026-03-29 at 02:00 (to 03:00) and falls back on 2026-10-25
    // at 03:00 (to 02:00); America/New_York springs forward on 2026-03-08 at 02:00 and falls back on 2026-11-01.
    {
      rule: "mon 07:30 America/New_York",
      after: "2026-03-06T03:00:00Z",
      next: "2026-03-09T11:30:00Z",
      why: "a weekend over the spring-forward change: 07:30 EDT, an hour earlier in UTC than the week before",
    },
    {
      rule: "mon 07:30 America/New_York",
      after: "2026-10-30T03:00:00Z",
      next: "2026-11-02T12:30:00Z",
      why: "a weekend over the fall-back change: 07:30 EST",
    },
    {
      rule: "daily 02:30 Europe/Paris",
      after: "2026-03-29T00:00:00Z",
      next: "2026-03-29T01:30:00Z",
      why: "02:30 does not exist that night: taken at the winter offset, i.e. 03:30 CEST",
    },
    {
      rule: "daily 02:30 Europe/Paris",
      after: "2026-03-29T01:30:00Z",
      next: "2026-03-30T00:30:00Z",
      why: "the day after the gap: 02:30 CEST again",
    },
    {
      rule: "daily 02:30 Europe/Paris",
      after: "2026-10-24T23:00:00Z",
      next: "2026-10-25T00:30:00Z",
      why: "02:30 happens twice that night: the first, in CEST",
    },
    {
      rule: "daily 02:30 Europe/Paris",
      after: "2026-10-25T00:30:00Z",
      next: "2026-10-26T01:30:00Z",
      why: "after the first 02:30 of a repeated hour: not the second one, the next day",
    },
    {
      rule: "daily 02:30 America/New_York",
      after: "2026-03-08T05:00:00Z",
      next: "2026-03-08T07:30:00Z",
      why: "New York's gap: 02:30 EST read as 03:30 EDT",
    },
    {
      rule: "daily 01:30 America/New_York",
      after: "2026-11-01T04:00:00Z",
      next: "2026-11-01T05:30:00Z",
      why: "New York's repeated hour: 01:30 EDT, the first",
    },
  ];
  for (const { rule, after, next, why } of cases) {
    it(`${rule} after ${after} is ${next} (${why})`, () => {
      // Act
      const found = nextOccurrence(ruleOf(rule), at(after));

      // Assess
      assert.equal(iso(found), new Date(next).toISOString());
    });
  }
});

describe("a local time in a zone", () => {
  it("is the same instant whatever the day of a repeated or skipped hour, checked against Intl", () => {
    // Prepare: every half hour of two days around each change in Paris.
    const changes = ["2026-03-28T00:00:00Z", "2026-10-24T00:00:00Z"];
    for (const start of changes) {
      for (let step = 0; step < 96; step += 1) {
        const instant = at(start) + step * 30 * 60_000;
        const local = Date.parse(
          `${new Intl.DateTimeFormat("sv-SE", {
            timeZone: "Europe/Paris",
            dateStyle: "short",
            timeStyle: "medium",
          })
            .format(instant)
            .replace(" ", "T")}Z`,
        );

        // Act
        const back = zonedInstant(local, "Europe/Paris");

        // Assess: the local time maps back to this instant, or to the earlier instant with the same local time.
        assert.ok(back === instant || back === instant - 3_600_000, `${iso(instant)} → ${iso(back)}`);
      }
    }
  });
});
