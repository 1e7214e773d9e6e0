/** What the infra tests share: building the stack as `cdk synth` does, and reading IAM out of a template. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, type Stack } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import { propsFromContext } from "../../infra/context.ts";
import { IdleModelStopperStack } from "../../infra/stopper-stack.ts";

/** The feature flags `cdk synth` uses, so the tests see the template users deploy. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;

/** Builds the stack as infra/app.ts does, with cdk.json's context plus `context` (like `-c key=value`). */
export function buildStack(context: Record<string, unknown> = {}): IdleModelStopperStack {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  return new IdleModelStopperStack(app, "IdleModelStopper", propsFromContext(app.node));
}

/** The folder of the asset a function of `stack` runs (`handler` picks the function), in the synthesized assembly. */
export function assetDirOf(stack: Stack, template: Template, handler: string = NIGHTLY): string {
  const code = lambdaFunction(template, handler).Properties.Code as { S3Key: string };
  return join((stack.node.root as App).synth().directory, `asset.${code.S3Key.replace(/\.zip$/, "")}`);
}

/** One Allow statement of a policy, with its resources rendered by `render`. */
export interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition: unknown;
}

/** Renders a CloudFormation string, writing `Ref`s as `<AWS::Region>` and `GetAtt`s as `<Id.Attr>`. */
export function render(value: unknown): string {
  if (typeof value === "string") return value;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === "string") return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic["Fn::GetAtt"])) return `<${intrinsic["Fn::GetAtt"].join(".")}>`;
  const join = intrinsic["Fn::Join"] as [string, unknown[]] | undefined;
  if (join) return join[1].map(render).join(join[0]);
  return JSON.stringify(value);
}

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export type RoleRef = { "Fn::GetAtt": [string, "Arn"] };

/** The template's only resource of `type`, failing when there are none or several. */
export function theOnly(
  template: Template,
  type: string,
): { Properties: Record<string, unknown> } & Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  assert.equal(resources.length, 1, `one ${type}`);
  return resources[0] as { Properties: Record<string, unknown> };
}

/** The logical id of the template's only resource of `type`. */
export function theOnlyId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  assert.equal(ids.length, 1, `one ${type}`);
  return ids[0] as string;
}

/** The handlers of the two functions: the nightly run and the follow-up. */
export const NIGHTLY = "index.handler";
export const FOLLOW_UP = "index.followUp";

/** The Lambda function with this handler, failing when there is not exactly one. */
export function lambdaFunction(
  template: Template,
  handler: string = NIGHTLY,
): { Properties: Record<string, unknown> } & Record<string, unknown> {
  const found = Object.values(
    template.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }),
  );
  assert.equal(found.length, 1, `one function with handler ${handler}`);
  return found[0] as { Properties: Record<string, unknown> };
}

/** The logical id of the Lambda function with this handler. */
export function lambdaFunctionId(template: Template, handler: string = NIGHTLY): string {
  const ids = Object.keys(
    template.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }),
  );
  assert.equal(ids.length, 1, `one function with handler ${handler}`);
  return ids[0] as string;
}

/** Every Allow statement in the policies attached to a function's role (the nightly one's by default). */
export function functionStatements(template: Template, handler: string = NIGHTLY): Statement[] {
  const roleId = (lambdaFunction(template, handler).Properties.Role as RoleRef)["Fn::GetAtt"][0];
  const policies = Object.values(
    template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  assert.ok(policies.length > 0, "the function's role has a policy");
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => statement.Effect === "Allow")
    .map((statement) => ({
      actions: asArray(statement.Action),
      resources: asArray(statement.Resource).map(render),
      condition: statement.Condition,
    }));
}

/** The resources of every statement that allows `action`. */
export const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);

export const PROJECTS_IN_OWN_REGION =
  "arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*";
