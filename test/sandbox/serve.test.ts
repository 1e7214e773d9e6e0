/**
 * `npm run sandbox` (sandbox/serve.ts) from a shell: where it places each service, and that a taken port or a bad
 * option ends it at once, naming what is wrong, before anything is compiled or synthesized.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SANDBOX_SERVICES } from "../../sandbox/index.ts";
import { exportLines, servicePorts, tryThis } from "../../sandbox/serve.ts";
import { type ChildRun, childRun } from "../support/child-run.ts";

const SERVE = fileURLToPath(new URL("../../sandbox/serve.ts", import.meta.url));

/** Runs serve.ts as `npm run sandbox` does (node --import tsx), and returns how it ended. */
function serve(args: readonly string[]): Promise<ChildRun> {
  return childRun(
    spawn(process.execPath, ["--import", "tsx", SERVE, ...args], { stdio: ["ignore", "pipe", "pipe"] }),
  );
}

/** Listens on `port` of 127.0.0.1; resolves undefined when the port is taken. */
function listenOn(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise((resolve) => server.close(resolve));

/**
 * Holds a port whose lower neighbour is free, both below the ports the system hands out by itself (Linux's ephemeral
 * range starts at 32768, macOS's at 49152): a port of the ephemeral range's neighbour may be taken at any moment by
 * another test's connection, and the run would then fail on that one instead.
 */
async function holdPortAfterFreeOne(): Promise<{ holder: net.Server; port: number }> {
  for (let port = 23_001; port < 32_768; port += 2) {
    const neighbour = await listenOn(port - 1);
    if (!neighbour) continue;
    const holder = await listenOn(port);
    await close(neighbour);
    if (holder) return { holder, port };
  }
  throw new Error("no free pair of ports from 23000 to 32767 on 127.0.0.1");
}

describe("npm run sandbox", () => {
  it("places the six services on consecutive ports from --port, in a fixed order, or all on free ports with 0", () => {
    assert.deepEqual(servicePorts(4600), {
      rekognition: 4600,
      cloudwatch: 4601,
      dynamodb: 4602,
      sns: 4603,
      cloudformation: 4604,
      eventbridge: 4605,
    });
    assert.deepEqual(
      Object.values(servicePorts(0)),
      SANDBOX_SERVICES.map(() => 0),
    );
  });

  it("prints the exports as shell lines and the commands to try, the restart naming the model", () => {
    assert.deepEqual(exportLines({ AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1" }), [
      "export AWS_REGION=us-east-1",
      "export AWS_DEFAULT_REGION=us-east-1",
    ]);
    assert.deepEqual(tryThis("arn:x"), [
      "npx idle-model-stopper scan",
      "npm run invoke",
      "npx idle-model-stopper history",
      "npx idle-model-stopper restart arn:x --yes",
    ]);
  });

  it("is described in sandbox/README.md with each of its services, none left out", () => {
    const readme = readFileSync(new URL("../../sandbox/README.md", import.meta.url), "utf8");
    const table = readme.slice(0, readme.indexOf("\n\n", readme.indexOf("| Service")));
    const names: Record<(typeof SANDBOX_SERVICES)[number], RegExp> = {
      rekognition: /^\| Rekognition/m,
      cloudwatch: /^\| CloudWatch/m,
      dynamodb: /^\| DynamoDB/m,
      sns: /^\| SNS/m,
      cloudformation: /^\| CloudFormation/m,
      eventbridge: /^\| EventBridge/m,
    };

    for (const service of SANDBOX_SERVICES) assert.match(table, names[service], service);
    assert.doesNotMatch(readme, /\b(three|four) services\b/);
  });

  it("ends at once with exit 1 when one of its ports is taken, naming the port and the service", async () => {
    // Prepare: hold a port, and ask for the block whose second port (CloudWatch's) it is.
    const { holder, port: taken } = await holdPortAfterFreeOne();
    try {
      // Act
      const run = await serve(["--port", String(taken - 1)]);

      // Assess
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^error: port ${taken} \\(cloudwatch\\) is already in use on 127\\.0\\.0\\.1\\. Stop what holds it, or pass --port <n> to place the 6 services on n to n\\+5\\.$`,
          "m",
        ),
      );
      assert.ok(!run.stderr.includes("Compiling"), "nothing is compiled or synthesized first");
      assert.equal(run.stdout, "");
    } finally {
      await close(holder);
    }
  });

  it("refuses a bad option value with exit 2 and the usage", async () => {
    const run = await serve(["--port", "http"]);

    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: Invalid --port: "http"\. Allowed: a whole number from 0 to 65530$/m);
    assert.match(run.stderr, /^Usage: npm run sandbox/m);
  });
});
