/**
 * The organization mode's services in the sandbox (issue 11), written here rather than run from moto (see
 * sandbox/README.md, "Many accounts"):
 * - STS AssumeRole (awsQuery, XML answers): a member account's spoke role, answered with credentials whose access
 *   key the other endpoints map to that account, so each account is a world of its own;
 * - Organizations ListAccountsForParent and ListChildren (AWS JSON 1.1), paged;
 * - Step Functions ListExecutions (AWS JSON 1.0), over the executions a test registers.
 */

import { randomUUID } from "node:crypto";
import http from "node:http";
import type { WireAnswer } from "./api-model-check.ts";
import { AwsServiceError } from "./aws-error.ts";
import type { AnsweredCall } from "./call-log.ts";
import {
  createJsonEndpoint,
  type EndpointRuntime,
  readBody,
  regionFromAuthorization,
  signerOf,
  type WireResponse,
} from "./http-endpoint.ts";
import { decodePageToken, encodePageToken } from "./paging.ts";
import { errorResponseXml, escapeXml, QueryProtocolError, sendXml } from "./query-protocol.ts";

/** A member account of the sandbox's organization. */
export interface MemberAccountSpec {
  readonly id: string;
  /** The parent: an OU id, or the root id. @default the root */
  readonly parent?: string;
  /** @default "ACTIVE" */
  readonly status?: "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE";
  /** The spoke role deployed there, by name; without one, AssumeRole is refused as AWS refuses a missing role. */
  readonly spokeRole?: string;
  /** Other roles a caller may assume there (an operator's, for the CLI); their sessions act in the account too. */
  readonly roles?: readonly string[];
  /** Regions the account has not enabled: every Rekognition and CloudWatch call there fails. */
  readonly disabledRegions?: readonly string[];
}

/** The sandbox's organization. */
export interface OrganizationSpec {
  /** `o-…` */
  readonly id: string;
  /** `r-…` */
  readonly rootId: string;
  readonly ous?: readonly { readonly id: string; readonly parent: string }[];
  readonly accounts: readonly MemberAccountSpec[];
  /** Results a page of ListAccountsForParent and ListChildren, to exercise paging. @default 20 (the most AWS gives) */
  readonly pageSize?: number;
}

/** An execution a test registers, for ListExecutions. */
export interface RegisteredExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly startDate: number;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
}

/** The access key of a spoke role's session in a member account. */
export const spokeAccessKeyOf = (account: string): string => `ASIASPOKE${account}`;

/** The access key of a session of another role of a member account (`roles`). */
export const otherRoleAccessKeyOf = (account: string): string => `ASIAOTHER${account}`;

const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

// arn:<partition>:iam::<account>:role/<path/><name>
const ROLE_ARN = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/**
 * Creates the STS endpoint: AssumeRole of a member account's spoke role. The caller's own identity is the sandbox's
 * account (the hub). The trust policy's conditions are not evaluated here: the permission check simulates them.
 */
export function createStsEndpoint(
  organization: OrganizationSpec,
  context: {
    readonly record: (call: AnsweredCall) => void;
    readonly defaultRegion: string;
    readonly clock: () => number;
    readonly checkAnswer?: (answer: WireAnswer) => void;
  },
): http.Server {
  return http.createServer(async (request, response) => {
    const receivedAt = Date.now();
    const started = performance.now();
    const region = regionFromAuthorization(request.headers.authorization) ?? context.defaultRegion;
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const operation = form.get("Action") ?? "";
    const requestId = randomUUID();
    const roleArn = form.get("RoleArn") ?? "";
    let statusCode = 200;
    let body: string;
    let failure: { code: string; message: string } | undefined;
    try {
      if (operation !== "AssumeRole")
        throw new AwsServiceError(
          "InvalidAction",
          `Could not find operation ${operation} for version 2011-06-15`,
        );
      const sessionName = form.get("RoleSessionName") ?? "";
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
        throw new AwsServiceError(
          "ValidationError",
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        );
      const match = ROLE_ARN.exec(roleArn);
      const account = match && organization.accounts.find((candidate) => candidate.id === match[1]);
      // AWS says the same whether the role is missing or its trust policy does not let the caller in.
      const roleName = match?.[2] ?? "";
      const isSpoke = account?.spokeRole === roleName;
      if (!match || !account || !(isSpoke || account.roles?.includes(roleName)))
        throw new AwsServiceError(
          "AccessDenied",
          `User: arn:aws:sts::hub:assumed-role/caller is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      const expiration = new Date(context.clock() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      body =
        `<AssumeRoleResponse xmlns="${STS_XMLNS}"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${isSpoke ? spokeAccessKeyOf(account.id) : otherRoleAccessKeyOf(account.id)}</AccessKeyId>` +
        "<SecretAccessKey>sandbox-spoke-secret-access-key</SecretAccessKey>" +
        `<SessionToken>sandbox-spoke-session-${randomUUID()}</SessionToken>` +
        `<Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROASANDBOXSPOKEROLE:${escapeXml(sessionName)}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${account.id}:assumed-role/${escapeXml(match[2] ?? "")}/${escapeXml(sessionName)}</Arn>` +
        "</AssumedRoleUser></AssumeRoleResult>" +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
    } catch (error) {
      const known =
        error instanceof AwsServiceError ? error : new AwsServiceError("InternalFailure", String(error), 500);
      statusCode = known.statusCode;
      failure = { code: known.code, message: known.message };
      body = errorResponseXml(
        STS_XMLNS,
        new QueryProtocolError(known.code, known.message, statusCode),
        requestId,
      );
    }
    const headers = sendXml(request, response, statusCode, body, requestId);
    context.checkAnswer?.({
      service: "sts",
      operation,
      input: Object.fromEntries(
        [...form].filter(([key]) => !key.includes(".") && key !== "Action" && key !== "Version"),
      ),
      statusCode,
      headers,
      body,
    });
    context.record({
      service: "sts",
      operation,
      region,
      ...signerOf(request),
      input: { RoleArn: roleArn, RoleSessionName: form.get("RoleSessionName") },
      outcome: failure?.code ?? "ok",
      ...(failure && { message: failure.message }),
      statusCode,
      addedLatencyMs: 0,
      receivedAt,
      durationMs: performance.now() - started,
    });
  });
}

/** Creates the Organizations endpoint: the accounts and OUs under a parent, a page at a time. */
export function createOrganizationsEndpoint(
  organization: OrganizationSpec,
  managementAccount: string,
  runtime: EndpointRuntime,
): http.Server {
  const pageSize = organization.pageSize ?? 20;
  const parents = new Map<string, string>([[organization.rootId, "root"]]);
  for (const ou of organization.ous ?? []) parents.set(ou.id, "ou");
  const arnOf = (parentId: string) =>
    `arn:aws:organizations::${managementAccount}:${parents.get(parentId) ?? "ou"}/${organization.id}/${parentId}`;
  const page = <T>(operation: string, input: Record<string, unknown>, all: readonly T[]) => {
    const parentId = String(input.ParentId ?? "");
    if (!parents.has(parentId))
      throw new AwsServiceError(
        "ParentNotFoundException",
        "We can't find a root or OU with the ParentId that you specified.",
      );
    const size = typeof input.MaxResults === "number" ? Math.min(input.MaxResults, pageSize) : pageSize;
    const fingerprint = `${operation}/${parentId}`;
    let start = 0;
    if (typeof input.NextToken === "string") {
      const offset = decodePageToken(input.NextToken, fingerprint);
      if (offset === undefined)
        throw new AwsServiceError("InvalidInputException", "You provided an invalid NextToken.");
      start = offset;
    }
    const items = all.slice(start, start + size);
    const next = start + size < all.length ? encodePageToken(start + size, fingerprint) : undefined;
    return { items, next };
  };
  return createJsonEndpoint(
    {
      service: "organizations",
      targetPrefix: "AWSOrganizationsV20161128",
      contentType: "application/x-amz-json-1.1",
      operations: {
        ListAccountsForParent: (input) => {
          const parentId = String(input.ParentId ?? "");
          const inParent = organization.accounts.filter(
            (a) => (a.parent ?? organization.rootId) === parentId,
          );
          const { items, next } = page("ListAccountsForParent", input, inParent);
          return {
            Accounts: items.map((account) => ({
              Id: account.id,
              Arn: `arn:aws:organizations::${managementAccount}:account/${organization.id}/${account.id}`,
              Email: `aws+${account.id}@example.com`,
              Name: `account-${account.id}`,
              Status: account.status ?? "ACTIVE",
              State: account.status ?? "ACTIVE",
              JoinedMethod: "CREATED",
              JoinedTimestamp: 1_700_000_000,
            })),
            ...(next && { NextToken: next }),
          };
        },
        ListChildren: (input) => {
          const parentId = String(input.ParentId ?? "");
          const type = String(input.ChildType ?? "");
          const children =
            type === "ORGANIZATIONAL_UNIT"
              ? (organization.ous ?? []).filter((ou) => ou.parent === parentId).map((ou) => ou.id)
              : organization.accounts
                  .filter((a) => (a.parent ?? organization.rootId) === parentId)
                  .map((a) => a.id);
          const { items, next } = page(`ListChildren/${type}`, input, children);
          return { Children: items.map((Id) => ({ Id, Type: type })), ...(next && { NextToken: next }) };
        },
      },
      errorResponse: jsonError,
      injectedError: (_kind, code) => new AwsServiceError(code, "injected", 500),
      keyInput: (_operation, input) => ({
        ParentId: input.ParentId,
        ...(input.ChildType !== undefined && { ChildType: input.ChildType }),
        ...(input.NextToken !== undefined && { NextToken: input.NextToken }),
        parentArn: typeof input.ParentId === "string" ? arnOf(input.ParentId) : undefined,
      }),
      validationError: (message) => new AwsServiceError("InvalidInputException", message),
    },
    runtime,
  );
}

/** Creates the Step Functions endpoint: ListExecutions over the executions a test registers. */
export function createStepFunctionsEndpoint(
  executions: readonly RegisteredExecution[],
  runtime: EndpointRuntime,
): http.Server {
  return createJsonEndpoint(
    {
      service: "states",
      targetPrefix: "AWSStepFunctions",
      contentType: "application/x-amz-json-1.0",
      operations: {
        ListExecutions: (input) => {
          const arn = String(input.stateMachineArn ?? "");
          const status = input.statusFilter;
          const found = executions
            .filter((e) => e.stateMachineArn === arn && (status === undefined || e.status === status))
            .sort((a, b) => b.startDate - a.startDate);
          return {
            executions: found.map((e) => ({
              executionArn: e.executionArn,
              stateMachineArn: e.stateMachineArn,
              name: e.name,
              status: e.status,
              startDate: e.startDate / 1000,
            })),
          };
        },
      },
      errorResponse: jsonError,
      injectedError: (_kind, code) => new AwsServiceError(code, "injected", 500),
      keyInput: (_operation, input) => ({
        stateMachineArn: input.stateMachineArn,
        ...(input.statusFilter !== undefined && { statusFilter: input.statusFilter }),
      }),
      validationError: (message) => new AwsServiceError("ValidationException", message),
    },
    runtime,
  );
}

function jsonError(error: AwsServiceError): WireResponse {
  return {
    statusCode: error.statusCode,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": error.code },
    body: JSON.stringify({ __type: error.code, Message: error.message }),
  };
}
