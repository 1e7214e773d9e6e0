/**
 * Plain fakes of the adapter interfaces for the phase tests: no SDK, no mocks, every call recorded in order. A
 * test sets what the fake answers, and what it fails with, per ARN.
 */

import type { EntryOutcome, EventPublisher, ModelTagger } from "../../lambda/adapters/announcer.ts";
import type { MetricsOf, UsageReader } from "../../lambda/adapters/metrics.ts";
import type { Notifier } from "../../lambda/adapters/notifier.ts";
import type {
  DescribedModels,
  Discovery,
  InferenceUnits,
  ModelDirectory,
  ModelState,
  ProjectLookup,
  StartOutcome,
  StopOutcome,
} from "../../lambda/adapters/rekognition.ts";
import type { FollowUpChange, Outcome, StopLog } from "../../lambda/adapters/stop-log.ts";
import { loadConfig, type StopperConfig } from "../../lambda/config.ts";
import type { EventEntry } from "../../lambda/core/announcement.ts";
import type { Digest } from "../../lambda/core/digest.ts";
import {
  RESTART_PENDING,
  RESTARTED,
  STARTED_BY_HAND,
  type StopRecord,
} from "../../lambda/core/stop-record.ts";
import type {
  ModelUsage,
  NamedModel,
  RequestEvidence,
  RequestRange,
  RunningModel,
  UsageEvidence,
  UsageWindow,
} from "../../lambda/core/types.ts";
import type { RunLogger } from "../../lambda/dependencies.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
export const REGION = "us-east-1";

/** The configuration a run would have from these variables, on top of a table name and a region. */
export function configWith(env: Record<string, string> = {}): StopperConfig {
  return loadConfig({ LOG_TABLE_NAME: "stops", AWS_REGION: REGION, ...env });
}

/** A running model `<project>/<version>` in a region. */
export function runningModel(project: string, version: string, region = REGION): RunningModel {
  const projectArn = `arn:aws:rekognition:${region}:123456789012:project/${project}/1700000000000`;
  return {
    region,
    projectArn,
    projectName: project,
    modelArn: `arn:aws:rekognition:${region}:123456789012:project/${project}/version/${version}/1700000000001`,
    versionName: version,
    minInferenceUnits: 1,
  };
}

/** `count` running models of one project, named v0, v1, … */
export function modelsOf(project: string, count: number, region = REGION): RunningModel[] {
  return Array.from({ length: count }, (_, index) => runningModel(project, `v${index}`, region));
}

/** Usage of a model in service all window at one unit, with no requests. */
export function idleUsage(hours = 6): ModelUsage {
  const inService = [];
  for (let at = NOW - hours * 60 * MINUTE; at < NOW - 2 * MINUTE; at += MINUTE)
    inService.push({ at, value: 1 });
  return {
    requests: { SuccessfulRequestCount: [], UserErrorCount: [], ServerErrorCount: [], ThrottledCount: [] },
    inService,
  };
}

/** Like {@link idleUsage}, with requests a few minutes ago. */
export function busyUsage(): ModelUsage {
  const idle = idleUsage();
  return {
    ...idle,
    requests: { ...idle.requests, SuccessfulRequestCount: [{ at: NOW - 5 * MINUTE, value: 3 }] },
  };
}

/** A promise and the function that settles it. */
export function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Lets every queued callback run: pending promise reactions and one turn of the event loop. */
export const settle = () => new Promise<void>((done) => setImmediate(done));

/** A Rekognition directory over a fixed list of pages of running models. */
export class FakeDirectory implements ModelDirectory {
  readonly calls: string[] = [];
  /** Tags per ARN (model or project); absent is no tags. */
  readonly tags = new Map<string, Record<string, string>>();
  /** ARN → the error a call about it fails with. */
  readonly failures = new Map<string, Error>();
  /** Model status per ARN for `modelStatus`; absent is a model that no longer exists. */
  readonly statuses = new Map<string, string>();
  /** What `stopModel` answers per ARN; absent is `stopping`. */
  readonly stopOutcomes = new Map<string, StopOutcome | Error>();
  /** Run between two pages of `discover`, e.g. to look at what the other phases did meanwhile. */
  betweenPages: () => Promise<void> = async () => {};
  /** Makes `discover` throw once it has handed over this many pages. */
  discoveryFailure: { readonly afterPages: number; readonly error: Error } | undefined;

  constructor(
    private readonly pages: RunningModel[][] = [],
    private readonly report: Omit<Discovery, "projects"> = { errors: [], unfinished: [], notConsidered: [] },
  ) {}

  async discover(
    region: string,
    onModels: (models: RunningModel[]) => void,
    mayContinue: () => boolean = () => true,
  ): Promise<Discovery> {
    this.calls.push(`discover ${region}`);
    for (const [index, page] of this.pages.entries()) {
      if (index > 0) await this.betweenPages();
      if (!mayContinue()) {
        return {
          projects: index,
          ...this.report,
          unfinished: [{ arn: `page ${index}`, reason: "out of time" }],
        };
      }
      if (this.discoveryFailure?.afterPages === index) throw this.discoveryFailure.error;
      onModels(page.filter((model) => model.region === region));
    }
    return { projects: this.pages.length, ...this.report };
  }

  /** Models `describeModels` reports in another status than RUNNING, by ARN. */
  readonly notRunning = new Map<string, string>();

  async projectArns(region: string, projectNames: readonly string[]): Promise<ProjectLookup> {
    this.calls.push(`projectArns ${region} ${projectNames.join(",")}`);
    const failure = this.failures.get(`projects:${projectNames.join(",")}`);
    if (failure) throw failure;
    const arns = new Map<string, string>();
    for (const model of this.pages.flat())
      if (model.region === region && projectNames.includes(model.projectName))
        arns.set(model.projectName, model.projectArn);
    return { arns, notConsidered: [] };
  }

  async describeModels(
    region: string,
    projectArn: string,
    versionNames: readonly string[],
  ): Promise<DescribedModels> {
    this.calls.push(`describeModels ${region} ${projectArn} ${versionNames.join(",")}`);
    const failure = this.failures.get(projectArn);
    if (failure) throw failure;
    const running = this.pages
      .flat()
      .filter(
        (model) =>
          model.region === region &&
          model.projectArn === projectArn &&
          versionNames.includes(model.versionName) &&
          !this.notRunning.has(model.modelArn),
      );
    return { running, notConsidered: [], problems: [] };
  }

  async listTags(region: string, resourceArn: string): Promise<Record<string, string>> {
    this.calls.push(`listTags ${region} ${resourceArn}`);
    const failure = this.failures.get(resourceArn);
    if (failure) throw failure;
    return this.tags.get(resourceArn) ?? {};
  }

  async modelStatus(region: string, modelArn: string): Promise<string | undefined> {
    this.calls.push(`modelStatus ${region} ${modelArn}`);
    const failure = this.failures.get(modelArn);
    if (failure) throw failure;
    return this.statuses.get(modelArn);
  }

  async stopModel(region: string, modelArn: string): Promise<StopOutcome> {
    this.calls.push(`stopModel ${region} ${modelArn}`);
    const outcome = this.stopOutcomes.get(modelArn) ?? { kind: "stopping", status: "STOPPING" };
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /** What `startModel` answers per ARN; absent is `starting` (and the model's status becomes STARTING). */
  readonly startOutcomes = new Map<string, StartOutcome | Error>();

  async modelStatuses(region: string, modelArns: readonly string[]): Promise<Map<string, ModelState>> {
    this.calls.push(`modelStatuses ${region} ${modelArns.join(" ")}`);
    return new Map(
      modelArns.map((arn): [string, ModelState] => {
        const failure = this.failures.get(arn);
        return [arn, failure ? { error: failure.message } : { status: this.statuses.get(arn) }];
      }),
    );
  }

  async startModel(region: string, modelArn: string, units: InferenceUnits): Promise<StartOutcome> {
    this.calls.push(
      `startModel ${region} ${modelArn} ${units.min}${units.max === undefined ? "" : `-${units.max}`}`,
    );
    const outcome = this.startOutcomes.get(modelArn) ?? { kind: "starting", status: "STARTING" };
    if (outcome instanceof Error) throw outcome;
    if (outcome.kind === "starting") this.statuses.set(modelArn, "STARTING");
    return outcome;
  }
}

/** No request of any kind. */
export const NO_REQUESTS: RequestEvidence = {
  requests: { SuccessfulRequestCount: [], UserErrorCount: [], ServerErrorCount: [], ThrottledCount: [] },
};

/**
 * CloudWatch usage per model ARN or `<project>/<version>` name; a model without usage set is idle. `listed` is what
 * ListMetrics answers (metrics-first discovery).
 */
export class FakeUsage implements UsageReader {
  readonly calls: { region: string; arns: string[]; window: UsageWindow }[] = [];
  /** Calls of `readUsageByName` (the screen of metrics-first discovery), with `<project>/<version>` names. */
  readonly screenCalls: { region: string; names: string[]; window: UsageWindow }[] = [];
  readonly usage = new Map<string, UsageEvidence>();
  /** Every call fails with this, when set. */
  failure: Error | undefined;
  /** Models the reader leaves out of its answer. */
  readonly unanswered = new Set<string>();
  /** What `listInService` answers. */
  listed: NamedModel[] = [];
  /** `listInService` fails with this, when set. */
  listFailure: Error | undefined;
  listCalls = 0;
  /** The request-only re-reads (the last look, the check since a warning), in order. */
  readonly requestCalls: { region: string; arns: string[]; range: RequestRange }[] = [];
  /** What a re-read of the requests answers per ARN; absent is no request. */
  readonly requests = new Map<string, RequestEvidence>();
  /** Every re-read of the requests fails with this, when set. */
  requestFailure: Error | undefined;

  async readRequests(
    region: string,
    models: readonly MetricsOf[],
    range: RequestRange,
  ): Promise<Map<string, RequestEvidence>> {
    this.requestCalls.push({ region, arns: models.map((model) => model.modelArn), range });
    if (this.requestFailure) throw this.requestFailure;
    return new Map(
      models
        .filter((model) => !this.unanswered.has(model.modelArn))
        .map((model) => [model.modelArn, this.requests.get(model.modelArn) ?? NO_REQUESTS]),
    );
  }

  async readUsage(
    region: string,
    models: readonly RunningModel[],
    window: UsageWindow,
  ): Promise<Map<string, UsageEvidence>> {
    this.calls.push({ region, arns: models.map((model) => model.modelArn), window });
    if (this.failure) throw this.failure;
    return new Map(
      models
        .filter((model) => !this.unanswered.has(model.modelArn))
        .map((model) => [model.modelArn, this.usageOf(model, model.modelArn)]),
    );
  }

  async readUsageByName(
    region: string,
    models: readonly NamedModel[],
    window: UsageWindow,
  ): Promise<UsageEvidence[]> {
    this.screenCalls.push({ region, names: models.map(nameOf), window });
    if (this.failure) throw this.failure;
    return models.map((model) => this.usageOf(model));
  }

  async listInService(region: string): Promise<NamedModel[]> {
    this.listCalls += 1;
    if (this.listFailure) throw this.listFailure;
    return this.listed.filter((model) => model.region === region);
  }

  private usageOf(model: NamedModel, arn?: string): UsageEvidence {
    return (
      (arn === undefined ? undefined : this.usage.get(arn)) ?? this.usage.get(nameOf(model)) ?? idleUsage()
    );
  }
}

const nameOf = (model: NamedModel) => `${model.projectName}/${model.versionName}`;

/** The log table in memory. */
export class FakeStopLog implements StopLog {
  /** @param calls where the calls are recorded: pass a directory's to see the order of both. */
  constructor(readonly calls: string[] = []) {}

  readonly records: StopRecord[] = [];
  /** Method name → the error every call of it fails with. */
  readonly failures = new Map<keyof StopLog, Error>();

  private fail(method: keyof StopLog): void {
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  async recordsSince(modelArn: string, since: string): Promise<StopRecord[]> {
    this.calls.push(`recordsSince ${modelArn}`);
    this.fail("recordsSince");
    return this.records.filter((r) => r.modelArn === modelArn && r.stoppedAt >= since).reverse();
  }

  async pendingRecords(region: string): Promise<StopRecord[]> {
    this.calls.push(`pendingRecords ${region}`);
    this.fail("pendingRecords");
    return this.records.filter((r) => r.pendingRegion === region);
  }

  async writeIntent(record: StopRecord): Promise<void> {
    this.calls.push(`writeIntent ${record.modelArn}`);
    this.fail("writeIntent");
    this.records.push(record);
  }

  async recordOutcome(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<void> {
    this.calls.push(`recordOutcome ${modelArn} ${outcome.status}`);
    this.fail("recordOutcome");
    const index = this.records.findIndex((r) => r.modelArn === modelArn && r.stoppedAt === stoppedAt);
    if (index < 0) throw new Error(`no record ${modelArn} ${stoppedAt}`);
    const { pendingRegion: _, ...rest } = this.records[index] as StopRecord;
    this.records[index] = { ...rest, ...outcome };
  }

  async followUps(region: string): Promise<StopRecord[]> {
    this.calls.push(`followUps ${region}`);
    this.fail("followUps");
    return this.records
      .filter((r) => r.followUpRegion === region)
      .sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
  }

  async closeWarning(modelArn: string, stoppedAt: string, outcome: Outcome): Promise<boolean> {
    this.calls.push(`closeWarning ${modelArn} ${outcome.status}`);
    this.fail("closeWarning");
    const index = this.records.findIndex((r) => r.modelArn === modelArn && r.stoppedAt === stoppedAt);
    const record = this.records[index];
    if (record?.kind !== "warning" || record.status !== "WARNED") return false;
    const { followUpRegion: _, ...rest } = record;
    this.records[index] = { ...rest, ...outcome };
    return true;
  }

  /** Applies a change under the same conditions as the DynamoDB adapter's (stop-log.ts). */
  async changeFollowUp(
    key: Pick<StopRecord, "modelArn" | "stoppedAt">,
    change: FollowUpChange,
  ): Promise<boolean> {
    this.calls.push(`changeFollowUp ${key.modelArn} ${change.kind}`);
    this.fail("changeFollowUp");
    const index = this.records.findIndex((r) => r.modelArn === key.modelArn && r.stoppedAt === key.stoppedAt);
    const record = this.records[index];
    if (!record) return false;
    const followed = record.followUpRegion !== undefined;
    const stopped = record.status === "STOPPING" || record.status === "STOPPED";
    const mutable = record as unknown as Record<string, unknown>;
    const set = (fields: Record<string, unknown>, remove: string[] = []) => {
      const next: Record<string, unknown> = { ...mutable, ...fields };
      for (const field of remove) delete next[field];
      this.records[index] = next as unknown as StopRecord;
      return true;
    };
    const note = (text: string | undefined) => (text === undefined ? {} : { note: text });
    switch (change.kind) {
      case "regret-checked":
        return followed && set({ regretCheckedAt: change.at, ...note(change.note) });
      case "claim-restart": {
        const claimable =
          (stopped && followed) ||
          (record.status === RESTART_PENDING &&
            (record.restartClaimedBy === change.by || (record.restartClaimedAt ?? "") < change.staleBefore));
        return (
          claimable &&
          set({
            status: RESTART_PENDING,
            restartClaimedBy: change.by,
            restartClaimedAt: change.at,
            restartedBy: change.restartedBy,
            restartReason: change.reason,
            restartHourlyCostUsd: change.hourlyCostUsd,
          })
        );
      }
      case "restarted":
        return (
          record.restartClaimedBy === change.by &&
          (record.status === RESTART_PENDING || record.status === RESTARTED) &&
          set({ status: RESTARTED, restartedAt: change.at, ...note(change.note) }, ["followUpRegion"])
        );
      case "release-restart":
        return (
          record.restartClaimedBy === change.by &&
          (record.status === RESTART_PENDING || record.status === "STOPPED") &&
          set({ status: "STOPPED", note: change.note }, [
            "restartedBy",
            "restartReason",
            "restartHourlyCostUsd",
            ...(change.done ? ["followUpRegion"] : []),
          ])
        );
      case "started-by-hand":
        return (
          ((stopped && followed) ||
            (record.status === STARTED_BY_HAND && record.startedByHandAt === change.at)) &&
          set({ status: STARTED_BY_HAND, startedByHandAt: change.at, ...note(change.note) }, [
            "followUpRegion",
          ])
        );
      case "stop-following":
        return record.status !== RESTART_PENDING && set({ note: change.note }, ["followUpRegion"]);
      case "restart-rule":
        if (!followed) return false;
        return change.rule === undefined
          ? set({}, ["restartRule", "restartRuleSource", "restartRuleSince"])
          : set({
              restartRule: change.rule,
              restartRuleSource: change.source,
              restartRuleSince: change.since,
            });
    }
  }
}

/** A logger that keeps each line. */
export class FakeLogger implements RunLogger {
  readonly lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: "info", message, extra: Object.assign({}, ...extra) });
  }
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: "warn", message, extra: Object.assign({}, ...extra) });
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: "error", message, extra: Object.assign({}, ...extra) });
  }
}

/** A notifier that keeps each digest, or fails with `failure`. */
export class FakeNotifier implements Notifier {
  readonly sent: Digest[] = [];
  /** Messages to other topics (a model's notify tag), in order. */
  readonly sentTo: (Digest & { topicArn: string })[] = [];
  failure: Error | undefined;
  async publish(digest: Digest): Promise<void> {
    if (this.failure) throw this.failure;
    this.sent.push(digest);
  }
  async publishTo(topicArn: string, digest: Digest): Promise<void> {
    if (this.failure) throw this.failure;
    this.sentTo.push({ ...digest, topicArn });
  }
}

/** An error with an AWS-like name. */
/** Keeps every entry put, per region; an entry whose model ARN is in `refused` gets that error code. */
export class FakeEvents implements EventPublisher {
  readonly put_: { region: string; entries: EventEntry[] }[] = [];
  readonly refused = new Map<string, string>();
  failure: Error | undefined;
  async put(region: string, entries: readonly EventEntry[]): Promise<EntryOutcome[]> {
    if (this.failure) throw this.failure;
    this.put_.push({ region, entries: [...entries] });
    return entries.map((entry, index) => {
      const code = this.refused.get(entry.resources[0] ?? "");
      return code ? { error: `PutEvents refused the entry: ${code}` } : { eventId: `e-${region}-${index}` };
    });
  }
  get entries(): EventEntry[] {
    return this.put_.flatMap((call) => call.entries);
  }
}

/** Keeps every model's tags; a model in `failures` fails with that error. */
export class FakeTagger implements ModelTagger {
  readonly tags = new Map<string, Record<string, string>>();
  readonly failures = new Map<string, Error>();
  readonly calls: string[] = [];
  async tag(region: string, modelArn: string, tags: Readonly<Record<string, string>>): Promise<void> {
    this.calls.push(`${region} ${modelArn}`);
    const failure = this.failures.get(modelArn);
    if (failure) throw failure;
    this.tags.set(modelArn, { ...this.tags.get(modelArn), ...tags });
  }
}

export const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
