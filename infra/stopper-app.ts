import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { propsFromContext } from "./context.ts";
import { IdleModelStopperStack } from "./stopper-stack.ts";

/** The app and its one stack. */
export interface StopperApp {
  readonly app: App;
  readonly stack: IdleModelStopperStack;
}

/**
 * Builds the app `npx cdk deploy` runs: the stack with its settings from context, checked at synth against
 * cdk-nag's AWS Solutions rules. A finding that is not acknowledged fails `cdk synth`, with the report.
 * @throws InvalidSettingError for a bad context value, before anything is built.
 */
export function createStopperApp(props: AppProps = {}): StopperApp {
  const app = new App(props);
  const stack = new IdleModelStopperStack(app, "IdleModelStopper", propsFromContext(app.node));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
