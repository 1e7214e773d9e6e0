// The CLI as bin/idle-model-stopper.mjs starts it, in a process of its own, except that CliIo.clock reads the
// fixed instant CLI_FIXED_CLOCK (epoch ms) instead of the wall: what scan and history print about time ("idle for",
// "cost avoided until now") is then exact, however long the process takes to start on a busy machine. Only the
// CLI's own clock is fixed; the AWS SDK in the same process keeps the wall for signing, retries and timeouts.
import { register } from "tsx/esm/api";

const text = process.env.CLI_FIXED_CLOCK;
const now = Number(text);
if (!text || !Number.isSafeInteger(now))
  throw new Error(`CLI_FIXED_CLOCK must be epoch milliseconds, got ${text}`);

register({ tsconfig: false });
const { processIo } = await import("../../cli/io.ts");
const { runCli } = await import("../../cli/run-cli.ts");

process.exitCode = await runCli(process.argv.slice(2), { ...processIo(), clock: () => now });
