/**
 * A principal's calls, checked as they are logged: each call signed with the principal's access key is simulated
 * (permission-check.ts) and recorded in the proof ledger; `settle()` throws naming every call the policies would
 * refuse, and every call a test made to show a refusal that the policies would allow.
 */

import {
  type CheckedCall,
  type PermissionChecker,
  PermissionDeniedError,
  type Verdict,
} from "./permission-check.ts";
import { recordGrants, recordVerdicts } from "./permission-ledger.ts";

/** A logged call, as far as the check reads it (a sandbox CallRecord, or a test endpoint's own record). */
export interface LoggedCall {
  readonly operation: string;
  readonly action: string;
  readonly resource?: string;
  readonly region: string;
  readonly accessKeyId?: string;
}

/** How a guard picks and extends the calls it checks. */
export interface CallGuardOptions {
  /** Only calls signed with this key are the principal's. */
  readonly accessKeyId: string;
  /** The calls AWS makes with the caller's permissions because of a call (e.g. KMS calls for an encrypted topic). */
  readonly implied?: (call: CheckedCall) => readonly CheckedCall[];
  /** Calls a test makes on purpose outside the principal's grants: each must be refused. */
  readonly refusedOnPurpose?: (call: CheckedCall) => boolean;
  /** Request context a call carries besides the principal's, e.g. `aws:ResourceOrgID` of an assumed role. */
  readonly contextOf?: (call: CheckedCall) => Readonly<Record<string, string>> | undefined;
}

/** Calls a test made to show a refusal, which the policies would allow: the policy is broader than it should be. */
export class PermissionTooBroadError extends Error {
  constructor(
    readonly principal: string,
    readonly verdicts: readonly Verdict[],
  ) {
    super(
      `${verdicts.length} call${verdicts.length === 1 ? "" : "s"} the ${principal} must be refused, but would be allowed:\n` +
        verdicts
          .map((v) => `- ${v.call.operation} (${v.call.action} on ${v.call.resource} in ${v.call.region})`)
          .join("\n"),
    );
    this.name = "PermissionTooBroadError";
  }
}

/** Checks one principal's calls. */
export class CallGuard {
  private pending: CheckedCall[] = [];

  constructor(
    private readonly checker: PermissionChecker,
    private readonly options: CallGuardOptions,
  ) {
    recordGrants(checker.principal.name, checker.grants());
  }

  /** Takes note of a logged call; only the principal's own are kept. */
  observe(call: LoggedCall): void {
    if (call.accessKeyId !== this.options.accessKeyId) return;
    const logged: CheckedCall = {
      operation: call.operation,
      action: call.action,
      ...(call.resource !== undefined && { resource: call.resource }),
      region: call.region,
    };
    const context = this.options.contextOf?.(logged);
    const made: CheckedCall = context ? { ...logged, context } : logged;
    this.pending.push(made, ...(this.options.implied?.(made) ?? []));
  }

  /** Simulates every call noted since the last settle, records the verdicts, and throws on a wrong one. */
  async settle(): Promise<void> {
    const calls = this.pending;
    this.pending = [];
    if (calls.length === 0) return;
    const verdicts = await Promise.all(calls.map((call) => this.checker.check(call)));
    const onPurpose = (v: Verdict) => this.options.refusedOnPurpose?.(v.call) === true;
    const name = this.checker.principal.name;
    recordVerdicts(
      name,
      verdicts.filter((v) => !onPurpose(v)),
    );
    recordVerdicts(name, verdicts.filter(onPurpose), "deny");
    const refused = verdicts.filter((v) => !onPurpose(v) && v.decision !== "Allowed");
    if (refused.length > 0) throw new PermissionDeniedError(name, uniqueByCall(refused));
    const allowed = verdicts.filter((v) => onPurpose(v) && v.decision === "Allowed");
    if (allowed.length > 0) throw new PermissionTooBroadError(name, uniqueByCall(allowed));
  }
}

/** One verdict per distinct call, so a refusal repeated on every page is named once. */
function uniqueByCall(verdicts: readonly Verdict[]): Verdict[] {
  const seen = new Map<string, Verdict>();
  for (const verdict of verdicts) {
    const { operation, action, resource, region, via } = verdict.call;
    seen.set(JSON.stringify([operation, action, resource, region, via]), verdict);
  }
  return [...seen.values()];
}
