/** The CDK app: `npx cdk deploy` (see cdk.json) runs this file. */
import { App } from "aws-cdk-lib";
import { InvalidSettingError } from "../common/settings.ts";
import { propsFromContext } from "./context.ts";
import { IdleModelStopperStack } from "./stopper-stack.ts";

const app = new App();
try {
  new IdleModelStopperStack(app, "IdleModelStopper", propsFromContext(app.node));
} catch (error) {
  // A bad setting is the user's to fix: show the sentence, not a stack trace.
  if (!(error instanceof InvalidSettingError)) throw error;
  console.error(error.message);
  process.exit(1);
}
