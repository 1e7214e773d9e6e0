/**
 * End to end, `npm run demo`'s scenario (scripts/demo/scenario.ts) from the pinned instant: the synthesized bundle's
 * nightly run, then its follow-ups 65 and 135 minutes later, which start two of the stopped models again. The saving
 * the demo prints must count only the stops that held, figured here from the demo's own log and models.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pinnedClock } from "../../sandbox/clock.ts";
import { runDemoScenario } from "../../scripts/demo/scenario.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const stopper = useSynthesizedStopper();

const usd = (amount: number) => `$${amount.toFixed(2)}`;
const nameOfArn = (arn: string) => {
  const [, project, version] = /:project\/([^/]+)\/version\/([^/]+)\//.exec(arn) ?? [];
  return `${project}/${version}`;
};

describe("the demo", () => {
  it("counts in its saving only the models still stopped after its follow-ups, and names those started again", async () => {
    // Prepare
    const lines: string[] = [];

    // Act
    const { items, statuses } = await runDemoScenario(stopper.fn, {
      clock: pinnedClock(),
      print: (line) => lines.push(...line.split("\n")),
    });

    // Assess: the demo's own stops, split by whether the model is still stopped when it ends.
    const stops = items.filter((item) => (item.kind ?? "stop") === "stop" && item.dryRun !== true);
    const held = stops.filter(
      (item) =>
        item.restartedAt === undefined && ["STOPPING", "STOPPED"].includes(statuses.get(item.modelArn) ?? ""),
    );
    const startedAgain = stops.filter((item) => !held.includes(item));
    const hourly = held.reduce((sum, item) => sum + Number(item.estimatedHourlyCostUsd), 0);
    // The scenario is only a test of the saving if its follow-ups undo some stops and leave others.
    assert.ok(startedAgain.length > 0 && held.length > 0, JSON.stringify(stops));
    // Started again by the follow-ups themselves: the regret check and the restart rule.
    assert.deepEqual(startedAgain.map((item) => item.restartedBy).sort(), ["regret", "schedule"]);
    assert.equal(
      lines.find((line) => line.startsWith("Still stopped after the follow-ups:")),
      `Still stopped after the follow-ups: ${held.length} of ${stops.length} stopped models, saving about ` +
        `${usd(hourly)} an hour (${usd(hourly * 24)} a day while they stay stopped); not counted: ` +
        `${startedAgain.length} started again (${startedAgain.map((item) => nameOfArn(item.modelArn)).join(", ")}).`,
    );
    // The run's own line no longer claims a saving that counts every stop.
    const scanned = lines.find((line) => line.startsWith("Scanned "));
    assert.match(
      scanned ?? "",
      /^Scanned \d+ running Custom Labels models: stopped \d+, kept \d+, errors \d+\.$/,
    );
    const everyStop = stops.reduce((sum, item) => sum + Number(item.estimatedHourlyCostUsd), 0);
    assert.ok(!lines.some((line) => line.includes(`${usd(everyStop)} an hour`)), lines.join("\n"));
  });
});
