import type { Node } from "constructs";
import { parseGivenSettings, toRawSetting } from "./stack-settings.ts";
import type { IdleModelStopperStackProps } from "./stopper-stack.ts";

/**
 * Reads the stack's settings from CDK context (`cdk.json` or `-c key=value`) and validates them.
 * Keys that are not set are left out, so the stack's defaults apply.
 * @throws InvalidSettingError naming the context key, the value and what is allowed.
 */
export function propsFromContext(node: Node): IdleModelStopperStackProps {
  return parseGivenSettings(
    (key) => toRawSetting(node.tryGetContext(key)),
    (key) => `context key ${key}`,
  );
}
