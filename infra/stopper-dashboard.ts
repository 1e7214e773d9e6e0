import { Duration } from "aws-cdk-lib";
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

/** CloudWatch namespace of the metrics the function publishes in Embedded Metric Format. */
export const METRICS_NAMESPACE = "IdleModelStopper";

/** The Powertools service name: the function's logs carry it, and its metrics have it as their one dimension. */
export const SERVICE_NAME = "idle-model-stopper";

/** The metrics the functions publish once per run, in `METRICS_NAMESPACE` with the dimension `service`. */
export type StopperMetricName =
  | "ModelsScanned"
  | "ModelsStopped"
  | "ModelsKept"
  | "Errors"
  | "EstimatedHourlySavingsUsd"
  | "ModelsWarned"
  // Issue 12, the follow-ups: published by the nightly run and by each follow-up.
  | "ModelsRestarted"
  | "ModelsRegretted"
  | "ModelsStartedByHand";

/** One of the function's own metrics, summed over `period` (default one day). */
export function stopperMetric(name: StopperMetricName, label: string, period = Duration.days(1)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: Stats.SUM,
    period,
    label,
  });
}

const SAVINGS_LABEL = "Estimated USD saved per day (if stopped models stay stopped for a day)";

/** Each run's hourly savings summed and multiplied by 24: what the day's stops save if they last a day. */
function dailySavings(label: string, period = Duration.days(1)): IMetric {
  return new MathExpression({
    expression: "hourly * 24",
    usingMetrics: {
      hourly: stopperMetric("EstimatedHourlySavingsUsd", "Hourly savings of the stops", period),
    },
    label,
    period,
  });
}

/** Properties of the stopper's dashboard. */
export interface StopperDashboardProps {
  /** The stopper function, for its run duration and failed runs. */
  readonly stopperFunction: IFunction;
  /** The follow-up function, for its failed runs and duration. */
  readonly followUpFunction: IFunction;
  /** The function's timeout, drawn as a line on the duration graph. */
  readonly timeout: Duration;
  /** The alarms whose state the dashboard shows. */
  readonly alarms: readonly Alarm[];
  /** The organization mode's state machine (issue 11), for a row of its runs and items; none without it. */
  readonly organization?: {
    failedRuns(period?: Duration): IMetric;
    failedItems(period?: Duration): IMetric;
    readonly stateMachine: {
      metricSucceeded(props?: { statistic?: string; period?: Duration; label?: string }): IMetric;
    };
  };
}

/** A CloudWatch dashboard: stops and estimated savings per day, models scanned and kept, errors, run duration. */
export class StopperDashboard extends Construct {
  /** The dashboard. Its name is generated, as dashboards are global to the account. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: StopperDashboardProps) {
    super(scope, id);
    const fn = props.stopperFunction;
    const failedRuns = fn.metricErrors({
      statistic: Stats.SUM,
      period: Duration.days(1),
      label: "Failed runs",
    });

    this.dashboard = new Dashboard(this, "Resource", {
      defaultInterval: Duration.days(30),
      widgets: [
        [
          new TextWidget({
            width: 24,
            height: 2,
            markdown:
              "## Idle model stopper\n" +
              "Stops idle Rekognition Custom Labels models. Savings are estimates: each stopped model's inference " +
              "units × the price per unit-hour, counted as if the model stayed stopped for a whole day. The stop " +
              "log table has every stop with its reason.",
          }),
        ],
        [
          new SingleValueWidget({
            title: "Over the selected time range",
            width: 12,
            height: 4,
            setPeriodToTimeRange: true,
            metrics: [
              stopperMetric("ModelsStopped", "Models stopped"),
              dailySavings("Estimated USD saved (each stop counted as one day)"),
              stopperMetric("Errors", "Models that could not be handled"),
              failedRuns,
            ],
          }),
          new AlarmStatusWidget({
            title: "Alarms",
            width: 12,
            height: 4,
            alarms: [...props.alarms],
          }),
        ],
        [
          new GraphWidget({
            title: "Models stopped and warned per day",
            width: 12,
            left: [
              stopperMetric("ModelsStopped", "Models stopped"),
              stopperMetric("ModelsWarned", "Models warned (warnBeforeStopHours)"),
            ],
            leftYAxis: { min: 0, label: "Models", showUnits: false },
          }),
          new GraphWidget({
            title: "Estimated USD saved per day",
            width: 12,
            left: [dailySavings(SAVINGS_LABEL)],
            leftYAxis: { min: 0, label: "USD", showUnits: false },
          }),
        ],
        [
          new GraphWidget({
            title: "Models scanned and kept per day",
            width: 12,
            left: [
              stopperMetric("ModelsScanned", "Running models scanned"),
              stopperMetric("ModelsKept", "Models kept running"),
            ],
            leftYAxis: { min: 0, label: "Models", showUnits: false },
          }),
          new GraphWidget({
            title: "Errors per day",
            width: 12,
            left: [stopperMetric("Errors", "Models that could not be handled (see the digest)"), failedRuns],
            leftYAxis: { min: 0, showUnits: false },
          }),
        ],
        [
          new GraphWidget({
            title: "Stops undone per day",
            width: 12,
            left: [
              stopperMetric("ModelsRegretted", "Regretted: a request arrived before the stop"),
              stopperMetric("ModelsRestarted", "Started again by the stopper (regretted or by restart rule)"),
              stopperMetric(
                "ModelsStartedByHand",
                "Started again by hand within a day (threshold too short?)",
              ),
            ],
            leftYAxis: { min: 0, label: "Models", showUnits: false },
          }),
          new GraphWidget({
            title: "Follow-ups: failed runs and duration",
            width: 12,
            left: [
              props.followUpFunction.metricErrors({
                statistic: Stats.SUM,
                period: Duration.days(1),
                label: "Failed follow-ups",
              }),
            ],
            leftYAxis: { min: 0, showUnits: false },
            right: [
              props.followUpFunction.metricDuration({
                statistic: Stats.MAXIMUM,
                period: Duration.days(1),
                label: "Longest follow-up (ms)",
              }),
            ],
            rightYAxis: { min: 0, showUnits: false },
          }),
        ],
        [
          new GraphWidget({
            title: "Run duration",
            width: 24,
            left: [
              fn.metricDuration({ statistic: Stats.MAXIMUM, period: Duration.days(1), label: "Longest run" }),
              fn.metricDuration({ statistic: Stats.AVERAGE, period: Duration.days(1), label: "Average run" }),
            ],
            leftYAxis: { min: 0, label: "Milliseconds", showUnits: false },
            leftAnnotations: [{ value: props.timeout.toMilliseconds(), label: "Function timeout" }],
          }),
        ],
      ],
    });
    // The organization mode: runs over the organization, and the account × region items not served.
    const organization = props.organization;
    if (organization)
      this.dashboard.addWidgets(
        new GraphWidget({
          title: "Runs over the organization per day",
          width: 12,
          left: [
            organization.stateMachine.metricSucceeded({
              statistic: Stats.SUM,
              period: Duration.days(1),
              label: "Runs succeeded",
            }),
            organization.failedRuns(Duration.days(1)),
          ],
          leftYAxis: { min: 0, label: "Runs", showUnits: false },
        }),
        new GraphWidget({
          title: "Accounts × regions not served per day",
          width: 12,
          left: [organization.failedItems(Duration.days(1))],
          leftYAxis: { min: 0, label: "Items", showUnits: false },
        }),
      );
  }
}
