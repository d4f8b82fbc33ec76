// WHATWG `fetch` for fnhost's JavaScript functions, over wasi:http (runtime.js installs `fetch`,
// `Headers`, `Request` and `Response` on globalThis).
//
// Each request is one synchronous wasi:http exchange: `outgoing-handler.handle`, the request body
// written to its stream, the response future waited for (`subscribe().block()`) and the response
// body read to its end; `fetch` returns that as a settled promise. Redirects are followed here,
// as Node and browsers do (`redirect: "follow"`, at most 20; `"manual"` returns the 3xx response;
// `"error"` rejects), and every follow-up is a new wasi:http request that the host checks against
// the function's `allowed_outbound_hosts` again.
//
// Failures reject with `TypeError("fetch failed: REASON")` whose `cause` is an `Error(REASON)`:
// REASON is the host's message when it refused the request (it names the function and the
// allow-list entry to add), or a readable name of the wasi:http `error-code` otherwise.
//
// Not covered: streaming bodies (a body is read to its end before `fetch` settles; `body` is a
// one-chunk stream), `AbortSignal`, `Blob`/`FormData` bodies, caching, cookies and CORS modes
// (accepted and ignored: there is no browser here).

import types from "wasi:http/types@0.2.12";
import outgoingHandler from "wasi:http/outgoing-handler@0.2.12";

import { URL, URLSearchParams, utf8, utf8Decode } from "./url.js";

// ---------------------------------------------------------------------------------------------
// Headers.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function headerName(name) {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Header name must be a valid HTTP token ["${text}"]`);
  return text.toLowerCase();
}

function headerValue(value) {
  const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  if (/[\0\r\n]/.test(text) || /[^\0-\xff]/.test(text)) {
    throw new TypeError(`Invalid header value: ${JSON.stringify(text)}`);
  }
  return text;
}

export class Headers {
  #list = []; // [lower-case name, value], in insertion order
  #guard = "none";

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [n, v] of init.#list) this.#list.push([n, v]);
    } else if (typeof init === "object" && typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = Array.from(pair);
        if (p.length !== 2) throw new TypeError("Header pairs must contain exactly two items");
        this.append(p[0], p[1]);
      }
    } else if (typeof init === "object") {
      for (const key of Object.keys(init)) this.append(key, init[key]);
    } else {
      throw new TypeError("The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'");
    }
  }

  static _guard(headers, guard) {
    headers.#guard = guard;
    return headers;
  }

  static _list(headers) {
    return headers.#list;
  }

  #check() {
    if (this.#guard === "immutable") throw new TypeError("Headers are immutable");
  }

  append(name, value) {
    this.#check();
    this.#list.push([headerName(name), headerValue(value)]);
  }

  delete(name) {
    this.#check();
    const n = headerName(name);
    this.#list = this.#list.filter(([k]) => k !== n);
  }

  get(name) {
    const n = headerName(name);
    const values = this.#list.filter(([k]) => k === n).map(([, v]) => v);
    return values.length === 0 ? null : values.join(", ");
  }

  getSetCookie() {
    return this.#list.filter(([k]) => k === "set-cookie").map(([, v]) => v);
  }

  has(name) {
    const n = headerName(name);
    return this.#list.some(([k]) => k === n);
  }

  set(name, value) {
    this.#check();
    const n = headerName(name);
    const v = headerValue(value);
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i] = [n, v];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
  }

  /** Sorted and combined, `set-cookie` kept apart: the standard's "sort and combine". */
  #sorted() {
    const names = [...new Set(this.#list.map(([k]) => k))].sort();
    const out = [];
    for (const n of names) {
      if (n === "set-cookie") for (const v of this.getSetCookie()) out.push([n, v]);
      else out.push([n, this.get(n)]);
    }
    return out;
  }

  forEach(callback, thisArg) {
    for (const [n, v] of this.#sorted()) callback.call(thisArg, v, n, this);
  }

  *entries() {
    yield* this.#sorted();
  }

  *keys() {
    for (const [n] of this.#sorted()) yield n;
  }

  *values() {
    for (const [, v] of this.#sorted()) yield v;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "Headers";
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies.

/** Bytes of a ByteString (each character one byte): header values on the wire. */
function latin1Bytes(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function latin1Text(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** The standard's "extract a body": [bytes or null, content-type or null]. */
function extractBody(body) {
  if (body === undefined || body === null) return [null, null];
  if (typeof body === "string") return [utf8(body), "text/plain;charset=UTF-8"];
  if (body instanceof URLSearchParams) return [utf8(body.toString()), "application/x-www-form-urlencoded;charset=UTF-8"];
  if (body instanceof ArrayBuffer) return [new Uint8Array(body.slice(0)), null];
  if (ArrayBuffer.isView(body)) {
    return [new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), null];
  }
  if (typeof body === "object" && typeof body.getReader === "function") {
    throw new TypeError("fnhost's fetch does not take stream bodies; pass a string, ArrayBuffer or Uint8Array");
  }
  return [utf8(String(body)), "text/plain;charset=UTF-8"];
}

class Body {
  _bytes = null; // Uint8Array or null (no body)
  _used = false;

  get bodyUsed() {
    return this._used;
  }

  /** A one-chunk stream of the body (it was read to its end already), or null. */
  get body() {
    if (this._bytes === null) return null;
    const owner = this;
    return {
      locked: false,
      getReader() {
        let done = false;
        return {
          read() {
            if (done || owner._used) return Promise.resolve({ done: true, value: undefined });
            done = true;
            owner._used = true;
            return Promise.resolve({ done: false, value: owner._bytes.slice() });
          },
          releaseLock() {},
          cancel() {
            done = true;
            return Promise.resolve();
          },
        };
      },
    };
  }

  #consume() {
    if (this._used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    this._used = true;
    return Promise.resolve(this._bytes === null ? new Uint8Array(0) : this._bytes.slice());
  }

  arrayBuffer() {
    return this.#consume().then((b) => b.buffer);
  }

  bytes() {
    return this.#consume();
  }

  text() {
    return this.#consume().then((b) => utf8Decode(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b));
  }

  json() {
    return this.text().then((t) => JSON.parse(t));
  }

  blob() {
    return Promise.reject(new TypeError("Blob is not available in fnhost's JavaScript runtime; use arrayBuffer() or bytes()"));
  }

  formData() {
    return Promise.reject(new TypeError("FormData is not available in fnhost's JavaScript runtime; use text() and URLSearchParams"));
  }
}

// ---------------------------------------------------------------------------------------------
// Request.

const NORMALIZED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
const REDIRECTS = ["follow", "error", "manual"];

function normalizeMethod(method) {
  const m = String(method);
  if (!TOKEN.test(m)) throw new TypeError(`'${m}' is not a valid HTTP method.`);
  const upper = m.toUpperCase();
  if (["CONNECT", "TRACE", "TRACK"].includes(upper)) throw new TypeError(`'${m}' HTTP method is unsupported.`);
  return NORMALIZED_METHODS.includes(upper) ? upper : m;
}

export class Request extends Body {
  #method;
  #url;
  #headers;
  #redirect;

  constructor(input, init = {}) {
    super();
    init = init ?? {};
    let from = null;
    if (input instanceof Request) {
      from = input;
      this.#url = input.url;
    } else {
      let parsed;
      try {
        parsed = new URL(input instanceof URL ? input.href : String(input));
      } catch {
        throw new TypeError(`Failed to parse URL from ${String(input)}`);
      }
      if (parsed.username || parsed.password) {
        throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${parsed.href}`);
      }
      parsed.hash = "";
      this.#url = parsed.href;
    }
    this.#method = init.method !== undefined ? normalizeMethod(init.method) : (from?.method ?? "GET");
    this.#redirect = init.redirect ?? from?.redirect ?? "follow";
    if (!REDIRECTS.includes(this.#redirect)) {
      throw new TypeError(`Failed to construct 'Request': '${this.#redirect}' is not a valid RequestRedirect value`);
    }
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
    this.signal = init.signal ?? from?.signal ?? null;
    this.cache = init.cache ?? from?.cache ?? "default";
    this.credentials = init.credentials ?? from?.credentials ?? "same-origin";
    this.mode = init.mode ?? from?.mode ?? "cors";
    this.referrer = init.referrer ?? from?.referrer ?? "about:client";
    this.referrerPolicy = init.referrerPolicy ?? from?.referrerPolicy ?? "";
    this.integrity = init.integrity ?? from?.integrity ?? "";
    this.keepalive = init.keepalive ?? from?.keepalive ?? false;
    this.destination = "";

    const hasBody = init.body !== undefined && init.body !== null;
    if ((hasBody || (from && from._bytes !== null && init.body === undefined)) && (this.#method === "GET" || this.#method === "HEAD")) {
      throw new TypeError("Request with GET/HEAD method cannot have body.");
    }
    if (init.body !== undefined) {
      const [bytes, type] = extractBody(init.body);
      this._bytes = bytes;
      if (type !== null && !this.#headers.has("content-type")) this.#headers.append("content-type", type);
    } else if (from) {
      if (from.bodyUsed) throw new TypeError("Cannot construct a Request with a Request object that has already been used.");
      this._bytes = from._bytes;
    }
  }

  get method() {
    return this.#method;
  }

  get url() {
    return this.#url;
  }

  get headers() {
    return this.#headers;
  }

  get redirect() {
    return this.#redirect;
  }

  clone() {
    if (this.bodyUsed) throw new TypeError("Request.clone: Body has already been consumed.");
    return new Request(this);
  }

  get [Symbol.toStringTag]() {
    return "Request";
  }
}

// ---------------------------------------------------------------------------------------------
// Response.

const STATUS_TEXT = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content",
  205: "Reset Content", 206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
  405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
  409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
  414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
  418: "I'm a Teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
  424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
  429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported", 506: "Variant Also Negotiates",
  507: "Insufficient Storage", 508: "Loop Detected", 510: "Not Extended", 511: "Network Authentication Required",
};

const NULL_BODY_STATUS = [101, 103, 204, 205, 304];
const REDIRECT_STATUS = [301, 302, 303, 307, 308];

export class Response extends Body {
  #status;
  #statusText;
  #headers;
  #type = "default";
  #url = "";
  #redirected = false;

  constructor(body = null, init = {}) {
    super();
    init = init ?? {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    }
    const statusText = init.statusText === undefined ? "" : String(init.statusText);
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError("Invalid statusText");
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    if (body !== null && body !== undefined) {
      if (NULL_BODY_STATUS.includes(status)) throw new TypeError("Response constructor: Invalid response status code " + status);
      const [bytes, type] = extractBody(body);
      this._bytes = bytes;
      if (type !== null && !this.#headers.has("content-type")) this.#headers.append("content-type", type);
    }
  }

  /** A response as it came from the network (any status, immutable headers). */
  static _fromNetwork({ status, headers, bytes, url, redirected }) {
    const r = new Response(null, { status: 200 });
    r.#status = status;
    r.#statusText = STATUS_TEXT[status] ?? "";
    r.#headers = Headers._guard(new Headers(headers), "immutable");
    r._bytes = bytes;
    r.#type = "basic";
    r.#url = url;
    r.#redirected = redirected;
    return r;
  }

  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = "error";
    Headers._guard(r.#headers, "immutable");
    return r;
  }

  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Value is not JSON serializable");
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }

  static redirect(url, status = 302) {
    let parsed;
    try {
      parsed = new URL(String(url));
    } catch {
      throw new TypeError(`Failed to parse URL from ${url}`);
    }
    if (!REDIRECT_STATUS.includes(status)) throw new RangeError(`Invalid status code ${status}`);
    const r = new Response(null, { status: 200, headers: { location: parsed.href } });
    r.#status = status;
    Headers._guard(r.#headers, "immutable");
    return r;
  }

  get type() {
    return this.#type;
  }

  get url() {
    return this.#url;
  }

  get redirected() {
    return this.#redirected;
  }

  get status() {
    return this.#status;
  }

  get ok() {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText() {
    return this.#statusText;
  }

  get headers() {
    return this.#headers;
  }

  clone() {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.");
    const r = Response._fromNetwork({
      status: this.#status,
      headers: this.#headers,
      bytes: this._bytes,
      url: this.#url,
      redirected: this.#redirected,
    });
    r.#type = this.#type;
    r.#statusText = this.#statusText;
    return r;
  }

  get [Symbol.toStringTag]() {
    return "Response";
  }
}

// ---------------------------------------------------------------------------------------------
// wasi:http.

/** The failure of one exchange, with the text `fetch failed: ...` shows. */
class NetworkError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// error-code cases as their WIT names spell them; anything else is named by its words.
const ERROR_TEXT = {
  "dns-timeout": "DNS timeout",
  "destination-ip-prohibited": "destination IP prohibited",
  "destination-ip-unroutable": "destination IP unroutable",
  "tls-protocol-error": "TLS protocol error",
  "tls-certificate-error": "TLS certificate error",
  "http-request-uri-invalid": "HTTP request URI invalid",
  "http-request-uri-too-long": "HTTP request URI too long",
  "http-upgrade-failed": "HTTP upgrade failed",
};

// Node's codes for the causes it reports, where one fits.
const NODE_CODES = {
  "connection-refused": "ECONNREFUSED",
  "connection-terminated": "ECONNRESET",
  "connection-timeout": "UND_ERR_CONNECT_TIMEOUT",
  "connection-read-timeout": "UND_ERR_BODY_TIMEOUT",
  "http-response-timeout": "UND_ERR_HEADERS_TIMEOUT",
  "dns-error": "ENOTFOUND",
  "dns-timeout": "EAI_AGAIN",
  "destination-not-found": "ENOTFOUND",
  "destination-unavailable": "EHOSTUNREACH",
  "tls-certificate-error": "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
};

/** A readable sentence for a wasi:http `error-code` value (`{ tag, val }`). */
export function errorCodeText(code) {
  if (code === null || typeof code !== "object" || typeof code.tag !== "string") return String(code);
  const tag = code.tag;
  const key = tag.toLowerCase();
  const val = code.val;
  if (key === "internal-error") return typeof val === "string" && val !== "" ? val : "internal error";
  const text = ERROR_TEXT[key] ?? tag.replace(/-/g, " ");
  const details = [];
  if (val !== undefined && val !== null) {
    if (typeof val === "object") {
      if (val.rcode) details.push(`rcode ${val.rcode}`);
      if (val.infoCode !== undefined && val.infoCode !== null) details.push(`info code ${val.infoCode}`);
      if (val.alertId !== undefined && val.alertId !== null) details.push(`alert ${val.alertId}`);
      if (val.alertMessage) details.push(val.alertMessage);
      if (val.fieldName) details.push(`field ${val.fieldName}`);
      if (val.fieldSize !== undefined && val.fieldSize !== null) details.push(`${val.fieldSize} bytes`);
    } else if (key.endsWith("-size")) {
      details.push(`limit ${val} bytes`);
    } else {
      details.push(String(val));
    }
  }
  return details.length ? `${text} (${details.join(", ")})` : text;
}

function codeError(code) {
  return new NetworkError(errorCodeText(code), NODE_CODES[String(code?.tag).toLowerCase()] ?? String(code?.tag ?? "ERR"));
}

/** What a wasi:http call threw, as a NetworkError (an `error-code` in `payload`). */
function thrownError(e, what) {
  const payload = e?.payload;
  if (payload && typeof payload === "object" && typeof payload.tag === "string") return codeError(payload);
  return new NetworkError(`${what}: ${e?.message ?? String(e)}`, "ERR_INVALID_ARG");
}

function dispose(resource) {
  try {
    resource?.[Symbol.dispose]?.();
  } catch {
    // already moved into the host or gone
  }
}

const METHOD_TAGS = { GET: "get", HEAD: "head", POST: "post", PUT: "put", DELETE: "delete", CONNECT: "connect", OPTIONS: "options", TRACE: "trace", PATCH: "patch" };
// Hop-by-hop and host headers the host refuses (wasmtime-wasi-http's forbidden list); fnhost
// sets Host itself, as browsers drop these silently.
const FORBIDDEN = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings"];
const CHUNK = 64 * 1024;

/** A stream failure: `closed` is the end, anything else the exchange's error. */
function streamFailure(e) {
  const p = e?.payload;
  if (p && p.tag === "closed") return null;
  if (p && p.tag === "last-operation-failed") {
    let code = null;
    try {
      code = types.httpErrorCode(p.val);
    } catch {
      code = null;
    }
    const err = code ? codeError(code) : new NetworkError(`the connection failed: ${p.val?.toDebugString?.() ?? "I/O error"}`, "ECONNRESET");
    dispose(p.val);
    return err;
  }
  return thrownError(e, "stream");
}

function writeBody(body, bytes) {
  let stream;
  try {
    stream = body.write();
    for (let at = 0; at < bytes.length; ) {
      let room = Number(stream.checkWrite());
      if (room === 0) {
        const ready = stream.subscribe();
        ready.block();
        dispose(ready);
        continue;
      }
      const n = Math.min(room, CHUNK, bytes.length - at);
      stream.write(bytes.subarray(at, at + n));
      at += n;
    }
    stream.blockingFlush();
    dispose(stream);
    stream = null;
    types.OutgoingBody.finish(body, null);
    return null;
  } catch (e) {
    dispose(stream);
    dispose(body);
    return streamFailure(e) ?? new NetworkError("the request body could not be sent", "ECONNRESET");
  }
}

function readBody(stream) {
  const chunks = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(CHUNK);
    } catch (e) {
      const failure = streamFailure(e);
      if (failure) throw failure;
      break;
    }
    if (chunk.length > 0) {
      chunks.push(chunk instanceof Uint8Array ? chunk : Uint8Array.from(chunk));
      total += chunk.length;
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * One HTTP exchange over wasi:http: `{ method, url (a URL), headers ([name, value]), body
 * (Uint8Array or null) }` → `{ status, headers ([name, value]), bytes }`; throws NetworkError.
 */
function exchange({ method, url, headers, body }) {
  const list = headers.filter(([n]) => !FORBIDDEN.includes(n)).map(([n, v]) => [n, latin1Bytes(v)]);
  if (body !== null && !headers.some(([n]) => n === "content-length")) list.push(["content-length", latin1Bytes(String(body.length))]);
  let fields;
  try {
    fields = types.Fields.fromList(list);
  } catch (e) {
    throw new NetworkError(`invalid request headers (${e?.payload?.tag ?? e?.message ?? e})`, "ERR_INVALID_ARG");
  }
  const request = new types.OutgoingRequest(fields);
  try {
    request.setMethod(METHOD_TAGS[method] ? { tag: METHOD_TAGS[method] } : { tag: "other", val: method });
    request.setScheme({ tag: url.protocol === "https:" ? "HTTPS" : "HTTP" });
    request.setAuthority(url.host);
    request.setPathWithQuery(`${url.pathname}${url.search}`);
  } catch (e) {
    dispose(request);
    throw new NetworkError(`invalid request to ${url.href}: ${e?.message ?? e}`, "ERR_INVALID_URL");
  }
  const outgoing = body !== null ? request.body() : null;
  let future;
  try {
    future = outgoingHandler.handle(request, null);
  } catch (e) {
    dispose(outgoing);
    throw thrownError(e, "request refused");
  }
  // The body goes while the host sends; if the host refused, the response future says why.
  const bodyFailure = outgoing !== null ? writeBody(outgoing, body) : null;
  const ready = future.subscribe();
  ready.block();
  dispose(ready);
  const got = future.get();
  dispose(future);
  if (got === null || got === undefined || got.tag !== "ok") throw new NetworkError("the response was already taken", "ERR_INTERNAL");
  if (got.val.tag !== "ok") throw codeError(got.val.val);
  if (bodyFailure) {
    dispose(got.val.val);
    throw bodyFailure;
  }
  const response = got.val.val;
  try {
    const status = response.status();
    const fieldsIn = response.headers();
    const entries = fieldsIn.entries().map(([n, v]) => [n, latin1Text(v)]);
    dispose(fieldsIn);
    const incoming = response.consume();
    const stream = incoming.stream();
    let bytes;
    try {
      bytes = readBody(stream);
    } finally {
      dispose(stream);
      dispose(incoming);
    }
    return { status, headers: entries, bytes };
  } finally {
    dispose(response);
  }
}

// ---------------------------------------------------------------------------------------------
// fetch.

const BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type", "content-length"];

function failed(reason) {
  const cause = reason instanceof Error ? reason : new Error(String(reason));
  const err = new TypeError(`fetch failed: ${cause.message}`);
  err.cause = cause;
  return err;
}

function origin(url) {
  return `${url.protocol}//${url.host}`;
}

/** The fetch, synchronously: a Response, or throws the TypeError fetch rejects with. */
function fetchNow(request) {
  let url = new URL(request.url);
  let method = request.method;
  let headers = Headers._list(request.headers).map((p) => p.slice());
  let body = request._bytes;
  let redirects = 0;
  for (;;) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw failed(new NetworkError(`unsupported URL scheme "${url.protocol.slice(0, -1)}" in ${url.href} (fetch reaches http: and https: URLs)`, "ERR_INVALID_URL"));
    }
    let result;
    try {
      result = exchange({ method, url, headers, body });
    } catch (e) {
      throw failed(e);
    }
    const location = result.headers.find(([n]) => n === "location")?.[1];
    if (!REDIRECT_STATUS.includes(result.status) || location === undefined || request.redirect === "manual") {
      return Response._fromNetwork({
        status: result.status,
        headers: result.headers,
        bytes: method === "HEAD" || NULL_BODY_STATUS.includes(result.status) ? null : result.bytes,
        url: url.href,
        redirected: redirects > 0,
      });
    }
    if (request.redirect === "error") {
      throw failed(new NetworkError(`unexpected redirect to ${location} (redirect: "error")`, "ERR_REDIRECT"));
    }
    let next;
    try {
      next = new URL(location, url);
    } catch {
      throw failed(new NetworkError(`invalid redirect location ${JSON.stringify(location)}`, "ERR_INVALID_URL"));
    }
    if (++redirects > 20) throw failed(new NetworkError("redirect count exceeded", "ERR_REDIRECT"));
    if (((result.status === 301 || result.status === 302) && method === "POST") || (result.status === 303 && method !== "GET" && method !== "HEAD")) {
      method = "GET";
      body = null;
      headers = headers.filter(([n]) => !BODY_HEADERS.includes(n));
    }
    if (origin(next) !== origin(url)) {
      headers = headers.filter(([n]) => n !== "authorization" && n !== "proxy-authorization" && n !== "cookie");
    }
    next.hash = "";
    url = next;
  }
}

/** WHATWG fetch: a promise of the Response, rejected with TypeError("fetch failed: ...") */
export function fetch(input, init = undefined) {
  return new Promise((resolve) => {
    const request = new Request(input, init);
    if (request.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    resolve(fetchNow(request));
  });
}
