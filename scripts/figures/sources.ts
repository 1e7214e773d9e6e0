/**
 * Where each generated figure of the README comes from: the file a script writes on every run (under
 * `test-output/`), the committed record of the run the README quotes (under `figures/`), and how each block is
 * rendered from it. A new source is one entry here and its markers in the README; the bench's table plugs in the
 * same way (its output, its record, a block rendered by its own function).
 */

import { join } from "node:path";
import { ROOT } from "../build/stamp.ts";
import { type DemoFigures, renderDemoFigures } from "./demo-figures.ts";

/** One script's figures: its output, its record, and the README blocks made from the record. */
export interface FigureSource {
  /** The record's name: `figures/<name>.json`. */
  readonly name: string;
  /** What writes the output, for messages: e.g. `npm run demo`. */
  readonly producedBy: string;
  /** The file the script writes on every run, relative to the repository's root. */
  readonly output: string;
  /**
   * Why an output cannot be recorded (a partial run), or undefined when it can. @default every output is recorded
   */
  readonly refuse?: (data: unknown) => string | undefined;
  /** Each block's body by the block's name (`<!-- figures:NAME -->`), from the record. */
  readonly blocks: Readonly<Record<string, (data: unknown) => string>>;
}

/** The committed records' folder. */
export const FIGURES_DIR = join(ROOT, "figures");

/** The record of a source. */
export const recordPath = (source: FigureSource): string => join(FIGURES_DIR, `${source.name}.json`);

/** What `npm run build` writes about the bundle. */
export interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly recordedAt: string;
}

/** What `npm run test:faults` writes. */
export interface FaultFigures {
  readonly line: string;
  /** The follow-up storm's line; absent from records made before it existed. */
  readonly followUpLine?: string;
  readonly node: string;
  readonly cores: number;
  readonly recordedAt: string;
}

/** What `npm test` writes (test-output/proof.json), as far as the README quotes it. */
export interface ProofFigures {
  /** False when only some test files ran: the report then judges less, and is not recorded. */
  readonly complete?: boolean;
  readonly files: number;
  readonly seconds?: number;
  readonly node?: string;
  readonly cores?: number;
  readonly loadAverage?: number;
  readonly recordedAt?: string;
  /** The report's lines, per section. */
  readonly sectionLines?: Readonly<Record<string, readonly string[]>>;
}

const codeBlock = (lines: readonly string[]) => ["```", ...lines, "```"].join("\n");
const int = (value: number) => value.toLocaleString("en-US");

const sectionLines = (data: unknown, section: string): readonly string[] => {
  const lines = (data as ProofFigures).sectionLines?.[section];
  if (!lines || lines.length === 0) throw new Error(`the recorded proof report has no ${section} lines`);
  return lines;
};

/** Every source of generated figures. */
export const FIGURE_SOURCES: readonly FigureSource[] = [
  {
    name: "demo",
    producedBy: "npm run demo (a cold run after a change, then a warm one)",
    output: "test-output/demo.json",
    refuse: (data) => {
      const figures = data as DemoFigures;
      return figures.cold && figures.warm ? undefined : "it needs both a cold and a warm run";
    },
    blocks: { demo: (data) => renderDemoFigures(data as DemoFigures) },
  },
  {
    name: "bundle",
    producedBy: "npm run build",
    output: "test-output/bundle.json",
    blocks: {
      bundle: (data) => {
        const bundle = data as BundleFigures;
        return (
          `The Lambda bundle is ${int(bundle.bytes)} bytes minified (${Math.round(bundle.gzipBytes / 1024)} KB ` +
          `gzipped), as \`npm run build\` last wrote it.`
        );
      },
    },
  },
  {
    name: "faults",
    producedBy: "npm run test:faults",
    output: "test-output/faults.json",
    refuse: (data) =>
      (data as FaultFigures).followUpLine === undefined ? "it has no line of the follow-up storm" : undefined,
    blocks: {
      faults: (data) => {
        const faults = data as FaultFigures;
        return (
          `${codeBlock([faults.line, ...(faults.followUpLine === undefined ? [] : [faults.followUpLine])])}\n\n` +
          `(\`npm run test:faults\` on ${faults.recordedAt.slice(0, 10)}, Node.js ${faults.node.replace(/^v/, "")}, ` +
          `${faults.cores} cores.)`
        );
      },
    },
  },
  {
    name: "proof",
    producedBy: "npm test (the whole suite)",
    output: "test-output/proof.json",
    refuse: (data) =>
      (data as ProofFigures).complete === true
        ? undefined
        : "it is the report of a partial run (npm test -- <files>)",
    blocks: {
      "test-run": (data) => {
        const proof = data as ProofFigures;
        return (
          `\`npm test\` runs everything below with node's test runner (${proof.files} test files), with no credentials; ` +
          `its latest full run took ${Math.floor((proof.seconds ?? 0) / 60)} min ${Math.round((proof.seconds ?? 0) % 60)} s ` +
          `on Node.js ${(proof.node ?? "").replace(/^v/, "")} and ${proof.cores} cores shared with other work ` +
          `(load average ${proof.loadAverage?.toFixed(1)} at its start):`
        );
      },
      "proof-permissions": (data) => codeBlock(["Proof against AWS:", ...sectionLines(data, "permissions")]),
      "proof-api-models": (data) => codeBlock(["Proof against AWS:", ...sectionLines(data, "api-models")]),
      "proof-runtime": (data) => codeBlock(sectionLines(data, "runtime")),
      "proof-backend": (data) => codeBlock(sectionLines(data, "backend")),
    },
  },
];
