/**
 * What one sandbox's answers showed against the API models: how many were checked per operation, the mismatches
 * (which fail the tests) and the deliberate deviations of wire quirks (which are reported, not failed).
 */

import { checkAnswer, describeMismatch, type ModelMismatch, type WireAnswer } from "./api-model-check.ts";
import type { ModelledService } from "./api-models.ts";
import type { ProofEntry } from "./proof-ledger.ts";

/** Mismatches kept in full per sandbox; past this they are only counted (one broken field repeats per answer). */
const KEPT = 200;

/** Answers checked for one operation. */
export interface OperationTally {
  readonly service: ModelledService;
  readonly operation: string;
  /** Answers checked. */
  readonly validated: number;
  /** Of those, the answers in Smithy RPC v2 CBOR (CloudWatch's other protocol); absent when none. */
  readonly rpcV2Cbor?: number;
  /** Mismatches found (each answer may have several). */
  readonly mismatches: number;
  /** Deviations a wire quirk made on purpose. */
  readonly deliberate: number;
  /** Milliseconds spent checking: what the check adds to the sandbox's work. */
  readonly checkMs: number;
}

/** The model check of one sandbox's answers. */
export class ApiModelTally {
  private readonly byOperation = new Map<
    string,
    { -readonly [K in keyof OperationTally]-?: OperationTally[K] }
  >();
  private readonly keptMismatches: ModelMismatch[] = [];
  private readonly keptDeliberate: ModelMismatch[] = [];

  /** Checks one answer; a check that throws is itself a mismatch, so a broken check cannot pass silently. */
  check(answer: WireAnswer): void {
    const started = performance.now();
    let found: ModelMismatch[];
    try {
      found = checkAnswer(answer);
    } catch (error) {
      found = [
        {
          service: answer.service,
          operation: answer.operation,
          path: "",
          message: `the model check itself failed: ${error instanceof Error ? error.message : String(error)}`,
        },
      ];
    }
    const key = `${answer.service}\u0000${answer.operation}`;
    let tally = this.byOperation.get(key);
    if (!tally) {
      tally = {
        service: answer.service,
        operation: answer.operation,
        validated: 0,
        rpcV2Cbor: 0,
        mismatches: 0,
        deliberate: 0,
        checkMs: 0,
      };
      this.byOperation.set(key, tally);
    }
    tally.validated += 1;
    if (answer.protocol === "rpc-v2-cbor") tally.rpcV2Cbor += 1;
    for (const mismatch of found) {
      if (mismatch.deliberate) {
        tally.deliberate += 1;
        if (this.keptDeliberate.length < KEPT) this.keptDeliberate.push(mismatch);
      } else {
        tally.mismatches += 1;
        if (this.keptMismatches.length < KEPT) this.keptMismatches.push(mismatch);
      }
    }
    tally.checkMs += performance.now() - started;
  }

  /** The mismatches found so far (the first {@link KEPT}; `counts()` has them all). */
  mismatches(): readonly ModelMismatch[] {
    return this.keptMismatches;
  }

  /** The deviations wire quirks made on purpose (the first {@link KEPT}). */
  deliberate(): readonly ModelMismatch[] {
    return this.keptDeliberate;
  }

  /** Answers checked, mismatches and deliberate deviations, per operation. */
  counts(): OperationTally[] {
    return [...this.byOperation.values()].map(({ rpcV2Cbor, ...tally }) =>
      rpcV2Cbor > 0 ? { ...tally, rpcV2Cbor } : tally,
    );
  }

  /** One ledger entry for the whole sandbox (not one per answer: the bench checks tens of thousands). */
  proofEntry(): ProofEntry {
    return {
      operations: this.counts(),
      mismatches: this.keptMismatches.map(describeMismatch),
      deliberate: this.keptDeliberate.map(describeMismatch),
    };
  }
}

/** Thrown when a sandbox's answers broke the API models. */
export class ApiModelMismatchError extends Error {
  constructor(readonly found: readonly ModelMismatch[]) {
    super(
      `The sandbox answered ${found.length} time(s) unlike the AWS API models:\n  ${found
        .slice(0, 20)
        .map(describeMismatch)
        .join("\n  ")}${found.length > 20 ? `\n  … and ${found.length - 20} more` : ""}`,
    );
    this.name = "ApiModelMismatchError";
  }
}
