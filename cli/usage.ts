/** The usage texts: the whole CLI, and each command. */

import { DEFAULT_SETTINGS } from "../common/settings.ts";
import type { CommandName } from "./errors.ts";
import { DEFAULT_STACK, TABLE_ENV } from "./log-table.ts";

const TABLE_OPTIONS = `  --table NAME           the log table (default: $${TABLE_ENV}, else the stack's
                         LogTableName output)
  --stack NAME           the stack to read LogTableName from (default: ${DEFAULT_STACK})
  --region REGION        the region of the table and the stack (default: your AWS SDK default region)`;

const ACCOUNT_USAGE = `  --account ID           act in this member account of the organization, through its spoke role
  --role-name NAME       the role to assume there with your credentials (default: IdleModelStopperSpoke)`;
const ENVIRONMENT = `Credentials and the default region come from the AWS SDK's default chain: --profile NAME (before or
after the command), else AWS_PROFILE, AWS_REGION, ~/.aws/config and so on. AWS_MAX_ATTEMPTS sets the attempts per
AWS call (default: ${DEFAULT_SETTINGS.maxAttempts}).`;

/** The exit codes, as every command uses them; the README's table says the same. */
export const EXIT_CODES = `Exit codes: 0 done; 1 an AWS call failed or something could not be read; 2 wrong usage (a bad
command, option or value); 3 nothing done on purpose (the start was declined, or there was nothing to do).`;

/** The CLI's usage. */
export const MAIN_USAGE = `Usage: idle-model-stopper <command> [options]
       idle-model-stopper --version

Commands:
  scan                 show what the stopper would stop now, and why; changes nothing
  history              list the stops in the log table and the cost they avoided
  restart MODEL_ARN    start a stopped model again with the inference units it had when it was stopped

Options for every command:
  --profile NAME       the named profile of your AWS config and credentials files (default: AWS_PROFILE)
  -h, --help           show the command's help

Run idle-model-stopper <command> --help for the command's options.
${ENVIRONMENT}
${EXIT_CODES}
`;

/** Each command's usage. */
export const COMMAND_USAGE: Record<CommandName, string> = {
  scan: `Usage: idle-model-stopper scan [options]

Runs the stopper's discovery and decision core against your account, read-only: no model is stopped and no
log record is written. Prints one row per running Custom Labels model, with how far its metrics reach (EVIDENCE
UNTIL: requests after it may not be in CloudWatch yet), then what a run would stop. By default, like the
function, it finds the models in service from their metrics and describes only the idle ones.

Options:
  --region REGION        a region code such as us-east-1 to scan; repeat it or separate regions with
                         commas (default: your AWS SDK default region)
  --idle-minutes N       minutes without requests before a model may be stopped, 15-10080
                         (default: ${DEFAULT_SETTINGS.idleMinutes})
  --opt-out-tag-key KEY  the tag that opts a model or project out, or snoozes it (default: ${DEFAULT_SETTINGS.optOutTagKey})
  --require-opt-in       only models or projects tagged KEY=true may be stopped
  --price USD            USD per inference-unit hour, for the costs shown (default: ${DEFAULT_SETTINGS.pricePerInferenceUnitHour})
  --max-stops N          the most models one run stops; the rest show as kept (default: ${DEFAULT_SETTINGS.maxStopsPerRun})
  --full                 describe every project and version (discovery=full) instead of finding the models in
                         service from their metrics: slower, but also lists a RUNNING model that publishes no
                         InServiceInferenceUnits (started before August 2022), which is never stopped
  --table NAME           the stopper's log table (default: $${TABLE_ENV}): show each model's open warning,
                         and when a run may stop it (without a table, warnings are not shown)
  --table-region REGION  the region of the log table (default: your AWS SDK default region)
  --json                 print the decisions as JSON instead of the table
${ACCOUNT_USAGE}
  --profile NAME         the named profile of your AWS config and credentials files
  -h, --help             show this help

Progress goes to stderr, the table or JSON to stdout.
${ENVIRONMENT}
${EXIT_CODES}
`,
  history: `Usage: idle-model-stopper history [options]

Lists the stops recorded in the stopper's log table, oldest first, and estimates the cost they avoided; then
the warnings before a stop (WARNED, CLEARED, STOPPED_AFTER_WARNING, EXPIRED), which are not stops.

Options:
  --since WHEN           7d, 24h, 90m, a date (2026-11-01, from 00:00 UTC) or an ISO-8601 date-time
                         with Z or an offset (default: 7d)
  --model ARN            only this model's records
  --account ID           only this account's records (the table is the hub's, read with your credentials)
${TABLE_OPTIONS}
  --json                 print the records and totals as JSON instead of the table
  --profile NAME         the named profile of your AWS config and credentials files
  -h, --help             show this help

${ENVIRONMENT}
${EXIT_CODES}
`,
  restart: `Usage: idle-model-stopper restart MODEL_ARN [options]

Starts a stopped model again, with the MinInferenceUnits and MaxInferenceUnits of its newest live (not dry-run)
record in the log table. It reads the model's status first: a model that is RUNNING, STARTING or STOPPING is left
alone (exit 3). It says what it will start, with which units, and asks first; declining exits 3.

Options:
  -y, --yes              start without asking
${TABLE_OPTIONS}
${ACCOUNT_USAGE}
                         (that role needs rekognition:DescribeProjects, DescribeProjectVersions and
                         StartProjectVersion on the account's projects and models)
  --profile NAME         the named profile of your AWS config and credentials files
  -h, --help             show this help

${ENVIRONMENT}
${EXIT_CODES}
`,
};
