import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningModel } from "../../lambda/core/types.ts";
import { type DiscoveryReport, discover } from "../../lambda/phases/discover.ts";
import { awsError, FakeDirectory, modelsOf, REGION, runningModel } from "./fakes.ts";

/** Runs the phase's source to its end; returns what it handed over, page by page, and its report. */
async function discoverAll(directory: FakeDirectory, mayContinue?: () => boolean) {
  const handed: string[] = [];
  const report: DiscoveryReport = await discover(
    { directory },
    { region: REGION, mayContinue },
  )((model: RunningModel) => handed.push(model.versionName));
  return { handed, report };
}

describe("the discover phase", () => {
  it("hands over every running model of the region, page after page, and ends with what it did not judge", async () => {
    // Prepare
    const notConsidered = [{ arn: "arn:odd", reason: "not considered: status NEW" }];
    const directory = new FakeDirectory([modelsOf("cats", 2), [runningModel("dogs", "d1")]], {
      errors: [{ arn: "arn:broken", message: "DescribeProjectVersions failed: boom" }],
      unfinished: [],
      notConsidered,
    });

    // Act
    const { handed, report } = await discoverAll(directory);

    // Assess
    assert.deepEqual(handed, ["v0", "v1", "d1"]);
    assert.deepEqual(report, {
      errors: [{ arn: "arn:broken", message: "DescribeProjectVersions failed: boom" }],
      unfinished: [],
      notConsidered,
    });
  });

  it("reports a region whose discovery failed as one error, after handing over the models found before", async () => {
    // Prepare
    const directory = new FakeDirectory([modelsOf("cats", 1), modelsOf("dogs", 1)]);
    directory.discoveryFailure = { afterPages: 1, error: awsError("AccessDeniedException", "no") };

    // Act
    const { handed, report } = await discoverAll(directory);

    // Assess
    assert.deepEqual(handed, ["v0"]);
    assert.deepEqual(report.errors, [
      { message: `discovery in ${REGION} failed: AccessDeniedException: no` },
    ]);
  });

  it("asks whether it may go on, and reports what it did not reach", async () => {
    // Prepare
    const directory = new FakeDirectory([modelsOf("cats", 1), modelsOf("dogs", 1)]);
    const answers = [true, false];

    // Act
    const { handed, report } = await discoverAll(directory, () => answers.shift() ?? false);

    // Assess
    assert.deepEqual(handed, ["v0"]);
    assert.deepEqual(report.unfinished, [{ arn: "page 1", reason: "out of time" }]);
  });
});
