/**
 * `npm run build` (also run by `prepack`): the Lambda bundle and the compiled package, each rebuilt only when its
 * inputs changed. Messages go to stderr, so `cdk synth`'s template on stdout stays clean.
 *
 *   npm run build                      # dist/stopper-function/ (the bundle) and the compiled dist/
 *   npx tsx scripts/build.ts --bundle  # the bundle only: what cdk.json's "build" runs before every synth
 */

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { ensureCompiled } from "./build/compile.ts";
import { ensureLambdaBundle } from "./build/lambda-bundle.ts";
import { ROOT, writeFileAtomically } from "./build/stamp.ts";

const { values } = parseArgs({ options: { bundle: { type: "boolean", default: false } } });

const bundle = await ensureLambdaBundle();
const gzipped = gzipSync(readFileSync(`${bundle.dir}/index.mjs`)).byteLength;
// The README quotes the bundle's size from this file (npm run figures), never by hand.
writeFileAtomically(
  join(ROOT, "test-output", "bundle.json"),
  `${JSON.stringify({ bytes: bundle.bytes, gzipBytes: gzipped, recordedAt: new Date().toISOString() }, null, 2)}\n`,
);
console.error(
  `Lambda bundle ${relative(ROOT, bundle.dir)}/index.mjs: ${bundle.bytes.toLocaleString("en-US")} bytes ` +
    `(${Math.round(gzipped / 1024)} KB gzipped), ${bundle.built ? "built" : "up to date"}.`,
);
if (!values.bundle) {
  const compiled = await ensureCompiled();
  console.error(`Compiled JavaScript and .d.ts in dist/: ${compiled.built ? "compiled" : "up to date"}.`);
}
