/**
 * The package's entry point, for CDK apps that add the stopper to their own stack:
 * `import { IdleModelStopper } from "idle-model-stopper"`.
 */
export type { StopperSettings } from "../common/settings.ts";
export { InvalidSettingError, SETTINGS } from "../common/settings.ts";
export { IdleModelStopper, type IdleModelStopperProps } from "./idle-model-stopper.ts";
export {
  DEFAULT_INFRA_SETTINGS,
  INFRA_SETTINGS,
  type InfraSettings,
  LOG_RETENTION_DAYS,
  type StackSettings,
} from "./stack-settings.ts";
export {
  METRICS_NAMESPACE,
  SERVICE_NAME,
  type StopperMetricName,
  stopperMetric,
} from "./stopper-dashboard.ts";
export { IdleModelStopperStack, type IdleModelStopperStackProps } from "./stopper-stack.ts";
