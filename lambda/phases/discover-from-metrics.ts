/**
 * Phase "discover from metrics" (`discovery=metrics-first`): the running models of one region, found from their
 * CloudWatch metrics instead of by describing every project. Only a model with InServiceInferenceUnits data can
 * ever be stopped, and only one whose metrics say idle needs its tags, so:
 *
 * 1. it lists the models that published InServiceInferenceUnits in the past three hours (ListMetrics, every page);
 * 2. it screens their usage in GetMetricData batches, by the configured threshold and no tags (core/screen.ts). A
 *    busy or recently started model is kept whatever its tags say: it is judged by name and never described;
 * 3. it examines the idle ones, most expensive first, a project at a time: the project's ARN (DescribeProjects,
 *    10 names a call) and tags (a project opted out or snoozed keeps its models by name, undescribed), its idle
 *    versions (DescribeProjectVersions, 10 names a call), and hands over those still RUNNING. Read tags, read metrics and decide then judge them as after a full discovery, with each model's own
 *    threshold from its tags; read metrics reads again only a model whose tags set another threshold.
 *
 * With a {@link StopBudget} it examines no more candidates than the run can stop; the rest are reported by name as
 * idle, for the next run. If ListMetrics fails, the region is discovered in full instead and the failure reported.
 * ListMetrics can take up to 15 minutes to list a model just started: that only delays its stop, since a model
 * started that recently has not been in service for a whole window.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { UsageReader } from "../adapters/metrics.ts";
import {
  type ModelDirectory,
  NAMES_PER_DESCRIBE,
  type NotConsidered,
  type Problem,
  type Unfinished,
} from "../adapters/rekognition.ts";
import type { StopperConfig } from "../config.ts";
import { usageWindow } from "../core/decide.ts";
import { type Screened, screen } from "../core/screen.ts";
import { projectKeepsItsModels } from "../core/tag-policy.ts";
import type { ModelUsage, NamedModel, NamedVerdict, RunningModel, Verdict } from "../core/types.ts";
import type { Source } from "../pipeline.ts";
import { type DiscoverInput, type DiscoveryReport, discover } from "./discover.ts";
import { type ProjectTagCache, projectTagsOf } from "./read-tags.ts";

/** Where to discover, and what else to take into account. */
export interface DiscoverFromMetricsInput extends DiscoverInput {
  /** The run's clock reading, epoch ms: the end of the screen's window. */
  readonly now: number;
  /** Models to examine whatever their metrics say: those an earlier run left a STOP_PENDING record for. */
  readonly mustExamine?: readonly NamedModel[];
  /** Limits the idle candidates examined to what the run can stop; without one, every candidate is examined. */
  readonly budget?: StopBudget;
  /** Told the screen's reading of each idle candidate, so that read metrics need not read it again. */
  readonly screened?: Map<string, { readonly idleMinutes: number; readonly usage: ModelUsage }>;
  /** Projects' tags, shared with read tags: each project's are read once, before its versions are described. */
  readonly projectTags?: ProjectTagCache;
}

/** The settings the screen and the budget work by. */
export type DiscoverFromMetricsSettings = Pick<
  StopperConfig,
  "idleMinutes" | "pricePerInferenceUnitHour" | "maxStopsPerRun" | "optOutTagKey"
>;

/**
 * How many idle candidates metrics-first discovery may still examine: no more than the run can stop. A model handed
 * over is open until its tags are read; then it counts as a likely stop unless its tags keep it. Discovery examines
 * more candidates only while the likely stops and the open models together are under the cap, so a run with more
 * idle models than `maxStopsPerRun` reads the tags of about as many as it stops, not of all of them.
 */
export class StopBudget {
  private open = 0;
  private likely = 0;
  private waiting: (() => void)[] = [];

  constructor(readonly cap: number) {}

  /** Resolves true once another candidate may be examined, false once the likely stops alone fill the cap. */
  async room(): Promise<boolean> {
    while (this.likely < this.cap && this.likely + this.open >= this.cap)
      await new Promise<void>((wake) => this.waiting.push(wake));
    return this.likely < this.cap;
  }

  /** Candidates taken for examination. */
  opened(count: number): void {
    this.open += count;
  }

  /** Candidates that left the examination before their tags were read (not running any more, or not described). */
  released(count: number): void {
    this.open = Math.max(0, this.open - count);
    this.wake();
  }

  /** A candidate's tags were read: a likely stop unless they keep it (or could not be read). */
  tagged(likelyStop: boolean): void {
    this.open = Math.max(0, this.open - 1);
    if (likelyStop) this.likely += 1;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}

/** An idle candidate: its names and the screen's verdict (absent for a model examined whatever its metrics). */
interface Candidate {
  readonly model: NamedModel;
  readonly verdict?: Verdict;
}

/** The candidates of one project examined together: one DescribeProjectVersions call. */
interface Unit {
  readonly projectName: string;
  readonly candidates: readonly Candidate[];
}

const nameOf = (model: NamedModel) => `${model.projectName}/${model.versionName}`;
const costOf = (candidate: Candidate) => candidate.verdict?.facts.estimatedHourlyCostUsd ?? 0;

/** The metrics-first discover phase: a source of the region's running idle candidates that ends with its report. */
export function discoverFromMetrics(
  deps: { readonly directory: ModelDirectory; readonly usage: UsageReader },
  config: DiscoverFromMetricsSettings,
  input: DiscoverFromMetricsInput,
): Source<RunningModel, DiscoveryReport> {
  const source: Source<RunningModel, DiscoveryReport> = async (emit) => {
    const { region } = input;
    let listed: NamedModel[];
    try {
      listed = await deps.usage.listInService(region);
    } catch (error) {
      // Without the list there is nothing to start from: describe every project, as discovery=full does.
      const full = await discover(deps, input)(emit);
      return {
        ...full,
        errors: [
          {
            message:
              `ListMetrics in ${region} failed (${errorMessage(error)}); the region was discovered in full ` +
              "instead, describing every project",
          },
          ...full.errors,
        ],
      };
    }

    const errors: Problem[] = [];
    const notConsidered: NotConsidered[] = [];
    const unfinished: Unfinished[] = [];
    const judgedByName: NamedVerdict[] = [];
    const forced = new Map(
      (input.mustExamine ?? []).filter((m) => m.region === region).map((m) => [nameOf(m), m]),
    );
    const toScreen = listed.filter((model) => !forced.has(nameOf(model)));
    const usage = await deps.usage.readUsageByName(
      region,
      toScreen,
      usageWindow(input.now, config.idleMinutes),
    );
    const idle: Candidate[] = [];
    for (const [index, model] of toScreen.entries()) {
      const evidence = usage[index] ?? { error: "CloudWatch returned nothing for the model" };
      const screened: Screened = screen({
        usage: evidence,
        now: input.now,
        idleMinutes: config.idleMinutes,
        pricePerInferenceUnitHour: config.pricePerInferenceUnitHour,
      });
      if (screened.kind === "not-in-service") continue;
      if (screened.kind === "idle") {
        idle.push({ model, verdict: screened.verdict });
        if (!("error" in evidence))
          input.screened?.set(nameOf(model), { idleMinutes: config.idleMinutes, usage: evidence });
      } else {
        judgedByName.push({ model, verdict: screened.verdict });
        if ("error" in evidence) errors.push({ message: `${nameOf(model)} in ${region}: ${evidence.error}` });
      }
    }

    // Most expensive first, as the cap stops them; then by name, so a run examines them in the same order.
    idle.sort((a, b) => costOf(b) - costOf(a) || nameOf(a.model).localeCompare(nameOf(b.model)));
    const forcedUnits = toUnits([...forced.values()].map((model) => ({ model })));
    const units = [...forcedUnits, ...toUnits(idle)];
    const projectArn = projectArnLookup(deps.directory, region, units, (skipped) =>
      notConsidered.push(...skipped),
    );
    const examinations: Promise<void>[] = [];
    const projectTags = input.projectTags ?? new Map();
    const examine = async (unit: Unit): Promise<void> => {
      const names = unit.candidates.map((candidate) => candidate.model.versionName);
      let handedOver = 0;
      try {
        const arn = await projectArn(unit.projectName);
        // Not a Custom Labels project (Content Moderation adapters publish the metric too), or deleted since.
        if (arn === undefined) return;
        // A project opted out or snoozed keeps every model of it: its versions need not be described. Tags that
        // cannot be read are read tags' to report, model by model. A model with an unfinished record is described
        // all the same: its decision completes the record.
        const kept = await projectTagsOf(projectTags, deps.directory, region, arn).then(
          (tags) => projectKeepsItsModels(tags, config.optOutTagKey, input.now),
          () => undefined,
        );
        const mustExamine = unit.candidates.some((candidate) => candidate.verdict === undefined);
        if (kept !== undefined && !mustExamine) {
          for (const { model, verdict } of unit.candidates)
            judgedByName.push({
              model,
              verdict: {
                action: "keep",
                reason: kept.reason,
                facts: verdict?.facts ?? { idleMinutes: config.idleMinutes },
                cause: kept.cause,
              },
            });
          return;
        }
        let described: Awaited<ReturnType<ModelDirectory["describeModels"]>>;
        try {
          described = await deps.directory.describeModels(region, arn, names);
        } catch (error) {
          errors.push({
            arn,
            message: `DescribeProjectVersions failed for ${names.join(", ")}: ${errorMessage(error)}`,
          });
          return;
        }
        notConsidered.push(...described.notConsidered);
        errors.push(...described.problems);
        for (const model of described.running) {
          handedOver += 1;
          emit(model);
        }
      } catch (error) {
        errors.push({
          message:
            `DescribeProjects failed for project ${unit.projectName} in ${region}, so ` +
            `${names.join(", ")} could not be examined: ${errorMessage(error)}`,
        });
      } finally {
        input.budget?.released(unit.candidates.length - handedOver);
      }
    };

    for (const [index, unit] of units.entries()) {
      // Models with an unfinished record are examined whatever the budget says: their record must be completed.
      const room = index < forcedUnits.length || !input.budget || (await input.budget.room());
      // Asked after any wait for room, so the time it took counts.
      if (input.mayContinue && !input.mayContinue()) {
        for (const rest of units.slice(index))
          for (const { model } of rest.candidates)
            unfinished.push({
              model: nameOf(model),
              region,
              reason: "idle by its metrics, but not examined: the run was out of time",
            });
        break;
      }
      if (!room && input.budget) {
        const cap = input.budget.cap;
        for (const rest of units.slice(index))
          for (const { model, verdict } of rest.candidates)
            if (verdict)
              judgedByName.push({
                model,
                verdict: {
                  action: "keep",
                  reason:
                    `${verdict.reason}; but not examined further: this run already has ${cap} models to stop ` +
                    "(MAX_STOPS_PER_RUN), so its tags were not read; it will be considered again next run",
                  facts: verdict.facts,
                  cause: "held",
                },
              });
        break;
      }
      input.budget?.opened(unit.candidates.length);
      examinations.push(examine(unit));
    }
    await Promise.all(examinations);
    return { errors, unfinished, notConsidered, judgedByName };
  };
  return async (emit) => {
    try {
      return await source(emit);
    } catch (error) {
      // The models handed over so far are still real: they go on; the region's failure is reported, as by discover.
      return {
        errors: [{ message: `discovery in ${input.region} failed: ${errorMessage(error)}` }],
        unfinished: [],
        notConsidered: [],
      };
    }
  };
}

/** The candidates grouped by project, in the order of each project's first candidate, at most 10 a unit. */
function toUnits(candidates: readonly Candidate[]): Unit[] {
  const byProject = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const list = byProject.get(candidate.model.projectName) ?? [];
    list.push(candidate);
    byProject.set(candidate.model.projectName, list);
  }
  const units: Unit[] = [];
  for (const [projectName, list] of byProject)
    for (let start = 0; start < list.length; start += NAMES_PER_DESCRIBE)
      units.push({ projectName, candidates: list.slice(start, start + NAMES_PER_DESCRIBE) });
  return units;
}

/**
 * Project ARNs by name, looked up as units need them, ten names a DescribeProjects call: the project asked for and
 * the next ones in the units' order that are not looked up yet.
 */
function projectArnLookup(
  directory: ModelDirectory,
  region: string,
  units: readonly Unit[],
  onNotConsidered: (skipped: readonly NotConsidered[]) => void,
): (projectName: string) => Promise<string | undefined> {
  const order = [...new Set(units.map((unit) => unit.projectName))];
  const position = new Map(order.map((name, index) => [name, index]));
  const lookups = new Map<string, Promise<Map<string, string>>>();
  return async (projectName) => {
    let lookup = lookups.get(projectName);
    if (!lookup) {
      const names = [projectName];
      for (let index = (position.get(projectName) ?? order.length) + 1; index < order.length; index += 1) {
        if (names.length >= NAMES_PER_DESCRIBE) break;
        const next = order[index] as string;
        if (!lookups.has(next)) names.push(next);
      }
      lookup = directory.projectArns(region, names).then(({ arns, notConsidered }) => {
        onNotConsidered(notConsidered);
        return arns;
      });
      for (const name of names) lookups.set(name, lookup);
    }
    return (await lookup).get(projectName);
  };
}
