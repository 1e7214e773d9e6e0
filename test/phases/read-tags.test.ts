import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TagPolicy } from "../../lambda/core/tag-policy.ts";
import { readTags } from "../../lambda/phases/read-tags.ts";
import { awsError, configWith, FakeDirectory, NOW, REGION, runningModel } from "./fakes.ts";

const MODEL = runningModel("cats", "v1");
const config = configWith();

describe("the read-tags phase", () => {
  const cases: {
    name: string;
    model?: Record<string, string> | Error;
    project?: Record<string, string> | Error;
    tags: unknown;
    policy: TagPolicy | undefined;
  }[] = [
    {
      name: "no tags: judged by the default threshold",
      tags: { model: {}, project: {} },
      policy: { keep: false, idleMinutes: 180 },
    },
    {
      name: "project opted out: kept by its tags",
      project: { "auto-stop": "never" },
      tags: { model: {}, project: { "auto-stop": "never" } },
      policy: { keep: true, reason: "opted out: tag auto-stop=never on the project", cause: "opted-out" },
    },
    {
      name: "a threshold of its own on the model",
      model: { "auto-stop:idle-minutes": "60" },
      tags: { model: { "auto-stop:idle-minutes": "60" }, project: {} },
      policy: {
        keep: false,
        idleMinutes: 60,
        idleMinutesSource: "tag auto-stop:idle-minutes=60 on the model",
      },
    },
    {
      name: "the model's tags cannot be read",
      model: awsError("AccessDeniedException", "not allowed"),
      tags: { error: "ListTagsForResource on the model failed: AccessDeniedException: not allowed" },
      policy: undefined,
    },
    {
      name: "the project's tags cannot be read",
      project: awsError("ThrottlingException", "Rate exceeded"),
      tags: { error: "ListTagsForResource on the project failed: ThrottlingException: Rate exceeded" },
      policy: undefined,
    },
  ];
  for (const { name, model, project, tags, policy } of cases) {
    it(`says what the tags say: ${name}`, async () => {
      // Prepare
      const directory = new FakeDirectory();
      for (const [arn, value] of [
        [MODEL.modelArn, model],
        [MODEL.projectArn, project],
      ] as const) {
        if (value instanceof Error) directory.failures.set(arn, value);
        else if (value) directory.tags.set(arn, value);
      }

      // Act
      const tagged = await readTags({ directory }, config, { region: REGION, now: NOW }).run(MODEL);

      // Assess
      assert.deepEqual(tagged, { model: MODEL, tags, ...(policy && { policy }) });
    });
  }

  it("reads a project's tags once however many of its models run, and each model's own", async () => {
    // Prepare
    const directory = new FakeDirectory();
    const stage = readTags({ directory }, config, { region: REGION, now: NOW });
    const models = [runningModel("cats", "v1"), runningModel("cats", "v2"), runningModel("dogs", "v1")];

    // Act
    await Promise.all(models.map((model) => stage.run(model)));

    // Assess
    const reads = directory.calls.map((call) => call.split(":project/")[1]);
    assert.deepEqual(reads.sort(), [
      "cats/1700000000000",
      "cats/version/v1/1700000000001",
      "cats/version/v2/1700000000001",
      "dogs/1700000000000",
      "dogs/version/v1/1700000000001",
    ]);
  });

  it("starts reading the project's tags as soon as a model reaches it, and the model's once those are in", async () => {
    // Prepare
    const directory = new FakeDirectory();

    // Act: no await first, so only what the stage does at once is seen.
    const tagged = readTags({ directory }, config, { region: REGION, now: NOW }).run(MODEL);
    const atOnce = [...directory.calls];
    await tagged;

    // Assess
    assert.deepEqual(atOnce, [`listTags ${REGION} ${MODEL.projectArn}`]);
    assert.deepEqual(directory.calls, [
      `listTags ${REGION} ${MODEL.projectArn}`,
      `listTags ${REGION} ${MODEL.modelArn}`,
    ]);
  });

  for (const value of ["never", "2099-01-01"]) {
    it(`does not read the model's tags when its project's tag ${value} keeps it whatever they say`, async () => {
      // Prepare
      const directory = new FakeDirectory();
      directory.tags.set(MODEL.projectArn, { "auto-stop": value });

      // Act
      const tagged = await readTags({ directory }, config, { region: REGION, now: NOW }).run(MODEL);

      // Assess
      assert.deepEqual(directory.calls, [`listTags ${REGION} ${MODEL.projectArn}`]);
      assert.equal(tagged.policy?.keep, true);
    });
  }

  it("tells the budget of each model once its tags are read: a likely stop unless they keep it", async () => {
    // Prepare
    const directory = new FakeDirectory();
    const [kept, candidate, unreadable] = [
      runningModel("cats", "kept"),
      runningModel("cats", "candidate"),
      runningModel("cats", "unreadable"),
    ] as const;
    directory.tags.set(kept.modelArn, { "auto-stop": "off" });
    directory.failures.set(unreadable.modelArn, new Error("AccessDenied"));
    const told: boolean[] = [];
    const stage = readTags(
      { directory },
      config,
      { region: REGION, now: NOW },
      {
        tagged: (likelyStop) => told.push(likelyStop),
      },
    );

    // Act
    for (const model of [kept, candidate, unreadable]) await stage.run(model);

    // Assess
    assert.deepEqual(told, [false, true, false]);
  });
});
