/**
 * `npm run spoke-template`: writes the spoke role as a plain CloudFormation template with parameters,
 * dist/spoke-role.template.json, for a service-managed StackSet (README, "Many accounts"). The template is synthesized
 * from `SpokeRoleStack` (infra/spoke-role.ts), the same construct the tests check.
 *
 *   npx tsx scripts/spoke-template.ts [--out <file>]
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { App } from "aws-cdk-lib";
import { SpokeRoleStack } from "../infra/spoke-role.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The spoke role's template, as JSON. */
export function spokeTemplate(): Record<string, unknown> {
  const app = new App({ analyticsReporting: false });
  const stack = new SpokeRoleStack(app, "IdleModelStopperSpoke");
  return app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = resolve(values.out ?? join(ROOT, "dist", "spoke-role.template.json"));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(spokeTemplate(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
