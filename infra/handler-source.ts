/**
 * Where the functions' code is, wherever this package is: the Lambda bundles built by `npm run build`, shipped in
 * the package under `dist/stopper-function/` (a deployment serving its own account) and
 * `dist/organization-function/` (the organization mode's hub). The infra reaches the runtime only through these
 * folders.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code } from "aws-cdk-lib/aws-lambda";

/**
 * This package's root folder, the nearest one at or above this file holding a `package.json`: the repository
 * when this file runs from `infra/`, the installed package when it runs compiled from `dist/infra/`.
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The folder of the single-account Lambda bundle: `index.mjs` and its source map. */
export const BUNDLE_DIR = join(PACKAGE_ROOT, "dist", "stopper-function");

/**
 * The folder of the organization mode's hub bundle, laid out alike: the same run with the STS, Organizations and
 * Step Functions clients the single-account bundle leaves out.
 */
export const ORGANIZATION_BUNDLE_DIR = join(PACKAGE_ROOT, "dist", "organization-function");

/** The function's handler in the bundle: the `handler` export of `index.mjs`. */
export const BUNDLE_HANDLER = "index.handler";

/** The follow-up function's handler: the `followUp` export of the same `index.mjs`. */
export const FOLLOW_UP_HANDLER = "index.followUp";

/** The Lambda bundle is not where the package keeps it: nothing can be deployed. */
export class MissingBundleError extends Error {
  override readonly name = "MissingBundleError";
}

/**
 * The function's code: the prebuilt bundle in `dir`, as a zip asset of that folder.
 * @throws MissingBundleError when `dir` has no `index.mjs`, saying what to run.
 */
export function stopperFunctionCode(dir: string = BUNDLE_DIR): Code {
  const index = join(dir, "index.mjs");
  if (!existsSync(index)) {
    throw new MissingBundleError(
      `idle-model-stopper: the Lambda bundle ${index} is missing. In a checkout of the idle-model-stopper ` +
        "repository, run `npm run build` (or `npx cdk synth`, which builds it first); an installed package " +
        "carries it, so reinstall the package.",
    );
  }
  return Code.fromAsset(dir);
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`idle-model-stopper: no package.json at or above ${from}`);
  }
}
