// One event through generic.js in a process of its own (runtime.js replaces `Promise`,
// `console` and `process`): `node generic-child.mjs SPEC_JSON` where SPEC is `{ runtimeDir,
// env, event }`. Prints `{ result | error, stdout, stderr, disposed }` as JSON.
import { register } from "node:module";

const spec = JSON.parse(process.argv[2]);
const print = process.stdout.write.bind(process.stdout);
register("./generic-hooks.mjs", import.meta.url);
globalThis.fnhostFake = { runtimeDir: spec.runtimeDir, env: spec.env ?? {}, remainingMs: 3000, stdout: "", stderr: "", disposed: 0 };

const { handle } = await import("../generic.js");
const ctx = {
  requestId: "11111111-2222-3333-4444-555555555555",
  functionName: "f",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
  memoryLimitMb: 128,
  logGroupName: "/aws/lambda/f",
  logStreamName: "2026/01/01/[$LATEST]0",
};
const out = { stdout: "", stderr: "" };
try {
  out.result = JSON.parse(handle(JSON.stringify(spec.event ?? {}), ctx));
} catch (e) {
  out.error = e;
}
const { stdout, stderr, disposed } = globalThis.fnhostFake;
print(JSON.stringify({ ...out, stdout, stderr, disposed }));
