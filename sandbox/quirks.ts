/**
 * Wire quirks: answers that are legal, or at least seen in the wild, but that well-behaved test data never
 * produces: short and empty pages, a NextToken that repeats, descriptions with fields missing or values the service
 * model does not list, GetMetricData results left PartialData or InternalError. They let a test check that the code
 * under test keeps going, with a clear reason, when AWS answers oddly. Off unless set.
 */

/** The Rekognition listings that page with NextToken. */
export const LISTING_OPERATIONS = ["DescribeProjects", "DescribeProjectVersions"] as const;

/** One of {@link LISTING_OPERATIONS}. */
export type ListingOperation = (typeof LISTING_OPERATIONS)[number];

/** The StatusCode values of a GetMetricData result. */
export const METRIC_STATUS_CODES = ["Complete", "InternalError", "PartialData", "Forbidden"] as const;

/** How one model's GetMetricData results are answered. */
export interface MetricResultQuirk {
  /** The StatusCode of every result of the model's queries, on every page. InternalError and Forbidden results
   * carry no datapoints. @default the real status */
  readonly statusCode?: (typeof METRIC_STATUS_CODES)[number];
  /** Messages of each result. @default [] */
  readonly messages?: readonly { readonly Code: string; readonly Value: string }[];
  /** Leave the model's results out of the answer altogether. @default false */
  readonly omit?: boolean;
}

/** Rekognition quirks. */
export interface RekognitionQuirks {
  /** Most items a DescribeProjects or DescribeProjectVersions page holds, whatever MaxResults asks (AWS may return
   * fewer than asked). @default MaxResults */
  readonly maxPageSize?: number;
  /** Listings whose first page is empty but has a NextToken, which leads to the real first page. @default [] */
  readonly emptyFirstPage?: readonly ListingOperation[];
  /** Listings that answer a page asked for with a NextToken with that same NextToken again, even on the last
   * page: a client without a guard pages forever. @default [] */
  readonly repeatNextToken?: readonly ListingOperation[];
  /**
   * Fields of a project's (DescribeProjects) or model's (DescribeProjectVersions) description replaced on the
   * wire, by ARN; `null` removes the field. E.g. `{ [arn]: { Status: "HIBERNATING", MinInferenceUnits: null } }`.
   * The sandbox's own state does not change. @default {}
   */
  readonly describe?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** CloudWatch quirks. */
export interface CloudWatchQuirks {
  /** GetMetricData results by the queries' `ProjectName/VersionName` dimensions. @default {} */
  readonly metricResults?: Readonly<Record<string, MetricResultQuirk>>;
  /**
   * Messages of every GetMetricData answer as a whole (its top-level `Messages`), as AWS sends when it ran only
   * part of a call, e.g. `{ Code: "MaxMetricsExceeded", Value: "Maximum number of allowed metrics exceeded" }`.
   * @default []
   */
  readonly getMetricDataMessages?: readonly { readonly Code: string; readonly Value: string }[];
  /**
   * Minutes before ListMetrics lists a new metric (its first datapoint, or the first after two weeks without
   * any). AWS documents up to 15. @default 0
   */
  readonly listingDelayMinutes?: number;
}

/** Every quirk of the sandbox. Setting them replaces the previous ones. */
export interface WireQuirks {
  readonly rekognition?: RekognitionQuirks;
  readonly cloudwatch?: CloudWatchQuirks;
}

/** Throws a RangeError naming the first quirk that cannot be applied. */
export function checkQuirks(quirks: WireQuirks): void {
  const rekognition = quirks.rekognition ?? {};
  const size = rekognition.maxPageSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1))
    throw new RangeError(`Quirk rekognition.maxPageSize is ${size}; it must be a whole number ≥ 1`);
  for (const key of ["emptyFirstPage", "repeatNextToken"] as const) {
    for (const operation of rekognition[key] ?? []) {
      if (!(LISTING_OPERATIONS as readonly string[]).includes(operation))
        throw new RangeError(
          `Quirk rekognition.${key}: ${operation} is not one of ${LISTING_OPERATIONS.join(", ")}`,
        );
    }
  }
  const delay = quirks.cloudwatch?.listingDelayMinutes;
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0))
    throw new RangeError(
      `Quirk cloudwatch.listingDelayMinutes is ${delay}; it must be a number of minutes ≥ 0`,
    );
  for (const [name, quirk] of Object.entries(quirks.cloudwatch?.metricResults ?? {})) {
    if (!/^[^/]+\/[^/]+$/.test(name))
      throw new RangeError(`Quirk cloudwatch.metricResults: ${name} is not ProjectName/VersionName`);
    if (quirk.statusCode !== undefined && !METRIC_STATUS_CODES.includes(quirk.statusCode))
      throw new RangeError(
        `Quirk cloudwatch.metricResults.${name}.statusCode: ${quirk.statusCode} is not one of ${METRIC_STATUS_CODES.join(", ")}`,
      );
  }
}

/** A description with a quirk's fields replaced (`null` removes one). */
export function overrideFields<T extends Record<string, unknown>>(
  description: T,
  fields: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  if (!fields) return description;
  const changed: Record<string, unknown> = { ...description };
  for (const [field, value] of Object.entries(fields)) {
    if (value === null) delete changed[field];
    else changed[field] = value;
  }
  return changed;
}
