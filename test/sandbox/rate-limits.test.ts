import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeProjectsCommand,
  ListTagsForResourceCommand,
  RekognitionClient,
} from "@aws-sdk/client-rekognition";
import { BENCH_RATE_LIMITS, type Sandbox, scaleRateLimits, startSandbox } from "../../sandbox/index.ts";
import { RateLimiter, TokenBucket } from "../../sandbox/rate-limits.ts";

describe("token bucket", () => {
  it("admits a full burst, refuses the next call, and admits again as tokens refill", () => {
    // Prepare: 5 calls a second, one second of burst, a clock in milliseconds.
    const bucket = new TokenBucket(5, 5, 0);

    // Act
    const burst = Array.from({ length: 6 }, () => bucket.tryTake(0));
    const tooSoon = bucket.tryTake(199);
    const afterOneRefill = bucket.tryTake(200);

    // Assess
    assert.deepEqual(burst, [true, true, true, true, true, false]);
    assert.equal(tooSoon, false);
    assert.equal(afterOneRefill, true);
  });

  it("never holds more than its burst, however long it rests", () => {
    const bucket = new TokenBucket(5, 2, 0);

    const admitted = Array.from({ length: 4 }, () => bucket.tryTake(60_000)).filter(Boolean).length;

    assert.equal(admitted, 2);
  });
});

describe("rate limiter", () => {
  it("keeps one bucket per region and operation", () => {
    const limiter = new RateLimiter("rekognition", () => 0);
    limiter.configure({ DescribeProjects: 1, ListTagsForResource: 1 });

    const first = limiter.admit("DescribeProjects", "us-east-1");
    const second = limiter.admit("DescribeProjects", "us-east-1");
    const otherRegion = limiter.admit("DescribeProjects", "eu-west-1");
    const otherOperation = limiter.admit("ListTagsForResource", "us-east-1");
    const unlimited = limiter.admit("StopProjectVersion", "us-east-1");

    assert.equal(first, undefined);
    assert.deepEqual(second, { tps: 1, burst: 1 });
    assert.equal(otherRegion, undefined);
    assert.equal(otherOperation, undefined);
    assert.equal(unlimited, undefined);
  });

  it("refuses an unknown operation and a rate that is not above zero, naming them", () => {
    const limiter = new RateLimiter("cloudwatch");

    assert.throws(
      () => limiter.configure({ GetMetricStatistics: 5 }),
      /cloudwatch\.GetMetricStatistics: unknown/,
    );
    assert.throws(() => limiter.configure({ GetMetricData: 0 }), /cloudwatch\.GetMetricData: tps is 0/);
    assert.throws(() => limiter.configure({ GetMetricData: { tps: 5, burst: 0.5 } }), /burst is 0\.5/);
  });

  it("scales a preset by refilling faster while keeping the same burst", () => {
    const scaled = scaleRateLimits(BENCH_RATE_LIMITS, 20);

    assert.deepEqual(scaled.rekognition?.DescribeProjectVersions, { tps: 100, burst: 5 });
    assert.deepEqual(scaled.cloudwatch?.GetMetricData, { tps: 1000, burst: 50 });
  });
});

describe("sandbox rate limits over the real SDK", () => {
  let sandbox: Sandbox;
  let rekognition: RekognitionClient;
  let cloudwatch: CloudWatchClient;
  // The sandbox's clock drives the buckets' refill; the tests move it by hand, so no test waits or races.
  const START = Date.UTC(2026, 10, 28, 2, 0, 0);
  let now = START;
  const getMetricData = new GetMetricDataCommand({
    MetricDataQueries: [
      {
        Id: "m0",
        MetricStat: {
          Metric: { Namespace: "AWS/Rekognition", MetricName: "SuccessfulRequestCount" },
          Period: 60,
          Stat: "Sum",
        },
      },
    ],
    StartTime: new Date(START - 3_600_000),
    EndTime: new Date(START),
  });

  before(async () => {
    sandbox = await startSandbox({ clock: () => now });
    const config = {
      region: "us-east-1",
      // One attempt: the test sees the sandbox's answer, not the SDK's retry.
      maxAttempts: 1,
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY,
      },
    };
    rekognition = new RekognitionClient({ ...config, endpoint: sandbox.endpoints.rekognition });
    cloudwatch = new CloudWatchClient({ ...config, endpoint: sandbox.endpoints.cloudwatch });
  });

  after(async () => {
    rekognition.destroy();
    cloudwatch.destroy();
    await sandbox.stop();
    sandbox.assertMatchesApiModels();
  });

  beforeEach(() => {
    now = START;
    sandbox.setRateLimits({});
    sandbox.setFaults({});
    sandbox.clearCalls();
  });

  /** Sends every call at once and returns the name of each outcome, `ok` for a success. */
  const outcomes = (calls: (() => Promise<unknown>)[]) =>
    Promise.all(
      calls.map((call) =>
        call().then(
          () => "ok",
          (error: Error) => error.name,
        ),
      ),
    );

  it("answers nothing throttled while no limit is set", async () => {
    const results = await outcomes(
      Array.from({ length: 30 }, () => () => rekognition.send(new DescribeProjectsCommand({}))),
    );

    assert.deepEqual(new Set(results), new Set(["ok"]));
  });

  it("throttles a burst beyond the bucket with Rekognition's ThrottlingException, and logs it as rate-limited", async () => {
    // Prepare: the clock stands still, so the burst alone decides.
    sandbox.setRateLimits({ rekognition: { DescribeProjects: { tps: 1, burst: 10 } } });

    // Act
    const results = await outcomes(
      Array.from({ length: 15 }, () => () => rekognition.send(new DescribeProjectsCommand({}))),
    );

    // Assess
    assert.equal(results.filter((r) => r === "ok").length, 10);
    assert.equal(results.filter((r) => r === "ThrottlingException").length, 5);
    const throttled = sandbox.calls.filter((call) => call.rateLimited);
    assert.equal(throttled.length, 5);
    assert.ok(throttled.every((call) => call.outcome === "ThrottlingException" && call.statusCode === 500));
    assert.equal(sandbox.rateLimitCounts().rekognition.byOperation.DescribeProjects, 5);
    // A rate limit is not an injected fault.
    assert.equal(sandbox.faultCounts().rekognition.throttled, 0);
  });

  it("admits calls again once the bucket has refilled", async () => {
    sandbox.setRateLimits({ rekognition: { ListTagsForResource: { tps: 10, burst: 1 } } });
    const arn = "arn:aws:rekognition:us-east-1:123456789012:project/none/1";
    const listTags = () => rekognition.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    const outcome = () =>
      listTags().then(
        () => "ok",
        (error: Error) => error.name,
      );

    const first = await outcome();
    now += 50;
    const halfATokenLater = await outcome();
    now += 50;
    const oneTokenLater = await outcome();

    // The bucket only gates: an admitted call is answered as usual (here: no such project).
    assert.equal(first, "ResourceNotFoundException");
    assert.equal(halfATokenLater, "ThrottlingException");
    assert.equal(oneTokenLater, "ResourceNotFoundException");
  });

  it("throttles GetMetricData with CloudWatch's Throttling error", async () => {
    sandbox.setRateLimits({ cloudwatch: { GetMetricData: { tps: 1, burst: 2 } } });

    const results = await outcomes(Array.from({ length: 3 }, () => () => cloudwatch.send(getMetricData)));

    assert.deepEqual(results.sort(), ["Throttling", "ok", "ok"]);
    assert.equal(sandbox.rateLimitCounts().cloudwatch.throttled, 1);
  });

  it("gives ListMetrics a bucket of its own, at 25 TPS in the bench's limits", async () => {
    // Prepare: the bench's limits, with GetMetricData's bucket emptied first.
    sandbox.setRateLimits(BENCH_RATE_LIMITS);
    await outcomes(Array.from({ length: 50 }, () => () => cloudwatch.send(getMetricData)));
    const listMetrics = () => cloudwatch.send(new ListMetricsCommand({ Namespace: "AWS/Rekognition" }));

    // Act
    const burst = await outcomes(Array.from({ length: 26 }, () => listMetrics));
    now += 40;
    const oneTokenLater = await outcomes([listMetrics]);

    // Assess
    assert.equal(burst.filter((r) => r === "ok").length, 25);
    assert.equal(burst.filter((r) => r === "Throttling").length, 1);
    assert.deepEqual(oneTokenLater, ["ok"]);
    assert.equal(sandbox.rateLimitCounts().cloudwatch.byOperation.ListMetrics, 1);
  });

  it("counts a region's calls in that region's bucket only", async () => {
    sandbox.setRateLimits({ rekognition: { DescribeProjects: { tps: 1, burst: 1 } } });
    const europe = new RekognitionClient({
      region: "eu-west-1",
      maxAttempts: 1,
      endpoint: sandbox.endpoints.rekognition,
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    });

    try {
      const results = await outcomes([
        () => rekognition.send(new DescribeProjectsCommand({})),
        () => europe.send(new DescribeProjectsCommand({})),
      ]);

      assert.deepEqual(results, ["ok", "ok"]);
    } finally {
      europe.destroy();
    }
  });

  it("starts with the limits it is given", async () => {
    const limited = await startSandbox({
      rateLimits: { rekognition: { DescribeProjects: { tps: 1, burst: 1 } } },
      // A clock that stands still: the bucket cannot refill between the two calls, however slow the machine.
      clock: () => START,
    });
    const client = new RekognitionClient({
      region: "us-east-1",
      maxAttempts: 1,
      endpoint: limited.endpoints.rekognition,
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    });
    try {
      const results = await outcomes(
        Array.from({ length: 2 }, () => () => client.send(new DescribeProjectsCommand({}))),
      );

      assert.deepEqual(results.sort(), ["ThrottlingException", "ok"]);
    } finally {
      client.destroy();
      await limited.stop();
    }
    limited.assertMatchesApiModels();
  });
});
