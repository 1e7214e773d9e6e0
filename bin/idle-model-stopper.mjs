#!/usr/bin/env node
// The CLI, compiled by `npm run build` into dist/: the package ships it as JavaScript, so it runs on plain Node.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  // Only a checkout of the repository can lack it: an installed package always carries it.
  console.error(
    `idle-model-stopper: ${fileURLToPath(main)} is missing; run \`npm run build\` in the repository first.`,
  );
  process.exit(1);
}
await import(main.href);
