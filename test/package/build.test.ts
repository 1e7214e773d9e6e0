/** The build's shortcut: a step runs again only when the hash of its inputs changed. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ensureLambdaBundles } from "../../scripts/build/lambda-bundle.ts";
import { inputsHash } from "../../scripts/build/stamp.ts";

describe("the hash of a build step's inputs", () => {
  const root = mkdtempSync(join(tmpdir(), "idle-model-stopper-inputs-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "lambda", "core"), { recursive: true });
  writeFileSync(join(root, "lambda", "handler.ts"), "export const handler = 1;\n");
  writeFileSync(join(root, "lambda", "core", "decide.ts"), "export const decide = 2;\n");
  writeFileSync(join(root, "package-lock.json"), "{}\n");
  const inputs = ["lambda", "package-lock.json"];
  const hash = () => inputsHash(inputs, { minify: true }, root);

  it("is the same for the same files and options", () => {
    assert.equal(hash(), hash());
  });

  it("changes when a byte of an input changes", () => {
    const before = hash();
    writeFileSync(join(root, "lambda", "core", "decide.ts"), "export const decide = 3;\n");

    assert.notEqual(hash(), before);
  });

  it("changes when an input file is renamed or added", () => {
    const before = hash();
    renameSync(join(root, "lambda", "core", "decide.ts"), join(root, "lambda", "core", "decide-v2.ts"));
    const renamed = hash();
    writeFileSync(join(root, "lambda", "core", "new.ts"), "");

    assert.notEqual(renamed, before);
    assert.notEqual(hash(), renamed);
  });

  it("changes when the options change", () => {
    assert.notEqual(inputsHash(inputs, { minify: false }, root), hash());
  });
});

/** Text found only in a client's bundled code: the service's target prefix, named in its API model. */
const ORGANIZATION_CLIENTS = {
  Organizations: "AWSOrganizationsV20161128",
  "Step Functions": "AWSStepFunctions",
  STS: "AWSSecurityTokenServiceV20110615",
};

describe("the Lambda bundles' build", () => {
  it("leaves out what the functions never run: the SDK's event-stream codec, DynamoDB's endpoint cache, the JavaScript SHA-256 and the clients' package.json but their version", async () => {
    // Prepare
    const bundles = await ensureLambdaBundles();
    const clients = ["client-rekognition", "client-cloudwatch", "client-dynamodb", "client-sns"].map(
      (name) =>
        JSON.parse(
          readFileSync(new URL(`../../node_modules/@aws-sdk/${name}/package.json`, import.meta.url), "utf8"),
        ) as {
          version: string;
          description: string;
        },
    );

    for (const { dir } of [bundles.stopper, bundles.organization]) {
      const bundle = readFileSync(join(dir, "index.mjs"), "utf8");
      // Assess: the codec's own header names are gone, its stand-in's error is there.
      assert.ok(!bundle.includes(":event-type"), `${dir}: no event-stream codec`);
      assert.ok(bundle.includes("event streams are left out of the idle-model-stopper bundle"), dir);
      assert.ok(!bundle.includes("mnemonist/lru-cache"), `${dir}: no LRU cache for discovered endpoints`);
      // SHA-256's first round constant, 0x428a2f98, is in the JavaScript hash only: node:crypto's does the hashing.
      assert.ok(!bundle.includes("1116352408"), `${dir}: no JavaScript SHA-256`);
      assert.ok(bundle.includes("leaves out the SDK's JavaScript fallback"), dir);
      for (const client of clients) {
        assert.ok(
          bundle.includes(`version:"${client.version}"`),
          `${dir}: ${client.description}: its version is kept`,
        );
        assert.ok(
          !bundle.includes(client.description),
          `${dir}: ${client.description}: the rest is left out`,
        );
      }
    }
  });

  it("leaves the organization mode's clients out of the single-account bundle, and only there", async () => {
    const bundles = await ensureLambdaBundles();
    const stopper = readFileSync(join(bundles.stopper.dir, "index.mjs"), "utf8");
    const organization = readFileSync(join(bundles.organization.dir, "index.mjs"), "utf8");

    for (const [client, target] of Object.entries(ORGANIZATION_CLIENTS)) {
      assert.ok(!stopper.includes(target), `the single-account bundle carries no ${client} client`);
      assert.ok(organization.includes(target), `the hub's bundle carries the ${client} client`);
    }
    assert.ok(bundles.stopper.bytes < bundles.organization.bytes);
  });

  it("leaves up-to-date bundles as they are: a warm synth bundles nothing", async () => {
    const first = await ensureLambdaBundles();
    const writtenAt = [first.stopper, first.organization].map(
      ({ dir }) => statSync(join(dir, "index.mjs")).mtimeMs,
    );

    const second = await ensureLambdaBundles();

    for (const [index, outcome] of [second.stopper, second.organization].entries()) {
      assert.equal(outcome.built, false);
      assert.equal(statSync(join(outcome.dir, "index.mjs")).mtimeMs, writtenAt[index]);
      assert.equal(outcome.bytes, statSync(join(outcome.dir, "index.mjs")).size);
    }
  });
});
