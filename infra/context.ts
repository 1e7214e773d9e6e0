import type { Node } from "constructs";
import { InvalidSettingError } from "../common/settings.ts";
import { parseGivenSettings, STACK_SETTING_KEYS, toRawSetting } from "./stack-settings.ts";
import type { IdleModelStopperStackProps } from "./stopper-stack.ts";

// Our keys are camelCase words; CDK's own keys carry ":", "/", "@" or "-", so they never match.
const LOOKS_LIKE_OURS = /^[a-z][a-zA-Z0-9]*$/;

/**
 * Reads the stack's settings from CDK context (`cdk.json` or `-c key=value`) and validates them.
 * Keys that are not set are left out, so the stack's defaults apply. A camelCase key that is not a setting
 * (a typo such as `idleMinute`) is an error rather than silently ignored.
 * @throws InvalidSettingError naming the context key, the value and what is allowed.
 */
export function propsFromContext(node: Node): IdleModelStopperStackProps {
  const known = new Set<string>(STACK_SETTING_KEYS);
  for (const key of Object.keys(node.getAllContext())) {
    if (LOOKS_LIKE_OURS.test(key) && !known.has(key)) {
      throw new InvalidSettingError("context key name", key, `one of ${[...known].join(", ")}`);
    }
  }
  return parseGivenSettings(
    (key) => toRawSetting(node.tryGetContext(key)),
    (key) => `context key ${key}`,
  );
}
