// Unit tests of fnhost's @aws-sdk/client-lambda (guest-sdk/js/aws/client-lambda.js) against a
// fake host: `node --test guest-sdk/js/test/*.test.mjs`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { failure, host } from "./fake-host.mjs";

const {
  LambdaClient,
  Lambda,
  InvokeCommand,
  LambdaServiceException,
  ResourceNotFoundException,
  TooManyRequestsException,
  RecursiveInvocationException,
  RequestTooLargeException,
  InvalidParameterValueException,
  ServiceException,
} = await import("../aws/client-lambda.js");
const { GetObjectCommand } = await import("../aws/client-s3.js");

let calls;
const lambda = new LambdaClient({});
const enc = (s) => new TextEncoder().encode(s);

/** A host whose functions echo the event in a `{"got": ...}` envelope, `fails` failing. */
function echoHost() {
  calls = [];
  host.functions = {
    invoke(name, qualifier, type, payload, logTail) {
      calls.push({ name, qualifier, type, payload: new TextDecoder().decode(payload), logTail });
      if (name === "missing") throw failure("resource-not-found", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing");
      if (name === "busy") throw failure("too-many-requests", "Rate Exceeded.");
      if (name === "self") throw failure("recursive-invocation", "loop guard: 16 hops");
      if (name === "huge") throw failure("request-too-large", "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
      if (name === "bad:x") throw failure("invalid-parameter", "bad qualifier");
      if (name === "denied") throw failure("access-denied", 'grant it with `invoke = ["denied"]` in [function.me]');
      if (name === "broken") throw failure("service", "host trouble");
      if (type === "event") return { statusCode: 202, functionError: null, executedVersion: null, payload: new Uint8Array(0), logResult: null };
      if (type === "dry-run") return { statusCode: 204, functionError: null, executedVersion: null, payload: [], logResult: null };
      if (name === "fails") {
        return {
          statusCode: 200,
          functionError: "Unhandled",
          executedVersion: "$LATEST",
          payload: enc('{"errorType":"ValidationError","errorMessage":"name is required"}'),
          logResult: logTail ? "U1RBUlQ=" : null,
        };
      }
      return {
        statusCode: 200,
        functionError: null,
        executedVersion: qualifier ?? "$LATEST",
        payload: enc(JSON.stringify({ got: JSON.parse(new TextDecoder().decode(payload)) })),
        logResult: logTail ? "U1RBUlQ=" : null,
      };
    },
  };
}

beforeEach(echoHost);

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

test("a RequestResponse Invoke answers StatusCode, ExecutedVersion and a Uint8Array Payload", async () => {
  const out = await lambda.send(new InvokeCommand({ FunctionName: "hello", Payload: JSON.stringify({ name: "안녕" }) }));
  assert.deepEqual(calls, [{ name: "hello", qualifier: null, type: "request-response", payload: '{"name":"안녕"}', logTail: false }]);
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, "$LATEST");
  assert.equal("FunctionError" in out, false);
  assert.equal("LogResult" in out, false);
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.Payload instanceof Uint8Array);
  assert.deepEqual(JSON.parse(out.Payload.transformToString()), { got: { name: "안녕" } });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.Payload)), { got: { name: "안녕" } });
});

test("Payload bytes, Qualifier and LogType Tail pass through; no Payload is {}", async () => {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: "hello", Qualifier: "live", LogType: "Tail", Payload: enc('{"a":1}') }),
  );
  assert.deepEqual(calls[0], { name: "hello", qualifier: "live", type: "request-response", payload: '{"a":1}', logTail: true });
  assert.equal(out.ExecutedVersion, "live");
  assert.equal(out.LogResult, "U1RBUlQ=");
  await lambda.send(new InvokeCommand({ FunctionName: "hello" }));
  assert.equal(calls[1].payload, "{}");
});

test("Event answers 202 and DryRun 204, with empty payloads and no ExecutedVersion", async () => {
  const ev = await lambda.send(new InvokeCommand({ FunctionName: "hello", InvocationType: "Event", Payload: "{}" }));
  assert.equal(calls[0].type, "event");
  assert.equal(ev.StatusCode, 202);
  assert.equal(ev.$metadata.httpStatusCode, 202);
  assert.equal(ev.Payload.length, 0);
  assert.equal(ev.ExecutedVersion, undefined);
  const dry = await lambda.send(new InvokeCommand({ FunctionName: "hello", InvocationType: "DryRun" }));
  assert.equal(calls[1].type, "dry-run");
  assert.equal(dry.StatusCode, 204);
  assert.equal(dry.Payload.transformToString(), "");
});

test("a failing callee is FunctionError Unhandled with Lambda's error object, not a rejection", async () => {
  const out = await new Lambda({}).invoke({ FunctionName: "fails", Payload: "{}" });
  assert.equal(out.StatusCode, 200);
  assert.equal(out.FunctionError, "Unhandled");
  assert.equal(JSON.parse(out.Payload.transformToString()).errorType, "ValidationError");
});

test("refusals are the SDK's exceptions with Lambda's names and statuses", async () => {
  const cases = [
    ["missing", ResourceNotFoundException, "ResourceNotFoundException", 404],
    ["busy", TooManyRequestsException, "TooManyRequestsException", 429],
    ["self", RecursiveInvocationException, "RecursiveInvocationException", 400],
    ["huge", RequestTooLargeException, "RequestTooLargeException", 413],
    ["bad:x", InvalidParameterValueException, "InvalidParameterValueException", 400],
    ["broken", ServiceException, "ServiceException", 500],
    ["denied", LambdaServiceException, "AccessDeniedException", 403],
  ];
  for (const [name, Class, errorName, status] of cases) {
    const err = await rejection(lambda.send(new InvokeCommand({ FunctionName: name })));
    assert.ok(err instanceof Class, name);
    assert.ok(err instanceof LambdaServiceException, name);
    assert.equal(err.name, errorName);
    assert.equal(err.$metadata.httpStatusCode, status);
    assert.equal(err.$fault, status >= 500 ? "server" : "client");
  }
  const denied = await rejection(lambda.send(new InvokeCommand({ FunctionName: "denied" })));
  assert.match(denied.message, /invoke = \["denied"\]/);
  const missing = await rejection(lambda.send(new InvokeCommand({ FunctionName: "missing" })));
  assert.equal(missing.message, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing");
});

test("bad parameters are rejected before the host is called", async () => {
  const none = await rejection(lambda.send(new InvokeCommand({})));
  assert.equal(none.name, "ValidationException");
  const type = await rejection(lambda.send(new InvokeCommand({ FunctionName: "hello", InvocationType: "Later" })));
  assert.match(type.message, /invocationType/);
  const log = await rejection(lambda.send(new InvokeCommand({ FunctionName: "hello", LogType: "All" })));
  assert.match(log.message, /logType/);
  assert.equal(calls.length, 0);
});

test("an S3 command sent to the Lambda client names what is supported", async () => {
  const err = await rejection(lambda.send(new GetObjectCommand({ Bucket: "b", Key: "k" })));
  assert.match(err.message, /GetObjectCommand is not supported by fnhost; supported: LambdaClient and Lambda with InvokeCommand/);
});
