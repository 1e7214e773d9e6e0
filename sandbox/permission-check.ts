/**
 * The permission check: each AWS call a principal made, simulated against its deployed policies with
 * `@cloud-copilot/iam-simulate` (identity policies, the resource's own policy, KMS key-policy rules, conditions),
 * and the grants each allowed call used, so least privilege can be judged both ways: no call denied, no grant unused.
 *
 * iam-simulate is AGPL-3.0-or-later: a devDependency used by the tests only, never bundled or shipped.
 */

import { runSimulation } from "@cloud-copilot/iam-simulate";
import { renderTemplateValue } from "./cfn-template.ts";
import type { NamedPolicy, PolicyDocument, PolicyStatement } from "./template-policies.ts";

/** Who makes the calls, and the policies that decide them. */
export interface SimulatedPrincipal {
  /** How reports name it, e.g. `function role` or `CLI policy`. */
  readonly name: string;
  /** What the simulator sees as the caller: a role session, a user, or a service principal such as `cloudwatch.amazonaws.com`. */
  readonly arn: string;
  /** The account it acts in, which owns a resource of `*`. */
  readonly account: string;
  readonly policies: readonly NamedPolicy[];
  /** Request context every call of this principal carries (`aws:PrincipalArn`, `lambda:SourceFunctionArn`…). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * A session of a role in `account`, as the simulator sees its caller: the session's ARN, the role's policies, and the
 * role, account and principal type in every call's request context, with `context` added.
 */
export function roleSession(
  name: string,
  account: string,
  role: { readonly name: string; readonly arn: string; readonly policies: readonly NamedPolicy[] },
  sessionName: string,
  context: Readonly<Record<string, string | readonly string[]>> = {},
): SimulatedPrincipal {
  return {
    name,
    arn: `arn:aws:sts::${account}:assumed-role/${role.name}/${sessionName}`,
    account,
    policies: role.policies,
    context: {
      "aws:PrincipalArn": role.arn,
      "aws:PrincipalAccount": account,
      "aws:PrincipalType": "AssumedRole",
      ...context,
    },
  };
}

/** A call to check. */
export interface CheckedCall {
  /** The API operation, e.g. `StopProjectVersion`. */
  readonly operation: string;
  /** The IAM action, e.g. `rekognition:StopProjectVersion`. */
  readonly action: string;
  /** The resource ARN, or `*`; a call without one cannot be simulated and fails the check. */
  readonly resource?: string;
  readonly region: string;
  /** Set for a call AWS makes on the caller's behalf, e.g. `SNS Publish` for the KMS calls of an encrypted topic. */
  readonly via?: string;
  /** Request context of this call only, on top of the principal's. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The simulator's answer, or `NotSimulated` when the call could not be put to it. */
export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "NotSimulated";

/** One grant: an action (as written, wildcards kept) on a resource (as written, references unresolved). */
export interface Grant {
  readonly action: string;
  readonly resource: string;
}

/** What the check found for one call. */
export interface Verdict {
  readonly call: CheckedCall;
  readonly decision: Decision;
  /** The grants that allowed it, as `action on resource`. */
  readonly grants: readonly string[];
  /** Why it was denied or could not be simulated. */
  readonly detail?: string;
}

/** A grant as the report and the deliberate-grants list write it. */
export const grantLabel = (grant: Grant): string => `${grant.action} on ${grant.resource}`;

/** A call in a sentence: `StopProjectVersion (rekognition:StopProjectVersion on arn:… in us-east-1)`. */
export function describeCall(call: CheckedCall): string {
  const via = call.via ? `, made by ${call.via}` : "";
  return `${call.operation} (${call.action} on ${call.resource ?? "no resource"} in ${call.region}${via})`;
}

/** Calls a principal's policies would not allow. */
export class PermissionDeniedError extends Error {
  constructor(
    readonly principal: string,
    readonly verdicts: readonly Verdict[],
  ) {
    super(
      `${verdicts.length} call${verdicts.length === 1 ? "" : "s"} the ${principal} would not be allowed to make:\n` +
        verdicts
          .map((v) => `- ${describeCall(v.call)}: ${v.decision}${v.detail ? ` (${v.detail})` : ""}`)
          .join("\n"),
    );
    this.name = "PermissionDeniedError";
  }
}

const statementsOf = (document: PolicyDocument): readonly PolicyStatement[] =>
  Array.isArray(document.Statement) ? document.Statement : [document.Statement as PolicyStatement];

const listOf = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value as T];

const accountOf = (arn: string, fallback: string) =>
  /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? fallback;

interface StatementExplain {
  readonly identifier: string;
  readonly actions?: { action: string; matches: boolean } | { action: string; matches: boolean }[];
  readonly resources?: { resource: string; matches: boolean } | { resource: string; matches: boolean }[];
}

/** Simulates one principal's calls; answers for the same action, resource and region are computed once. */
export class PermissionChecker {
  private readonly verdicts = new Map<string, Promise<Omit<Verdict, "call">>>();

  constructor(
    readonly principal: SimulatedPrincipal,
    /** Resource policies by the ARN they protect (a topic's, a key's). */
    private readonly resourcePolicies: ReadonlyMap<string, PolicyDocument> = new Map(),
  ) {}

  /** Every grant of the principal's Allow statements, each action × resource as written. */
  grants(): Grant[] {
    const seen = new Map<string, Grant>();
    for (const policy of this.principal.policies) {
      for (const statement of statementsOf(policy.source)) {
        if (statement.Effect !== "Allow") continue;
        if (statement.NotAction !== undefined || statement.NotResource !== undefined)
          throw new Error(
            `policy ${policy.name} has a NotAction or NotResource statement, whose grants cannot be listed`,
          );
        for (const action of listOf(statement.Action as string | string[]))
          for (const resource of listOf(statement.Resource)) {
            const grant = { action: String(action), resource: renderResource(resource) };
            seen.set(grantLabel(grant), grant);
          }
      }
    }
    return [...seen.values()];
  }

  /** The verdict on one call. */
  async check(call: CheckedCall): Promise<Verdict> {
    const key = JSON.stringify([call.action, call.resource, call.region, call.context ?? {}]);
    let pending = this.verdicts.get(key);
    if (!pending) {
      pending = this.simulate(call);
      this.verdicts.set(key, pending);
    }
    return { call, ...(await pending) };
  }

  private async simulate(call: CheckedCall): Promise<Omit<Verdict, "call">> {
    if (call.resource === undefined)
      return { decision: "NotSimulated", grants: [], detail: "the request names no resource" };
    const resourcePolicy = this.resourcePolicies.get(call.resource);
    const result = await runSimulation(
      {
        request: {
          principal: this.principal.arn,
          action: call.action,
          resource: { resource: call.resource, accountId: accountOf(call.resource, this.principal.account) },
          contextVariables: {
            "aws:RequestedRegion": call.region,
            // The SDK reaches AWS over HTTPS; the sandbox's plain HTTP on loopback stands in for it.
            "aws:SecureTransport": "true",
            ...this.principal.context,
            ...call.context,
          } as Record<string, string | string[]>,
        },
        identityPolicies: this.principal.policies.map((p) => ({ name: p.name, policy: p.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy && { resourcePolicy }),
      },
      {},
    );
    if (result.resultType === "error")
      return {
        decision: "NotSimulated",
        grants: [],
        detail: `the simulator refused it: ${result.errors.message}`,
      };
    // `*` for an action whose only resource types are optional (GetMetricData's `dataset`, which the stopper's
    // queries do not use) is simulated as a pattern; any other wildcard means the call was logged wrongly.
    if (result.resultType === "wildcard" && call.resource !== "*")
      return { decision: "NotSimulated", grants: [], detail: "the resource holds a wildcard" };
    const analyses =
      result.resultType === "single" ? [result.result.analysis] : result.results.map((r) => r.analysis);
    const decision = result.overallResult;
    if (decision !== "Allowed")
      return {
        decision,
        grants: [],
        detail: analyses.map(whyRefused).join("; ") || "no identity-policy statement allows it",
      };
    return {
      decision,
      grants: [
        ...new Set(analyses.flatMap((a) => this.usedGrants(a.identityAnalysis?.allowStatements ?? []))),
      ],
    };
  }

  /** The grants (action pattern × resource, as written) of the Allow statements that matched. */
  private usedGrants(allowStatements: readonly { policyId: string; explain: unknown }[]): string[] {
    const used = new Set<string>();
    for (const { policyId, explain } of allowStatements) {
      const policy = this.principal.policies.find((p) => p.name === policyId);
      if (!policy) continue;
      const { identifier, actions, resources } = explain as StatementExplain;
      const statements = statementsOf(policy.source);
      const index = statements.findIndex((s, i) => (s.Sid ?? String(i + 1)) === identifier);
      const statement = statements[index];
      if (!statement) continue;
      const writtenActions = listOf(statement.Action as string | string[]);
      const writtenResources = listOf(statement.Resource);
      const actionMatches = listOf(actions).map((a) => a.matches);
      const resourceMatches = listOf(resources).map((r) => r.matches);
      writtenActions.forEach((action, a) => {
        if (!actionMatches[a]) return;
        writtenResources.forEach((resource, r) => {
          if (resourceMatches[r])
            used.add(grantLabel({ action: String(action), resource: renderResource(resource) }));
        });
      });
    }
    return [...used];
  }
}

/** Why the simulator refused a call, in words: which policy denied it, or that none allowed it. */
function whyRefused(analysis: {
  identityAnalysis?: { result: string; denyStatements: readonly { explain: unknown }[] };
  resourceAnalysis?: { result: string; denyStatements: readonly { explain: unknown }[] };
}): string {
  const sids = (statements: readonly { explain: unknown }[] = []) =>
    statements.map((s) => (s.explain as StatementExplain).identifier).join(", ");
  const reasons: string[] = [];
  const identity = analysis.identityAnalysis;
  if (identity?.result === "ExplicitlyDenied")
    reasons.push(`denied by identity statement ${sids(identity.denyStatements)}`);
  else if (identity?.result !== "Allowed") reasons.push("no identity-policy statement allows it");
  const resource = analysis.resourceAnalysis;
  if (resource?.result === "ExplicitlyDenied")
    reasons.push(`denied by resource-policy statement ${sids(resource.denyStatements)}`);
  else if (resource?.result === "ImplicitlyDenied" || resource?.result === "DeniedForAccount")
    reasons.push("the resource policy does not allow it");
  return reasons.join(", ");
}

/** A resource as written: a template reference shown as `${Logical.Attr}`, a string as is. */
function renderResource(resource: unknown): string {
  return typeof resource === "string" ? resource : renderTemplateValue(resource);
}
