/**
 * Where the function's source is, wherever this package is installed: in this repository, or in a consumer's
 * node_modules. The infra reaches the runtime only through this entry path.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's root folder: the one holding `infra/`, `lambda/` and `common/`. */
export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The Lambda handler's source file, bundled by esbuild at synth. */
export const HANDLER_ENTRY = join(PACKAGE_ROOT, "lambda", "handler.ts");

/** The credential provider the bundle uses in place of the SDK's default chain. */
export const LAMBDA_CREDENTIALS = join(PACKAGE_ROOT, "lambda", "lambda-credentials.ts");

// In the order NodejsFunction itself prefers them when one folder holds several.
const LOCK_FILES = ["pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb", "package-lock.json"];

/** The lock file and the folder NodejsFunction bundles from. */
export interface BundlingRoot {
  /** The nearest lock file at or above the package: it tells NodejsFunction which package manager runs esbuild. */
  readonly depsLockFilePath: string;
  /** The lock file's folder; it holds the handler and the node_modules esbuild resolves imports from. */
  readonly projectRoot: string;
}

/**
 * Finds the lock file nearest to `from`, walking up. In this repository that is our own package-lock.json; in an
 * app that installed this package it is the app's, because npm leaves lock files out of installed packages.
 * @throws Error when no folder at or above `from` has a lock file.
 */
export function findBundlingRoot(from: string = PACKAGE_ROOT): BundlingRoot {
  for (let dir = from; ; dir = dirname(dir)) {
    const lockFile = LOCK_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
    if (lockFile) return { depsLockFilePath: lockFile, projectRoot: dir };
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `idle-model-stopper: no ${LOCK_FILES.join(", ")} in ${from} or any folder above it. The function is ` +
      "bundled from the app that installs this package; run your package manager's install there first.",
  );
}
