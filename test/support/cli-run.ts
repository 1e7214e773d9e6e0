/**
 * The `idle-model-stopper` command run in a child process against a sandbox, as a user with no AWS settings of their
 * own: the sandbox's endpoints and region, the CLI user's access key, no config or credentials files.
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SandboxEnv } from "../../sandbox/index.ts";
import { type ChildRun, childRun } from "./child-run.ts";

/** The real launcher, `node bin/idle-model-stopper.mjs …`, as a user runs it. */
export const CLI_LAUNCHER = fileURLToPath(new URL("../../bin/idle-model-stopper.mjs", import.meta.url));

/** The launcher that gives the CLI the instant in `CLI_FIXED_CLOCK` (epoch ms) as its clock. */
export const FIXED_CLOCK_LAUNCHER = fileURLToPath(new URL("./cli-fixed-clock.mjs", import.meta.url));

/** What one CLI run is given besides its arguments. */
export interface CliRunOptions {
  /** The sandbox's environment (`sandbox.env`): its endpoints and region. */
  readonly sandboxEnv: SandboxEnv;
  /** The CLI user's access key: the permission check tells the CLI's calls from the harness's by it. */
  readonly accessKeyId: string;
  /** More variables, over the others; one given as undefined is left out. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** What the CLI reads on stdin. @default nothing, as in a pipeline */
  readonly stdin?: string;
  /** Waited for once the CLI has ended, before its run is returned: the permission checks of the calls it made. */
  readonly settle?: () => Promise<unknown>;
}

/** Runs a CLI entry script (one of the launchers) with `args`, and returns how it ended. */
export async function runCli(
  script: string,
  args: readonly string[],
  options: CliRunOptions,
): Promise<ChildRun> {
  const base = { ...process.env };
  // The developer's own settings must not leak into the run.
  for (const name of ["AWS_PROFILE", "AWS_DEFAULT_REGION", "IDLE_MODEL_STOPPER_TABLE"]) delete base[name];
  const child = spawn(process.execPath, [script, ...args], {
    env: {
      ...base,
      ...options.sandboxEnv,
      AWS_ACCESS_KEY_ID: options.accessKeyId,
      AWS_CONFIG_FILE: "/nonexistent",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
      ...options.env,
    },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  const run = await childRun(child);
  await options.settle?.();
  return run;
}
