// Shared parts of fnhost's AWS SDK v3 compatibility modules (client-s3.js, client-lambda.js):
// byte conversions QuickJS lacks (no Buffer), the `$metadata` record and the smithy
// `ServiceException` base class every SDK error extends.
//
// Nothing here calls the host: these modules are evaluated at build time, when host imports
// are trapping stubs.

/** UTF-8 bytes of a string (the runtime's TextEncoder, or Node's under `node --test`). */
export function utf8(text) {
  return new TextEncoder().encode(String(text));
}

/** A string from UTF-8 bytes; invalid sequences become U+FFFD. */
export function fromUtf8(bytes) {
  return new TextDecoder().decode(bytes);
}

/** A host `list<u8>` (Uint8Array, or a plain array of numbers) as a Uint8Array. */
export function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return Uint8Array.from(value ?? []);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function toBase64(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? `${B64[(n >> 6) & 63]}=` : "==";
  }
  return out;
}

/** Bytes of standard or URL-safe base64; null when `text` is not base64. */
export function fromBase64(text) {
  const clean = String(text).replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (/[^A-Za-z0-9+/]/.test(clean) || clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let n = 0;
  let bits = 0;
  let acc = 0;
  for (const c of clean) {
    acc = (acc << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Bytes as text in one of the encodings Node's Buffer#toString knows. */
export function decodeAs(bytes, encoding = "utf-8") {
  switch (String(encoding).toLowerCase()) {
    case "utf-8":
    case "utf8":
      return fromUtf8(bytes);
    case "base64":
      return toBase64(bytes);
    case "base64url":
      return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    case "hex":
      return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    case "latin1":
    case "binary":
      return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
    case "ascii":
      return Array.from(bytes, (b) => String.fromCharCode(b & 0x7f)).join("");
    case "utf16le":
    case "utf-16le":
    case "ucs2":
    case "ucs-2": {
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return s;
    }
    default:
      throw new TypeError(`Unknown encoding: ${encoding}`);
  }
}

/**
 * A request body as bytes: string (UTF-8), Uint8Array, Buffer, any typed-array view or
 * ArrayBuffer; `undefined`/`null` is empty. Streams and Blobs are not supported in QuickJS.
 */
export function bodyBytes(body, what) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return utf8(body);
  if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return asBytes(body);
  const kind = body?.constructor?.name ?? typeof body;
  throw new TypeError(
    `${what}: a ${kind} body is not supported by fnhost's AWS SDK module; pass a string, Uint8Array or Buffer`,
  );
}

let requestSeq = 0;

/** A request id in S3's style (16 upper-case hex digits), different on every call. */
function requestId() {
  requestSeq = (requestSeq + 1) % 0x10000;
  const rand = Math.floor(Math.random() * 0x1000000000000);
  return (rand.toString(16) + requestSeq.toString(16).padStart(4, "0")).toUpperCase().padStart(16, "0");
}

/** The `$metadata` every SDK v3 output and error carries. */
export function metadata(httpStatusCode) {
  return {
    httpStatusCode,
    requestId: requestId(),
    extendedRequestId: undefined,
    cfId: undefined,
    attempts: 1,
    totalRetryDelay: 0,
  };
}

/**
 * smithy's ServiceException: `name` is the error code, `$fault` `client` or `server`,
 * `$metadata.httpStatusCode` the HTTP status.
 */
export class ServiceException extends Error {
  constructor(options) {
    super(options.message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = options.name;
    this.$fault = options.$fault;
    this.$metadata = options.$metadata;
  }
}

/** The failure case of a host call's `result` (`{ tag, val }`), or null for anything else. */
export function hostFailure(e) {
  const failure = e?.payload ?? e;
  return failure && typeof failure === "object" && typeof failure.tag === "string" ? failure : null;
}

/** Callback-style `send(command, options?, callback?)` as SDK v3 clients accept it. */
export function settle(promise, optionsOrCb, cb) {
  const callback = typeof optionsOrCb === "function" ? optionsOrCb : cb;
  if (typeof callback !== "function") return promise;
  promise.then(
    (out) => callback(null, out),
    (err) => callback(err),
  );
  return undefined;
}
