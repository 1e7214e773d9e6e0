/**
 * `npm run figures`: the README's generated figures. For each source (scripts/figures/sources.ts) whose script has
 * written its output under `test-output/`, the output is recorded in `figures/<name>.json` (committed), then every
 * block between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->` in README.md is rendered again from the
 * records. No figure in those blocks is typed by hand; test/unit/figures.test.ts fails when one differs.
 *
 *   npm run figures               # record the latest outputs, rewrite the README's blocks
 *   npm run figures -- --check    # record nothing; exit 1 when a block is not the rendering of its record
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, writeFileAtomically } from "./build/stamp.ts";
import { renderAllBlocks, staleBlocks } from "./figures/render.ts";
import { FIGURE_SOURCES, recordPath } from "./figures/sources.ts";

const README = join(ROOT, "README.md");

function main(): number {
  const { values } = parseArgs({ options: { check: { type: "boolean" } } });
  const readme = readFileSync(README, "utf8");
  if (values.check) {
    const stale = staleBlocks(readme);
    for (const line of stale) console.error(line);
    if (stale.length === 0) console.log("README.md: every generated block is the rendering of its record.");
    return stale.length === 0 ? 0 : 1;
  }
  for (const source of FIGURE_SOURCES) {
    const output = join(ROOT, source.output);
    if (!existsSync(output)) {
      console.log(
        `${source.name}: no ${source.output} (written by ${source.producedBy}); the record is kept`,
      );
      continue;
    }
    const data: unknown = JSON.parse(readFileSync(output, "utf8"));
    const refused = source.refuse?.(data);
    if (refused) {
      console.log(`${source.name}: ${source.output} is not recorded: ${refused}`);
      continue;
    }
    writeFileAtomically(recordPath(source), `${JSON.stringify(data, null, 2)}\n`);
    console.log(`${source.name}: recorded ${source.output} in figures/${source.name}.json`);
  }
  const rendered = renderAllBlocks(readme);
  writeFileAtomically(README, rendered.text);
  for (const problem of rendered.problems) console.error(problem);
  console.log(
    `README.md: generated blocks rendered from figures/${rendered.problems.length > 0 ? `, but for ${rendered.problems.length} left as they were` : ""}.`,
  );
  return rendered.problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
