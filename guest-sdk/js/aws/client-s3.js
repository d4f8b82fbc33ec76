// fnhost's `@aws-sdk/client-s3`: the AWS SDK for JavaScript v3 S3 client over the host's
// `objects` interface (wit/handler.wit). package.mjs aliases the package name to this file, so
// `import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3"` resolves here even when a
// real copy sits in node_modules (it cannot run in QuickJS: no sockets, no TLS).
//
// Covered: S3Client / S3 with GetObject (Range; Body.transformToString/ByteArray), PutObject,
// HeadObject, DeleteObject, ListObjectsV2 (Prefix, Delimiter, MaxKeys, ContinuationToken,
// StartAfter), CopyObject, paginateListObjectsV2; errors NoSuchKey, NoSuchBucket, NotFound and
// S3ServiceException named AccessDenied, InvalidArgument, EntityTooLarge, InvalidRange,
// SlowDown, InternalError. Buckets are the manifest's `[bucket.NAME]`, granted per function
// with `objects = { read = [...], write = [...] }`. ContentType and Metadata are accepted on
// PutObject but not stored: reads guess ContentType from the key's extension and return
// `Metadata: {}`. Region, credentials and endpoint settings are accepted and ignored.

import objects from "fnhost:function/objects";
import {
  ServiceException,
  asBytes,
  bodyBytes,
  decodeAs,
  fromBase64,
  fromUtf8,
  hostFailure,
  metadata,
  settle,
  toBase64,
  utf8,
} from "./util.js";

/** What this module implements, for error messages. */
const SUPPORTED =
  "S3Client and S3 with GetObjectCommand, PutObjectCommand, HeadObjectCommand, DeleteObjectCommand, " +
  "ListObjectsV2Command, CopyObjectCommand and paginateListObjectsV2";

// ---------------------------------------------------------------------------------------------
// Errors (S3ServiceException and the modeled exceptions of client-s3).

export class S3ServiceException extends ServiceException {
  constructor(options) {
    super(options);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** GetObject/CopyObject of a key that does not exist (404). */
export class NoSuchKey extends S3ServiceException {
  constructor(options) {
    super({ name: "NoSuchKey", $fault: "client", ...options });
    Object.setPrototypeOf(this, NoSuchKey.prototype);
  }
}

/** A bucket that does not exist (404). */
export class NoSuchBucket extends S3ServiceException {
  constructor(options) {
    super({ name: "NoSuchBucket", $fault: "client", ...options });
    Object.setPrototypeOf(this, NoSuchBucket.prototype);
  }
}

/** HeadObject of a missing key or bucket (404, no body, so no code: the SDK names it NotFound). */
export class NotFound extends S3ServiceException {
  constructor(options) {
    super({ name: "NotFound", $fault: "client", ...options });
    Object.setPrototypeOf(this, NotFound.prototype);
  }
}

/** Raised by the SDK for an object in Glacier; never by fnhost (exported for `instanceof`). */
export class InvalidObjectState extends S3ServiceException {
  constructor(options) {
    super({ name: "InvalidObjectState", $fault: "client", ...options });
    Object.setPrototypeOf(this, InvalidObjectState.prototype);
  }
}

function s3Error(Class, name, status, message, extra = {}) {
  const err = new Class({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: metadata(status),
    message,
  });
  err.Code = name;
  Object.assign(err, extra);
  return err;
}

/**
 * The SDK error for a host `object-error` in operation `op` ("GetObject", ...). HeadObject
 * answers have no body, so, as the real SDK does, a 404 becomes `NotFound` and other statuses
 * are named by their number.
 */
function toS3Error(failure, op, bucket, key) {
  const text = String(failure.val ?? "");
  let status;
  let code;
  let message = text;
  let Class = S3ServiceException;
  let extra = {};
  switch (failure.tag) {
    case "no-such-key":
      [status, code, Class] = [404, "NoSuchKey", NoSuchKey];
      message = "The specified key does not exist.";
      extra = { Key: key };
      break;
    case "no-such-bucket":
      [status, code, Class] = [404, "NoSuchBucket", NoSuchBucket];
      message = "The specified bucket does not exist";
      extra = { BucketName: bucket };
      break;
    case "access-denied":
      [status, code] = [403, "AccessDenied"];
      break;
    case "invalid-key":
      [status, code] = [400, "InvalidArgument"];
      break;
    case "too-large":
      [status, code] = [400, "EntityTooLarge"];
      break;
    default:
      if (text.startsWith("SlowDown:")) [status, code] = [503, "SlowDown"];
      else [status, code] = [500, "InternalError"];
  }
  if (op === "HeadObject") {
    if (status === 404) return s3Error(NotFound, "NotFound", 404, "UnknownError");
    return s3Error(S3ServiceException, String(status), status, message);
  }
  return s3Error(Class, code, status, message, extra);
}

/** Run a host call, turning its `object-error` into the SDK's exception. */
function host(op, bucket, key, fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    const failure = hostFailure(e);
    if (failure) throw toS3Error(failure, op, bucket, key);
    throw e;
  }
}

/** A client-side parameter error, as the SDK's validation reports a missing member. */
function required(input, op, ...names) {
  for (const name of names) {
    if (input?.[name] === undefined || input?.[name] === null || input?.[name] === "") {
      throw s3Error(
        S3ServiceException,
        "InvalidArgument",
        400,
        `${op}: the ${name} parameter is required`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Object metadata as S3 reports it.

const CONTENT_TYPES = {
  txt: "text/plain", text: "text/plain", log: "text/plain", md: "text/markdown",
  html: "text/html", htm: "text/html", css: "text/css", csv: "text/csv", tsv: "text/tab-separated-values",
  js: "text/javascript", mjs: "text/javascript", json: "application/json", xml: "application/xml",
  pdf: "application/pdf", zip: "application/zip", gz: "application/gzip", tar: "application/x-tar",
  wasm: "application/wasm", yaml: "application/yaml", yml: "application/yaml",
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
  svg: "image/svg+xml", ico: "image/vnd.microsoft.icon", bmp: "image/bmp", tif: "image/tiff", tiff: "image/tiff",
  mp3: "audio/mpeg", wav: "audio/x-wav", mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime",
};

/** Buckets store no Content-Type: guess it from the key's extension, as S3 consoles do. */
function contentType(key) {
  const dot = key.lastIndexOf(".");
  const ext = dot > key.lastIndexOf("/") ? key.slice(dot + 1).toLowerCase() : "";
  return CONTENT_TYPES[ext] ?? "binary/octet-stream";
}

const quoted = (etag) => `"${etag}"`;
const date = (ms) => new Date(Number(ms));

function headFields(info) {
  return {
    AcceptRanges: "bytes",
    ContentLength: Number(info.size),
    ContentType: contentType(info.key),
    ETag: quoted(info.etag),
    LastModified: date(info.lastModifiedMs),
    Metadata: {},
  };
}

// ---------------------------------------------------------------------------------------------
// GetObject's Body: the SDK's stream mixin over bytes already read.

function sdkStream(bytes) {
  let transformed = false;
  const take = () => {
    if (transformed) throw new Error("The stream has already been transformed.");
    transformed = true;
    return bytes;
  };
  const later = (fn) => new Promise((resolve) => resolve(fn()));
  return {
    /** The whole body as text: `utf-8` (default), `base64`, `hex`, `latin1`, ... */
    transformToString: (encoding) => later(() => decodeAs(take(), encoding ?? "utf-8")),
    /** The whole body as a Uint8Array. */
    transformToByteArray: () => later(() => take()),
    transformToWebStream: () => {
      throw new Error(
        "transformToWebStream is not supported in fnhost (QuickJS has no web streams); use transformToString() or transformToByteArray()",
      );
    },
    /** `for await (const chunk of Body)`: one Uint8Array chunk. */
    [Symbol.asyncIterator]() {
      const all = take();
      let done = false;
      return {
        next: () => {
          const r = done ? { value: undefined, done: true } : { value: all, done: false };
          done = true;
          return Promise.resolve(r);
        },
        return: () => ((done = true), Promise.resolve({ value: undefined, done: true })),
      };
    },
    pipe() {
      throw new Error("Body.pipe is not supported in fnhost (no Node streams); use transformToString() or transformToByteArray()");
    },
    on() {
      throw new Error("Body.on is not supported in fnhost (no Node streams); use transformToString() or transformToByteArray()");
    },
  };
}

/** The first chunk size tried when an object is over the host's per-call cap. */
const CHUNK = 4 << 20;
const MIN_CHUNK = 64 << 10;

/** Bytes `[first, last]` of an object, split into ranged calls when one is too large. */
function readRange(bucket, key, first, last) {
  try {
    return asBytes(objects.getObject(bucket, key, [first, last]));
  } catch (e) {
    if (hostFailure(e)?.tag !== "too-large") throw e;
  }
  const out = new Uint8Array(last - first + 1);
  let chunk = Math.min(CHUNK, out.length);
  for (let at = first; at <= last; ) {
    const end = Math.min(at + chunk - 1, last);
    let part;
    try {
      part = asBytes(objects.getObject(bucket, key, [at, end]));
    } catch (e) {
      if (hostFailure(e)?.tag === "too-large" && chunk > MIN_CHUNK) {
        chunk = Math.max(MIN_CHUNK, chunk >> 1);
        continue;
      }
      throw e;
    }
    out.set(part, at - first);
    at = end + 1;
  }
  return out;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against an object of `size` bytes: [first, last] or null. */
function parseRange(range, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(String(range).trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // S3 ignores a malformed Range
  let first;
  let last;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return null;
    first = Math.max(0, size - n);
    last = size - 1;
  } else {
    first = Number(m[1]);
    last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < first) return undefined;
  }
  if (first >= size) return null;
  return [first, last];
}

// ---------------------------------------------------------------------------------------------
// Operations.

function getObject(input) {
  required(input, "GetObject", "Bucket", "Key");
  const { Bucket: bucket, Key: key } = input;
  return host("GetObject", bucket, key, () => {
    if (input.Range !== undefined) {
      const info = objects.headObject(bucket, key);
      const size = Number(info.size);
      const range = parseRange(input.Range, size);
      if (range === null) {
        throw s3Error(S3ServiceException, "InvalidRange", 416, "The requested range is not satisfiable", {
          RangeRequested: String(input.Range),
          ActualObjectSize: String(size),
        });
      }
      if (range !== undefined) {
        const body = size === 0 ? new Uint8Array(0) : readRange(bucket, key, range[0], range[1]);
        return {
          $metadata: metadata(206),
          ...headFields(info),
          ContentLength: body.length,
          ContentRange: `bytes ${range[0]}-${range[1]}/${size}`,
          Body: sdkStream(body),
        };
      }
    }
    let body;
    let info;
    try {
      body = asBytes(objects.getObject(bucket, key, null));
      info = objects.headObject(bucket, key);
    } catch (e) {
      if (hostFailure(e)?.tag !== "too-large") throw e;
      info = objects.headObject(bucket, key);
      body = Number(info.size) === 0 ? new Uint8Array(0) : readRange(bucket, key, 0, Number(info.size) - 1);
    }
    return { $metadata: metadata(200), ...headFields(info), ContentLength: body.length, Body: sdkStream(body) };
  });
}

function putObject(input) {
  required(input, "PutObject", "Bucket", "Key");
  const bytes = bodyBytes(input.Body, "PutObjectCommand");
  const info = host("PutObject", input.Bucket, input.Key, objects.putObject, input.Bucket, input.Key, bytes);
  return { $metadata: metadata(200), ETag: quoted(info.etag) };
}

function headObject(input) {
  required(input, "HeadObject", "Bucket", "Key");
  const info = host("HeadObject", input.Bucket, input.Key, objects.headObject, input.Bucket, input.Key);
  return { $metadata: metadata(200), ...headFields(info) };
}

function deleteObject(input) {
  required(input, "DeleteObject", "Bucket", "Key");
  host("DeleteObject", input.Bucket, input.Key, objects.deleteObject, input.Bucket, input.Key);
  return { $metadata: metadata(204) };
}

/** The last code point: appended to a common prefix, it skips every key under it. */
const AFTER_ALL = "\u{10FFFF}";
const PAGE = 1000;

function listObjectsV2(input) {
  required(input, "ListObjectsV2", "Bucket");
  const bucket = input.Bucket;
  const prefix = input.Prefix ?? "";
  const delimiter = input.Delimiter ?? "";
  const maxKeys = input.MaxKeys === undefined ? 1000 : Math.max(0, Math.min(1000, Math.trunc(Number(input.MaxKeys))));
  let after = input.StartAfter ?? null;
  if (input.ContinuationToken !== undefined) {
    const bytes = fromBase64(input.ContinuationToken);
    if (bytes === null || bytes.length === 0) {
      throw s3Error(S3ServiceException, "InvalidArgument", 400, "The continuation token provided is incorrect", {
        ArgumentName: "continuation-token",
      });
    }
    after = fromUtf8(bytes);
  }
  const contents = [];
  const prefixes = [];
  let truncated = false;
  let resume = null;
  scan: for (;;) {
    const page = host("ListObjectsV2", bucket, undefined, objects.listObjects, bucket, prefix, after, PAGE);
    if (page.length === 0) break;
    for (const o of page) {
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break scan;
      }
      const rest = o.key.slice(prefix.length);
      const cut = delimiter === "" ? -1 : rest.indexOf(delimiter);
      if (cut >= 0) {
        const common = prefix + rest.slice(0, cut + delimiter.length);
        prefixes.push({ Prefix: common });
        after = resume = common + AFTER_ALL;
        continue scan; // list again past everything under this prefix
      }
      contents.push({
        Key: o.key,
        LastModified: date(o.lastModifiedMs),
        ETag: quoted(o.etag),
        Size: Number(o.size),
        StorageClass: "STANDARD",
      });
      after = resume = o.key;
    }
    if (page.length < PAGE) break;
  }
  const out = {
    $metadata: metadata(200),
    IsTruncated: truncated,
    KeyCount: contents.length + prefixes.length,
    MaxKeys: maxKeys,
    Name: bucket,
    Prefix: prefix,
  };
  if (contents.length > 0) out.Contents = contents;
  if (prefixes.length > 0) out.CommonPrefixes = prefixes;
  if (input.Delimiter !== undefined) out.Delimiter = input.Delimiter;
  if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
  if (input.StartAfter !== undefined) out.StartAfter = input.StartAfter;
  if (truncated) out.NextContinuationToken = toBase64(utf8(resume));
  return out;
}

/** `bucket/key`, `/bucket/key`, URL-encoded or not; `?versionId=` is refused (no versioning). */
function parseCopySource(source) {
  let text = String(source ?? "");
  const q = text.indexOf("?");
  if (q >= 0) {
    if (/(^|&)versionId=/.test(text.slice(q + 1))) {
      throw s3Error(S3ServiceException, "InvalidArgument", 400, "fnhost buckets are not versioned: CopySource cannot name a versionId");
    }
    text = text.slice(0, q);
  }
  try {
    text = decodeURIComponent(text);
  } catch {
    // not URL-encoded: keep as given
  }
  text = text.replace(/^\//, "");
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) {
    throw s3Error(
      S3ServiceException,
      "InvalidArgument",
      400,
      `Invalid copy source \`${source}\`: expected "bucket/key" (URL-encoded allowed)`,
    );
  }
  return { bucket: text.slice(0, slash), key: text.slice(slash + 1) };
}

function copyObject(input) {
  required(input, "CopyObject", "Bucket", "Key", "CopySource");
  const src = parseCopySource(input.CopySource);
  const info = host("CopyObject", src.bucket, src.key, objects.copyObject, src.bucket, src.key, input.Bucket, input.Key);
  return {
    $metadata: metadata(200),
    CopyObjectResult: { ETag: quoted(info.etag), LastModified: date(info.lastModifiedMs) },
  };
}

// ---------------------------------------------------------------------------------------------
// Commands and clients.

const OP = Symbol("fnhost.s3.operation");

function command(name, run) {
  const Class = class {
    constructor(input = {}) {
      this.input = input;
      this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {} };
    }
  };
  Object.defineProperty(Class, "name", { value: name });
  Class.prototype[OP] = run;
  return Class;
}

export const GetObjectCommand = command("GetObjectCommand", getObject);
export const PutObjectCommand = command("PutObjectCommand", putObject);
export const HeadObjectCommand = command("HeadObjectCommand", headObject);
export const DeleteObjectCommand = command("DeleteObjectCommand", deleteObject);
export const ListObjectsV2Command = command("ListObjectsV2Command", listObjectsV2);
export const CopyObjectCommand = command("CopyObjectCommand", copyObject);

/** Run `cmd` now and settle a Promise with its output (or its error). */
function run(cmd) {
  return new Promise((resolve) => {
    const op = cmd?.[OP];
    if (typeof op !== "function") {
      const name = cmd?.constructor?.name ?? typeof cmd;
      throw new TypeError(`S3Client.send: ${name} is not supported by fnhost; supported: ${SUPPORTED}`);
    }
    resolve(op(cmd.input ?? {}));
  });
}

/** `new S3Client({ region, ... })`: settings are accepted and ignored; calls go to the host. */
export class S3Client {
  constructor(config = {}) {
    const region = config.region;
    this.config = {
      ...config,
      region: () => Promise.resolve(typeof region === "function" ? region() : (region ?? process.env.AWS_REGION)),
    };
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {} };
  }

  /** Send a command: a Promise of its output, or `callback(err, output)` when given. */
  send(cmd, optionsOrCb, cb) {
    return settle(run(cmd), optionsOrCb, cb);
  }

  destroy() {}
}

/** The aggregated client: `new S3({}).getObject({ Bucket, Key })`. */
export class S3 extends S3Client {}
for (const [method, Cmd] of [
  ["getObject", GetObjectCommand],
  ["putObject", PutObjectCommand],
  ["headObject", HeadObjectCommand],
  ["deleteObject", DeleteObjectCommand],
  ["listObjectsV2", ListObjectsV2Command],
  ["copyObject", CopyObjectCommand],
]) {
  Object.defineProperty(S3.prototype, method, {
    value(input, optionsOrCb, cb) {
      return this.send(new Cmd(input), optionsOrCb, cb);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * `for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix }))`: every page
 * of ListObjectsV2 (`pageSize` sets MaxKeys).
 */
export function paginateListObjectsV2(config, input) {
  const client = config?.client;
  if (!(client instanceof S3Client)) {
    throw new TypeError("paginateListObjectsV2: config.client must be an S3Client");
  }
  let token = config.startingToken ?? input?.ContinuationToken;
  let done = false;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      const pageInput = { ...input, ContinuationToken: token };
      if (token === undefined) delete pageInput.ContinuationToken;
      if (config.pageSize !== undefined) pageInput.MaxKeys = config.pageSize;
      return client.send(new ListObjectsV2Command(pageInput)).then((page) => {
        token = page.NextContinuationToken;
        done = !page.IsTruncated || token === undefined;
        return { value: page, done: false };
      });
    },
    return() {
      done = true;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}
