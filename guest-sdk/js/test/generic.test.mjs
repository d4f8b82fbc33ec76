// The fast tier's generic runtime (generic.js with runtime.js) running bundles that the real
// `package.sh --prepare` makes (esbuild from target/guest-tools, installed on first use), against
// fake WASI and host interfaces (fake-wasi.mjs), one event per child process
// (generic-child.mjs): `node --test guest-sdk/js/test/*.test.mjs`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageSh = path.join(here, "..", "package.sh");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "fnhost-js-generic-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const REQUEST_ID = "11111111-2222-3333-4444-555555555555";

/** Prepare `files` (path → text) for `handler`: the runtime dir. */
function prepare(files, handler = "index.handler") {
  const src = fs.mkdtempSync(path.join(root, "src-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), text);
  }
  const r = spawnSync("bash", [packageSh, "--prepare", src, path.join(root, "prepared"), "--handler", handler], {
    encoding: "utf8",
    env: { ...process.env, FNHOST_OPT_DIR: "" },
  });
  assert.equal(r.status, 0, r.stderr);
  const dir = /fnhost: runtime dir (.+)$/.exec(r.stderr.trim())?.[1];
  assert.ok(dir && fs.existsSync(path.join(dir, "function.js")), r.stderr);
  return dir;
}

/** One event through the generic runtime. */
function run(runtimeDir, event = {}, env = {}) {
  const r = spawnSync(process.execPath, [path.join(here, "generic-child.mjs"), JSON.stringify({ runtimeDir, event, env })], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The messages of Lambda's Node.js log lines (`<ISO time>\t<request id>\t<LEVEL>\t<message>`). */
function logLines(text) {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [time, id, level, ...message] = line.split("\t");
      assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
      assert.equal(id, REQUEST_ID, line);
      return `${level} ${message.join("\t")}`;
    });
}

test("an ES module's async handler answers and logs in Lambda's format", () => {
  const dir = prepare({
    "index.mjs":
      'export const handler = async (event, context) => {\n  console.log(`hello ${event.name}`);\n  await new Promise((r) => setTimeout(r, 5));\n  return { name: event.name, fn: context.functionName, mem: context.memoryLimitInMB };\n};\n',
  });
  const out = run(dir, { name: "Gemini" });
  assert.deepEqual(out.result, { name: "Gemini", fn: "f", mem: "128" });
  assert.deepEqual(logLines(out.stdout), ["INFO hello Gemini"]);
  assert.ok(out.disposed >= 2, "the preopen and the file are released");
});

test("top-level code runs as at build time: no log, no environment, its timers dropped", () => {
  const dir = prepare(
    {
      "src/app.js":
        'console.log("top-level");\nconst atTop = process.env.GREETING ?? null;\nsetTimeout(() => { throw new Error("top-level timer"); }, 0);\n' +
        "exports.deep = { main: (event, context, callback) => { setTimeout(() => callback(null, { atTop, now: process.env.GREETING }), 1); } };\n",
    },
    "src/app.deep.main",
  );
  const out = run(dir, {}, { GREETING: "annyeong" });
  assert.deepEqual(out.result, { atTop: null, now: "annyeong" });
  assert.equal(out.stdout, "");
});

test("a handler the module does not export is Runtime.HandlerNotFound at event time", () => {
  const dir = prepare({ "index.js": "exports.other = () => 1;\n" });
  const out = run(dir);
  assert.deepEqual(out.error, {
    errorType: "Runtime.HandlerNotFound",
    errorMessage: "index.handler is undefined or not exported",
    stackTrace: [],
  });
  assert.deepEqual(logLines(out.stderr), [
    'ERROR Invoke Error \t{"errorType":"Runtime.HandlerNotFound","errorMessage":"index.handler is undefined or not exported","stack":[]}',
  ]);
});

test("without /var/runtime the event fails with Runtime.ImportModuleError", () => {
  const out = run(null);
  assert.equal(out.error.errorType, "Runtime.ImportModuleError");
  assert.equal(
    out.error.errorMessage,
    "Error: Cannot find module '/var/runtime/function.js': /var/runtime is not mounted",
  );
});

test("errors thrown by the handler or its top-level code keep their type and message", () => {
  const thrown = run(
    prepare({
      "index.mjs":
        'class ValidationError extends Error { constructor(m) { super(m); this.name = "ValidationError"; } }\n' +
        "export const handler = async (event) => { throw new ValidationError(`bad input: ${event.why}`); };\n",
    }),
    { why: "no name" },
  );
  assert.equal(thrown.error.errorType, "ValidationError");
  assert.equal(thrown.error.errorMessage, "bad input: no name");
  assert.equal(thrown.error.stackTrace[0], "ValidationError: bad input: no name");

  const init = run(prepare({ "index.js": 'throw new TypeError("init failed");\nexports.handler = () => 1;\n' }));
  assert.equal(init.error.errorType, "TypeError");
  assert.equal(init.error.errorMessage, "init failed");

  const rejected = run(prepare({ "index.js": 'exports.handler = async () => Promise.reject("just a string");\n' }));
  assert.deepEqual(rejected.error, { errorType: "string", errorMessage: "just a string", stackTrace: [] });
});

test("fnhost's modules, the AWS SDK clients and the WIT interfaces come from the runtime", () => {
  const dir = prepare({
    "index.mjs":
      'import { S3Client, NoSuchKey } from "@aws-sdk/client-s3";\n' +
      'import { InvokeCommand } from "@aws-sdk/client-lambda";\n' +
      'import { getObject } from "fnhost-objects";\n' +
      'import objects from "fnhost:function/objects";\n' +
      'const { LambdaClient } = require("@aws-sdk/client-lambda");\n' +
      "export const handler = async () => ({\n" +
      "  s3: typeof S3Client, noSuchKey: new NoSuchKey({ message: 'x', $metadata: {} }) instanceof Error,\n" +
      "  invoke: typeof InvokeCommand, lambda: typeof LambdaClient, getObject: typeof getObject,\n" +
      "  raw: typeof objects.getObject, url: new URL('https://example.com/a?b=c').searchParams.get('b'), fetch: typeof fetch,\n" +
      "});\n",
  });
  // The raw interface from a .js ES module too (esbuild's non-Node interop).
  const js = run(prepare({ "index.js": 'import objects from "fnhost:function/objects";\nexport const handler = () => typeof objects.putObject;\n' }));
  assert.equal(js.result, "function");
  const out = run(dir);
  assert.deepEqual(out.result, {
    s3: "function",
    noSuchKey: true,
    invoke: "function",
    lambda: "function",
    getObject: "function",
    raw: "function",
    url: "c",
    fetch: "function",
  });
});
