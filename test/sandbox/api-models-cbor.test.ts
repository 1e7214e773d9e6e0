/**
 * The API-model check of CloudWatch's answers in Smithy RPC v2 CBOR: what the protocol's spec asks of an answer
 * (the smithy-protocol header, application/cbor, tag-1 timestamps, an absolute shape id in an error's `__type`,
 * no body for an operation without output), and the awsQuery compatibility header CloudWatch's errors keep. The
 * bodies are written with the SDK's own CBOR codec, not the sandbox's writer.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cbor, tag } from "@smithy/core/cbor";
import { checkAnswer, describeMismatch, type WireAnswer } from "../../sandbox/api-model-check.ts";
import { ApiModelTally } from "../../sandbox/api-model-tally.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import { checkApiModelProofs } from "../../scripts/proof/api-models-section.ts";

const CBOR_HEADERS = { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" };
const AT = 1_795_831_080;

/** A CloudWatch answer in CBOR: `body` written with the SDK's codec, unless `extra` gives the wire body itself. */
const cborAnswer = (operation: string, body: unknown, extra: Partial<WireAnswer> = {}): WireAnswer => ({
  service: "cloudwatch",
  operation,
  statusCode: 200,
  headers: CBOR_HEADERS,
  body: cbor.serialize(body),
  protocol: "rpc-v2-cbor",
  ...extra,
});

const metricData = (timestamps: unknown[]) => ({
  MetricDataResults: [{ Id: "q", Label: "M", Timestamps: timestamps, Values: [1], StatusCode: "Complete" }],
  Messages: [],
});

const cborError = (type: string, queryError: string | undefined, headers: Record<string, string> = {}) =>
  cborAnswer(
    "GetMetricData",
    { __type: type, message: "…" },
    {
      statusCode: 400,
      headers: {
        ...CBOR_HEADERS,
        ...(queryError !== undefined && { "x-amzn-query-error": queryError }),
        ...headers,
      },
    },
  );

const found = (answer: WireAnswer) => checkAnswer(answer).map(describeMismatch);

describe("checkAnswer of CloudWatch answers in RPC v2 CBOR", () => {
  it("passes an answer with tag-1 timestamps, an error with an absolute shape id, and a bodiless PutMetricData", () => {
    // Prepare
    const answers = [
      cborAnswer(
        "GetMetricData",
        metricData([tag({ tag: 1, value: AT }), tag({ tag: 1, value: AT + 60.5 })]),
      ),
      cborAnswer("ListMetrics", { Metrics: [{ Namespace: "N", MetricName: "M", Dimensions: [] }] }),
      cborError("com.amazon.coral.availability#ThrottlingException", "Throttling;Sender"),
      cborAnswer("PutMetricData", {}, { headers: { "smithy-protocol": "rpc-v2-cbor" }, body: "" }),
    ];

    // Act
    const mismatches = answers.map(found);

    // Assess
    assert.deepEqual(mismatches, [[], [], [], []]);
  });

  it("flags a timestamp written as a bare number, as JSON would, instead of tag 1", () => {
    // Prepare
    const answer = cborAnswer("GetMetricData", metricData([AT]));

    // Act
    const mismatches = found(answer);

    // Assess
    assert.deepEqual(mismatches, [
      `GetMetricData: MetricDataResults[0].Timestamps[0]: ${AT} is a number, not tag 1 over epoch seconds (Timestamp)`,
    ]);
  });

  it("flags a missing smithy-protocol header, a JSON content type, and an X-Amzn-ErrorType header", () => {
    // Prepare
    const noProtocol = cborAnswer("ListMetrics", {}, { headers: { "content-type": "application/cbor" } });
    const jsonType = cborAnswer(
      "ListMetrics",
      {},
      { headers: { ...CBOR_HEADERS, "content-type": "application/x-amz-json-1.0" } },
    );
    const errorType = cborError("com.amazonaws.cloudwatch#InvalidNextToken", "InvalidNextToken;Sender", {
      "x-amzn-errortype": "InvalidNextToken",
    });

    // Act
    const mismatches = [noProtocol, jsonType, errorType].map(found);

    // Assess
    assert.deepEqual(mismatches, [
      ["ListMetrics: smithy-protocol is undefined, not rpc-v2-cbor"],
      ['ListMetrics: Content-Type "application/x-amz-json-1.0", not application/cbor'],
      ["GetMetricData: x-amzn-errortype is set; RPC v2 CBOR names the error in the body only"],
    ]);
  });

  it("flags an error whose __type is not an absolute shape id, or that lacks its awsQuery-compatible header", () => {
    // Prepare
    const bareType = cborError("InvalidNextToken", "InvalidNextToken;Sender");
    const noQueryError = cborError("com.amazonaws.cloudwatch#InvalidNextToken", undefined);

    // Act
    const mismatches = [bareType, noQueryError].map(found);

    // Assess
    assert.deepEqual(mismatches, [
      ['GetMetricData: __type: "InvalidNextToken" is not an absolute shape id (namespace#Name)'],
      ['GetMetricData: x-amzn-query-error is undefined, not "Code;Sender|Receiver"'],
    ]);
  });

  it("flags a body for PutMetricData, which has no output", () => {
    // Prepare
    const answer = cborAnswer("PutMetricData", {});

    // Act
    const mismatches = found(answer);

    // Assess
    assert.deepEqual(mismatches, [
      'PutMetricData: the operation has no output: RPC v2 CBOR answers no body and no Content-Type, not 1 bytes of "application/cbor"',
    ]);
  });

  it("names CloudWatch's CBOR answers apart in the proof report's count", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "api-models-cbor-proof-"));
    const previous = process.env.IMS_PROOF_DIR;
    process.env.IMS_PROOF_DIR = dir;
    try {
      const tally = new ApiModelTally();
      tally.check(cborAnswer("ListMetrics", { Metrics: [] }));
      tally.check(cborAnswer("GetMetricData", metricData([AT])));
      tally.check({
        service: "cloudwatch",
        operation: "ListMetrics",
        statusCode: 200,
        headers: { "content-type": "application/x-amz-json-1.0" },
        body: '{"Metrics":[]}',
      });
      recordProof("validation", [tally.proofEntry()]);

      // Act
      const result = checkApiModelProofs(dir);

      // Assess
      assert.match(result.lines[0] ?? "", /, cloudwatch 3 \(2 in RPC v2 CBOR\), /);
      assert.equal(result.figures.rpcV2Cbor, 2);
      assert.equal(result.figures.cloudwatch, 3);
      assert.deepEqual(result.failures, [
        `GetMetricData: MetricDataResults[0].Timestamps[0]: ${AT} is a number, not tag 1 over epoch seconds (Timestamp)`,
      ]);
    } finally {
      if (previous === undefined) delete process.env.IMS_PROOF_DIR;
      else process.env.IMS_PROOF_DIR = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
