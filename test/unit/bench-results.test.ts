/**
 * The README's performance figures are the recorded bench's: the part between the bench markers is exactly what
 * `npm run bench -- --record` rendered from bench-results.json, so no figure there is typed by hand.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  type BenchResults,
  README_FILE,
  RESULTS_FILE,
  readmeSection,
  readResults,
  renderReadmeSection,
  withReadmeSection,
} from "../../scripts/bench/results.ts";

describe("the README's performance figures", () => {
  it("are the rendering of the recorded bench-results.json, unchanged", () => {
    // Prepare
    assert.ok(existsSync(RESULTS_FILE), "bench-results.json is recorded by npm run bench -- --record");
    const readme = readFileSync(README_FILE, "utf8");

    // Act
    const section = readmeSection(readme);

    // Assess
    assert.equal(section, renderReadmeSection(readResults()));
  });

  it("record both discoveries for every account size, with the targets the bench judged", () => {
    // Act
    const results = readResults();

    // Assess
    assert.ok(results.sizes.length > 0);
    for (const size of results.sizes)
      assert.deepEqual(
        size.runs.map((run) => run.mode).filter((mode) => mode !== "sequential"),
        ["metrics-first", "full"],
        `${size.versions} versions`,
      );
    assert.ok(results.targets.length > 0);
  });

  it("are replaced whole when the bench records new figures, and the rest of the README is kept", () => {
    // Prepare
    const readme = `intro\n${readmeSection(readFileSync(README_FILE, "utf8"))}\noutro\n`;
    const recorded = readResults();
    const newer: BenchResults = { ...recorded, benchSeconds: recorded.benchSeconds + 1 };

    // Act
    const rewritten = withReadmeSection(readme, newer);

    // Assess
    assert.ok(rewritten.startsWith("intro\n") && rewritten.endsWith("\noutro\n"));
    assert.equal(readmeSection(rewritten), renderReadmeSection(newer));
    assert.throws(() => withReadmeSection("no markers here", newer), /README\.md has no bench markers/);
  });
});
