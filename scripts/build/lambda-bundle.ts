/**
 * The Lambda bundle: `lambda/handler.ts` and everything it imports, the AWS SDK included, in one minified ES module
 * with its source map, in `dist/stopper-function/`. The package ships it and the construct deploys it as it is
 * (`Code.fromAsset`), so what a consumer deploys is the file the tests ran.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, build, version as esbuildVersion, type Plugin } from "esbuild";
import { DIST, inputsHash, ROOT, readStamp, writeFileAtomically } from "./stamp.ts";

/** The folder of the bundle: `index.mjs` and `index.mjs.map`, nothing else (it is the function's asset). */
export const BUNDLE_DIR = join(DIST, "stopper-function");

/** Records the inputs the bundle in {@link BUNDLE_DIR} was built from; outside the folder, so not deployed. */
const STAMP_FILE = join(DIST, ".stopper-function.sha256");

/** What the bundle is built from; a change to any of them (this file's options and plugin included) rebuilds it. */
export const BUNDLE_INPUTS: readonly string[] = [
  "lambda",
  "common",
  "package-lock.json",
  "scripts/build/lambda-bundle.ts",
];

/**
 * Each AWS SDK client imports its whole package.json to read one field, its version, for the User-Agent header;
 * esbuild cannot tell and bundles every field (about 2 KB a client). This loads those files with the version only.
 */
const sdkPackageVersionOnly: Plugin = {
  name: "sdk-package-version-only",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, ({ path }) => {
      const { version } = JSON.parse(readFileSync(path, "utf8")) as { version: string };
      return { contents: JSON.stringify({ version }), loader: "json" };
    });
  },
};

/**
 * @smithy/core falls back to a SHA-256 of its own in JavaScript where node:crypto has none, which never happens on
 * Lambda: this puts `lambda/no-sha256-js.ts` in its place (esbuild's aliases cannot replace a relative import).
 */
const noSha256Fallback: Plugin = {
  name: "no-sha256-fallback",
  setup(builder) {
    const standIn = join(builder.initialOptions.absWorkingDir ?? ROOT, "lambda", "no-sha256-js.ts");
    builder.onResolve({ filter: /(^|[\\/])Sha256Js$/ }, ({ importer }) =>
      /[\\/]@smithy[\\/]core[\\/].*[\\/]checksum[\\/]/.test(importer) ? { path: standIn } : undefined,
    );
  },
};

// Node's ESM output has no `require`; bundled CommonJS dependencies call it for Node built-ins.
// The alias keeps the banner's import from clashing with a `createRequire` import inside the bundle.
const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; " +
  "const require = topLevelCreateRequire(import.meta.url);";

/** esbuild's options, with paths relative to the repository's root (they are part of the inputs' hash). */
export const BUNDLE_OPTIONS: BuildOptions = {
  entryPoints: ["lambda/handler.ts"],
  outfile: "dist/stopper-function/index.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  sourcemap: true,
  // Stack traces only need the mappings; the sources would double the asset.
  sourcesContent: false,
  mainFields: ["module", "main"],
  banner: { js: ESM_REQUIRE_BANNER },
  // Nothing is external: the AWS SDK is bundled too, so the function runs the versions it was tested with.
  external: [],
  alias: {
    // In Lambda the credentials come from the environment: bundle that provider only (see the file).
    "@aws-sdk/credential-provider-node": "./lambda/lambda-credentials.ts",
    // No operation the function calls streams events: leave the SDK's event-stream codec out (see the file).
    "@smithy/core/event-streams": "./lambda/no-event-streams.ts",
    // Endpoint discovery is off for the function's DynamoDB client: leave its endpoint cache out (see the file).
    "@aws-sdk/endpoint-cache": "./lambda/no-endpoint-cache.ts",
  },
  plugins: [sdkPackageVersionOnly, noSha256Fallback],
  logLevel: "warning",
};

/** How a call to {@link ensureLambdaBundle} went. */
export interface BundleOutcome {
  /** The folder holding index.mjs and index.mjs.map. */
  readonly dir: string;
  /** False when the bundle already matched the inputs and was left as it was. */
  readonly built: boolean;
  /** Size of index.mjs in bytes. */
  readonly bytes: number;
}

/** The hash of the bundle's inputs: the files of {@link BUNDLE_INPUTS}, the options and esbuild's version. */
export function bundleInputsHash(): string {
  return inputsHash(BUNDLE_INPUTS, { options: BUNDLE_OPTIONS, esbuild: esbuildVersion });
}

/**
 * Builds the bundle when its inputs changed since it was last built, or when it is missing; otherwise leaves it
 * as it is, so a warm `cdk synth` bundles nothing. Each file is replaced whole, so a synth running at the same
 * time reads a complete file.
 */
export async function ensureLambdaBundle(): Promise<BundleOutcome> {
  const hash = bundleInputsHash();
  const index = join(BUNDLE_DIR, "index.mjs");
  const complete = existsSync(index) && existsSync(`${index}.map`);
  if (complete && readStamp(STAMP_FILE) === hash) {
    return { dir: BUNDLE_DIR, built: false, bytes: statSync(index).size };
  }
  const bytes = await buildInto(BUNDLE_DIR, []);
  writeFileAtomically(STAMP_FILE, `${hash}\n`);
  return { dir: BUNDLE_DIR, built: true, bytes };
}

/**
 * Builds a variant of the bundle into another folder, with {@link BUNDLE_OPTIONS} and its plugins followed by
 * `extraPlugins` (a test's rewrite of an SDK file, say); {@link BUNDLE_DIR} and its stamp are left alone.
 */
export async function buildLambdaBundleVariant(
  dir: string,
  extraPlugins: readonly Plugin[],
): Promise<BundleOutcome> {
  return { dir, built: true, bytes: await buildInto(dir, extraPlugins) };
}

/** Builds index.mjs and its map into `dir`, each file replaced whole; returns the size of index.mjs. */
async function buildInto(dir: string, extraPlugins: readonly Plugin[]): Promise<number> {
  const index = join(dir, "index.mjs");
  const result = await build({
    ...BUNDLE_OPTIONS,
    absWorkingDir: ROOT,
    write: false,
    ...(dir !== BUNDLE_DIR && { outfile: index }),
    plugins: [...(BUNDLE_OPTIONS.plugins ?? []), ...extraPlugins],
  });
  let bytes = 0;
  for (const file of result.outputFiles) {
    writeFileAtomically(file.path, file.contents);
    if (file.path === index) bytes = file.contents.byteLength;
  }
  return bytes;
}
