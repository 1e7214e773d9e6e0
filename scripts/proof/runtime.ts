/**
 * The proof report's runtime section, from the `runtime` facts of test/runtime/: how many scenarios ran under the
 * Lambda Runtime Interface Client, on which Node.js and client, and the arm64 smoke run under qemu. A skip is
 * reported with its reason; where IMS_REQUIRE_LAMBDA_RUNTIME=1 (CI), a skip, or a run with no scenario under the
 * runtime client, is a failure.
 */

import { readProofs } from "../../sandbox/proof-ledger.ts";
import { INSTALL_COMMAND, REQUIRE_LAMBDA_RUNTIME_VARIABLE } from "../../sandbox/runtime-client.ts";
import type { SectionResult } from "./report.ts";

/** One `runtime` fact: a scenario and how it went. */
interface RuntimeFact {
  /** `ric`: under the runtime client (the default); `arm64`: the plain bundle on arm64 under qemu. */
  readonly path?: "ric" | "arm64";
  readonly scenario: string;
  readonly outcome: "passed" | "failed" | "skipped";
  readonly runtime?: string;
  readonly nodeVersion?: string;
  readonly clientVersion?: string;
  readonly reason?: string;
  /** What the scenario measured: its cold start's init phase and the runtime process's peak memory. */
  readonly initDurationMs?: number;
  readonly peakRssBytes?: number;
}

const distinct = (values: readonly (string | undefined)[]) =>
  [...new Set(values.filter((v): v is string => v !== undefined))].sort();
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
const bare = (versions: readonly string[]) => versions.map((v) => v.replace(/^v/, "")).join(", ");

/** What the facts of one path say: passed and failed scenario names, skip reasons, versions. */
function tally(facts: readonly RuntimeFact[]) {
  const ran = facts.filter((f) => f.outcome !== "skipped");
  const measured = (name: string) => {
    const fact = facts.find((f) => f.scenario === name && f.outcome === "passed");
    const parts = [
      fact?.initDurationMs !== undefined && `init ${Math.round(fact.initDurationMs)} ms`,
      fact?.peakRssBytes !== undefined && `peak RSS ${Math.round(fact.peakRssBytes / 1024 / 1024)} MB`,
    ].filter(Boolean);
    return parts.length > 0 ? `${name} (${parts.join(", ")})` : name;
  };
  return {
    measured,
    passed: distinct(facts.filter((f) => f.outcome === "passed").map((f) => f.scenario)),
    failed: distinct(facts.filter((f) => f.outcome === "failed").map((f) => f.scenario)),
    skipped: distinct(facts.filter((f) => f.outcome === "skipped").map((f) => f.reason)),
    nodeVersions: distinct(ran.map((f) => f.nodeVersion)),
    clientVersions: distinct(ran.map((f) => f.clientVersion)),
  };
}

/** Adds up the runtime facts of a ledger. */
export function checkRuntime(ledgerDir: string, env: NodeJS.ProcessEnv = process.env): SectionResult {
  const facts = readProofs(ledgerDir, "runtime") as unknown as RuntimeFact[];
  const required = env[REQUIRE_LAMBDA_RUNTIME_VARIABLE] === "1";
  const ric = tally(facts.filter((f) => (f.path ?? "ric") === "ric"));
  const arm64 = tally(facts.filter((f) => f.path === "arm64"));
  const lines: string[] = [];
  const failures: string[] = [];

  if (ric.passed.length + ric.failed.length > 0) {
    lines.push(
      `runtime: ${plural(ric.passed.length, "scenario")} run under the runtime client on Node ` +
        `${bare(ric.nodeVersions)} (aws-lambda-ric ${ric.clientVersions.join(", ")})` +
        (ric.failed.length > 0 ? `, ${ric.failed.length} failed` : ""),
      ...ric.passed.map((name) => `  - ${ric.measured(name)}`),
      ...ric.failed.map((name) => `  - FAILED: ${name}`),
    );
  } else if (ric.skipped.length > 0) {
    // Each reason says what was not run and why, e.g. "not run under the Lambda runtime client: no Node.js …".
    lines.push(`runtime: ${ric.skipped.join("; ")}`);
  } else {
    lines.push(
      "runtime: no scenario run under the runtime client (test/runtime/ric.e2e.test.ts was not in this run)",
    );
  }
  if (arm64.passed.length + arm64.failed.length > 0)
    lines.push(
      `runtime: ${plural(arm64.passed.length, "smoke run")} of the plain bundle on Node ${bare(arm64.nodeVersions)} ` +
        `arm64 under qemu${arm64.failed.length > 0 ? `, ${arm64.failed.length} failed` : ""}`,
    );
  else if (arm64.skipped.length > 0) lines.push(`runtime: ${arm64.skipped.join("; ")}`);

  for (const name of [...ric.failed, ...arm64.failed]) failures.push(`the scenario "${name}" failed`);
  if (required && (ric.skipped.length > 0 || ric.passed.length === 0))
    failures.push(
      `${REQUIRE_LAMBDA_RUNTIME_VARIABLE}=1 and ${ric.skipped.length > 0 ? "a scenario was skipped" : "no scenario ran"} ` +
        `under the runtime client; install it with \`${INSTALL_COMMAND}\``,
    );
  if (required && arm64.skipped.length > 0)
    failures.push(
      `${REQUIRE_LAMBDA_RUNTIME_VARIABLE}=1 and the arm64 smoke run was skipped; install it with \`${INSTALL_COMMAND}\``,
    );

  const peaks = facts.flatMap((f) => (f.peakRssBytes === undefined ? [] : [f.peakRssBytes]));
  const inits = facts.flatMap((f) => (f.initDurationMs === undefined ? [] : [f.initDurationMs]));
  return {
    lines,
    failures,
    figures: {
      ...(peaks.length > 0 && { maxPeakRssMb: Math.round(Math.max(...peaks) / 1024 / 1024) }),
      ...(inits.length > 0 && { maxInitMs: Math.round(Math.max(...inits)) }),
      scenarios: ric.passed.length,
      failed: ric.failed.length + arm64.failed.length,
      skipped: ric.skipped.length + arm64.skipped.length,
      nodeVersion: ric.nodeVersions.join(", "),
      clientVersion: ric.clientVersions.join(", "),
      arm64SmokeRuns: arm64.passed.length,
    },
  };
}
