// Package a Lambda-style Node.js function directory as an fnhost handler component.
//
//   node package.mjs --tools DIR SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]
//
// Called by package.sh, which installs DIR (componentize-qjs and esbuild, from package-lock.json).
// Steps: find the handler's file as Lambda does, bundle it with its node_modules and
// runtime.js (esbuild: ES module or CommonJS, async functions lowered to generators so
// runtime.js can drive them), then snapshot QuickJS with the bundle (componentize-qjs, non-async
// ABI) against the js-handler world.

import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: bash guest-sdk/js/package.sh SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { handler: "index.handler", optSize: false, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--handler") opts.handler = argv[++i] ?? usage("--handler needs a value");
    else if (a.startsWith("--handler=")) opts.handler = a.slice("--handler=".length);
    else if (a === "--tools") opts.tools = argv[++i];
    else if (a === "--opt-size") opts.optSize = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("-")) usage(`unknown option \`${a}\``);
    else opts.positional.push(a);
  }
  if (opts.positional.length !== 2) usage("expected SRC_DIR and OUT.wasm");
  if (!opts.tools) usage("--tools is set by package.sh");
  return opts;
}

/// Lambda's rule: the module is everything up to the first `.` after the last `/`; the rest
/// is the (possibly dotted) name of the exported function.
function splitHandler(setting) {
  const slash = setting.lastIndexOf("/");
  const dot = setting.indexOf(".", slash + 1);
  if (dot <= slash + 1 || dot === setting.length - 1) {
    throw new Error(
      `bad handler \`${setting}\`: expected FILE.EXPORT, e.g. \`index.handler\` for \`export const handler\` in index.mjs`,
    );
  }
  return { module: setting.slice(0, dot), name: setting.slice(dot + 1) };
}

function findModule(src, module) {
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const file = path.join(src, module + ext);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(
    `no ${module}.js, ${module}.mjs or ${module}.cjs in \`${src}\`; set --handler FILE.EXPORT to the file that exports the handler`,
  );
}

/// The WIT for componentize-qjs: js-handler (this directory) with fnhost's ABI as a dependency.
function stageWit(stage) {
  const wit = path.join(stage, "wit");
  fs.cpSync(path.join(here, "wit"), wit, { recursive: true });
  const abi = path.join(wit, "deps", "fnhost-function");
  fs.mkdirSync(abi, { recursive: true });
  for (const f of fs.readdirSync(path.join(repo, "wit"))) {
    if (f.endsWith(".wit")) fs.copyFileSync(path.join(repo, "wit", f), path.join(abi, f));
  }
  return wit;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [srcArg, outArg] = opts.positional;
  const src = path.resolve(srcArg);
  const out = path.resolve(outArg);
  if (!fs.statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`\`${srcArg}\` is not a directory`);
  }
  const tools = createRequire(path.join(path.resolve(opts.tools), "package.json"));
  const esbuild = tools("esbuild");
  const { componentize } = tools("componentize-qjs");

  const { module, name } = splitHandler(opts.handler);
  const file = findModule(src, module);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "fnhost-js-"));
  try {
    const entry = path.join(stage, "entry.js");
    fs.writeFileSync(
      entry,
      [
        `import { makeHandle } from ${JSON.stringify(path.join(here, "runtime.js"))};`,
        `import * as user from ${JSON.stringify(file)};`,
        `export const handle = makeHandle(user, ${JSON.stringify(opts.handler)}, ${JSON.stringify(name)});`,
        "",
      ].join("\n"),
    );
    const bundled = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      absWorkingDir: src,
      nodePaths: [path.join(src, "node_modules")],
      external: ["wasi:*", "fnhost:*"],
      alias: { "fnhost-objects": path.join(here, "objects.js") },
      // QuickJS runs async functions on its own job queue, which nothing drains during a call:
      // lower them to generators over runtime.js's Promise instead.
      supported: { "async-await": false, "async-generator": false, "for-await": false },
      charset: "utf8",
      legalComments: "none",
      logLevel: "silent",
    }).catch((e) => {
      const lines = (e.errors ?? []).map(
        (m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`,
      );
      throw new Error(
        `bundling ${path.relative(process.cwd(), file)} failed:\n  ${lines.join("\n  ") || e.message}\n` +
          "  (fnhost runs JavaScript in QuickJS: Node's built-in modules such as fs, http or the AWS SDK are not available)",
      );
    });
    const code = bundled.outputFiles[0].text;
    const bundlePath = path.join(stage, path.basename(file).replace(/\.[cm]?js$/, ".js"));
    fs.writeFileSync(bundlePath, code);

    const { component } = await componentize({
      witPath: stageWit(stage),
      world: "js-handler",
      jsSource: code,
      jsPath: bundlePath,
      moduleRoot: stage,
      sync: true,
      optSize: opts.optSize,
    });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, component);
    fs.renameSync(tmp, out);
    console.error(
      `fnhost: packaged ${path.relative(process.cwd(), file) || file} (handler ${opts.handler}) -> ${path.relative(process.cwd(), out) || out} (${(component.length / 1e6).toFixed(2)} MB)`,
    );
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`error: ${String(e.message ?? e).replace(/^[:\s]+/, "")}`);
  process.exit(1);
});
