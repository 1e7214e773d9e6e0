/**
 * The proof report's runtime section: how many scenarios ran under the Lambda Runtime Interface Client, on which
 * Node.js and client, from the `runtime` facts test/runtime/ric.e2e.test.ts records. A skip is reported with its
 * reason; where IMS_REQUIRE_LAMBDA_RUNTIME=1 (CI), a skip or a run without any scenario is a failure.
 */

import { readProofs } from "../../sandbox/proof-ledger.ts";
import { INSTALL_COMMAND, REQUIRE_LAMBDA_RUNTIME_VARIABLE } from "../../sandbox/runtime-client.ts";
import type { SectionResult } from "./report.ts";

/** One `runtime` fact: a scenario and how it went. */
interface RuntimeFact {
  readonly scenario: string;
  readonly outcome: "passed" | "failed" | "skipped";
  readonly runtime?: string;
  readonly nodeVersion?: string;
  readonly clientVersion?: string;
  readonly reason?: string;
}

const distinct = (values: readonly (string | undefined)[]) =>
  [...new Set(values.filter((v): v is string => v !== undefined))].sort();

/** Adds up the runtime facts of a ledger. */
export function checkRuntime(ledgerDir: string, env: NodeJS.ProcessEnv = process.env): SectionResult {
  const facts = readProofs(ledgerDir, "runtime") as unknown as RuntimeFact[];
  const required = env[REQUIRE_LAMBDA_RUNTIME_VARIABLE] === "1";
  const passed = distinct(facts.filter((f) => f.outcome === "passed").map((f) => f.scenario));
  const failed = distinct(facts.filter((f) => f.outcome === "failed").map((f) => f.scenario));
  const skipped = distinct(facts.filter((f) => f.outcome === "skipped").map((f) => f.reason));
  const ran = facts.filter((f) => f.outcome !== "skipped");
  const nodeVersions = distinct(ran.map((f) => f.nodeVersion));
  const clientVersions = distinct(ran.map((f) => f.clientVersion));
  const lines: string[] = [];
  const failures: string[] = [];

  if (ran.length > 0) {
    const on = `Node ${nodeVersions.map((v) => v.replace(/^v/, "")).join(", ")}`;
    const client = `aws-lambda-ric ${clientVersions.join(", ")}`;
    lines.push(
      `runtime: ${passed.length} scenario${passed.length === 1 ? "" : "s"} run under the runtime client on ${on} ` +
        `(${client})${failed.length > 0 ? `, ${failed.length} failed` : ""}`,
      ...passed.map((name) => `  - ${name}`),
      ...failed.map((name) => `  - FAILED: ${name}`),
    );
    for (const name of failed) failures.push(`the scenario "${name}" failed under the runtime client`);
  } else if (skipped.length > 0) {
    lines.push(`runtime: no scenario run under the runtime client: ${skipped.join("; ")}`);
  } else {
    lines.push(
      "runtime: no scenario run under the runtime client (test/runtime/ric.e2e.test.ts was not in this run)",
    );
  }
  if (required && (skipped.length > 0 || passed.length === 0))
    failures.push(
      `${REQUIRE_LAMBDA_RUNTIME_VARIABLE}=1 and ${skipped.length > 0 ? "a scenario was skipped" : "no scenario ran"} ` +
        `under the runtime client; install it with \`${INSTALL_COMMAND}\``,
    );

  return {
    lines,
    failures,
    figures: {
      scenarios: passed.length,
      failed: failed.length,
      skipped: skipped.length,
      nodeVersion: nodeVersions.join(", "),
      clientVersion: clientVersions.join(", "),
    },
  };
}
