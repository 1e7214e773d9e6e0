/**
 * The package as a consumer gets it. `npm pack` (its `prepack` builds), then a fresh CDK app in a temporary folder
 * outside this repository installs the tarball offline, type-checks and synthesizes a stack that holds the
 * construct with non-default props under cdk-nag's AWS Solutions checks, runs the installed CLI, and runs the
 * Lambda bundle from that app's cdk.out against the sandbox.
 *
 * Offline: `npm ci` leaves every tarball this app needs in npm's cache, but not the registry's version lists that
 * resolving a range needs, so the app gets a lock file made from this repository's one (the same versions).
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BUNDLE_DIR, ORGANIZATION_BUNDLE_DIR } from "../../infra/handler-source.ts";
import { readSynthesizedFunction, type SynthesizedFunction } from "../../sandbox/bundle.ts";
import { type StopperWorld, startStopperWorld } from "../../sandbox/stopper-world.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The consumer's app, as the README's "Using the construct in your own CDK app" shows it. */
const APP_TS = `import { App, Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { IdleModelStopper, type IdleModelStopperProps } from "idle-model-stopper";

const app = new App();
const stack = new Stack(app, "MlPlatform", { env: { region: "eu-west-1" } });

const props: IdleModelStopperProps = {
  idleMinutes: 120,
  regions: ["eu-west-1", "us-east-1"],
  requireOptIn: true,
  notifyEmail: "ml-platform@example.com",
  dryRun: true,
};
new IdleModelStopper(stack, "IdleModelStopper", props);

// With accounts or OUs the same construct is the organization mode's hub, and deploys the hub's own bundle.
const hub = new Stack(app, "MlPlatformHub", { env: { region: "eu-west-1" } });
new IdleModelStopper(hub, "IdleModelStopper", {
  accounts: ["111111111111"],
  organizationId: "o-a1b2c3d4e5",
  dryRun: true,
});

// Every AWS Solutions finding fails the synth unless it is acknowledged; the construct brings its own.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
`;

/** The consumer's tsconfig.json: the one `cdk init app --language typescript` writes, trimmed, emitting app.js. */
const TSCONFIG_JSON = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["es2022"],
    "strict": true,
    "skipLibCheck": true,
    "types": []
  },
  "files": ["app.ts"]
}
`;

/** The consumer's cdk.json: compile with tsc, then run the JavaScript with plain Node. */
const CDK_JSON = `{
  "build": "npx tsc",
  "app": "node app.js"
}
`;

/** The instant the sandbox's clock and the function's clock start at. */
const NOW = Date.parse("2026-11-28T02:00:00Z");

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; a non-zero exit is returned, not thrown, so assertions can show the output. */
async function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? String(error),
    };
  }
}

/**
 * The environment of everything run in the consumer's folder: nothing of this repository (no NODE_OPTIONS, hence
 * no tsx loader; no NODE_PATH), npm offline.
 */
function consumerEnv(): NodeJS.ProcessEnv {
  const pass = ["PATH", "HOME", "TMPDIR", "LANG", "npm_config_cache"] as const;
  return {
    ...Object.fromEntries(pass.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
    npm_config_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    CDK_DISABLE_VERSION_CHECK: "true",
    CDK_DISABLE_CLI_TELEMETRY: "true",
  };
}

/** What `npm pack --json` says about the tarball. */
interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly integrity: string;
  readonly files: readonly { readonly path: string }[];
}

type LockEntry = Record<string, unknown>;

/**
 * The consumer's lock file: this repository's entries (npm drops those the app does not reach), the app as its
 * root, and the tarball as the `idle-model-stopper` entry, with the dependencies its own package.json declares.
 */
function consumerLock(app: Record<string, unknown>, tarball: string, packed: Packed): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as LockEntry;
  const pick = (names: readonly string[]) =>
    Object.fromEntries(
      names.filter((name) => manifest[name] !== undefined).map((name) => [name, manifest[name]]),
    );
  return {
    ...lock,
    name: app.name,
    version: app.version,
    packages: {
      ...lock.packages,
      "": {
        name: app.name,
        version: app.version,
        dependencies: app.dependencies,
        devDependencies: app.devDependencies,
      },
      "node_modules/idle-model-stopper": {
        version: manifest.version,
        resolved: tarball,
        integrity: packed.integrity,
        ...pick(["license", "dependencies", "bin", "engines", "peerDependencies"]),
      },
    },
  };
}

/** The version this repository has installed of a package, from its lock file. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

describe("the packed tarball, installed offline into a fresh CDK app", () => {
  const work = mkdtempSync(join(tmpdir(), "idle-model-stopper-consumer-"));
  const appDir = join(work, "app");
  const env = consumerEnv();
  const timings: string[] = [];
  let packed: Packed;
  let install: Ran;
  let synth: Ran;
  let fn: SynthesizedFunction | undefined;
  const worlds: StopperWorld[] = [];

  const timed = async <T>(label: string, step: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await step();
    timings.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)} s`);
    return result;
  };

  before(async () => {
    const packDir = join(work, "pack");
    mkdirSync(packDir);
    // prepack builds (a no-op when npm test has built already); its messages go to stderr, the JSON to stdout.
    const pack = await timed("npm pack", () =>
      run("npm", ["pack", "--json", "--pack-destination", packDir], ROOT, process.env),
    );
    assert.equal(pack.code, 0, pack.stderr);
    packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as Packed[])[0] as Packed;

    const tarball = `file:../pack/${packed.filename}`;
    const app = {
      name: "ml-platform",
      version: "1.0.0",
      private: true,
      type: "module",
      dependencies: {
        "aws-cdk-lib": lockedVersion("aws-cdk-lib"),
        constructs: lockedVersion("constructs"),
        "idle-model-stopper": tarball,
      },
      devDependencies: {
        "aws-cdk": lockedVersion("aws-cdk"),
        "cdk-nag": lockedVersion("cdk-nag"),
        typescript: lockedVersion("typescript"),
      },
    };
    mkdirSync(appDir);
    writeFileSync(join(appDir, "package.json"), `${JSON.stringify(app, null, 2)}\n`);
    writeFileSync(
      join(appDir, "package-lock.json"),
      JSON.stringify(consumerLock(app, tarball, packed), null, 2),
    );
    writeFileSync(join(appDir, "app.ts"), APP_TS);
    writeFileSync(join(appDir, "tsconfig.json"), TSCONFIG_JSON);
    writeFileSync(join(appDir, "cdk.json"), CDK_JSON);

    install = await timed("npm install --offline", () => run("npm", ["install", "--offline"], appDir, env));
    assert.equal(
      install.code,
      0,
      `npm install --offline failed (has npm ci filled the cache?)\n${install.stderr}`,
    );
    synth = await timed("cdk synth", () => run("npx", ["cdk", "synth", "--quiet"], appDir, env));
    if (synth.code === 0) fn = readSynthesizedFunction(join(appDir, "cdk.out"), "MlPlatform");
  });

  after(async () => {
    await Promise.all(worlds.map((world) => world.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  it("carries the compiled code, the Lambda bundle, the CLI launcher and its IAM policies, and no TypeScript source or test", (t) => {
    const paths = packed.files.map((file) => file.path);

    for (const path of paths) {
      assert.match(
        path,
        /^(dist\/(infra|cli|common|lambda|stopper-function|organization-function)\/|bin\/|(package\.json|README\.md|CHANGELOG\.md|policies\/cli-(accounts-)?policy\.json)$)/,
      );
      assert.ok(!path.endsWith(".ts") || path.endsWith(".d.ts"), `${path} is not TypeScript source`);
    }
    for (const needed of [
      "dist/infra/index.js",
      "dist/infra/index.d.ts",
      "dist/cli/main.js",
      "dist/stopper-function/index.mjs",
      "dist/stopper-function/index.mjs.map",
      "dist/organization-function/index.mjs",
      "dist/organization-function/index.mjs.map",
      "bin/idle-model-stopper.mjs",
      "policies/cli-policy.json",
      "policies/cli-accounts-policy.json",
    ]) {
      assert.ok(paths.includes(needed), needed);
    }
    t.diagnostic(
      `${packed.filename}: ${(packed.size / 1000).toFixed(1)} kB packed, ` +
        `${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked, ${paths.length} files`,
    );
  });

  it("installs into a folder outside this repository, from which no module resolves into the repository", async () => {
    assert.ok(isAbsolute(relative(ROOT, appDir)) || relative(ROOT, appDir).startsWith(".."), appDir);
    for (let dir = dirname(appDir); dirname(dir) !== dir; dir = dirname(dir)) {
      assert.ok(!existsSync(join(dir, "node_modules")), `no node_modules above the app, at ${dir}`);
    }

    const resolved = await run(
      process.execPath,
      [
        "--input-type=module",
        "--eval",
        'for (const name of ["idle-model-stopper", "aws-cdk-lib", "constructs", "@aws-sdk/client-rekognition"]) console.log(import.meta.resolve(name));',
      ],
      appDir,
      env,
    );

    assert.equal(resolved.code, 0, resolved.stderr);
    const files = resolved.stdout
      .trim()
      .split("\n")
      .map((url) => fileURLToPath(url));
    assert.equal(files.length, 4);
    for (const file of files) assert.ok(file.startsWith(join(appDir, "node_modules")), file);
  });

  it("needs neither esbuild nor tsx: neither is installed", () => {
    for (const tool of ["esbuild", "tsx"]) {
      assert.ok(!existsSync(join(appDir, "node_modules", tool)), `${tool} is not in the app's node_modules`);
    }
  });

  it("type-checks the app and synthesizes it, with no cdk-nag finding left unacknowledged", () => {
    assert.equal(synth.code, 0, `${synth.stdout}\n${synth.stderr}`);
    assert.doesNotMatch(synth.stderr, /AwsSolutions-|Validation failed/);
    assert.ok(existsSync(join(appDir, "app.js")), "tsc emitted app.js");
  });

  it("deploys the props given: the settings reach the function", () => {
    assert.ok(fn, "synthesized");
    assert.deepEqual(
      {
        IDLE_MINUTES: fn.environment.IDLE_MINUTES,
        REGIONS: fn.environment.REGIONS,
        REQUIRE_OPT_IN: fn.environment.REQUIRE_OPT_IN,
        DRY_RUN: fn.environment.DRY_RUN,
      },
      { IDLE_MINUTES: "120", REGIONS: "eu-west-1,us-east-1", REQUIRE_OPT_IN: "true", DRY_RUN: "true" },
    );
    const template = readFileSync(join(appDir, "cdk.out", "MlPlatform.template.json"), "utf8");
    assert.match(template, /"Endpoint": "ml-platform@example\.com"/);
    assert.equal(fn.runtime, "nodejs22.x");
    assert.deepEqual(fn.architectures, ["arm64"]);
    assert.equal(fn.handler, "index.handler");
  });

  it("deploys the very bundle this repository's tests run, byte for byte", () => {
    assert.ok(fn, "synthesized");
    for (const file of ["index.mjs", "index.mjs.map"]) {
      assert.ok(readFileSync(join(fn.assetDir, file)).equals(readFileSync(join(BUNDLE_DIR, file))), file);
    }
  });

  it("deploys the hub's own bundle in the organization mode, byte for byte", () => {
    assert.equal(synth.code, 0, synth.stderr);
    const hub = readSynthesizedFunction(join(appDir, "cdk.out"), "MlPlatformHub");
    assert.equal(hub.environment.ACCOUNTS, "111111111111");
    for (const file of ["index.mjs", "index.mjs.map"]) {
      assert.ok(
        readFileSync(join(hub.assetDir, file)).equals(readFileSync(join(ORGANIZATION_BUNDLE_DIR, file))),
        file,
      );
    }
  });

  it("runs the installed CLI with npx", async () => {
    const help = await timed("npx idle-model-stopper --help", () =>
      run("npx", ["idle-model-stopper", "--help"], appDir, env),
    );

    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: idle-model-stopper <command> \[options\]/m);
    assert.match(help.stdout, /^ {2}scan /m);
  });

  it("runs the bundle from the app's cdk.out against the sandbox: a dry run over both regions, opt-in only", async (t) => {
    assert.ok(fn, "synthesized");
    const world = await startStopperWorld(fn, {
      clock: () => NOW,
      seed: {
        projects: [
          {
            name: "opted-in",
            region: "eu-west-1",
            tags: { "auto-stop": "true" },
            // Idle for 2h30m: past the app's 120 minutes, short of the default 180.
            versions: [
              {
                name: "v1",
                status: "RUNNING",
                inService: [{ fromMinutesAgo: 150, toMinutesAgo: 0, units: 1 }],
              },
            ],
          },
          {
            name: "not-opted-in",
            region: "us-east-1",
            versions: [
              {
                name: "v1",
                status: "RUNNING",
                inService: [{ fromMinutesAgo: 600, toMinutesAgo: 0, units: 1 }],
              },
            ],
          },
        ],
      },
    });
    worlds.push(world);
    const optedIn = world.sandbox.rekognition.modelArn("opted-in", "v1", "eu-west-1");
    const notOptedIn = world.sandbox.rekognition.modelArn("not-opted-in", "v1", "us-east-1");

    const invocation = await timed("bundle run", () =>
      world.invoke({}, { requestId: "consumer-run", clockStart: NOW }),
    );

    assert.equal(invocation.exitCode, 0, invocation.stderr);
    const summary = invocation.result;
    assert.ok(summary);
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.dryRun, true);
    assert.equal(summary.scanned, 2);
    assert.deepEqual(summary.stopped, [optedIn]);
    assert.match(summary.skipped.find((s) => s.arn === notOptedIn)?.reason ?? "", /^not opted in: /);
    const items = await world.items();
    assert.deepEqual(
      items.map((item) => [item.modelArn, item.status, item.dryRun, item.idleMinutes]),
      [[optedIn, "DRY_RUN", true, 120]],
    );
    assert.equal(world.sandbox.rekognition.model(optedIn)?.status, "RUNNING");
    assert.ok(!world.sandbox.calls.some((call) => call.operation === "StopProjectVersion"));
    assert.deepEqual(
      [
        ...new Set(
          world.sandbox.calls.filter((c) => c.operation === "DescribeProjects").map((c) => c.region),
        ),
      ].sort(),
      ["eu-west-1", "us-east-1"],
    );
    t.diagnostic(timings.join(", "));
  });

  it("is what the README's section on using the construct shows", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Using the construct in your own CDK app"));

    for (const [name, text] of Object.entries({ APP_TS, TSCONFIG_JSON, CDK_JSON })) {
      assert.ok(section.includes(text), `the README shows ${name} as the test writes it`);
    }
    assert.ok(section.includes("npm install ./idle-model-stopper-"), "the README installs from the tarball");
  });
});
