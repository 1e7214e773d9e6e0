/**
 * The alarm every way of losing a run gets, in the single-account stack and the organization's fan-out alike: one
 * occurrence in one period is enough, and the notification topic hears of it.
 */

import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** An alarm that goes into ALARM when `metric` is 1 or more in one period, and then notifies `topic`. */
export function failureAlarm(
  scope: Construct,
  id: string,
  description: string,
  metric: IMetric,
  topic: ITopic,
): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    // No runs, no datapoints: quiet nights are not failures.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  return alarm;
}
