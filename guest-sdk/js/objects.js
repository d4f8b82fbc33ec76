// Object access to fnhost's buckets from JavaScript: `import { getObject } from "fnhost-objects"`.
//
// A thin layer over the `objects` interface of wit/handler.wit: bodies are Uint8Array (strings
// are stored as UTF-8), object metadata is `{ key, size, etag, lastModifiedMs }`, and every
// failure is thrown as an Error whose `name` is the case of `object-error` (`NoSuchKey`,
// `NoSuchBucket`, `AccessDenied`, `InvalidKey`, `TooLarge`, `IoError`) and whose message is the
// host's (for a missing grant it names the line to add to fnhost.toml).

import objects from "fnhost:function/objects";

const NAMES = {
  "no-such-key": "NoSuchKey",
  "no-such-bucket": "NoSuchBucket",
  "access-denied": "AccessDenied",
  "invalid-key": "InvalidKey",
  "too-large": "TooLarge",
  io: "IoError",
};

function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    const failure = e?.payload ?? e;
    if (failure && typeof failure.tag === "string") {
      const err = new Error(String(failure.val));
      err.name = NAMES[failure.tag] ?? "ObjectError";
      throw err;
    }
    throw e;
  }
}

/** The object's bytes, or the inclusive byte range `[first, last]` of it. */
export function getObject(bucket, key, range = null) {
  return call(objects.getObject, bucket, key, range);
}

/** Write an object atomically; a string body is stored as UTF-8. */
export function putObject(bucket, key, body) {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return call(objects.putObject, bucket, key, bytes);
}

/** Metadata without the body. */
export function headObject(bucket, key) {
  return call(objects.headObject, bucket, key);
}

/** Remove an object; a missing key is not an error. */
export function deleteObject(bucket, key) {
  call(objects.deleteObject, bucket, key);
}

/** Objects under `prefix`, in key order, after `startAfter`, at most `maxKeys`. */
export function listObjects(bucket, { prefix = "", startAfter = null, maxKeys = 1000 } = {}) {
  return call(objects.listObjects, bucket, prefix, startAfter, maxKeys);
}
