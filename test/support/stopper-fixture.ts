/**
 * The fixture the end-to-end and reliability tests share: `cdk synth` once for the test file, sandbox worlds with
 * the stopper deployed started on demand, and everything stopped and removed when the file's tests are done; then
 * the file fails if any world answered unlike AWS's API models.
 */

import { after, before } from "node:test";
import { type SynthesizedFunction, synthesize } from "../../sandbox/bundle.ts";
import { ApiModelMismatchError } from "../../sandbox/index.ts";
import { type StopperWorld, startStopperWorld } from "../../sandbox/stopper-world.ts";

/** The synthesized function of a test file, and worlds to run it in. */
export interface StopperFixture {
  /** The function as the template declares it; read it inside a test or a hook, once `before` has run. */
  readonly fn: SynthesizedFunction;
  /** The function, synthesized on first call (hooks of one file may run side by side, so await this in a hook). */
  ready(): Promise<SynthesizedFunction>;
  /**
   * Starts a sandbox with the log table created from the template; it is stopped after the file's tests. Its clock,
   * which the seed and every invocation read, starts at PINNED_START_MILLIS unless `options.clock` says otherwise.
   * `options.assetDir` invokes another build of the bundle (a folder holding its index.mjs) instead of the
   * template's asset.
   */
  world(options?: WorldOptions): Promise<StopperWorld>;
}

/** A world's sandbox options, and optionally another build of the bundle to invoke. */
export type WorldOptions = Parameters<typeof startStopperWorld>[1] & { readonly assetDir?: string };

/**
 * Registers `before` and `after` hooks in the calling test file: synthesize with the given context (`-c key=value`)
 * once, and stop every world and remove the synthesized output at the end.
 */
export function useSynthesizedStopper(context: Record<string, string> = {}): StopperFixture {
  let synthesized: SynthesizedFunction | undefined;
  let synthesizing: Promise<SynthesizedFunction> | undefined;
  const ready = () => {
    synthesizing ??= synthesize(context).then((done) => {
      synthesized = done;
      return done;
    });
    return synthesizing;
  };
  const worlds: StopperWorld[] = [];
  before(async () => {
    await ready();
  });
  after(async () => {
    await Promise.all(worlds.map((world) => world.stop()));
    (await synthesizing?.catch(() => undefined))?.cleanup();
    // Every answer the worlds' Rekognition, CloudWatch and SNS sent must match AWS's API models.
    const mismatches = worlds.flatMap((world) => world.sandbox.modelMismatches());
    if (mismatches.length > 0) throw new ApiModelMismatchError(mismatches);
  });
  const fn = (): SynthesizedFunction => {
    if (!synthesized) throw new Error("the stopper is synthesized in a before hook; read fn inside a test");
    return synthesized;
  };
  return {
    get fn() {
      return fn();
    },
    ready,
    async world({ assetDir, ...options }: WorldOptions = {}) {
      const started = await startStopperWorld(assetDir ? { ...fn(), assetDir } : fn(), options);
      worlds.push(started);
      return started;
    },
  };
}
