/**
 * The check of the sandbox's answers against AWS's API models (sandbox/api-models.ts, api-model-check.ts), on both
 * sides: answers that match pass, and each kind of mismatch is flagged with the operation and the field. Also the
 * models themselves (the two official sources agree), the Coral-worded refusal of inputs, and the proof section.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KNOWN_FEATURES, KNOWN_MODEL_STATUSES } from "../../lambda/adapters/rekognition.ts";
import { checkAnswer, describeMismatch, type WireAnswer } from "../../sandbox/api-model-check.ts";
import { inputViolations, validationMessage } from "../../sandbox/api-model-input.ts";
import { ApiModelTally } from "../../sandbox/api-model-tally.ts";
import {
  API_MODEL_DIR,
  apiModel,
  compareWithSdkV2,
  MODELLED_SERVICES,
  NEWER_THAN_SDK_V2,
  readSdkV2Model,
} from "../../sandbox/api-models.ts";
import { MODEL_STATUSES, PROJECT_FEATURES } from "../../sandbox/index.ts";
import { recordProof } from "../../sandbox/proof-ledger.ts";
import { botocoreDir, botocoreVersion, extractApiModel } from "../../scripts/extract-api-models.ts";
import { checkApiModelProofs } from "../../scripts/proof/api-models-section.ts";

const JSON_11 = { "content-type": "application/x-amz-json-1.1" };
const JSON_10 = { "content-type": "application/x-amz-json-1.0" };
const XML = { "content-type": "text/xml" };
const SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/";
const PROJECT_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/cats/1704067200000";
const MODEL_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/cats/version/cats.v1/1704070800000";

const version = (fields: Record<string, unknown> = {}) => ({
  ProjectVersionArn: MODEL_ARN,
  CreationTimestamp: 1_704_070_800,
  Status: "RUNNING",
  StatusMessage: "The model is running.",
  MinInferenceUnits: 1,
  Feature: "CUSTOM_LABELS",
  ...fields,
});

const describeVersions = (descriptions: unknown[], extra: Partial<WireAnswer> = {}): WireAnswer => ({
  service: "rekognition",
  operation: "DescribeProjectVersions",
  input: { ProjectArn: PROJECT_ARN },
  statusCode: 200,
  headers: JSON_11,
  body: JSON.stringify({ ProjectVersionDescriptions: descriptions }),
  ...extra,
});

const rekognitionError = (operation: string, code: string, statusCode: number): WireAnswer => ({
  service: "rekognition",
  operation,
  statusCode,
  headers: { ...JSON_11, "x-amzn-errortype": code },
  body: JSON.stringify({ __type: code, message: "…" }),
});

const cloudWatchError = (
  operation: string,
  header: string,
  type: string,
  statusCode: number,
): WireAnswer => ({
  service: "cloudwatch",
  operation,
  statusCode,
  headers: { ...JSON_10, "x-amzn-query-error": header },
  body: JSON.stringify({ __type: type, message: "…" }),
});

const publishAnswer = (result: string, statusCode = 200): WireAnswer => ({
  service: "sns",
  operation: "Publish",
  input: { TopicArn: "arn:aws:sns:us-east-1:123456789012:t", Message: "hello" },
  statusCode,
  headers: XML,
  body:
    `<PublishResponse xmlns="${SNS_NS}"><PublishResult>${result}</PublishResult>` +
    "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>",
});

const snsError = (code: string, type: string, statusCode: number): WireAnswer => ({
  service: "sns",
  operation: "Publish",
  statusCode,
  headers: XML,
  body:
    `<ErrorResponse xmlns="${SNS_NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>…</Message>` +
    "</Error><RequestId>r-2</RequestId></ErrorResponse>",
});

const found = (answer: WireAnswer) => checkAnswer(answer).map(describeMismatch);

describe("the API models", () => {
  it("agree with aws-sdk v2's models on every served operation, but for the changes listed as newer", () => {
    const newer: string[] = [];
    for (const service of MODELLED_SERVICES) {
      const disagreements = compareWithSdkV2(apiModel(service.name), readSdkV2Model(service.sdkV2File));

      assert.deepEqual(
        disagreements.filter((disagreement) => NEWER_THAN_SDK_V2[disagreement] === undefined),
        [],
        service.name,
      );
      newer.push(...disagreements);
    }
    // Each listed difference still exists, so the list cannot go stale.
    assert.deepEqual(newer.sort(), Object.keys(NEWER_THAN_SDK_V2).sort());
  });

  it("flags a member that aws-sdk v2 types differently or does not have", () => {
    const sdk = readSdkV2Model("rekognition-2016-06-27.min.json");
    const output = sdk.operations.StopProjectVersion?.output;
    const changed = {
      ...sdk,
      operations: {
        ...sdk.operations,
        StopProjectVersion: {
          ...sdk.operations.StopProjectVersion,
          output: { ...output, members: { Status: { type: "integer" }, Extra: {} } },
        },
      },
    };

    const disagreements = compareWithSdkV2(apiModel("rekognition"), changed);

    assert.deepEqual(disagreements, [
      "StopProjectVersion output.Status: type string here, integer in aws-sdk v2",
      "StopProjectVersion output.Extra: in aws-sdk v2 only",
    ]);
  });

  it("hold what botocore's service-2.json says, when botocore is on the machine", (t) => {
    let dir: string;
    try {
      dir = botocoreDir();
    } catch {
      t.skip("botocore (Python) is not on this machine: the cut models were not compared with their source");
      return;
    }
    const installed = botocoreVersion(dir);
    const committedVersion = (name: string) =>
      JSON.parse(readFileSync(new URL(`${name}.json`, API_MODEL_DIR), "utf8")).source.version as string;
    const cutFrom = committedVersion(MODELLED_SERVICES[0]?.name ?? "rekognition");
    if (installed !== cutFrom) {
      // Another botocore may hold newer models on purpose; comparing them would fail a machine, not the sandbox.
      t.skip(
        `botocore ${installed} here, the models were cut from ${cutFrom}: not compared ` +
          "(npx tsx scripts/extract-api-models.ts cuts them again from this one)",
      );
      return;
    }
    for (const service of MODELLED_SERVICES) {
      const committed = JSON.parse(readFileSync(new URL(`${service.name}.json`, API_MODEL_DIR), "utf8"));
      const fresh = extractApiModel(dir, service);
      assert.deepEqual(
        { ...fresh, source: undefined },
        { ...committed, source: undefined },
        `${service.name}: run npx tsx scripts/extract-api-models.ts`,
      );
    }
  });

  it("list exactly the statuses and features that the stopper and the sandbox know", () => {
    const description = (operation: string, list: string) =>
      apiModel("rekognition").operations.get(operation)?.output?.members.get(list)?.shape.member?.shape;
    const versions = description("DescribeProjectVersions", "ProjectVersionDescriptions");
    const projects = description("DescribeProjects", "ProjectDescriptions");

    const statuses = versions?.members.get("Status")?.shape.enum;
    const features = projects?.members.get("Feature")?.shape.enum;

    // The stopper keeps a model whose status or feature it does not know: these lists must be the model's.
    assert.deepEqual([...KNOWN_MODEL_STATUSES].sort(), [...(statuses ?? [])].sort());
    assert.deepEqual([...MODEL_STATUSES].sort(), [...(statuses ?? [])].sort());
    assert.deepEqual([...KNOWN_FEATURES].sort(), [...(features ?? [])].sort());
    assert.deepEqual([...PROJECT_FEATURES].sort(), [...(features ?? [])].sort());
  });
});

describe("checkAnswer passes answers that match the models", () => {
  const cases: [string, WireAnswer][] = [
    [
      "a DescribeProjectVersions page (AWS JSON 1.1)",
      describeVersions([version(), version({ Status: "STOPPED" })]),
    ],
    [
      "a DescribeProjects page with a NextToken",
      {
        service: "rekognition",
        operation: "DescribeProjects",
        statusCode: 200,
        headers: JSON_11,
        body: JSON.stringify({
          ProjectDescriptions: [
            {
              ProjectArn: PROJECT_ARN,
              CreationTimestamp: 1_704_067_200,
              Status: "CREATED",
              Feature: "CUSTOM_LABELS",
            },
          ],
          NextToken: "abc",
        }),
      },
    ],
    [
      "ListTagsForResource",
      {
        service: "rekognition",
        operation: "ListTagsForResource",
        statusCode: 200,
        headers: JSON_11,
        body: JSON.stringify({ Tags: { "idle-model-stopper:opt-out": "true", team: "" } }),
      },
    ],
    [
      "a GetMetricData page (AWS JSON 1.0)",
      {
        service: "cloudwatch",
        operation: "GetMetricData",
        statusCode: 200,
        headers: JSON_10,
        body: JSON.stringify({
          MetricDataResults: [
            {
              Id: "q0",
              Label: "x",
              Timestamps: [1_704_070_800],
              Values: [2],
              StatusCode: "Complete",
              Messages: [],
            },
          ],
          Messages: [],
        }),
      },
    ],
    [
      "PutMetricData, which has no output",
      { service: "cloudwatch", operation: "PutMetricData", statusCode: 200, headers: JSON_10, body: "{}" },
    ],
    ["Publish (awsQuery XML)", publishAnswer("<MessageId>m-1</MessageId>")],
    [
      "PutEvents with one entry put and one refused, each answered on its own",
      {
        service: "eventbridge",
        operation: "PutEvents",
        input: {
          Entries: [{ Source: "idle-model-stopper", DetailType: "Idle Model Stopped", Detail: "{}" }],
        },
        statusCode: 200,
        headers: JSON_11,
        body: JSON.stringify({
          FailedEntryCount: 1,
          Entries: [
            { EventId: "11111111-2222-3333-4444-555555555555" },
            { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
          ],
        }),
      },
    ],
    [
      "EventBridge's InternalException, a 500 fault",
      {
        service: "eventbridge",
        operation: "PutEvents",
        statusCode: 500,
        headers: { ...JSON_11, "x-amzn-errortype": "InternalException" },
        body: JSON.stringify({ __type: "InternalException", message: "Internal error" }),
      },
    ],
    [
      "Rekognition's ResourceInUseException, 400",
      rekognitionError("StopProjectVersion", "ResourceInUseException", 400),
    ],
    [
      "Rekognition's ThrottlingException, a 500 fault",
      rekognitionError("StopProjectVersion", "ThrottlingException", 500),
    ],
    [
      "Rekognition's ValidationException, common to AWS JSON",
      rekognitionError("DescribeProjects", "ValidationException", 400),
    ],
    [
      "an unknown operation's UnknownOperationException",
      rekognitionError("RekognitionService.DetectLabels", "UnknownOperationException", 400),
    ],
    [
      "CloudWatch's InvalidNextToken, code in x-amzn-query-error",
      cloudWatchError(
        "GetMetricData",
        "InvalidNextToken;Sender",
        "com.amazonaws.cloudwatch#InvalidNextToken",
        400,
      ),
    ],
    [
      "CloudWatch's InternalServiceError, a Receiver fault",
      cloudWatchError(
        "PutMetricData",
        "InternalServiceError;Receiver",
        "com.amazonaws.cloudwatch#InternalServiceFault",
        500,
      ),
    ],
    [
      "CloudWatch's Throttling, the query protocols' common throttle",
      cloudWatchError(
        "GetMetricData",
        "Throttling;Sender",
        "com.amazon.coral.availability#ThrottlingException",
        400,
      ),
    ],
    ["SNS's NotFound, 404", snsError("NotFound", "Sender", 404)],
    ["SNS's InternalError, a 500 Receiver fault", snsError("InternalError", "Receiver", 500)],
  ];
  for (const [name, answer] of cases)
    it(name, () => {
      assert.deepEqual(found(answer), []);
    });
});

describe("checkAnswer flags each mismatch with the operation and the field", () => {
  it("a status that is not one of the enum's values", () => {
    assert.deepEqual(
      found(describeVersions([version(), version(), version(), version({ Status: "RUNNIN" })])),
      [
        'DescribeProjectVersions: ProjectVersionDescriptions[3].Status: "RUNNIN" is not one of TRAINING_IN_PROGRESS, TRAINING_COMPLETED, TRAINING_FAILED, STARTING, RUNNING, FAILED, STOPPING, STOPPED, DELETING, COPYING_IN_PROGRESS, COPYING_COMPLETED, COPYING_FAILED, DEPRECATED, EXPIRED (ProjectVersionStatus)',
      ],
    );
  });

  it("a member of the wrong type: a string for an integer, an ISO date for epoch seconds", () => {
    assert.deepEqual(
      found(
        describeVersions([version({ MinInferenceUnits: "1", CreationTimestamp: "2024-01-01T01:00:00Z" })]),
      ),
      [
        'DescribeProjectVersions: ProjectVersionDescriptions[0].CreationTimestamp: "2024-01-01T01:00:00Z" is a string, not a timestamp in epoch seconds (DateTime)',
        'DescribeProjectVersions: ProjectVersionDescriptions[0].MinInferenceUnits: "1" is a string, not an integer (InferenceUnits)',
      ],
    );
  });

  it("a member the shape does not declare", () => {
    const [mismatch] = checkAnswer(describeVersions([version({ StartedAt: 1_704_070_800 })]));

    assert.equal(mismatch?.operation, "DescribeProjectVersions");
    assert.equal(mismatch?.path, "ProjectVersionDescriptions[0].StartedAt");
    assert.match(mismatch?.message ?? "", /^is not a member of ProjectVersionDescription \(its members: /);
  });

  it("a null member, which AWS leaves out instead", () => {
    assert.deepEqual(found(describeVersions([version({ StatusMessage: null })])), [
      "DescribeProjectVersions: ProjectVersionDescriptions[0].StatusMessage: is null; AWS leaves out a member that has no value (StatusMessage)",
    ]);
  });

  it("a tag key outside the model's length and pattern", () => {
    const answer: WireAnswer = {
      service: "rekognition",
      operation: "ListTagsForResource",
      statusCode: 200,
      headers: JSON_11,
      body: JSON.stringify({ Tags: { "": "x", "aws:owner": "y" } }),
    };

    assert.deepEqual(found(answer), [
      'ListTagsForResource: Tags[""] (key): "" has length 0, below the minimum 1 of TagKey',
      `ListTagsForResource: Tags["aws:owner"] (key): "aws:owner" does not match TagKey's pattern ^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$`,
    ]);
  });

  it("an accepted input that misses a required member or breaks a range, which AWS refuses", () => {
    const stop: WireAnswer = {
      service: "rekognition",
      operation: "StopProjectVersion",
      input: {},
      statusCode: 200,
      headers: JSON_11,
      body: JSON.stringify({ Status: "STOPPING" }),
    };

    assert.deepEqual(found(stop), [
      "StopProjectVersion: input.ProjectVersionArn: is required by StopProjectVersionRequest but missing: AWS refuses this request, the sandbox answered it",
    ]);
    assert.deepEqual(found(describeVersions([], { input: { ProjectArn: PROJECT_ARN, MaxResults: 101 } })), [
      "DescribeProjectVersions: input.MaxResults: 101 is above the maximum 100 of ProjectVersionsPageSize: AWS refuses this request, the sandbox answered it",
    ]);
  });

  it("an error code the operation does not declare and no AWS API shares", () => {
    const [mismatch] = found(rekognitionError("StopProjectVersion", "ModelGoneException", 400));

    assert.match(
      mismatch ?? "",
      /^StopProjectVersion: error ModelGoneException is neither one the operation declares \(ResourceNotFoundException, ResourceInUseException, .*\) nor one every AWS API may answer \(AccessDeniedException, /,
    );
  });

  it("a declared error with the wrong HTTP status", () => {
    assert.deepEqual(found(rekognitionError("StopProjectVersion", "ThrottlingException", 400)), [
      "StopProjectVersion: HTTP 400 for ThrottlingException; the rekognition model gives 500",
    ]);
    assert.deepEqual(found(snsError("NotFound", "Sender", 400)), [
      "Publish: HTTP 400 for NotFound; the sns model gives 404",
    ]);
  });

  it("an awsQuery-compatible error without its header, with the wrong fault, or naming another shape", () => {
    assert.deepEqual(
      found({
        service: "cloudwatch",
        operation: "GetMetricData",
        statusCode: 400,
        headers: JSON_10,
        body: JSON.stringify({ __type: "com.amazonaws.cloudwatch#InvalidNextToken", message: "…" }),
      }),
      ['GetMetricData: x-amzn-query-error is undefined, not "Code;Sender|Receiver"'],
    );
    assert.deepEqual(
      found(
        cloudWatchError(
          "PutMetricData",
          "InternalServiceError;Sender",
          "com.amazonaws.cloudwatch#InvalidParameterValueException",
          500,
        ),
      ),
      [
        "PutMetricData: InternalServiceError is marked Sender; the model says Receiver",
        "PutMetricData: __type: names shape InvalidParameterValueException; the model's shape for InternalServiceError is InternalServiceFault",
      ],
    );
  });

  it("a parameter error that GetMetricData does not declare (PutMetricData does)", () => {
    const answer = cloudWatchError(
      "GetMetricData",
      "InvalidParameterValue;Sender",
      "com.amazonaws.cloudwatch#InvalidParameterValueException",
      400,
    );

    assert.match(
      found(answer)[0] ?? "",
      /^GetMetricData: error InvalidParameterValue is neither one the operation declares \(InvalidNextToken\)/,
    );
  });

  it("an XML answer with an undeclared element, no RequestId, or the wrong root", () => {
    assert.deepEqual(found(publishAnswer("<MessageId>m-1</MessageId><Receipt>x</Receipt>")), [
      "Publish: Receipt: is not a member of PublishResponse (its members: MessageId, SequenceNumber)",
    ]);
    assert.deepEqual(
      found({
        ...publishAnswer(""),
        body: `<PublishResult xmlns="${SNS_NS}"><MessageId>m</MessageId></PublishResult>`,
      }),
      ["Publish: the root element is PublishResult, not PublishResponse"],
    );
    assert.deepEqual(
      found({
        ...snsError("NotFound", "Sender", 404),
        body: "<ErrorResponse><Error><Code>NotFound</Code></Error></ErrorResponse>",
      }),
      ["Publish: RequestId: is missing", "Publish: Error.Type: is undefined, not Sender or Receiver"],
    );
  });

  it("a body in the wrong content type", () => {
    assert.deepEqual(found({ ...describeVersions([version()]), headers: JSON_10 }), [
      'DescribeProjectVersions: Content-Type "application/x-amz-json-1.0", not application/x-amz-json-1.1',
    ]);
  });
});

describe("deviations made on purpose by wire quirks", () => {
  it("are marked with the quirk at the changed field, while a mismatch elsewhere in the answer is not", () => {
    const answer = describeVersions([version({ Status: "HIBERNATING" }), version({ Status: "RUNNIN" })], {
      deliberate: [{ path: "ProjectVersionDescriptions[0].Status", reason: "rekognition.describe" }],
    });

    const mismatches = checkAnswer(answer);

    assert.deepEqual(
      mismatches.map((mismatch) => [mismatch.path, mismatch.deliberate]),
      [
        ["ProjectVersionDescriptions[0].Status", "rekognition.describe"],
        ["ProjectVersionDescriptions[1].Status", undefined],
      ],
    );
  });

  it("are counted apart by the tally, which fails only on the others", () => {
    const tally = new ApiModelTally();

    tally.check(
      describeVersions([version({ Status: "HIBERNATING" })], {
        deliberate: [{ path: "ProjectVersionDescriptions[0].Status", reason: "rekognition.describe" }],
      }),
    );
    tally.check(describeVersions([version()]));

    assert.deepEqual(
      tally.counts().map(({ checkMs: _time, ...counts }) => counts),
      [
        {
          service: "rekognition",
          operation: "DescribeProjectVersions",
          validated: 2,
          mismatches: 0,
          deliberate: 1,
        },
      ],
    );
    assert.ok((tally.counts()[0]?.checkMs ?? -1) >= 0);
    assert.deepEqual(tally.mismatches(), []);
    assert.equal(tally.deliberate().length, 1);
  });
});

describe("ApiModelTally", () => {
  it("turns a check that throws into a mismatch, so a broken check cannot pass silently", () => {
    const tally = new ApiModelTally();

    tally.check({ ...describeVersions([]), service: "s3" as "sns" });

    assert.deepEqual(tally.mismatches().map(describeMismatch), [
      "DescribeProjectVersions: the model check itself failed: no API model for s3",
    ]);
  });
});

describe("inputViolations", () => {
  it("words each broken constraint as Coral does, with lower-camel paths and 1-based list members", () => {
    const violations = inputViolations("cloudwatch", "GetMetricData", {
      MetricDataQueries: [
        {
          Id: "q",
          MetricStat: {
            Metric: { Namespace: "AWS/Rekognition", MetricName: "X" },
            Period: 60,
            Stat: "Sum",
            Unit: "Parsecs",
          },
        },
      ],
      StartTime: 0,
      EndTime: 60,
      ScanBy: "Sideways",
    });

    assert.deepEqual(violations, [
      "Value 'Parsecs' at 'metricDataQueries.1.member.metricStat.unit' failed to satisfy constraint: Member must satisfy enum value set: [Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, Bits, Kilobits, Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, Kilobytes/Second, Megabytes/Second, Gigabytes/Second, Terabytes/Second, Bits/Second, Kilobits/Second, Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second, None]",
      "Value 'Sideways' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]",
    ]);
    assert.match(validationMessage(violations), /^2 validation errors detected: Value 'Parsecs'/);
  });

  it("finds nothing in an input that keeps the model, and leaves types and missing members to the operation", () => {
    assert.deepEqual(
      inputViolations("rekognition", "DescribeProjects", { MaxResults: 100, ProjectNames: ["cats"] }),
      [],
    );
    assert.deepEqual(inputViolations("rekognition", "StopProjectVersion", { ProjectVersionArn: 7 }), []);
    assert.deepEqual(
      inputViolations("rekognition", "DescribeProjects", { MaxResults: 0, ProjectNames: [] }),
      [
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
        "Value '[]' at 'projectNames' failed to satisfy constraint: Member must have length greater than or equal to 1",
      ],
    );
  });
});

describe("the proof report's API-model section", () => {
  it("adds up the answers validated per service and fails naming each mismatch", () => {
    const dir = mkdtempSync(join(tmpdir(), "api-models-proof-"));
    const previous = process.env.IMS_PROOF_DIR;
    process.env.IMS_PROOF_DIR = dir;
    try {
      const tally = new ApiModelTally();
      tally.check(describeVersions([version()]));
      tally.check(publishAnswer("<MessageId>m-1</MessageId>"));
      tally.check(describeVersions([version({ Status: "RUNNIN" })]));
      recordProof("validation", [tally.proofEntry()]);

      const result = checkApiModelProofs(dir);

      assert.deepEqual(result.lines, [
        "API models: 3 responses validated against the API models (rekognition 2, cloudwatch 0, sns 1, cloudformation 0, sts 0, organizations 0, states 0, eventbridge 0), 1 mismatches; 0 deliberate deviations by wire quirks",
      ]);
      assert.equal(result.failures.length, 1);
      assert.match(
        result.failures[0] ?? "",
        /^DescribeProjectVersions: ProjectVersionDescriptions\[0\]\.Status: "RUNNIN"/,
      );
      assert.deepEqual(result.figures, {
        validated: 3,
        rekognition: 2,
        cloudwatch: 0,
        sns: 1,
        cloudformation: 0,
        sts: 0,
        organizations: 0,
        states: 0,
        eventbridge: 0,
        rpcV2Cbor: 0,
        mismatches: 1,
        deliberate: 0,
      });
    } finally {
      if (previous === undefined) delete process.env.IMS_PROOF_DIR;
      else process.env.IMS_PROOF_DIR = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
