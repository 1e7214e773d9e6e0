/**
 * A smoke run of the synthesized bundle on the architecture the template deploys: the arm64 Node.js 22 binary under
 * qemu-user-static, with Debian's aarch64 C libraries. One plain invocation (the runtime client's native part is
 * built for x64 only), recorded in the proof ledger.
 *
 * Needs `.cache/lambda-runtime-arm64` and qemu (`bash scripts/install-lambda-runtime.sh` as root installs both);
 * without them the file skips with one line saying so, unless IMS_REQUIRE_LAMBDA_RUNTIME=1 (CI), where it fails.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import { locateArm64Node } from "../../sandbox/runtime-client.ts";
import { idle, pinnedClock, runtimeAvailability } from "../support/lambda-runtime-fixture.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const SCENARIO = "smoke run of the plain bundle on arm64 under qemu";

// The template names nodejs22.x (asserted in the other end-to-end tests); the check before synth uses it so that a
// skip costs nothing, and the test checks the binary against the template's own runtime.
const { missing, skip } = runtimeAvailability("arm64", "not run on arm64", SCENARIO, () =>
  locateArm64Node("nodejs22.x"),
);

const stopper = skip ? undefined : useSynthesizedStopper();

describe("the bundle on arm64", { skip }, () => {
  it("stops the idle model and records it, on the arm64 Node.js the template's runtime names", async () => {
    const fixture = stopper as NonNullable<typeof stopper>;
    const { fn } = fixture;
    const node = locateArm64Node(fn.runtime);
    let outcome = "failed";
    try {
      const clock = pinnedClock();
      const w = await fixture.world({
        seed: {
          projects: [
            {
              name: "edge",
              versions: [idle("idle"), idle("busy", { requests: [{ minutesAgo: 9, count: 2 }] })],
            },
          ],
        },
        clock,
      });
      const arn = (version: string) => w.sandbox.rekognition.modelArn("edge", version);

      const run = await w.invoke(
        {},
        { requestId: "arm-night", clockStart: clock(), nodeCommand: node.command },
      );

      assert.deepEqual(fn.architectures, ["arm64"]);
      assert.equal(node.arch, "arm64");
      assert.equal(run.exitCode, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning/);
      assert.deepEqual(run.result?.stopped, [arn("idle")]);
      assert.deepEqual(run.result?.errors, []);
      const items = await w.items();
      assert.deepEqual(
        items.map((item) => [item.modelArn, item.status, item.runId]),
        [[arn("idle"), "STOPPING", "arm-night"]],
      );
      outcome = "passed";
    } finally {
      recordProof("runtime", [
        {
          path: "arm64",
          scenario: SCENARIO,
          runtime: fn.runtime,
          nodeVersion: node.nodeVersion,
          arch: node.arch,
          emulator: "qemu-aarch64-static",
          outcome,
        },
      ]);
    }
  });
});

if (missing && !skip)
  describe("the arm64 Node.js under qemu", () => {
    it("is installed, as CI requires", () => {
      throw missing;
    });
  });
