/**
 * The one message a run sends: what it stopped, with each reason and hourly cost, the models it warned, and what
 * went wrong. A run that stopped, warned and hit nothing sends nothing: people want a digest, not a mail per model or
 * per night.
 */

import { startedByHandText } from "./follow-up.ts";
import { formatHourlyCost, formatTime } from "./format.ts";
import type { StopRecord } from "./stop-record.ts";
import type { RunningModel, Verdict } from "./types.ts";
import { checkCommand, howToKeep, willBeStopped } from "./warning.ts";

/** The stop record a follow-up line is about. */
type FollowedRecord = Pick<
  StopRecord,
  "modelArn" | "projectName" | "versionName" | "region" | "stoppedAt" | "completedAt" | "reason"
>;

/** A stop the stopper undid. */
export interface DigestRestart {
  readonly record: FollowedRecord;
  readonly by: "regret" | "schedule";
  readonly reason: string;
  readonly hourlyCostUsd: number;
}

/** A stop someone undid by hand within a day. */
export interface DigestStartedByHand {
  readonly record: FollowedRecord;
  /** When the stopper saw the model running, epoch ms. */
  readonly seenAt: number;
}

/** What the digest is built from. */
export interface DigestInput {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly now: number;
  readonly regions: readonly string[];
  readonly scanned: number;
  readonly kept: number;
  readonly stopped: readonly { readonly model: RunningModel; readonly verdict: Verdict }[];
  readonly errors: readonly { readonly arn?: string; readonly message: string }[];
  readonly unfinished: readonly { readonly arn?: string; readonly reason: string }[];
  readonly logTableName: string;
  /** A warning pass (assess and warn, never stop) rather than a full run. @default false */
  readonly warnOnly?: boolean;
  /** Models warned this run: each will be stopped at about `stopNotBefore` unless it is used or tagged. */
  readonly warned?: readonly {
    readonly model: RunningModel;
    readonly verdict: Verdict;
    /** Epoch ms. */
    readonly stopNotBefore: number;
    readonly notifiedTopicArn?: string;
  }[];
  /** The opt-out tag key, for the warnings' "how to keep it". @default "auto-stop" */
  readonly optOutTagKey?: string;
  /** The region of the log table, for the warnings' check command. @default the first region */
  readonly homeRegion?: string;
  // ---- Follow-ups (issue 12)
  /** The nightly run (the default), or the follow-up function, whose `scanned` counts the stops it followed up. */
  readonly mode?: "run" | "follow-up";
  /** Stops the stopper undid: regretted ones come first in the message, restarts by rule after the stops. */
  readonly restarted?: readonly DigestRestart[];
  /** Stops someone undid by hand within a day. */
  readonly startedByHand?: readonly DigestStartedByHand[];
}

/** A message ready to publish. SNS subjects are ASCII, one line, under 100 characters. */
export interface Digest {
  readonly subject: string;
  readonly message: string;
}

/** SNS refuses a message of more than 256 KiB: 262,144 bytes of UTF-8, not characters. */
export const MAX_MESSAGE_BYTES = 262_144;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** A part of the message: a title line, one entry per item (an entry may span lines), and a line for the rest. */
export interface Section {
  readonly title: string;
  readonly entries: readonly string[];
  readonly more: (count: number) => string;
}

/**
 * The sections' lines, each followed by a blank line, within `budget` bytes (counting the line breaks between
 * them). Entries are listed in order while they fit, earlier sections first; a section whose entries do not all fit
 * ends with its `more` line, whose room is kept from the start.
 */
export function fitSections(sections: readonly Section[], budget: number): string[] {
  // Room for every title, every `more` line (with the largest count it could show) and the blank lines.
  let left =
    budget -
    sections.reduce(
      (sum, section) => sum + bytes(section.title) + bytes(section.more(section.entries.length)) + 3,
      0,
    );
  const lines: string[] = [];
  for (const section of sections) {
    lines.push(section.title);
    let listed = 0;
    for (const entry of section.entries) {
      const cost = bytes(entry) + 1;
      if (cost > left) break;
      lines.push(entry);
      left -= cost;
      listed += 1;
    }
    if (listed < section.entries.length) lines.push(section.more(section.entries.length - listed));
    lines.push("");
  }
  return lines;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** Builds the digest, or returns undefined when there is nothing worth telling. */
export function buildDigest(input: DigestInput): Digest | undefined {
  const { stopped, errors, unfinished } = input;
  const followUp = input.mode === "follow-up";
  const regretted = (input.restarted ?? []).filter((restart) => restart.by === "regret");
  const scheduled = (input.restarted ?? []).filter((restart) => restart.by === "schedule");
  const byHand = input.startedByHand ?? [];
  const warned = input.warned ?? [];
  if (
    stopped.length === 0 &&
    errors.length === 0 &&
    warned.length === 0 &&
    regretted.length + scheduled.length + byHand.length === 0
  )
    return undefined;
  const hourly = stopped.reduce((sum, s) => sum + (s.verdict.facts.estimatedHourlyCostUsd ?? 0), 0);
  const verb = input.dryRun ? "would stop" : "stopped";

  const subjectParts: string[] = [];
  if (regretted.length > 0) subjectParts.push(`undid ${plural(regretted.length, "stop")}`);
  if (stopped.length > 0 || (!followUp && warned.length === 0))
    subjectParts.push(
      `${verb} ${plural(stopped.length, "model")}${stopped.length > 0 ? ` (${formatHourlyCost(hourly)})` : ""}`,
    );
  if (scheduled.length > 0) subjectParts.push(`restarted ${scheduled.length} on schedule`);
  if (byHand.length > 0) subjectParts.push(`${byHand.length} started by hand`);
  if (warned.length > 0)
    subjectParts.push(`${input.dryRun ? "would warn" : "warned"} ${plural(warned.length, "model")}`);
  if (errors.length > 0) subjectParts.push(plural(errors.length, "error"));
  let subject = `idle-model-stopper${input.dryRun ? " dry run" : ""}: ${subjectParts.join(", ")}`;
  // Within SNS's 100 characters, cut at a part, not inside one: the message lists everything.
  while (subject.length > 99 && subject.includes(", "))
    subject = `${subject.slice(0, subject.lastIndexOf(", "))} ...`;
  subject = subject.slice(0, 99);

  const regions = input.regions.join(", ");
  const what = input.warnOnly ? "Warning pass" : "Run";
  const head = [
    followUp
      ? `Follow-up ${input.runId} at ${formatTime(input.now)} looked after ${plural(input.scanned, "recent stop")} in ${regions}.`
      : `${what} ${input.runId}${input.dryRun ? " (dry run: nothing was stopped, no owner was told)" : ""} at ${formatTime(input.now)} ` +
        `scanned ${plural(input.scanned, "running model")} in ${regions}.`,
    "",
  ];
  const tail: string[] = [];
  if (unfinished.length > 0)
    tail.push(`Not reached this run: ${unfinished.length} (listed in the run summary).`);
  if (followUp) {
    tail.push(`Every restart is recorded in the DynamoDB table ${input.logTableName}, on the stop it undid.`);
  } else {
    tail.push(
      `Kept running: ${input.kept} (each with its reason in the function's log).`,
      `Every stop is recorded in the DynamoDB table ${input.logTableName}.`,
    );
  }
  const more = (count: number) =>
    `- and ${count} more, not listed to keep this message within SNS's size limit: see the log table`;
  // In the order the owner acts on them: stops undone, stops, restarts by rule, starts by hand, warnings, errors.
  const sections: Section[] = [];
  if (regretted.length > 0) sections.push(restartSection(regretted, "regret", more));
  if (stopped.length > 0) {
    // Stops finish in any order: list them most expensive first, then by ARN, so one run always reads the same.
    const listed = [...stopped].sort(
      (a, b) =>
        (b.verdict.facts.estimatedHourlyCostUsd ?? 0) - (a.verdict.facts.estimatedHourlyCostUsd ?? 0) ||
        a.model.modelArn.localeCompare(b.model.modelArn),
    );
    sections.push({
      title: `${input.dryRun ? "Would stop" : "Stopped"} ${stopped.length}, about ${formatHourlyCost(hourly)}:`,
      entries: listed.map(({ model, verdict }) => {
        const cost = verdict.facts.estimatedHourlyCostUsd;
        return [
          `- ${model.projectName}/${model.versionName} (${model.region})${cost === undefined ? "" : `, ${formatHourlyCost(cost)}`}`,
          `  ${verdict.reason}`,
          // The owner may believe the model was opted out: say which tag did nothing, and the key that works.
          ...(verdict.facts.nearMissTags ?? []).map((note) => `  note: ${note}`),
          `  ${model.modelArn}`,
        ].join("\n");
      }),
      more,
    });
  }
  if (scheduled.length > 0) sections.push(restartSection(scheduled, "schedule", more));
  if (byHand.length > 0)
    sections.push({
      title:
        `Started again by hand within a day of the stop (${byHand.length}): the idle threshold may be wrong for ` +
        `these models (a tag ${input.optOutTagKey ?? "auto-stop"}:idle-minutes sets a model's own):`,
      entries: [...byHand]
        .sort((a, b) => a.record.modelArn.localeCompare(b.record.modelArn))
        .map(({ record, seenAt }) =>
          [
            `- ${record.projectName}/${record.versionName} (${record.region}): ${startedByHandText(record, seenAt)}`,
            `  stopped at ${formatTime(Date.parse(record.completedAt ?? record.stoppedAt))}: ${record.reason}`,
            `  ${record.modelArn}`,
          ].join("\n"),
        ),
      more,
    });
  if (warned.length > 0) {
    const optOutTagKey = input.optOutTagKey ?? "auto-stop";
    const where = {
      logTableName: input.logTableName,
      homeRegion: input.homeRegion ?? input.regions[0] ?? "",
    };
    // Soonest first, then by ARN, so one run always reads the same.
    const listed = [...warned].sort(
      (a, b) => a.stopNotBefore - b.stopNotBefore || a.model.modelArn.localeCompare(b.model.modelArn),
    );
    sections.push({
      title: `${input.dryRun ? "Would warn" : "Warned"} ${warned.length}, each to be stopped by a later run unless it is used or tagged:`,
      entries: listed.map((warning) => {
        const { model, verdict } = warning;
        const cost = verdict.facts.estimatedHourlyCostUsd;
        return [
          `- ${model.projectName}/${model.versionName} (${model.region})${cost === undefined ? "" : `, ${formatHourlyCost(cost)}`}: ${willBeStopped(warning.stopNotBefore)}`,
          `  ${verdict.reason}`,
          ...howToKeep(warning, { optOutTagKey }).map((line) => `  ${line}`),
          `  To check it: ${checkCommand(model.region, where)}`,
          ...(warning.notifiedTopicArn ? [`  Its owner was told on ${warning.notifiedTopicArn}`] : []),
          `  ${model.modelArn}`,
        ].join("\n");
      }),
      more,
    });
  }
  if (errors.length > 0)
    sections.push({
      title: `Errors (${errors.length}):`,
      entries: errors.map((error) => `- ${error.arn ? `${error.arn}: ` : ""}${error.message}`),
      more: (count) =>
        `- and ${count} more, not listed to keep this message within SNS's size limit: see the run summary in the function's log`,
    });
  const message = [
    ...head,
    ...fitSections(sections, MAX_MESSAGE_BYTES - bytes([...head, ...tail].join("\n")) - 1),
    ...tail,
  ].join("\n");
  return { subject: subject.replace(/[^\x20-\x7e]/g, "?"), message };
}

/** The section of the stops undone by the regret check, or by restart rules, most expensive first. */
function restartSection(
  restarts: readonly DigestRestart[],
  by: DigestRestart["by"],
  more: (count: number) => string,
): Section {
  const hourly = restarts.reduce((sum, restart) => sum + restart.hourlyCostUsd, 0);
  const listed = [...restarts].sort(
    (a, b) => b.hourlyCostUsd - a.hourlyCostUsd || a.record.modelArn.localeCompare(b.record.modelArn),
  );
  return {
    title:
      by === "regret"
        ? `Undid ${plural(restarts.length, "stop")} that proved wrong, starting the model again ` +
          `(about ${formatHourlyCost(hourly)} again):`
        : `Started again by restart rule ${restarts.length}, about ${formatHourlyCost(hourly)}:`,
    entries: listed.map(({ record, reason, hourlyCostUsd }) =>
      [
        `- ${record.projectName}/${record.versionName} (${record.region}), ${formatHourlyCost(hourlyCostUsd)}`,
        `  ${reason} (stopped at ${formatTime(Date.parse(record.completedAt ?? record.stoppedAt))})`,
        `  ${record.modelArn}`,
      ].join("\n"),
    ),
    more,
  };
}
