/** The sandbox's organization (issue 11): STS AssumeRole into member accounts, Organizations, ListExecutions. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { DescribeProjectsCommand, RekognitionClient } from "@aws-sdk/client-rekognition";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { OrganizationsAccounts } from "../../lambda/adapters/organizations.ts";
import { pinnedClock, type Sandbox, startSandbox } from "../../sandbox/index.ts";

const HUB = "123456789012";
const ROLE = "IdleModelStopperSpoke";
let sandbox: Sandbox;
const harness = { accessKeyId: "SANDBOXACCESSKEYID", secretAccessKey: "secret" };

before(async () => {
  sandbox = await startSandbox({
    clock: pinnedClock(),
    organization: {
      id: "o-a1b2c3d4e5",
      rootId: "r-ab12",
      ous: [
        { id: "ou-ab12-11111111", parent: "r-ab12" },
        { id: "ou-ab12-22222222", parent: "ou-ab12-11111111" },
      ],
      pageSize: 2,
      accounts: [
        { id: "111111111111", parent: "ou-ab12-11111111", spokeRole: ROLE },
        { id: "222222222222", parent: "ou-ab12-11111111", spokeRole: ROLE, disabledRegions: ["ap-east-1"] },
        { id: "333333333333", parent: "ou-ab12-11111111" },
        { id: "444444444444", parent: "ou-ab12-22222222", spokeRole: ROLE },
        { id: "555555555555", parent: "ou-ab12-22222222", status: "SUSPENDED" },
        { id: "666666666666", spokeRole: ROLE },
      ],
    },
  });
  sandbox.inAccount("111111111111").seed({ projects: [{ name: "in-111", versions: [] }] });
  sandbox.seed({ projects: [{ name: "in-hub", versions: [] }] });
});
after(async () => {
  await sandbox.stop();
  sandbox.assertMatchesApiModels();
});

const sts = () =>
  new STSClient({ region: "us-east-1", endpoint: sandbox.endpoints.sts, credentials: harness });
const assume = (account: string, name = ROLE) =>
  sts().send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${name}`,
      RoleSessionName: "idle-model-stopper-run-1",
    }),
  );
const projectsWith = async (
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region = "us-east-1",
) =>
  (
    await new RekognitionClient({
      region,
      endpoint: sandbox.endpoints.rekognition,
      credentials,
      maxAttempts: 1,
    }).send(new DescribeProjectsCommand({}))
  ).ProjectDescriptions?.map((p) => p.ProjectArn);

describe("STS AssumeRole in the sandbox", () => {
  it("answers a spoke role's credentials, which reach that account's own world", async () => {
    const { Credentials, AssumedRoleUser } = await assume("111111111111");
    assert.ok(Credentials?.AccessKeyId && Credentials.SecretAccessKey);
    assert.equal(
      AssumedRoleUser?.Arn,
      `arn:aws:sts::111111111111:assumed-role/${ROLE}/idle-model-stopper-run-1`,
    );
    const member = await projectsWith({
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
    });
    assert.deepEqual(member, [sandbox.inAccount("111111111111").rekognition.projectArn("in-111")]);
    assert.match(member?.[0] ?? "", /:111111111111:project\/in-111\//);
    assert.deepEqual(await projectsWith(harness), [sandbox.rekognition.projectArn("in-hub")]);
    const call = sandbox.calls.find((c) => c.service === "sts");
    assert.equal(call?.action, "sts:AssumeRole");
    assert.equal(call?.resource, `arn:aws:iam::111111111111:role/${ROLE}`);
  });

  it("refuses an account without the spoke role, or another role's name, with AccessDenied", async () => {
    await assert.rejects(assume("333333333333"), {
      name: "AccessDenied",
      message: /not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/,
    });
    await assert.rejects(assume("111111111111", "Other"), { name: "AccessDenied" });
    await assert.rejects(assume("999999999999"), { name: "AccessDenied" });
  });

  it("makes a disabled region of a member account refuse every call", async () => {
    const { Credentials } = await assume("222222222222");
    const credentials = {
      accessKeyId: Credentials?.AccessKeyId ?? "",
      secretAccessKey: "s",
      sessionToken: "t",
    };
    await assert.rejects(projectsWith(credentials, "ap-east-1"), { name: "UnrecognizedClientException" });
    assert.deepEqual(await projectsWith(credentials, "us-east-1"), []);
  });
});

describe("Organizations in the sandbox", () => {
  const client = () =>
    new OrganizationsClient({
      region: "us-east-1",
      endpoint: sandbox.endpoints.organizations,
      credentials: harness,
    });

  it("lists a parent's accounts and child OUs a page at a time", async () => {
    const first = await client().send(new ListAccountsForParentCommand({ ParentId: "ou-ab12-11111111" }));
    assert.deepEqual(
      first.Accounts?.map((a) => a.Id),
      ["111111111111", "222222222222"],
    );
    assert.ok(first.NextToken);
    const second = await client().send(
      new ListAccountsForParentCommand({ ParentId: "ou-ab12-11111111", NextToken: first.NextToken }),
    );
    assert.deepEqual(
      second.Accounts?.map((a) => a.Id),
      ["333333333333"],
    );
    assert.equal(second.NextToken, undefined);
    const children = await client().send(
      new ListChildrenCommand({ ParentId: "r-ab12", ChildType: "ORGANIZATIONAL_UNIT" }),
    );
    assert.deepEqual(
      children.Children?.map((c) => c.Id),
      ["ou-ab12-11111111"],
    );
  });

  it("gives the stopper's adapter every ACTIVE account under an OU, nested OUs and every page included", async () => {
    const accounts = await new OrganizationsAccounts(client()).activeAccountsUnder("ou-ab12-11111111");
    assert.deepEqual(accounts.sort(), ["111111111111", "222222222222", "333333333333", "444444444444"]);
    const calls = sandbox.calls.filter((c) => c.service === "organizations");
    assert.ok(
      calls.some((c) => c.input.NextToken !== undefined),
      "a second page was read",
    );
    assert.equal(
      calls.find((c) => c.input.ParentId === "ou-ab12-22222222")?.resource,
      `arn:aws:organizations::${HUB}:ou/o-a1b2c3d4e5/ou-ab12-22222222`,
    );
  });

  it("refuses a parent that does not exist", async () => {
    await assert.rejects(
      client().send(
        new ListChildrenCommand({ ParentId: "ou-ab12-99999999", ChildType: "ORGANIZATIONAL_UNIT" }),
      ),
      {
        name: "ParentNotFoundException",
      },
    );
  });
});

describe("Step Functions in the sandbox", () => {
  it("lists the registered executions of a state machine by status", async () => {
    const machine = `arn:aws:states:us-east-1:${HUB}:stateMachine:sm`;
    sandbox.executions.push(
      {
        executionArn: `${machine.replace("stateMachine", "execution")}:a`,
        stateMachineArn: machine,
        name: "a",
        startDate: 1_000_000,
        status: "RUNNING",
      },
      {
        executionArn: `${machine.replace("stateMachine", "execution")}:b`,
        stateMachineArn: machine,
        name: "b",
        startDate: 2_000_000,
        status: "SUCCEEDED",
      },
    );
    const client = new SFNClient({
      region: "us-east-1",
      endpoint: sandbox.endpoints.sfn,
      credentials: harness,
    });
    const running = await client.send(
      new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: "RUNNING" }),
    );
    assert.deepEqual(
      running.executions?.map((e) => e.name),
      ["a"],
    );
    assert.equal(running.executions?.[0]?.startDate?.getTime(), 1_000_000);
  });
});
