/**
 * The CDK app synthesized once per content of its inputs: the cloud assembly is kept in `.cache/synth/<hash>/`, keyed
 * by a SHA-256 of everything the template and the bundle are made from (scripts/build/stamp.ts), and reused while the
 * sources are unchanged. `npm run demo`, `npm run sandbox` and `npm run invoke` synthesize through it, so only the
 * first of them after a change pays for the synth.
 *
 * On a miss it synthesizes in its own process: what cdk.json's `build` step does (the bundle, only when its inputs
 * changed), then the app `cdk synth` runs (infra/stopper-app.ts) with cdk.json's context and the context the CDK CLI
 * adds, which saves starting the CDK CLI and a second TypeScript loader. test/package/synth-cache.test.ts checks that
 * it writes the template and the asset `cdk synth` writes.
 */

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { BUNDLE_BUILD_SETTINGS, ensureLambdaBundles } from "../scripts/build/lambda-bundle.ts";
import { inputsHash, ROOT } from "../scripts/build/stamp.ts";
import { REPOSITORY_STACK, readSynthesizedFunction, type SynthesizedFunction } from "./bundle.ts";

/** The context `cdk synth --no-version-reporting` gives the app besides cdk.json's (asset metadata: the asset's path). */
export const CDK_CLI_CONTEXT: Readonly<Record<string, unknown>> = {
  "aws:cdk:enable-asset-metadata": true,
  "aws:cdk:enable-path-metadata": true,
  "aws:cdk:version-reporting": false,
};

/**
 * Synthesizes the repository's app into `outdir` in this process, as `cdk synth -c key=value` would: the bundle
 * brought up to date first, then the app with cdk.json's context, the CLI's and `context`.
 * @throws InvalidSettingError for a bad context value, as `cdk synth` fails.
 */
export async function synthesizeInProcess(
  context: Readonly<Record<string, string>>,
  outdir: string,
): Promise<void> {
  await ensureLambdaBundles();
  const cdkJson = JSON.parse(readFileSync(join(ROOT, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  // Loaded only on a miss: aws-cdk-lib and cdk-nag take seconds to load.
  const { createStopperApp } = await import("../infra/stopper-app.ts");
  createStopperApp({ outdir, context: { ...cdkJson.context, ...CDK_CLI_CONTEXT, ...context } }).app.synth();
}

/** Where the synthesized assemblies are kept (`.cache/` is not in git). */
export const SYNTH_CACHE_DIR = join(ROOT, ".cache", "synth");

/** What the template and the bundle are made from: a change to any of them synthesizes again. */
export const SYNTH_INPUTS: readonly string[] = [
  "infra",
  "lambda",
  "common",
  "package-lock.json",
  "cdk.json",
  "tsconfig.json",
  "scripts/build",
];

/** Written into an assembly's folder once it is complete; a folder without it is never read. */
const COMPLETE = ".complete";

/** How many assemblies to keep: the current one and a few earlier (another worktree state, another context). */
const KEEP = 4;

/** A synthesized function, and whether it came from the cache. */
export interface CachedSynth {
  readonly fn: SynthesizedFunction;
  /** True when the assembly was reused; false when this call ran `cdk synth`. */
  readonly cached: boolean;
  /** The inputs' hash, the name of the assembly's folder. */
  readonly hash: string;
}

/** The hash of the synth's inputs with this context. */
export function synthInputsHash(context: Readonly<Record<string, string>> = {}): string {
  return inputsHash(SYNTH_INPUTS, { context, bundle: BUNDLE_BUILD_SETTINGS });
}

/**
 * The function of the repository's app synthesized with `context`: from the cache when its inputs are unchanged,
 * else by `cdk synth`, then kept. Processes that synthesize at once each write their own folder and the first to
 * finish wins, so a reader never sees half an assembly. `cleanup()` of the result leaves the cache as it is.
 */
export async function synthesizeCached(context: Record<string, string> = {}): Promise<CachedSynth> {
  const hash = synthInputsHash(context);
  const dir = join(SYNTH_CACHE_DIR, hash);
  if (existsSync(join(dir, COMPLETE))) {
    return { fn: readSynthesizedFunction(dir, REPOSITORY_STACK), cached: true, hash };
  }
  mkdirSync(SYNTH_CACHE_DIR, { recursive: true });
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  try {
    await synthesizeInProcess(context, partial);
    writeFileSync(join(partial, COMPLETE), `${new Date().toISOString()}\n`);
    try {
      renameSync(partial, dir);
    } catch (error) {
      // Another process finished the same assembly first: use its folder.
      if (!existsSync(join(dir, COMPLETE))) throw error;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  prune(hash);
  return { fn: readSynthesizedFunction(dir, REPOSITORY_STACK), cached: false, hash };
}

/** Removes all but the {@link KEEP} newest complete assemblies, never the current one. */
function prune(current: string): void {
  const complete = readdirSync(SYNTH_CACHE_DIR)
    .filter((name) => name !== current && existsSync(join(SYNTH_CACHE_DIR, name, COMPLETE)))
    .map((name) => ({ name, at: statSync(join(SYNTH_CACHE_DIR, name, COMPLETE)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { name } of complete.slice(KEEP - 1))
    rmSync(join(SYNTH_CACHE_DIR, name), { recursive: true, force: true });
}
