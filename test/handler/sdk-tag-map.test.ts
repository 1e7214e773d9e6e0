/**
 * The tag map as the real SDK client builds it from ListTagsForResource's JSON answer: a key named like a member of
 * every JavaScript object (`__proto__`, `constructor`) is an own key of the map, so the stopper reads it like any
 * other key. The client's HTTP handler answers locally; everything else is the SDK's own deserialization.
 */

import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { RekognitionModelDirectory } from "../../lambda/adapters/rekognition.ts";
import { tagPolicy } from "../../lambda/core/tag-policy.ts";

const PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/cats/1700000000000";

/** A client whose every call gets `body` as a 200 JSON answer. */
function clientAnswering(body: string): RekognitionClient {
  return new RekognitionClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          reason: "OK",
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: Readable.from([Buffer.from(body)]),
        },
      }),
    },
  });
}

describe("ListTagsForResource through the SDK", () => {
  for (const key of ["__proto__", "constructor"]) {
    it(`keeps a tag keyed ${key} as the map's own, and the tags of a project tagged ${key}=never keep it`, async () => {
      // Prepare
      const answer = `{"Tags":{${JSON.stringify(key)}:"never","team":"vision"}}`;
      const directory = new RekognitionModelDirectory(() => clientAnswering(answer));

      // Act
      const tags = await directory.listTags("us-east-1", PROJECT);
      const policy = tagPolicy(
        { model: {}, project: tags },
        { optOutTagKey: key, requireOptIn: false, defaultIdleMinutes: 180, now: 0 },
      );

      // Assess
      assert.deepEqual(Object.entries(tags), [
        [key, "never"],
        ["team", "vision"],
      ]);
      assert.deepEqual(policy, {
        keep: true,
        reason: `opted out: tag ${key}=never on the project`,
        cause: "opted-out",
      });
    });
  }
});
