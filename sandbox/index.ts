/**
 * The local AWS sandbox: Rekognition Custom Labels, CloudWatch metrics, DynamoDB (dynalite), SNS, CloudFormation's
 * DescribeStacks and EventBridge's PutEvents on loopback ports, with fault knobs and a call log, for end-to-end tests
 * and demos of the real Lambda bundle and the CLI.
 */

import type http from "node:http";
import type { ModelMismatch } from "./api-model-check.ts";
import { ApiModelMismatchError, ApiModelTally, type OperationTally } from "./api-model-tally.ts";
import {
  type AnsweredCall,
  type CallRecord,
  countFaults,
  type FaultCounts,
  type ServiceName,
} from "./call-log.ts";
import {
  createCloudFormationEndpoint,
  type SandboxStack,
  StackStore,
  type StoredStack,
} from "./cloudformation-endpoint.ts";
import { createCloudWatchEndpoint } from "./cloudwatch-endpoint.ts";
import { type DynamoDbEndpoint, startDynamoDb } from "./dynamodb-endpoint.ts";
import { createEventBridgeEndpoint, type PutEvent } from "./eventbridge-endpoint.ts";
import { FaultInjector, type FaultSettings } from "./faults.ts";
import { close, type EndpointRuntime, listen } from "./http-endpoint.ts";
import { iamFactsOf } from "./iam-facts.ts";
import { checkLateness, type MetricDatum, MetricStore } from "./metric-store.ts";
import {
  createOrganizationsEndpoint,
  createStepFunctionsEndpoint,
  createStsEndpoint,
  type OrganizationSpec,
  otherRoleAccessKeyOf,
  type RegisteredExecution,
  spokeAccessKeyOf,
} from "./organization-endpoints.ts";
import { recordProof } from "./proof-ledger.ts";
import { checkQuirks, type WireQuirks } from "./quirks.ts";
import {
  countRateLimited,
  RATE_LIMITED_SERVICES,
  type RateLimitCounts,
  type RateLimitedService,
  RateLimiter,
  type RateLimitSettings,
} from "./rate-limits.ts";
import { createRekognitionEndpoint } from "./rekognition-endpoint.ts";
import {
  type ModelSnapshot,
  type ModelStatus,
  type ProjectSnapshot,
  RekognitionState,
  snapshotModel,
  snapshotProject,
} from "./rekognition-state.ts";
import { applySeed, type SeedResult, type SeedSpec } from "./seed.ts";
import { createSnsEndpoint, type PublishedMessage } from "./sns-endpoint.ts";

export { COMMON_ERRORS, describeMismatch, type ModelMismatch } from "./api-model-check.ts";
export { ApiModelMismatchError, type OperationTally } from "./api-model-tally.ts";
export {
  type AnsweredCall,
  type CallRecord,
  CLIENT_GONE,
  CLIENT_GONE_STATUS,
  type FaultCounts,
  type InjectedFault,
  type ServiceName,
} from "./call-log.ts";
export { PINNED_START_MILLIS, pinnedClock } from "./clock.ts";
export type { SandboxStack, StackOutput, StoredStack } from "./cloudformation-endpoint.ts";
export type { PutEvent } from "./eventbridge-endpoint.ts";
export type {
  CloudWatchFaults,
  DynamoDbFaults,
  EventBridgeFaults,
  FaultDraws,
  FaultKnobs,
  FaultSettings,
  RekognitionFaults,
  ServiceFaults,
} from "./faults.ts";
export type { MetricDatum } from "./metric-store.ts";
export type {
  MemberAccountSpec,
  OrganizationSpec,
  RegisteredExecution,
} from "./organization-endpoints.ts";
export { spokeAccessKeyOf } from "./organization-endpoints.ts";
export {
  type CloudWatchQuirks,
  LISTING_OPERATIONS,
  type ListingOperation,
  METRIC_STATUS_CODES,
  type MetricResultQuirk,
  type RekognitionQuirks,
  type WireQuirks,
} from "./quirks.ts";
export {
  BENCH_RATE_LIMITS,
  type OperationRateLimits,
  type RateLimit,
  type RateLimitCounts,
  type RateLimitedService,
  type RateLimitSettings,
  scaleRateLimits,
} from "./rate-limits.ts";
export {
  MODEL_STATUSES,
  type ModelSnapshot,
  type ModelStatus,
  modelArnOf,
  PROJECT_FEATURES,
  type ProjectFeature,
  type ProjectSnapshot,
  projectArnOf,
} from "./rekognition-state.ts";
export {
  type InServiceSpan,
  REKOGNITION_NAMESPACE,
  type RequestBurst,
  type RequestMetricName,
  SEED_BASE_MILLIS,
  type SeedProject,
  type SeedResult,
  type SeedSpec,
  type SeedVersion,
  seedCreationMillis,
  seedDatapoints,
} from "./seed.ts";
export type { PublishedMessage } from "./sns-endpoint.ts";

/** How to start the sandbox. Every field is optional. */
export interface SandboxOptions {
  /** The account id in every ARN. @default "123456789012" */
  readonly account?: string;
  /** AWS_REGION in `env`, the region of unsigned requests and of seeded projects without one. @default "us-east-1" */
  readonly region?: string;
  /** Milliseconds a model stays STARTING or STOPPING before it becomes RUNNING or STOPPED. @default 0 */
  readonly transitionDelayMs?: number;
  /** Fault knobs from the start. @default no faults, PRNG seed 1 */
  readonly faults?: FaultSettings;
  /** Per-operation rate limits (token buckets per region), e.g. {@link BENCH_RATE_LIMITS}. @default none */
  readonly rateLimits?: RateLimitSettings;
  /** The sandbox's clock (epoch ms): transitions, seeding's `now`, GetMetricData's StartTime rounding, and the
   * refill of rate-limit buckets. @default Date.now (and a monotonic clock for the buckets) */
  readonly clock?: () => number;
  /** Ports to listen on; 0 picks a free one. A port in use is a {@link PortInUseError}. @default 0 for each */
  readonly ports?: {
    readonly rekognition?: number;
    readonly cloudwatch?: number;
    readonly dynamodb?: number;
    readonly sns?: number;
    readonly cloudformation?: number;
    readonly eventbridge?: number;
  };
  /** Data to load before the endpoints start. @default nothing */
  readonly seed?: SeedSpec;
  /** Odd but possible answers (short, empty and looping pages, odd descriptions and metric results). @default none */
  readonly quirks?: WireQuirks;
  /** Called with each call as it is logged, even after `clearCalls()`. @default none */
  readonly onCall?: (call: CallRecord) => void;
  /**
   * Check every Rekognition, CloudWatch and SNS answer (and each input accepted) against AWS's API models
   * (api-models.ts); see `modelMismatches()`. Off only to measure what the check costs. @default true
   */
  readonly checkApiModels?: boolean;
  /**
   * Seconds after its timestamp, on the sandbox's clock, before GetMetricData sees a datapoint that has no delay
   * of its own (CloudWatch delivers AWS's metrics minutes late). @default 0
   */
  readonly metricDelaySeconds?: number;
  /**
   * An AWS Organization around the sandbox's account (issue 11): member accounts, each a world of its own (its own
   * Rekognition projects, metrics and rate-limit buckets) reached through STS AssumeRole of its spoke role, OUs
   * listed by Organizations, and Step Functions' ListExecutions. @default none: one account
   */
  readonly organization?: OrganizationSpec;
}

/**
 * The access key id in `env`: the test harness's own identity (seeding, reading tables). The bundle and the CLI
 * sign with keys of their own, so the permission check can tell their calls from the harness's.
 */
export const HARNESS_ACCESS_KEY_ID = "SANDBOXACCESSKEYID";

/** The environment a child process needs to talk to the sandbox with the AWS SDK v3 (and the AWS CLI). */
export interface SandboxEnv {
  readonly AWS_ENDPOINT_URL_REKOGNITION: string;
  readonly AWS_ENDPOINT_URL_CLOUDWATCH: string;
  readonly AWS_ENDPOINT_URL_DYNAMODB: string;
  readonly AWS_ENDPOINT_URL_SNS: string;
  readonly AWS_ENDPOINT_URL_CLOUDFORMATION: string;
  readonly AWS_ENDPOINT_URL_EVENTBRIDGE: string;
  readonly AWS_ENDPOINT_URL_STS?: string;
  readonly AWS_ENDPOINT_URL_ORGANIZATIONS?: string;
  readonly AWS_ENDPOINT_URL_SFN?: string;
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_REGION: string;
  /** The same region, for the AWS CLI v1, which reads AWS_DEFAULT_REGION and ignores AWS_REGION. */
  readonly AWS_DEFAULT_REGION: string;
}

/** The services of the sandbox, each on a port of its own, in the order `--port` places them. */
export const SANDBOX_SERVICES = [
  "rekognition",
  "cloudwatch",
  "dynamodb",
  "sns",
  "cloudformation",
  "eventbridge",
] as const;

/** One of {@link SANDBOX_SERVICES}. */
export type SandboxService = (typeof SANDBOX_SERVICES)[number];

/** A port the sandbox was asked to listen on is taken; nothing of the sandbox is left running. */
export class PortInUseError extends Error {
  constructor(
    readonly service: SandboxService,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`port ${port} (${service}) is already in use on 127.0.0.1`, options);
    this.name = "PortInUseError";
  }
}

/** Reads and adds the stacks that DescribeStacks answers for. */
export interface CloudFormationAccess {
  /** Adds a stack, or replaces the one of that name in its region. */
  putStack(stack: SandboxStack): StoredStack;
  /** Every stack. */
  stacks(): StoredStack[];
}

/** Reads and changes the Rekognition state directly, without HTTP. */
export interface RekognitionAccess {
  /** The ARN of a project; throws when the region has no project of that name. */
  projectArn(projectName: string, region?: string): string;
  /** The ARN of a model; throws when there is no such project or version. */
  modelArn(projectName: string, versionName: string, region?: string): string;
  /** A model by ARN, its pending transition settled, or undefined. */
  model(arn: string): ModelSnapshot | undefined;
  /** Every model of every region. */
  models(): ModelSnapshot[];
  /** Every project of every region. */
  projects(): ProjectSnapshot[];
  /** Sets a model's status at once, cancelling a pending transition. */
  setModelStatus(arn: string, status: ModelStatus): void;
  /** Milliseconds a model stays STARTING or STOPPING; applies to transitions begun after the change. */
  transitionDelayMs: number;
}

/** Writes and counts CloudWatch datapoints directly, without HTTP. */
export interface CloudWatchAccess {
  /**
   * Stores datapoints in a region (any namespace, AWS/ included). A datum's `delaySeconds` and `visibleAfterCalls`
   * deliver it late (see metric-store.ts).
   */
  insert(region: string, data: readonly MetricDatum[]): void;
  /** How many datapoints are stored. */
  readonly datapointCount: number;
  /** Forgets every datapoint. */
  clear(): void;
  /** GetMetricData calls answered so far (each page counts); a datum's `visibleAfterCalls` counts from its storing. */
  readonly getMetricDataAnswers: number;
  /** Seconds before a datapoint without a delay of its own is visible; applies at once, to every such datapoint. */
  metricDelaySeconds: number;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URLs, e.g. `http://127.0.0.1:40123`. */
  readonly endpoints: {
    readonly rekognition: string;
    readonly cloudwatch: string;
    readonly dynamodb: string;
    readonly sns: string;
    readonly cloudformation: string;
    readonly eventbridge: string;
    /** The organization mode's, present with `organization`. */
    readonly sts?: string;
    readonly organizations?: string;
    readonly sfn?: string;
  };
  /** AWS_ENDPOINT_URL_* plus dummy credentials and AWS_REGION, to spread into a child process's env. */
  readonly env: SandboxEnv;
  readonly account: string;
  readonly region: string;
  readonly rekognition: RekognitionAccess;
  readonly cloudwatch: CloudWatchAccess;
  /** The stack's SNS topic, what was published to it or to any topic, and more topics for a test. */
  readonly sns: {
    readonly topicArn: string;
    readonly messages: readonly PublishedMessage[];
    /** Creates a topic (a model's own, for its notify tag) and returns its ARN. @param region @default the sandbox's */
    createTopic(name: string, region?: string): string;
  };
  /** The stacks CloudFormation's DescribeStacks answers for. */
  readonly cloudformation: CloudFormationAccess;
  /** What EventBridge took: every event put on a default bus, oldest first (a live, read-only view). */
  readonly eventbridge: { readonly events: readonly PutEvent[] };
  /**
   * A member account of the organization: its own Rekognition and CloudWatch, seeded and read like the sandbox's.
   * Throws for an account the organization does not hold.
   */
  inAccount(accountId: string): AccountAccess;
  /** Executions a test registers (and updates) for Step Functions' ListExecutions. */
  readonly executions: RegisteredExecution[];
  /** Every answered request so far, oldest first (a live, read-only view). */
  readonly calls: readonly CallRecord[];
  /** Forgets the call log (and so the fault counts). */
  clearCalls(): void;
  /** Replaces every fault knob; a `seed` restarts the PRNGs. Throws on an out-of-range knob. */
  setFaults(settings: FaultSettings): void;
  /** Faults injected so far, per service and operation (counted from the call log). */
  faultCounts(): Record<ServiceName, FaultCounts>;
  /** Replaces every rate limit and refills the buckets; `{}` turns them off. Throws on a bad limit. */
  setRateLimits(settings: RateLimitSettings): void;
  /** Calls refused by a rate limit so far, per service and operation (counted from the call log). */
  rateLimitCounts(): Record<RateLimitedService, RateLimitCounts>;
  /** Replaces every wire quirk; `{}` turns them off. Throws on a quirk that cannot be applied. */
  setQuirks(quirks: WireQuirks): void;
  /** Loads projects, models and usage history. */
  seed(spec: SeedSpec): SeedResult;
  /** Answers (or accepted inputs) of Rekognition, CloudWatch and SNS that broke the API models; none is the goal. */
  modelMismatches(): readonly ModelMismatch[];
  /** Deviations from the API models that wire quirks made on purpose (reported, not failed). */
  modelDeviations(): readonly ModelMismatch[];
  /** Answers checked against the API models so far, per operation, with their mismatches and deviations. */
  modelCheckCounts(): OperationTally[];
  /** Throws an {@link ApiModelMismatchError} listing every mismatch, if there is any. */
  assertMatchesApiModels(): void;
  /** Closes every server and connection; the process can then exit by itself. Safe to call twice. */
  stop(): Promise<void>;
}

/** One account's own Rekognition and CloudWatch. */
export interface AccountAccess {
  readonly rekognition: RekognitionAccess;
  readonly cloudwatch: CloudWatchAccess;
  /** Loads projects, models and usage history into this account. */
  seed(spec: SeedSpec): SeedResult;
}

const DEFAULT_ACCOUNT = "123456789012";
const DEFAULT_REGION = "us-east-1";
const DEFAULT_FAULT_SEED = 1;

/** Starts the endpoints on 127.0.0.1 and returns the sandbox. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const account = options.account ?? DEFAULT_ACCOUNT;
  if (!/^\d{12}$/.test(account)) throw new Error(`account must be 12 digits, got ${JSON.stringify(account)}`);
  const region = options.region ?? DEFAULT_REGION;
  const clock = options.clock ?? Date.now;
  const state = new RekognitionState(account, clock, options.transitionDelayMs ?? 0);
  const metrics = new MetricStore();
  // Each member account of the organization is a world of its own; any other caller acts in the sandbox's account.
  const members = new Map(
    (options.organization?.accounts ?? []).map((member) => [
      member.id,
      {
        spec: member,
        state: new RekognitionState(member.id, clock, options.transitionDelayMs ?? 0),
        metrics: new MetricStore(),
      },
    ]),
  );
  const keyAccounts = new Map(
    [...members.keys()].flatMap((id) => [
      [spokeAccessKeyOf(id), id],
      [otherRoleAccessKeyOf(id), id],
    ]),
  );
  const accountOf = (accessKeyId: string | undefined) =>
    (accessKeyId !== undefined && keyAccounts.get(accessKeyId)) || account;
  const stateOf = (id: string) => members.get(id)?.state ?? state;
  const metricsOf = (id: string) => members.get(id)?.metrics ?? metrics;
  const executions: RegisteredExecution[] = [];
  // CloudWatch's late delivery is the same in every account of the organization.
  const setMetricDelay = (seconds: number) => {
    checkLateness("metricDelaySeconds", seconds);
    for (const store of [metrics, ...[...members.values()].map((member) => member.metrics)])
      store.deliveryDelayMs = seconds * 1000;
  };
  setMetricDelay(options.metricDelaySeconds ?? 0);
  const topicArns = new Set<string>();
  const calls: CallRecord[] = [];
  const topicArn = `arn:aws:sns:${region}:${account}:idle-model-stopper-notifications`;
  topicArns.add(topicArn);
  const messages: PublishedMessage[] = [];
  const events: PutEvent[] = [];
  const stackStore = new StackStore(account, region);
  const aborter = new AbortController();
  const seed = options.faults?.seed ?? DEFAULT_FAULT_SEED;
  const injectors: Record<ServiceName, FaultInjector> = {
    rekognition: new FaultInjector("rekognition", seed),
    cloudwatch: new FaultInjector("cloudwatch", seed),
    dynamodb: new FaultInjector("dynamodb", seed),
    eventbridge: new FaultInjector("eventbridge", seed),
  };
  const services = Object.keys(injectors) as ServiceName[];
  const setFaults = (settings: FaultSettings) => {
    // Check every service's knobs before changing any, so a bad knob leaves the old settings in place.
    for (const service of services)
      new FaultInjector(service, 0).configure(settings[service], undefined, settings.drawsBy);
    for (const service of services)
      injectors[service].configure(settings[service], settings.seed, settings.drawsBy);
  };
  if (options.faults) setFaults(options.faults);
  const bucketClock = options.clock ?? (() => performance.now());
  const limiters: Record<RateLimitedService, RateLimiter> = {
    rekognition: new RateLimiter("rekognition", bucketClock),
    cloudwatch: new RateLimiter("cloudwatch", bucketClock),
  };
  const setRateLimits = (settings: RateLimitSettings) => {
    for (const service of RATE_LIMITED_SERVICES) new RateLimiter(service).configure(settings[service]);
    for (const service of RATE_LIMITED_SERVICES) limiters[service].configure(settings[service]);
  };
  if (options.rateLimits) setRateLimits(options.rateLimits);
  let quirks: WireQuirks = {};
  const setQuirks = (settings: WireQuirks) => {
    checkQuirks(settings);
    quirks = settings;
  };
  if (options.quirks) setQuirks(options.quirks);
  // Every endpoint logs through here, so every call carries the IAM action and resource it needs.
  const record = (answered: AnsweredCall) => {
    const call: CallRecord = { ...answered, ...iamFactsOf(answered, account) };
    calls.push(call);
    options.onCall?.(call);
  };
  const models = options.checkApiModels === false ? undefined : new ApiModelTally();
  const checkAnswer = models && ((answer: Parameters<ApiModelTally["check"]>[0]) => models.check(answer));
  const runtime = (service: ServiceName): EndpointRuntime => ({
    faults: injectors[service],
    ...((service === "rekognition" || service === "cloudwatch") && { rateLimits: limiters[service] }),
    record,
    defaultRegion: region,
    signal: aborter.signal,
    // dynalite is not ours: its answers are not checked.
    ...(service !== "dynamodb" && checkAnswer && { checkAnswer }),
    ...(service !== "dynamodb" && {
      accountOf,
      defaultAccount: account,
      regionDisabled: (id: string, where: string) =>
        members.get(id)?.spec.disabledRegions?.includes(where) === true,
    }),
  });
  const seedInto = (spec: SeedSpec) =>
    spec.account !== undefined && spec.account !== account
      ? applySeed(spec, {
          state: stateOf(spec.account),
          metrics: metricsOf(spec.account),
          defaultRegion: region,
          now: clock(),
        })
      : applySeed(spec, { state, metrics, defaultRegion: region, now: clock() });
  if (options.seed) seedInto(options.seed);

  const servers: http.Server[] = [];
  let dynamo: DynamoDbEndpoint | undefined;
  const stopAll = async () => {
    aborter.abort();
    await Promise.all([...servers.map((server) => close(server)), dynamo?.close()]);
    // One ledger entry per sandbox, with counts per operation: cheap even when the bench checks tens of thousands.
    if (models && models.counts().length > 0) recordProof("validation", [models.proofEntry()]);
  };
  let endpoints: Sandbox["endpoints"];
  try {
    const rekognitionServer = createRekognitionEndpoint(
      stateOf,
      runtime("rekognition"),
      () => quirks.rekognition ?? {},
    );
    servers.push(rekognitionServer);
    const cloudwatchServer = createCloudWatchEndpoint(
      metricsOf,
      clock,
      runtime("cloudwatch"),
      () => quirks.cloudwatch ?? {},
    );
    servers.push(cloudwatchServer);
    const snsServer = createSnsEndpoint(topicArns, messages, record, region, checkAnswer);
    servers.push(snsServer);
    // The organization mode's endpoints: no fault knobs or rate limits; their answers are checked all the same.
    const quiet = (): EndpointRuntime => ({
      faults: new FaultInjector("rekognition", seed),
      record,
      defaultRegion: region,
      signal: aborter.signal,
      ...(checkAnswer && { checkAnswer }),
      accountOf,
      defaultAccount: account,
    });
    const organization = options.organization;
    const organizationServers = organization && {
      sts: createStsEndpoint(organization, {
        record,
        defaultRegion: region,
        clock,
        ...(checkAnswer && { checkAnswer }),
      }),
      organizations: createOrganizationsEndpoint(organization, account, quiet()),
      sfn: createStepFunctionsEndpoint(executions, quiet()),
    };
    if (organizationServers) servers.push(...Object.values(organizationServers));
    const cloudFormationServer = createCloudFormationEndpoint(
      stackStore,
      account,
      record,
      region,
      checkAnswer,
    );
    servers.push(cloudFormationServer);
    const eventBridgeServer = createEventBridgeEndpoint(events, account, runtime("eventbridge"), clock);
    servers.push(eventBridgeServer);
    // Each listen names its service and port when the port is taken, so the caller can say which.
    const on = async <T>(service: SandboxService, start: (port: number | undefined) => Promise<T>) => {
      const port = options.ports?.[service];
      try {
        return await start(port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE" && port !== undefined)
          throw new PortInUseError(service, port, { cause: error });
        throw error;
      }
    };
    const [rekognitionUrl, cloudwatchUrl, snsUrl, cloudFormationUrl, dynamoEndpoint, eventBridgeUrl] =
      await Promise.allSettled([
        on("rekognition", (port) => listen(rekognitionServer, port)),
        on("cloudwatch", (port) => listen(cloudwatchServer, port)),
        on("sns", (port) => listen(snsServer, port)),
        on("cloudformation", (port) => listen(cloudFormationServer, port)),
        on("dynamodb", (port) => startDynamoDb(runtime("dynamodb"), port)),
        on("eventbridge", (port) => listen(eventBridgeServer, port)),
      ]).then((results) => {
        // Whatever did start is closed below; the first failure, in the order of the services, is the one told.
        const dynamoResult = results[4];
        if (dynamoResult.status === "fulfilled") dynamo = dynamoResult.value;
        const failed = results.find((result) => result.status === "rejected");
        if (failed) throw failed.reason;
        return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [
          string,
          string,
          string,
          string,
          DynamoDbEndpoint,
          string,
        ];
      });
    // The organization mode's endpoints take free ports: npm run sandbox does not serve them.
    const [stsUrl, organizationsUrl, sfnUrl] = organizationServers
      ? await Promise.all([
          listen(organizationServers.sts),
          listen(organizationServers.organizations),
          listen(organizationServers.sfn),
        ])
      : [];
    endpoints = {
      rekognition: rekognitionUrl,
      cloudwatch: cloudwatchUrl,
      dynamodb: dynamoEndpoint.url,
      sns: snsUrl,
      cloudformation: cloudFormationUrl,
      eventbridge: eventBridgeUrl,
      ...(stsUrl && { sts: stsUrl }),
      ...(organizationsUrl && { organizations: organizationsUrl }),
      ...(sfnUrl && { sfn: sfnUrl }),
    };
  } catch (error) {
    // A port in use must not leave the other servers running.
    await stopAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const { rekognition, cloudwatch } = accessTo(state, metrics, region, setMetricDelay);
  const inAccount = (accountId: string): AccountAccess => {
    const member = members.get(accountId);
    if (!member) throw new Error(`the sandbox's organization has no account ${accountId}`);
    return {
      ...accessTo(member.state, member.metrics, region, setMetricDelay),
      seed: (spec) => seedInto({ ...spec, account: accountId }),
    };
  };
  return {
    endpoints,
    env: {
      AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition,
      AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_ENDPOINT_URL_CLOUDFORMATION: endpoints.cloudformation,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
      ...(endpoints.sts && { AWS_ENDPOINT_URL_STS: endpoints.sts }),
      ...(endpoints.organizations && { AWS_ENDPOINT_URL_ORGANIZATIONS: endpoints.organizations }),
      ...(endpoints.sfn && { AWS_ENDPOINT_URL_SFN: endpoints.sfn }),
      AWS_ACCESS_KEY_ID: HARNESS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: "sandbox-secret-access-key",
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
    },
    account,
    region,
    rekognition,
    cloudwatch,
    sns: {
      topicArn,
      messages,
      createTopic: (name, topicRegion = region) => {
        if (!/^[A-Za-z0-9_-]{1,256}$/.test(name))
          throw new RangeError(`${JSON.stringify(name)} is not a standard SNS topic name`);
        const arn = `arn:aws:sns:${topicRegion}:${account}:${name}`;
        topicArns.add(arn);
        return arn;
      },
    },
    cloudformation: { putStack: (stack) => stackStore.put(stack), stacks: () => stackStore.all() },
    eventbridge: { events },
    inAccount,
    executions,
    calls,
    clearCalls: () => {
      calls.length = 0;
    },
    setFaults,
    faultCounts: () => countFaults(calls),
    setRateLimits,
    rateLimitCounts: () => countRateLimited(calls),
    setQuirks,
    seed: seedInto,
    modelMismatches: () => models?.mismatches() ?? [],
    modelDeviations: () => models?.deliberate() ?? [],
    modelCheckCounts: () => models?.counts() ?? [],
    assertMatchesApiModels: () => {
      const found = models?.mismatches() ?? [];
      if (found.length > 0) throw new ApiModelMismatchError(found);
    },
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** Direct access to one account's Rekognition state and metric store. */
function accessTo(
  state: RekognitionState,
  metrics: MetricStore,
  region: string,
  setMetricDelay: (seconds: number) => void,
): { rekognition: RekognitionAccess; cloudwatch: CloudWatchAccess } {
  const findProject = (projectName: string, projectRegion: string) => {
    const project = state.findProject(projectRegion, projectName);
    if (!project) throw new Error(`No project ${projectName} in ${projectRegion}`);
    return project;
  };
  const rekognition: RekognitionAccess = {
    projectArn: (projectName, projectRegion = region) => findProject(projectName, projectRegion).arn,
    modelArn: (projectName, versionName, projectRegion = region) => {
      const model = findProject(projectName, projectRegion).versions.get(versionName);
      if (!model) throw new Error(`No version ${versionName} in project ${projectName} (${projectRegion})`);
      return model.arn;
    },
    model: (arn) => {
      const model = state.model(arn);
      return model && snapshotModel(model);
    },
    models: () => state.allModels().map(snapshotModel),
    projects: () => state.allProjects().map(snapshotProject),
    setModelStatus: (arn, status) => {
      const model = state.model(arn);
      if (!model) throw new Error(`No model ${arn}`);
      state.forceStatus(model, status);
    },
    get transitionDelayMs() {
      return state.transitionDelayMs;
    },
    set transitionDelayMs(value: number) {
      if (!(Number.isFinite(value) && value >= 0))
        throw new RangeError(`transitionDelayMs must be ≥ 0 milliseconds, got ${value}`);
      state.transitionDelayMs = value;
    },
  };
  const cloudwatch: CloudWatchAccess = {
    insert: (dataRegion, data) => metrics.insert(dataRegion, data),
    get datapointCount() {
      return metrics.size;
    },
    clear: () => metrics.clear(),
    get getMetricDataAnswers() {
      return metrics.answered;
    },
    get metricDelaySeconds() {
      return metrics.deliveryDelayMs / 1000;
    },
    set metricDelaySeconds(seconds: number) {
      setMetricDelay(seconds);
    },
  };
  return { rekognition, cloudwatch };
}
