/**
 * Warnings before a stop, the pure part: where a model's owner wants them (the tag `<optOutTagKey>:notify`), when a
 * warned model may be stopped, and the words of each verdict and message. The warn phase does the reading and
 * writing.
 */

import { NOTIFY_SUFFIX } from "../../common/settings.ts";
import type { Decision } from "./decide.ts";
import { formatTime } from "./format.ts";
import type { TagSets } from "./tag-policy.ts";
import { tagValue } from "./tag-value.ts";
import type { NotifyTarget, Verdict } from "./types.ts";

const HOUR_MS = 3_600_000;

export { NOTIFY_SUFFIX };

// arn:<partition>:sns:<region>:<account>:<topic name>; a standard topic's name is 1-256 letters, digits, - and _.
const TOPIC_ARN = /^arn:([a-z-]+):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,256})$/;
const MODEL_ARN = /^arn:([a-z-]+):rekognition:[^:]+:(\d{12}):/;

/**
 * The model's own warning topic from its tags (the model's tag wins over its project's), checked: an SNS standard
 * topic ARN of the model's partition and account (or of `account`, the hub's in the organization mode), in one of
 * `regions` (the function may publish only there). Undefined when neither carries the tag.
 */
export function notifyTargetOf(
  tags: TagSets,
  modelArn: string,
  options: { readonly optOutTagKey: string; readonly regions: readonly string[]; readonly account?: string },
): NotifyTarget | undefined {
  const key = `${options.optOutTagKey}${NOTIFY_SUFFIX}`;
  const where =
    tagValue(tags.model, key) !== undefined
      ? "model"
      : tagValue(tags.project, key) !== undefined
        ? "project"
        : undefined;
  if (where === undefined) return undefined;
  const value = tagValue(tags[where], key) as string;
  const source = `tag ${key} on the ${where}`;
  const invalid = (problem: string): NotifyTarget => ({ invalid: value, source, problem });
  const [, partition, modelAccount] = MODEL_ARN.exec(modelArn) ?? [];
  const account = options.account ?? modelAccount;
  const match = TOPIC_ARN.exec(value.trim());
  const [, topicPartition, region = "", topicAccount, name = ""] = match ?? [];
  if (match && name.endsWith(".fifo"))
    return invalid("it names a FIFO topic, which takes only messages with a group id; use a standard topic");
  if (!match || name.includes("."))
    return invalid("it is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic name>)");
  if (topicAccount !== account)
    return invalid(
      options.account === undefined
        ? `the topic belongs to account ${topicAccount}, not to this account ${account}`
        : `the topic belongs to account ${topicAccount}, not to the stopper's account ${account}, the only one ` +
            "whose topics it may publish to",
    );
  if (topicPartition !== partition)
    return invalid(`the topic is in partition ${topicPartition}, not ${partition}`);
  if (!options.regions.includes(region))
    return invalid(
      `the topic is in ${region}, and the function may publish only to topics in the configured regions ` +
        `(${options.regions.join(", ")})`,
    );
  return { topicArn: value.trim(), source };
}

/** The sentence that says a notify tag was not used, for the run's errors. */
export function notifyProblem(target: Extract<NotifyTarget, { invalid: string }>): string {
  return (
    `${target.source}=${target.invalid} was not used: ${target.problem}; ` +
    "the warning went to the stopper's own topic only"
  );
}

/** When a model warned at `warnedAt` (epoch ms: its run's scheduled time, or its clock) may be stopped. */
export const stopNotBeforeOf = (warnedAt: number, warnBeforeStopHours: number): number =>
  warnedAt + warnBeforeStopHours * HOUR_MS;

/** The words of the promise a warning makes. */
export const willBeStopped = (stopNotBefore: number) =>
  `will be stopped at about ${formatTime(stopNotBefore)} unless it is used or tagged`;

/** The verdict of a model warned this run instead of stopped. */
export function warnedVerdict(verdict: Verdict, stopNotBefore: number): Verdict {
  return {
    ...verdict,
    action: "keep",
    reason: `warned: ${willBeStopped(stopNotBefore)}; ${verdict.reason}`,
    cause: "held",
  };
}

/** The verdict of an idle model whose warning is not due yet, or is due but this run only warns. */
export function heldByWarningVerdict(
  verdict: Verdict,
  warning: { readonly warnedAt: string; readonly stopNotBefore: number },
  warnOnly: boolean,
): Verdict {
  const held = warnOnly
    ? `the warning is due, and the next full run stops it unless it is used or tagged`
    : willBeStopped(warning.stopNotBefore);
  return {
    ...verdict,
    action: "keep",
    reason: `warned at ${warning.warnedAt}: ${held}; ${verdict.reason}`,
    cause: "held",
  };
}

/** How to keep a model, in words and as a command, for a digest entry and the model's own message. */
export function howToKeep(decision: Decision, options: { readonly optOutTagKey: string }): string[] {
  const key = options.optOutTagKey;
  return [
    `To keep it running: tag it ${key}=never, or ${key}=<ISO date> to snooze it until then:`,
    `  aws rekognition tag-resource --region ${decision.model.region} --resource-arn ${decision.model.modelArn} --tags ${key}=never`,
  ];
}

/** The command that shows the model's decision and its pending warning. */
export function checkCommand(
  region: string,
  options: { readonly logTableName: string; readonly homeRegion: string },
): string {
  const tableRegion = region === options.homeRegion ? "" : ` --table-region ${options.homeRegion}`;
  return `npx idle-model-stopper scan --region ${region} --table ${options.logTableName}${tableRegion}`;
}

/** The message published to a model's own topic when it is warned. SNS subjects are ASCII, under 100 characters. */
export function warningMessage(
  decision: Decision,
  options: {
    readonly stopNotBefore: number;
    readonly optOutTagKey: string;
    readonly logTableName: string;
    readonly homeRegion: string;
  },
): { readonly subject: string; readonly message: string } {
  const { model, verdict } = decision;
  const name = `${model.projectName}/${model.versionName}`;
  const when = ` to be stopped at about ${formatTime(options.stopNotBefore)}`;
  // The name gives way first: a subject is under 100 characters, and the time is what it is for.
  const subject = `idle-model-stopper: ${name.slice(0, 99 - 20 - when.length)}${when}`.replace(
    /[^\x20-\x7e]/g,
    "?",
  );
  const cost = verdict.facts.estimatedHourlyCostUsd;
  const message = [
    `The Rekognition Custom Labels model ${name} (${model.region}) ${willBeStopped(options.stopNotBefore)}.`,
    "",
    `Why: ${verdict.reason}`,
    ...(cost === undefined ? [] : [`It costs about $${cost.toFixed(2)} an hour while it runs.`]),
    `Model: ${model.modelArn}`,
    "",
    "Any request to the model before then keeps it running.",
    ...howToKeep(decision, options),
    `To check it: ${checkCommand(model.region, options)}`,
    "",
    "You get this message because the model or its project names this topic in its tag " +
      `${options.optOutTagKey}${NOTIFY_SUFFIX}.`,
  ].join("\n");
  return { subject, message };
}
