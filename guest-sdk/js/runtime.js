// fnhost's JavaScript runtime: runs a Lambda-style Node.js handler inside QuickJS as fnhost's
// `guest` world (see guest-sdk/js/README.md). `fetch` and `URL` come from web.js, bundled only
// into functions that use them (package.mjs).
//
// QuickJS's own job queue only runs when its embedder asks, and componentize-qjs's non-async
// runtime never does during a call. So package.mjs compiles async functions down to generators
// (esbuild), and this file replaces the global Promise with one whose reactions run on a queue
// that `handle` drains itself, together with timers (setTimeout & co., which really sleep). The
// user's handler can then be `async`, use callbacks, or return a value.
//
// Everything here is evaluated once, at build time (componentize-qjs snapshots the engine after
// the module graph is loaded); per-invocation state is reset at the start of each call.

import stdoutApi from "wasi:cli/stdout@0.2.12";
import stderrApi from "wasi:cli/stderr@0.2.12";
import environment from "wasi:cli/environment@0.2.12";
import monotonicClock from "wasi:clocks/monotonic-clock@0.2.12";
import runtime from "fnhost:function/runtime";

// ---------------------------------------------------------------------------------------------
// Output: console.* and process.stdout/stderr write to WASI stdout/stderr, which are the log.

const MAX_WRITE = 4096; // wasi:io's blocking-write-and-flush limit per call

function utf8Encode(text) {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, n);
}

function utf8Decode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i++];
    let c;
    if (b < 0x80) c = b;
    else if (b >= 0xc0 && b < 0xe0) c = ((b & 0x1f) << 6) | (bytes[i++] & 0x3f);
    else if (b >= 0xe0 && b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((bytes[i] & 0x3f) << 6) | (bytes[i + 1] & 0x3f);
      i += 2;
    } else if (b >= 0xf0) {
      c =
        ((b & 0x07) << 18) |
        ((bytes[i] & 0x3f) << 12) |
        ((bytes[i + 1] & 0x3f) << 6) |
        (bytes[i + 2] & 0x3f);
      i += 3;
    } else c = 0xfffd;
    s += String.fromCodePoint(c > 0x10ffff ? 0xfffd : c);
  }
  return s;
}

// Streams are resources of the running instance: fetched per call, never kept in the snapshot.
let streams = null;
let inCall = false;

function write(which, text) {
  if (!inCall) return; // top-level code runs at build time; there is no log to write to
  streams ??= { out: stdoutApi.getStdout(), err: stderrApi.getStderr() };
  const stream = streams[which];
  const bytes = utf8Encode(text);
  for (let i = 0; i < bytes.length; i += MAX_WRITE) {
    stream.blockingWriteAndFlush(bytes.subarray(i, i + MAX_WRITE));
  }
}

function inspect(value, depth, seen) {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return depth === 0 ? value : `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
    case "undefined":
      return "undefined";
    case "function":
      return `[Function: ${value.name || "(anonymous)"}]`;
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "object":
      break;
    default:
      return String(value);
  }
  if (value instanceof Error) return errorStack(value).join("\n");
  if (value instanceof Date) return isNaN(value) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (seen.includes(value)) return "[Circular]";
  if (depth > 2) return Array.isArray(value) ? "[Array]" : "[Object]";
  const inner = seen.concat([value]);
  const show = (v) => inspect(v, depth + 1, inner);
  if (Array.isArray(value)) {
    return value.length === 0 ? "[]" : `[ ${value.map(show).join(", ")} ]`;
  }
  if (value instanceof Map) {
    const items = [...value].map(([k, v]) => `${show(k)} => ${show(v)}`);
    return `Map(${value.size}) {${items.length ? ` ${items.join(", ")} ` : ""}}`;
  }
  if (value instanceof Set) {
    const items = [...value].map(show);
    return `Set(${value.size}) {${items.length ? ` ${items.join(", ")} ` : ""}}`;
  }
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${value.length}) [ ${Array.from(value).join(", ")} ]`;
  }
  const keys = Object.keys(value);
  const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : "";
  if (keys.length === 0) return `${name}{}`;
  const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`);
  return `${name}{ ${keys.map((k) => `${key(k)}: ${show(value[k])}`).join(", ")} }`;
}

/// Node's util.format: printf-style substitutions in a leading string, then the rest inspected.
function format(args) {
  if (args.length === 0) return "";
  let rest = args;
  let head = "";
  if (typeof args[0] === "string") {
    let i = 1;
    head = args[0].replace(/%([sdifjoOc%])/g, (m, f) => {
      if (f === "%") return "%";
      if (i >= args.length) return m;
      const a = args[i++];
      switch (f) {
        case "s":
          return typeof a === "string" ? a : inspect(a, 1, []);
        case "d":
        case "i":
          return typeof a === "bigint" ? `${a}n` : String(f === "i" ? Math.trunc(Number(a)) : Number(a));
        case "f":
          return String(parseFloat(a));
        case "j":
          try {
            return JSON.stringify(a);
          } catch {
            return "[Circular]";
          }
        case "c":
          return "";
        default:
          return inspect(a, 1, []);
      }
    });
    rest = args.slice(i);
    if (rest.length === 0) return head;
    head += " ";
  }
  return head + rest.map((a) => inspect(a, 0, [])).join(" ");
}

let requestId = "";

/// Lambda's Node.js log line: `<ISO time>\t<request id>\t<LEVEL>\t<message>`.
function logLine(level, args) {
  write(level === "ERROR" || level === "WARN" ? "err" : "out",
    `${new Date().toISOString()}\t${requestId}\t${level}\t${format(args)}\n`);
}

const counts = new Map();
const timings = new Map();
const console = {
  log: (...a) => logLine("INFO", a),
  info: (...a) => logLine("INFO", a),
  debug: (...a) => logLine("DEBUG", a),
  trace: (...a) => logLine("TRACE", a),
  warn: (...a) => logLine("WARN", a),
  error: (...a) => logLine("ERROR", a),
  dir: (v) => logLine("INFO", [inspect(v, 0, [])]),
  assert: (ok, ...a) => {
    if (!ok) logLine("ERROR", ["Assertion failed", ...a]);
  },
  count: (label = "default") => {
    counts.set(label, (counts.get(label) ?? 0) + 1);
    logLine("INFO", [`${label}: ${counts.get(label)}`]);
  },
  time: (label = "default") => timings.set(label, Date.now()),
  timeEnd: (label = "default") => {
    logLine("INFO", [`${label}: ${Date.now() - (timings.get(label) ?? Date.now())}ms`]);
    timings.delete(label);
  },
};

// ---------------------------------------------------------------------------------------------
// Promise, microtasks and timers, all driven by `handle`.

const jobs = [];
let uncaught = null; // the first error thrown by a microtask or timer callback

function enqueue(job) {
  jobs.push(job);
}

function drainJobs() {
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    jobs[i] = undefined;
    job();
  }
  jobs.length = 0;
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

function settle(promise, state, value) {
  promise._state = state;
  promise._value = value;
  const reactions = promise._reactions;
  promise._reactions = null;
  for (const r of reactions) schedule(promise, r);
}

function schedule(promise, reaction) {
  enqueue(() => {
    const handler = promise._state === FULFILLED ? reaction.onFulfilled : reaction.onRejected;
    if (typeof handler !== "function") {
      (promise._state === FULFILLED ? reaction.resolve : reaction.reject)(promise._value);
      return;
    }
    let out;
    try {
      out = handler(promise._value);
    } catch (e) {
      reaction.reject(e);
      return;
    }
    reaction.resolve(out);
  });
}

function resolvingFunctions(promise) {
  let done = false;
  const resolve = (x) => {
    if (done) return;
    done = true;
    resolveWith(promise, x);
  };
  const reject = (e) => {
    if (done) return;
    done = true;
    settle(promise, REJECTED, e);
  };
  return [resolve, reject];
}

function resolveWith(promise, x) {
  if (x === promise) {
    settle(promise, REJECTED, new TypeError("Chaining cycle detected for promise #<Promise>"));
    return;
  }
  if (x !== null && (typeof x === "object" || typeof x === "function")) {
    let then;
    try {
      then = x.then;
    } catch (e) {
      settle(promise, REJECTED, e);
      return;
    }
    if (typeof then === "function") {
      enqueue(() => {
        const [res, rej] = resolvingFunctions(promise);
        try {
          then.call(x, res, rej);
        } catch (e) {
          rej(e);
        }
      });
      return;
    }
  }
  settle(promise, FULFILLED, x);
}

class Promise {
  constructor(executor) {
    if (typeof executor !== "function") {
      throw new TypeError(`Promise resolver ${inspect(executor, 1, [])} is not a function`);
    }
    this._state = PENDING;
    this._value = undefined;
    this._reactions = [];
    const [resolve, reject] = resolvingFunctions(this);
    try {
      executor(resolve, reject);
    } catch (e) {
      reject(e);
    }
  }

  then(onFulfilled, onRejected) {
    let resolve, reject;
    const species = this.constructor?.[Symbol.species] ?? Promise;
    const next = new species((a, b) => {
      resolve = a;
      reject = b;
    });
    const reaction = { onFulfilled, onRejected, resolve, reject };
    if (this._state === PENDING) this._reactions.push(reaction);
    else schedule(this, reaction);
    return next;
  }

  catch(onRejected) {
    return this.then(undefined, onRejected);
  }

  finally(onFinally) {
    if (typeof onFinally !== "function") return this.then(onFinally, onFinally);
    const C = this.constructor?.[Symbol.species] ?? Promise;
    return this.then(
      (v) => C.resolve(onFinally()).then(() => v),
      (e) =>
        C.resolve(onFinally()).then(() => {
          throw e;
        }),
    );
  }

  static get [Symbol.species]() {
    return this;
  }

  static resolve(value) {
    if (value instanceof Promise && value.constructor === this) return value;
    return new this((resolve) => resolve(value));
  }

  static reject(reason) {
    return new this((_, reject) => reject(reason));
  }

  static withResolvers() {
    let resolve, reject;
    const promise = new this((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  }

  static try(fn, ...args) {
    return new this((resolve) => resolve(fn(...args)));
  }

  static all(items) {
    return new this((resolve, reject) => {
      const values = [];
      let left = 1;
      let i = 0;
      for (const item of items) {
        const at = i++;
        left++;
        this.resolve(item).then((v) => {
          values[at] = v;
          if (--left === 0) resolve(values);
        }, reject);
      }
      if (--left === 0) resolve(values);
    });
  }

  static allSettled(items) {
    return this.all(
      Array.from(items, (item) =>
        this.resolve(item).then(
          (value) => ({ status: "fulfilled", value }),
          (reason) => ({ status: "rejected", reason }),
        ),
      ),
    );
  }

  static race(items) {
    return new this((resolve, reject) => {
      for (const item of items) this.resolve(item).then(resolve, reject);
    });
  }

  static any(items) {
    return new this((resolve, reject) => {
      const errors = [];
      let left = 1;
      let i = 0;
      for (const item of items) {
        const at = i++;
        left++;
        this.resolve(item).then(resolve, (e) => {
          errors[at] = e;
          if (--left === 0) reject(new AggregateError(errors, "All promises were rejected"));
        });
      }
      if (--left === 0) reject(new AggregateError(errors, "All promises were rejected"));
    });
  }
}
Object.defineProperty(Promise.prototype, Symbol.toStringTag, { value: "Promise" });

function queueMicrotask(callback) {
  if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  enqueue(() => {
    try {
      callback();
    } catch (e) {
      uncaught ??= e;
    }
  });
}

// Timers sleep for real (wasi monotonic clock), so the function's timeout still applies.
const timers = new Map();
let timerSeq = 0;

function nowMs() {
  return Number(monotonicClock.now()) / 1e6;
}

function addTimer(callback, ms, args, repeat) {
  if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  const delay = Math.max(1, Number(ms) || 0);
  const id = ++timerSeq;
  timers.set(id, { due: nowMs() + delay, delay, callback, args, repeat, seq: id });
  return id;
}

function clearTimer(id) {
  timers.delete(typeof id === "object" && id !== null ? id.id : id);
}

/// Run the earliest timer, sleeping until it is due. False when no timer is left.
function runNextTimer() {
  let next = null;
  for (const [id, t] of timers) {
    if (next === null || t.due < next.t.due || (t.due === next.t.due && t.seq < next.t.seq)) {
      next = { id, t };
    }
  }
  if (next === null) return false;
  const wait = next.t.due - nowMs();
  if (wait > 0) monotonicClock.subscribeDuration(Math.ceil(wait * 1e6)).block();
  if (next.t.repeat) {
    next.t.due = Math.max(next.t.due + next.t.delay, nowMs());
    next.t.seq = ++timerSeq;
  } else {
    timers.delete(next.id);
  }
  try {
    next.t.callback(...next.t.args);
  } catch (e) {
    uncaught ??= e;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Node-ish globals.

let envCache = null;
const processObject = {
  get env() {
    if (!inCall) return {};
    envCache ??= Object.fromEntries(environment.getEnvironment());
    return envCache;
  },
  argv: ["/var/lang/bin/node", "/var/runtime/index.mjs"],
  platform: "linux",
  version: "v20.0.0-fnhost-quickjs",
  versions: {},
  stdout: { write: (s) => (write("out", String(s)), true) },
  stderr: { write: (s) => (write("err", String(s)), true) },
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  hrtime: Object.assign(
    (prev) => {
      const ns = Number(monotonicClock.now());
      const t = [Math.floor(ns / 1e9), ns % 1e9];
      return prev ? [t[0] - prev[0], t[1] - prev[1]] : t;
    },
    { bigint: () => BigInt(monotonicClock.now()) },
  ),
};

class TextEncoder {
  get encoding() {
    return "utf-8";
  }
  encode(text = "") {
    return utf8Encode(String(text));
  }
}

class TextDecoder {
  get encoding() {
    return "utf-8";
  }
  decode(bytes) {
    if (bytes === undefined) return "";
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes);
    return utf8Decode(view);
  }
}

Object.assign(globalThis, {
  Promise,
  queueMicrotask,
  console,
  process: processObject,
  global: globalThis,
  TextEncoder,
  TextDecoder,
  setTimeout: (cb, ms, ...args) => addTimer(cb, ms, args, false),
  setInterval: (cb, ms, ...args) => addTimer(cb, ms, args, true),
  setImmediate: (cb, ...args) => addTimer(cb, 0, args, false),
  clearTimeout: clearTimer,
  clearInterval: clearTimer,
  clearImmediate: clearTimer,
});

// ---------------------------------------------------------------------------------------------
// Errors, as AWS's Node.js runtime reports them.

// Frames of this runtime and of esbuild's async helpers: the trace stops at the first one.
const RUNTIME_FRAME =
  /^\s+at (?:(?:next|throw) \(native\)|(?:fulfilled|rejected|step|drainJobs|runNextTimer|handle\d*|fnhost[A-Z]\w*) \()/;

function errorStack(err) {
  const head = `${err.name}: ${err.message}`;
  const lines = [];
  for (const raw of String(err.stack ?? "").split("\n")) {
    let line = raw.replace(/\s+$/, "");
    if (evalFile !== null) line = line.replace("(<input>:", `(${evalFile}:`);
    if (RUNTIME_FRAME.test(line)) break;
    if (line.length > 0) lines.push(line);
  }
  return lines[0] === head || (lines[0] && !lines[0].startsWith("    at ")) ? lines : [head, ...lines];
}

function isError(err) {
  return err instanceof Error || (err !== null && typeof err === "object" && "name" in err && "message" in err && "stack" in err);
}

function functionError(err) {
  if (isError(err)) {
    return { errorType: String(err.name), errorMessage: String(err.message), stackTrace: errorStack(err) };
  }
  return { errorType: typeof err, errorMessage: String(err), stackTrace: [] };
}

/// A failure of the runtime's own, reported with `errorType` and no stack.
export class RuntimeFailure extends Error {
  constructor(errorType, message) {
    super(message);
    this.errorType = errorType;
  }
}

function fail(err) {
  const e =
    err instanceof RuntimeFailure
      ? { errorType: err.errorType, errorMessage: err.message, stackTrace: [] }
      : functionError(err);
  logLine("ERROR", [`Invoke Error \t${JSON.stringify({ errorType: e.errorType, errorMessage: e.errorMessage, stack: e.stackTrace })}`]);
  return e;
}

// ---------------------------------------------------------------------------------------------
// The handler.

function lookup(module, path) {
  let target = module;
  for (const part of path.split(".")) {
    let next = target?.[part];
    // A CommonJS module (exports.handler = ...) arrives as the namespace's default export.
    if (next === undefined && target === module) next = module.default?.[part];
    target = next;
  }
  return target;
}

function contextFor(ctx, settle) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: ctx.functionName,
    functionVersion: ctx.functionVersion,
    invokedFunctionArn: ctx.invokedFunctionArn,
    // A string, as in AWS's runtime (it comes from AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
    memoryLimitInMB: String(ctx.memoryLimitMb),
    awsRequestId: ctx.requestId,
    logGroupName: ctx.logGroupName,
    logStreamName: ctx.logStreamName,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Number(runtime.remainingTimeMs()),
    // Lambda's legacy completion methods.
    done: (err, value) => settle(err, value),
    succeed: (value) => settle(null, value),
    fail: (err) => settle(err ?? new Error("handled")),
  };
}

/// The `handle` export for the user's module: `handlerName` is the part of Lambda's handler
/// setting after the file name (`handler` in `index.handler`).
export function makeHandle(module, handlerSetting, handlerName) {
  const handler = lookup(module, handlerName);
  // This runs at build time: a missing handler fails the packaging with Lambda's words.
  if (typeof handler !== "function") {
    throw new Error(`Runtime.HandlerNotFound: ${handlerSetting} is undefined or not exported`);
  }
  return function handle(eventText, ctx) {
    return fnhostRun(() => handler, eventText, ctx);
  };
}

/// The `handle` export of the generic runtime (generic.js), which packages no function: each
/// event, `load()` returns the function's module as `{ module, setting }` (its exports and
/// Lambda's handler setting), read from the files the host mounts. The module is evaluated as
/// the specialised component evaluates it at build time (no log, an empty `process.env`, its
/// pending timers and promise reactions dropped), then the handler runs exactly as there. A
/// missing handler is Lambda's `Runtime.HandlerNotFound` at event time; `load` throws a
/// `RuntimeFailure` for a missing bundle, and whatever the module's top-level code throws.
export function makeGenericHandle(load) {
  return function handle(eventText, ctx) {
    return fnhostRun(() => {
      const { module, setting } = fnhostLoad(load);
      const handler = lookup(module, setting.slice(setting.indexOf(".", setting.lastIndexOf("/") + 1) + 1));
      if (typeof handler !== "function") {
        throw new RuntimeFailure("Runtime.HandlerNotFound", `${setting} is undefined or not exported`);
      }
      return handler;
    }, eventText, ctx);
  };
}

/// Evaluate the function's module as at build time: outside a call.
function fnhostLoad(load) {
  inCall = false;
  try {
    return load();
  } finally {
    inCall = true;
  }
}

/// Evaluated code's frames name `<input>` (QuickJS's eval); set by generic.js to the file the
/// code was bundled from, so traces read as the specialised component's.
let evalFile = null;

/// Name the file of evaluated code in the frames of a stack trace.
export function setEvalFile(name) {
  evalFile = name;
}

/// One event: `getHandler` (run inside the call, so its failures are reported as the
/// handler's) gives the function, which gets the parsed event, the context and a callback.
function fnhostRun(getHandler, eventText, ctx) {
  inCall = true;
  streams = null;
  envCache = null;
  requestId = ctx.requestId;
  try {
    const handler = getHandler();
    // Whatever top-level code left pending is dropped, as the build-time snapshot drops it.
    uncaught = null;
    jobs.length = 0;
    timers.clear();
    let event;
    try {
      event = JSON.parse(eventText);
    } catch (e) {
      throw new RuntimeFailure("Runtime.UnmarshalError", `Unable to parse the event: ${e.message}`);
    }
    let settle;
    const done = new Promise((resolve, reject) => {
      settle = (err, value) => (err !== null && err !== undefined ? reject(err) : resolve(value));
    });
    const context = contextFor(ctx, (err, value) => settle(err, value));
    let returned;
    try {
      returned = handler(event, context, (err, value) => settle(err, value));
    } catch (e) {
      settle(e);
    }
    // async handlers (and any returned promise) settle with the promise; plain handlers with
    // what they return; callback handlers (three parameters) when they call back.
    if (returned !== null && typeof returned?.then === "function") {
      returned.then((v) => settle(null, v), (e) => settle(e ?? new Error("handled")));
    } else if (handler.length < 3) {
      settle(null, returned);
    }
    for (;;) {
      drainJobs();
      if (uncaught !== null || done._state !== PENDING) break;
      if (!runNextTimer()) break;
    }
    if (uncaught !== null) throw uncaught;
    if (done._state === REJECTED) throw done._value;
    if (done._state === PENDING) {
      throw new RuntimeFailure(
        "Runtime.NodeJsExit",
        "The handler neither returned, resolved its promise nor called its callback, and nothing is left to run",
      );
    }
    // Callback handlers wait for pending timers unless told not to, as on Lambda.
    if (handler.length >= 3 && context.callbackWaitsForEmptyEventLoop) {
      do drainJobs();
      while (uncaught === null && runNextTimer());
    }
    const value = done._value;
    try {
      return JSON.stringify(value === undefined ? null : value) ?? "null";
    } catch (e) {
      throw new RuntimeFailure("Runtime.MarshalError", `Unable to stringify response body: ${e.message}`);
    }
  } catch (err) {
    throw fail(err);
  } finally {
    inCall = false;
  }
}
