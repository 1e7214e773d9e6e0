/**
 * End to end: the shipped bundle with its CloudWatch client on Smithy RPC v2 CBOR, the protocol CloudWatch's model
 * lists first and a future SDK release may default to. The bundle leaves parts of the SDK out (event streams, the
 * JavaScript SHA-256, the endpoint cache, the credential chain); this builds it again from the same options and
 * plugins, with one more plugin that makes CBOR the client's default, and runs it against a sandbox world, so an
 * alias that breaks the CBOR path in the bundle only fails here rather than in a deployed function.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plugin } from "esbuild";
import { FUNCTION_ACCESS_KEY_ID } from "../../sandbox/function-permissions.ts";
import type { SeedProject } from "../../sandbox/index.ts";
import type { StopperSummary, StopperWorld } from "../../sandbox/stopper-world.ts";
import { buildLambdaBundleVariant } from "../../scripts/build/lambda-bundle.ts";
import { idleFor10Hours as idle } from "../support/case-mix.ts";
import { useSynthesizedStopper } from "../support/stopper-fixture.ts";

/** The default protocol line of the installed client's runtime config, today AWS JSON 1.0, and CBOR's. */
const JSON_DEFAULT = "protocol: config?.protocol ?? AwsJson1_0Protocol,";
const CBOR_DEFAULT = "protocol: config?.protocol ?? AwsSmithyRpcV2CborProtocol,";
// A name of its own, so the import cannot clash with one the file already has.
const CBOR_IMPORT =
  'import { AwsSmithyRpcV2CborProtocol as TestCborDefault } from "@aws-sdk/core/protocols";\n';

/** An SDK file the test relies on no longer reads as expected: the test would no longer test what it says. */
class UnexpectedSdkSourceError extends Error {
  override readonly name = "UnexpectedSdkSourceError";
}

/** How the plugin found the client's runtime config. */
interface ProtocolPatch {
  /** Files rewritten to default to CBOR. */
  readonly rewritten: string[];
  /** Files that already defaulted to CBOR, left as they were. */
  readonly alreadyCbor: string[];
}

/**
 * Makes `@aws-sdk/client-cloudwatch` default to `AwsSmithyRpcV2CborProtocol` with its own protocol settings (its
 * default namespace, error registries and awsQuery compatibility, which the CBOR protocol reads too). Throws when
 * the runtime config reads neither as today's JSON default nor as a CBOR one.
 */
function cloudWatchDefaultsToCbor(patch: ProtocolPatch): Plugin {
  return {
    name: "test-cloudwatch-defaults-to-cbor",
    setup(builder) {
      builder.onLoad(
        { filter: /[\\/]@aws-sdk[\\/]client-cloudwatch[\\/]dist-[^\\/]+[\\/]runtimeConfig\.shared\.js$/ },
        ({ path }) => {
          const source = readFileSync(path, "utf8");
          if (source.includes(CBOR_DEFAULT)) {
            patch.alreadyCbor.push(path);
            return undefined;
          }
          if (!source.includes(JSON_DEFAULT))
            throw new UnexpectedSdkSourceError(
              `${path} has neither "${JSON_DEFAULT}" nor "${CBOR_DEFAULT}": the SDK changed, update this test's plugin`,
            );
          patch.rewritten.push(path);
          const contents =
            CBOR_IMPORT + source.replace(JSON_DEFAULT, "protocol: config?.protocol ?? TestCborDefault,");
          return { contents, loader: "js" };
        },
      );
    },
  };
}

/** Two idle models and a busy one: with the default 3-hour window, exactly the idle ones are stopped. */
const PROJECTS: SeedProject[] = [
  {
    name: "shelf",
    versions: [
      { name: "idle-a", status: "RUNNING", ...idle() },
      { name: "idle-b", status: "RUNNING", minInferenceUnits: 2, ...idle(2) },
      { name: "busy", status: "RUNNING", ...idle(), requests: [{ minutesAgo: 20, count: 7 }] },
    ],
  },
];

const stopper = useSynthesizedStopper();

/** What one run decided and recorded, comparable across worlds (no clock readings). */
async function decisionOf(world: StopperWorld, summary: StopperSummary) {
  const clockFree = (text: unknown) => String(text).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "<time>");
  return {
    stopped: [...summary.stopped].sort(),
    skipped: summary.skipped.map((s) => ({
      model: s.arn ?? `${s.region} ${s.model}`,
      reason: clockFree(s.reason),
    })),
    records: (await world.items()).map((item) => ({
      modelArn: item.modelArn,
      status: item.status,
      kind: item.kind,
      reason: clockFree(item.reason),
    })),
  };
}

describe("the bundle with its CloudWatch client on Smithy RPC v2 CBOR", () => {
  const patch: ProtocolPatch = { rewritten: [], alreadyCbor: [] };
  let variantDir: string;

  before(async () => {
    variantDir = mkdtempSync(join(tmpdir(), "idle-model-stopper-cbor-bundle-"));
    await buildLambdaBundleVariant(variantDir, [cloudWatchDefaultsToCbor(patch)]);
  });

  after(() => {
    rmSync(variantDir, { recursive: true, force: true });
  });

  it("stops the idle models and keeps the busy one, reading CloudWatch only in CBOR, as the JSON bundle decides", async (t) => {
    // Prepare
    assert.equal(
      patch.rewritten.length + patch.alreadyCbor.length,
      1,
      `the build loaded client-cloudwatch's runtime config once (rewritten: ${patch.rewritten}, already CBOR: ${patch.alreadyCbor})`,
    );
    if (patch.alreadyCbor.length > 0)
      t.diagnostic(
        "the installed @aws-sdk/client-cloudwatch already defaults to CBOR: the bundle was built unpatched",
      );
    // A stop stays STOPPING for the length of the test.
    const seeded = () => ({ seed: { projects: structuredClone(PROJECTS) }, transitionDelayMs: 60_000 });
    const [cborWorld, jsonWorld] = await Promise.all([
      stopper.world({ ...seeded(), assetDir: variantDir }),
      stopper.world(seeded()),
    ]);
    const arn = (version: string) => cborWorld.sandbox.rekognition.modelArn("shelf", version);
    const idleModels = [arn("idle-a"), arn("idle-b")].sort();

    // Act
    // Side by side, so both runs read the same minute of the same pinned start.
    const [cborRun, jsonRun] = await Promise.all([
      cborWorld.invoke({}, { requestId: "cbor-bundle-run" }),
      jsonWorld.invoke({}, { requestId: "cbor-bundle-run" }),
    ]);

    // Assess: the CBOR bundle's run, as a user reads it.
    assert.equal(cborRun.exitCode, 0, cborRun.stderr);
    const summary = cborRun.result;
    assert.ok(summary, cborRun.stderr);
    assert.deepEqual(summary.errors, []);
    assert.deepEqual([...summary.stopped].sort(), idleModels);
    const busy = summary.skipped.find((s) => s.arn === arn("busy") || s.model === "shelf/busy");
    assert.match(busy?.reason ?? "", /^in use: 7 requests in the last 3h00m/);
    for (const model of cborWorld.sandbox.rekognition.models())
      assert.equal(model.status, idleModels.includes(model.arn) ? "STOPPING" : "RUNNING", model.arn);
    const records = await cborWorld.items();
    assert.deepEqual(
      records.map((item) => [item.modelArn, item.kind, item.status]),
      idleModels.map((model) => [model, "stop", "STOPPING"]),
    );

    // Every CloudWatch call the function made went over CBOR, metrics-first discovery's two included.
    const cloudWatchCalls = (world: StopperWorld) =>
      world.sandbox.calls.filter(
        (c) => c.service === "cloudwatch" && c.accessKeyId === FUNCTION_ACCESS_KEY_ID,
      );
    const cborCalls = cloudWatchCalls(cborWorld);
    const operations = new Set(cborCalls.map((c) => c.operation));
    assert.ok(operations.has("ListMetrics") && operations.has("GetMetricData"), [...operations].join(", "));
    assert.deepEqual(
      cborCalls.filter((c) => c.protocol !== "rpc-v2-cbor" || c.outcome !== "ok").map((c) => c.operation),
      [],
      "CloudWatch calls not answered ok in CBOR",
    );

    // The shipped bundle, in a world seeded the same, spoke its default protocol and decided and recorded the same.
    assert.equal(jsonRun.exitCode, 0, jsonRun.stderr);
    assert.ok(jsonRun.result, jsonRun.stderr);
    const shippedProtocol = patch.alreadyCbor.length > 0 ? "rpc-v2-cbor" : undefined;
    const jsonCalls = cloudWatchCalls(jsonWorld);
    assert.ok(jsonCalls.length > 0 && jsonCalls.every((c) => c.protocol === shippedProtocol));
    assert.deepEqual(await decisionOf(cborWorld, summary), await decisionOf(jsonWorld, jsonRun.result));
  });
});
