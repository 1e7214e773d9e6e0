import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIsoInstant, parseOptOut } from "../../lambda/core/opt-out.ts";

describe("parseIsoInstant", () => {
  const cases: [string, number | undefined][] = [
    ["2026-12-24", Date.UTC(2026, 11, 24)],
    ["2026-12-24T18:00", Date.UTC(2026, 11, 24, 18)],
    ["2026-12-24T18:00:30Z", Date.UTC(2026, 11, 24, 18, 0, 30)],
    ["2026-12-24t18:00:30.250z", Date.UTC(2026, 11, 24, 18, 0, 30, 250)],
    ["2026-12-24T18:00:00+02:00", Date.UTC(2026, 11, 24, 16)],
    ["2026-12-24T18:00:00-0530", Date.UTC(2026, 11, 24, 23, 30)],
    ["2028-02-29", Date.UTC(2028, 1, 29)],
    ["2026-02-29", undefined],
    ["2026-13-01", undefined],
    ["2026-12-24T24:00", undefined],
    ["2026-12-24T18:61", undefined],
    ["2026-12-24T18:00:00+15:00", undefined],
    ["24/12/2026", undefined],
    ["2026-12-24 tomorrow", undefined],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected === undefined ? "not a date" : new Date(expected).toISOString()}`, () => {
      assert.equal(parseIsoInstant(text), expected);
    });
  }
});

describe("parseOptOut", () => {
  const now = Date.UTC(2026, 10, 28, 2);
  it("treats an absent tag as no opt-out", () => {
    assert.deepEqual(parseOptOut(undefined, now), { kind: "none" });
  });
  it("keeps the original value for the reason", () => {
    assert.deepEqual(parseOptOut(" Disabled ", now), { kind: "never", value: " Disabled " });
  });
  it("lets a model be stopped for true, on, yes, enabled or 1, and a past date", () => {
    for (const value of ["true", "ON", " yes", "Enabled", "1", "2026-11-27"])
      assert.deepEqual(parseOptOut(value, now), { kind: "none" }, value);
  });
  it("calls any other value unknown, to be kept: the owner tagged the model to say something", () => {
    for (const value of ["keep", "skip", "", "  ", "24/12/2026", "until 2026-12-24", '"never"'])
      assert.deepEqual(parseOptOut(value, now), { kind: "unknown", value }, value);
  });
  it("returns the instant a snooze ends", () => {
    assert.deepEqual(parseOptOut("2026-11-29", now), {
      kind: "snoozed",
      value: "2026-11-29",
      until: Date.UTC(2026, 10, 29),
    });
  });
});
