/**
 * The outputs a deployed stack of the stopper would show, from the synthesized template's `Outputs`, with its
 * references resolved to the sandbox's own table and topic: what `history` and `restart` read through DescribeStacks,
 * and what `npm run invoke` reads to run the bundle against the sandbox.
 */

import type { SynthesizedFunction } from "./bundle.ts";
import { TemplateResolver } from "./cfn-template.ts";
import type { StackOutput } from "./cloudformation-endpoint.ts";

/** Where the stack's resources are in the sandbox. */
export interface SandboxDeployment {
  readonly account: string;
  readonly region: string;
  readonly tableName: string;
  readonly topicArn: string;
}

/** The template's outputs, each resolved as CloudFormation would for a stack deployed into the sandbox. */
export function stackOutputs(fn: SynthesizedFunction, at: SandboxDeployment): StackOutput[] {
  const template = fn.template as SynthesizedFunction["template"] & {
    readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
  };
  const logicalIdsOf = (type: string) =>
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId]) => logicalId);
  const resolver = new TemplateResolver(template, {
    account: at.account,
    region: at.region,
    stackName: fn.stackName,
    physicalNames: Object.fromEntries([
      ...logicalIdsOf("AWS::DynamoDB::Table").map((id) => [id, at.tableName]),
      ...logicalIdsOf("AWS::SNS::Topic").map((id) => [id, at.topicArn.split(":").at(-1) as string]),
      [fn.logicalId, fn.functionName],
    ]),
  });
  return Object.entries(template.Outputs ?? {}).map(([key, output]) => ({
    key,
    value: resolver.resolveString(output.Value),
    ...(output.Description !== undefined && { description: output.Description }),
  }));
}
