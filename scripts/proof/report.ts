/**
 * The proof report: adds up what the tests recorded in the ledger (sandbox/proof-ledger.ts) and checks what only
 * the whole suite can tell, such as a granted permission that no test used. Each part of the proof is one section.
 */

import type { ProofKind } from "../../sandbox/proof-ledger.ts";
import { apiModelsSection } from "./api-models-section.ts";
import { BACKEND_SECTION } from "./backend-section.ts";
import { checkPermissions } from "./permissions.ts";
import { checkRuntime } from "./runtime.ts";

/** What one section found. */
export interface SectionResult {
  /** Lines for the report, e.g. `permissions: 412 calls simulated, 0 denied …`. */
  readonly lines: readonly string[];
  /** Each broken promise, in a sentence; any makes the command fail. */
  readonly failures: readonly string[];
  /** The section's figures, for the figures file the README quotes. */
  readonly figures: Readonly<Record<string, number | string>>;
}

/** One part of the proof, read from the ledger folder. */
export interface ProofSection {
  readonly name: string;
  /** The ledger kinds it reads. */
  readonly kinds: readonly ProofKind[];
  readonly check: (ledgerDir: string) => SectionResult | Promise<SectionResult>;
}

/** Every section, in the order the report prints them. Add a section here to add it to `npm test`. */
export const SECTIONS: readonly ProofSection[] = [
  { name: "permissions", kinds: ["permission"], check: (ledgerDir) => checkPermissions(ledgerDir) },
  apiModelsSection,
  { name: "runtime", kinds: ["runtime"], check: (ledgerDir) => checkRuntime(ledgerDir) },
  BACKEND_SECTION,
];

/** The whole report. */
export interface ProofReport {
  readonly lines: string[];
  readonly failures: string[];
  readonly figures: Record<string, Readonly<Record<string, number | string>>>;
  /** The lines of each section, by its name: what the README quotes (npm run figures). */
  readonly sectionLines: Record<string, readonly string[]>;
}

/** Runs every section over a ledger folder. A section that throws is a failure, and the others still run. */
export async function buildProofReport(ledgerDir: string): Promise<ProofReport> {
  const report: ProofReport = { lines: [], failures: [], figures: {}, sectionLines: {} };
  for (const section of SECTIONS) {
    try {
      const result = await section.check(ledgerDir);
      report.lines.push(...result.lines);
      report.failures.push(...result.failures.map((failure) => `${section.name}: ${failure}`));
      report.figures[section.name] = result.figures;
      report.sectionLines[section.name] = result.lines;
    } catch (error) {
      report.failures.push(`${section.name}: the check itself failed: ${(error as Error).stack ?? error}`);
    }
  }
  return report;
}
