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
import type { SeedVersion } from "../../sandbox/index.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import {
  LambdaRuntimeMissingError,
  locateArm64Node,
  REQUIRE_LAMBDA_RUNTIME_VARIABLE,
} from "../../sandbox/runtime-client.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const START = Date.UTC(2026, 10, 28, 2, 0, 5);
const SCENARIO = "smoke run of the plain bundle on arm64 under qemu";

const idle = (name: string, extra: Partial<SeedVersion> = {}): SeedVersion => ({
  name,
  status: "RUNNING",
  inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units: 1 }],
  ...extra,
});

// The template names nodejs22.x (asserted below and in the other end-to-end tests); the check before synth uses it
// so that a skip costs nothing.
const missing = (() => {
  try {
    locateArm64Node("nodejs22.x");
    return undefined;
  } catch (error) {
    if (error instanceof LambdaRuntimeMissingError) return error;
    throw error;
  }
})();
const required = process.env[REQUIRE_LAMBDA_RUNTIME_VARIABLE] === "1";
const skip = missing && !required ? `not run on arm64: ${missing.message}` : undefined;
if (skip) recordProof("runtime", [{ path: "arm64", scenario: SCENARIO, outcome: "skipped", reason: skip }]);

const stopper = skip ? undefined : useSynthesizedStopper();

describe("the bundle on arm64", { skip }, () => {
  it("stops the idle model and records it, on the arm64 Node.js the template's runtime names", async () => {
    const fixture = stopper as NonNullable<typeof stopper>;
    const { fn } = fixture;
    const node = locateArm64Node(fn.runtime);
    let outcome = "failed";
    try {
      const origin = performance.now();
      const clock = () => START + Math.floor(performance.now() - origin);
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

if (missing && required)
  describe("the arm64 Node.js under qemu", () => {
    it("is installed, as CI requires", () => {
      throw missing;
    });
  });
