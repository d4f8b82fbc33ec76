// Package a Lambda-style Node.js function directory as an fnhost handler component.
//
//   node package.mjs --tools DIR SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]
//   node package.mjs --tools DIR --generic OUT.wasm [--opt-size]
//   node package.mjs --tools DIR --prepare SRC_DIR ROOT_DIR [--handler index.handler]
//
// The first form is the specialised component. The other two are the fast tier (see
// README.md): `--generic` builds the one generic runtime component (generic.js), `--prepare`
// bundles the function for it into `ROOT_DIR/<hash of its inputs>/function.js`, the directory
// the host mounts at /var/runtime, and prints that directory last (`fnhost: runtime dir DIR`).
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

import { createHash } from "node:crypto";
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
    "usage: bash guest-sdk/js/package.sh SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]\n" +
      "       bash guest-sdk/js/package.sh --generic OUT.wasm [--opt-size]\n" +
      "       bash guest-sdk/js/package.sh --prepare SRC_DIR ROOT_DIR [--handler index.handler]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { handler: "index.handler", optSize: false, mode: "package", positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--handler") opts.handler = argv[++i] ?? usage("--handler needs a value");
    else if (a.startsWith("--handler=")) opts.handler = a.slice("--handler=".length);
    else if (a === "--tools") opts.tools = argv[++i];
    else if (a === "--opt-size") opts.optSize = true;
    else if (a === "--generic") opts.mode = "generic";
    else if (a === "--prepare") opts.mode = "prepare";
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("-")) usage(`unknown option \`${a}\``);
    else opts.positional.push(a);
  }
  if (opts.mode === "generic") {
    if (opts.positional.length !== 1) usage("--generic expects OUT.wasm");
  } else if (opts.mode === "prepare") {
    if (opts.positional.length !== 2) usage("--prepare expects SRC_DIR and ROOT_DIR");
  } else if (opts.positional.length !== 2) usage("expected SRC_DIR and OUT.wasm");
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
  // The path is the module's file, or (in a prepared bundle) `fnhost-module:<package>`.
  const pkg = Object.keys(AWS_MODULES).find(
    (p) => m[1] === `fnhost-module:${p}` || path.resolve(m[1]) === AWS_MODULES[p] || m[1].endsWith(path.relative(repo, AWS_MODULES[p])),
  );
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

/// esbuild's options shared by every bundle of a function's code (`src` is its directory).
function functionBundleOptions(src) {
  return {
    bundle: true,
    write: false,
    platform: "neutral",
    mainFields: ["module", "main"],
    absWorkingDir: src,
    nodePaths: nodePaths(src),
    // QuickJS runs async functions on its own job queue, which nothing drains during a call:
    // lower them to generators over runtime.js's Promise instead.
    supported: { "async-await": false, "async-generator": false, "for-await": false },
    legalComments: "none",
    logLevel: "silent",
  };
}

/// esbuild's failure for the handler's `file`, said for a QuickJS function.
function bundleError(e, file) {
  const lines = (e.errors ?? []).map(
    (m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${awsMessage(m.text)}`,
  );
  return new Error(
    `bundling ${path.relative(process.cwd(), file)} failed:\n  ${lines.join("\n  ") || e.message}\n` +
      "  (fnhost runs JavaScript in QuickJS: Node's built-in modules such as fs or http are not available, use fetch for HTTP; " +
      `of the AWS SDK, fnhost provides ${Object.keys(AWS_MODULES).join(" and ")})`,
  );
}

/// The specialised component: the function's bundle snapshotted in QuickJS.
async function packageFunction(opts, tools) {
  const [srcArg, outArg] = opts.positional;
  const src = sourceDir(srcArg);
  const out = path.resolve(outArg);
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
    const bundled = await esbuild
      .build({
        ...functionBundleOptions(src),
        entryPoints: [entry],
        format: "esm",
        external: ["wasi:*", "fnhost:*"],
        // fnhost's AWS SDK modules win over a real copy in node_modules (it needs sockets).
        alias: { "fnhost-objects": path.join(here, "objects.js"), ...AWS_MODULES },
        plugins: [awsSdkGuard, stagedWasiHttp],
        charset: "utf8",
      })
      .catch((e) => {
        throw bundleError(e, file);
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
    writeAtomically(out, usesWeb ? finalImportNames(component) : component);
    console.error(
      `fnhost: packaged ${path.relative(process.cwd(), file) || file} (handler ${opts.handler}) -> ${path.relative(process.cwd(), out) || out} (${(component.length / 1e6).toFixed(2)} MB)`,
    );
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function sourceDir(srcArg) {
  const src = path.resolve(srcArg);
  if (!fs.statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`\`${srcArg}\` is not a directory`);
  }
  return src;
}

/// Write `bytes` to `out` through a temporary file renamed into place.
function writeAtomically(out, bytes) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, out);
}

// ---------------------------------------------------------------------------------------------
// The fast tier: one generic runtime component (generic.js) for every function, and per
// function only a bundle that the runtime reads from /var/runtime at event time.

/// The generic runtime component: generic.js with runtime.js, web.js and fnhost's modules.
async function buildGeneric(opts, tools) {
  const out = path.resolve(opts.positional[0]);
  const esbuild = tools("esbuild");
  const { componentize } = tools("componentize-qjs");
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "fnhost-js-generic-"));
  try {
    const bundled = await esbuild.build({
      entryPoints: [path.join(here, "generic.js")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      external: ["wasi:*", "fnhost:*"],
      plugins: [stagedWasiHttp],
      supported: { "async-await": false, "async-generator": false, "for-await": false },
      charset: "utf8",
      legalComments: "none",
      logLevel: "silent",
    });
    const code = bundled.outputFiles[0].text;
    const bundlePath = path.join(stage, "generic.js");
    fs.writeFileSync(bundlePath, code);
    const { component } = await componentize({
      witPath: stageWit(stage),
      world: "js-handler-generic",
      jsSource: code,
      jsPath: bundlePath,
      moduleRoot: stage,
      sync: true,
      optSize: opts.optSize,
    });
    writeAtomically(out, finalImportNames(component));
    console.error(`fnhost: built the generic JavaScript runtime -> ${out} (${(component.length / 1e6).toFixed(2)} MB)`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/// The WIT interfaces a prepared bundle may import, as generic.js's MODULES provides them: the
/// specialised component's world, so what runs in the fast tier also runs specialised.
const PREPARED_SPECIFIERS = new Set([
  "fnhost:function/runtime",
  "fnhost:function/objects",
  "fnhost:function/functions",
  "wasi:http/types@0.2.12",
  "wasi:http/outgoing-handler@0.2.12",
  "wasi:cli/stdout@0.2.12",
  "wasi:cli/stderr@0.2.12",
  "wasi:cli/environment@0.2.12",
  "wasi:clocks/monotonic-clock@0.2.12",
]);

/// The names fnhost's module `file` exports, as esbuild sees them.
async function moduleExports(esbuild, file) {
  const r = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    outdir: "out",
    metafile: true,
    external: ["wasi:*", "fnhost:*"],
    logLevel: "silent",
  });
  return Object.values(r.metafile.outputs)[0].exports;
}

/// In a prepared bundle, fnhost's modules (`fnhost-objects`, the AWS SDK clients) and the WIT
/// interfaces are `require`d from the generic runtime. The modules resolve to stand-ins that
/// export the real modules' names, so an import of a name fnhost lacks fails here as it fails
/// in the specialised build.
function preparedModules(esbuild) {
  const files = { "fnhost-objects": path.join(here, "objects.js"), ...AWS_MODULES };
  return {
    name: "fnhost-prepared-modules",
    setup(build) {
      build.onResolve({ filter: /^(fnhost-objects|@aws-sdk\/client-(s3|lambda))$/ }, (args) => {
        if (args.namespace === "fnhost-module") return { path: args.path, external: true };
        return { path: args.path, namespace: "fnhost-module" };
      });
      build.onLoad({ filter: /.*/, namespace: "fnhost-module" }, async (args) => {
        const names = (await moduleExports(esbuild, files[args.path])).filter((n) => n !== "default");
        return {
          contents: `const m = require(${JSON.stringify(args.path)});\nexport const { ${names.join(", ")} } = m;\n`,
          resolveDir: here,
          loader: "js",
        };
      });
      build.onResolve({ filter: /^(wasi|fnhost):/ }, (args) => {
        if (PREPARED_SPECIFIERS.has(args.path)) return { path: args.path, external: true };
        return {
          errors: [
            {
              text: `\`${args.path}\` is not an interface JavaScript functions can import; they have ${[...PREPARED_SPECIFIERS].join(", ")}`,
            },
          ],
        };
      });
    },
  };
}

/// sha256 of everything a prepared bundle is made of: this SDK's files, esbuild's version, the
/// handler, and the files of the function and of its layers' Node.js packages.
function preparedKey(esbuild, src, handler) {
  const hash = createHash("sha256");
  const add = (label, bytes) => {
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  add("esbuild", esbuild.version);
  add("handler", handler);
  for (const f of ["package.mjs", "generic.js", "objects.js", ...Object.values(AWS_MODULES).map((p) => path.relative(here, p))]) {
    add(`sdk/${f}`, fs.readFileSync(path.join(here, f)));
  }
  const tree = (label, dir) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const name = `${label}/${e.name}`;
      if (e.isSymbolicLink()) add(`link ${name}`, fs.readlinkSync(p));
      else if (e.isDirectory()) {
        add(`dir ${name}`, "");
        tree(name, p);
      } else if (e.isFile()) add(`file ${name}`, fs.readFileSync(p));
    }
  };
  tree("code", src);
  const opt = process.env.FNHOST_OPT_DIR;
  if (opt && fs.existsSync(path.join(opt, "nodejs"))) tree("opt/nodejs", path.join(opt, "nodejs"));
  return hash.digest("hex").slice(0, 32);
}

/// The function's bundle for the generic runtime, in `<ROOT>/<key>/function.js` (reused when
/// the key's directory exists; written to a temporary directory renamed into place). Prints
/// the directory last, as `fnhost: runtime dir DIR`.
async function prepareFunction(opts, tools) {
  const [srcArg, rootArg] = opts.positional;
  const src = sourceDir(srcArg);
  const root = path.resolve(rootArg);
  const esbuild = tools("esbuild");
  const { module } = splitHandler(opts.handler);
  const file = findModule(src, module);
  const dir = path.join(root, preparedKey(esbuild, src, opts.handler));
  const shown = path.relative(process.cwd(), file) || file;
  if (fs.existsSync(path.join(dir, "function.js"))) {
    console.error(`fnhost: reusing the bundle of ${shown} (handler ${opts.handler})`);
  } else {
    const entry = [
      `import * as user from ${JSON.stringify(file)};`,
      "export { user };",
      `export const setting = ${JSON.stringify(opts.handler)};`,
    ].join("\n");
    const bundled = await esbuild
      .build({
        ...functionBundleOptions(src),
        stdin: { contents: entry, resolveDir: src, sourcefile: "fnhost-entry.js", loader: "js" },
        format: "cjs",
        // Stack frames name the bundled file as the specialised component's do (generic.js).
        banner: { js: `//fnhost-file:/${path.basename(file).replace(/\.[cm]?js$/, ".js")}` },
        plugins: [awsSdkGuard, preparedModules(esbuild)],
        // ASCII, so the runtime turns the bytes into text without a UTF-8 decoder.
        charset: "ascii",
      })
      .catch((e) => {
        throw bundleError(e, file);
      });
    fs.mkdirSync(root, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(root, ".prepare-"));
    try {
      fs.writeFileSync(path.join(tmp, "function.js"), bundled.outputFiles[0].contents);
      fs.chmodSync(tmp, 0o755);
      try {
        fs.renameSync(tmp, dir);
      } catch (e) {
        // Another packaging made the same directory meanwhile: keep theirs.
        if (!fs.existsSync(path.join(dir, "function.js"))) throw e;
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    console.error(`fnhost: bundled ${shown} (handler ${opts.handler}) for the generic runtime`);
  }
  console.error(`fnhost: runtime dir ${dir}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tools = createRequire(path.join(path.resolve(opts.tools), "package.json"));
  if (opts.mode === "generic") await buildGeneric(opts, tools);
  else if (opts.mode === "prepare") await prepareFunction(opts, tools);
  else await packageFunction(opts, tools);
}

main().catch((e) => {
  console.error(`error: ${String(e.message ?? e).replace(/^[:\s]+/, "")}`);
  process.exit(1);
});
