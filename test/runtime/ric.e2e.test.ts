/**
 * The synthesized bundle as Lambda runs it: the Lambda Runtime Interface Client (aws-lambda-ric) on the Node.js
 * major the template's `Runtime` names, with the variables Lambda sets, the template's handler, environment, memory
 * and timeout, driven through the sandbox's Runtime API. Each scenario is recorded in the proof ledger.
 *
 * Needs `.cache/lambda-runtime` (`bash scripts/install-lambda-runtime.sh`, or `bash .ci/run`); without it the file
 * skips with one line saying so, unless IMS_REQUIRE_LAMBDA_RUNTIME=1 (CI), where it fails.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSettingError, SETTINGS } from "../../common/settings.ts";
import { ORGANIZATION_BUNDLE_DIR } from "../../infra/handler-source.ts";
import type { ItemSummary } from "../../lambda/core/organization.ts";
import { type Invocation, scheduledEvent } from "../../sandbox/bundle.ts";
import type { CallRecord, SeedProject } from "../../sandbox/index.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import {
  installedLambdaRuntime,
  locateLambdaRuntime,
  startRuntimeClient,
} from "../../sandbox/runtime-client.ts";
import type { LogItem, StopperSummary, StopperWorld } from "../../sandbox/stopper-world.ts";
import { idle, pinnedClock, runtimeAvailability, START } from "../support/lambda-runtime-fixture.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

const { missing, skip } = runtimeAvailability(
  "ric",
  "not run under the Lambda runtime client",
  "every scenario",
  installedLambdaRuntime,
);

// No synth when nothing can run: the skip costs nothing.
const stopper = skip ? undefined : useSynthesizedStopper();
const fixture = () => stopper as NonNullable<typeof stopper>;

/** A world whose sandbox and function share one pinned clock. */
async function world(
  projects: SeedProject[],
  options: Parameters<ReturnType<typeof fixture>["world"]>[0] = {},
): Promise<StopperWorld & { readonly clock: () => number }> {
  const clock = pinnedClock();
  const w = await fixture().world({ seed: { projects }, clock, ...options });
  return Object.assign(w, { clock });
}

/** Figures a scenario measured, for the proof report. */
interface ScenarioFigures {
  /** The cold start's init phase: from starting the process to its first request to the Runtime API. */
  readonly initDurationMs?: number;
  /** Peak resident memory of the runtime process. */
  readonly peakRssBytes?: number;
}

/** Figures of one invocation under the runtime client. */
const figuresOf = (run: Invocation<unknown>): ScenarioFigures => ({
  ...(run.runtimeApi?.initDurationMs !== undefined && { initDurationMs: run.runtimeApi.initDurationMs }),
  ...(run.maxRssBytes !== undefined && { peakRssBytes: run.maxRssBytes }),
});

/** A test that runs one scenario under the runtime client and records its outcome in the proof ledger. */
function scenario(name: string, body: () => Promise<ScenarioFigures | undefined>) {
  it(name, async () => {
    const fn = fixture().fn;
    // Fails, rather than skips, when the install does not match the template's runtime: that is a broken promise.
    const runtime = locateLambdaRuntime(fn.runtime);
    let outcome = "failed";
    let figures: ScenarioFigures | undefined;
    try {
      figures = await body();
      outcome = "passed";
    } finally {
      recordProof("runtime", [
        {
          path: "ric",
          scenario: name,
          runtime: fn.runtime,
          nodeVersion: runtime.nodeVersion,
          clientVersion: runtime.clientVersion,
          outcome,
          ...figures,
        },
      ]);
    }
  });
}

const stopCalls = (calls: readonly CallRecord[]) =>
  calls.filter((c) => c.operation === "StopProjectVersion" && c.outcome === "ok");
const targetOf = (call: CallRecord) => String(call.input.ProjectVersionArn);
/**
 * A log record without the instants that differ from one run to another: the run's own clock readings, among them
 * the moment of the last look, which its reason also names.
 */
const recordFacts = ({ stoppedAt, completedAt, expiresAt, lastLook, reason, ...facts }: LogItem) => ({
  ...facts,
  ...(lastLook !== undefined && {
    lastLook: { ...(lastLook as Record<string, unknown>), at: "(the run's clock)" },
  }),
  reason: String(reason).replace(/(the last look from \S+ to )\S+( saw)/, "$1(the run's clock)$2"),
});
const NODE_WARNING = /NodeVersionSupportWarning/;

/** What went over the Runtime API in one invocation, a line a request: method, path and status. */
const requestLines = (run: Invocation<unknown>) =>
  run.runtimeApi?.requests.map((r) => `${r.method} ${r.path} ${r.statusCode}`);

/**
 * The runtime client ran one cold start on Node.js 22, asked for the event `requestId` and answered it, and no SDK
 * support warning was printed.
 */
function assertAnsweredOnNode22(run: Invocation<unknown>, requestId: string): void {
  assert.equal(run.exitCode, 0, run.stderr);
  assert.doesNotMatch(run.stderr, NODE_WARNING, "a supported Node.js prints no SDK support warning");
  assert.equal(run.runtimeApi?.nodeVersion.split(".")[0], "v22");
  assert.deepEqual(requestLines(run), [
    "GET /2018-06-01/runtime/invocation/next 200",
    `POST /2018-06-01/runtime/invocation/${requestId}/response 202`,
  ]);
}

describe("the bundle under the Lambda runtime client", { skip }, () => {
  it("runs on the Node.js major the template's runtime names", () => {
    const { fn } = fixture();
    const runtime = locateLambdaRuntime(fn.runtime);

    assert.equal(fn.runtime, "nodejs22.x");
    assert.match(runtime.nodeVersion, /^v22\./);
    assert.equal(runtime.clientVersion, "4.0.2");
  });

  scenario("main end to end: stops and records exactly what a plain node run does", async () => {
    const { fn } = fixture();
    const account = (): SeedProject[] => [
      {
        name: "shop",
        versions: [
          idle("idle", {
            minInferenceUnits: 2,
            inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units: 2 }],
          }),
          idle("busy", { requests: [{ minutesAgo: 30, count: 12 }] }),
          {
            name: "recent",
            status: "RUNNING",
            inService: [{ fromMinutesAgo: 60, toMinutesAgo: 0, units: 1 }],
          },
          idle("opted-out", { tags: { "auto-stop": "never" } }),
          { name: "stopped", status: "STOPPED" },
        ],
      },
      { name: "kept-project", tags: { "auto-stop": "off" }, versions: [idle("v1")] },
    ];
    const plainWorld = await world(account());
    const ricWorld = await world(account());
    const arn = (project: string, version: string) => ricWorld.sandbox.rekognition.modelArn(project, version);

    // The nightly run as the schedule sends it: the template's Input, filled in by EventBridge Scheduler.
    const event = scheduledEvent(fn, new Date(Date.UTC(2026, 10, 28, 2, 0, 0)));
    const plain = await plainWorld.invoke(
      {},
      { requestId: "night-1", event, clockStart: plainWorld.clock() },
    );
    const ric = await ricWorld.invoke(
      {},
      { requestId: "night-1", event, clockStart: ricWorld.clock(), runtime: "ric" },
    );

    // The runtime client ran it, on Node.js 22, through the Runtime API, and answered.
    assertAnsweredOnNode22(ric, "night-1");
    assert.equal(
      ric.runtimeApi?.handed?.functionArn,
      `arn:aws:lambda:us-east-1:${ricWorld.sandbox.account}:function:${fn.functionName}`,
    );
    // Within Lambda's limits: the init phase under 10 s, the memory under the template's MemorySize.
    assert.ok((ric.runtimeApi?.initDurationMs ?? Number.POSITIVE_INFINITY) < 10_000);
    assert.ok(
      (ric.maxRssBytes ?? Number.POSITIVE_INFINITY) < fn.memorySize * 1024 * 1024,
      `${ric.maxRssBytes}`,
    );

    // Its decisions: the idle model stopped, every other one kept for its reason.
    const summary = ric.result as StopperSummary;
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(summary.stopped, [arn("shop", "idle")]);
    // Metrics-first discovery, the default, keeps a busy model, one started recently and one its project's tags
    // opt out by name, without describing them: their reasons are under `<project>/<version>`, not an ARN.
    const reasonOf = (project: string, version: string) =>
      summary.skipped.find((s) => s.arn === arn(project, version) || s.model === `${project}/${version}`)
        ?.reason;
    assert.match(reasonOf("shop", "busy") ?? "", /^in use: 12 requests in the last 3h00m/);
    assert.match(reasonOf("shop", "recent") ?? "", /^started recently: in service since .* \(1h00m ago\)/);
    assert.equal(reasonOf("shop", "opted-out"), "opted out: tag auto-stop=never on the model");
    assert.equal(reasonOf("kept-project", "v1"), "opted out: tag auto-stop=off on the project");
    assert.match(ricWorld.sandbox.rekognition.model(arn("shop", "idle"))?.status ?? "", /^STOPP(ING|ED)$/);
    assert.deepEqual(stopCalls(ricWorld.sandbox.calls).map(targetOf), [arn("shop", "idle")]);

    // Its log record, complete when the runtime answered (the environment is frozen from then on).
    const [record, ...others] = await ricWorld.items();
    assert.deepEqual(others, []);
    assert.equal(record?.status, "STOPPING");
    assert.equal(record?.runId, "scheduled-2026-11-28T02:00:00Z", "named by the schedule's time");
    assert.equal(record?.stoppedAt, new Date(Date.parse(String(record?.stoppedAt))).toISOString());
    assert.ok(String(record?.stoppedAt).startsWith("2026-11-28T02:0"), "stamped with the function's clock");

    // The same as on plain node: summary, records, digest and metrics.
    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.deepEqual(ric.result, plain.result);
    assert.deepEqual((await ricWorld.items()).map(recordFacts), (await plainWorld.items()).map(recordFacts));
    assert.deepEqual(
      ricWorld.sandbox.sns.messages.map((m) => m.subject),
      plainWorld.sandbox.sns.messages.map((m) => m.subject),
    );
    const metrics = (run: Invocation<StopperSummary>) =>
      run.logs.filter((line) => line._aws !== undefined).map(({ _aws, ...values }) => values);
    assert.deepEqual(metrics(ric), metrics(plain));
    assert.equal(metrics(ric).length, 1);
    const summaryLine = ric.logs.find((line) => line.message === "run summary");
    assert.deepEqual(summaryLine?.summary, summary);
    // On Lambda, every log line of the run also carries the invocation's trace id.
    const traceRoot = /^Root=([^;]+);/.exec(ric.runtimeApi?.handed?.traceId ?? "")?.[1];
    const runLines = ric.logs.filter((line) => line.runId !== undefined);
    assert.ok(runLines.length > 0);
    assert.ok(traceRoot && runLines.every((line) => line.xray_trace_id === traceRoot), String(traceRoot));
    return figuresOf(ric);
  });

  scenario(
    "a crash after StopProjectVersion, before the log update: the next invocation completes the record",
    async () => {
      const w = await world([{ name: "crash", versions: [idle("a"), idle("b")] }], {
        faults: { dynamodb: { operations: { UpdateItem: { latencyMs: 60_000 } } } },
      });
      const env = { STOP_CONCURRENCY: "1" };
      const kill = new AbortController();
      const watch = setInterval(() => {
        if (stopCalls(w.sandbox.calls).length > 0) kill.abort();
      }, 5);

      const crashed = await w.invoke(env, {
        requestId: "crash-night",
        clockStart: w.clock(),
        runtime: "ric",
        signal: kill.signal,
      });
      clearInterval(watch);

      assert.equal(crashed.signal, "SIGKILL");
      assert.equal(crashed.runtimeApi?.handed?.requestId, "crash-night");
      assert.equal(crashed.runtimeApi?.outcome, undefined, "the runtime never answered");
      const stopped = targetOf(stopCalls(w.sandbox.calls)[0] as CallRecord);
      assert.deepEqual(
        (await w.items()).map((item) => [item.modelArn, item.status]),
        [[stopped, "STOP_PENDING"]],
      );
      w.sandbox.setFaults({});

      const next = await w.invoke(env, { requestId: "next-night", clockStart: w.clock(), runtime: "ric" });

      assert.equal(next.exitCode, 0, next.stderr);
      assert.deepEqual(next.result?.errors, []);
      const items = await w.items();
      const record = items.find((item) => item.modelArn === stopped);
      assert.equal(record?.status, "STOPPED");
      assert.equal(record?.runId, "crash-night");
      assert.equal(record?.reconciledBy, "next-night");
      assert.equal(record?.pendingRegion, undefined, "out of the PendingStops index");
      assert.equal(stopCalls(w.sandbox.calls).filter((c) => targetOf(c) === stopped).length, 1);
      const other = w.sandbox.rekognition.modelArn("crash", "a") === stopped ? "b" : "a";
      assert.deepEqual(next.result?.stopped, [w.sandbox.rekognition.modelArn("crash", other)]);
      assert.equal(items.length, 2);
    },
  );

  scenario(
    "the organization mode's hub bundle: the state machine's item step for the hub's own account",
    async () => {
      const w = await world(
        [
          {
            name: "shop",
            versions: [idle("idle"), idle("busy", { requests: [{ minutesAgo: 30, count: 12 }] })],
          },
        ],
        {
          assetDir: ORGANIZATION_BUNDLE_DIR,
        },
      );
      const arn = (version: string) => w.sandbox.rekognition.modelArn("shop", version);
      const hubEnv = { ACCOUNTS: "111111111111", HUB_ACCOUNT_ID: w.sandbox.account, HUB_PARTITION: "aws" };

      // The item the Map hands the function for the hub's own account and region.
      const run = await w.invoke(hubEnv, {
        requestId: "hub-night",
        event: {
          step: "item",
          accountId: w.sandbox.account,
          region: w.sandbox.region,
          runId: "hub-night-run",
          mode: "run",
          scheduledAt: Date.UTC(2026, 10, 28, 2, 0, 0),
          summaryBytes: 8192,
        },
        clockStart: w.clock(),
        runtime: "ric",
      });

      // The hub's own bundle started under the runtime client on Node.js 22, with its STS, Organizations and Step
      // Functions clients, and answered.
      assertAnsweredOnNode22(run, "hub-night");
      const summary = run.result as unknown as ItemSummary;
      assert.deepEqual([summary.status, summary.errors, summary.stopped], ["ok", 0, 1]);
      assert.deepEqual(summary.stoppedArns, [arn("idle")]);
      assert.deepEqual(stopCalls(w.sandbox.calls).map(targetOf), [arn("idle")]);
      // Its own account, with its own role: no spoke role assumed.
      assert.ok(!w.sandbox.calls.some((c) => c.service === "sts"), "no STS call");
      const [record, ...others] = await w.items();
      assert.deepEqual(others, []);
      assert.equal(record?.modelArn, arn("idle"));
      assert.equal(record?.runId, "hub-night-run");
      assert.equal(record?.status, "STOPPING");
      return figuresOf(run);
    },
  );

  scenario(
    "a bad setting fails the cold start: the init error reaches the Runtime API, naming the variable",
    async () => {
      const w = await world([{ name: "p", versions: [idle("a")] }]);
      w.sandbox.clearCalls();
      const cases = ["IDLE_MINUTES", "DRY_RUN", "MAX_STOPS_PER_RUN"].map((variable) => {
        const spec = SETTINGS.find((s) => s.env === variable);
        assert.ok(spec, variable);
        return { variable, value: variable === "DRY_RUN" ? "maybe" : "0", allowed: spec.allowed };
      });

      const runs = await Promise.all(
        cases.map(({ variable, value }) =>
          w.invoke({ [variable]: value }, { clockStart: w.clock(), runtime: "ric" }),
        ),
      );

      for (const [i, { variable, value, allowed }] of cases.entries()) {
        const run = runs[i] as Invocation<StopperSummary>;
        const message = new InvalidSettingError(variable, value, allowed).message;
        assert.match(message, new RegExp(`^Invalid ${variable}: `));
        assert.deepEqual(
          {
            errorType: run.runtimeApi?.initError?.errorType,
            errorMessage: run.runtimeApi?.initError?.errorMessage,
          },
          { errorType: "InvalidSettingError", errorMessage: message },
          variable,
        );
        // It never asked for an event: the init error was its only request. The process then ended with code 1.
        assert.deepEqual(requestLines(run), ["POST /2018-06-01/runtime/init/error 202"]);
        assert.deepEqual(run.error, { name: "InvalidSettingError", message });
        assert.equal(run.exitCode, 1);
        // The function's log: the client's own line, with the error as JSON.
        const initLine = run.stdout.split("\n").find((line) => /\tERROR\tInit Error \t\{/.test(line)) ?? "";
        assert.equal(JSON.parse(initLine.slice(initLine.indexOf("{"))).errorMessage, message, run.stdout);
      }
      assert.deepEqual(w.sandbox.calls, [], "no call to any AWS service");
    },
  );

  scenario("counts its time left from the Runtime API's deadline, in the function's clock", async () => {
    // The function's clock is pinned to 2026-11-28 and runs 20 times faster than the wall: a deadline counted in
    // the wall's clock, or in an unpatched one, would leave it days or no time at all. The run describes projects
    // only while more than three margins are left: 170 s is short of 180 s, 600 s is plenty.
    const timeScale = 20;
    const env = { DEADLINE_MARGIN_SECONDS: "60" };
    const tight = await world([{ name: "one", versions: [idle("a")] }]);
    const roomy = await world([{ name: "one", versions: [idle("a")] }]);

    const short = await tight.invoke(env, {
      clockStart: tight.clock(),
      timeScale,
      remainingTimeMs: 170_000,
      runtime: "ric",
    });
    const long = await roomy.invoke(env, {
      clockStart: roomy.clock(),
      timeScale,
      remainingTimeMs: 600_000,
      runtime: "ric",
    });

    assert.equal(short.exitCode, 0, short.stderr);
    // The header counts in the function's clock: the pinned start, plus the init (20 times faster), plus the limit.
    const deadline = short.runtimeApi?.handed?.deadlineMs ?? 0;
    assert.ok(
      deadline > START + 170_000 && deadline < START + 170_000 + 120_000,
      `deadline ${new Date(deadline).toISOString()}`,
    );
    assert.deepEqual(short.result?.stopped, []);
    // Metrics-first discovery, the default, found the idle model by its metrics; it had no time to examine it.
    assert.deepEqual(
      short.result?.unfinished.map((u) => u.reason),
      ["idle by its metrics, but not examined: the run was out of time"],
    );
    // And it says why: the margin leaves it no time to discover.
    assert.match(
      short.result?.errors.map((e) => e.message).join("\n") ?? "",
      /^the run started with 1[5-6]\d s left, no more than the 3 × DEADLINE_MARGIN_SECONDS=60 s discovery leaves/m,
    );
    assert.equal(long.exitCode, 0, long.stderr);
    assert.deepEqual(long.result?.stopped, [roomy.sandbox.rekognition.modelArn("one", "a")]);
  });

  scenario(
    "is ended at its deadline as Lambda ends it, and the next invocation completes what it started",
    async () => {
      const w = await world([{ name: "slow", versions: [idle("a")] }], {
        faults: { rekognition: { operations: { StopProjectVersion: { latencyMs: 60_000 } } } },
      });
      const env = { DEADLINE_MARGIN_SECONDS: "5" };

      // 60 s of function time, 10 times faster (6 s of wall time, room to reach the stop with both cores busy): the
      // held StopProjectVersion outlives the invocation.
      const timedOut = await w.invoke(env, {
        requestId: "slow-night",
        clockStart: w.clock(),
        timeScale: 10,
        remainingTimeMs: 60_000,
        runtime: "ric",
      });
      const pending = await w.items();
      w.sandbox.setFaults({});
      // Lambda retries an asynchronous invocation that timed out with the same request id, hence the same run id.
      const next = await w.invoke(env, { requestId: "slow-night", clockStart: w.clock(), runtime: "ric" });

      assert.deepEqual(timedOut.error, {
        name: "Sandbox.Timedout",
        message: "Task timed out after 60.00 seconds",
      });
      assert.equal(timedOut.signal, "SIGKILL");
      assert.deepEqual(
        pending.map((item) => item.status),
        ["STOP_PENDING"],
      );
      // The held stop never landed; the retry finds the model still idle, stops it and completes its own record.
      assert.equal(next.exitCode, 0, next.stderr);
      const model = w.sandbox.rekognition.modelArn("slow", "a");
      assert.deepEqual(next.result?.stopped, [model]);
      const records = await w.items();
      assert.deepEqual(
        records.map((item) => [item.modelArn, item.stoppedAt, item.status]),
        [[model, pending[0]?.stoppedAt, "STOPPING"]],
      );
      assert.equal(stopCalls(w.sandbox.calls).length, 1, "one StopProjectVersion landed");
    },
  );

  scenario(
    "a large account (2,000 models, 600 running) fits the template's memory under Lambda's heap limits",
    async () => {
      const { fn } = fixture();
      const projects: SeedProject[] = Array.from({ length: 200 }, (_, p) => ({
        name: `team-${p}`,
        versions: Array.from({ length: 10 }, (_, v) =>
          v < 3
            ? idle(`v${v}`, v === 1 ? { requests: [{ minutesAgo: 20, count: 1 }] } : {})
            : { name: `v${v}`, status: "STOPPED" as const },
        ),
      }));
      const w = await world(projects);

      // A dry run at the highest pace the settings allow, ten times faster than the wall.
      const run = await w.invoke(
        { DRY_RUN: "true", REKOGNITION_TPS: "100" },
        { clockStart: w.clock(), timeScale: 10, runtime: "ric" },
      );

      assert.equal(run.exitCode, 0, run.stderr);
      assert.equal(run.result?.scanned, 600);
      assert.deepEqual(run.result?.errors, []);
      assert.equal(run.result?.stopped.length, 25, "the cap of would-stops");
      const peakMb = (run.maxRssBytes ?? Number.POSITIVE_INFINITY) / 1024 / 1024;
      assert.ok(peakMb < fn.memorySize, `peak RSS ${peakMb.toFixed(0)} MB, MemorySize ${fn.memorySize} MB`);
      return figuresOf(run);
    },
  );

  scenario(
    "a warm second invocation in the same environment stops nothing twice and records nothing twice",
    async () => {
      const { fn } = fixture();
      const w = await world([
        { name: "warm", versions: [idle("a"), idle("b", { requests: [{ minutesAgo: 5, count: 1 }] })] },
      ]);
      const client = await startRuntimeClient(fn, { env: w.env, clockStart: w.clock() });
      try {
        const first = await client.invoke<StopperSummary>({ requestId: "first" });
        const callsAfterFirst = w.sandbox.calls.length;
        const second = await client.invoke<StopperSummary>({ requestId: "second" });

        assert.deepEqual(first.result?.stopped, [w.sandbox.rekognition.modelArn("warm", "a")]);
        assert.equal(typeof first.runtimeApi?.initDurationMs, "number", "the first one is the cold start");
        assert.equal(second.exitCode, 0, second.stderr);
        assert.equal(second.runtimeApi?.initDurationMs, undefined, "the second one is warm: no init");
        assert.equal(second.result?.runId, "second");
        assert.deepEqual(second.result?.stopped, []);
        assert.deepEqual(second.result?.errors, []);
        const later = w.sandbox.calls.slice(callsAfterFirst);
        assert.ok(!later.some((c) => c.operation === "StopProjectVersion" || c.operation === "PutItem"));
        assert.equal((await w.items()).length, 1);
        // Its logs carry its own run id only: nothing of the first run's context is left in the logger.
        assert.ok(
          second.logs.filter((line) => line.runId !== undefined).every((line) => line.runId === "second"),
        );
        assert.equal(
          second.logs.filter((line) => line._aws !== undefined).length,
          1,
          "one set of metrics a run",
        );
      } finally {
        await client.stop();
      }
    },
  );
});

if (missing && !skip)
  describe("the Lambda runtime client", () => {
    it("is installed, as CI requires", () => {
      throw missing;
    });
  });
