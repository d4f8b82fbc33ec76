// An in-memory host for the SDK modules' unit tests: buckets with grants and a per-call size
// cap, and a table of callable functions, behaving as wit/handler.wit describes (the component
// bindings' shapes: records with camelCase keys, `null` for none, failures thrown as an error
// whose `payload` is the `{ tag, val }` variant).
import { createHash } from "node:crypto";
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);

/** A WIT `result` failure as the bindings throw it. */
export function failure(tag, val) {
  const err = new Error(`${tag}: ${val}`);
  err.payload = { tag, val };
  return err;
}

const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class FakeObjects {
  constructor({ buckets = [], read = [], write = [], maxBody = 1 << 30 } = {}) {
    this.buckets = new Map(buckets.map((b) => [b, new Map()]));
    this.read = new Set(read);
    this.write = new Set(write);
    this.maxBody = maxBody;
    this.calls = [];
    this.clock = 1_700_000_000_000;
  }

  bucket(name, grant) {
    const b = this.buckets.get(name);
    if (!b) throw failure("no-such-bucket", `no bucket \`${name}\``);
    if (!(grant === "read" ? this.read : this.write).has(name)) {
      throw failure("access-denied", `add \`objects = { ${grant} = ["${name}"] }\` to [function.test]`);
    }
    return b;
  }

  info(key, o) {
    return { key, size: o.bytes.length, etag: createHash("md5").update(o.bytes).digest("hex"), lastModifiedMs: o.mtime };
  }

  /** Store an object directly (test setup). */
  seed(bucket, key, body) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : Uint8Array.from(body);
    this.buckets.get(bucket).set(key, { bytes, mtime: (this.clock += 1000) });
  }

  getObject(bucket, key, range) {
    this.calls.push(["getObject", bucket, key, range]);
    const o = this.bucket(bucket, "read").get(key);
    if (!o) throw failure("no-such-key", `no key \`${key}\``);
    const bytes = range === null ? o.bytes : o.bytes.subarray(range[0], Math.min(range[1] + 1, o.bytes.length));
    if (bytes.length > this.maxBody) throw failure("too-large", `over ${this.maxBody} bytes`);
    return Uint8Array.from(bytes);
  }

  putObject(bucket, key, body) {
    this.calls.push(["putObject", bucket, key]);
    if (!(body instanceof Uint8Array)) throw new TypeError("body must be a Uint8Array");
    const b = this.bucket(bucket, "write");
    if (key === "" || key.startsWith("/") || key.split("/").includes("..")) throw failure("invalid-key", `bad key \`${key}\``);
    if (body.length > this.maxBody) throw failure("too-large", `over ${this.maxBody} bytes`);
    const o = { bytes: Uint8Array.from(body), mtime: (this.clock += 1000) };
    b.set(key, o);
    return this.info(key, o);
  }

  headObject(bucket, key) {
    this.calls.push(["headObject", bucket, key]);
    const o = this.bucket(bucket, "read").get(key);
    if (!o) throw failure("no-such-key", `no key \`${key}\``);
    return this.info(key, o);
  }

  deleteObject(bucket, key) {
    this.calls.push(["deleteObject", bucket, key]);
    this.bucket(bucket, "write").delete(key);
  }

  listObjects(bucket, prefix, startAfter, maxKeys) {
    this.calls.push(["listObjects", bucket, prefix, startAfter, maxKeys]);
    const b = this.bucket(bucket, "read");
    return [...b.keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === null || byteOrder(k, startAfter) > 0))
      .sort(byteOrder)
      .slice(0, maxKeys)
      .map((k) => this.info(k, b.get(k)));
  }

  copyObject(srcBucket, srcKey, bucket, key) {
    this.calls.push(["copyObject", srcBucket, srcKey, bucket, key]);
    const o = this.bucket(srcBucket, "read").get(srcKey);
    const target = this.bucket(bucket, "write");
    if (!o) throw failure("no-such-key", `no key \`${srcKey}\``);
    const copy = { bytes: o.bytes, mtime: (this.clock += 1000) };
    target.set(key, copy);
    return this.info(key, copy);
  }
}

/** The test's host: tests replace `objects` and `functions` before each call. */
export const host = {
  objects: new FakeObjects(),
  functions: {
    invoke() {
      throw new Error("no fake functions set");
    },
  },
};
