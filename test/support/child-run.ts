/** A child process run to its end, for the tests that run a command as a user would. */

import type { ChildProcess } from "node:child_process";

/** How a child process ended, and what it printed. */
export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a child's piped stdout and stderr until it closes; rejects when it could not be started. */
export function childRun(child: ChildProcess): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
