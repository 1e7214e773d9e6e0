/**
 * One run of the stopper:
 * 1. complete log records that an earlier run left STOP_PENDING, from each model's real status;
 * 2. assess every region at once: discovery, tag reads and metric batches overlap as a pipeline;
 * 3. stop the idle models, most expensive first, within the cap and the time left, each with a log record
 *    written before the call and completed after it;
 * 4. report: one summary line, EMF metrics, and one digest message when something was stopped or went wrong.
 * A failure on one model or region is recorded and the run goes on.
 */

import pLimit from "p-limit";
import { errorMessage } from "./adapters/errors.ts";
import type { UsageReader } from "./adapters/metrics.ts";
import { MODELS_PER_CALL } from "./adapters/metrics.ts";
import type { Notifier } from "./adapters/notifier.ts";
import {
  type ModelDirectory,
  type NotConsidered,
  type Problem,
  StopOutcomeUnknownError,
  type Unfinished,
} from "./adapters/rekognition.ts";
import type { StopLog } from "./adapters/stop-log.ts";
import type { StopperConfig } from "./config.ts";
import { applyStopCap, type Decision, decide, usageWindow } from "./core/decide.ts";
import { buildDigest } from "./core/digest.ts";
import { formatDuration, formatTime } from "./core/format.ts";
import { buildStopRecord, STOP_PENDING, type StopRecord } from "./core/stop-record.ts";
import { tagPolicy } from "./core/tag-policy.ts";
import type { RunningModel, TagEvidence, UsageEvidence } from "./core/types.ts";

/** The structured logger the run writes to (Powertools' Logger fits). */
export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Where the run's numbers go (Powertools' Metrics, in Embedded Metric Format, fits). */
export interface RunMetrics {
  addMetric(name: string, unit: "Count" | "None", value: number): void;
  publishStoredMetrics(): void;
}

/** The adapters a run works through; tests pass fakes or SDK clients mocked with aws-sdk-client-mock. */
export interface RunDependencies {
  readonly directory: ModelDirectory;
  readonly usage: UsageReader;
  readonly log: StopLog;
  readonly logger: RunLogger;
  /** Wall clock, epoch ms; read once for the run's `now` and again to time-stamp outcomes. */
  readonly clock: () => number;
  /** Milliseconds the invocation has left (Lambda's `context.getRemainingTimeInMillis`); unlimited if absent. */
  readonly remainingMs?: () => number;
  /** Publishes the digest; no digest is sent without one. */
  readonly notifier?: Notifier;
  readonly metrics?: RunMetrics;
}

/** What a run did, returned by the handler and logged as one JSON line. */
export interface RunSummary {
  readonly runId: string;
  readonly dryRun: boolean;
  /** Running Custom Labels models found. */
  readonly scanned: number;
  /** ARNs of the models stopped (in a dry run: that would have been stopped). */
  readonly stopped: string[];
  /**
   * Models left running, each with the reason; also the models and projects not considered at all because AWS
   * described them with a status or feature the stopper does not know (their reason starts `not considered:`).
   */
  readonly skipped: { arn: string; reason: string }[];
  /** What went wrong; a model here was not stopped unless it is also in `stopped`. */
  readonly errors: { arn?: string; message: string }[];
  /** Projects and models the run did not get to before its deadline, with the reason. */
  readonly unfinished: { arn: string; reason: string }[];
  /** What the stops save per hour, by the configured price. */
  readonly estimatedHourlySavingsUsd: number;
}

/** What assessing the account found, before anything is stopped. */
export interface Assessment {
  readonly decisions: Decision[];
  readonly errors: Problem[];
  readonly unfinished: Unfinished[];
  /** Projects and models seen but not judged: a status or feature the stopper does not know. */
  readonly notConsidered: NotConsidered[];
}

/** Options of {@link assess}. */
export interface AssessOptions {
  /** Asked before each project is described; once it says no, the rest is reported as unfinished. */
  readonly mayContinue?: () => boolean;
  /** Told of each model as it is decided, e.g. to show progress. */
  readonly onDecision?: (decision: Decision) => void;
}

const FAILED = "FAILED: ";
// Not an error: the tags alone decided, so the metrics were never asked for.
const METRICS_NOT_NEEDED: UsageEvidence = { error: "metrics not read: the tags decide" };

/** Runs the stopper once over every configured region. */
export async function runStopper(
  deps: RunDependencies,
  config: StopperConfig,
  runId: string,
): Promise<RunSummary> {
  const now = deps.clock();
  const marginMs = config.deadlineMarginSeconds * 1000;
  const timeLeft = () => deps.remainingMs?.() ?? Number.POSITIVE_INFINITY;
  const errors: Problem[] = [];

  const pending = config.dryRun
    ? new Map<string, StopRecord>()
    : await reconcile(deps, config, runId, errors);
  // Discovery stops taking new projects while there is still time to decide and stop what it found.
  const assessment = await assess(deps, config, now, { mayContinue: () => timeLeft() > 3 * marginMs });
  errors.push(...assessment.errors);

  for (const { arn, reason } of assessment.notConsidered)
    deps.logger.warn("not considered", { modelArn: arn, action: "keep", reason });
  const summary: RunSummary = {
    runId,
    dryRun: config.dryRun,
    scanned: assessment.decisions.length,
    stopped: [],
    skipped: [...assessment.notConsidered],
    errors,
    unfinished: [...assessment.unfinished],
    estimatedHourlySavingsUsd: 0,
  };
  const stoppedDecisions: Decision[] = [];
  const act = pLimit(config.stopConcurrency);
  await Promise.all(
    applyStopCap(assessment.decisions, config.maxStopsPerRun).map(async (decision) => {
      const { model, verdict } = decision;
      deps.logger.info(verdict.action === "stop" ? "idle model" : "model kept", {
        modelArn: model.modelArn,
        action: verdict.action,
        reason: verdict.reason,
        facts: verdict.facts,
      });
      const pendingRecord = pending.get(model.modelArn);
      if (verdict.action === "keep") {
        summary.skipped.push({ arn: model.modelArn, reason: verdict.reason });
        if (pendingRecord) await completeKept(deps, runId, pendingRecord, verdict.reason, errors);
        return;
      }
      await act(async () => {
        const left = timeLeft();
        if (left < marginMs) {
          summary.unfinished.push({
            arn: model.modelArn,
            reason:
              `idle, but not stopped: ${Math.floor(left / 1000)} s of the function's time left, under the ` +
              `${config.deadlineMarginSeconds} s kept for a stop and its log write; it will be considered next run`,
          });
          return;
        }
        try {
          if (await stopAndRecord(deps, config, decision, now, runId, summary, pendingRecord)) {
            stoppedDecisions.push(decision);
          }
        } catch (error) {
          errors.push({ arn: model.modelArn, message: errorMessage(error) });
          deps.logger.error("stop failed", { modelArn: model.modelArn, error: errorMessage(error) });
        }
      });
    }),
  );

  // Stops finish in any order; list them in the order they were decided, so a summary reads the same every time.
  const order = new Map(assessment.decisions.map((decision, index) => [decision.model.modelArn, index]));
  summary.stopped.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const savings = stoppedDecisions.reduce((sum, d) => sum + (d.verdict.facts.estimatedHourlyCostUsd ?? 0), 0);
  const finished: RunSummary = { ...summary, estimatedHourlySavingsUsd: Math.round(savings * 100) / 100 };
  await report(deps, config, finished, stoppedDecisions, now);
  return finished;
}

/**
 * Discovers, reads tags and metrics, and decides, in every region at once, without changing anything. Within a
 * region the phases overlap: each project's versions are listed as project pages arrive, each running model's
 * tags are read as soon as it is found, and a GetMetricData batch goes out as soon as 100 models (500 queries)
 * are ready for it.
 */
export async function assess(
  deps: Pick<RunDependencies, "directory" | "usage">,
  config: StopperConfig,
  now: number,
  options: AssessOptions = {},
): Promise<Assessment> {
  const results = await Promise.all(
    config.regions.map((region) => assessRegion(deps, config, region, now, options)),
  );
  return {
    decisions: results.flatMap((r) => r.decisions),
    errors: results.flatMap((r) => r.errors),
    unfinished: results.flatMap((r) => r.unfinished),
    notConsidered: results.flatMap((r) => r.notConsidered),
  };
}

async function assessRegion(
  deps: Pick<RunDependencies, "directory" | "usage">,
  config: StopperConfig,
  region: string,
  now: number,
  options: AssessOptions,
): Promise<Assessment> {
  const errors: Problem[] = [];
  const batches = new MetricBatcher(
    (models, idleMinutes) => deps.usage.readUsage(region, models, usageWindow(now, idleMinutes)),
    config.overlapPhases,
  );
  const projectTags = new Map<string, Promise<Record<string, string>>>();
  const tagsOf = (arn: string) => deps.directory.listTags(region, arn);
  const ready: Promise<unknown>[] = [];
  const decided: Promise<Decision>[] = [];

  const judge = (model: RunningModel) => {
    let project = projectTags.get(model.projectArn);
    if (!project) {
      project = tagsOf(model.projectArn);
      projectTags.set(model.projectArn, project);
    }
    // `prepared` settles once the model's tags are read and, if needed, it has joined a metric batch.
    const prepared = readTags(tagsOf(model.modelArn), project).then((tags) => {
      if ("error" in tags) return { tags, usage: Promise.resolve(METRICS_NOT_NEEDED) };
      const policy = tagPolicy(tags, {
        optOutTagKey: config.optOutTagKey,
        requireOptIn: config.requireOptIn,
        defaultIdleMinutes: config.idleMinutes,
        now,
      });
      return {
        tags,
        usage: policy.keep ? Promise.resolve(METRICS_NOT_NEEDED) : batches.add(model, policy.idleMinutes),
      };
    });
    ready.push(prepared);
    decided.push(
      prepared.then(async ({ tags, usage: pendingUsage }) => {
        const usage = await pendingUsage;
        if ("error" in tags) errors.push({ arn: model.modelArn, message: tags.error });
        if ("error" in usage && usage !== METRICS_NOT_NEEDED)
          errors.push({ arn: model.modelArn, message: usage.error });
        const decision: Decision = {
          model,
          verdict: decide({
            model,
            tags,
            usage,
            now,
            idleMinutes: config.idleMinutes,
            optOutTagKey: config.optOutTagKey,
            requireOptIn: config.requireOptIn,
            pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
          }),
        };
        options.onDecision?.(decision);
        return decision;
      }),
    );
  };

  let unfinished: Unfinished[] = [];
  let notConsidered: NotConsidered[] = [];
  // Without overlap (a benchmark baseline), every model waits for discovery to end, then for every tag read.
  const found: RunningModel[] = [];
  try {
    const discovery = await deps.directory.discover(
      region,
      (models) => {
        for (const model of models) {
          if (config.overlapPhases) judge(model);
          else found.push(model);
        }
      },
      options.mayContinue,
    );
    for (const model of found) judge(model);
    errors.push(...discovery.errors);
    unfinished = discovery.unfinished;
    notConsidered = discovery.notConsidered;
  } catch (error) {
    errors.push({ message: `discovery in ${region} failed: ${errorMessage(error)}` });
  }
  // No model joins a batch any more once every model found has read its tags: send the partial batches.
  await Promise.all(ready);
  batches.flush();
  return { decisions: await Promise.all(decided), errors, unfinished, notConsidered };
}

/** The tags of a model and its project, or why they could not be read. */
async function readTags(
  model: Promise<Record<string, string>>,
  project: Promise<Record<string, string>>,
): Promise<TagEvidence> {
  const [modelResult, projectResult] = await Promise.allSettled([model, project]);
  if (modelResult.status === "rejected") {
    return { error: `ListTagsForResource on the model failed: ${errorMessage(modelResult.reason)}` };
  }
  if (projectResult.status === "rejected") {
    return { error: `ListTagsForResource on the project failed: ${errorMessage(projectResult.reason)}` };
  }
  return { model: modelResult.value, project: projectResult.value };
}

/**
 * Collects models into GetMetricData batches of {@link MODELS_PER_CALL} (500 queries), one set of batches per idle
 * threshold since a call has one time range. A batch goes out as soon as it is full; `flush` sends the rest.
 */
class MetricBatcher {
  private readonly open = new Map<
    number,
    { models: RunningModel[]; settle: (u: Map<string, UsageEvidence>) => void }
  >();
  private readonly waiting = new Map<number, Promise<Map<string, UsageEvidence>>>();

  constructor(
    private readonly fetch: (
      models: RunningModel[],
      idleMinutes: number,
    ) => Promise<Map<string, UsageEvidence>>,
    /** Send a batch as soon as it is full; otherwise every batch waits for `flush`. */
    private readonly eager = true,
  ) {}

  /** Adds a model to the open batch for its threshold and resolves with its usage once that batch is read. */
  add(model: RunningModel, idleMinutes: number): Promise<UsageEvidence> {
    let batch = this.open.get(idleMinutes);
    if (!batch) {
      let settle: (u: Map<string, UsageEvidence>) => void = () => {};
      this.waiting.set(idleMinutes, new Promise((resolve) => (settle = resolve)));
      batch = { models: [], settle };
      this.open.set(idleMinutes, batch);
    }
    batch.models.push(model);
    const result = this.waiting.get(idleMinutes) as Promise<Map<string, UsageEvidence>>;
    if (this.eager && batch.models.length >= MODELS_PER_CALL) this.send(idleMinutes);
    return result.then(
      (usage) => usage.get(model.modelArn) ?? { error: "CloudWatch returned nothing for the model" },
    );
  }

  /** Sends every batch that is not full yet. */
  flush(): void {
    for (const idleMinutes of [...this.open.keys()]) this.send(idleMinutes);
  }

  private send(idleMinutes: number): void {
    const batch = this.open.get(idleMinutes);
    if (!batch) return;
    this.open.delete(idleMinutes);
    this.waiting.delete(idleMinutes);
    this.fetch(batch.models, idleMinutes).then(batch.settle, (error: unknown) => {
      const failed: UsageEvidence = { error: `GetMetricData failed: ${errorMessage(error)}` };
      batch.settle(new Map(batch.models.map((model) => [model.modelArn, failed])));
    });
  }
}

/**
 * Finds the records earlier runs left STOP_PENDING (they ended between writing a record and completing it) and
 * completes those whose model is no longer running, from its real status. Records of models still RUNNING are
 * returned: this run's decision completes them, so no second record is written for one stop.
 */
async function reconcile(
  deps: RunDependencies,
  config: StopperConfig,
  runId: string,
  errors: Problem[],
): Promise<Map<string, StopRecord>> {
  const stillRunning = new Map<string, StopRecord>();
  await Promise.all(
    config.regions.map(async (region) => {
      let records: StopRecord[];
      try {
        records = await deps.log.pendingRecords(region);
      } catch (error) {
        errors.push({
          message: `could not look for unfinished log records in ${region}: ${errorMessage(error)}`,
        });
        return;
      }
      for (const record of records) {
        try {
          const status = await deps.directory.modelStatus(region, record.modelArn);
          if (status === "RUNNING") {
            stillRunning.set(record.modelArn, record);
            continue;
          }
          const found = status ?? "NOT_FOUND";
          await deps.log.recordOutcome(record.modelArn, record.stoppedAt, {
            status: found,
            completedAt: formatTime(deps.clock()),
            reconciledBy: runId,
            note:
              `run ${record.runId} ended before recording the outcome of its stop; ` +
              `run ${runId} found the model ${status === undefined ? "gone" : status}`,
          });
          deps.logger.info("log record completed", {
            modelArn: record.modelArn,
            status: found,
            writtenBy: record.runId,
          });
        } catch (error) {
          errors.push({
            arn: record.modelArn,
            message: `could not complete its STOP_PENDING record: ${errorMessage(error)}`,
          });
        }
      }
    }),
  );
  return stillRunning;
}

/** Completes an earlier run's pending record for a model this run decided to keep. */
async function completeKept(
  deps: RunDependencies,
  runId: string,
  record: StopRecord,
  reason: string,
  errors: Problem[],
): Promise<void> {
  try {
    await deps.log.recordOutcome(record.modelArn, record.stoppedAt, {
      status: "NOT_STOPPED",
      completedAt: formatTime(deps.clock()),
      reconciledBy: runId,
      note: `run ${record.runId} ended before stopping the model; run ${runId} found it RUNNING and kept it: ${reason}`,
    });
  } catch (error) {
    errors.push({
      arn: record.modelArn,
      message: `could not complete its STOP_PENDING record: ${errorMessage(error)}`,
    });
  }
}

/**
 * Records and stops one idle model; returns whether it was stopped (or, in a dry run, would be). The record is
 * written first, so a crash between the two leaves a record whose status is still STOP_PENDING. A model with a
 * completed record of its own inside the idle window is not recorded again: it cannot have been restarted and
 * idled for a whole window since.
 */
async function stopAndRecord(
  deps: RunDependencies,
  config: StopperConfig,
  decision: Decision,
  now: number,
  runId: string,
  summary: RunSummary,
  pendingRecord: StopRecord | undefined,
): Promise<boolean> {
  const { model, verdict } = decision;
  // A log failure before the call says which step failed and that the model was left running.
  const notStopped = (step: string, error: unknown) => {
    const message = `could not ${step}, so the model was not ${config.dryRun ? "reported as a stop" : "stopped"}: ${errorMessage(error)}`;
    summary.errors.push({ arn: model.modelArn, message });
    deps.logger.error("stop not attempted", { modelArn: model.modelArn, error: message });
    return false;
  };
  const since = new Date(usageWindow(now, verdict.facts.idleMinutes).start).toISOString();
  let earlier: StopRecord[];
  try {
    earlier = (await deps.log.recordsSince(model.modelArn, since)).filter(
      (record) => record.dryRun === config.dryRun,
    );
  } catch (error) {
    return notStopped("read its earlier log records", error);
  }
  const options = { runId, now, dryRun: config.dryRun, ttlDays: config.logTtlDays };

  if (config.dryRun) {
    // A dry run repeated within the window reports the model again but does not log it twice.
    try {
      if (earlier.length === 0) await deps.log.writeIntent(buildStopRecord(decision, options));
    } catch (error) {
      return notStopped("write its log record", error);
    }
    summary.stopped.push(model.modelArn);
    return true;
  }

  // A failed attempt does not count as handled: a later run may try again and writes its own record.
  const completed = earlier.find(
    (record) => record.status !== STOP_PENDING && !record.status.startsWith(FAILED),
  );
  if (completed) {
    summary.skipped.push({
      arn: model.modelArn,
      reason:
        `already handled by run ${completed.runId} at ${completed.stoppedAt} (status ${completed.status}); ` +
        "not stopped or recorded again",
    });
    return false;
  }

  // A record left STOP_PENDING by an earlier run that ended early is completed rather than duplicated.
  const reused = pendingRecord ?? earlier.find((record) => record.status === STOP_PENDING);
  const record: StopRecord = reused ?? buildStopRecord(decision, options);
  if (!reused) {
    try {
      await deps.log.writeIntent(record);
    } catch (error) {
      return notStopped("write its log record", error);
    }
  }

  let status: string;
  let note: string | undefined;
  let stopped = false;
  try {
    const outcome = await deps.directory.stopModel(model.region, model.modelArn);
    status = outcome.status;
    if (outcome.kind === "stopping") note = outcome.note;
    if (outcome.kind === "stopping") {
      summary.stopped.push(model.modelArn);
      stopped = true;
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
    if (error instanceof StopOutcomeUnknownError) {
      // Whether the model stopped is unknown: the record stays STOP_PENDING, and the next run's reconciliation
      // completes it from the model's real status.
      summary.errors.push({
        arn: model.modelArn,
        message:
          `${error.message}, so whether it stopped is unknown; the log record still says ${STOP_PENDING} and ` +
          "the next run completes it from the model's status",
      });
      return false;
    }
    status = `${FAILED}${errorMessage(error)}`;
    summary.errors.push({
      arn: model.modelArn,
      message: `StopProjectVersion failed: ${errorMessage(error)}`,
    });
  }

  try {
    await deps.log.recordOutcome(model.modelArn, record.stoppedAt, {
      status,
      completedAt: formatTime(deps.clock()),
      ...(note !== undefined && { note }),
      ...(reused && record.runId !== runId && { reconciledBy: runId }),
    });
  } catch (error) {
    summary.errors.push({
      arn: model.modelArn,
      message: `could not record the outcome "${status}"; the log record still says ${STOP_PENDING}: ${errorMessage(error)}`,
    });
  }
  return stopped;
}

/** Sends the digest, publishes the run's metrics and logs the summary. A failure here loses no stop. */
async function report(
  deps: RunDependencies,
  config: StopperConfig,
  summary: RunSummary,
  stopped: readonly Decision[],
  now: number,
): Promise<void> {
  const digest = buildDigest({
    runId: summary.runId,
    dryRun: summary.dryRun,
    now,
    regions: config.regions,
    scanned: summary.scanned,
    kept: summary.skipped.length,
    stopped,
    errors: summary.errors,
    unfinished: summary.unfinished,
    logTableName: config.logTableName,
  });
  if (digest && deps.notifier) {
    try {
      await deps.notifier.publish(digest);
    } catch (error) {
      summary.errors.push({ message: `could not publish the digest: ${errorMessage(error)}` });
      deps.logger.error("digest not sent", { error: errorMessage(error) });
    }
  }
  if (deps.metrics) {
    deps.metrics.addMetric("ModelsScanned", "Count", summary.scanned);
    deps.metrics.addMetric("ModelsStopped", "Count", summary.stopped.length);
    deps.metrics.addMetric("ModelsKept", "Count", summary.skipped.length);
    deps.metrics.addMetric("Errors", "Count", summary.errors.length);
    deps.metrics.addMetric("EstimatedHourlySavingsUsd", "None", summary.estimatedHourlySavingsUsd);
    deps.metrics.publishStoredMetrics();
  }
  deps.logger.info("run summary", { summary, took: formatDuration(deps.clock() - now) });
}
