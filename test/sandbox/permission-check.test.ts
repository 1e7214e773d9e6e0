// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub syntax is the data these tests read and write.
/**
 * The machinery of the permission check: a template resolved as a deployment would see it, and the simulator's
 * verdicts with the grants each allowed call used.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CfnTemplate, TemplateResolutionError, TemplateResolver } from "../../sandbox/cfn-template.ts";
import { PermissionChecker, PermissionDeniedError } from "../../sandbox/permission-check.ts";

const template: CfnTemplate = {
  Resources: {
    Table: { Type: "AWS::DynamoDB::Table", Properties: {} },
    Named: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "given-name" } },
    Topic: { Type: "AWS::SNS::Topic", Properties: {} },
    Bucket: { Type: "AWS::S3::Bucket", Properties: {} },
  },
};
const resolver = new TemplateResolver(template, {
  account: "123456789012",
  region: "eu-west-1",
  physicalNames: { Table: "stop-log" },
});

describe("resolving a template for a deployment", () => {
  it("resolves Ref, GetAtt, Join, Select, Split and the pseudo parameters", () => {
    assert.deepEqual(
      resolver.resolve([
        { Ref: "Table" },
        { "Fn::GetAtt": ["Table", "Arn"] },
        { "Fn::GetAtt": "Named.Arn" },
        { Ref: "Topic" },
        { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":s3:::", { Ref: "AWS::URLSuffix" }]] },
        { "Fn::Select": [1, { "Fn::Split": [":", { Ref: "Topic" }] }] },
      ]),
      [
        "stop-log",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/stop-log",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/given-name",
        "arn:aws:sns:eu-west-1:123456789012:IdleModelStopper-Topic",
        "arn:aws:s3:::amazonaws.com",
        "aws",
      ],
    );
  });

  it("resolves Fn::Sub's references, attributes, literals and variables", () => {
    assert.equal(
      resolver.resolve({
        "Fn::Sub": [
          "${Table.Arn}/index/* in ${AWS::Region} of ${AWS::AccountId}, ${!Literal}, ${Suffix}",
          { Suffix: { Ref: "Table" } },
        ],
      }),
      "arn:aws:dynamodb:eu-west-1:123456789012:table/stop-log/index/* in eu-west-1 of 123456789012, ${Literal}, stop-log",
    );
  });

  it("refuses, naming it, what it cannot resolve rather than guess", () => {
    assert.throws(() => resolver.resolve({ Ref: "Missing" }), TemplateResolutionError);
    assert.throws(
      () => resolver.resolve({ Ref: "Bucket" }),
      /cannot resolve a reference to Bucket \(AWS::S3::Bucket\)/,
    );
    assert.throws(() => resolver.resolve({ "Fn::GetAtt": ["Table", "StreamArn"] }), /Table\.StreamArn/);
    assert.throws(
      () => resolver.resolve({ "Fn::FindInMap": ["Map", "a", "b"] }),
      /unsupported intrinsic function Fn::FindInMap/,
    );
    // Fn::If is resolved (the spoke template's conditions), but only on a condition the template has.
    assert.throws(
      () => resolver.resolve({ "Fn::If": ["Cond", "a", "b"] }),
      /the template has no condition Cond/,
    );
    assert.throws(() => resolver.resolve({ Ref: "AWS::NotificationARNs" }), /pseudo parameter/);
  });
});

describe("simulating a principal's calls", () => {
  const checker = new PermissionChecker({
    name: "test role",
    arn: "arn:aws:sts::123456789012:assumed-role/test/session",
    account: "123456789012",
    policies: [
      {
        name: "policy",
        source: {
          Statement: [
            {
              Effect: "Allow",
              Action: ["dynamodb:Query", "dynamodb:PutItem"],
              Resource: { "Fn::GetAtt": ["Table", "Arn"] },
            },
            {
              Effect: "Allow",
              Action: "rekognition:DescribeProjects",
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestedRegion": ["eu-west-1"] } },
            },
          ],
        },
        document: {
          Statement: [
            {
              Effect: "Allow",
              Action: ["dynamodb:Query", "dynamodb:PutItem"],
              Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/stop-log",
            },
            {
              Effect: "Allow",
              Action: "rekognition:DescribeProjects",
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestedRegion": ["eu-west-1"] } },
            },
          ],
        },
      },
    ],
  });
  const table = "arn:aws:dynamodb:eu-west-1:123456789012:table/stop-log";

  it("allows a granted call and names the grant it used, as written in the template", async () => {
    const verdict = await checker.check({
      operation: "Query",
      action: "dynamodb:Query",
      resource: table,
      region: "eu-west-1",
    });

    assert.equal(verdict.decision, "Allowed");
    assert.deepEqual(verdict.grants, ["dynamodb:Query on ${Table.Arn}"]);
  });

  it("refuses a call outside the grants: another index, another region, no resource", async () => {
    const [index, region, none] = await Promise.all([
      checker.check({
        operation: "Query",
        action: "dynamodb:Query",
        resource: `${table}/index/Other`,
        region: "eu-west-1",
      }),
      checker.check({
        operation: "DescribeProjects",
        action: "rekognition:DescribeProjects",
        resource: "*",
        region: "us-east-1",
      }),
      checker.check({ operation: "GetItem", action: "dynamodb:GetItem", region: "eu-west-1" }),
    ]);

    assert.equal(index.decision, "ImplicitlyDenied");
    assert.equal(region.decision, "ImplicitlyDenied");
    assert.equal(none.decision, "NotSimulated");
    const error = new PermissionDeniedError("test role", [index, region]);
    assert.match(
      error.message,
      /^2 calls the test role would not be allowed to make:\n- Query \(dynamodb:Query on arn:aws:dynamodb:eu-west-1:123456789012:table\/stop-log\/index\/Other in eu-west-1\): ImplicitlyDenied \(no identity-policy statement allows it\)\n- DescribeProjects \(rekognition:DescribeProjects on \* in us-east-1\)/,
    );
  });

  it("lists every grant, action by resource, as written", () => {
    assert.deepEqual(
      checker.grants().map((g) => `${g.action} on ${g.resource}`),
      [
        "dynamodb:Query on ${Table.Arn}",
        "dynamodb:PutItem on ${Table.Arn}",
        "rekognition:DescribeProjects on *",
      ],
    );
  });
});
