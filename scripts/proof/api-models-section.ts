/**
 * The proof report's section on the API models: how many answers of the sandbox's Rekognition, CloudWatch, SNS,
 * CloudFormation, STS, Organizations, Step Functions and EventBridge were checked against AWS's published models
 * (sandbox/api-models.ts), per service (CloudWatch's answers in RPC v2 CBOR named apart); any mismatch fails the
 * report.
 * Deviations that wire quirks make on purpose are counted apart and do not fail it.
 */

import { readProofs } from "../../sandbox/proof-ledger.ts";
import type { ProofSection, SectionResult } from "./report.ts";

const SERVICES = [
  "rekognition",
  "cloudwatch",
  "sns",
  "cloudformation",
  "sts",
  "organizations",
  "states",
  "eventbridge",
] as const;

/** Mismatches named one by one in the failures; the rest are counted. */
const NAMED = 20;

interface ValidationEntry {
  readonly operations?: readonly {
    readonly service: string;
    readonly operation: string;
    readonly validated: number;
    /** Absent in ledgers written before the sandbox spoke RPC v2 CBOR. */
    readonly rpcV2Cbor?: number;
    readonly mismatches: number;
    readonly deliberate: number;
  }[];
  readonly mismatches?: readonly string[];
}

/** Adds up the `validation` entries of a ledger folder. */
export function checkApiModelProofs(ledgerDir: string): SectionResult {
  const entries = readProofs(ledgerDir, "validation") as ValidationEntry[];
  const validated: Record<string, number> = Object.fromEntries(SERVICES.map((service) => [service, 0]));
  const overCbor: Record<string, number> = {};
  let mismatches = 0;
  let deliberate = 0;
  const named = new Set<string>();
  for (const entry of entries) {
    for (const tally of entry.operations ?? []) {
      validated[tally.service] = (validated[tally.service] ?? 0) + tally.validated;
      if (tally.rpcV2Cbor) overCbor[tally.service] = (overCbor[tally.service] ?? 0) + tally.rpcV2Cbor;
      mismatches += tally.mismatches;
      deliberate += tally.deliberate;
    }
    for (const mismatch of entry.mismatches ?? []) if (named.size < NAMED) named.add(mismatch);
  }
  const total = Object.values(validated).reduce((sum, count) => sum + count, 0);
  // CloudWatch's answers in RPC v2 CBOR are named apart, so the report shows that protocol was checked too.
  const perService = SERVICES.map(
    (service) =>
      `${service} ${validated[service]}${overCbor[service] ? ` (${overCbor[service]} in RPC v2 CBOR)` : ""}`,
  ).join(", ");
  const rpcV2Cbor = Object.values(overCbor).reduce((sum, count) => sum + count, 0);
  const failures = [...named];
  if (mismatches > named.size) failures.push(`… ${mismatches - named.size} more mismatches`);
  return {
    lines: [
      `API models: ${total} responses validated against the API models (${perService}), ${mismatches} mismatches; ${deliberate} deliberate deviations by wire quirks`,
    ],
    failures,
    figures: { validated: total, ...validated, rpcV2Cbor, mismatches, deliberate },
  };
}

/** The section, for {@link SECTIONS}. */
export const apiModelsSection: ProofSection = {
  name: "api-models",
  kinds: ["validation"],
  check: checkApiModelProofs,
};
