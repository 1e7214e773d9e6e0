/**
 * The proof report's section on a backend this repository did not write: the scenarios test/e2e/moto.e2e.test.ts ran
 * on moto and on the sandbox, and whether their decisions, stops and records were the same; or why it was skipped.
 */

import { type ProofEntry, readProofs } from "../../sandbox/proof-ledger.ts";
import type { ProofSection, SectionResult } from "./report.ts";

const text = (value: unknown) => (typeof value === "string" ? value : undefined);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
const unique = (values: readonly unknown[]) => [...new Set(values.filter((value) => value !== undefined))];

/** Adds up the `backend` facts of a ledger folder. */
export function checkBackend(ledgerDir: string): SectionResult {
  const entries = readProofs(ledgerDir, "backend");
  const runs = entries.filter((entry) => text(entry.scenario) !== undefined);
  const skips = entries.filter((entry) => text(entry.skipped) !== undefined);
  if (runs.length === 0) {
    const [skip] = skips;
    return skip
      ? {
          lines: [`backend: skipped on moto: ${text(skip.skipped)}; not checked: ${text(skip.notChecked)}`],
          failures: [],
          figures: { scenarios: 0, skipped: text(skip.skipped) ?? "" },
        }
      : {
          lines: ["backend: no scenario ran on moto (test/e2e/moto.e2e.test.ts was not part of this run)"],
          failures: [],
          figures: { scenarios: 0 },
        };
  }
  const differing = runs.filter((entry) => entry.equal !== true);
  const versions = unique(runs.map((entry) => entry.version)).join(", ");
  const services = unique(
    runs.flatMap((entry) => (Array.isArray(entry.services) ? entry.services : [])),
  ).join(", ");
  const seconds =
    (sum(runs, "durationMs") + Math.max(0, ...runs.map((entry) => Number(entry.motoStartMs) || 0))) / 1000;
  const verdict =
    differing.length === 0
      ? "decisions, stops and records equal to the sandbox's"
      : `${differing.length} of them differ from the sandbox's`;
  return {
    lines: [
      `backend: ${plural(runs.length, "scenario")} run on moto ${versions} (${services}): ${verdict} ` +
        `[${sum(runs, "stops")} stops, ${sum(runs, "records")} records, ${sum(runs, "digests")} digests compared; ${seconds.toFixed(1)} s]`,
    ],
    failures: differing.map(
      (entry) =>
        `scenario "${text(entry.scenario)}": moto and the sandbox differ in ${describe(entry.differences)}`,
    ),
    figures: {
      scenarios: runs.length,
      differing: differing.length,
      motoVersion: versions,
      services,
      seconds: Math.round(seconds * 10) / 10,
    },
  };
}

function sum(entries: readonly ProofEntry[], field: string): number {
  return entries.reduce((total, entry) => total + (Number(entry[field]) || 0), 0);
}

function describe(differences: unknown): string {
  return Array.isArray(differences) && differences.length > 0
    ? differences.join(", ")
    : "an unrecorded field";
}

/** The section, for `SECTIONS` in report.ts. */
export const BACKEND_SECTION: ProofSection = { name: "backend", kinds: ["backend"], check: checkBackend };
