/**
 * One run of the stopper: discover running models in every region, read their tags and metrics, let the core
 * decide, then stop the idle ones with a log record written before each stop and completed after it.
 * A failure on one model or region is recorded and the run goes on.
 */

import pLimit from "p-limit";
import { errorMessage } from "./adapters/errors.ts";
import type { UsageReader } from "./adapters/metrics.ts";
import type { ModelDirectory } from "./adapters/rekognition.ts";
import type { StopLog } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";
import { applyStopCap, type Decision, decide, usageWindow } from "./core/decide.ts";
import { formatTime } from "./core/format.ts";
import { buildStopRecord, STOP_PENDING, type StopRecord } from "./core/stop-record.ts";
import type { RunningModel, TagEvidence, UsageEvidence } from "./core/types.ts";

/** The structured logger the run writes to (Powertools' Logger fits). */
export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The adapters a run works through; tests pass fakes or SDK clients mocked with aws-sdk-client-mock. */
export interface RunDependencies {
  readonly directory: ModelDirectory;
  readonly usage: UsageReader;
  readonly log: StopLog;
  readonly logger: RunLogger;
  /** Wall clock, epoch ms; read once for the run's `now` and again to time-stamp outcomes. */
  readonly clock: () => number;
}

/** What a run did, returned by the handler and logged as one JSON line. */
export interface RunSummary {
  readonly runId: string;
  readonly dryRun: boolean;
  /** Running Custom Labels models found. */
  readonly scanned: number;
  /** ARNs of the models stopped (in a dry run: that would have been stopped). */
  readonly stopped: string[];
  /** Models left running, each with the reason. */
  readonly skipped: { arn: string; reason: string }[];
  /** What went wrong; a model here was not stopped unless it is also in `stopped`. */
  readonly errors: { arn?: string; message: string }[];
}

const FAILED = "FAILED: ";

// Tag reads go out a few at a time: AWS does not publish these APIs' rates, assume single-digit TPS.
const TAG_READ_CONCURRENCY = 4;

/** Runs the stopper once over every configured region. */
export async function runStopper(
  deps: RunDependencies,
  config: StopperConfig,
  runId: string,
): Promise<RunSummary> {
  const now = deps.clock();
  const errors: RunSummary["errors"] = [];
  const decisions: Decision[] = [];
  for (const region of config.regions) {
    decisions.push(...(await decideRegion(deps, config, region, now, errors)));
  }
  const summary: RunSummary = {
    runId,
    dryRun: config.dryRun,
    scanned: decisions.length,
    stopped: [],
    skipped: [],
    errors,
  };

  for (const decision of applyStopCap(decisions, config.maxStopsPerRun)) {
    const { model, verdict } = decision;
    deps.logger.info(verdict.action === "stop" ? "idle model" : "model kept", {
      modelArn: model.modelArn,
      action: verdict.action,
      reason: verdict.reason,
      facts: verdict.facts,
    });
    if (verdict.action === "keep") {
      summary.skipped.push({ arn: model.modelArn, reason: verdict.reason });
      continue;
    }
    try {
      await stopAndRecord(deps, config, decision, now, runId, summary);
    } catch (error) {
      summary.errors.push({ arn: model.modelArn, message: errorMessage(error) });
      deps.logger.error("stop failed", { modelArn: model.modelArn, error: errorMessage(error) });
    }
  }

  deps.logger.info("run summary", { summary });
  return summary;
}

/** Discovers, reads tags and metrics, and decides for one region. Errors go into the summary. */
async function decideRegion(
  deps: RunDependencies,
  config: StopperConfig,
  region: string,
  now: number,
  errors: RunSummary["errors"],
): Promise<Decision[]> {
  let models: RunningModel[];
  try {
    const discovery = await deps.directory.listRunningModels(region);
    models = discovery.models;
    errors.push(...discovery.errors);
  } catch (error) {
    errors.push({ message: `discovery in ${region} failed: ${errorMessage(error)}` });
    return [];
  }
  if (models.length === 0) return [];

  const window = usageWindow(now, config.idleMinutes);
  const [tags, usage] = await Promise.all([
    readTags(deps.directory, region, models),
    deps.usage.readUsage(region, models, window).catch((error: unknown) => {
      const message = `GetMetricData failed: ${errorMessage(error)}`;
      return new Map<string, UsageEvidence>(models.map((model) => [model.modelArn, { error: message }]));
    }),
  ]);

  return models.map((model) => {
    const modelTags = tags.get(model.modelArn) ?? { error: "tags were not read" };
    const modelUsage = usage.get(model.modelArn) ?? { error: "metrics were not read" };
    for (const evidence of [modelTags, modelUsage]) {
      if ("error" in evidence) errors.push({ arn: model.modelArn, message: evidence.error });
    }
    const verdict = decide({
      model,
      tags: modelTags,
      usage: modelUsage,
      now,
      idleMinutes: config.idleMinutes,
      optOutTagKey: config.optOutTagKey,
      pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
    });
    return { model, verdict };
  });
}

/** Reads each model's tags and, once per project, its project's tags. A failed read is kept as an error. */
async function readTags(
  directory: ModelDirectory,
  region: string,
  models: readonly RunningModel[],
): Promise<Map<string, TagEvidence>> {
  const limit = pLimit(TAG_READ_CONCURRENCY);
  const projectTags = new Map<string, Promise<Record<string, string>>>();
  const tagsOf = (arn: string) => limit(() => directory.listTags(region, arn));
  const entries = await Promise.all(
    models.map(async (model): Promise<[string, TagEvidence]> => {
      let project = projectTags.get(model.projectArn);
      if (!project) {
        project = tagsOf(model.projectArn);
        projectTags.set(model.projectArn, project);
      }
      const [modelResult, projectResult] = await Promise.allSettled([tagsOf(model.modelArn), project]);
      if (modelResult.status === "rejected") {
        return [
          model.modelArn,
          { error: `ListTagsForResource on the model failed: ${errorMessage(modelResult.reason)}` },
        ];
      }
      if (projectResult.status === "rejected") {
        return [
          model.modelArn,
          { error: `ListTagsForResource on the project failed: ${errorMessage(projectResult.reason)}` },
        ];
      }
      return [model.modelArn, { model: modelResult.value, project: projectResult.value }];
    }),
  );
  return new Map(entries);
}

/**
 * Records and stops one idle model. The record is written first, so a crash between the two leaves a record
 * whose status is still STOP_PENDING. A model with a record of its own inside the idle window is not recorded
 * again: it cannot have been restarted and idled for a whole window since.
 */
async function stopAndRecord(
  deps: RunDependencies,
  config: StopperConfig,
  decision: Decision,
  now: number,
  runId: string,
  summary: RunSummary,
): Promise<void> {
  const { model } = decision;
  const since = new Date(usageWindow(now, config.idleMinutes).start).toISOString();
  const earlier = (await deps.log.recordsSince(model.modelArn, since)).filter(
    (record) => record.dryRun === config.dryRun,
  );
  // A failed attempt does not count as handled: a later run may try again and writes its own record.
  const completed = earlier.find(
    (record) => record.status !== STOP_PENDING && !record.status.startsWith(FAILED),
  );
  const pending = earlier.find((record) => record.status === STOP_PENDING);

  if (config.dryRun) {
    // A dry run repeated within the window reports the model again but does not log it twice.
    if (earlier.length === 0)
      await deps.log.writeIntent(buildStopRecord(decision, recordOptions(config, runId, now)));
    summary.stopped.push(model.modelArn);
    return;
  }

  if (completed) {
    summary.skipped.push({
      arn: model.modelArn,
      reason:
        `already handled by run ${completed.runId} at ${completed.stoppedAt} (status ${completed.status}); ` +
        "not stopped or recorded again",
    });
    return;
  }

  // A record left STOP_PENDING by an earlier run that ended early is completed rather than duplicated.
  const record: StopRecord = pending ?? buildStopRecord(decision, recordOptions(config, runId, now));
  if (!pending) await deps.log.writeIntent(record);

  let status: string;
  try {
    const outcome = await deps.directory.stopModel(model.region, model.modelArn);
    status = outcome.status;
    if (outcome.kind === "stopping") {
      summary.stopped.push(model.modelArn);
    } else if (outcome.kind === "already-changing") {
      summary.skipped.push({
        arn: model.modelArn,
        reason: `not stopped: the model is already changing (${status})`,
      });
    } else {
      summary.skipped.push({
        arn: model.modelArn,
        reason: `not stopped: the model no longer exists (${status})`,
      });
    }
  } catch (error) {
    status = `${FAILED}${errorMessage(error)}`;
    summary.errors.push({
      arn: model.modelArn,
      message: `StopProjectVersion failed: ${errorMessage(error)}`,
    });
  }

  try {
    await deps.log.recordOutcome(model.modelArn, record.stoppedAt, status, formatTime(deps.clock()));
  } catch (error) {
    summary.errors.push({
      arn: model.modelArn,
      message: `could not record the outcome "${status}"; the log record still says ${STOP_PENDING}: ${errorMessage(error)}`,
    });
  }
}

function recordOptions(config: StopperConfig, runId: string, now: number) {
  return { runId, now, dryRun: config.dryRun, ttlDays: config.logTtlDays };
}
