/**
 * The README's generated figures (npm run figures): every block between `<!-- figures:NAME -->` markers has a source
 * and a committed record, and is exactly the rendering of that record, so no figure there is typed by hand; and the
 * mechanism itself: blocks found, rewritten whole, bad markers named.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type BenchResults, renderBenchFigures } from "../../scripts/figures/bench-figures.ts";
import { renderDemoFigures } from "../../scripts/figures/demo-figures.ts";
import {
  type OrganizationBenchResults,
  renderOrganizationBenchFigures,
} from "../../scripts/figures/organization-bench-figures.ts";
import { FigureMarkerError, figureBlocks, withFigureBlocks } from "../../scripts/figures/readme-blocks.ts";
import { renderBlock, sourceOfBlock, staleBlocks } from "../../scripts/figures/render.ts";
import { FIGURE_SOURCES, recordPath } from "../../scripts/figures/sources.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the README's generated figures", () => {
  it("each come from a registered source whose record is committed", () => {
    // Act
    const blocks = figureBlocks(README);

    // Assess
    assert.ok(blocks.length > 0, "the README has generated blocks");
    for (const block of blocks) {
      const source = sourceOfBlock(block.name);
      assert.ok(source, `figures:${block.name} has a source in scripts/figures/sources.ts`);
      assert.ok(existsSync(recordPath(source)), `figures/${source.name}.json is committed`);
    }
  });

  it("are exactly the rendering of their records", () => {
    assert.deepEqual(staleBlocks(README), []);
  });

  it("include every block each source renders, so no recorded figure is left unquoted", () => {
    const names = new Set(figureBlocks(README).map((block) => block.name));

    for (const source of FIGURE_SOURCES)
      for (const block of Object.keys(source.blocks))
        assert.ok(names.has(block), `figures:${block} is in the README`);
  });
});

describe("generated blocks", () => {
  const text = [
    "intro",
    "<!-- figures:a -->",
    "old a",
    "<!-- /figures:a -->",
    "middle",
    "<!-- figures:b -->",
    "<!-- /figures:b -->",
    "<!-- figures:a -->",
    "other old a",
    "<!-- /figures:a -->",
    "outro",
  ].join("\n");

  it("are found with their names and bodies", () => {
    assert.deepEqual(figureBlocks(text), [
      { name: "a", body: "old a" },
      { name: "b", body: "" },
      { name: "a", body: "other old a" },
    ]);
  });

  it("are replaced whole, every block of a name, and the rest of the text is kept", () => {
    const rewritten = withFigureBlocks(text, { a: "new a\nsecond line" });

    assert.deepEqual(figureBlocks(rewritten), [
      { name: "a", body: "new a\nsecond line" },
      { name: "b", body: "" },
      { name: "a", body: "new a\nsecond line" },
    ]);
    assert.ok(rewritten.startsWith("intro\n") && rewritten.endsWith("\noutro"));
    assert.ok(rewritten.includes("\nmiddle\n"));
  });

  it("with a start and no end, or an end and no start, are an error naming the marker", () => {
    assert.throws(() => figureBlocks("<!-- figures:a -->\ntext"), FigureMarkerError);
    assert.throws(
      () => figureBlocks("<!-- figures:a -->\n<!-- /figures:b -->"),
      /has no <!-- \/figures:a -->/,
    );
    assert.throws(() => figureBlocks("text\n<!-- /figures:a -->"), /has no start/);
  });

  it("of an unknown source fail, naming the block", () => {
    assert.throws(() => renderBlock("no-such-block"), /no figure source renders the block no-such-block/);
    assert.deepEqual(staleBlocks("<!-- figures:no-such-block -->\n<!-- /figures:no-such-block -->"), [
      "figures:no-such-block: no figure source renders the block no-such-block (scripts/figures/sources.ts)",
    ]);
  });
});

describe("the demo's figures", () => {
  const run = (cache: "cold" | "warm", seconds: number) => ({
    cache,
    seconds,
    synthSeconds: cache === "cold" ? 9.25 : 0.01,
    node: "v22.23.5",
    cores: 2,
    loadAverage: 1.46,
    recordedAt: "2026-12-03T15:00:00.000Z",
  });

  it("read both times with how they were measured", () => {
    assert.equal(
      renderDemoFigures({ cold: run("cold", 12.34), warm: run("warm", 3.21) }),
      "Measured by `npm run demo` itself (from the start of its process), from a fresh clone: 12.3 s cold (on 2026-12-03, Node.js 22.23.5, 2 cores, " +
        "load average 1.5), when it synthesizes the app and builds the bundle (9.3 s of it); 3.2 s warm (on 2026-12-03, " +
        "Node.js 22.23.5, 2 cores, load average 1.5), when the sources are unchanged and both are reused.",
    );
  });

  it("are not recorded without both a cold and a warm run", () => {
    const demo = FIGURE_SOURCES.find((source) => source.name === "demo");

    assert.equal(demo?.refuse?.({ warm: run("warm", 3) }), "it needs both a cold and a warm run");
    assert.equal(demo?.refuse?.({ cold: run("cold", 12), warm: run("warm", 3) }), undefined);
  });
});

describe("the bench's figures", () => {
  const bench = FIGURE_SOURCES.find((source) => source.name === "bench");
  const recorded = (): BenchResults =>
    JSON.parse(readFileSync(new URL("../../figures/bench.json", import.meta.url), "utf8")) as BenchResults;

  it("show every account with both discoveries, and every target the bench judged", () => {
    // Prepare
    const results = recorded();

    // Act
    const table = renderBenchFigures(results);

    // Assess
    for (const size of results.sizes)
      for (const mode of ["metrics-first", "full"])
        assert.match(
          table,
          new RegExp(`^\\| ${size.versions.toLocaleString("en-US")} / .* \\| ${mode} \\|`, "m"),
        );
    for (const target of results.targets) assert.ok(table.includes(`| ${target.name} |`), target.name);
  });

  it("give the import time with the function's source maps and, when measured, without them", () => {
    // Prepare
    const results = recorded();
    const { importWithoutSourceMapsOverEmptyNodeMs: _, ...withMapsOnly } = results.bundle;
    const both = {
      ...results,
      bundle: { ...withMapsOnly, importOverEmptyNodeMs: 114, importWithoutSourceMapsOverEmptyNodeMs: 97 },
    };

    // Act
    const measuredBoth = renderBenchFigures(both);
    const measuredOne = renderBenchFigures({
      ...results,
      bundle: { ...withMapsOnly, importOverEmptyNodeMs: 114 },
    });

    // Assess
    assert.match(
      measuredBoth,
      /imported in 114 ms more than an empty `node` with the function's `--enable-source-maps`, 97 ms without it\./,
    );
    assert.match(measuredOne, /imported in 114 ms more than an empty `node`\. The bench took/);
  });

  it("are not recorded from a run of other sizes, or of an account without both discoveries", () => {
    // Prepare
    const results = recorded();
    const [first, ...rest] = results.sizes;
    assert.ok(first);
    const oneMode = {
      ...results,
      sizes: [{ ...first, runs: first.runs.filter((run) => run.mode !== "full") }, ...rest],
    };

    // Act, Assess
    assert.equal(bench?.refuse?.(results), undefined);
    assert.equal(
      bench?.refuse?.({ ...results, presetSizes: false }),
      "it measured other account sizes than the bench's own (--sizes)",
    );
    assert.equal(
      bench?.refuse?.(oneMode),
      `the account of ${first.versions.toLocaleString("en-US")} versions was not measured with both discoveries`,
    );
  });
});

describe("the bundles' figures", () => {
  const bundle = FIGURE_SOURCES.find((source) => source.name === "bundle");

  it("give the single-account bundle's size and the organization mode's hub bundle's, as npm run build wrote them", () => {
    // Act
    const block = bundle?.blocks.bundle?.({
      bytes: 398_010,
      gzipBytes: 118_784,
      organization: { bytes: 480_015, gzipBytes: 136_192 },
      recordedAt: "2026-12-04T09:00:00.000Z",
    });

    // Assess
    assert.equal(
      block,
      "The single-account Lambda bundle (`dist/stopper-function/`) is 398,010 bytes minified (116 KB gzipped), and " +
        "the organization mode's hub bundle (`dist/organization-function/`) 480,015 bytes (133 KB gzipped), as " +
        "`npm run build` last wrote them.",
    );
  });
});

describe("the fault storms' figures", () => {
  const faults = FIGURE_SOURCES.find((source) => source.name === "faults");
  const recorded = {
    lines: ["faults: discovery=metrics-first injected=1 …", "faults: discovery=full injected=1 …"],
    followUpLine: "follow-ups: injected=2 …",
    node: "v22.23.5",
    cores: 2,
    recordedAt: "2026-12-03T15:00:00.000Z",
  };

  it("show the nightly storm's line per discovery and the follow-up storm's, as npm run test:faults printed them", () => {
    // Act
    const block = faults?.blocks.faults?.(recorded);

    // Assess
    assert.equal(
      block,
      "```\nfaults: discovery=metrics-first injected=1 …\nfaults: discovery=full injected=1 …\n" +
        "follow-ups: injected=2 …\n```\n\n(`npm run test:faults` on 2026-12-03, Node.js 22.23.5, 2 cores.)",
    );
  });

  it("are not recorded from an output without both discoveries' lines, or without the follow-up storm's", () => {
    // Prepare
    const { followUpLine: _, ...nightlyOnly } = recorded;
    const oneDiscovery = { ...recorded, lines: recorded.lines.slice(0, 1) };

    // Act, Assess
    assert.equal(faults?.refuse?.(nightlyOnly), "it has no line of the follow-up storm");
    assert.match(faults?.refuse?.(oneDiscovery) ?? "", /both discoveries/);
    assert.equal(faults?.refuse?.(recorded), undefined);
  });
});

describe("the organization bench's figures", () => {
  const organizationBench = FIGURE_SOURCES.find((source) => source.name === "organization-bench");
  const measured: OrganizationBenchResults = {
    recordedAt: "2026-12-04T10:00:00.000Z",
    machine: {
      node: "v20.19.2",
      cpu: "Intel(R) Xeon(R) Processor",
      cores: 2,
      loadAverage: { start: 3.04, end: 5.46 },
    },
    timeScale: 20,
    latencyMs: 25,
    presetSizes: true,
    presetConcurrency: true,
    accounts: 100,
    regions: ["us-east-1", "eu-west-1"],
    running: 50,
    items: 200,
    mapConcurrency: 10,
    fanOutS: 1234.5,
    aloneS: [14.2, 15.8, 15],
    itemAloneS: 15,
    sequentialS: 3000,
    ownCpuS: 300,
    transitions: 203,
    costPerRunUsd: 0.005075,
    stopped: 2500,
    expectedStops: 2500,
    throttled: 0,
    complete: true,
    problems: [],
    benchSeconds: 1402.3,
  };

  it("read when and on what they were measured, the fan-out against items one after another, and the cost", () => {
    // Act
    const block = organizationBench?.blocks["organization-bench"]?.(measured);

    // Assess
    assert.equal(
      block,
      [
        "Recorded 2026-12-04 from `npm run bench -- --organization` on Node.js 20.19.2, 2 cores (Intel(R) Xeon(R) " +
          "Processor), 1-minute load average 3.0 at the start and 5.5 at the end; 100 accounts × 2 regions = 200 " +
          "items of 50 running models, ×20 faster than real with 25 ms of latency a call, and every time is in real " +
          "seconds.",
        "",
        "| What | Real seconds |",
        "| --- | --- |",
        "| The fan-out, measured: the state machine's run at MaxConcurrency 10 on this machine | 1,235 s |",
        "| One item after another, estimated: 200 × 15.0 s | 3,000 s (2.4× the fan-out's) |",
        "| One item alone, measured: the mean of 3 run one after another | 15.0 s (14.2 to 15.8 s) |",
        "| Each item on its own CPU as on Lambda, estimated: 20 waves × 15.0 s | 300 s |",
        "",
        "The run took 203 state transitions: $0.0051 a run at $0.025 per 1,000, $0.152 a month nightly. It stopped " +
          "2,500 models, and the per-account rate limits throttled 0 calls. Every item succeeded and the run " +
          "stopped the 2,500 models its accounts require. The bench took 1,402 s from start to end, unscaled.",
      ].join("\n"),
    );
  });

  it("say plainly when not every item succeeded, with each problem", () => {
    // Prepare
    const problems = [
      "Item 200000000003 in eu-west-1 failed: the function failed: Sandbox.Timedout.",
      "The run stopped 2475 models where its accounts require 2500.",
    ];

    // Act
    const block = renderOrganizationBenchFigures({ ...measured, stopped: 2475, complete: false, problems });

    // Assess
    assert.ok(
      block.includes(`**NOT MET: not every item succeeded.** ${problems.join(" ")}`),
      "the block names the miss and every problem",
    );
    assert.ok(!block.includes("Every item succeeded"));
  });

  it("are not recorded from a run of other sizes or another MaxConcurrency than the bench's own", () => {
    // Act, Assess
    assert.equal(organizationBench?.refuse?.(measured), undefined);
    assert.equal(
      organizationBench?.refuse?.({ ...measured, presetSizes: false, accounts: 10, items: 20 }),
      "it measured other sizes than the bench's own (--accounts, --regions or --running)",
    );
    assert.equal(
      organizationBench?.refuse?.({ ...measured, presetConcurrency: false, mapConcurrency: 40 }),
      "it ran at another MaxConcurrency than the synthesized state machine's (--concurrency)",
    );
  });

  it("are recorded in figures/, and the README quotes them", () => {
    // Prepare
    const recorded = JSON.parse(
      readFileSync(new URL("../../figures/organization-bench.json", import.meta.url), "utf8"),
    ) as OrganizationBenchResults;

    // Act
    const blocks = figureBlocks(README).filter((block) => block.name === "organization-bench");

    // Assess
    assert.equal(organizationBench?.refuse?.(recorded), undefined, "the record is of the bench's own sizes");
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0]?.body, renderOrganizationBenchFigures(recorded));
  });
});
