// The WASI and fnhost runtime interfaces generic.js and runtime.js import, under `node --test`
// (generic-child.mjs): `?iface=NAME` picks the interface; state lives in
// `globalThis.fnhostFake` (`runtimeDir`, `env`, `remainingMs`, and the `stdout`/`stderr` text).
import fs from "node:fs";
import path from "node:path";

const state = () => globalThis.fnhostFake;
const iface = new URL(import.meta.url).searchParams.get("iface");

/** A WIT `result` failure as the bindings throw it. */
function failure(code) {
  const err = new Error(code);
  err.payload = code;
  return err;
}

class Stream {
  constructor(which) {
    this.which = which;
  }
  blockingWriteAndFlush(bytes) {
    state()[this.which] += Buffer.from(bytes).toString("utf8");
  }
}

/** A wasi:filesystem descriptor over a host file or directory, read-only. */
class Descriptor {
  constructor(hostPath) {
    this.hostPath = hostPath;
  }
  openAt(_pathFlags, rel, _openFlags, _flags) {
    const p = path.join(this.hostPath, rel);
    if (!fs.existsSync(p)) throw failure("no-entry");
    return new Descriptor(p);
  }
  stat() {
    return { type: "regular-file", size: BigInt(fs.statSync(this.hostPath).size) };
  }
  read(length, offset) {
    const all = fs.readFileSync(this.hostPath);
    // Short reads, as a host may give them.
    const chunk = all.subarray(Number(offset), Number(offset) + Math.min(Number(length), 1000));
    return [new Uint8Array(chunk), Number(offset) + chunk.length >= all.length];
  }
  [Symbol.dispose]() {
    state().disposed++;
  }
}

// Node's clock, kept before runtime.js replaces the global `process`.
const hrtime = process.hrtime.bigint;
const started = hrtime();

const interfaces = {
  stdout: { getStdout: () => new Stream("stdout") },
  stderr: { getStderr: () => new Stream("stderr") },
  environment: { getEnvironment: () => Object.entries(state().env) },
  "monotonic-clock": {
    now: () => hrtime() - started,
    subscribeDuration: (ns) => ({
      block: () => {
        const until = hrtime() + BigInt(ns);
        while (hrtime() < until);
      },
    }),
  },
  preopens: {
    getDirectories: () => (state().runtimeDir ? [[new Descriptor(state().runtimeDir), "/var/runtime"]] : []),
  },
  runtime: { remainingTimeMs: () => BigInt(state().remainingMs) },
};

export default interfaces[iface];
