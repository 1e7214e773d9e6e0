import type { Node } from "constructs";
import { InvalidSettingError } from "../common/settings.ts";
import { parseGivenSettings, STACK_SETTING_KEYS, toRawSetting } from "./stack-settings.ts";
import type { IdleModelStopperStackProps } from "./stopper-stack.ts";

// Our keys are camelCase words; CDK's own keys carry ":", "/", "@" or "-", so they never match.
const LOOKS_LIKE_OURS = /^[a-z][a-zA-Z0-9]*$/;

// The function's variables (DRY_RUN) are upper snake case; no CDK key is.
const LOOKS_LIKE_A_VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/** A key's letters and digits, lower case: `DRY_RUN`, `dry-run` and `DryRun` all read `dryrun`, as `dryRun` does. */
const spelling = (key: string) => key.replace(/[^A-Za-z0-9]/g, "").toLowerCase();

/**
 * Reads the stack's settings from CDK context (`cdk.json` or `-c key=value`) and validates them.
 * Keys that are not set are left out, so the stack's defaults apply. A camelCase or upper snake case key that is not
 * a setting (a typo such as `idleMinute`), or a setting spelled another way (`DRY_RUN`, `dry-run`), is an error
 * rather than silently ignored.
 * @throws InvalidSettingError naming the context key, the value and what is allowed.
 */
export function propsFromContext(node: Node): IdleModelStopperStackProps {
  const known = new Set<string>(STACK_SETTING_KEYS);
  const bySpelling = new Map(STACK_SETTING_KEYS.map((key) => [spelling(key), key]));
  for (const key of Object.keys(node.getAllContext())) {
    if (known.has(key)) continue;
    // A setting spelled another way (DRY_RUN, dry-run) would be ignored, and the stack deployed without it.
    const meant = bySpelling.get(spelling(key));
    if (meant !== undefined) {
      throw new InvalidSettingError(
        "context key name",
        key,
        `${meant}, as written (context keys are the settings' camelCase names, not the function's variables)`,
      );
    }
    if (LOOKS_LIKE_OURS.test(key) || LOOKS_LIKE_A_VARIABLE.test(key)) {
      throw new InvalidSettingError("context key name", key, `one of ${[...known].join(", ")}`);
    }
  }
  return parseGivenSettings(
    (key) => toRawSetting(node.tryGetContext(key)),
    (key) => `context key ${key}`,
  );
}
