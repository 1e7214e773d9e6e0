import { Annotations, CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Dashboard } from "aws-cdk-lib/aws-cloudwatch";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import type { Schedule } from "aws-cdk-lib/aws-scheduler";
import type { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { IdleModelStopper, type IdleModelStopperProps } from "./idle-model-stopper.ts";
import { ignoredPropNames, ignoredPropWarning, resolveSettings } from "./stack-settings.ts";

/** Properties of the stack: the construct's, each also a `cdk.json` context key of the same name, and the stack's. */
export interface IdleModelStopperStackProps extends IdleModelStopperProps, StackProps {}

/**
 * The `IdleModelStopper` construct in a stack of its own, with outputs: what `npx cdk deploy` deploys.
 */
export class IdleModelStopperStack extends Stack {
  /** The construct holding everything below. */
  readonly stopper: IdleModelStopper;
  /** The DynamoDB table holding one item per stop. */
  readonly logTable: Table;
  /** The function that finds and stops idle models. */
  readonly stopperFunction: LambdaFunction;
  /** The EventBridge Scheduler schedule that invokes the function. */
  readonly schedule: Schedule;
  /** The function that follows stops up: regret checks, restarts by rule, starts by hand. */
  readonly followUpFunction: LambdaFunction;
  /** Where invocations go that the schedule could not deliver or that failed in the function. */
  readonly deadLetterQueue: Queue;
  /** The topic that gets each run's digest and the alarms. */
  readonly notificationTopic: Topic;
  /** The stopper's CloudWatch dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IdleModelStopperStackProps = {}) {
    // Validate before creating anything, so a bad value fails fast and names the stack's prop.
    resolveSettings(props, "IdleModelStopperStack", props.env?.account);
    super(scope, id, {
      description: "Stops idle Amazon Rekognition Custom Labels models on a schedule (idle-model-stopper)",
      ...props,
    });

    // A prop that is not a setting (a newer aws-cdk-lib's stack prop, the app's own) is warned about here, once,
    // and not handed to the construct, which would warn about it again.
    const ignored = ignoredPropNames(props);
    for (const name of ignored)
      Annotations.of(this).addWarningV2(
        "idle-model-stopper:unknown-prop",
        ignoredPropWarning(name, "IdleModelStopperStack"),
      );
    const stopperProps = Object.fromEntries(
      Object.entries(props).filter(([key]) => !ignored.includes(key)),
    ) as IdleModelStopperStackProps;

    // "Default" leaves the construct out of the resources' logical ids, so they are the same as when the
    // resources sat in the stack itself: an update never replaces the log table.
    this.stopper = new IdleModelStopper(this, "Default", stopperProps);
    this.logTable = this.stopper.logTable;
    this.stopperFunction = this.stopper.stopperFunction;
    this.schedule = this.stopper.schedule;
    this.followUpFunction = this.stopper.followUpFunction;
    this.deadLetterQueue = this.stopper.deadLetterQueue;
    this.notificationTopic = this.stopper.notificationTopic;
    this.dashboard = this.stopper.dashboard;

    new CfnOutput(this, "LogTableName", {
      description: "DynamoDB table with one item per stopped model",
      value: this.logTable.tableName,
    });
    new CfnOutput(this, "FunctionName", {
      description: "Lambda function that stops idle models; invoke it to run now",
      value: this.stopperFunction.functionName,
    });
    new CfnOutput(this, "FollowUpFunctionName", {
      description: "Lambda function that follows stops up every 15 minutes; invoke it to run now",
      value: this.followUpFunction.functionName,
    });
    new CfnOutput(this, "DeadLetterQueueUrl", {
      description: "SQS queue holding scheduled invocations that could not be delivered",
      value: this.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, "NotificationTopicArn", {
      description: "SNS topic with each run's digest and the alarms; subscribe to it to be told",
      value: this.notificationTopic.topicArn,
    });
    new CfnOutput(this, "DashboardName", {
      description: "CloudWatch dashboard of stops, estimated savings, errors and run duration",
      value: this.dashboard.dashboardName,
    });
    // The organization mode (issue 11) only: without accounts or OUs the stack's outputs stay as they were.
    if (this.stopper.organization)
      new CfnOutput(this, "StateMachineArn", {
        description:
          "Step Functions state machine that runs the stopper over the organization; start it to run now",
        value: this.stopper.organization.stateMachine.stateMachineArn,
      });
  }
}
