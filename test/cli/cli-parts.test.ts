/** The CLI's pure parts, table-driven: argument checks, "idle for", the cost avoided, the restart units. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { afterwards, estimateCostAvoided, renderWarnings, totalsOf } from "../../cli/history.ts";
import type { CliIo } from "../../cli/io.ts";
import type { LoggedStop } from "../../cli/log-table.ts";
import { checkModelArn, parseSince } from "../../cli/options.ts";
import { runCli } from "../../cli/run-cli.ts";
import { idleFor, lastRequest, scanConfig } from "../../cli/scan.ts";
import { startUnits } from "../../lambda/core/follow-up.ts";
import type { VerdictFacts } from "../../lambda/core/types.ts";

const NOW = Date.parse("2026-11-28T02:00:30Z");
const HOUR_MS = 3_600_000;
const ago = (hours: number) => new Date(NOW - hours * HOUR_MS).toISOString();

describe("parseSince", () => {
  const cases: [string, number | undefined][] = [
    ["7d", NOW - 7 * 24 * HOUR_MS],
    ["24h", NOW - 24 * HOUR_MS],
    ["90m", NOW - 90 * 60_000],
    [" 2026-11-01 ", Date.parse("2026-11-01T00:00:00Z")],
    ["2026-11-27T18:00:00+01:00", Date.parse("2026-11-27T17:00:00Z")],
    ["2026-11-27T18:00Z", Date.parse("2026-11-27T18:00:00Z")],
    ["0d", undefined],
    ["7w", undefined],
    ["yesterday", undefined],
    ["2026-02-30", undefined],
    ["2026-02-30T00:00:00Z", undefined],
    ["2026-11-27T18:00:00", undefined],
    ["", undefined],
  ];
  for (const [raw, expected] of cases) {
    it(`reads ${JSON.stringify(raw)} as ${expected === undefined ? "invalid" : new Date(expected).toISOString()}`, () => {
      assert.equal(parseSince(raw, NOW), expected);
    });
  }
});

describe("checkModelArn", () => {
  it("accepts a model ARN and gives its region and names", () => {
    const arn = "arn:aws:rekognition:eu-west-1:123456789012:project/cats/version/cats.v3/1700000000000";
    assert.deepEqual(checkModelArn("restart", "MODEL_ARN", arn), {
      arn,
      region: "eu-west-1",
      projectName: "cats",
      versionName: "cats.v3",
    });
  });
  for (const bad of [
    "cats",
    "arn:aws:rekognition:us-east-1:123456789012:project/cats/1700000000000",
    "arn:aws:s3:::bucket",
    "arn:aws:rekognition:nowhere:123456789012:project/cats/version/v1/1700000000000",
  ]) {
    it(`refuses ${bad} with what is allowed`, () => {
      assert.throws(() => checkModelArn("restart", "MODEL_ARN", bad), {
        name: "UsageError",
        message: new RegExp(
          `^Invalid MODEL_ARN: "${bad.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"\\. Allowed: a Custom Labels model ARN`,
        ),
      });
    });
  }
});

describe("scan's settings", () => {
  it("are the Lambda's defaults with the flags applied, read-only, over the regions given", async () => {
    const { config, json } = await scanConfig([
      "--region",
      "us-east-1",
      "--region",
      "eu-west-1,us-east-1",
      "--idle-minutes",
      "120",
      "--require-opt-in",
      "--price",
      "5.5",
      "--json",
    ]);
    assert.deepEqual(config.regions, ["us-east-1", "eu-west-1"]);
    assert.equal(config.idleMinutes, 120);
    assert.equal(config.requireOptIn, true);
    assert.equal(config.pricePerInferenceUnitHour, 5.5);
    assert.equal(config.optOutTagKey, "auto-stop");
    assert.equal(config.maxStopsPerRun, 25);
    assert.equal(config.dryRun, true);
    assert.equal(config.discovery, "metrics-first");
    assert.equal(json, true);
  });

  it("describe every project with --full, as discovery=full does", async () => {
    const { config } = await scanConfig(["--region", "us-east-1", "--full"]);

    assert.equal(config.discovery, "full");
  });

  it("take AWS_MAX_ATTEMPTS from the environment, checked as the Lambda checks it", async () => {
    const { config } = await scanConfig(["--region", "us-east-1"], { AWS_MAX_ATTEMPTS: "2" });
    assert.equal(config.maxAttempts, 2);
    await assert.rejects(scanConfig(["--region", "us-east-1"], { AWS_MAX_ATTEMPTS: "0" }), {
      name: "UsageError",
      message:
        /^Invalid AWS_MAX_ATTEMPTS: "0"\. Allowed: a whole number of attempts per AWS call from 1 to 20\.$/,
    });
  });

  const refused: [string[], RegExp][] = [
    [
      ["--idle-minutes", "5"],
      /^Invalid --idle-minutes: "5"\. Allowed: a whole number of minutes from 15 to 10080/,
    ],
    [["--opt-out-tag-key", "aws:x"], /^Invalid --opt-out-tag-key: "aws:x"\. Allowed: an AWS tag key/],
    [["--price", "free"], /^Invalid --price: "free"\./],
    [["--max-stops", "0"], /^Invalid --max-stops: "0"\./],
    [["--region", "us-east-1,moon"], /^Invalid --region: "us-east-1,moon"\./],
    [["--idle-minutes"], /^--idle-minutes needs a value$/],
    [["extra"], /^scan takes no arguments, only options; got "extra"$/],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${args.join(" ")}`, async () => {
      await assert.rejects(scanConfig(["--region", "us-east-1", ...args]), { name: "UsageError", message });
    });
  }
});

describe("idle for and last request", () => {
  const cases: [string, VerdictFacts, string, string][] = [
    [
      "a request in the window",
      { idleMinutes: 180, requestsInWindow: 3, lastRequestAt: "2026-11-28T01:30:00Z" },
      "30m",
      "2026-11-28T01:30:00Z",
    ],
    [
      "in service all window",
      { idleMinutes: 180, requestsInWindow: 0, inServiceSince: "2026-11-27T20:00:00Z" },
      "≥ 3h00m",
      "none in 3h00m",
    ],
    [
      "in service since the window's start (kept: started recently)",
      { idleMinutes: 180, requestsInWindow: 0, inServiceSince: "2026-11-27T23:00:00Z" },
      "3h00m",
      "none in 3h00m",
    ],
    [
      "in service since before now's window, but not before the window ending at its newest data (kept)",
      {
        idleMinutes: 180,
        requestsInWindow: 0,
        inServiceSince: "2026-11-27T22:55:00Z",
        evidenceUntil: "2026-11-28T01:46:00Z",
      },
      "3h05m",
      "none in 3h00m",
    ],
    [
      "started inside the window",
      { idleMinutes: 180, requestsInWindow: 0, inServiceSince: "2026-11-28T01:15:00Z" },
      "45m",
      "none in 3h00m",
    ],
    ["metrics not read (the tags decided)", { idleMinutes: 180, inferenceUnits: 1 }, "—", "—"],
    ["no in-service data", { idleMinutes: 60, requestsInWindow: 0 }, "—", "none in 1h00m"],
  ];
  for (const [name, facts, idle, last] of cases) {
    it(name, () => {
      assert.equal(idleFor(facts, NOW), idle);
      assert.equal(lastRequest(facts), last);
    });
  }
});

describe("estimateCostAvoided", () => {
  const A = "arn:aws:rekognition:us-east-1:123456789012:project/a/version/v1/1";
  const B = "arn:aws:rekognition:us-east-1:123456789012:project/b/version/v1/1";
  const stop = (modelArn: string, hoursAgo: number, fields: Partial<LoggedStop> = {}): LoggedStop => ({
    modelArn,
    stoppedAt: ago(hoursAgo),
    dryRun: false,
    status: "STOPPING",
    estimatedHourlyCostUsd: 4,
    ...fields,
  });

  it("counts each live stop until the model's next record, of any kind, or now", () => {
    const entries = estimateCostAvoided(
      [
        stop(A, 2, { status: "STOPPED" }),
        stop(A, 30),
        stop(A, 10, { dryRun: true, status: "DRY_RUN" }),
        stop(B, 5),
      ],
      NOW,
    );
    assert.deepEqual(
      entries.map((e) => [
        e.record.modelArn === A ? "A" : "B",
        e.counted,
        e.stoppedForHours,
        e.estimatedCostAvoidedUsd,
      ]),
      [
        ["A", true, 20, 80],
        ["A", false, undefined, undefined],
        ["B", true, 5, 20],
        ["A", true, 2, 8],
      ],
    );
    assert.deepEqual(totalsOf(entries), {
      records: 4,
      stops: 3,
      dryRuns: 1,
      notStopped: 0,
      models: 2,
      restarted: 0,
      startedByHand: 0,
      estimatedCostAvoidedUsd: 108,
    });
  });

  it("counts a stop undone by the stopper or by hand until the model was started again, and says which", () => {
    const base = { dryRun: false, estimatedHourlyCostUsd: 4, completedAt: ago(10) };
    const entries = estimateCostAvoided(
      [
        {
          ...base,
          modelArn: "A",
          stoppedAt: ago(10),
          status: "RESTARTED",
          restartedAt: ago(8),
          restartedBy: "schedule",
          restartReason: 'restart rule "daily 06:00 UTC" (tag auto-stop:restart on the model)',
        },
        { ...base, modelArn: "B", stoppedAt: ago(10), status: "STARTED_BY_HAND", startedByHandAt: ago(7) },
        // Started again by hand after the model's next record: the next record ends the stop first.
        { ...base, modelArn: "C", stoppedAt: ago(10), status: "STARTED_BY_HAND", startedByHandAt: ago(1) },
        { ...base, modelArn: "C", stoppedAt: ago(5), status: "STOPPING" },
      ],
      NOW,
    );

    assert.deepEqual(
      entries.map((e) => [e.record.modelArn, e.counted, e.stoppedForHours, afterwards(e.record)]),
      [
        [
          "A",
          true,
          2,
          'restarted 2026-11-27T18:00:30Z by rule: restart rule "daily 06:00 UTC" (tag auto-stop:restart on the model)',
        ],
        ["B", true, 3, "started again by hand 3 hours after the stop (seen running at 2026-11-27T19:00:30Z)"],
        ["C", true, 5, "started again by hand 9 hours after the stop (seen running at 2026-11-28T01:00:30Z)"],
        ["C", true, 5, "—"],
      ],
    );
    assert.deepEqual([totalsOf(entries).restarted, totalsOf(entries).startedByHand], [1, 2]);
  });

  it("does not count stops that did not take effect, and counts hours without a cost as no dollars", () => {
    const entries = estimateCostAvoided(
      [
        stop(A, 9, { status: "STOP_PENDING" }),
        stop(A, 8, { status: "FAILED: ThrottlingException: Rate exceeded" }),
        stop(A, 7, { status: "ALREADY_CHANGING: ResourceInUseException: …" }),
        stop(A, 6, { status: "NOT_FOUND: ResourceNotFoundException: …" }),
        stop(B, 3, { estimatedHourlyCostUsd: undefined }),
      ],
      NOW,
    );
    assert.deepEqual(
      entries.map((e) => e.counted),
      [false, false, false, false, true],
    );
    const totals = totalsOf(entries);
    assert.equal(totals.notStopped, 4);
    assert.equal(totals.estimatedCostAvoidedUsd, 0);
  });

  it("leaves warnings out: they are not stops, and a warning does not mean the model ran again", () => {
    const entries = estimateCostAvoided(
      [
        stop(A, 10),
        stop(A, 4, { kind: "warning", status: "WARNED" }),
        stop(A, 2, { kind: "warning", status: "STOPPED_AFTER_WARNING" }),
        stop(B, 3, { kind: "stop" }),
      ],
      NOW,
    );
    assert.deepEqual(
      entries.map((e) => [e.record.modelArn === A ? "A" : "B", e.stoppedForHours]),
      [
        ["A", 10],
        ["B", 3],
      ],
    );
    assert.equal(totalsOf(entries).records, 2);
  });
});

describe("renderWarnings", () => {
  const warning = (version: string, hoursAgo: number, fields: Partial<LoggedStop>): LoggedStop => ({
    modelArn: `arn:aws:rekognition:us-east-1:123456789012:project/p/version/${version}/1`,
    stoppedAt: ago(hoursAgo),
    projectName: "p",
    versionName: version,
    region: "us-east-1",
    kind: "warning",
    dryRun: false,
    reason: "idle: no requests",
    ...fields,
  });

  it("lists each warning, oldest first, with its outcome or why it holds, and counts them by status", () => {
    const text = renderWarnings([
      warning("b", 2, { status: "WARNED", stopNotBefore: "2026-11-28T10:00:00Z" }),
      warning("a", 30, {
        status: "CLEARED",
        stopNotBefore: "2026-11-27T04:00:00Z",
        note: "used since the warning: 3 requests",
      }),
      warning("c", 26, { status: "STOPPED_AFTER_WARNING", note: "stopped by run r", dryRun: true }),
    ]);
    const lines = text.split("\n");
    assert.equal(
      lines[1],
      "Warnings before a stop (not stops; WARNED ones may be stopped from STOP NOT BEFORE on):",
    );
    assert.match(
      lines[3] ?? "",
      /^2026-11-26T20:00:30Z\s+p\/a\s+us-east-1\s+CLEARED\s+2026-11-27T04:00:00Z\s+no\s+used since the warning: 3 requests$/,
    );
    assert.match(
      lines[4] ?? "",
      /^2026-11-27T00:00:30Z\s+p\/c\s+us-east-1\s+STOPPED_AFTER_WARNING\s+—\s+yes\s+stopped by run r$/,
    );
    assert.match(
      lines[5] ?? "",
      /^2026-11-28T00:00:30Z\s+p\/b\s+us-east-1\s+WARNED\s+2026-11-28T10:00:00Z\s+no\s+idle: no requests$/,
    );
    assert.match(text, /^3 warnings: 1 CLEARED, 1 STOPPED_AFTER_WARNING, 1 WARNED\.$/m);
  });

  it("prints nothing without a warning", () => {
    assert.equal(renderWarnings([]), "");
  });
});

describe("startUnits", () => {
  const base: LoggedStop = { modelArn: "arn:x", stoppedAt: ago(1) };
  it("takes MinInferenceUnits and MaxInferenceUnits from the record", () => {
    assert.deepEqual(startUnits({ ...base, minInferenceUnits: 2, maxInferenceUnits: 4, inferenceUnits: 3 }), {
      min: 2,
      max: 4,
    });
  });
  it("falls back to the units in service, and says so", () => {
    const units = startUnits({ ...base, inferenceUnits: 3 });
    assert.equal(units.min, 3);
    assert.equal(units.max, undefined);
    assert.match(units.note ?? "", /no minInferenceUnits; using the 3 inference units in service/);
  });
  it("falls back to 1, and says so", () => {
    const units = startUnits(base);
    assert.equal(units.min, 1);
    assert.match(units.note ?? "", /no unit counts; starting with 1 inference unit/);
  });
});

/** A terminal that keeps what the CLI writes. */
const io = () => {
  const written = { out: "", err: "" };
  const fake: CliIo = {
    out: (text) => (written.out += text),
    err: (text) => (written.err += text),
    errIsTty: false,
    env: {},
    clock: () => NOW,
    ask: async () => "",
  };
  return { fake, written };
};

describe("runCli", () => {
  const cases: [string[], number, RegExp, RegExp][] = [
    [[], 2, /^$/, /^Usage: idle-model-stopper <command>/],
    [["--help"], 0, /^Usage: idle-model-stopper <command>/, /^$/],
    [["help", "history"], 0, /^Usage: idle-model-stopper history/, /^$/],
    [["restart", "-h"], 0, /^Usage: idle-model-stopper restart MODEL_ARN/, /^$/],
    [
      ["stop"],
      2,
      /^$/,
      /^error: Unknown command "stop"\. Allowed: scan, history, restart\n\nUsage: idle-model-stopper <command>/,
    ],
    [["help", "stop"], 2, /^$/, /^error: Unknown command "stop"\. Allowed: scan, history, restart\n/],
    [
      ["history", "--since", "1w"],
      2,
      /^$/,
      /^error: Invalid --since: "1w"\..*\n\nUsage: idle-model-stopper history/,
    ],
    [["restart", "a", "b"], 2, /^$/, /^error: restart takes one MODEL_ARN, got 2: "a", "b"\n/],
  ];
  for (const [args, code, out, err] of cases) {
    it(`${JSON.stringify(args.join(" "))} exits ${code}`, async () => {
      const { fake, written } = io();
      assert.equal(await runCli(args, fake), code);
      assert.match(written.out, out);
      assert.match(written.err, err);
    });
  }
});

describe("a command line parseArgs would refuse", () => {
  const ARN = "arn:aws:rekognition:us-east-1:123456789012:project/cats/version/cats.v1/1700000000000";
  const OTHER_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/dogs/version/dogs.v1/1700000000000";
  const SCAN_OPTIONS =
    "--region, --idle-minutes, --opt-out-tag-key, --require-opt-in, --price, --max-stops, --full, --json, " +
    "--account, --role-name, --table, --table-region, --profile, --help (-h)";
  // Each line is what the user reads first on stderr; the command's usage follows it.
  const cases: [args: string[], line: string, usage: string][] = [
    [["scan", "--bogus"], `Unknown option "--bogus" for scan. Allowed: ${SCAN_OPTIONS}`, "scan"],
    [["scan", "-x"], `Unknown option "-x" for scan. Allowed: ${SCAN_OPTIONS}`, "scan"],
    [
      ["history", "--bogus=1"],
      'Unknown option "--bogus" for history. Allowed: --since, --model, --table, --stack, --region, --json, ' +
        "--account, --profile, --help (-h)",
      "history",
    ],
    [
      ["restart", ARN, "--bogus"],
      'Unknown option "--bogus" for restart. Allowed: --yes (-y), --table, --stack, --region, --account, ' +
        "--role-name, --profile, --help (-h)",
      "restart",
    ],
    [
      ["--bogus", "scan"],
      'Unknown option "--bogus" before the command. Allowed: --profile, --version (-v), --help (-h); ' +
        "a command's own options go after it",
      "<command>",
    ],
    [["frobnicate"], 'Unknown command "frobnicate". Allowed: scan, history, restart', "<command>"],
    // A negative number is the option's value, refused with the option's own range.
    [
      ["scan", "--price", "-1"],
      'Invalid --price: "-1". Allowed: a decimal number of USD above 0 and at most 1000, such as 4.00.',
      "scan",
    ],
    [
      ["scan", "--idle-minutes", "-5"],
      'Invalid --idle-minutes: "-5". Allowed: a whole number of minutes from 15 to 10080 (7 days).',
      "scan",
    ],
    [
      ["scan", "--max-stops", "-2"],
      'Invalid --max-stops: "-2". Allowed: a whole number from 1 to 1000.',
      "scan",
    ],
    [
      ["history", "--since", "-7d"],
      'Invalid --since: "-7d". Allowed: a duration such as 7d, 24h or 90m, a date such as 2026-11-01 (00:00 UTC), ' +
        "or an ISO-8601 date-time with Z or an offset.",
      "history",
    ],
    // A switch given a value, as the next word or after =.
    [
      ["scan", "--require-opt-in", "maybe"],
      '--require-opt-in is a switch and takes no value; got "maybe"',
      "scan",
    ],
    [["scan", "--full", "yes"], '--full is a switch and takes no value; got "yes"', "scan"],
    [["scan", "--json=false"], '--json is a switch and takes no value; got "false"', "scan"],
    [["history", "--json", "please"], '--json is a switch and takes no value; got "please"', "history"],
    [["restart", ARN, "--yes", "maybe"], '--yes is a switch and takes no value; got "maybe"', "restart"],
    [["restart", "-y", "maybe", ARN], '-y is a switch and takes no value; got "maybe"', "restart"],
    [["restart", `--yes=${ARN}`], `--yes is a switch and takes no value; got "${ARN}"`, "restart"],
    // Two ARNs after a switch: the second ARN is the mistake, not a value given to the switch.
    [
      ["restart", "--yes", ARN, OTHER_ARN],
      `restart takes one MODEL_ARN, got 2: "${ARN}", "${OTHER_ARN}"`,
      "restart",
    ],
    [
      ["restart", ARN, "-y", OTHER_ARN],
      `restart takes one MODEL_ARN, got 2: "${ARN}", "${OTHER_ARN}"`,
      "restart",
    ],
    // An option with no value, or with another option where its value should be.
    [["scan", "--price"], "--price needs a value", "scan"],
    [
      ["scan", "--table", "--json"],
      '--table needs a value; got the option "--json" (a value that starts with - is written --table=--json)',
      "scan",
    ],
    [["history", "yesterday"], 'history takes no arguments, only options; got "yesterday"', "history"],
  ];
  for (const [args, line, usage] of cases) {
    it(`${JSON.stringify(args.join(" "))} says what is wrong and what is allowed, then the usage, exit 2`, async () => {
      // Prepare
      const { fake, written } = io();

      // Act
      const code = await runCli(args, fake);

      // Assess
      assert.equal(code, 2);
      assert.equal(written.out, "");
      const [first, blank, usageLine] = written.err.split("\n");
      assert.equal(first, `error: ${line}`);
      assert.equal(blank, "");
      assert.match(usageLine ?? "", new RegExp(`^Usage: idle-model-stopper ${usage} `));
    });
  }

  it("takes a negative number as an option's value, and -1 is still refused by the check of the option", async () => {
    await assert.rejects(scanConfig(["--region", "us-east-1", "--price", "-1"]), {
      name: "UsageError",
      message: /^Invalid --price: "-1"\./,
    });
    // Not a negative number: a tag key that starts with - is written with =.
    const { config } = await scanConfig(["--region", "us-east-1", "--opt-out-tag-key=-keep"]);
    assert.equal(config.optOutTagKey, "-keep");
  });
});
