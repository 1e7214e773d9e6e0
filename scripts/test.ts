/**
 * `npm test`: every test file under test/ with node's test runner, with the proof ledger on; then the proof report
 * (permissions, API models, the Lambda runtime, a third-party backend), printed and written to
 * `test-output/proof.json`. Exits non-zero when a test fails or the report finds a broken promise.
 *
 *   npm test                      # everything
 *   npm test -- test/e2e          # only the test files under the given folders or files (report still printed)
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PROOF_DIR_VARIABLE } from "../sandbox/proof-ledger.ts";
import { ensureCompiled } from "./build/compile.ts";
import { ensureLambdaBundles } from "./build/lambda-bundle.ts";
import { buildProofReport } from "./proof/report.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Test files run side by side: node's default, one fewer than the CPUs, but at least two. Most files wait on the
 * sandbox, a child process or the bundle more than they compute, so a second file fills that time even on two
 * CPUs (node's default there is one at a time).
 */
const TEST_CONCURRENCY = Math.max(2, availableParallelism() - 1);

/** Every `*.test.ts` file under the given paths, sorted. */
function testFiles(paths: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else if (path.endsWith(".test.ts")) found.push(relative(ROOT, path));
  };
  for (const path of paths) walk(join(ROOT, path));
  return found.sort();
}

async function main(): Promise<number> {
  const startLoad = loadavg()[0] ?? 0;
  const args = process.argv.slice(2);
  const files = testFiles(args.length > 0 ? args : ["test"]);
  if (files.length === 0) {
    console.error(`No *.test.ts file under ${args.join(", ")}.`);
    return 2;
  }
  // The tests run the bundle and the compiled CLI: build them once from the current sources (a no-op when
  // nothing changed), before test files running side by side could each start the same build.
  await ensureLambdaBundles();
  await ensureCompiled();
  const ledger = mkdtempSync(join(tmpdir(), "idle-model-stopper-proof-"));
  try {
    const run = spawnSync("npx", ["tsx", "--test", `--test-concurrency=${TEST_CONCURRENCY}`, ...files], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, [PROOF_DIR_VARIABLE]: ledger },
    });
    const report = await buildProofReport(ledger);
    if (report.lines.length > 0) console.log(["", "Proof against AWS:", ...report.lines].join("\n"));
    for (const failure of report.failures) console.error(`PROOF FAILED: ${failure}`);
    mkdirSync(join(ROOT, "test-output"), { recursive: true });
    const proof = {
      // Only a run of every test file judges everything; `npm run figures` records no other.
      complete: args.length === 0,
      files: files.length,
      seconds: Math.round(performance.now() / 100) / 10,
      node: process.version,
      cores: cpus().length,
      concurrency: TEST_CONCURRENCY,
      loadAverage: Math.round(startLoad * 10) / 10,
      recordedAt: new Date().toISOString(),
      figures: report.figures,
      sectionLines: report.sectionLines,
      failures: report.failures,
    };
    writeFileSync(join(ROOT, "test-output", "proof.json"), `${JSON.stringify(proof, null, 2)}\n`);
    if (run.status !== 0) return run.status ?? 1;
    return report.failures.length > 0 ? 1 : 0;
  } finally {
    rmSync(ledger, { recursive: true, force: true });
  }
}

process.exitCode = await main();
