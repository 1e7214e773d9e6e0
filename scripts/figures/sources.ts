/**
 * Where each generated figure of the README comes from: the file a script writes on every run (under
 * `test-output/`), the committed record of the run the README quotes (under `figures/`), and how each block is
 * rendered from it. A new source is one entry here and its markers in the README.
 */

import { join } from "node:path";
import { ROOT } from "../build/stamp.ts";
import { type BenchResults, refuseBenchFigures, renderBenchFigures } from "./bench-figures.ts";
import { type DemoFigures, renderDemoFigures } from "./demo-figures.ts";
import {
  type OrganizationBenchResults,
  refuseOrganizationBenchFigures,
  renderOrganizationBenchFigures,
} from "./organization-bench-figures.ts";

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

/** What `npm run build` writes about the bundles: the single-account one, and the organization mode's hub. */
export interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The organization mode's hub bundle. */
  readonly organization: { readonly bytes: number; readonly gzipBytes: number };
  readonly recordedAt: string;
}

/** What `npm run test:faults` writes. */
export interface FaultFigures {
  /** One line per discovery, metrics-first then full. */
  readonly lines?: readonly string[];
  /** The one line of a record written before the storm ran with both discoveries. */
  readonly line?: string;
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
  /** Test files run side by side. */
  readonly concurrency?: number;
  readonly loadAverage?: number;
  readonly recordedAt?: string;
  /** The report's lines, per section. */
  readonly sectionLines?: Readonly<Record<string, readonly string[]>>;
}

/** Why a fault storm's output cannot be recorded: it needs a line per discovery and the follow-up storm's. */
export function refuseFaultFigures(faults: FaultFigures): string | undefined {
  if ((faults.lines?.length ?? 0) < 2)
    return "it needs a run with both discoveries (npm run test:faults without --discovery)";
  if (faults.followUpLine === undefined) return "it has no line of the follow-up storm";
  return undefined;
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
        const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB gzipped`;
        return (
          `The single-account Lambda bundle (\`dist/stopper-function/\`) is ${int(bundle.bytes)} bytes minified ` +
          `(${kb(bundle.gzipBytes)}), and the organization mode's hub bundle (\`dist/organization-function/\`) ` +
          `${int(bundle.organization.bytes)} bytes (${kb(bundle.organization.gzipBytes)}), as \`npm run build\` ` +
          "last wrote them."
        );
      },
    },
  },
  {
    name: "faults",
    producedBy: "npm run test:faults",
    output: "test-output/faults.json",
    refuse: (data) => refuseFaultFigures(data as FaultFigures),
    blocks: {
      faults: (data) => {
        const faults = data as FaultFigures;
        // Older records have one nightly line (before both discoveries) and no follow-up line (before the follow-ups).
        const nightly = faults.lines ?? [faults.line ?? ""];
        const followUp = faults.followUpLine === undefined ? [] : [faults.followUpLine];
        return (
          `${codeBlock([...nightly, ...followUp])}\n\n` +
          `(\`npm run test:faults\` on ${faults.recordedAt.slice(0, 10)}, Node.js ${faults.node.replace(/^v/, "")}, ` +
          `${faults.cores} cores.)`
        );
      },
    },
  },
  {
    name: "bench",
    producedBy: "npm run bench (every size, both discoveries)",
    output: "test-output/bench.json",
    refuse: (data) => refuseBenchFigures(data as BenchResults),
    blocks: { bench: (data) => renderBenchFigures(data as BenchResults) },
  },
  {
    name: "organization-bench",
    producedBy: "npm run bench -- --organization (the bench's own sizes)",
    output: "test-output/organization-bench.json",
    refuse: (data) => refuseOrganizationBenchFigures(data as OrganizationBenchResults),
    blocks: {
      "organization-bench": (data) => renderOrganizationBenchFigures(data as OrganizationBenchResults),
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
          `\`npm test\` runs everything below with node's test runner (${proof.files} test files` +
          `${proof.concurrency === undefined ? "" : `, ${proof.concurrency} at a time`}), with no credentials; ` +
          `its latest full run took ${Math.floor((proof.seconds ?? 0) / 60)} min ${Math.round((proof.seconds ?? 0) % 60)} s ` +
          `on Node.js ${(proof.node ?? "").replace(/^v/, "")} and ${proof.cores} cores shared with other work ` +
          `(load average ${proof.loadAverage?.toFixed(1)} at its start):`
        );
      },
      "proof-report": (data) =>
        codeBlock([
          "Proof against AWS:",
          ...Object.keys((data as ProofFigures).sectionLines ?? {}).flatMap((section) =>
            sectionLines(data, section),
          ),
        ]),
      "proof-permissions": (data) => codeBlock(["Proof against AWS:", ...sectionLines(data, "permissions")]),
      "proof-api-models": (data) => codeBlock(["Proof against AWS:", ...sectionLines(data, "api-models")]),
      "proof-runtime": (data) => codeBlock(sectionLines(data, "runtime")),
      "proof-backend": (data) => codeBlock(sectionLines(data, "backend")),
    },
  },
];
