/**
 * What lets a build step skip work: a SHA-256 of its inputs (files and options), written next to its output once
 * the output is complete. The step runs again only when the hash differs or an output is missing.
 */

import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Where the build writes: the compiled package and the Lambda bundle. */
export const DIST = join(ROOT, "dist");

/** Every file under `paths` (files or folders, relative to `root`), as sorted root-relative paths. */
function filesUnder(paths: readonly string[], root: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else found.push(relative(root, path).split("\\").join("/"));
  };
  for (const path of paths) walk(join(root, path));
  return found.sort();
}

/**
 * The SHA-256 of a step's inputs: each file's path relative to `root` and its bytes, then `options` as JSON. Paths
 * are relative, so two checkouts of the same commit agree.
 */
export function inputsHash(paths: readonly string[], options: unknown, root: string = ROOT): string {
  const hash = createHash("sha256");
  for (const file of filesUnder(paths, root)) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  return hash.update(JSON.stringify(options)).digest("hex");
}

/** The hash a step recorded when its output was last complete, or undefined. */
export function readStamp(stampFile: string): string | undefined {
  return existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : undefined;
}

/**
 * Writes a file by renaming a complete temporary copy over it, so a process reading it at the same time sees the
 * old bytes or the new ones, never half of them.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
