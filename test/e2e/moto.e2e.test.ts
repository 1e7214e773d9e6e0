/**
 * End to end on a backend this repository did not write: the synthesized bundle runs with CloudWatch, DynamoDB and
 * SNS served by moto (Python) and Rekognition by the sandbox, and again with everything on the sandbox, against the
 * same fixed clock. Decisions, StopProjectVersion calls, log records and the digest must be the same on both.
 * Without Python and moto's server the file skips, saying what it did not check.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import type { Invocation } from "../../sandbox/bundle.ts";
import type { SeedProject } from "../../sandbox/index.ts";
import { findMoto, type MotoServer, startMoto } from "../../sandbox/moto.ts";
import { type DigestMessage, type MotoWorld, startMotoWorld } from "../../sandbox/moto-world.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import type { LogItem, StopperSummary, StopperWorld } from "../../sandbox/stopper-world.ts";

/** What both backends' worlds do: run the nightly function (moto is not set up for the follow-up). */
type NightlyWorld = Omit<StopperWorld, "invokeFollowUp">;

import { idleFor10Hours, mainCaseMix } from "../support/case-mix.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

/** Both backends, the sandbox and the function start at this instant, a minute boundary. */
const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const MINUTE = 60_000;
/** A run is over well within this; timestamps from NOW up to it are the run's own clock readings. */
const RUN_SPAN_MS = 10 * MINUTE;
const TTL_SECONDS = 400 * 86_400;
const SERVICES = ["CloudWatch", "DynamoDB", "SNS", "EventBridge"];
const NOT_CHECKED =
  "decisions, stops and log records with CloudWatch, DynamoDB, SNS and EventBridge served by moto";

const isoAt = (epochMs: number) => new Date(epochMs).toISOString();
const idle = idleFor10Hours;

/** What a user would compare between two backends: everything but the run's own clock readings. */
interface Outcome {
  readonly exitCode: number | null;
  readonly scanned?: number;
  readonly stopped: string[];
  readonly kept: Record<string, string>;
  readonly errors: unknown[];
  readonly unfinished: unknown[];
  /** StopProjectVersion calls that landed, by model ARN. */
  readonly stops: string[];
  readonly records: Record<string, unknown>[];
  readonly digests: DigestMessage[];
}

/**
 * A time the run read from its clock (at or after NOW, within the run's span) becomes a placeholder; times that
 * come from the data (datapoints, tags) stay. Both functions start at NOW, so their readings differ by milliseconds.
 */
function withoutRunTimes(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, (iso) => {
    const at = Date.parse(iso);
    return at >= NOW && at < NOW + RUN_SPAN_MS ? "<run time>" : iso;
  });
}

/** A record with its clock readings checked for consistency, then replaced by placeholders. */
function comparableRecord(item: LogItem): Record<string, unknown> {
  const stoppedAt = Date.parse(item.stoppedAt);
  assert.ok(
    stoppedAt >= NOW && stoppedAt < NOW + RUN_SPAN_MS,
    `stoppedAt ${item.stoppedAt} is the run's time`,
  );
  assert.equal(
    item.expiresAt,
    Math.floor(stoppedAt / 1000) + TTL_SECONDS,
    "expiresAt is 400 days after the stop",
  );
  if (item.completedAt !== undefined)
    assert.ok(Date.parse(String(item.completedAt)) >= stoppedAt, "completedAt is not before stoppedAt");
  return JSON.parse(withoutRunTimes(JSON.stringify({ ...item, expiresAt: "<stoppedAt + 400 days>" })));
}

async function outcomeOf(
  world: NightlyWorld,
  run: Invocation<StopperSummary>,
  digests: readonly DigestMessage[],
): Promise<Outcome> {
  const summary = run.result;
  const kept = Object.fromEntries(
    (summary?.skipped ?? [])
      .map((s) => [s.arn ?? `${s.region} ${s.model}`, withoutRunTimes(s.reason)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return {
    exitCode: run.exitCode,
    scanned: summary?.scanned,
    stopped: [...(summary?.stopped ?? [])].sort(),
    kept,
    errors: summary?.errors ?? [],
    unfinished: summary?.unfinished ?? [],
    stops: world.sandbox.calls
      .filter((c) => c.operation === "StopProjectVersion" && c.outcome === "ok")
      .map((c) => String(c.input.ProjectVersionArn))
      .sort(),
    records: (await world.items()).map(comparableRecord),
    digests: digests.map(({ subject, message }) => ({
      ...(subject !== undefined && { subject }),
      message: withoutRunTimes(message),
    })),
  };
}

/** The fields of two outcomes that differ, by name. */
function differences(a: Outcome, b: Outcome): string[] {
  return (Object.keys(a) as (keyof Outcome)[]).filter((key) => !isDeepStrictEqual(a[key], b[key]));
}

const moto = findMoto();
const skip = moto.available ? false : `${moto.reason}; not checked: ${NOT_CHECKED}`;
if (!moto.available)
  recordProof("backend", [{ backend: "moto", skipped: moto.reason, notChecked: NOT_CHECKED }]);

describe("the main scenario on moto (CloudWatch, DynamoDB, SNS, EventBridge) and on the sandbox", {
  skip,
}, () => {
  const stopper = useSynthesizedStopper();
  let server: MotoServer | undefined;
  const motoWorlds: MotoWorld[] = [];
  let motoStartMs = 0;

  before(async () => {
    if (!moto.available) return;
    const started = performance.now();
    server = await startMoto({ moto });
    motoStartMs = Math.round(performance.now() - started);
  });
  after(async () => {
    await Promise.all(motoWorlds.map((world) => world.stop()));
    await server?.stop();
  });

  /** The same account on both backends, both clocks pinned to NOW; STARTING and STOPPING never settle. */
  async function worlds(projects: SeedProject[]): Promise<{ onMoto: MotoWorld; onSandbox: StopperWorld }> {
    assert.ok(server, "moto was started");
    const options = () => ({
      seed: { projects: structuredClone(projects), now: NOW },
      clock: () => NOW,
      transitionDelayMs: 60_000,
    });
    const onMoto = await startMotoWorld(stopper.fn, server, options());
    motoWorlds.push(onMoto);
    const onSandbox = await stopper.world(options());
    return { onMoto, onSandbox };
  }

  /** Records the comparison in the proof ledger, then asserts it. */
  function assertSame(scenario: string, onMoto: Outcome, onSandbox: Outcome, startedAt: number): void {
    const differing = differences(onMoto, onSandbox);
    recordProof("backend", [
      {
        backend: "moto",
        version: server?.version,
        services: SERVICES,
        scenario,
        equal: differing.length === 0,
        differences: differing,
        scanned: onMoto.scanned,
        stops: onMoto.stops.length,
        records: onMoto.records.length,
        digests: onMoto.digests.length,
        durationMs: Math.round(performance.now() - startedAt),
        motoStartMs,
      },
    ]);
    assert.deepEqual(onMoto, onSandbox, `moto and the sandbox differ in: ${differing.join(", ")}`);
  }

  const invokeBoth = (
    pair: { onMoto: MotoWorld; onSandbox: StopperWorld },
    env: Record<string, string>,
    options: Parameters<StopperWorld["invoke"]>[1],
  ) =>
    Promise.all([
      pair.onMoto.invoke(env, { ...options, clockStart: NOW }),
      pair.onSandbox.invoke(env, { ...options, clockStart: NOW }),
    ]);

  it("one run over the wire: the same decisions, stops, records and digest on both", async () => {
    const started = performance.now();
    const pair = await worlds(mainCaseMix(NOW));
    const { onMoto, onSandbox } = pair;
    const arn = (project: string, version: string) =>
      onSandbox.sandbox.rekognition.modelArn(project, version);

    const [motoRun, sandboxRun] = await invokeBoth(pair, {}, { requestId: "backend-run-1" });

    assert.equal(motoRun.exitCode, 0, motoRun.stderr);
    const motoOutcome = await outcomeOf(onMoto, motoRun, await onMoto.published());
    const sandboxOutcome = await outcomeOf(onSandbox, sandboxRun, onSandbox.sandbox.sns.messages);
    // moto served CloudWatch, DynamoDB, SNS and EventBridge: the sandbox beside it saw Rekognition calls only.
    assert.ok(onMoto.sandbox.calls.length > 0);
    assert.deepEqual([...new Set(onMoto.sandbox.calls.map((c) => c.service))], ["rekognition"]);
    // What the sandbox run must show (the full expectations are in stopper.e2e.test.ts).
    const expectedStops = [
      arn("cases", "idle"),
      arn("cases", "snooze-over"),
      arn("over-project", "v1.0"),
    ].sort();
    assert.deepEqual(sandboxOutcome.stopped, expectedStops);
    assert.deepEqual(sandboxOutcome.stops, expectedStops);
    // Metrics-first discovery (the default): ListMetrics served by each backend, the busy and recent models judged
    // by name, and the RUNNING model without InServiceInferenceUnits not seen.
    assert.equal(sandboxOutcome.scanned, 9);
    assert.match(sandboxOutcome.kept["us-east-1 cases/busy"] ?? "", /^in use: 12 requests/);
    assert.match(sandboxOutcome.kept["us-east-1 cases/busy-with-errors"] ?? "", /\(2 user error\)/);
    assert.match(sandboxOutcome.kept["us-east-1 cases/recent"] ?? "", /^started recently: .* \(1h00m ago\)/);
    assert.equal(sandboxOutcome.kept[arn("cases", "no-data")], undefined);
    assert.equal(
      sandboxOutcome.kept["us-east-1 kept-project/v1"],
      "opted out: tag auto-stop=off on the project",
    );
    assert.deepEqual(
      sandboxOutcome.records.map((record) => [record.modelArn, record.status]),
      expectedStops.map((stopped) => [stopped, "STOPPING"]),
    );
    assert.equal(sandboxOutcome.digests[0]?.subject, "idle-model-stopper: stopped 3 models ($16.00/h)");
    assert.equal(motoOutcome.digests.length, 1, "the digest reached moto's topic");
    // moto's EventBridge took the stops' events as the sandbox's did.
    assert.deepEqual(motoRun.result?.announced, { events: 3, tagged: 3, failed: 0 });
    assert.deepEqual(motoRun.result?.announced, sandboxRun.result?.announced);
    assertSame("one run over the wire", motoOutcome, sandboxOutcome, started);

    // A second run straight after the first, with Describe lagging behind the stops: the log in each backend says
    // the models were already handled, so nothing is stopped or recorded twice.
    const secondStarted = performance.now();
    for (const world of [onMoto, onSandbox]) {
      for (const stopped of expectedStops) world.sandbox.rekognition.setModelStatus(stopped, "RUNNING");
      world.sandbox.clearCalls();
    }

    const [motoSecond, sandboxSecond] = await invokeBoth(pair, {}, { requestId: "backend-run-2" });

    assert.equal(motoSecond.exitCode, 0, motoSecond.stderr);
    // Only what this run published: a run that stops nothing and meets no error sends no digest.
    const motoSecondOutcome = await outcomeOf(onMoto, motoSecond, (await onMoto.published()).slice(1));
    const sandboxSecondOutcome = await outcomeOf(
      onSandbox,
      sandboxSecond,
      onSandbox.sandbox.sns.messages.slice(1),
    );
    assert.deepEqual(sandboxSecondOutcome.stopped, []);
    assert.deepEqual(sandboxSecondOutcome.stops, []);
    assert.deepEqual(sandboxSecondOutcome.digests, []);
    for (const stopped of expectedStops)
      assert.match(sandboxSecondOutcome.kept[stopped] ?? "", /^already handled by run backend-run-1 at /);
    assertSame(
      "a second run straight after the first",
      motoSecondOutcome,
      sandboxSecondOutcome,
      secondStarted,
    );
  });

  it("a crash after the log write, before StopProjectVersion: the retry completes the same record on both", async () => {
    const started = performance.now();
    // Three idle models at different costs, stopped one at a time, most expensive first.
    const pair = await worlds([
      {
        name: "crash",
        versions: [
          { name: "one", status: "RUNNING", ...idle(1) },
          { name: "two", status: "RUNNING", ...idle(2) },
          { name: "three", status: "RUNNING", ...idle(3) },
          { name: "busy", status: "RUNNING", ...idle(1), requests: [{ minutesAgo: 15, count: 3 }] },
        ],
      },
    ]);
    const env = { STOP_CONCURRENCY: "1" };
    const event = (attempt: string) => ({ scheduledTime: isoAt(NOW), attempt });
    // The sandbox holds StopProjectVersion for a minute: the function is killed once its first record is written.
    const hold = { rekognition: { operations: { StopProjectVersion: { latencyMs: 60_000 } } } };
    for (const world of [pair.onMoto, pair.onSandbox]) world.sandbox.setFaults(hold);

    const crashed = await Promise.all(
      [pair.onMoto, pair.onSandbox].map((world) => crashOnceRecorded(world, env, event("1"))),
    );

    for (const run of crashed) assert.equal(run.signal, "SIGKILL");
    const pending = await Promise.all([pair.onMoto.items(), pair.onSandbox.items()]);
    assert.deepEqual(
      pending.map((items) => items.map((item) => [item.versionName, item.status])),
      [[["three", "STOP_PENDING"]], [["three", "STOP_PENDING"]]],
    );
    for (const world of [pair.onMoto, pair.onSandbox]) {
      world.sandbox.setFaults({});
      world.sandbox.clearCalls();
    }

    const [motoRetry, sandboxRetry] = await invokeBoth(pair, env, { event: event("2") });

    assert.equal(motoRetry.exitCode, 0, motoRetry.stderr);
    const motoOutcome = await outcomeOf(pair.onMoto, motoRetry, await pair.onMoto.published());
    const sandboxOutcome = await outcomeOf(pair.onSandbox, sandboxRetry, pair.onSandbox.sandbox.sns.messages);
    const three = pair.onSandbox.sandbox.rekognition.modelArn("crash", "three");
    assert.ok(sandboxOutcome.stops.includes(three));
    assert.equal(sandboxOutcome.records.length, 3);
    assert.ok(
      sandboxOutcome.records.every((record) => record.status === "STOPPING" && !("pendingRegion" in record)),
    );
    const motoRecord = (await pair.onMoto.items()).find((item) => item.versionName === "three");
    assert.equal(
      motoRecord?.stoppedAt,
      pending[0]?.[0]?.stoppedAt,
      "the crashed run's record, completed in moto",
    );
    assertSame("a crash after the log write, then the retry", motoOutcome, sandboxOutcome, started);
  });
});

/** Invokes the bundle and kills it once the world's log table holds a record: between the write and the stop. */
async function crashOnceRecorded(
  world: NightlyWorld,
  env: Record<string, string>,
  event: unknown,
): Promise<Invocation<StopperSummary>> {
  const kill = new AbortController();
  const watch = (async () => {
    while (!kill.signal.aborted) {
      if ((await world.items()).length > 0) kill.abort();
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const run = await world.invoke(env, { event, clockStart: NOW, signal: kill.signal });
  kill.abort();
  await watch;
  return run;
}
