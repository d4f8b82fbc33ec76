// Package a Lambda-style Node.js function directory as an fnhost handler component.
//
//   node package.mjs --tools DIR SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]
//
// Called by package.sh, which installs DIR (componentize-qjs and esbuild, from package-lock.json).
// Steps: find the handler's file as Lambda does, bundle it with its node_modules and
// runtime.js (esbuild: ES module or CommonJS, async functions lowered to generators so
// runtime.js can drive them), then snapshot QuickJS with the bundle (componentize-qjs, non-async
// ABI) against the js-handler world (fnhost's `guest` world: the ABI plus wasi:http for fetch),
// and set the wasi:http import names staged for that build back (see `stageWit`).
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

// componentize-qjs instantiates the component at build time (Wizer) in a linker that has WASI
// p2 but not wasi:http, and stubs what it lacks with traps. Its stubs give every resource a type
// of its own, so wasi:http/types' `input-stream` (wasi:io's, in the linker) no longer matches and
// the build fails. So wasi:http and the wasi:io it uses are staged under a version the build-time
// linker does not know (0.9.12: everything of it is stubbed alike, and consistent), and the
// finished component's import names are set back (`finalImportNames`): wasi:http to 0.2.12, the
// staged wasi:io to 0.2.11. The host resolves 0.2.11 to its wasi:io 0.2.12 (semver-compatible),
// so the component imports the two wasi:io families that the QuickJS runtime (0.2.12) and
// `fetch` (0.2.11) use, both served by the host's one wasi:io.
const STAGED = "0.9.12";
const FINAL = { http: "0.2.12", io: "0.2.11" };

/// A wasi:http specifier (fetch.js imports `wasi:http/types@0.2.12`), as staged for componentize-qjs.
function stagedSpecifier(specifier) {
  return specifier.replace(/^(wasi:http\/[a-z-]+)@0\.2\.12$/, `$1@${STAGED}`);
}

/// The WIT for componentize-qjs: js-handler (this directory) with fnhost's ABI and WASI 0.2.12
/// (the repository's wit/ and wit/deps/) as dependencies, wasi:http and a copy of wasi:io
/// staged under version STAGED.
function stageWit(stage) {
  const wit = path.join(stage, "wit");
  const deps = path.join(wit, "deps");
  fs.mkdirSync(wit, { recursive: true });
  fs.copyFileSync(path.join(here, "wit", "js.wit"), path.join(wit, "js.wit"));
  for (const pkg of fs.readdirSync(path.join(repo, "wit", "deps"))) {
    if (pkg === "http") continue;
    fs.cpSync(path.join(repo, "wit", "deps", pkg), path.join(deps, pkg), { recursive: true });
  }
  const stagedVersion = (text) =>
    text.replace(/\b(wasi:(?:http|io)(?:\/[a-z-]+)?)@0\.2\.12\b/g, `$1@${STAGED}`);
  for (const [pkg, dir] of [["http", "http"], ["io", "io-staged"]]) {
    fs.mkdirSync(path.join(deps, dir), { recursive: true });
    for (const f of fs.readdirSync(path.join(repo, "wit", "deps", pkg))) {
      const text = fs.readFileSync(path.join(repo, "wit", "deps", pkg, f), "utf8");
      fs.writeFileSync(path.join(deps, dir, f), stagedVersion(text));
    }
  }
  const abi = path.join(deps, "fnhost-function");
  fs.mkdirSync(abi, { recursive: true });
  for (const f of fs.readdirSync(path.join(repo, "wit"))) {
    if (!f.endsWith(".wit")) continue;
    const text = fs.readFileSync(path.join(repo, "wit", f), "utf8");
    fs.writeFileSync(path.join(abi, f), text.replace(/\b(wasi:http\/[a-z-]+)@0\.2\.12\b/g, `$1@${STAGED}`));
  }
  return wit;
}

/// Read an unsigned LEB128 at `at`: [value, next offset].
function leb128(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
    shift += 7;
  }
}

/// Set the staged import names of a finished component back to the ones the host serves
/// (`wasi:http/*@0.9.12` → `@0.2.12`, `wasi:io/*@0.9.12` → `@0.2.11`), in place: only the
/// component's top-level import sections are touched, and the names keep their lengths.
function finalImportNames(component) {
  const bytes = Uint8Array.from(component);
  const view = Buffer.from(bytes.buffer);
  if (view.readUInt32LE(0) !== 0x6d736100 || view.readUInt32LE(4) !== 0x0001000d) {
    throw new Error("componentize-qjs did not return a component");
  }
  const staged = new RegExp(`^wasi:(http|io)/[a-z-]+@${STAGED.replace(/\./g, "\\.")}$`);
  let renamed = 0;
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at];
    const [size, start] = leb128(bytes, at + 1);
    const end = start + size;
    if (id === 10) {
      // An import section: names are a LEB128 length and UTF-8 bytes; look for each staged
      // name with its length byte, which nothing else in the section can look like.
      const text = view.toString("latin1", start, end);
      for (const m of text.matchAll(/wasi:(?:http|io)\/[a-z-]+@[0-9.]+/g)) {
        if (!staged.test(m[0]) || bytes[start + m.index - 1] !== m[0].length) continue;
        const final = m[0].replace(`@${STAGED}`, `@${FINAL[m[0].startsWith("wasi:http/") ? "http" : "io"]}`);
        view.write(final, start + m.index, "latin1");
        renamed++;
      }
    }
    at = end;
  }
  if (renamed === 0) throw new Error(`the component imports no wasi:http@${STAGED} interfaces to rename`);
  return bytes;
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
              `\`${args.path}\` is not supported by fnhost (its clients need Node's sockets; use fetch for other HTTP APIs); ` +
              `supported: ${Object.keys(AWS_MODULES).map(awsSupported).join("; ")}`,
          },
        ],
      };
    });
  },
};

/// `import ... from "wasi:http/types@0.2.12"` (fetch.js) names the staged package.
const stagedWasiHttp = {
  name: "fnhost-wasi-http",
  setup(build) {
    build.onResolve({ filter: /^wasi:http\// }, (args) => ({ path: stagedSpecifier(args.path), external: true }));
  },
};

/// The globals of web.js; a function whose code (with its packages) names none of them is
/// packaged without web.js, so it does not pay for them per event.
const WEB_GLOBALS = /\b(?:fetch|Headers|Request|Response|URL|URLSearchParams)\b/;

/// Whether the handler's module, bundled with what it imports, names one of WEB_GLOBALS. A
/// bundling failure answers true: the real bundle that follows reports it.
async function usesWebGlobals(esbuild, file, src) {
  try {
    const alone = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      absWorkingDir: src,
      nodePaths: nodePaths(src),
      external: ["wasi:*", "fnhost:*", "fnhost-objects", ...Object.keys(AWS_MODULES)],
      logLevel: "silent",
    });
    return WEB_GLOBALS.test(alone.outputFiles[0].text);
  } catch {
    return true;
  }
}

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
    // Functions that never name fetch or URL get neither web.js nor wasi:http's imports.
    const usesWeb = await usesWebGlobals(esbuild, file, src);
    const web = usesWeb ? `import ${JSON.stringify(path.join(here, "web.js"))};` : "";
    fs.writeFileSync(
      entry,
      [
        `import { makeHandle } from ${JSON.stringify(path.join(here, "runtime.js"))};`,
        web,
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
      plugins: [awsSdkGuard, stagedWasiHttp],
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
          "  (fnhost runs JavaScript in QuickJS: Node's built-in modules such as fs or http are not available, use fetch for HTTP; " +
          `of the AWS SDK, fnhost provides ${Object.keys(AWS_MODULES).join(" and ")})`,
      );
    });
    const code = bundled.outputFiles[0].text;
    const bundlePath = path.join(stage, path.basename(file).replace(/\.[cm]?js$/, ".js"));
    fs.writeFileSync(bundlePath, code);

    const { component } = await componentize({
      witPath: stageWit(stage),
      world: usesWeb ? "js-handler" : "js-handler-plain",
      jsSource: code,
      jsPath: bundlePath,
      moduleRoot: stage,
      sync: true,
      optSize: opts.optSize,
    });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, usesWeb ? finalImportNames(component) : component);
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
