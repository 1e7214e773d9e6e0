import { fileURLToPath } from "node:url";
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, TimeZone } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Schedule, ScheduleExpression } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { DEFAULT_SETTINGS, settingsToEnv } from "../common/settings.ts";
import {
  DEFAULT_INFRA_SETTINGS,
  parseGivenSettings,
  type StackSettings,
  toRawSetting,
} from "./stack-settings.ts";

// The infra reaches the runtime only through this entry path.
const HANDLER_ENTRY = fileURLToPath(new URL("../lambda/handler.ts", import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOCK_FILE = fileURLToPath(new URL("../package-lock.json", import.meta.url));

// Node's ESM output has no `require`; bundled CommonJS dependencies call it for Node built-ins.
// The alias keeps the banner's import from clashing with a `createRequire` import inside the bundle.
const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; " +
  "const require = topLevelCreateRequire(import.meta.url);";

/** Properties of the stack; each can also be set as a `cdk.json` context key of the same name. */
export interface IdleModelStopperStackProps extends StackProps {
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
   * When true, only models or projects tagged `<optOutTagKey>=true` are candidates for a stop.
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
   * @default 2
   */
  readonly stopConcurrency?: number;
  /**
   * Seconds of the function's time kept in reserve: no new stop starts with less left (5-300).
   * @default 30
   */
  readonly deadlineMarginSeconds?: number;
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
   * Lambda timeout in whole minutes (1-15).
   * @default 10
   */
  readonly functionTimeoutMinutes?: number;
  /**
   * Lambda memory in MB (128-10240).
   * @default 256
   */
  readonly memorySize?: number;
}

/** Applies the defaults to `props` and validates every value, naming the prop in the error. */
export function resolveStackSettings(props: IdleModelStopperStackProps): StackSettings {
  const given = parseGivenSettings(
    (key) => toRawSetting(props[key]),
    (key) => `IdleModelStopperStack prop ${key}`,
  );
  return { ...DEFAULT_SETTINGS, ...DEFAULT_INFRA_SETTINGS, ...given };
}

/**
 * A nightly Lambda that stops idle Rekognition Custom Labels models in the configured regions and records
 * every stop in a DynamoDB table.
 */
export class IdleModelStopperStack extends Stack {
  /** The DynamoDB table holding one item per stop. */
  readonly logTable: Table;
  /** The function that finds and stops idle models. */
  readonly stopperFunction: NodejsFunction;
  /** The EventBridge Scheduler schedule that invokes the function. */
  readonly schedule: Schedule;
  /** Where invocations go that the schedule could not deliver or that failed in the function. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IdleModelStopperStackProps = {}) {
    // Validate before creating anything, so a bad value fails fast and before esbuild runs.
    const settings = resolveStackSettings(props);
    super(scope, id, {
      description: "Stops idle Amazon Rekognition Custom Labels models on a schedule (idle-model-stopper)",
      ...props,
    });

    this.logTable = new Table(this, "LogTable", {
      partitionKey: { name: "modelArn", type: AttributeType.STRING },
      sortKey: { name: "stoppedAt", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      removalPolicy: settings.retainLogTable ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const logGroup = new LogGroup(this, "FunctionLogGroup", {
      retention: settings.logRetentionDays as RetentionDays,
      // The log table is the durable record of stops; the function's logs go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role instead of the default one, whose AWSLambdaBasicExecutionRole may write to every log group.
    const role = new Role(this, "StopperFunctionRole", {
      description:
        "Lets the idle model stopper read Rekognition models and metrics, stop models and log stops",
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    });
    logGroup.grantWrite(role);

    this.stopperFunction = new NodejsFunction(this, "StopperFunction", {
      description: "Finds running Rekognition Custom Labels models, stops the idle ones and logs each stop",
      entry: HANDLER_ENTRY,
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      role,
      memorySize: settings.memorySize,
      timeout: Duration.minutes(settings.functionTimeoutMinutes),
      // One run at a time: two overlapping runs could both count the same model against maxStopsPerRun.
      reservedConcurrentExecutions: 1,
      logGroup,
      environment: {
        LOG_TABLE_NAME: this.logTable.tableName,
        ...settingsToEnv(settings),
        POWERTOOLS_SERVICE_NAME: "idle-model-stopper",
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // Stack traces only need the mappings; the sources would double the asset.
        sourcesContent: false,
        format: OutputFormat.ESM,
        target: "node22",
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK too, so the function runs the versions it was tested with.
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    this.grantStopperPermissions(settings.regions);

    this.deadLetterQueue = new Queue(this, "ScheduleDeadLetterQueue", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });

    // The schedule invokes the function asynchronously: a run that fails inside the function is retried once by
    // Lambda and then lands in the same queue as invocations the schedule could not deliver.
    this.stopperFunction.configureAsyncInvoke({
      onFailure: new SqsDestination(this.deadLetterQueue),
      retryAttempts: 1,
      maxEventAge: Duration.hours(1),
    });

    this.schedule = new Schedule(this, "NightlySchedule", {
      description: "Invokes the idle model stopper",
      schedule: ScheduleExpression.expression(settings.schedule, TimeZone.of(settings.scheduleTimezone)),
      target: new LambdaInvoke(this.stopperFunction, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });

    new CfnOutput(this, "LogTableName", {
      description: "DynamoDB table with one item per stopped model",
      value: this.logTable.tableName,
    });
    new CfnOutput(this, "FunctionName", {
      description: "Lambda function that stops idle models; invoke it to run now",
      value: this.stopperFunction.functionName,
    });
    new CfnOutput(this, "DeadLetterQueueUrl", {
      description: "SQS queue holding scheduled invocations that could not be delivered",
      value: this.deadLetterQueue.queueUrl,
    });
  }

  /** Grants the function exactly the calls it makes, scoped to the configured regions. */
  private grantStopperPermissions(configuredRegions: readonly string[]): void {
    const regions = configuredRegions.length > 0 ? [...configuredRegions] : [Aws.REGION];
    const projectArns = regions.map((region) =>
      this.formatArn({ service: "rekognition", region, resource: "project", resourceName: "*" }),
    );
    // DescribeProjects and GetMetricData have no resource-level permissions; the region condition is the
    // narrowest scope IAM offers. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
    const inConfiguredRegions = { StringEquals: { "aws:RequestedRegion": regions } };

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
        actions: ["cloudwatch:GetMetricData"],
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
    // Its own statement, so the one action that changes anything is easy to audit.
    this.stopperFunction.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["rekognition:StopProjectVersion"],
        resources: projectArns,
      }),
    );
    this.logTable.grant(
      this.stopperFunction,
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:GetItem",
    );
  }
}
