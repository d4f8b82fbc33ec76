// fnhost's generic JavaScript runtime: one component for every Node.js function, built once per
// SDK version (package.mjs --generic), so a new function runs without a componentize of its own
// while its specialised component is built (see README.md, "The fast tier").
//
// package.mjs --prepare bundles a function as `/var/runtime/function.js`: CommonJS that exports
// `user` (the handler module's namespace, as the specialised entry imports it) and `setting`
// (the handler setting), names the bundled file on its first line (for stack traces), and
// `require`s fnhost's modules (fnhost-objects, the AWS SDK clients) and the WIT interfaces, which live here,
// in the snapshot. Each event reads and evaluates the bundle, then runs the handler as the
// specialised component does (runtime.js's `makeGenericHandle`).

import { makeGenericHandle, RuntimeFailure, setEvalFile } from "./runtime.js";
import "./web.js";
import * as fnhostObjects from "./objects.js";
import * as clientS3 from "./aws/client-s3.js";
import * as clientLambda from "./aws/client-lambda.js";
import runtimeApi from "fnhost:function/runtime";
import objectsApi from "fnhost:function/objects";
import functionsApi from "fnhost:function/functions";
import httpTypes from "wasi:http/types@0.2.12";
import outgoingHandler from "wasi:http/outgoing-handler@0.2.12";
import stdoutApi from "wasi:cli/stdout@0.2.12";
import stderrApi from "wasi:cli/stderr@0.2.12";
import environment from "wasi:cli/environment@0.2.12";
import monotonicClock from "wasi:clocks/monotonic-clock@0.2.12";
import preopens from "wasi:filesystem/preopens@0.2.12";

/// Where the host mounts the prepared function, and the bundle's name in it.
const RUNTIME_DIR = "/var/runtime";
const BUNDLE = "function.js";

/// What the bundle may `require`: fnhost's modules and the WIT interfaces of the specialised
/// component's world (not wasi:filesystem, which only this runtime imports). package.mjs's
/// PREPARED_SPECIFIERS lists the same names.
const esModule = (namespace) => Object.freeze({ __esModule: true, ...namespace });
/// An interface, whose bindings are its default export: esbuild's interop takes `default` from
/// an `__esModule` object, or (importing from an .mjs file) the object itself.
const wit = (api) => Object.freeze(Object.create(api, { __esModule: { value: true }, default: { value: api, enumerable: true } }));
const MODULES = {
  "fnhost-objects": esModule(fnhostObjects),
  "@aws-sdk/client-s3": esModule(clientS3),
  "@aws-sdk/client-lambda": esModule(clientLambda),
  "fnhost:function/runtime": wit(runtimeApi),
  "fnhost:function/objects": wit(objectsApi),
  "fnhost:function/functions": wit(functionsApi),
  "wasi:http/types@0.2.12": wit(httpTypes),
  "wasi:http/outgoing-handler@0.2.12": wit(outgoingHandler),
  "wasi:cli/stdout@0.2.12": wit(stdoutApi),
  "wasi:cli/stderr@0.2.12": wit(stderrApi),
  "wasi:cli/environment@0.2.12": wit(environment),
  "wasi:clocks/monotonic-clock@0.2.12": wit(monotonicClock),
};

function fnhostRequire(specifier) {
  const module = MODULES[specifier];
  if (module === undefined) {
    throw new RuntimeFailure("Runtime.ImportModuleError", `Error: Cannot find module '${specifier}'`);
  }
  return module;
}

/// Bytes as text: the bundle is ASCII (package.mjs writes it with esbuild's `charset: "ascii"`),
/// decoded in chunks; anything else goes through the UTF-8 decoder.
function text(bytes) {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) return new TextDecoder().decode(bytes);
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return out;
}

/// The bundle's text, read from `/var/runtime` through wasi:filesystem.
function fnhostReadBundle() {
  const missing = (why) =>
    new RuntimeFailure(
      "Runtime.ImportModuleError",
      `Error: Cannot find module '${RUNTIME_DIR}/${BUNDLE}': ${why}`,
    );
  const dirs = preopens.getDirectories();
  let file = null;
  try {
    const root = dirs.find(([, path]) => path === RUNTIME_DIR)?.[0];
    if (root === undefined) throw missing(`${RUNTIME_DIR} is not mounted`);
    try {
      file = root.openAt({ symlinkFollow: false }, BUNDLE, {}, { read: true });
    } catch (e) {
      throw missing(`${e?.payload ?? e?.message ?? e}; deploy the function again`);
    }
    const size = Number(file.stat().size);
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const [chunk, end] = file.read(size - at, at);
      bytes.set(chunk, at);
      at += chunk.length;
      if (end || chunk.length === 0) break;
    }
    return text(bytes.subarray(0, at));
  } finally {
    file?.[Symbol.dispose]?.();
    for (const [dir] of dirs) dir[Symbol.dispose]?.();
  }
}

/// Evaluate the bundle as a CommonJS module. The wrapper opens on the bundle's first line, so
/// line numbers in stack traces are the bundle's.
/// Frames of the bundle name the file it was bundled from, as its first line says
/// (`//fnhost-file:/index.js`, package.mjs's banner).
function fnhostEvaluate(code) {
  setEvalFile(/^\/\/fnhost-file:(\S+)/.exec(code)?.[1] ?? `${RUNTIME_DIR}/${BUNDLE}`);
  const module = { exports: {} };
  const wrapper = (0, eval)(`(function (require, module, exports) {${code}\n})`);
  wrapper(fnhostRequire, module, module.exports);
  return module.exports;
}

export const handle = makeGenericHandle(() => {
  const exports = fnhostEvaluate(fnhostReadBundle());
  return { module: exports.user, setting: exports.setting };
});
