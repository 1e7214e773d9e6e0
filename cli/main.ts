/** The CLI's entry point, compiled into dist/cli/main.js, which bin/idle-model-stopper.mjs runs. */

import { processIo } from "./io.ts";
import { quietUnsupportedNode } from "./node-support.ts";
import { runCli } from "./run-cli.ts";

// `idle-model-stopper history | head` closes stdout early: that ends the output, it is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

// One line of our own on an unsupported Node.js, instead of the AWS SDK's multi-line warning.
const notice = quietUnsupportedNode(process.env, process.version, "idle-model-stopper");
if (notice) process.stderr.write(`${notice}\n`);

// exitCode rather than process.exit(): stdout is flushed before the process ends, even into a slow pipe.
process.exitCode = await runCli(process.argv.slice(2), processIo());
