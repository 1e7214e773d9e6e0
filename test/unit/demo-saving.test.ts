/** The demo's saving (scripts/demo/scenario.ts): only the stops that held count, and the line says what it counts. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogItem } from "../../sandbox/stopper-world.ts";
import { demoSaving, savingLine } from "../../scripts/demo/scenario.ts";

const stop = (model: string, usd: number, fields: Record<string, unknown> = {}): LogItem => ({
  modelArn: `arn:${model}`,
  stoppedAt: "2026-11-28T02:00:05Z",
  status: "STOPPING",
  estimatedHourlyCostUsd: usd,
  dryRun: false,
  ...fields,
});

describe("the demo's saving", () => {
  const cases: [name: string, item: LogItem, status: string, counted: boolean][] = [
    ["a stop that held", stop("held", 8), "STOPPED", true],
    ["a stop still STOPPING", stop("stopping", 12), "STOPPING", true],
    [
      "a stop the regret check undid",
      stop("regret", 4, { restartedAt: "t", restartedBy: "regret" }),
      "STARTING",
      false,
    ],
    [
      "a stop a restart rule undid",
      stop("rule", 4, { restartedAt: "t", restartedBy: "schedule" }),
      "RUNNING",
      false,
    ],
    ["a model started again by hand", stop("hand", 16), "RUNNING", false],
    ["a dry run", stop("dry", 2, { dryRun: true }), "RUNNING", false],
    ["a warning", stop("warned", 2, { kind: "warning", status: "WARNED" }), "STOPPED", false],
  ];
  for (const [name, item, status, counted] of cases) {
    it(`${counted ? "counts" : "does not count"} ${name}`, () => {
      const saving = demoSaving([item], () => status);

      assert.equal(saving.hourlyUsd, counted ? Number(item.estimatedHourlyCostUsd) : 0);
      assert.deepEqual(saving.stillStopped, counted ? [item] : []);
    });
  }

  it("says how many of the stops it counts, and names the models started again", () => {
    const items = cases.map(([, item]) => item);
    const statuses = new Map(cases.map(([, item, status]) => [item.modelArn, status]));
    const names = new Map(items.map((item) => [item.modelArn, { name: item.modelArn.slice(4) }]));

    const line = savingLine(
      demoSaving(items, (arn) => statuses.get(arn)),
      names,
    );

    assert.equal(
      line,
      "Still stopped after the follow-ups: 2 of 5 stopped models, saving about $20.00 an hour ($480.00 a day " +
        "while they stay stopped); not counted: 3 started again (regret, rule, hand).",
    );
  });
});
