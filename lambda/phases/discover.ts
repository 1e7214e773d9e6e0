/**
 * Phase "discover": the RUNNING Custom Labels models of one region, handed over one at a time as each project's
 * versions are listed, so that the next phases start on the first models while discovery reads the rest.
 */

import { errorMessage } from "../adapters/errors.ts";
import type { ModelDirectory, NotConsidered, Problem, Unfinished } from "../adapters/rekognition.ts";
import type { NamedVerdict, RunningModel } from "../core/types.ts";
import type { Source } from "../pipeline.ts";

/** Where to discover, and for how long. */
export interface DiscoverInput {
  readonly region: string;
  /** Asked before each project is described; once it says no, the remaining projects are reported as unfinished. */
  readonly mayContinue?: () => boolean;
}

/** What discovery of a region says once it is done, beyond the models it handed over. */
export interface DiscoveryReport {
  readonly errors: readonly Problem[];
  /** Projects it did not describe before the run's deadline. */
  readonly unfinished: readonly Unfinished[];
  /** Projects and models seen but not judged: a status or feature the stopper does not know. */
  readonly notConsidered: readonly NotConsidered[];
  /** Models judged by name only, never handed over: metrics-first discovery keeps them without describing them. */
  readonly judgedByName?: readonly NamedVerdict[];
}

/** The discover phase: a source of the region's running models that ends with its report. */
export function discover(
  deps: { readonly directory: ModelDirectory },
  input: DiscoverInput,
): Source<RunningModel, DiscoveryReport> {
  return async (emit) => {
    try {
      const found = await deps.directory.discover(
        input.region,
        (models) => {
          for (const model of models) emit(model);
        },
        input.mayContinue,
      );
      return { errors: found.errors, unfinished: found.unfinished, notConsidered: found.notConsidered };
    } catch (error) {
      // The models handed over so far are still real: they go on; the region's failure is reported.
      return {
        errors: [{ message: `discovery in ${input.region} failed: ${errorMessage(error)}` }],
        unfinished: [],
        notConsidered: [],
      };
    }
  };
}
