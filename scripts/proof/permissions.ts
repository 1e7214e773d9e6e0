/**
 * The permissions part of the proof report: every call the tests simulated (sandbox/permission-check.ts), the
 * calls refused, and every grant no call used, so least privilege is judged both ways.
 */

import type { CallFact, GrantsFact, PermissionFact } from "../../sandbox/permission-ledger.ts";
import { readProofs } from "../../sandbox/proof-ledger.ts";
import { DELIBERATE_GRANTS, type DeliberateGrant } from "./deliberate-grants.ts";

/**
 * The test files whose calls exercise each principal's grants. Unused grants are judged only when all of them ran
 * (and recorded facts): `npm test -- test/unit` says "not judged" rather than "every grant unused".
 */
export const JUDGED_BY: Readonly<Record<string, readonly string[]>> = {
  "function role": [
    "test/e2e/stopper.e2e.test.ts",
    "test/e2e/events-and-tags.e2e.test.ts",
    "test/e2e/follow-ups.e2e.test.ts",
    "test/reliability/reliability.test.ts",
    "test/reliability/fault-storm.test.ts",
  ],
  "follow-up function role": [
    "test/e2e/follow-ups.e2e.test.ts",
    "test/e2e/events-and-tags.e2e.test.ts",
    "test/reliability/fault-storm.test.ts",
  ],
  "CLI policy": ["test/cli/cli.test.ts", "test/cli/cli-accounts.test.ts"],
  "scheduler role": ["test/infra/permissions.test.ts"],
  // The organization mode (issue 11): the hub's role of that template, the member accounts' spoke role, and the
  // state machine's role, all exercised by the run over the organization.
  "hub role (organization mode)": [
    "test/e2e/organization.e2e.test.ts",
    "test/e2e/organization-follow-ups.e2e.test.ts",
  ],
  "hub follow-up role (organization mode)": [
    "test/e2e/organization-follow-ups.e2e.test.ts",
    "test/e2e/organization-warnings.e2e.test.ts",
  ],
  "spoke role": ["test/e2e/organization.e2e.test.ts", "test/e2e/organization-follow-ups.e2e.test.ts"],
  "state machine role": ["test/e2e/organization.e2e.test.ts"],
};

/** What the section found. */
export interface PermissionFindings {
  readonly lines: string[];
  readonly failures: string[];
  readonly figures: Record<string, number | string>;
}

const describe = (fact: CallFact) =>
  `${fact.operation} (${fact.action} on ${fact.resource} in ${fact.region}${fact.via ? `, made by ${fact.via}` : ""})`;

/** Judges the permission facts of a ledger folder. */
export function checkPermissions(
  ledgerDir: string,
  deliberate: readonly DeliberateGrant[] = DELIBERATE_GRANTS,
): PermissionFindings {
  const facts = readProofs(ledgerDir, "permission") as PermissionFact[];
  const calls = facts.filter((fact): fact is CallFact => fact.type === "call");
  const lines: string[] = [];
  const failures: string[] = [];
  const count = (list: readonly CallFact[]) => list.reduce((sum, fact) => sum + fact.count, 0);

  const refused = calls.filter((fact) => fact.expected === "allow" && fact.decision !== "Allowed");
  const meantToBeRefused = calls.filter((fact) => fact.expected === "deny");
  // One failure per distinct call, however many times the tests made it.
  const distinct = new Set<string>();
  for (const fact of refused)
    distinct.add(
      `${fact.file}: the ${fact.principal} would not be allowed ${describe(fact)}: ${fact.decision}${fact.detail ? ` (${fact.detail})` : ""}`,
    );
  for (const fact of meantToBeRefused.filter((f) => f.decision === "Allowed"))
    distinct.add(
      `${fact.file}: the ${fact.principal} is allowed ${describe(fact)}, which its policy must refuse`,
    );
  failures.push(...distinct);

  const principals = [...new Set(calls.map((fact) => fact.principal))].sort();
  const perPrincipal = principals
    .map((p) => `${p} ${count(calls.filter((f) => f.principal === p))}`)
    .join(", ");
  lines.push(
    `permissions: ${count(calls)} calls simulated (${perPrincipal || "none"}), ${count(refused)} denied; ` +
      `${count(meantToBeRefused)} more made to be refused, ${count(meantToBeRefused.filter((f) => f.decision !== "Allowed"))} refused`,
  );

  const ranFiles = new Set(facts.map((fact) => fact.file));
  const figures: Record<string, number | string> = {
    callsSimulated: count(calls),
    denied: count(refused),
    refusedOnPurpose: count(meantToBeRefused.filter((f) => f.decision !== "Allowed")),
  };
  let grantsTotal = 0;
  let unusedTotal = 0;
  let deliberateTotal = 0;
  for (const [principal, files] of Object.entries(JUDGED_BY)) {
    const missing = files.filter((file) => !ranFiles.has(file));
    if (missing.length > 0) {
      lines.push(`permissions: ${principal}: unused grants not judged (${missing.join(", ")} did not run)`);
      figures[`${principal}: grants unused`] = "not judged";
      continue;
    }
    const granted = new Set(
      facts
        .filter((f): f is GrantsFact => f.type === "grants" && f.principal === principal)
        .flatMap((f) => f.grants),
    );
    if (granted.size === 0)
      failures.push(`${files.join(", ")} ran but recorded no grant of the ${principal}`);
    const used = new Set(
      calls.filter((f) => f.principal === principal && f.decision === "Allowed").flatMap((f) => f.grants),
    );
    const kept = new Map(
      deliberate
        .filter((d) => d.principal === principal)
        .map((d) => [`${d.action} on ${d.resource}`, d.reason]),
    );
    const unused = [...granted].filter((grant) => !used.has(grant)).sort();
    const deliberateUnused = unused.filter((grant) => kept.has(grant));
    const unexplained = unused.filter((grant) => !kept.has(grant));
    for (const grant of unexplained)
      failures.push(
        `the ${principal} grants ${grant}, which no test's call used: remove it, or list it with its reason in scripts/proof/deliberate-grants.ts`,
      );
    for (const [grant] of kept) {
      if (!granted.has(grant))
        failures.push(
          `scripts/proof/deliberate-grants.ts lists ${grant} for the ${principal}, which no longer grants it`,
        );
      else if (used.has(grant))
        failures.push(
          `scripts/proof/deliberate-grants.ts lists ${grant} for the ${principal}, but a call uses it: remove the entry`,
        );
    }
    lines.push(
      `permissions: ${principal}: ${granted.size} grants, ${unexplained.length} unused, ${deliberateUnused.length} unused on purpose`,
    );
    for (const grant of deliberateUnused) lines.push(`  - ${grant}: ${kept.get(grant)}`);
    for (const grant of unexplained) lines.push(`  - ${grant}: UNUSED, no reason given`);
    figures[`${principal}: grants`] = granted.size;
    figures[`${principal}: grants unused`] = unexplained.length;
    figures[`${principal}: grants deliberate`] = deliberateUnused.length;
    grantsTotal += granted.size;
    unusedTotal += unexplained.length;
    deliberateTotal += deliberateUnused.length;
  }
  figures.grants = grantsTotal;
  figures.grantsUnused = unusedTotal;
  figures.grantsDeliberate = deliberateTotal;
  return { lines, failures, figures };
}
