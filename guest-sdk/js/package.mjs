// Package a Lambda-style Node.js function directory as an fnhost handler component.
//
//   node package.mjs --tools DIR SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]
//
// Called by package.sh, which installs DIR (componentize-qjs and esbuild, from package-lock.json).
// Steps: find the handler's file as Lambda does, bundle it with its node_modules and
// runtime.js (esbuild: ES module or CommonJS, async functions lowered to generators so
// runtime.js can drive them), then snapshot QuickJS with the bundle (componentize-qjs, non-async
// ABI) against the js-handler world.
//
// `@aws-sdk/client-s3` and `@aws-sdk/client-lambda` resolve to fnhost's own modules (aws/, over
// host calls), even when node_modules holds the real SDK; any other AWS SDK package, or a
// command those modules lack, fails the build naming what is supported. With layers, the builder
// sets FNHOST_OPT_DIR to the merged /opt and packages resolve from its nodejs/node22/node_modules,
// nodejs/node20/node_modules and nodejs/node_modules, as Lambda's NODE_PATH does.

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

/// The AWS SDK v3 packages fnhost implements over host calls (guest-sdk/js/aws/).
const AWS_MODULES = {
  "@aws-sdk/client-s3": path.join(here, "aws", "client-s3.js"),
  "@aws-sdk/client-lambda": path.join(here, "aws", "client-lambda.js"),
};

/// The names `file` exports (`export class|const|function NAME`, `export { a as NAME }`).
function exportedNames(file) {
  const text = fs.readFileSync(file, "utf8");
  const names = [...text.matchAll(/^export (?:class|const|function|let) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  for (const m of text.matchAll(/^export \{([^}]*)\}/gm)) {
    for (const part of m[1].split(",")) names.push(part.trim().split(/\s+as\s+/).pop());
  }
  return [...new Set(names.filter(Boolean))].sort();
}

/// What fnhost's module for `pkg` offers, for error messages.
function awsSupported(pkg) {
  return `${pkg} in fnhost exports ${exportedNames(AWS_MODULES[pkg]).join(", ")}`;
}

/// esbuild's "No matching export" for one of fnhost's AWS modules, said in SDK terms.
function awsMessage(text) {
  const m = /No matching export in "([^"]+)" for import "([^"]+)"/.exec(text);
  if (!m) return text;
  const pkg = Object.keys(AWS_MODULES).find((p) => path.resolve(m[1]) === AWS_MODULES[p] || m[1].endsWith(path.relative(repo, AWS_MODULES[p])));
  if (!pkg) return text;
  return `\`${m[2]}\` from ${pkg} is not supported by fnhost; ${awsSupported(pkg)}`;
}

/// Any other AWS SDK package (or v2's `aws-sdk`) fails the build naming what is supported,
/// instead of bundling a client that would need sockets.
const awsSdkGuard = {
  name: "fnhost-aws-sdk",
  setup(build) {
    build.onResolve({ filter: /^(@aws-sdk\/|aws-sdk($|\/))/ }, (args) => {
      if (AWS_MODULES[args.path]) return undefined;
      return {
        errors: [
          {
            text:
              `\`${args.path}\` is not supported by fnhost (no network inside functions); ` +
              `supported: ${Object.keys(AWS_MODULES).map(awsSupported).join("; ")}`,
          },
        ],
      };
    });
  },
};

/// Where bare imports resolve besides the handler's own node_modules: the function's layers,
/// merged by the builder into $FNHOST_OPT_DIR, in Lambda's Node.js layout.
function nodePaths(src) {
  const paths = [path.join(src, "node_modules")];
  const opt = process.env.FNHOST_OPT_DIR;
  if (opt) {
    for (const sub of ["nodejs/node22/node_modules", "nodejs/node20/node_modules", "nodejs/node_modules"]) {
      paths.push(path.join(path.resolve(opt), sub));
    }
  }
  return paths;
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
      nodePaths: nodePaths(src),
      external: ["wasi:*", "fnhost:*"],
      // fnhost's AWS SDK modules win over a real copy in node_modules (it needs sockets).
      alias: { "fnhost-objects": path.join(here, "objects.js"), ...AWS_MODULES },
      plugins: [awsSdkGuard],
      // QuickJS runs async functions on its own job queue, which nothing drains during a call:
      // lower them to generators over runtime.js's Promise instead.
      supported: { "async-await": false, "async-generator": false, "for-await": false },
      charset: "utf8",
      legalComments: "none",
      logLevel: "silent",
    }).catch((e) => {
      const lines = (e.errors ?? []).map(
        (m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${awsMessage(m.text)}`,
      );
      throw new Error(
        `bundling ${path.relative(process.cwd(), file)} failed:\n  ${lines.join("\n  ") || e.message}\n` +
          "  (fnhost runs JavaScript in QuickJS: Node's built-in modules such as fs or http are not available; " +
          `of the AWS SDK, fnhost provides ${Object.keys(AWS_MODULES).join(" and ")})`,
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
