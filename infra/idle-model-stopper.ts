/**
 * The idle model stopper as one construct: the function, its schedule, the stop log, notifications, alarms and a
 * dashboard. `IdleModelStopperStack` is this construct in a stack of its own; apps that have a stack already can add
 * the construct to it.
 */
import { Annotations, Aws, Duration, RemovalPolicy, Stack, TimeZone, Validations } from "aws-cdk-lib";
import { type Alarm, type Dashboard, type IMetric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Effect, type IRole, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import {
  Architecture,
  type DestinationConfig,
  type IDestination,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from "aws-cdk-lib/aws-scheduler";
import {
  LambdaInvoke,
  type ScheduleTargetBaseProps,
  StepFunctionsStartExecution,
} from "aws-cdk-lib/aws-scheduler-targets";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { isOrganizationMode, organizationSettingsToEnv } from "../common/organization-settings.ts";
import { settingsToEnv } from "../common/settings.ts";
import { failureAlarm } from "./failure-alarm.ts";
import { checkEnvironmentSize } from "./function-environment.ts";
import {
  BUNDLE_DIR,
  BUNDLE_HANDLER,
  FOLLOW_UP_HANDLER,
  ORGANIZATION_BUNDLE_DIR,
  stopperFunctionCode,
} from "./handler-source.ts";
import { OrganizationFanOut } from "./organization-fan-out.ts";
import { FOLLOW_UP_ROLE_SUFFIX } from "./spoke-role.ts";
import {
  followUpGapWarning,
  ignoredPropNames,
  ignoredPropWarning,
  resolveSettings,
  type StackSettings,
} from "./stack-settings.ts";
import { METRICS_NAMESPACE, SERVICE_NAME, StopperDashboard } from "./stopper-dashboard.ts";

/** Properties of the construct; `IdleModelStopperStack` also reads each from a `cdk.json` context key of the same name. */
export interface IdleModelStopperProps {
  /**
   * Minutes without any request, with the model in service all along, before it may be stopped (15-10080).
   * @default 180
   */
  readonly idleMinutes?: number;
  /**
   * Tag key that opts a model or project out (`false`, `never`…) or snoozes it (an ISO-8601 date).
   * @default "auto-stop"
   */
  readonly optOutTagKey?: string;
  /**
   * When true, nothing is stopped; would-stop decisions are logged with `dryRun: true`.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Regions to scan, such as `["us-east-1", "eu-west-1"]`; empty means the stack's own region.
   * @default []
   */
  readonly regions?: readonly string[];
  /**
   * Most models stopped in one run (1-1000); the rest are kept and the reason says so.
   * @default 25
   */
  readonly maxStopsPerRun?: number;
  /**
   * USD per inference-unit hour (above 0, at most 1000), used for the estimated cost in the log.
   * @default 4
   */
  readonly pricePerInferenceUnitHour?: number;
  /**
   * Days a stop record is kept in the log table before DynamoDB's TTL removes it (1-3650).
   * @default 400
   */
  readonly logTtlDays?: number;
  /**
   * Attempts per AWS call, first try included, with the SDK's adaptive retry between them (1-20).
   * @default 6
   */
  readonly maxAttempts?: number;
  /**
   * When true, only models or projects tagged `<optOutTagKey>=true` are candidates for a stop (opt-in mode).
   * @default false
   */
  readonly requireOptIn?: boolean;
  /**
   * Calls per second the function allows itself for each Rekognition API (1-100).
   * @default 5
   */
  readonly rekognitionTps?: number;
  /**
   * GetMetricData calls per second the function allows itself (1-50).
   * @default 25
   */
  readonly metricsTps?: number;
  /**
   * DescribeProjectVersions calls in flight at once, per region (1-32).
   * @default 4
   */
  readonly describeConcurrency?: number;
  /**
   * ListTagsForResource calls in flight at once, per region (1-32).
   * @default 4
   */
  readonly tagConcurrency?: number;
  /**
   * GetMetricData calls in flight at once, per region (1-32).
   * @default 4
   */
  readonly metricsConcurrency?: number;
  /**
   * StopProjectVersion calls in flight at once (1-32).
   * @default 5
   */
  readonly stopConcurrency?: number;
  /**
   * Seconds of the function's time kept in reserve: no new stop starts with less left, and discovery takes no new
   * project with three margins left (5-150, and at most a quarter of `functionTimeoutMinutes`).
   * @default 30
   */
  readonly deadlineMarginSeconds?: number;
  /**
   * Whether discovery, tag reads and metric reads overlap; false runs them one phase after another (a baseline
   * for benchmarks).
   * @default true
   */
  readonly overlapPhases?: boolean;
  /**
   * How running models are found: `metrics-first` lists the models that recently published
   * InServiceInferenceUnits (CloudWatch ListMetrics) and describes only the idle ones; `full` describes every
   * project and version, as `scan --full` does.
   * @default "metrics-first"
   */
  readonly discovery?: "metrics-first" | "full";
  /**
   * EventBridge Scheduler expression for the runs: `cron(<6 fields>)` or `rate(<n> <unit>)`.
   * @default "cron(0 2 * * ? *)" (02:00 every day)
   */
  readonly schedule?: string;
  /**
   * IANA time zone the schedule is evaluated in, such as `Europe/Paris`.
   * @default "UTC"
   */
  readonly scheduleTimezone?: string;
  /**
   * Whether the DynamoDB log table is kept when the stack is deleted.
   * @default true
   */
  readonly retainLogTable?: boolean;
  /**
   * Days CloudWatch Logs keeps the function's logs: one of the values it accepts (`LOG_RETENTION_DAYS`).
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Lambda timeout in whole minutes (2-15).
   * @default 10
   */
  readonly functionTimeoutMinutes?: number;
  /**
   * Lambda memory in MB (128-10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Email address subscribed to the notification topic. AWS sends it a confirmation link first; nothing is
   * delivered until someone follows it.
   * @default - no subscription: subscribe to the `NotificationTopicArn` output yourself
   */
  readonly notifyEmail?: string;
  /**
   * Kill switch: false disables the schedules, so no run starts, and keeps every resource and the stop log.
   * @default true
   */
  readonly enabled?: boolean;

  // ---- The organization mode (issue 11): with accounts or OUs, a state machine runs every account × region.

  /**
   * Member account ids to serve besides the hub's own account, each assumed through its spoke role.
   * @default [] - with no accounts and no OUs, the stopper serves its own account only, and no state machine exists
   */
  readonly accounts?: readonly string[];
  /**
   * Organization OU ids (`ou-…`, or the root `r-…`) whose ACTIVE accounts are served, nested OUs too, found at run
   * time through Organizations: the hub must be the management account or a delegated administrator.
   * @default []
   */
  readonly organizationalUnits?: readonly string[];
  /**
   * Whether the hub's own account is served too (with the function's own role).
   * @default true
   */
  readonly includeHubAccount?: boolean;
  /**
   * The name of the spoke role in each member account (the spoke template's `RoleName`).
   * @default "IdleModelStopperSpoke"
   */
  readonly spokeRoleName?: string;
  /**
   * An `sts:ExternalId` the spoke roles require (the spoke template's `ExternalId`).
   * @default - none: the spoke roles trust this hub's role from inside the organization only
   */
  readonly spokeExternalId?: string;
  /**
   * The AWS Organization's id (`o-…`); required with `accounts` or `organizationalUnits`.
   * @default - none
   */
  readonly organizationId?: string;
  /**
   * Account × region items run at once (the Map's MaxConcurrency, and the function's reserved concurrency), 1-40.
   * @default 10
   */
  readonly mapConcurrency?: number;

  // Issue 12, the nightly run: the last look and warnings before a stop.
  /**
   * Minutes of request metrics re-read just before each stop, up to the moment of the re-read (5-60): a request
   * made just before the run, whose metrics arrive late, keeps the model.
   * @default 15
   */
  readonly lastLookMinutes?: number;
  /**
   * Hours between a model's warning and the earliest run that may stop it (1-168); 0 stops idle models without a
   * warning. A warned model is stopped only if it stayed idle the whole time since.
   * @default 0
   */
  readonly warnBeforeStopHours?: number;
  /**
   * EventBridge Scheduler expression of a second, earlier schedule, in `scheduleTimezone`: a warning pass that
   * assesses and warns, and never stops, so that a model warned in the evening can be stopped by that night's run.
   * Needs `warnBeforeStopHours`.
   * @default - no warning pass: the runs warn, and a later run stops
   */
  readonly warnSchedule?: string;
  // Events and the last-action tag.
  /**
   * Put one EventBridge event per stop, warning and restart (`Idle Model Stopped`, `Idle Model Warned`,
   * `Idle Model Restarted`) on the default bus of the model's region; false grants neither function
   * `events:PutEvents`.
   * @default true
   */
  readonly publishEvents?: boolean;
  /**
   * Tag each model stopped, warned or started again `<optOutTagKey>:last-action` with what was done and when; false
   * grants neither function `rekognition:TagResource`.
   * @default true
   */
  readonly tagLastAction?: boolean;
  // Issue 12, the follow-ups: regret checks, starts by hand and restarts by rule.
  /**
   * Minutes after a stop when the follow-up function reads its request metrics again and starts the model again if
   * a request arrived before the stop that the decision could not see yet (15-1440); 0 leaves it to the next
   * nightly run.
   * @default 60
   */
  readonly regretCheckMinutes?: number;
  /**
   * Minutes before a restart rule's time (tag `<optOutTagKey>:restart`) that a stopped model is started again, so it
   * is RUNNING by then (30-180; starting can take up to 30 minutes).
   * @default 45
   */
  readonly restartLeadMinutes?: number;
  /**
   * EventBridge Scheduler expression for the follow-up function: regret checks, restarts by rule, starts by hand.
   * @default "rate(15 minutes)"
   */
  readonly followUpSchedule?: string;
}

/** The hub function's role name in the organization mode: the spoke roles trust exactly this role. */
export const HUB_ROLE_NAME = `IdleModelStopperHub-${Aws.REGION}`;

/** The follow-up function's role name in the organization mode: the spoke roles trust it too, to undo stops. */
export const HUB_FOLLOW_UP_ROLE_NAME = `${HUB_ROLE_NAME}${FOLLOW_UP_ROLE_SUFFIX}`;

/**
 * Stops idle Rekognition Custom Labels models on a schedule and records every stop in a DynamoDB table; tells an
 * SNS topic what each run did, raises alarms on failed, throttled and undelivered runs, and draws a dashboard.
 */
export class IdleModelStopper extends Construct {
  /** The DynamoDB table holding one item per stop. */
  readonly logTable: Table;
  /** The function that finds and stops idle models: the package's prebuilt bundle, on Node.js 22 (arm64). */
  readonly stopperFunction: LambdaFunction;
  /** The EventBridge Scheduler schedule that invokes the function. */
  readonly schedule: Schedule;
  /**
   * The function that follows stops up (the same bundle, handler `index.followUp`): it starts a model again when
   * its stop proved wrong or a restart rule says so, and notices models started again by hand.
   */
  readonly followUpFunction: LambdaFunction;
  /** The EventBridge Scheduler schedule that invokes the follow-up function (every 15 minutes by default). */
  readonly followUpSchedule: Schedule;
  /** The schedule of the warning passes, when `warnSchedule` is set. */
  readonly warnSchedule?: Schedule;
  /** Where invocations go that the schedule could not deliver or that failed in the function. */
  readonly deadLetterQueue: Queue;
  /** The topic that gets each run's digest and the alarms; subscribe to it to hear what the stopper did. */
  readonly notificationTopic: Topic;
  /** The customer managed key the topic is encrypted with; CloudWatch alarms cannot use the AWS managed one. */
  readonly notificationKey: Key;
  /** Alarms on failed runs, throttled runs and undelivered invocations of both functions, each notifying the topic. */
  readonly alarms: readonly Alarm[];
  /** Stops and estimated savings per day, models scanned and kept, errors and run duration. */
  readonly dashboard: Dashboard;
  /** The state machine over the organization's accounts and regions; only with accounts or OUs configured. */
  readonly organization?: OrganizationFanOut;

  constructor(scope: Construct, id: string, props: IdleModelStopperProps = {}) {
    super(scope, id);
    // Validate before creating anything, so a bad value fails fast, before any asset is staged.
    // The hub's account: that of the stack holding the construct, a token when synth does not know it. Not
    // Stack.of, which throws outside a stack before a bad value could be named.
    const stack = [...this.node.scopes].reverse().find((each) => Stack.isStack(each));
    const settings = resolveSettings(props, "IdleModelStopper", stack?.account);
    const organizationMode = isOrganizationMode(settings);
    for (const name of ignoredPropNames(props))
      Annotations.of(this).addWarningV2(
        "idle-model-stopper:unknown-prop",
        ignoredPropWarning(name, "IdleModelStopper"),
      );
    const gapWarning = followUpGapWarning(settings);
    if (gapWarning !== undefined)
      Annotations.of(this).addWarningV2("idle-model-stopper:follow-up-gap", gapWarning);

    this.logTable = new Table(this, "LogTable", {
      partitionKey: { name: "modelArn", type: AttributeType.STRING },
      sortKey: { name: "stoppedAt", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      removalPolicy: settings.retainLogTable ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Sparse: only records still STOP_PENDING carry pendingRegion, so the next run finds them with one Query.
    this.logTable.addGlobalSecondaryIndex({
      indexName: "PendingStops",
      partitionKey: { name: "pendingRegion", type: AttributeType.STRING },
      sortKey: { name: "stoppedAt", type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse too: the records the stopper still has something to do with (open warnings, stops to follow up) carry
    // followUpRegion until it is done with them. CloudFormation adds one global secondary index per table update,
    // so this is the only index issue 12 adds.
    this.logTable.addGlobalSecondaryIndex({
      indexName: FOLLOW_UPS_INDEX,
      partitionKey: { name: "followUpRegion", type: AttributeType.STRING },
      sortKey: { name: "stoppedAt", type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.notificationKey = new Key(this, "NotificationKey", {
      description: "Encrypts the idle model stopper's notification topic",
      enableKeyRotation: true,
      // Nothing stays encrypted under it: messages are delivered or dropped within days.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms can publish to an encrypted topic only if the key lets them; the AWS managed key for SNS
    // never does. https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
    // The conditions keep the grant to this account's alarms in this region, against a confused deputy. AWS
    // recommends aws:SourceAccount and aws:SourceArn on the key policy for AWS services that publish to encrypted
    // topics (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); that CloudWatch's alarm path
    // carries them is shown only by a deployed alarm (README, "What is verified, and how"). The alarms' own ARNs
    // cannot be named here: each alarm refers to the topic, which refers to this key.
    this.notificationKey.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowCloudWatchAlarmsToUseTheKey",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: thisAccountsAlarms(),
      }),
    );
    this.notificationTopic = new Topic(this, "NotificationTopic", {
      displayName: "Idle model stopper",
      masterKey: this.notificationKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, which let the account's services publish.
    this.notificationTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowCloudWatchAlarmsToPublish",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.notificationTopic.topicArn],
        conditions: thisAccountsAlarms(),
      }),
    );
    if (settings.notifyEmail !== undefined) {
      this.notificationTopic.addSubscription(new EmailSubscription(settings.notifyEmail));
    }

    const timeout = Duration.minutes(settings.functionTimeoutMinutes);
    const environment = {
      LOG_TABLE_NAME: this.logTable.tableName,
      NOTIFICATION_TOPIC_ARN: this.notificationTopic.topicArn,
      ...settingsToEnv(settings),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: "--enable-source-maps",
      ...organizationSettingsToEnv(settings),
      ...(organizationMode && { HUB_ACCOUNT_ID: Aws.ACCOUNT_ID, HUB_PARTITION: Aws.PARTITION }),
    };
    checkEnvironmentSize(environment);
    const code = stopperFunctionCode(organizationMode ? ORGANIZATION_BUNDLE_DIR : BUNDLE_DIR);
    const functionOf = (
      ids: FunctionIds,
      description: string,
      roleDescription: string,
      handler: string,
      options: { readonly roleName?: string; readonly concurrency: number },
    ) => {
      const logGroup = new LogGroup(this, ids.logGroup, {
        retention: settings.logRetentionDays as RetentionDays,
        // The log table is the durable record of stops; the function's logs go with the stack.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Our own role instead of the default one, whose AWSLambdaBasicExecutionRole may write to every log group.
      const role = new Role(this, ids.role, {
        description: roleDescription,
        assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
        // The spoke roles trust the hub by these names, so they are fixed (and documented) in the organization mode.
        ...(options.roleName !== undefined && { roleName: options.roleName }),
      });
      logGroup.grantWrite(role);
      const fn = new LambdaFunction(this, ids.function, {
        description,
        // Built once by `npm run build` (minified ESM, source map, the AWS SDK inside) and shipped in the package,
        // so a deploy needs no bundler and carries the bytes the tests ran: from lambda/handler.ts, or in the
        // organization mode from lambda/organization/handler.ts. Both functions run the same asset, each through
        // its own export.
        code,
        handler,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        role,
        memorySize: settings.memorySize,
        timeout,
        reservedConcurrentExecutions: options.concurrency,
        logGroup,
        environment,
      });
      return { fn, role };
    };

    const stopper = functionOf(
      { logGroup: "FunctionLogGroup", role: "StopperFunctionRole", function: "StopperFunction" },
      "Finds running Rekognition Custom Labels models, stops the idle ones and logs each stop",
      "Lets the idle model stopper read Rekognition models and metrics, stop models, log stops and notify",
      BUNDLE_HANDLER,
      {
        ...(organizationMode && { roleName: HUB_ROLE_NAME }),
        // One run at a time: two overlapping runs could both count the same model against maxStopsPerRun. In the
        // organization mode, the Map's items at once; runs are kept apart by the list step's check instead.
        concurrency: organizationMode ? settings.mapConcurrency : 1,
      },
    );
    this.stopperFunction = stopper.fn;
    const role = stopper.role;
    // A second function rather than a second schedule on the first: the first reserves a concurrency of 1, so a
    // follow-up every 15 minutes would be throttled during each nightly run.
    const followUp = functionOf(
      { logGroup: "FollowUpLogGroup", role: "FollowUpFunctionRole", function: "FollowUpFunction" },
      "Follows up the idle model stopper's stops: starts a model again when its stop proved wrong or a restart tag says so",
      "Lets the idle model stopper's follow-up read its stops, their models' status, tags and metrics, start models " +
        "it stopped, and notify",
      FOLLOW_UP_HANDLER,
      {
        ...(organizationMode && { roleName: HUB_FOLLOW_UP_ROLE_NAME }),
        // Two follow-ups at once would only race each other to the same conditional writes.
        concurrency: 1,
      },
    );
    this.followUpFunction = followUp.fn;

    // With includeHubAccount=false the hub's own account is not served: its roles may act on no model and read no
    // metric there. The member accounts' models are reached through their spoke roles, never through these grants.
    const actsInOwnAccount = !organizationMode || settings.includeHubAccount;
    this.grantStopperPermissions(
      settings.regions,
      settings.discovery,
      settings.warnBeforeStopHours > 0,
      actsInOwnAccount,
    );
    this.grantFollowUpPermissions(settings.regions, actsInOwnAccount);
    // Both functions announce what they did: the nightly one its stops and warnings (and the regret check's restarts),
    // the follow-up its restarts.
    for (const fn of [this.stopperFunction, this.followUpFunction])
      this.grantAnnouncePermissions(fn, settings.regions, {
        publishEvents: settings.publishEvents,
        // The last-action tag goes on a member's models through its spoke role.
        tagLastAction: settings.tagLastAction && actsInOwnAccount,
      });
    this.notificationTopic.grantPublish(this.stopperFunction);
    this.notificationTopic.grantPublish(this.followUpFunction);

    this.deadLetterQueue = new Queue(this, "ScheduleDeadLetterQueue", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });

    // The schedule invokes the function asynchronously: a run that fails inside the function is retried once by
    // Lambda and then lands in the same queue as invocations the schedule could not deliver.
    this.stopperFunction.configureAsyncInvoke({
      onFailure: new SendOnlySqsDestination(this.deadLetterQueue),
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
    });

    if (organizationMode) {
      this.organization = new OrganizationFanOut(this, "Organization", {
        stopperFunction: this.stopperFunction,
        mapConcurrency: settings.mapConcurrency,
        functionTimeout: timeout,
        logRetentionDays: settings.logRetentionDays,
        topic: this.notificationTopic,
      });
      this.grantOrganizationPermissions(settings, this.organization);
    }
    // The kill switch (`enabled`): a disabled schedule starts no run, and everything else stays as it is. The
    // scheduled time names the run, so a retried invocation is recognisably the same run. In the organization mode
    // the nightly runs and warning passes start the state machine; the follow-ups invoke their function.
    // The schedules' roles live in this construct, one per target, rather than aws-scheduler-targets' own role at
    // the stack's root: a permissions boundary or an Aspect applied to this construct reaches them too.
    const scheduleRoles = new Map<LambdaFunction, Role>();
    const scheduleRoleOf = (fn: LambdaFunction) => {
      const found = scheduleRoles.get(fn);
      if (found) return found;
      const nightly = fn === this.stopperFunction;
      const role = new Role(this, nightly ? "ScheduleRole" : "FollowUpScheduleRole", {
        description: nightly
          ? `Lets EventBridge Scheduler start the idle model stopper's runs${this.organization ? " (its state machine)" : ""}`
          : "Lets EventBridge Scheduler invoke the idle model stopper's follow-up function",
        // Only schedules of this account's default group, as aws-scheduler-targets' own role trusts them.
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
        assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
          conditions: {
            StringEquals: {
              "aws:SourceAccount": Stack.of(this).account,
              "aws:SourceArn": Stack.of(this).formatArn({
                service: "scheduler",
                resource: "schedule-group",
                resourceName: "default",
              }),
            },
          },
        }),
      });
      scheduleRoles.set(fn, role);
      return role;
    };
    const scheduleOf = (
      id: string,
      description: string,
      expression: string,
      fn: LambdaFunction,
      delivery: { readonly retryAttempts: number; readonly maxEventAge: Duration; readonly mode?: string },
    ) => {
      const target = {
        // The target grants it exactly its call (lambda:InvokeFunction on the function, or states:StartExecution
        // on the state machine) and sqs:SendMessage on the dead-letter queue.
        role: scheduleRoleOf(fn),
        input: ScheduleTargetInput.fromObject({
          ...(delivery.mode !== undefined && { mode: delivery.mode }),
          scheduledTime: ContextAttribute.scheduledTime,
          attempt: ContextAttribute.attemptNumber,
        }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: delivery.retryAttempts,
        maxEventAge: delivery.maxEventAge,
      };
      return new Schedule(this, id, {
        description,
        schedule: ScheduleExpression.expression(expression, TimeZone.of(settings.scheduleTimezone)),
        enabled: settings.enabled,
        target:
          this.organization && fn === this.stopperFunction
            ? new StepFunctionsStartExecution(this.organization.stateMachine, target)
            : new LambdaInvokeUnqualified(fn, target),
      });
    };
    this.schedule = scheduleOf(
      "NightlySchedule",
      "Invokes the idle model stopper",
      settings.schedule,
      this.stopperFunction,
      { retryAttempts: 2, maxEventAge: Duration.hours(1) },
    );
    if (settings.warnSchedule !== undefined) {
      // The warning pass: the same function and dead-letter queue, an event that asks it to warn and never stop.
      // Its scheduled time also times the warnings it writes.
      this.warnSchedule = scheduleOf(
        "WarnSchedule",
        "Invokes the idle model stopper's warning pass (warns, never stops)",
        settings.warnSchedule,
        this.stopperFunction,
        { retryAttempts: 2, maxEventAge: Duration.hours(1), mode: "warn" },
      );
    }

    // A follow-up that fails is simply done again by the next one: no retry, which could overlap it.
    this.followUpFunction.configureAsyncInvoke({
      onFailure: new SendOnlySqsDestination(this.deadLetterQueue),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(15),
    });
    this.followUpSchedule = scheduleOf(
      "FollowUpSchedule",
      "Invokes the idle model stopper's follow-up: regret checks, restarts by rule, starts by hand",
      settings.followUpSchedule,
      this.followUpFunction,
      { retryAttempts: 1, maxEventAge: Duration.minutes(15) },
    );

    this.alarms = [...this.createAlarms(), ...(this.organization?.alarms ?? [])];
    this.dashboard = new StopperDashboard(this, "Dashboard", {
      stopperFunction: this.stopperFunction,
      followUpFunction: this.followUpFunction,
      timeout,
      alarms: this.alarms,
      ...(this.organization && { organization: this.organization }),
    }).dashboard;

    this.acknowledgeNagFindings(role, settings.regions, settings.warnBeforeStopHours > 0, actsInOwnAccount);
    this.acknowledgeNagFindings(
      followUp.role,
      settings.regions,
      false,
      actsInOwnAccount,
      this.followUpFunction,
    );
    if (settings.tagLastAction && actsInOwnAccount)
      for (const [tagging, acts] of [
        [role, "stopped, warned or started again"],
        [followUp.role, "started again"],
      ] as const)
        for (const arn of this.modelArns(settings.regions))
          Validations.of(tagging).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${nagRendering(Stack.of(this), arn)}]`,
            reason:
              `The last-action tag goes on the models the function ${acts}, found at run time: ` +
              "rekognition:TagResource is granted on the model ARNs (project/*/version/*/*) of each configured " +
              "region only, never on projects or other Rekognition resources.",
          });
    if (this.organization)
      this.acknowledgeOrganizationNagFindings(role, followUp.role, settings, this.organization);
  }

  /**
   * The calls of the announce phase of one function, each only when its setting is on: PutEvents on the default bus
   * of each configured region (an event goes to its model's region), and TagResource on the models there.
   */
  private grantAnnouncePermissions(
    fn: LambdaFunction,
    configuredRegions: readonly string[],
    settings: { readonly publishEvents: boolean; readonly tagLastAction: boolean },
  ): void {
    if (settings.publishEvents)
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["events:PutEvents"],
          resources: scannedRegions(configuredRegions).map((region) =>
            Stack.of(this).formatArn({
              service: "events",
              region,
              resource: "event-bus",
              resourceName: "default",
            }),
          ),
        }),
      );
    if (settings.tagLastAction)
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["rekognition:TagResource"],
          resources: this.modelArns(configuredRegions),
        }),
      );
  }

  /** The model ARNs (`project/<name>/version/<name>/<id>`, any of each) of each scanned region: what the function tags. */
  private modelArns(configuredRegions: readonly string[]): string[] {
    return scannedRegions(configuredRegions).map((region) =>
      Stack.of(this).formatArn({
        service: "rekognition",
        region,
        resource: "project",
        resourceName: "*/version/*/*",
      }),
    );
  }

  /**
   * The organization mode's grants (issue 11): sts:AssumeRole on the spoke role only (by name, in the listed
   * accounts, or in any account of the organization when OUs are set), Organizations' two listing calls only when
   * OUs are set, and states:ListExecutions on the state machine for the overlap check. The follow-up function
   * assumes the same spoke roles, and finds the accounts to follow up by scanning the sparse FollowUps index.
   */
  private grantOrganizationPermissions(settings: StackSettings, fanOut: OrganizationFanOut): void {
    const spokeIn = (account: string) =>
      `arn:${Aws.PARTITION}:iam::${account}:role/${settings.spokeRoleName}`;
    const accounts = spokeAccountsGranted(settings);
    for (const fn of [this.stopperFunction, this.followUpFunction])
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["sts:AssumeRole"],
          resources: accounts.map(spokeIn),
          // Only roles of accounts inside the organization, whatever their ARN says.
          conditions: { StringEquals: { "aws:ResourceOrgID": settings.organizationId as string } },
        }),
      );
    // The accounts and regions with stops to follow up are the keys present in the sparse index: one Scan of it.
    this.followUpFunction.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["dynamodb:Scan"],
        resources: [`${this.logTable.tableArn}/index/${FOLLOW_UPS_INDEX}`],
      }),
    );
    if (settings.organizationalUnits.length > 0) {
      // The management account's id is not known here: the organization's own id scopes the OUs and its root.
      const inOrganization = (type: string) =>
        `arn:${Aws.PARTITION}:organizations::*:${type}/${settings.organizationId}/*`;
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["organizations:ListAccountsForParent", "organizations:ListChildren"],
          resources: organizationParentTypes(settings).map(inOrganization),
        }),
      );
    }
    this.stopperFunction.addToRolePolicy(fanOut.listExecutionsStatement());
  }

  /** The organization mode's deliberate cdk-nag findings, each with its reason. */
  private acknowledgeOrganizationNagFindings(
    role: Role,
    followUpRole: Role,
    settings: StackSettings,
    fanOut: OrganizationFanOut,
  ): void {
    if (spokeAccountsGranted(settings).includes("*"))
      for (const each of [role, followUpRole])
        Validations.of(each).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${settings.spokeRoleName}]`,
          reason:
            "The accounts of the configured OUs are found at run time, or too many are listed to name in the role's " +
            "policy: the hub may assume only the spoke role, by its name, in accounts of its own organization only " +
            "(aws:ResourceOrgID).",
        });
    if (settings.organizationalUnits.length > 0) {
      for (const type of organizationParentTypes(settings))
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::*:${type}/${settings.organizationId}/*]`,
          reason:
            type === "ou"
              ? "ListChildren and ListAccountsForParent are called on the configured OUs and on the OUs nested in " +
                "them, found at run time; the resource is limited to this organization's OUs."
              : "A configured parent may be the organization's root (r-…), whose ARN holds the management account's " +
                "id, unknown here; the resource is limited to this organization's root.",
        });
    }
    const machineRole = fanOut.stateMachine.role;
    Validations.of(machineRole).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Step Functions delivers the state machine's logs to CloudWatch Logs through log deliveries, whose " +
        "actions (logs:CreateLogDelivery and the like) have no resource-level permissions.",
    });
    Validations.of(fanOut.stateMachine).acknowledge({
      id: "AwsSolutions-SF2",
      reason:
        "Each step is one invocation of the stopper function, whose JSON log carries the run id, account and " +
        "region; X-Ray would add a trace per step and its grants without showing more.",
    });
  }

  /**
   * One alarm per way a run can be lost. Each notifies once when it goes into ALARM and stays there while the
   * cause lasts, so a failure that repeats every run is one message, not one per run.
   */
  private createAlarms(): Alarm[] {
    const alarmOn = (id: string, description: string, metric: IMetric): Alarm =>
      failureAlarm(this, id, description, metric, this.notificationTopic);
    // Per-model errors (a model whose tags could not be read, a refused stop) are not alarmed: the run's digest
    // already lists them with their ARNs, and a second message about the same run would be noise.
    return [
      alarmOn(
        "FunctionErrorsAlarm",
        "A run of the idle model stopper failed (Lambda Errors >= 1 in an hour). Lambda retries it once, then " +
          "sends it to the dead-letter queue. The function's log group says why.",
        this.stopperFunction.metricErrors({ statistic: Stats.SUM, period: Duration.hours(1) }),
      ),
      alarmOn(
        "FunctionThrottlesAlarm",
        "A run of the idle model stopper could not start (Lambda Throttles >= 1 in an hour): another run, or a " +
          "manual invoke, was still going. Its reserved concurrency is 1 so that runs never overlap.",
        this.stopperFunction.metricThrottles({ statistic: Stats.SUM, period: Duration.hours(1) }),
      ),
      alarmOn(
        "FollowUpErrorsAlarm",
        "A follow-up of the idle model stopper failed (Lambda Errors >= 1 in an hour): it checks recent stops and " +
          "restarts models every 15 minutes, so the next one tries again. The follow-up's log group says why.",
        this.followUpFunction.metricErrors({ statistic: Stats.SUM, period: Duration.hours(1) }),
      ),
      alarmOn(
        "FollowUpThrottlesAlarm",
        "A follow-up of the idle model stopper could not start (Lambda Throttles >= 1 in an hour): the one before " +
          "it was still going. Its reserved concurrency is 1 so that follow-ups never overlap.",
        this.followUpFunction.metricThrottles({ statistic: Stats.SUM, period: Duration.hours(1) }),
      ),
      alarmOn(
        "DeadLetterQueueAlarm",
        "A scheduled run or follow-up of the idle model stopper was lost: a message is waiting in its dead-letter queue. Read " +
          "it for the error, then delete it; the alarm stays on while a message is there.",
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
      ),
    ];
  }

  /**
   * Grants the function exactly the calls it makes, scoped to the configured regions; the Rekognition and CloudWatch
   * calls only when it acts in its own account (`actsInOwnAccount`).
   */
  private grantStopperPermissions(
    configuredRegions: readonly string[],
    discovery: "metrics-first" | "full",
    warnings: boolean,
    actsInOwnAccount: boolean,
  ): void {
    const projectArns = this.projectArns(configuredRegions);
    // DescribeProjects, GetMetricData and ListMetrics have no resource-level permissions; the region condition is the
    // narrowest scope IAM offers. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
    const inConfiguredRegions = {
      StringEquals: { "aws:RequestedRegion": scannedRegions(configuredRegions) },
    };

    if (actsInOwnAccount) {
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["rekognition:DescribeProjects"],
          resources: ["*"],
          conditions: inConfiguredRegions,
        }),
      );
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          // ListMetrics only for metrics-first discovery: a full discovery never lists metrics.
          actions: [
            "cloudwatch:GetMetricData",
            ...(discovery === "metrics-first" ? ["cloudwatch:ListMetrics"] : []),
          ],
          resources: ["*"],
          conditions: inConfiguredRegions,
        }),
      );
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["rekognition:DescribeProjectVersions", "rekognition:ListTagsForResource"],
          resources: projectArns,
        }),
      );
      // Its own statement, so the actions that change anything are easy to audit: stop an idle model, and start again
      // one that this stopper stopped when its regret check finds a request that came in before the stop.
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["rekognition:StopProjectVersion", "rekognition:StartProjectVersion"],
          resources: projectArns,
        }),
      );
    }
    // Explicit statements rather than table.grant(), which would allow every index (`index/*`): the record is
    // written (PutItem), completed (UpdateItem) and read back by model (Query), never read by key.
    this.stopperFunction.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        resources: [this.logTable.tableArn],
      }),
    );
    this.stopperFunction.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["dynamodb:Query"],
        resources: [
          `${this.logTable.tableArn}/index/PendingStops`,
          // Every run reads the open warnings and the stops it follows up (see ARCHITECTURE.md).
          `${this.logTable.tableArn}/index/${FOLLOW_UPS_INDEX}`,
        ],
      }),
    );
    if (warnings) {
      // A warned model's own message goes to the topic its notify tag names: the topic is chosen by the model's
      // owner at run time, so the grant is every topic of this account in the configured regions, and the function
      // checks the tag's ARN against exactly that before publishing.
      this.stopperFunction.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["sns:Publish"],
          resources: this.topicArns(configuredRegions),
        }),
      );
    }
  }

  /**
   * Grants the follow-up function exactly the calls it makes: read its followed stops (the FollowUps index) and
   * update them, read a model's status (DescribeProjects by name, DescribeProjectVersions), tags and request metrics,
   * and start models, in the configured regions. It never stops a model and never writes a new record.
   */
  private grantFollowUpPermissions(configuredRegions: readonly string[], actsInOwnAccount: boolean): void {
    const projectArns = this.projectArns(configuredRegions);
    const inConfiguredRegions = {
      StringEquals: { "aws:RequestedRegion": scannedRegions(configuredRegions) },
    };
    const fn = this.followUpFunction;
    if (actsInOwnAccount) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ["rekognition:DescribeProjects"],
          resources: ["*"],
          conditions: inConfiguredRegions,
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ["cloudwatch:GetMetricData"],
          resources: ["*"],
          conditions: inConfiguredRegions,
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ["rekognition:DescribeProjectVersions", "rekognition:ListTagsForResource"],
          resources: projectArns,
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ["rekognition:StartProjectVersion"], resources: projectArns }),
      );
    }
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["dynamodb:UpdateItem"], resources: [this.logTable.tableArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${this.logTable.tableArn}/index/${FOLLOW_UPS_INDEX}`],
      }),
    );
  }

  /** Every SNS topic of this account in each scanned region: where a model's notify tag may point. */
  private topicArns(configuredRegions: readonly string[]): string[] {
    return scannedRegions(configuredRegions).map((region) =>
      Stack.of(this).formatArn({ service: "sns", region, resource: "*" }),
    );
  }

  /** `project/*` in each scanned region: the project and model ARNs the function reads and stops. */
  private projectArns(configuredRegions: readonly string[]): string[] {
    return scannedRegions(configuredRegions).map((region) =>
      Stack.of(this).formatArn({ service: "rekognition", region, resource: "project", resourceName: "*" }),
    );
  }

  /**
   * The AWS Solutions findings (cdk-nag) that are deliberate, each with the reason. Anyone who runs cdk-nag on an
   * app holding this construct gets them too.
   */
  private acknowledgeNagFindings(
    role: Role,
    configuredRegions: readonly string[],
    warnings: boolean,
    actsInOwnAccount: boolean,
    followUp?: LambdaFunction,
  ): void {
    const stack = Stack.of(this);
    const wildcardResources = (arns: readonly string[], reason: string) => {
      for (const arn of arns)
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagRendering(stack, arn)}]`,
          reason,
        });
    };
    if (warnings)
      wildcardResources(
        this.topicArns(configuredRegions),
        "A warned model's owner names the topic of its warnings in a tag, at run time: sns:Publish is granted " +
          "on the topics of this account in each configured region only, and the function publishes only to a " +
          "tag's ARN that is one of those.",
      );
    // Without its own account to act in, the role has neither grant, and nothing to acknowledge.
    if (actsInOwnAccount) {
      wildcardResources(
        this.projectArns(configuredRegions),
        "Models are found at run time: their ARNs (project/<name>/version/<name>/<creation timestamp>) are " +
          "unknown at deploy time, so DescribeProjectVersions, ListTagsForResource" +
          (followUp ? " and StartProjectVersion" : ", StopProjectVersion and StartProjectVersion") +
          " are granted on project/* of each configured region, and nowhere else.",
      );
      Validations.of(role).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "rekognition:DescribeProjects, cloudwatch:GetMetricData and cloudwatch:ListMetrics have no resource-level " +
          "permissions; each is limited by an aws:RequestedRegion condition to the configured regions.",
      });
    }
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Publishing to the encrypted topic needs kms:GenerateDataKey on its key (grantPublish); the wildcard " +
        "covers only the GenerateDataKey variants, on that one key.",
    });
    Validations.of(followUp ?? this.stopperFunction).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Node.js 22 is the runtime the bundle targets (esbuild target node22) and is tested on; it is a " +
        "supported Lambda runtime. Moving to a newer one is a deliberate change with its own tests.",
    });
    if (followUp) return;
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter queue of the schedule and of the function's failed runs; a " +
        "message there is alarmed on and read by a person, never processed by a consumer.",
    });
  }
}

/**
 * The on-failure destination of the function's asynchronous invocations, granting the function's role
 * `sqs:SendMessage` on the queue and nothing else: Lambda sends the record with that one call. (`SqsDestination`
 * also grants `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`, which Lambda does not use.)
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
class SendOnlySqsDestination implements IDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [this.queue.queueArn] }),
    );
    return { destination: this.queue.queueArn };
  }
}

/**
 * The conditions that let only CloudWatch alarms of this account and region act through a service principal's grant
 * (the topic policy's and the key policy's). https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
function thisAccountsAlarms(): Record<string, Record<string, string>> {
  return {
    StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
    ArnLike: { "aws:SourceArn": `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
  };
}

/**
 * LambdaInvoke, but the scheduler's role may invoke only the unqualified function, which is what the schedule
 * calls; LambdaInvoke also grants every version and alias (`<function ARN>:*`).
 */
class LambdaInvokeUnqualified extends LambdaInvoke {
  constructor(
    private readonly fn: IFunction,
    props: ScheduleTargetBaseProps,
  ) {
    super(fn, props);
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [this.fn.functionArn] }),
    );
  }
}

/**
 * The most accounts the hub's sts:AssumeRole grant names one by one. A role's inline policies may hold 10,240
 * characters in all, and each spoke role ARN takes about 60; past this many (or with OUs, whose accounts are found at
 * run time) the grant is the spoke role's name in any account of the organization (aws:ResourceOrgID).
 */
export const MAX_ACCOUNTS_NAMED = 20;

/** The accounts the hub's sts:AssumeRole grant names: the listed ones, or `*` with OUs or past MAX_ACCOUNTS_NAMED. */
function spokeAccountsGranted(settings: StackSettings): string[] {
  return settings.organizationalUnits.length > 0 || settings.accounts.length > MAX_ACCOUNTS_NAMED
    ? ["*"]
    : [...settings.accounts];
}

/**
 * The Organizations resource types the list step reads: `ou` for every OU (nested ones are found under any parent),
 * `root` only when the root itself (`r-…`) is configured.
 */
function organizationParentTypes(settings: StackSettings): string[] {
  return settings.organizationalUnits.some((id) => id.startsWith("r-")) ? ["ou", "root"] : ["ou"];
}

/** The logical ids of one function's log group, role and function. */
interface FunctionIds {
  readonly logGroup: string;
  readonly role: string;
  readonly function: string;
}

/** The sparse index of the stops the stopper still follows up (lambda/adapters/stop-log.ts reads it). */
const FOLLOW_UPS_INDEX = "FollowUps";

/** The configured regions, or the stack's own region when none is configured. */
function scannedRegions(configuredRegions: readonly string[]): string[] {
  return configuredRegions.length > 0 ? [...configuredRegions] : [Aws.REGION];
}

/**
 * A resource as cdk-nag writes it in a finding's id (its `flattenCfnReference`): `Ref`s as `<AWS::Region>`,
 * `GetAtt`s as `<Id.Attr>`, joins flattened. Acknowledgements must match the id exactly.
 */
function nagRendering(stack: Stack, value: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/\}/g, ">");
    const intrinsic = node as Record<string, unknown>;
    const join = intrinsic["Fn::Join"] as [string, unknown[]] | undefined;
    if (join) return join[1].map(flatten).join(join[0]);
    if (intrinsic["Fn::Sub"] !== undefined) return flatten(intrinsic["Fn::Sub"]);
    const getAtt = intrinsic["Fn::GetAtt"] as [unknown, unknown] | undefined;
    if (getAtt) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (intrinsic.Ref !== undefined) return `<${flatten(intrinsic.Ref)}>`;
    return JSON.stringify(node);
  };
  return flatten(stack.resolve(value));
}
