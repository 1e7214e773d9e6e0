/**
 * The organization mode's state machine, run locally as Step Functions runs it (issue 11): the synthesized
 * definition is executed by `aws-local-stepfunctions` (an ASL interpreter: JSONPath, Parameters and ItemSelector,
 * the context object, Map with MaxConcurrency, Retry and Catch), and each Task calls the real bundle in a child node
 * process with exactly the input the definition gives it. Each invocation is also checked as a call of the state
 * machine's role (lambda:InvokeFunction on the function), and every call a member account's spoke role session makes
 * is checked against the spoke template's policies.
 */

import { StateMachine } from "aws-local-stepfunctions";
import { CallGuard } from "./call-guard.ts";
import type { CallRecord } from "./call-log.ts";
import type { CfnTemplate } from "./cfn-template.ts";
import { type RegisteredExecution, spokeAccessKeyOf } from "./organization-endpoints.ts";
import { PermissionChecker, roleSession } from "./permission-check.ts";
import type { SynthesizedStateMachine } from "./state-machine.ts";
import type { StopperWorld } from "./stopper-world.ts";
import { deployedPolicies, type PolicyDocument } from "./template-policies.ts";

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node.js 22); the tools also run on Node.js 20, which lacks it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      return { promise, resolve, reject };
    },
  });
}

/** How reports name the spoke roles (every member account's, one principal: they hold the same policies). */
export const SPOKE_ROLE = "spoke role";

/** How reports name the state machine's role. */
export const STATE_MACHINE_ROLE = "state machine role";

/** The key the state machine's invocations are noted under, for its guard. */
const STATE_MACHINE_KEY = "ASIASANDBOXSTATEMACHINE";

/** The spoke template as deployed in the member accounts, with its parameters. */
export interface SpokeDeployment {
  readonly template: CfnTemplate;
  readonly parameters: Readonly<Record<string, string | readonly string[]>>;
  /** The member accounts it is deployed in. */
  readonly accounts: readonly string[];
  readonly region: string;
}

/** The spoke role's logical id, name, ARN in an account, and its trust policy resolved. */
export function spokeRoleIn(spoke: SpokeDeployment, account: string) {
  const deployed = deployedPolicies(spoke.template, {
    account,
    region: spoke.region,
    stackName: "IdleModelStopperSpoke",
    parameters: spoke.parameters,
  });
  const [logicalId] =
    Object.entries(spoke.template.Resources).find(([, r]) => r.Type === "AWS::IAM::Role") ?? [];
  if (!logicalId) throw new Error("the spoke template has no role");
  const role = deployed.role(logicalId);
  const trust = deployed.resolver.resolve(
    spoke.template.Resources[logicalId]?.Properties?.AssumeRolePolicyDocument,
  ) as PolicyDocument;
  return { ...role, trust };
}

/** The trust policies of the spoke roles, by ARN: the resource policies of the hub's sts:AssumeRole calls. */
export function spokeTrustPolicies(spoke: SpokeDeployment): Map<string, PolicyDocument> {
  return new Map(
    spoke.accounts.map((account) => {
      const role = spokeRoleIn(spoke, account);
      return [role.arn, role.trust];
    }),
  );
}

/** Checks every call of the spoke roles' sessions, one guard per member account. */
export class SpokeGuards {
  private readonly guards: Map<string, CallGuard>;

  constructor(spoke: SpokeDeployment) {
    this.guards = new Map(
      spoke.accounts.map((account) => {
        const role = spokeRoleIn(spoke, account);
        const checker = new PermissionChecker(roleSession(SPOKE_ROLE, account, role, "idle-model-stopper"));
        return [
          spokeAccessKeyOf(account),
          new CallGuard(checker, { accessKeyId: spokeAccessKeyOf(account) }),
        ];
      }),
    );
  }

  /** Notes a call: only those signed by a spoke role's session are kept, each by its account's guard. */
  observe(call: CallRecord): void {
    if (call.accessKeyId !== undefined) this.guards.get(call.accessKeyId)?.observe(call);
  }

  /** Simulates the calls noted; throws naming every refused one. */
  async settle(): Promise<void> {
    for (const guard of this.guards.values()) await guard.settle();
  }
}

/** An event of a local execution (the library does not export its type): what the transitions are counted from. */
export interface EventLog {
  readonly type: string;
  readonly timestamp?: number;
}

/** One Task the definition ran: its state, the event it gave the function, and what came back. */
export interface TaskInvocation {
  readonly state: string;
  readonly event: unknown;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/** How an execution went. */
export interface ExecutionOutcome {
  readonly output?: unknown;
  /** The error that failed the execution. */
  readonly error?: { readonly name: string; readonly message: string };
  readonly invocations: readonly TaskInvocation[];
  /** State transitions, as Step Functions bills them: every state entered, every retry. */
  readonly transitions: number;
  readonly events: readonly EventLog[];
}

/** Runs one execution of the synthesized state machine over a stopper world. */
export async function runExecution(
  world: StopperWorld,
  machine: SynthesizedStateMachine,
  template: CfnTemplate,
  options: {
    readonly input: unknown;
    readonly name: string;
    /** Calls the world's bundle invocations take, e.g. `{ timeScale }`; each Task is its own cold start. */
    readonly invoke?: Parameters<StopperWorld["invoke"]>[1];
    /** Environment on top of the function's, e.g. its pacing sped up with the world. */
    readonly env?: Record<string, string>;
  },
): Promise<ExecutionOutcome> {
  const { account, region } = world.sandbox;
  const deployed = deployedPolicies(template, { account, region });
  const role = deployed.role(machine.roleLogicalId);
  const guard = new CallGuard(
    new PermissionChecker(roleSession(STATE_MACHINE_ROLE, account, role, options.name)),
    { accessKeyId: STATE_MACHINE_KEY },
  );
  const invocations: TaskInvocation[] = [];
  const executionArn = `arn:aws:states:${region}:${account}:execution:${machine.name}:${options.name}`;
  const execution = {
    executionArn,
    stateMachineArn: machine.arn,
    name: options.name,
    startDate: world.clock(),
    status: "RUNNING" as RegisteredExecution["status"],
  };
  world.sandbox.executions.push(execution);
  let count = 0;
  const task = (state: string, resource: string) => async (event: unknown) => {
    guard.observe({
      operation: "Invoke",
      action: "lambda:InvokeFunction",
      resource,
      region,
      accessKeyId: STATE_MACHINE_KEY,
    });
    count += 1;
    const run = await world.invoke(options.env ?? {}, {
      requestId: `${options.name}-${count}`,
      event,
      ...options.invoke,
    });
    if (run.error || run.result === undefined) {
      const error = run.error ?? { name: "Sandbox.Timedout", message: `the function ended: ${run.signal}` };
      invocations.push({ state, event, error });
      // Step Functions names a function's error by its errorType.
      throw Object.assign(new Error(error.message), { name: error.name });
    }
    invocations.push({ state, event, result: run.result });
    return run.result as never;
  };
  const handlers = Object.fromEntries(
    tasksOf(machine.definition).map(([name, resource]) => [name, task(name, resource)]),
  );
  const stateMachine = new StateMachine(machine.definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const run = stateMachine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      // The retries' pauses count as transitions all the same; the test does not wait them out.
      retryIntervalOverrides: Object.fromEntries(tasksOf(machine.definition).map(([name]) => [name, 0])),
    },
    context: {
      Execution: { Id: executionArn, Name: options.name },
      StateMachine: { Id: machine.arn, Name: machine.name },
    },
  });
  const events: EventLog[] = [];
  const collected = (async () => {
    for await (const event of run.eventLogs) events.push(event as EventLog);
  })();
  let output: unknown;
  let failure: { name: string; message: string } | undefined;
  try {
    output = await run.result;
    execution.status = "SUCCEEDED";
  } catch (error) {
    execution.status = "FAILED";
    const cause = (error as { cause?: unknown }).cause ?? error;
    failure = {
      name: (cause as Error).name ?? "Error",
      message: (cause as Error).message ?? String(cause),
    };
  }
  await collected;
  await guard.settle();
  return {
    ...(failure ? { error: failure } : { output }),
    invocations,
    transitions: transitionsOf(events),
    events,
  };
}

/** Every Task state of a definition, Map processors included, with its resource. */
function tasksOf(definition: SynthesizedStateMachine["definition"]): [string, string][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    ...(state.Type === "Task" ? [[name, state.Resource ?? ""] as [string, string]] : []),
    ...(state.ItemProcessor ? tasksOf(state.ItemProcessor) : []),
  ]);
}

/** State transitions in an execution's events: each state entered, and each retry. */
export function transitionsOf(events: readonly EventLog[]): number {
  return events.filter((event) => event.type === "StateEntered" || event.type === "StateRetried").length;
}
