/**
 * The one message a run sends: what it stopped, with each reason and hourly cost, and what went wrong. A run that
 * stopped nothing and hit no error sends nothing: people want a digest, not a mail per model or per night.
 */

import { formatHourlyCost, formatTime } from "./format.ts";
import type { RunningModel, Verdict } from "./types.ts";

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
  readonly unfinished: readonly { readonly arn: string; readonly reason: string }[];
  readonly logTableName: string;
}

/** A message ready to publish. SNS subjects are ASCII, one line, under 100 characters. */
export interface Digest {
  readonly subject: string;
  readonly message: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** Builds the digest, or returns undefined when there is nothing worth telling. */
export function buildDigest(input: DigestInput): Digest | undefined {
  const { stopped, errors, unfinished } = input;
  if (stopped.length === 0 && errors.length === 0) return undefined;
  const hourly = stopped.reduce((sum, s) => sum + (s.verdict.facts.estimatedHourlyCostUsd ?? 0), 0);
  const verb = input.dryRun ? "would stop" : "stopped";

  const subjectParts = [`${verb} ${plural(stopped.length, "model")}`];
  if (stopped.length > 0) subjectParts[0] += ` (${formatHourlyCost(hourly)})`;
  if (errors.length > 0) subjectParts.push(plural(errors.length, "error"));
  const subject = `idle-model-stopper${input.dryRun ? " dry run" : ""}: ${subjectParts.join(", ")}`.slice(
    0,
    99,
  );

  const lines = [
    `Run ${input.runId}${input.dryRun ? " (dry run: nothing was stopped)" : ""} at ${formatTime(input.now)} ` +
      `scanned ${plural(input.scanned, "running model")} in ${input.regions.join(", ")}.`,
    "",
  ];
  if (stopped.length > 0) {
    lines.push(
      `${input.dryRun ? "Would stop" : "Stopped"} ${stopped.length}, about ${formatHourlyCost(hourly)}:`,
    );
    for (const { model, verdict } of stopped) {
      const cost = verdict.facts.estimatedHourlyCostUsd;
      lines.push(
        `- ${model.projectName}/${model.versionName} (${model.region})${cost === undefined ? "" : `, ${formatHourlyCost(cost)}`}`,
        `  ${verdict.reason}`,
        `  ${model.modelArn}`,
      );
    }
    lines.push("");
  }
  if (errors.length > 0) {
    lines.push(`Errors (${errors.length}):`);
    for (const error of errors) lines.push(`- ${error.arn ? `${error.arn}: ` : ""}${error.message}`);
    lines.push("");
  }
  if (unfinished.length > 0)
    lines.push(`Not reached this run: ${unfinished.length} (listed in the run summary).`);
  lines.push(
    `Kept running: ${input.kept} (each with its reason in the function's log).`,
    `Every stop is recorded in the DynamoDB table ${input.logTableName}.`,
  );
  return { subject: subject.replace(/[^\x20-\x7e]/g, "?"), message: lines.join("\n") };
}
