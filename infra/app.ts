/** The CDK app: `npx cdk deploy` (see cdk.json) runs this file. */
import { InvalidSettingError } from "../common/settings.ts";
import { createStopperApp } from "./stopper-app.ts";

try {
  createStopperApp();
} catch (error) {
  // A bad setting is the user's to fix: show the sentence, not a stack trace.
  if (!(error instanceof InvalidSettingError)) throw error;
  console.error(error.message);
  process.exit(1);
}
