/**
 * The synthesized app kept between runs of the demo, the sandbox and `npm run invoke` (sandbox/synth-cache.ts): its
 * in-process synth writes what `cdk synth` writes, and an assembly is reused exactly while its inputs are unchanged.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPOSITORY_STACK, readSynthesizedFunction } from "../../sandbox/bundle.ts";
import {
  SYNTH_INPUTS,
  synthesizeCached,
  synthesizeInProcess,
  synthInputsHash,
} from "../../sandbox/synth-cache.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const stopper = useSynthesizedStopper();

describe("the synth cache", () => {
  it("synthesizes in process the same template and asset as cdk synth", async () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), "synth-in-process-"));
    try {
      // Act
      await synthesizeInProcess({}, outdir);

      // Assess
      const inProcess = readSynthesizedFunction(outdir, REPOSITORY_STACK);
      const bycli = stopper.fn;
      assert.deepEqual(inProcess.template, bycli.template);
      assert.deepEqual(
        readFileSync(join(inProcess.assetDir, "index.mjs")),
        readFileSync(join(bycli.assetDir, "index.mjs")),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("reuses the assembly of unchanged inputs, and keys another context apart", async () => {
    // Act
    await synthesizeCached();
    const again = await synthesizeCached();

    // Assess
    assert.equal(again.cached, true);
    assert.equal(again.hash, synthInputsHash());
    assert.notEqual(synthInputsHash({ dryRun: "true" }), synthInputsHash());
    assert.equal(again.fn.stackName, REPOSITORY_STACK);
    assert.deepEqual(again.fn.template, stopper.fn.template);
  });

  it("hashes everything the template and the bundle are made from", () => {
    assert.deepEqual([...SYNTH_INPUTS].sort(), [
      "cdk.json",
      "common",
      "infra",
      "lambda",
      "package-lock.json",
      "scripts/build",
      "tsconfig.json",
    ]);
  });
});
