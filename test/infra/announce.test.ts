/**
 * The grants of the announce phase: `events:PutEvents` on the default bus of each configured region and
 * `rekognition:TagResource` on the model ARNs there, each only while its setting is on, and the settings passed to
 * the function. A bad combination fails at synth.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Template } from "aws-cdk-lib/assertions";
import { buildStack, functionStatements, resourcesFor, theOnly } from "./template-helpers.ts";

const statementsOf = (context: Record<string, unknown> = {}) =>
  functionStatements(Template.fromStack(buildStack(context)));

describe("the announce phase's grants", () => {
  it("by default allow PutEvents on the stack region's default bus and TagResource on its models only", () => {
    const statements = statementsOf();

    assert.deepEqual(resourcesFor(statements, "events:PutEvents"), [
      "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default",
    ]);
    assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), [
      "arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*/version/*/*",
    ]);
    // Each action in a statement of its own, with nothing else and no wider resource.
    for (const action of ["events:PutEvents", "rekognition:TagResource"]) {
      const own = statements.filter((s) => s.actions.includes(action));
      assert.deepEqual(
        own.map((s) => s.actions),
        [[action]],
      );
    }
  });

  it("name each configured region: an event goes to the bus of its model's region", () => {
    const statements = statementsOf({ regions: "eu-west-1,us-east-1" });

    assert.deepEqual(resourcesFor(statements, "events:PutEvents"), [
      "arn:<AWS::Partition>:events:eu-west-1:<AWS::AccountId>:event-bus/default",
      "arn:<AWS::Partition>:events:us-east-1:<AWS::AccountId>:event-bus/default",
    ]);
    assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), [
      "arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*/version/*/*",
      "arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*/version/*/*",
    ]);
  });

  it("grant nothing for what is turned off, and tell the function so", () => {
    const template = Template.fromStack(buildStack({ publishEvents: "false", tagLastAction: "false" }));

    const statements = functionStatements(template);

    assert.deepEqual(resourcesFor(statements, "events:PutEvents"), []);
    assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), []);
    const env = (
      theOnly(template, "AWS::Lambda::Function").Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    assert.equal(env.PUBLISH_EVENTS, "false");
    assert.equal(env.TAG_LAST_ACTION, "false");
  });

  it("turn off one without the other", () => {
    const eventsOnly = statementsOf({ tagLastAction: "false" });
    const tagsOnly = statementsOf({ publishEvents: "false" });

    assert.equal(resourcesFor(eventsOnly, "events:PutEvents").length, 1);
    assert.deepEqual(resourcesFor(eventsOnly, "rekognition:TagResource"), []);
    assert.deepEqual(resourcesFor(tagsOnly, "events:PutEvents"), []);
    assert.equal(resourcesFor(tagsOnly, "rekognition:TagResource").length, 1);
  });

  it("fail at synth when the opt-out key leaves no room for its last-action tag, naming both ways out", () => {
    const key = "k".repeat(117);

    assert.throws(() => buildStack({ optOutTagKey: key }), {
      name: "InvalidSettingError",
      message: new RegExp(
        `^Invalid context key optOutTagKey: "${key}"\\. Allowed: with tagLastAction on, a tag key of at most 116 characters, so that <key>:last-action fits AWS's 128 \\(or tagLastAction=false\\)\\.$`,
      ),
    });
    assert.doesNotThrow(() => buildStack({ optOutTagKey: key, tagLastAction: "false" }));
    assert.doesNotThrow(() => buildStack({ optOutTagKey: "k".repeat(116) }));
  });
});
