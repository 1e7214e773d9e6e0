/**
 * `npm run build` (also run by `prepack`): the Lambda bundles and the compiled package, each rebuilt only when its
 * inputs changed. Messages go to stderr, so `cdk synth`'s template on stdout stays clean.
 *
 *   npm run build                      # dist/stopper-function/ and dist/organization-function/ (the bundles) and the compiled dist/
 *   npx tsx scripts/build.ts --bundle  # the bundles only: what cdk.json's "build" runs before every synth
 */

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { ensureCompiled } from "./build/compile.ts";
import { type BundleOutcome, ensureLambdaBundles } from "./build/lambda-bundle.ts";
import { ROOT, writeFileAtomically } from "./build/stamp.ts";

const { values } = parseArgs({ options: { bundle: { type: "boolean", default: false } } });

const bundles = await ensureLambdaBundles();
const figures = (outcome: BundleOutcome) => ({
  bytes: outcome.bytes,
  gzipBytes: gzipSync(readFileSync(`${outcome.dir}/index.mjs`)).byteLength,
});
const stopper = figures(bundles.stopper);
const organization = figures(bundles.organization);
// The README quotes the bundles' sizes from this file (npm run figures), never by hand.
writeFileAtomically(
  join(ROOT, "test-output", "bundle.json"),
  `${JSON.stringify({ ...stopper, organization, recordedAt: new Date().toISOString() }, null, 2)}\n`,
);
for (const [outcome, size] of [
  [bundles.stopper, stopper],
  [bundles.organization, organization],
] as const)
  console.error(
    `Lambda bundle ${relative(ROOT, outcome.dir)}/index.mjs: ${size.bytes.toLocaleString("en-US")} bytes ` +
      `(${Math.round(size.gzipBytes / 1024)} KB gzipped), ${outcome.built ? "built" : "up to date"}.`,
  );
if (!values.bundle) {
  const compiled = await ensureCompiled();
  console.error(`Compiled JavaScript and .d.ts in dist/: ${compiled.built ? "compiled" : "up to date"}.`);
}
