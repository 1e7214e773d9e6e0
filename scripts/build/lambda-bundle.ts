/**
 * The Lambda bundles, each an entry point and everything it imports, the AWS SDK included, in one minified ES module
 * with its source map:
 * - `dist/stopper-function/`: `lambda/handler.ts`, for a deployment that serves its own account;
 * - `dist/organization-function/`: `lambda/organization/handler.ts`, the organization mode's hub, with the STS,
 *   Organizations and Step Functions clients the other leaves out.
 * The package ships both and the construct deploys the one its mode needs as it is (`Code.fromAsset`), so what a
 * consumer deploys is the file the tests ran.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type BuildOptions, build, version as esbuildVersion, type Plugin } from "esbuild";
import { DIST, inputsHash, ROOT, readStamp, writeFileAtomically } from "./stamp.ts";

/** The folder of the single-account bundle: `index.mjs` and `index.mjs.map`, nothing else (the function's asset). */
export const BUNDLE_DIR = join(DIST, "stopper-function");

/** The folder of the organization mode's hub bundle, laid out alike. */
export const ORGANIZATION_BUNDLE_DIR = join(DIST, "organization-function");

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

/**
 * esbuild's options for the single-account bundle, with paths relative to the repository's root (they are part of
 * the inputs' hash); the output file is `index.mjs` in the folder it is built into.
 */
export const BUNDLE_OPTIONS: BuildOptions = {
  entryPoints: ["lambda/handler.ts"],
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

/** The organization mode's hub: {@link BUNDLE_OPTIONS} from its own entry point. */
export const ORGANIZATION_BUNDLE_OPTIONS: BuildOptions = {
  ...BUNDLE_OPTIONS,
  entryPoints: ["lambda/organization/handler.ts"],
};

/** How both bundles are built, besides their input files: a change here rebuilds them and synthesizes again. */
export const BUNDLE_BUILD_SETTINGS = {
  options: BUNDLE_OPTIONS,
  organization: ORGANIZATION_BUNDLE_OPTIONS,
  esbuild: esbuildVersion,
} as const;

/** Records the inputs the bundle in `dir` was built from: beside the folder, not in it, so not deployed. */
const stampOf = (dir: string): string => join(DIST, `.${basename(dir)}.sha256`);

/** What `dist/` holds besides the compiled files: the bundles' folders and their stamps. */
export const BUNDLE_FILES_IN_DIST: readonly string[] = [BUNDLE_DIR, ORGANIZATION_BUNDLE_DIR].flatMap(
  (dir) => [basename(dir), basename(stampOf(dir))],
);

/** How a call to {@link ensureLambdaBundles} went for one bundle. */
export interface BundleOutcome {
  /** The folder holding index.mjs and index.mjs.map. */
  readonly dir: string;
  /** False when the bundle already matched the inputs and was left as it was. */
  readonly built: boolean;
  /** Size of index.mjs in bytes. */
  readonly bytes: number;
}

/** The hash of the bundles' inputs: the files of {@link BUNDLE_INPUTS} and {@link BUNDLE_BUILD_SETTINGS}. */
export function bundleInputsHash(): string {
  return inputsHash(BUNDLE_INPUTS, BUNDLE_BUILD_SETTINGS);
}

/** Both bundles, as {@link ensureLambdaBundles} left them. */
export interface BundleOutcomes {
  /** `dist/stopper-function/`: a deployment serving its own account (what the bench measures). */
  readonly stopper: BundleOutcome;
  /** `dist/organization-function/`: the organization mode's hub. */
  readonly organization: BundleOutcome;
}

/**
 * Builds each bundle when its inputs changed since it was last built, or when it is missing; otherwise leaves it
 * as it is, so a warm `cdk synth` bundles nothing. Each file is replaced whole, so a synth running at the same
 * time reads a complete file.
 */
export async function ensureLambdaBundles(): Promise<BundleOutcomes> {
  const hash = bundleInputsHash();
  return {
    stopper: await ensureBundle(BUNDLE_DIR, BUNDLE_OPTIONS, hash),
    organization: await ensureBundle(ORGANIZATION_BUNDLE_DIR, ORGANIZATION_BUNDLE_OPTIONS, hash),
  };
}

async function ensureBundle(dir: string, options: BuildOptions, hash: string): Promise<BundleOutcome> {
  const index = join(dir, "index.mjs");
  const stamp = stampOf(dir);
  const complete = existsSync(index) && existsSync(`${index}.map`);
  if (complete && readStamp(stamp) === hash) return { dir, built: false, bytes: statSync(index).size };
  const bytes = await buildInto(dir, options, []);
  writeFileAtomically(stamp, `${hash}\n`);
  return { dir, built: true, bytes };
}

/**
 * Builds a variant of the single-account bundle into another folder, with {@link BUNDLE_OPTIONS} and its plugins
 * followed by `extraPlugins` (a test's rewrite of an SDK file, say); the bundles' folders and stamps are left alone.
 */
export async function buildLambdaBundleVariant(
  dir: string,
  extraPlugins: readonly Plugin[],
): Promise<BundleOutcome> {
  return { dir, built: true, bytes: await buildInto(dir, BUNDLE_OPTIONS, extraPlugins) };
}

/** Builds index.mjs and its map into `dir`, each file replaced whole; returns the size of index.mjs. */
async function buildInto(
  dir: string,
  options: BuildOptions,
  extraPlugins: readonly Plugin[],
): Promise<number> {
  const index = join(dir, "index.mjs");
  const result = await build({
    ...options,
    absWorkingDir: ROOT,
    write: false,
    outfile: index,
    plugins: [...(options.plugins ?? []), ...extraPlugins],
  });
  let bytes = 0;
  for (const file of result.outputFiles) {
    writeFileAtomically(file.path, file.contents);
    if (file.path === index) bytes = file.contents.byteLength;
  }
  return bytes;
}
