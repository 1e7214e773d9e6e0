/**
 * The compiled package: `tsc -p tsconfig.build.json` emits JavaScript and `.d.ts` files into `dist/` for the
 * construct (`infra/index.ts`), the CLI (`cli/main.ts`) and what they import, so the installed package runs on
 * plain Node, with no TypeScript loader.
 */

import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BUNDLE_FILES_IN_DIST } from "./lambda-bundle.ts";
import { DIST, inputsHash, ROOT, readStamp, writeFileAtomically } from "./stamp.ts";

/** Records the inputs the compiled files were emitted from. */
const STAMP_FILE = join(DIST, ".compiled.sha256");

/** What the compiled files come from; a change to any of them compiles again. */
export const COMPILE_INPUTS: readonly string[] = [
  "infra",
  "cli",
  "common",
  "lambda",
  "tsconfig.json",
  "tsconfig.build.json",
  "package-lock.json",
];

/** What `dist/` holds besides the compiled files, kept when they are emitted again. */
const NOT_COMPILED: ReadonlySet<string> = new Set(BUNDLE_FILES_IN_DIST);

/** How a call to {@link ensureCompiled} went. */
export interface CompileOutcome {
  /** False when the compiled files already matched the inputs and were left as they were. */
  readonly built: boolean;
}

/** An error of the TypeScript compiler, with its report. */
export class CompileError extends Error {
  override readonly name = "CompileError";
}

/**
 * Compiles when the inputs changed since the last compile or the entry points are missing. The previous compiled
 * files are removed first, so a source file that was deleted leaves nothing behind in the package.
 * @throws CompileError with tsc's report when the sources do not compile.
 */
export async function ensureCompiled(): Promise<CompileOutcome> {
  const hash = inputsHash(COMPILE_INPUTS, {});
  const entries = ["infra/index.js", "infra/index.d.ts", "cli/main.js"].map((file) => join(DIST, file));
  if (entries.every((file) => existsSync(file)) && readStamp(STAMP_FILE) === hash) return { built: false };

  rmSync(STAMP_FILE, { force: true });
  for (const entry of existsSync(DIST) ? readdirSync(DIST) : []) {
    if (!NOT_COMPILED.has(entry)) rmSync(join(DIST, entry), { recursive: true, force: true });
  }
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  try {
    await promisify(execFile)(tsc, ["-p", "tsconfig.build.json"], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new CompileError(`tsc -p tsconfig.build.json failed:\n${stdout}${stderr}`, { cause: error });
  }
  writeFileAtomically(STAMP_FILE, `${hash}\n`);
  return { built: true };
}
