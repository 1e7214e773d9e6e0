/**
 * The sandbox's Lambda Runtime API on its own, spoken to over plain HTTP as a runtime would: the long poll for the
 * next event and its headers, the response and error paths, the init error, and the answers to a runtime that
 * breaks the protocol. No runtime client or Node.js 22 needed.
 */

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  MAX_RESPONSE_BYTES,
  type RuntimeApi,
  RuntimeInitFailedError,
  startRuntimeApi,
} from "../../sandbox/runtime-api.ts";

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:IdleModelStopper-Fn";
const BASE = "/2018-06-01/runtime";
const FIXED_NOW = Date.UTC(2026, 10, 28, 2, 0, 5);

const apis: RuntimeApi[] = [];
after(async () => {
  await Promise.all(apis.map((api) => api.close()));
});

async function api(): Promise<RuntimeApi> {
  const started = await startRuntimeApi({ functionArn: FUNCTION_ARN, clock: () => FIXED_NOW });
  apis.push(started);
  return started;
}

const url = (runtime: RuntimeApi, path: string) => `http://${runtime.address}${BASE}${path}`;
const post = (runtime: RuntimeApi, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url(runtime, path), {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

describe("the Runtime API's next invocation", () => {
  it("answers GET …/next with the event and the request id, deadline, function ARN and trace headers", async () => {
    const runtime = await api();
    void runtime.invoke({
      event: { scheduledTime: "2026-11-28T02:00:00Z" },
      requestId: "req-1",
      timeoutMs: 600_000,
    });

    const next = await fetch(url(runtime, "/invocation/next"));

    assert.equal(next.status, 200);
    assert.deepEqual(await next.json(), { scheduledTime: "2026-11-28T02:00:00Z" });
    assert.equal(next.headers.get("lambda-runtime-aws-request-id"), "req-1");
    assert.equal(next.headers.get("lambda-runtime-deadline-ms"), String(FIXED_NOW + 600_000));
    assert.equal(next.headers.get("lambda-runtime-invoked-function-arn"), FUNCTION_ARN);
    assert.match(
      next.headers.get("lambda-runtime-trace-id") ?? "",
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
    );
  });

  it("holds GET …/next until an event is queued, then tells the caller what the runtime got", async () => {
    const runtime = await api();
    const handed: string[] = [];
    const next = fetch(url(runtime, "/invocation/next"));
    await runtime.idle();

    const invoked = runtime.invoke({
      event: {},
      requestId: "late",
      timeoutMs: 1_000,
      onHanded: (h) => handed.push(h.requestId),
    });
    const answer = await next;

    assert.equal(answer.headers.get("lambda-runtime-aws-request-id"), "late");
    assert.deepEqual(handed, ["late"]);
    await post(runtime, "/invocation/late/response", "null");
    assert.equal((await invoked).outcome.kind, "response");
  });

  it("refuses a second GET …/next while the event it handed out has no answer", async () => {
    const runtime = await api();
    void runtime.invoke({ event: {}, requestId: "open", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const again = await fetch(url(runtime, "/invocation/next"));

    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { errorType: string }).errorType, "InvalidStateTransition");
  });
});

describe("the Runtime API's answers", () => {
  it("takes the handler's response with 202 and resolves the invocation with its body", async () => {
    const runtime = await api();
    const invoked = runtime.invoke({ event: {}, requestId: "ok-1", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const posted = await post(runtime, "/invocation/ok-1/response", JSON.stringify({ stopped: ["a"] }));

    assert.equal(posted.status, 202);
    assert.deepEqual(await posted.json(), { status: "OK" });
    const { handed, outcome } = await invoked;
    assert.equal(handed.requestId, "ok-1");
    assert.deepEqual(outcome, { kind: "response", requestId: "ok-1", body: '{"stopped":["a"]}' });
  });

  it("takes the handler's error with 202, its type from the body or else the error-type header", async () => {
    const runtime = await api();
    const first = runtime.invoke({ event: {}, requestId: "err-1", timeoutMs: 1_000 });
    const second = runtime.invoke({ event: {}, requestId: "err-2", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const posted = await post(
      runtime,
      "/invocation/err-1/error",
      JSON.stringify({ errorType: "TypeError", errorMessage: "boom", trace: [] }),
    );
    await fetch(url(runtime, "/invocation/next"));
    await post(runtime, "/invocation/err-2/error", "not json", {
      "lambda-runtime-function-error-type": "Runtime.Unknown",
    });

    assert.equal(posted.status, 202);
    const one = (await first).outcome;
    const two = (await second).outcome;
    assert.deepEqual(one.kind === "error" && [one.errorType, one.errorMessage], ["TypeError", "boom"]);
    assert.deepEqual(two.kind === "error" && [two.errorType, two.errorMessage], [
      "Runtime.Unknown",
      "not json",
    ]);
  });

  it("refuses an answer for a request id it did not hand out, or for one already answered", async () => {
    const runtime = await api();
    void runtime.invoke({ event: {}, requestId: "real", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const unknown = await post(runtime, "/invocation/made-up/response", "{}");
    const first = await post(runtime, "/invocation/real/response", "{}");
    const twice = await post(runtime, "/invocation/real/error", "{}");

    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { errorType: string }).errorType, "InvalidRequestID");
    assert.equal(first.status, 202);
    assert.equal(twice.status, 400);
  });

  it("refuses a response over Lambda's 6 MB with 413, and the invocation fails with Function.ResponseSizeTooLarge", async () => {
    const runtime = await api();
    const invoked = runtime.invoke({ event: {}, requestId: "big", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const posted = await post(runtime, "/invocation/big/response", "x".repeat(MAX_RESPONSE_BYTES + 1));

    assert.equal(posted.status, 413);
    const { outcome } = await invoked;
    assert.equal(outcome.kind === "error" && outcome.errorType, "Function.ResponseSizeTooLarge");
  });

  it("answers 404 to a path the API does not have", async () => {
    const runtime = await api();

    const answer = await fetch(`http://${runtime.address}/2018-06-01/runtime/invocation`, {
      method: "DELETE",
    });

    assert.equal(answer.status, 404);
    assert.deepEqual(
      runtime.requests.map((r) => [r.method, r.statusCode]),
      [["DELETE", 404]],
    );
  });
});

describe("the Runtime API's init error", () => {
  it("takes an init error before the first GET …/next, and fails the invocations waiting for the runtime with it", async () => {
    const runtime = await api();
    // The invocation waits for the runtime, which fails to start instead.
    const waiting = assert.rejects(runtime.invoke({ event: {}, timeoutMs: 1_000 }), (error) => {
      assert.ok(error instanceof RuntimeInitFailedError);
      assert.match(error.message, /^the runtime failed to start: InvalidSettingError: Invalid IDLE_MINUTES/);
      return true;
    });

    const posted = await post(
      runtime,
      "/init/error",
      JSON.stringify({
        errorType: "InvalidSettingError",
        errorMessage: 'Invalid IDLE_MINUTES: "5".',
        trace: [],
      }),
      { "lambda-runtime-function-error-type": "InvalidSettingError" },
    );

    assert.equal(posted.status, 202);
    assert.deepEqual(
      { ...(await runtime.initError), body: undefined },
      { errorType: "InvalidSettingError", errorMessage: 'Invalid IDLE_MINUTES: "5".', body: undefined },
    );
    await waiting;
    await assert.rejects(runtime.invoke({ event: {}, timeoutMs: 1_000 }), RuntimeInitFailedError);
  });

  it("refuses an init error once the runtime has asked for an event (403)", async () => {
    const runtime = await api();
    void runtime.invoke({ event: {}, requestId: "after-init", timeoutMs: 1_000 });
    await fetch(url(runtime, "/invocation/next"));

    const late = await post(
      runtime,
      "/init/error",
      JSON.stringify({ errorType: "Late", errorMessage: "too late" }),
    );

    assert.equal(late.status, 403);
    assert.equal(((await late.json()) as { errorType: string }).errorType, "InvalidStateTransition");
  });
});
