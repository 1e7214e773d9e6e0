/**
 * The Lambda's configuration: the environment turned into one frozen object at cold start. A bad value throws
 * here, naming the variable, the value and what is allowed, so a misconfigured function never starts a run.
 */

import {
  InvalidSettingError,
  REGION_PATTERN,
  type StopperSettings,
  settingsFromEnv,
} from "../common/settings.ts";

/** Everything a run needs to know, read once. */
export interface StopperConfig extends StopperSettings {
  /** The DynamoDB table that records every stop. */
  readonly logTableName: string;
  /** Regions to scan, never empty: REGIONS, or the function's own region. */
  readonly regions: readonly string[];
  /** The function's own region, where the log table lives. */
  readonly homeRegion: string;
  /** The SNS topic for the run's digest; no digest is sent without one. */
  readonly notificationTopicArn?: string;
  /**
   * Where a notify tag's topic may be when that is not the model's own account in `regions`: in the organization
   * mode, the hub's account in every configured region, whose topics the function's own role may publish to (a
   * spoke role has no SNS permission).
   */
  readonly warningTopics?: { readonly account: string; readonly regions: readonly string[] };
}

// arn:<partition>:sns:<region>:<account>:<topic name>
const TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** DynamoDB table names: 3-255 characters of letters, digits, _ . - */
export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;

/** Parses the environment; throws {@link InvalidSettingError} on the first bad or missing value. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): StopperConfig {
  const settings = settingsFromEnv(env);
  const logTableName = env.LOG_TABLE_NAME ?? "";
  if (!TABLE_NAME_PATTERN.test(logTableName)) {
    throw new InvalidSettingError(
      "LOG_TABLE_NAME",
      env.LOG_TABLE_NAME ?? null,
      "a DynamoDB table name (required)",
    );
  }
  const homeRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "";
  if (!REGION_PATTERN.test(homeRegion)) {
    throw new InvalidSettingError(
      "AWS_REGION",
      env.AWS_REGION ?? null,
      "a region code such as us-east-1 (Lambda sets it)",
    );
  }
  const topic = env.NOTIFICATION_TOPIC_ARN || undefined;
  if (topic !== undefined && !TOPIC_ARN_PATTERN.test(topic)) {
    throw new InvalidSettingError(
      "NOTIFICATION_TOPIC_ARN",
      topic,
      "an SNS topic ARN, or nothing for no digest",
    );
  }
  const regions = settings.regions.length > 0 ? settings.regions : [homeRegion];
  return Object.freeze({
    ...settings,
    regions: Object.freeze([...regions]),
    logTableName,
    homeRegion,
    ...(topic !== undefined && { notificationTopicArn: topic }),
  });
}
