/**
 * Property-based tests of the decision core and the tag parser: invariants that must hold whatever the metrics,
 * tags and clock, checked over generated inputs with fast-check.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { applyStopCap, type Decision, decide, usageWindow } from "../../lambda/core/decide.ts";
import { judgeLastLook } from "../../lambda/core/last-look.ts";
import { MAY_STOP_WORDS, parseIsoInstant, parseOptOut } from "../../lambda/core/opt-out.ts";
import type {
  Datapoint,
  ModelUsage,
  RequestEvidence,
  RunningModel,
  TagEvidence,
  UsageEvidence,
} from "../../lambda/core/types.ts";

const MINUTE = 60_000;
const KEY = "auto-stop";
const NEVER_WORDS = ["false", "off", "no", "never", "disabled", "0"];

const model: RunningModel = {
  region: "eu-west-1",
  projectArn: "arn:aws:rekognition:eu-west-1:123456789012:project/p/1",
  projectName: "p",
  modelArn: "arn:aws:rekognition:eu-west-1:123456789012:project/p/version/v/2",
  versionName: "v",
  minInferenceUnits: 1,
};

// A clock anywhere in 2020-2035, on any millisecond.
const nowArb = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
const idleArb = fc.integer({ min: 15, max: 10080 });

/** Datapoints at random minutes within `days` before `now`, with values including 0. */
const pointsArb = (now: number, maxPoints: number) =>
  fc
    .array(
      fc.record({
        minutesAgo: fc.integer({ min: 0, max: 8 * 1440 }),
        value: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 1, max: 1000 }),
          fc.double({ min: 0, max: 50, noNaN: true }),
        ),
      }),
      { maxLength: maxPoints },
    )
    .map((points) =>
      points
        .map(
          ({ minutesAgo, value }): Datapoint => ({
            at: Math.floor((now - minutesAgo * MINUTE) / MINUTE) * MINUTE,
            value,
          }),
        )
        .sort((a, b) => a.at - b.at),
    );

/** Usage that may be anything: random requests and random in-service data, or a full in-service history. */
const usageArb = (now: number) =>
  fc.record({
    SuccessfulRequestCount: pointsArb(now, 5),
    UserErrorCount: pointsArb(now, 3),
    ServerErrorCount: pointsArb(now, 3),
    ThrottledCount: pointsArb(now, 3),
    inService: fc.oneof(
      pointsArb(now, 30),
      fc.integer({ min: 0, max: 9 * 1440 }).map((sinceMinutes) => {
        const points: Datapoint[] = [];
        const start = Math.floor((now - sinceMinutes * MINUTE) / MINUTE) * MINUTE;
        for (let at = start; at <= now - MINUTE; at += 5 * MINUTE) points.push({ at, value: 1 });
        return points;
      }),
    ),
  });

/** A clock reading and usage generated around it. */
const nowWithUsageArb = nowArb.chain((now) => fc.tuple(fc.constant(now), usageArb(now)));

const toUsage = (u: {
  SuccessfulRequestCount: Datapoint[];
  UserErrorCount: Datapoint[];
  ServerErrorCount: Datapoint[];
  ThrottledCount: Datapoint[];
  inService: Datapoint[];
}): ModelUsage => ({
  requests: {
    SuccessfulRequestCount: u.SuccessfulRequestCount,
    UserErrorCount: u.UserErrorCount,
    ServerErrorCount: u.ServerErrorCount,
    ThrottledCount: u.ThrottledCount,
  },
  inService: u.inService,
});

/** Tag values people actually write, and junk. */
const tagValueArb = fc.oneof(
  fc.constantFrom(...NEVER_WORDS, "true", "yes", "maybe", "", " ", "2026-02-30", "2026-13-01T00:00"),
  fc.string({ maxLength: 20 }),
  fc
    .date({ min: new Date(2019, 0, 1), max: new Date(2037, 0, 1), noInvalidDate: true })
    .map((d) => d.toISOString()),
);
const tagsArb = fc.record({
  model: fc.dictionary(fc.constantFrom(KEY, `${KEY}:idle-minutes`, "team", "owner"), tagValueArb, {
    maxKeys: 3,
  }),
  project: fc.dictionary(fc.constantFrom(KEY, `${KEY}:idle-minutes`, "team"), tagValueArb, { maxKeys: 3 }),
});

const input = (now: number, idleMinutes: number, tags: TagEvidence, usage: UsageEvidence) => ({
  model,
  tags,
  usage,
  now,
  idleMinutes,
  optOutTagKey: KEY,
  pricePerInferenceUnitHour: 4,
});

describe("decision core properties", () => {
  it("never stops a model opted out on the model or its project, whatever its metrics and other tags", () => {
    fc.assert(
      fc.property(
        nowWithUsageArb,
        idleArb,
        fc.constantFrom(...NEVER_WORDS),
        fc.constantFrom("model" as const, "project" as const),
        fc.boolean(),
        tagsArb,
        ([now, usage], idle, word, where, upper, tags) => {
          const value = ` ${upper ? word.toUpperCase() : word} `;
          const tagged: TagEvidence = { ...tags, [where]: { ...tags[where], [KEY]: value } };
          return decide(input(now, idle, tagged, toUsage(usage))).action === "keep";
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never stops a model whose tags or metrics could not be read", () => {
    fc.assert(
      fc.property(nowArb, idleArb, tagsArb, fc.string(), (now, idle, tags, message) => {
        const withoutTags = decide(input(now, idle, { error: message }, toUsage(fullyIdle(now, idle))));
        const withoutMetrics = decide(input(now, idle, tags, { error: message }));
        return withoutTags.action === "keep" && withoutMetrics.action === "keep";
      }),
    );
  });

  it("never stops a model without in-service data from the start of its window", () => {
    fc.assert(
      fc.property(nowArb, idleArb, fc.integer({ min: 1, max: 10080 }), (now, idle, lateMinutes) => {
        const window = usageWindow(now, idle);
        const start = window.start + Math.min(lateMinutes, idle - 1) * MINUTE + MINUTE;
        const inService: Datapoint[] = [];
        for (let at = Math.floor(start / MINUTE) * MINUTE; at < now - MINUTE; at += MINUTE)
          inService.push({ at, value: 1 });
        const usage: ModelUsage = { ...toUsage(fullyIdle(now, idle)), inService };
        return decide(input(now, idle, { model: {}, project: {} }, usage)).action === "keep";
      }),
      { numRuns: 100 },
    );
  });

  it("never stops a model with any request in its window", () => {
    fc.assert(
      fc.property(
        nowArb,
        idleArb,
        fc.constantFrom("SuccessfulRequestCount", "UserErrorCount", "ServerErrorCount", "ThrottledCount"),
        fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (now, idle, metric, value, position) => {
          const window = usageWindow(now, idle);
          const at = Math.floor((window.start + position * (now - window.start)) / MINUTE) * MINUTE;
          const base = toUsage(fullyIdle(now, idle));
          const usage: ModelUsage = {
            ...base,
            requests: { ...base.requests, [metric]: [{ at: Math.max(at, window.start), value }] },
          };
          return decide(input(now, idle, { model: {}, project: {} }, usage)).action === "keep";
        },
      ),
    );
  });

  it("stops a model with no requests in service for its whole window, unless a tag says otherwise", () => {
    fc.assert(
      fc.property(nowArb, idleArb, (now, idle) => {
        const verdict = decide(input(now, idle, { model: {}, project: {} }, toUsage(fullyIdle(now, idle))));
        return verdict.action === "stop" && verdict.reason.startsWith("idle: no requests");
      }),
    );
  });

  it("gives the same verdict whatever other tags the model and project carry, up to AWS's 200 each", () => {
    // Keys that are not the opt-out key or its idle-minutes key, in any case, values with spaces and odd case.
    const otherTags = fc.dictionary(
      fc
        .string({ minLength: 1, maxLength: 128 })
        .filter((key) => !key.startsWith(KEY) && !key.startsWith("aws:")),
      fc.string({ maxLength: 256 }),
      { maxKeys: 200 },
    );
    fc.assert(
      fc.property(
        nowWithUsageArb,
        idleArb,
        tagsArb,
        otherTags,
        otherTags,
        ([now, usage], idle, tags, onModel, onProject) => {
          const plain = decide(input(now, idle, tags, toUsage(usage)));
          const crowded = decide(
            input(
              now,
              idle,
              { model: { ...onModel, ...tags.model }, project: { ...onProject, ...tags.project } },
              toUsage(usage),
            ),
          );
          assert.deepEqual(crowded, plain);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the cap on stops never turns a keep into a stop, and keeps the most expensive stops", () => {
    const decisionArb = fc.record({
      action: fc.constantFrom("stop" as const, "keep" as const),
      cost: fc.option(
        fc.integer({ min: 0, max: 400 }).map((cents) => cents / 4),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(decisionArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 1000 }),
        (drawn, cap) => {
          const decisions: Decision[] = drawn.map(({ action, cost }, index) => ({
            model: { ...model, modelArn: `${model.modelArn}-${String(index).padStart(2, "0")}` },
            verdict: {
              action,
              reason: `${action} ${index}`,
              facts: { idleMinutes: 180, ...(cost !== undefined && { estimatedHourlyCostUsd: cost }) },
            },
          }));
          const capped = applyStopCap(decisions, cap);
          const stops = capped.filter((d) => d.verdict.action === "stop");
          assert.equal(capped.length, decisions.length);
          assert.equal(
            stops.length,
            Math.min(cap, decisions.filter((d) => d.verdict.action === "stop").length),
          );
          capped.forEach((d, index) => {
            if (d.verdict.action === "stop") assert.equal(decisions[index]?.verdict.action, "stop");
            else if (decisions[index]?.verdict.action === "stop")
              assert.match(d.verdict.reason, /reached its cap/);
          });
          const cheapestStopped = Math.min(...stops.map((d) => d.verdict.facts.estimatedHourlyCostUsd ?? 0));
          for (const d of capped)
            if (d.verdict.reason.includes("reached its cap"))
              assert.ok((d.verdict.facts.estimatedHourlyCostUsd ?? 0) <= cheapestStopped);
        },
      ),
    );
  });

  it("always gives a reason and keeps its facts consistent", () => {
    fc.assert(
      fc.property(nowWithUsageArb, idleArb, tagsArb, ([now, usage], idle, tags) => {
        const verdict = decide(input(now, idle, tags, toUsage(usage)));
        assert.ok(verdict.reason.length > 10);
        if (verdict.action === "stop") {
          assert.equal(verdict.facts.requestsInWindow, 0);
          assert.ok(verdict.facts.inServiceSince !== undefined);
        }
        if (verdict.facts.estimatedHourlyCostUsd !== undefined)
          assert.ok(verdict.facts.estimatedHourlyCostUsd >= 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the last look's properties", () => {
  /** Request datapoints at random minutes of the last `minutes`, values including 0. */
  const recentPointsArb = (now: number, minutes: number) =>
    fc
      .array(
        fc.record({
          minutesAgo: fc.integer({ min: 0, max: minutes }),
          value: fc.oneof(
            fc.constant(0),
            fc.integer({ min: 1, max: 50 }),
            fc.double({ min: 0, max: 5, noNaN: true }),
          ),
        }),
        { maxLength: 4 },
      )
      .map((points) =>
        points
          .map(
            ({ minutesAgo, value }): Datapoint => ({
              at: Math.floor(now / MINUTE) * MINUTE - minutesAgo * MINUTE,
              value,
            }),
          )
          .sort((a, b) => a.at - b.at),
      );

  /** What the last look read: the four request metrics over its span, or an error. */
  const lookArb = (now: number) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({
            SuccessfulRequestCount: recentPointsArb(now, 15),
            UserErrorCount: recentPointsArb(now, 15),
            ServerErrorCount: recentPointsArb(now, 15),
            ThrottledCount: recentPointsArb(now, 15),
          })
          .map((requests) => ({ requests }) as RequestEvidence),
      },
      { weight: 1, arbitrary: fc.string().map((error) => ({ error }) as RequestEvidence) },
    );

  /** Usage of any shape, or a model idle all window with a few requests sprinkled anywhere in the last day. */
  const anyUsageArb = (now: number, idle: number) =>
    fc.oneof(
      usageArb(now),
      fc
        .record({
          SuccessfulRequestCount: recentPointsArb(now, 1440),
          ThrottledCount: recentPointsArb(now, 1440),
        })
        .map((requests) => ({ ...fullyIdle(now, idle), ...requests })),
    );

  const caseArb = fc
    .tuple(nowArb, idleArb)
    .chain(([now, idle]) =>
      fc.tuple(fc.constant(now), fc.constant(idle), anyUsageArb(now, idle), tagsArb, lookArb(now)),
    );

  it("never stops a model with a visible request after its window's start, or one at the last look, whatever the datapoints", () => {
    fc.assert(
      fc.property(caseArb, ([now, idle, usage, tags, evidence]) => {
        // Act
        const verdict = decide(input(now, idle, tags, toUsage(usage)));
        const looked = judgeLastLook(
          { model, verdict },
          { at: now + 20_000, from: now - 15 * MINUTE, evidence },
        );

        // Assess
        const start = usageWindow(now, verdict.facts.idleMinutes).start;
        const { inService: _, ...requests } = usage;
        const seenByDecision = Object.values(requests)
          .flat()
          .some((point) => point.at >= start && point.at <= now && point.value > 0);
        const seenByLook =
          "error" in evidence ||
          Object.values(evidence.requests)
            .flat()
            .some((point) => point.value > 0);
        if (seenByDecision || seenByLook)
          assert.notEqual(looked.verdict.action, "stop", looked.verdict.reason);
        // And the last look never stops what the decision kept, nor keeps without a reason it read.
        if (verdict.action === "keep") assert.equal(looked.verdict.action, "keep");
        if (verdict.action === "stop" && !seenByLook) assert.equal(looked.verdict.action, "stop");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("tag parser properties", () => {
  it("reads every real instant written as ISO-8601 back to the same instant", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(1970, 0, 1), max: new Date(9999, 0, 1), noInvalidDate: true }),
        (date) => {
          return parseIsoInstant(date.toISOString()) === date.getTime();
        },
      ),
    );
  });

  it("reads any offset the same as the equivalent UTC time", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }).filter((m) => m % 15 === 0),
        (date, offsetMinutes) => {
          const instant = Math.floor(date.getTime() / 1000) * 1000;
          const local = new Date(instant + offsetMinutes * MINUTE).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? "-" : "+";
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
          return parseIsoInstant(`${local}${zone}`) === instant;
        },
      ),
    );
  });

  it("never treats a value as a snooze unless it names a future instant", () => {
    fc.assert(
      fc.property(tagValueArb, nowArb, (value, now) => {
        const optOut = parseOptOut(value, now);
        return optOut.kind !== "snoozed" || optOut.until > now;
      }),
    );
  });

  it("reads a never-word in any case, with any spaces around it, as never", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NEVER_WORDS),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.stringMatching(/^[ \t]{0,4}$/),
        fc.stringMatching(/^[ \t]{0,4}$/),
        nowArb,
        (word, upper, before, after, now) => {
          const cased = [...word]
            .map((letter, index) => (upper[index] ? letter.toUpperCase() : letter))
            .join("");
          return parseOptOut(`${before}${cased}${after}`, now).kind === "never";
        },
      ),
    );
  });

  it("keeps, never ignores, a value that starts like a date but is not a real one", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.string({ maxLength: 12 }),
        nowArb,
        (year, month, day, rest, now) => {
          const text = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}${rest}`;
          const kind = parseOptOut(text, now).kind;
          return parseIsoInstant(text.trim()) === undefined
            ? kind === "invalid-date"
            : kind !== "invalid-date";
        },
      ),
    );
  });

  it("lets a model be stopped only for a may-stop word or a date that is past", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), nowArb, (value, now) => {
        if (parseOptOut(value, now).kind !== "none") return true;
        const text = value.trim();
        const until = parseIsoInstant(text);
        return MAY_STOP_WORDS.has(text.toLowerCase()) || (until !== undefined && until <= now);
      }),
    );
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 256 }), nowArb, (value, now) => {
        parseOptOut(value, now);
        return true;
      }),
    );
  });
});

/** A model in service (one point a minute) since one period before its window, with no requests. */
function fullyIdle(now: number, idle: number) {
  const window = usageWindow(now, idle);
  const step = window.periodSeconds * 1000;
  const inService: Datapoint[] = [];
  for (let at = window.queryStart; at < now - step; at += step) inService.push({ at, value: 1 });
  return {
    SuccessfulRequestCount: [],
    UserErrorCount: [],
    ServerErrorCount: [],
    ThrottledCount: [],
    inService,
  };
}
