/**
 * Grants kept although no test's call uses them, each with its reason. The permission section of the proof report
 * (permissions.ts) fails on an unused grant that is not here, and on an entry here that is no longer granted or that
 * a call does use, so the list stays true.
 */

/** One grant kept on purpose: the principal, the action and resource as written in the template, and why. */
export interface DeliberateGrant {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
}

// As the template writes them (Fn::Sub syntax), the same in every account and region.
const LOG_GROUP = `\${FunctionLogGroupBD1576D5.Arn}`;
const FOLLOW_UP_LOG_GROUP = `\${FollowUpLogGroupDD5EFD4A.Arn}`;
const DEAD_LETTER_QUEUE = `\${ScheduleDeadLetterQueue0D6B48D2.Arn}`;

/** The grants no test call uses, and why each is needed all the same. */
export const DELIBERATE_GRANTS: readonly DeliberateGrant[] = [
  ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
    principal: "function role",
    action,
    resource: LOG_GROUP,
    reason:
      "Lambda itself writes the function's stdout to its log group with the function's role; the code makes no " +
      "CloudWatch Logs call, and the sandbox runs no Lambda service to make it.",
  })),
  {
    principal: "function role",
    action: "sqs:SendMessage",
    resource: DEAD_LETTER_QUEUE,
    reason:
      "Lambda sends a run that failed twice to the on-failure destination with the function's role; no test runs " +
      "Lambda's asynchronous retries.",
  },
  // The organization mode (issue 11): the hub's role of that template has the same two kinds.
  ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
    principal: "hub role (organization mode)",
    action,
    resource: LOG_GROUP,
    reason:
      "Lambda itself writes the function's stdout to its log group with the function's role; the code makes no " +
      "CloudWatch Logs call, and the sandbox runs no Lambda service to make it.",
  })),
  {
    principal: "hub role (organization mode)",
    action: "sqs:SendMessage",
    resource: DEAD_LETTER_QUEUE,
    reason:
      "Step Functions invokes the function synchronously, so only an asynchronous invocation by hand that fails " +
      "twice reaches the on-failure destination, sent by Lambda with the function's role; no test runs that.",
  },
  ...[
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
  ].map((action) => ({
    principal: "state machine role",
    action,
    resource: "*",
    reason:
      "Step Functions sets up the delivery of the state machine's logs to its log group with these calls when the " +
      "state machine is created or updated (they have no resource-level permissions); no test deploys one.",
  })),
  // The organization mode's follow-up role (issues 11 and 12) has the same two kinds.
  ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
    principal: "hub follow-up role (organization mode)",
    action,
    resource: FOLLOW_UP_LOG_GROUP,
    reason:
      "Lambda itself writes the follow-up function's stdout to its own log group with that function's role; the " +
      "code makes no CloudWatch Logs call, and the sandbox runs no Lambda service to make it.",
  })),
  {
    principal: "hub follow-up role (organization mode)",
    action: "sqs:SendMessage",
    resource: DEAD_LETTER_QUEUE,
    reason:
      "Lambda sends a follow-up that failed to the on-failure destination with the follow-up function's role; no " +
      "test runs Lambda's asynchronous invocations.",
  },
  ...["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
    principal: "follow-up function role",
    action,
    resource: FOLLOW_UP_LOG_GROUP,
    reason:
      "Lambda itself writes the follow-up function's stdout to its own log group with that function's role; the " +
      "code makes no CloudWatch Logs call, and the sandbox runs no Lambda service to make it.",
  })),
  {
    principal: "follow-up function role",
    action: "sqs:SendMessage",
    resource: DEAD_LETTER_QUEUE,
    reason:
      "Lambda sends a follow-up that failed to the on-failure destination with the follow-up function's role; no " +
      "test runs Lambda's asynchronous invocations.",
  },
];
