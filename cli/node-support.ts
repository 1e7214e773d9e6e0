/**
 * Which Node.js the package and its tools support, and the one line they print on another. Node.js 22 is what the
 * function runs on in Lambda (nodejs22.x) and what the AWS SDK requires for its releases after the first week of
 * January 2027; Node.js 20 reached its end of life in April 2026. `engines` in package.json says the same.
 */

/** The oldest supported Node.js major. */
export const SUPPORTED_NODE_MAJOR = 22;

/** The AWS SDK's documented switch for its NodeVersionSupportWarning (@aws-sdk/core emitWarningIfUnsupportedVersion). */
export const SDK_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** The major of a `process.version` string such as `v20.20.2`. */
export const nodeMajor = (version: string): number => Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);

/** The line to print on an unsupported Node.js, or undefined on a supported one. */
export function unsupportedNodeNotice(version: string, tool: string): string | undefined {
  if (nodeMajor(version) >= SUPPORTED_NODE_MAJOR) return undefined;
  return `${tool}: Node.js ${version} is not supported; use Node.js ${SUPPORTED_NODE_MAJOR} or later (what Lambda runs the function on).`;
}

/**
 * On an unsupported Node.js, turns off the AWS SDK's own multi-line warning in `env` (the SDK reads it when a
 * client is built, and a child process inherits it) and returns the one line to print instead; on a supported
 * one, changes nothing and returns undefined, so a warning the SDK prints there still shows.
 */
export function quietUnsupportedNode(
  env: Record<string, string | undefined>,
  version: string,
  tool: string,
): string | undefined {
  const notice = unsupportedNodeNotice(version, tool);
  if (notice !== undefined) env[SDK_WARNING_SWITCH] = "true";
  return notice;
}
