/**
 * The moto helper: finding Python and moto (or saying clearly why not), and starting and stopping moto's server on
 * a loopback port. The start-and-stop test needs moto and skips without it; the rest run anywhere.
 */

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { findMoto, startMoto } from "../../sandbox/moto.ts";

const dir = mkdtempSync(join(tmpdir(), "idle-model-stopper-moto-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in interpreter: a shell script that prints what a Python would and exits with its code. */
function fakePython(name: string, stdout: string, stderr: string, code: number): string {
  const path = join(dir, name);
  const quoted = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s' ${quoted(stdout)}\nprintf '%s' ${quoted(stderr)} >&2\nexit ${code}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("findMoto", () => {
  it("names an interpreter that does not exist, and the variable that chooses another", () => {
    const found = findMoto(join(dir, "no-such-python"));

    assert.equal(found.available, false);
    assert.match(found.available ? "" : found.reason, /no-such-python was not found \(set IMS_PYTHON to /);
  });

  it("says moto is not installed, with the command that installs it", () => {
    const python = fakePython("no-moto", "", "ModuleNotFoundError: No module named 'moto'\n", 1);

    const found = findMoto(python);

    assert.deepEqual(found, {
      available: false,
      reason: `moto is not installed for ${python} (pip install 'moto[server]>=5')`,
    });
  });

  it("says moto's server cannot start when its extra is missing", () => {
    const python = fakePython(
      "no-flask",
      "",
      "Traceback …\nModuleNotFoundError: No module named 'flask'\n",
      1,
    );

    const found = findMoto(python);

    assert.match(found.available ? "" : found.reason, /moto's server cannot start under .*: no module flask/);
  });

  it("refuses a moto older than 5", () => {
    const python = fakePython("old-moto", "/usr/bin/python3\n4.2.14\n", "", 0);

    const found = findMoto(python);

    assert.match(
      found.available ? "" : found.reason,
      /^moto 4\.2\.14 is installed .* the tests need moto 5 or later$/,
    );
  });

  it("takes the interpreter's own path and moto's version", () => {
    const python = fakePython("good", "/opt/python/bin/python3.12\n5.2.1\n", "", 0);

    assert.deepEqual(findMoto(python), {
      available: true,
      python: "/opt/python/bin/python3.12",
      version: "5.2.1",
    });
  });
});

const moto = findMoto();

const skip = moto.available ? false : `${moto.reason}; not checked: starting and stopping moto's server`;

describe("startMoto", { skip }, () => {
  it("serves on a free 127.0.0.1 port, and stop() ends that process", async () => {
    if (!moto.available) return;

    const server = await startMoto({ moto });

    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const config = await fetch(`${server.url}/moto-api/config`);
      assert.equal(config.status, 201);
      assert.doesNotThrow(() => process.kill(server.pid, 0), "the process is alive");
    } finally {
      await server.stop();
    }
    assert.throws(() => process.kill(server.pid, 0), { code: "ESRCH" });
    await server.stop();
  });
});
