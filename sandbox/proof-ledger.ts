/**
 * The proof ledger: what the tests showed about AWS, one JSON line per fact, so that one report can add it all up
 * after every test file has run (test files run in processes of their own). A fact is recorded only when
 * `IMS_PROOF_DIR` names a folder; `npm test` and `npm run proof` set it, a single test file run by hand does not.
 */

import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The environment variable naming the ledger's folder. */
export const PROOF_DIR_VARIABLE = "IMS_PROOF_DIR";

/**
 * The kinds of fact:
 * - `permission`: one AWS call a test made, with the IAM action, resource and region, and what the policies said;
 * - `validation`: one sandbox answer checked against the service's published API model;
 * - `runtime`: one scenario run under the Lambda Runtime Interface Client;
 * - `backend`: one scenario run against a backend this repository did not write (moto).
 */
export type ProofKind = "permission" | "validation" | "runtime" | "backend";

/** One fact; its fields depend on the kind. */
export type ProofEntry = Readonly<Record<string, unknown>>;

/** Whether facts are being recorded in this process. */
export function proofLedgerEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[PROOF_DIR_VARIABLE]);
}

/** Appends facts of one kind to this process's file in the ledger; does nothing when no ledger is set. */
export function recordProof(kind: ProofKind, entries: readonly ProofEntry[]): void {
  const dir = process.env[PROOF_DIR_VARIABLE];
  if (!dir || entries.length === 0) return;
  const lines = entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
  // One file per process and kind, appended synchronously: processes never write to the same file.
  appendFileSync(join(dir, `${kind}-${process.pid}.jsonl`), lines);
}

/** Every fact of one kind in a ledger folder, in no particular order. */
export function readProofs(dir: string, kind: ProofKind): ProofEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${kind}-`) && name.endsWith(".jsonl"))
    .flatMap((name) =>
      readFileSync(join(dir, name), "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as ProofEntry),
    );
}
