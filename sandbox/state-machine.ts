/**
 * The organization mode's state machine as the synthesized template declares it (issue 11): its definition with
 * every reference resolved for a deployment, checked with `asl-validator` (the Amazon States Language's schema and
 * rules), and the parts the tests and the permission check read.
 */

import { createRequire } from "node:module";
import type { CfnTemplate, Deployment } from "./cfn-template.ts";
import { TemplateResolver } from "./cfn-template.ts";

/** One state of a definition, as ASL writes it (the fields the tests read). */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ItemSelector?: Record<string, unknown>;
  readonly ItemsPath?: string;
  readonly ResultPath?: string | null;
  readonly MaxConcurrency?: number;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }[];
  readonly Catch?: readonly { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  readonly ItemProcessor?: AslDefinition & { readonly ProcessorConfig?: { readonly Mode?: string } };
  readonly Next?: string;
  readonly End?: boolean;
}

/** A state machine definition. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
}

/** The template's state machine, resolved. */
export interface SynthesizedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The logical id of the role it runs as. */
  readonly roleLogicalId: string;
  readonly definition: AslDefinition;
}

/** What asl-validator says of a definition. */
export interface AslValidation {
  readonly isValid: boolean;
  readonly errors: readonly { readonly "Error code": string; readonly Message: string }[];
}

// asl-validator is CommonJS without types: its one export validates a definition object.
const validate = createRequire(import.meta.url)("asl-validator") as (definition: unknown) => AslValidation;

/** Checks a definition against the Amazon States Language with asl-validator (schema, transitions, paths). */
export function validateAsl(definition: AslDefinition): AslValidation {
  // The validator marks the states it reads (their QueryLanguage): give it a copy.
  return validate(structuredClone(definition));
}

/** Reads and resolves the template's one state machine; throws when there is none or several. */
export function synthesizedStateMachine(
  template: CfnTemplate,
  deployment: Deployment,
): SynthesizedStateMachine {
  const found = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::StepFunctions::StateMachine",
  );
  const [entry] = found;
  if (found.length !== 1 || !entry) throw new Error(`expected one state machine, found ${found.length}`);
  const [logicalId, resource] = entry;
  const resolver = new TemplateResolver(template, deployment);
  const properties = resource.Properties ?? {};
  const name = resolver.resolveString(properties.StateMachineName);
  const role = (properties.RoleArn as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"]?.[0];
  if (!role) throw new Error(`state machine ${logicalId} has no role of the template`);
  const partition = deployment.partition ?? "aws";
  return {
    logicalId,
    name,
    arn: `arn:${partition}:states:${deployment.region}:${deployment.account}:stateMachine:${name}`,
    roleLogicalId: role,
    definition: JSON.parse(resolver.resolveString(properties.DefinitionString)) as AslDefinition,
  };
}
