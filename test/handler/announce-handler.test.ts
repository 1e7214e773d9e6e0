/**
 * The handler over the real adapters (SDK clients mocked by the fake account): one PutEvents per region with the
 * region's stops, one TagResource per stopped model, and neither call with both settings off.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { type FakeProject, idleFor, modelArn, project, setupHandler } from "./fake-account.ts";

let installed: ReturnType<typeof setupHandler> | undefined;
afterEach(() => {
  installed?.account.restore();
  installed = undefined;
});

describe("the handler wired to the real adapters", () => {
  it("puts one event per region and tags each stopped model, and with both settings off makes neither call", async () => {
    // Prepare
    const account = (): FakeProject[] => [
      project("alpha", [
        { versionName: "a1", metrics: idleFor(5) },
        { versionName: "a2", metrics: idleFor(5) },
      ]),
      project("beta", [{ versionName: "b1", metrics: idleFor(5) }], { region: "eu-west-1" }),
    ];
    const projects = account();
    installed = setupHandler(projects, { REGIONS: "us-east-1,eu-west-1" });

    // Act
    const summary = await installed.run();

    // Assess
    assert.equal(summary.stopped.length, 3);
    assert.deepEqual(summary.announced, { events: 3, tagged: 3, failed: 0 });
    const announced = [...installed.account.announced].sort();
    assert.deepEqual(
      announced.filter((call) => call.startsWith("PutEvents")),
      ["PutEvents eu-west-1 1", "PutEvents us-east-1 2"],
    );
    assert.deepEqual(
      announced.filter((call) => call.startsWith("TagResource")).map((call) => call.split(" ")[1]),
      [
        modelArn(projects[0] as FakeProject, { versionName: "a1" }),
        modelArn(projects[0] as FakeProject, { versionName: "a2" }),
        modelArn(projects[1] as FakeProject, { versionName: "b1" }),
      ].sort(),
    );
    installed.account.restore();

    // A fresh account: the fake marks the models it stopped.
    installed = setupHandler(account(), {
      REGIONS: "us-east-1,eu-west-1",
      PUBLISH_EVENTS: "false",
      TAG_LAST_ACTION: "false",
    });
    const quiet = await installed.run();
    assert.equal(quiet.stopped.length, 3);
    assert.deepEqual(installed.account.announced, []);
  });
});
