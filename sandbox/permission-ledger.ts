/**
 * The permission facts the tests record in the proof ledger (proof-ledger.ts), and their shape as the report reads
 * them (scripts/proof/report.ts): every simulated call with its verdict, and every grant each principal holds.
 */

import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decision, Grant, Verdict } from "./permission-check.ts";
import { grantLabel } from "./permission-check.ts";
import { recordProof } from "./proof-ledger.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Simulated calls of one kind, counted: same principal, action, resource, region and decision. */
export type CallFact = {
  readonly type: "call";
  /** The test file that made the calls, relative to the repository. */
  readonly file: string;
  readonly principal: string;
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
  readonly region: string;
  readonly via?: string;
  readonly decision: Decision;
  /** `deny` for a call a test makes to show the policy refuses it. @default "allow" */
  readonly expected: "allow" | "deny";
  readonly count: number;
  /** The grants that allowed it, as `action on resource`. */
  readonly grants: readonly string[];
  readonly detail?: string;
};

/** Every grant a principal holds, recorded by a test that checks that principal's calls. */
export type GrantsFact = {
  readonly type: "grants";
  readonly file: string;
  readonly principal: string;
  readonly grants: readonly string[];
};

/** A permission fact. */
export type PermissionFact = CallFact | GrantsFact;

/** The test file this process runs (node's test runner gives each file a process), relative to the repository. */
export function currentTestFile(): string {
  const script = process.argv[1];
  return script ? relative(ROOT, script) : "(unknown)";
}

/** Records verdicts, counted by principal, action, resource, region and decision. */
export function recordVerdicts(
  principal: string,
  verdicts: readonly Verdict[],
  expected: "allow" | "deny" = "allow",
): void {
  const file = currentTestFile();
  const facts = new Map<string, CallFact>();
  for (const { call, decision, grants, detail } of verdicts) {
    const key = JSON.stringify([call.operation, call.action, call.resource, call.region, call.via, decision]);
    const known = facts.get(key);
    facts.set(key, {
      type: "call",
      file,
      principal,
      operation: call.operation,
      action: call.action,
      resource: call.resource ?? "(none)",
      region: call.region,
      ...(call.via !== undefined && { via: call.via }),
      decision,
      expected,
      count: (known?.count ?? 0) + 1,
      grants,
      ...(detail !== undefined && { detail }),
    });
  }
  recordProof("permission", [...facts.values()]);
}

/** Records the grants a principal holds. */
export function recordGrants(principal: string, grants: readonly Grant[]): void {
  recordProof("permission", [
    {
      type: "grants",
      file: currentTestFile(),
      principal,
      grants: grants.map(grantLabel),
    } satisfies GrantsFact,
  ]);
}
