/**
 * The organization mode's fan-out (issue 11): a Standard Step Functions state machine that lists the run's
 * account × region items, runs the stopper function once per item in an inline Map, and gathers the items' compact
 * summaries into one run summary and one digest. The function is the same one, called with `{ step: … }` events
 * (lambda/organization/steps.ts).
 *
 * Inline rather than Distributed Map: a run has at most 600 items (lambda/core/organization.ts, MAX_ITEMS), whose
 * compact results stay under 164 KB of the 256 KiB a state may pass on and take about 6,000 of the execution
 * history's 25,000 events; inline iterations cost one state transition each in the parent execution, with no child
 * executions, no S3 bucket for results and one place to read a run. Beyond 600 items (e.g. 300 accounts × 2 regions),
 * a Distributed Map writing results to S3 would be needed; the list step refuses such a run with TooManyItemsError.
 */

import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from "aws-cdk-lib";
import { type Alarm, type IMetric, MathExpression, Metric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import {
  DefinitionBody,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  StateMachine,
  StateMachineType,
  TaskInput,
  Timeout,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke, type LambdaInvokeProps } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { failureAlarm } from "./failure-alarm.ts";
import { METRICS_NAMESPACE, SERVICE_NAME } from "./stopper-dashboard.ts";

/** Properties of the fan-out. */
export interface OrganizationFanOutProps {
  /** The stopper function, which runs every step. */
  readonly stopperFunction: IFunction;
  /** Items at once: the Map's MaxConcurrency (the function's reserved concurrency is set to the same). */
  readonly mapConcurrency: number;
  /** The function's timeout: each item's own budget. */
  readonly functionTimeout: Duration;
  /** Days the state machine's log group keeps its events. */
  readonly logRetentionDays: number;
  /** Where the alarms notify. */
  readonly topic: ITopic;
}

/** A run that has not finished after this long is stopped, so that it cannot keep the next runs from starting. */
export const RUN_TIMEOUT = Duration.hours(23);

/** Errors a Lambda invoke answers when Lambda did not run the function: retrying cannot run an item twice. */
const NOT_STARTED = ["Lambda.TooManyRequestsException"];

/**
 * The errors of a Lambda invoke that Lambda itself may answer (its own 5xx, a lost connection); the function may or
 * may not have run.
 */
const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
];

/** The state machine and its alarms. */
export class OrganizationFanOut extends Construct {
  readonly stateMachine: StateMachine;
  /** Alarms on failed or timed-out runs, and on items that failed. */
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: OrganizationFanOutProps) {
    super(scope, id);
    const fn = props.stopperFunction;

    const listWork = new InvokeStopper(this, "ListWork", {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        step: "list",
        input: JsonPath.entirePayload,
        executionId: JsonPath.executionId,
        executionName: JsonPath.executionName,
        executionStartTime: JsonPath.executionStartTime,
        stateMachineId: JsonPath.stateMachineId,
      }),
      // Listing changes nothing, so every error Lambda itself answers is worth a retry.
      retryOnServiceExceptions: false,
    });
    listWork.addRetry({
      errors: [...NOT_STARTED, ...LAMBDA_SERVICE_ERRORS],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });

    const runItem = new InvokeStopper(this, "RunItem", {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      // The function's own timeout ends the item first; this only bounds a call Lambda never answers.
      taskTimeout: Timeout.duration(props.functionTimeout.plus(Duration.minutes(1))),
      retryOnServiceExceptions: false,
    });
    // Retried only when Lambda did not run the function (throttled: all reserved executions busy, e.g. while someone
    // invokes it by hand). After a Lambda 5xx or a lost connection the item may still be running: a retry could run
    // the same account and region twice at once and record a stop twice. Such an item is reported failed instead,
    // and the next run picks its models up (and completes any record it left STOP_PENDING).
    runItem.addRetry({
      errors: NOT_STARTED,
      interval: Duration.seconds(5),
      maxAttempts: 8,
      backoffRate: 2,
      maxDelay: Duration.minutes(2),
    });
    // An item whose function fails outright (timeout, out of memory, a crash) is caught so the others go on. The
    // function reports expected failures itself (no spoke role, a refused call, a disabled region) as a failed
    // summary; here only the error's name is kept, never its cause with a stack trace, so 600 failed items still
    // fit in the Map's 256 KiB (lambda/core/organization.ts). An inline Map has no ToleratedFailurePercentage
    // (Distributed Map only): catching every item is a tolerance of 100%, and the gather step reports each one.
    runItem.addCatch(
      new Pass(this, "ItemFailed", {
        parameters: {
          "accountId.$": "$.accountId",
          "region.$": "$.region",
          "caught.$": "$.failure.Error",
        },
      }),
      { errors: ["States.ALL"], resultPath: "$.failure" },
    );

    const eachItem = new MapState(this, "EachAccountAndRegion", {
      itemsPath: JsonPath.stringAt("$.items"),
      itemSelector: {
        step: "item",
        accountId: JsonPath.stringAt("$$.Map.Item.Value.accountId"),
        region: JsonPath.stringAt("$$.Map.Item.Value.region"),
        runId: JsonPath.stringAt("$.runId"),
        // A run or a warning pass, and the time its warnings are timed by.
        mode: JsonPath.stringAt("$.mode"),
        scheduledAt: JsonPath.numberAt("$.scheduledAt"),
        summaryBytes: JsonPath.numberAt("$.summaryBytes"),
      },
      maxConcurrency: props.mapConcurrency,
      // The results replace the item list: the state stays one list long.
      resultPath: "$.items",
    });
    eachItem.itemProcessor(runItem);

    const gather = new InvokeStopper(this, "GatherRun", {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        step: "gather",
        runId: JsonPath.stringAt("$.runId"),
        dryRun: JsonPath.stringAt("$.dryRun"),
        mode: JsonPath.stringAt("$.mode"),
        items: JsonPath.listAt("$.items"),
        problems: JsonPath.listAt("$.problems"),
      }),
      retryOnServiceExceptions: false,
    });
    // Not after a Lambda 5xx: the digest may have gone out already, and one digest a run is the promise.
    gather.addRetry({ errors: NOT_STARTED, interval: Duration.seconds(5), maxAttempts: 8, backoffRate: 2 });

    const logGroup = new LogGroup(this, "StateMachineLogGroup", {
      // Step Functions adds each log group it writes to the account's CloudWatch Logs resource policy, which holds
      // 5,120 characters; log groups under /aws/vendedlogs/ need no entry there, as AWS advises for state machines.
      logGroupName: `/aws/vendedlogs/states/${stateMachineNameOf(this)}`,
      retention: props.logRetentionDays as RetentionDays,
      // As the functions' log groups: the log table is the durable record, the run logs go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, "StateMachine", {
      // A fixed name, so the function's role can be granted states:ListExecutions on it without a reference cycle.
      stateMachineName: stateMachineNameOf(this),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(listWork.next(eachItem).next(gather)),
      timeout: RUN_TIMEOUT,
      // Every state's entry and exit, without the data (counts and ARNs are in the function's log).
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      comment: "idle-model-stopper: one run over the organization's accounts and regions",
    });

    this.alarms = this.createAlarms(props.topic);
  }

  /** The states:ListExecutions grant of the list step's overlap check, on this state machine only. */
  listExecutionsStatement(): PolicyStatement {
    return new PolicyStatement({
      actions: ["states:ListExecutions"],
      resources: [
        Stack.of(this).formatArn({
          service: "states",
          resource: "stateMachine",
          resourceName: stateMachineNameOf(this),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
  }

  /** Runs that failed, timed out or were aborted, added up per `period`. */
  failedRuns(period = Duration.hours(1)): MathExpression {
    const sum = { statistic: Stats.SUM, period };
    return new MathExpression({
      expression: "failed + timedOut + aborted",
      usingMetrics: {
        failed: this.stateMachine.metricFailed(sum),
        timedOut: this.stateMachine.metricTimedOut(sum),
        aborted: this.stateMachine.metricAborted(sum),
      },
      label: "Runs failed, timed out or aborted",
      period,
    });
  }

  /** Items not served (the gather step's ItemsFailed), summed per `period`. */
  failedItems(period = Duration.hours(1)): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: "ItemsFailed",
      dimensionsMap: { service: SERVICE_NAME },
      statistic: Stats.SUM,
      period,
      label: "Accounts × regions not served",
    });
  }

  private createAlarms(topic: ITopic): Alarm[] {
    const alarmOn = (id: string, description: string, metric: IMetric): Alarm =>
      failureAlarm(this, id, description, metric, topic);
    return [
      alarmOn(
        "FailedRunsAlarm",
        "A run of the idle model stopper over the organization failed, timed out or was aborted (Step Functions " +
          "ExecutionsFailed + ExecutionsTimedOut + ExecutionsAborted >= 1 in an hour). Open the execution in the " +
          "Step Functions console: a RunInProgressError means the run before it was still going.",
        this.failedRuns(),
      ),
      alarmOn(
        "FailedItemsAlarm",
        "Accounts or regions of the organization were not served (ItemsFailed >= 1 in an hour): a spoke role " +
          "missing or refusing, a disabled region, an OU that could not be listed, or a function that failed. The " +
          "run's digest lists each with the reason.",
        this.failedItems(),
      ),
    ];
  }
}

/**
 * The state machine's name: the construct's unique name (the stack's and its path's), so two stoppers in one
 * account and region do not collide.
 */
function stateMachineNameOf(fanOut: Construct): string {
  return Names.uniqueResourceName(fanOut, { maxLength: 80 });
}

/**
 * LambdaInvoke, but the state machine's role may invoke only the unqualified function, which is what every step
 * calls; LambdaInvoke also grants every version and alias (`<function ARN>:*`).
 */
class InvokeStopper extends LambdaInvoke {
  constructor(scope: Construct, id: string, props: LambdaInvokeProps) {
    super(scope, id, props);
    (this as unknown as { taskPolicies: PolicyStatement[] }).taskPolicies = [
      new PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: [props.lambdaFunction.functionArn],
      }),
    ];
  }
}
