/**
 * Writes `sandbox/api-models/<service>.json`: the part of AWS's published service models (botocore's
 * `data/<service>/<version>/service-2.json`) that the sandbox serves, with the constraints that the npm package
 * `aws-sdk` v2 strips from its `.min.json` models (enum values, lengths and ranges, patterns, the errors each
 * operation declares and their HTTP status). Documentation is left out.
 *
 *   npx tsx scripts/extract-api-models.ts [--botocore <dir of the botocore package>]
 *
 * Without `--botocore` it asks `python3` where botocore is (Python 3 with botocore comes with moto on this image).
 * Run it again after upgrading botocore; `test/sandbox/api-models.test.ts` checks the result against aws-sdk v2.
 */

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { API_MODEL_DIR, MODELLED_SERVICES, SERVED_OPERATIONS } from "../sandbox/api-models.ts";

/** The fields of a botocore shape that a check of the wire uses. */
const SHAPE_FIELDS = [
  "type",
  "required",
  "members",
  "member",
  "key",
  "value",
  "enum",
  "min",
  "max",
  "pattern",
  "timestampFormat",
  "flattened",
  "sparse",
  "error",
  "exception",
  "fault",
] as const;
const MEMBER_FIELDS = ["shape", "locationName", "flattened", "xmlAttribute", "timestampFormat"] as const;
const METADATA_FIELDS = [
  "apiVersion",
  "protocol",
  "protocols",
  "jsonVersion",
  "targetPrefix",
  "awsQueryCompatible",
  "xmlNamespace",
  "serviceId",
] as const;

type Json = Record<string, unknown>;

/** The folder of the botocore package: the one given, else the one `python3` imports. */
export function botocoreDir(given?: string): string {
  if (given) return given;
  try {
    return execFileSync("python3", ["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"], {
      encoding: "utf8",
    }).trim();
  } catch (error) {
    throw new Error("botocore not found: install it (pip or apt python3-botocore) or pass --botocore <dir>", {
      cause: error,
    });
  }
}

function pick(source: Json, fields: readonly string[]): Json {
  const picked: Json = {};
  for (const field of fields) if (source[field] !== undefined) picked[field] = source[field];
  return picked;
}

/** The version of the botocore package in a folder. */
export function botocoreVersion(dir: string): string {
  const version = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(
    readFileSync(join(dir, "__init__.py"), "utf8"),
  )?.[1];
  if (!version) throw new Error(`${dir}/__init__.py names no __version__`);
  return version;
}

/** One service's model as `sandbox/api-models/<service>.json` holds it, cut from botocore's full model. */
export function extractApiModel(dir: string, service: (typeof MODELLED_SERVICES)[number]): Json {
  const version = botocoreVersion(dir);
  const file = join("data", service.botocoreName, service.apiVersion, "service-2.json");
  const model = JSON.parse(gunzipSync(readFileSync(join(dir, `${file}.gz`))).toString("utf8")) as {
    metadata: Json;
    operations: Record<string, Json>;
    shapes: Record<string, Json>;
  };
  const shapes: Record<string, Json> = {};
  const visit = (name: string) => {
    if (shapes[name]) return;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`${file}: shape ${name} is referenced but not defined`);
    const kept = pick(shape, SHAPE_FIELDS);
    shapes[name] = kept;
    if (shape.members) {
      const members: Record<string, Json> = {};
      for (const [member, ref] of Object.entries(shape.members as Record<string, Json>)) {
        members[member] = pick(ref, MEMBER_FIELDS);
        visit(ref.shape as string);
      }
      kept.members = members;
    }
    for (const ref of ["member", "key", "value"] as const) {
      const target = shape[ref] as Json | undefined;
      if (target) {
        kept[ref] = pick(target, MEMBER_FIELDS);
        visit(target.shape as string);
      }
    }
  };
  const operations: Record<string, Json> = {};
  for (const name of SERVED_OPERATIONS[service.name]) {
    const operation = model.operations[name];
    if (!operation) throw new Error(`${file}: no operation ${name}`);
    const input = operation.input as Json | undefined;
    const output = operation.output as Json | undefined;
    const errors = (operation.errors as Json[] | undefined) ?? [];
    operations[name] = {
      ...(input && { input: pick(input, ["shape"]) }),
      ...(output && { output: pick(output, ["shape", "resultWrapper"]) }),
      errors: errors.map((error) => error.shape),
    };
    if (input) visit(input.shape as string);
    if (output) visit(output.shape as string);
    for (const error of errors) visit(error.shape as string);
  }
  const sorted = Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)));
  return {
    source: { package: "botocore", version, file: `botocore/${file}` },
    metadata: pick(model.metadata, METADATA_FIELDS),
    operations,
    shapes: sorted,
  };
}

function main(): void {
  const { values } = parseArgs({ options: { botocore: { type: "string" } } });
  const dir = botocoreDir(values.botocore);
  const out = fileURLToPath(API_MODEL_DIR);
  for (const service of MODELLED_SERVICES) {
    const path = join(out, `${service.name}.json`);
    writeFileSync(path, `${JSON.stringify(extractApiModel(dir, service), null, 2)}\n`);
    console.log(`wrote ${path} from botocore ${botocoreVersion(dir)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
