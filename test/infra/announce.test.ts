/**
 * The grants of the announce phase, on both functions (the nightly one announces its stops, warnings and the regret
 * check's restarts, the follow-up its restarts): `events:PutEvents` on the default bus of each configured region and
 * `rekognition:TagResource` on the model ARNs there, each only while its setting is on, and the settings passed to
 * the functions. A bad combination fails at synth.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Template } from "aws-cdk-lib/assertions";
import {
  buildStack,
  FOLLOW_UP,
  functionStatements,
  lambdaFunction,
  NIGHTLY,
  resourcesFor,
  type Statement,
} from "./template-helpers.ts";

const HANDLERS = [NIGHTLY, FOLLOW_UP] as const;

/** The statements of each function's role: the nightly one's, then the follow-up's. */
const statementsOf = (context: Record<string, unknown> = {}): Statement[][] => {
  const template = Template.fromStack(buildStack(context));
  return HANDLERS.map((handler) => functionStatements(template, handler));
};

describe("the announce phase's grants", () => {
  it("by default allow both functions PutEvents on the stack region's default bus and TagResource on its models only", () => {
    const roles = statementsOf();

    for (const [index, statements] of roles.entries()) {
      const role = HANDLERS[index];
      assert.deepEqual(
        resourcesFor(statements, "events:PutEvents"),
        ["arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default"],
        role,
      );
      assert.deepEqual(
        resourcesFor(statements, "rekognition:TagResource"),
        ["arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*/version/*/*"],
        role,
      );
      // Each action in a statement of its own, with nothing else and no wider resource.
      for (const action of ["events:PutEvents", "rekognition:TagResource"]) {
        const own = statements.filter((s) => s.actions.includes(action));
        assert.deepEqual(
          own.map((s) => s.actions),
          [[action]],
          `${role}: ${action}`,
        );
      }
    }
  });

  it("name each configured region: an event goes to the bus of its model's region", () => {
    const roles = statementsOf({ regions: "eu-west-1,us-east-1" });

    for (const statements of roles) {
      assert.deepEqual(resourcesFor(statements, "events:PutEvents"), [
        "arn:<AWS::Partition>:events:eu-west-1:<AWS::AccountId>:event-bus/default",
        "arn:<AWS::Partition>:events:us-east-1:<AWS::AccountId>:event-bus/default",
      ]);
      assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), [
        "arn:<AWS::Partition>:rekognition:eu-west-1:<AWS::AccountId>:project/*/version/*/*",
        "arn:<AWS::Partition>:rekognition:us-east-1:<AWS::AccountId>:project/*/version/*/*",
      ]);
    }
  });

  it("grant nothing for what is turned off, and tell the function so", () => {
    const template = Template.fromStack(buildStack({ publishEvents: "false", tagLastAction: "false" }));

    for (const handler of HANDLERS) {
      const statements = functionStatements(template, handler);
      assert.deepEqual(resourcesFor(statements, "events:PutEvents"), [], handler);
      assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), [], handler);
      const env = (
        lambdaFunction(template, handler).Properties.Environment as { Variables: Record<string, string> }
      ).Variables;
      assert.equal(env.PUBLISH_EVENTS, "false", handler);
      assert.equal(env.TAG_LAST_ACTION, "false", handler);
    }
  });

  it("turn off one without the other", () => {
    const eventsOnly = statementsOf({ tagLastAction: "false" });
    const tagsOnly = statementsOf({ publishEvents: "false" });

    for (const statements of eventsOnly) {
      assert.equal(resourcesFor(statements, "events:PutEvents").length, 1);
      assert.deepEqual(resourcesFor(statements, "rekognition:TagResource"), []);
    }
    for (const statements of tagsOnly) {
      assert.deepEqual(resourcesFor(statements, "events:PutEvents"), []);
      assert.equal(resourcesFor(statements, "rekognition:TagResource").length, 1);
    }
  });

  it("fail at synth when the opt-out key leaves no room for the tags derived from it, tagLastAction on or off", () => {
    const key = "k".repeat(116);

    for (const tagLastAction of ["true", "false"])
      assert.throws(() => buildStack({ optOutTagKey: key, tagLastAction }), {
        name: "InvalidSettingError",
        message:
          `Invalid context key optOutTagKey: "${key}". Allowed: a tag key of at most 115 characters, and this one ` +
          "has 116: the stopper reads and writes the tags <key>:idle-minutes, <key>:notify, <key>:last-action, " +
          "<key>:restart, AWS allows at most 128 characters in a tag key, and the longest, <key>:idle-minutes, " +
          "leaves 115 for the key.",
      });
    assert.doesNotThrow(() => buildStack({ optOutTagKey: "k".repeat(115) }));
  });
});
