// package.sh with the AWS SDK modules and layers: what resolves, and what fails with a message
// naming what is supported. Runs the real packager (esbuild + componentize-qjs from
// target/guest-tools, installed by package.sh on first use): `node --test guest-sdk/js/test/*.test.mjs`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const packageSh = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package.sh");

const dirs = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A function directory with `files` (path → text), and a place for its output. */
function fixture(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fnhost-js-pkg-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function pack(dir, env = {}) {
  const out = path.join(dir, "out.wasm");
  const r = spawnSync("bash", [packageSh, path.join(dir, "fn"), out], {
    encoding: "utf8",
    env: { ...process.env, FNHOST_OPT_DIR: "", ...env },
  });
  return { status: r.status, stderr: r.stderr, built: fs.existsSync(out) };
}

test("an unsupported named export of @aws-sdk/client-s3 fails naming the supported ones", () => {
  const dir = fixture({
    "fn/index.mjs": 'import { DeleteObjectsCommand } from "@aws-sdk/client-s3";\nexport const handler = async () => String(DeleteObjectsCommand);\n',
  });
  const r = pack(dir);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /`DeleteObjectsCommand` from @aws-sdk\/client-s3 is not supported by fnhost/);
  assert.match(r.stderr, /exports .*GetObjectCommand.*ListObjectsV2Command.*S3Client/);
});

test("another @aws-sdk package or aws-sdk v2 fails naming the supported packages", () => {
  for (const pkg of ["@aws-sdk/client-dynamodb", "aws-sdk"]) {
    const dir = fixture({ "fn/index.mjs": `import x from "${pkg}";\nexport const handler = async () => typeof x;\n` });
    const r = pack(dir);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(`\`${pkg}\` is not supported by fnhost`), r.stderr);
    assert.match(r.stderr, /@aws-sdk\/client-s3 in fnhost exports .*; @aws-sdk\/client-lambda in fnhost exports .*InvokeCommand/);
  }
});

test("fnhost's module wins over a real @aws-sdk/client-s3 in node_modules", () => {
  // The "real" copy throws when loaded: packaging evaluates the bundle, so bundling it would fail.
  const dir = fixture({
    "fn/index.mjs":
      'import { S3Client } from "@aws-sdk/client-s3";\nimport { LambdaClient } from "@aws-sdk/client-lambda";\n' +
      "const s3 = new S3Client({}); const l = new LambdaClient({});\nexport const handler = async () => [typeof s3.send, typeof l.send];\n",
    "fn/node_modules/@aws-sdk/client-s3/package.json": '{"name":"@aws-sdk/client-s3","main":"index.js"}',
    "fn/node_modules/@aws-sdk/client-s3/index.js": 'throw new Error("the real SDK was bundled");\n',
  });
  const r = pack(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.built);
});

test("packages of layers resolve from $FNHOST_OPT_DIR/nodejs/node_modules and nodejs/node20|node22/node_modules", () => {
  const dir = fixture({
    "fn/index.mjs":
      'import pad from "leftpad";\nimport shout from "shout";\nimport whisper from "whisper";\n' +
      'export const handler = async () => pad(shout(whisper("x")));\n',
    "opt/nodejs/node_modules/leftpad/index.js": 'module.exports = (s) => "  " + s;\n',
    "opt/nodejs/node20/node_modules/shout/index.js": "module.exports = (s) => s.toUpperCase();\n",
    "opt/nodejs/node22/node_modules/whisper/index.js": "module.exports = (s) => s.toLowerCase();\n",
  });
  const without = pack(dir);
  assert.equal(without.status, 1, without.stderr);
  assert.match(without.stderr, /Could not resolve "leftpad"/);
  const r = pack(dir, { FNHOST_OPT_DIR: path.join(dir, "opt") });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.built);
});

test("web.js (fetch, URL) and wasi:http are packaged only into functions whose code names its globals", () => {
  // fetch.js's refusal text is in a component only when web.js was bundled in.
  const marker = "fetch failed";
  const without = fixture({ "fn/index.mjs": 'export const handler = async (e) => ({ hi: e.name });\n' });
  const r = pack(without);
  assert.equal(r.status, 0, r.stderr);
  const plain = fs.readFileSync(path.join(without, "out.wasm"));
  assert.ok(!plain.includes(marker));
  // Nor does it import wasi:http (its imports would cost every event).
  assert.ok(!plain.includes("wasi:http/"));

  // A dependency that uses URL counts too, and the global is there at top level.
  const withUrl = fixture({
    "fn/index.mjs": 'import { host } from "dep";\nexport const handler = async () => host;\n',
    "fn/node_modules/dep/package.json": '{"name": "dep", "main": "index.js"}',
    "fn/node_modules/dep/index.js": 'exports.host = new URL("https://example.com/x").host;\n',
  });
  const r2 = pack(withUrl);
  assert.equal(r2.status, 0, r2.stderr);
  assert.ok(fs.readFileSync(path.join(withUrl, "out.wasm")).includes(marker));
});
