// An in-memory wasi:http host for fetch.js's unit tests: the bindings' shapes as componentize-qjs
// gives them (imported resources as classes with `[Symbol.dispose]`, `result` errors thrown as an
// Error whose `payload` is the err value, variants as `{ tag, val }` with the WIT case names), an
// allow-list checked per request as fnhost's host does, and a table of routes standing in for the
// servers. It checks what the real bindings would trap on (unknown variant cases, a parent
// resource dropped before its child, a resource used after it moved) and records every request.
import { register } from "node:module";

register("./http-hooks.mjs", import.meta.url);

/** A WIT `result` failure as the bindings throw it. */
function failure(payload) {
  const err = new Error(`${typeof payload === "string" ? payload : JSON.stringify(payload)} (see error.payload)`);
  err.payload = payload;
  return err;
}

const METHODS = ["get", "head", "post", "put", "delete", "connect", "options", "trace", "patch", "other"];
const SCHEMES = ["HTTP", "HTTPS", "other"];
const FORBIDDEN = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings"];

/** The fake host of the running test; tests replace it with `new FakeHttp(...)`. */
export const http = { host: null };

class Resource {
  constructor(host, kind, parent = null) {
    this.host = host;
    this.kind = kind;
    this.parent = parent;
    this.children = 0;
    this.dropped = false;
    this.moved = false;
    if (parent) parent.children++;
    host.live.add(this);
  }

  use() {
    if (this.dropped || this.moved) throw new Error(`trap: ${this.kind} used after it was dropped or moved`);
  }

  move() {
    this.use();
    if (this.children > 0) throw new Error(`trap: ${this.kind} moved while it has children`);
    this.moved = true;
    this.host.live.delete(this);
    if (this.parent) this.parent.children--;
  }

  [Symbol.dispose]() {
    if (this.moved) throw new Error(`${this.kind} was moved into the host`);
    if (this.dropped) return;
    if (this.children > 0) throw new Error(`trap: ${this.kind} dropped while it has ${this.children} child resource(s)`);
    this.dropped = true;
    this.host.live.delete(this);
    if (this.parent) this.parent.children--;
  }
}

class Fields extends Resource {
  constructor(host, entries = [], parent = null) {
    super(host, "fields", parent);
    this.list = entries.map(([n, v]) => [n, Uint8Array.from(v)]);
  }

  entries() {
    this.use();
    return this.list.map(([n, v]) => [n, Uint8Array.from(v)]);
  }
}

class OutputStream extends Resource {
  constructor(host, parent, sink, room) {
    super(host, "output-stream", parent);
    this.sink = sink;
    this.room = room;
    this.broken = null;
  }

  checkWrite() {
    this.use();
    if (this.broken) throw failure({ tag: "closed" });
    return this.room;
  }

  subscribe() {
    this.use();
    const p = new Pollable(this.host, this);
    p.onBlock = () => {
      this.room = 4096; // the reader caught up
    };
    return p;
  }

  write(bytes) {
    this.use();
    if (!(bytes instanceof Uint8Array)) throw new TypeError("list<u8> expected");
    if (bytes.length > this.room) throw new Error("trap: wrote more than check-write permitted");
    this.sink.push(...bytes);
    this.room -= bytes.length;
    if (this.room === 0) this.host.fullWrites++;
  }

  blockingFlush() {
    this.use();
  }
}

class Pollable extends Resource {
  constructor(host, parent) {
    super(host, "pollable", parent);
    this.onBlock = null;
  }

  block() {
    this.use();
    this.host.blocks++;
    this.onBlock?.();
  }
}

class InputStream extends Resource {
  constructor(host, parent, bytes, fail) {
    super(host, "input-stream", parent);
    this.bytes = bytes;
    this.at = 0;
    this.fail = fail;
  }

  blockingRead(len) {
    this.use();
    if (typeof len !== "number") throw new TypeError("u64 expected as a number");
    if (this.at >= this.bytes.length) {
      if (this.fail) throw failure({ tag: "last-operation-failed", val: new IoError(this.host, this.fail) });
      throw failure({ tag: "closed" });
    }
    const chunk = this.bytes.slice(this.at, this.at + Math.min(len, 1000));
    this.at += chunk.length;
    return chunk;
  }
}

class IoError extends Resource {
  constructor(host, code) {
    super(host, "error");
    this.code = code;
  }

  toDebugString() {
    return JSON.stringify(this.code);
  }
}

/** A host-side request as the tests see it. */
function recorded(req) {
  const headers = {};
  for (const [n, v] of req.headers.list) headers[n] = headers[n] ? `${headers[n]}, ${Buffer.from(v).toString("latin1")}` : Buffer.from(v).toString("latin1");
  return {
    method: req.method.tag === "other" ? req.method.val : req.method.tag.toUpperCase(),
    url: `${req.scheme.tag.toLowerCase()}://${req.authority}${req.pathWithQuery}`,
    headers,
    body: req.sink ? Buffer.from(req.sink).toString("utf8") : null,
    hasBody: req.sink !== null,
  };
}

export class FakeHttp {
  /**
   * `allowed`: origins the function may reach; `routes`: URL → (request) => response
   * `{ status, headers: [[n, v]], body, failBody }` or `{ error: error-code }`.
   * `refuseAt`: "handle" (the default, as fnhost) or "future", where a refusal shows.
   */
  constructor({ allowed = [], routes = {}, refuseAt = "handle", function: fn = "fetcher" } = {}) {
    this.allowed = allowed;
    this.routes = routes;
    this.refuseAt = refuseAt;
    this.fn = fn;
    this.live = new Set();
    this.requests = [];
    this.blocks = 0;
    this.fullWrites = 0;
    const host = this;

    class OutgoingRequest extends Resource {
      constructor(headers) {
        super(host, "outgoing-request");
        if (!(headers instanceof Fields)) throw new TypeError("own<fields> expected");
        headers.move();
        this.headers = headers;
        this.method = { tag: "get" };
        this.scheme = null;
        this.authority = null;
        this.pathWithQuery = null;
        this.sink = null;
        this.bodyTaken = false;
      }

      setMethod(m) {
        this.use();
        if (!METHODS.includes(m?.tag)) throw new Error(`trap: unknown variant case: ${m?.tag}`);
        this.method = m;
      }

      setScheme(s) {
        this.use();
        if (s !== null && !SCHEMES.includes(s?.tag)) throw new Error(`trap: unknown variant case: ${s?.tag}`);
        this.scheme = s;
      }

      setAuthority(a) {
        this.use();
        if (typeof a !== "string") throw new TypeError("option<string> expected");
        this.authority = a;
      }

      setPathWithQuery(p) {
        this.use();
        if (typeof p !== "string") throw new TypeError("option<string> expected");
        this.pathWithQuery = p;
      }

      body() {
        this.use();
        if (this.bodyTaken) throw failure(undefined);
        this.bodyTaken = true;
        this.sink = [];
        return new OutgoingBody(this);
      }
    }

    class OutgoingBody extends Resource {
      constructor(request) {
        super(host, "outgoing-body");
        this.request = request;
        this.writing = false;
      }

      write() {
        this.use();
        if (this.writing) throw failure(undefined);
        this.writing = true;
        return new OutputStream(host, this, this.request.sink, 100);
      }

      static finish(body, trailers) {
        if (!(body instanceof OutgoingBody)) throw new TypeError("own<outgoing-body> expected");
        if (trailers !== null) throw new TypeError("no trailers expected");
        body.move();
        body.request.finished = true;
      }
    }

    class FutureIncomingResponse extends Resource {
      constructor(outcome) {
        super(host, "future-incoming-response");
        this.outcome = outcome;
        this.taken = false;
        this.ready = false;
      }

      subscribe() {
        this.use();
        const p = new Pollable(host, this);
        p.onBlock = () => {
          this.ready = true;
        };
        return p;
      }

      get() {
        this.use();
        if (!this.ready) return null;
        if (this.taken) return { tag: "err" };
        this.taken = true;
        const outcome = this.outcome();
        if (outcome.error) return { tag: "ok", val: { tag: "err", val: outcome.error } };
        return { tag: "ok", val: { tag: "ok", val: new IncomingResponse(outcome) } };
      }
    }

    class IncomingResponse extends Resource {
      constructor(outcome) {
        super(host, "incoming-response");
        this.outcome = outcome;
        this.consumed = false;
      }

      status() {
        this.use();
        return this.outcome.status ?? 200;
      }

      headers() {
        this.use();
        const list = (this.outcome.headers ?? []).map(([n, v]) => [n.toLowerCase(), Buffer.from(v, "latin1")]);
        return new Fields(host, list, this);
      }

      consume() {
        this.use();
        if (this.consumed) throw failure(undefined);
        this.consumed = true;
        return new IncomingBody(this.outcome);
      }
    }

    class IncomingBody extends Resource {
      constructor(outcome) {
        super(host, "incoming-body");
        this.outcome = outcome;
      }

      stream() {
        this.use();
        const body = this.outcome.body ?? "";
        const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
        return new InputStream(host, this, Uint8Array.from(bytes), this.outcome.failBody ?? null);
      }
    }

    this.types = {
      Fields: Object.assign(
        class extends Fields {
          constructor() {
            super(host);
          }
        },
        {
          fromList(entries) {
            for (const [n, v] of entries) {
              if (typeof n !== "string" || !(v instanceof Uint8Array)) throw new TypeError("list<tuple<string, list<u8>>> expected");
              if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(n)) throw failure({ tag: "invalid-syntax" });
              if (FORBIDDEN.includes(n)) throw failure({ tag: "forbidden" });
            }
            return new Fields(host, entries);
          },
        },
      ),
      OutgoingRequest,
      OutgoingBody,
      FutureIncomingResponse,
      IncomingResponse,
      IncomingBody,
      httpErrorCode(err) {
        if (!(err instanceof IoError)) throw new TypeError("borrow<error> expected");
        return err.code;
      },
    };

    this.outgoingHandler = {
      handle(request, options) {
        if (!(request instanceof OutgoingRequest)) throw new TypeError("own<outgoing-request> expected");
        if (options !== null) throw new TypeError("no request options expected");
        request.move();
        const origin = `${request.scheme.tag.toLowerCase()}://${request.authority}`;
        const url = `${origin}${request.pathWithQuery}`;
        if (!host.allowed.includes(origin)) {
          const error = {
            tag: "internal-error",
            val: `outbound request to ${url} denied: function "${host.fn}" may not reach ${origin}; add "${origin}" to its allowed_outbound_hosts`,
          };
          if (host.refuseAt === "handle") throw failure(error);
          return new FutureIncomingResponse(() => ({ error }));
        }
        return new FutureIncomingResponse(() => {
          const req = recorded(request);
          if (request.sink !== null && !request.finished) throw new Error("the request body was never finished");
          host.requests.push(req);
          const route = host.routes[url] ?? host.routes[`${req.method} ${url}`];
          if (!route) return { status: 404, headers: [["content-type", "text/plain"]], body: "not found" };
          return route(req);
        });
      },
    };
  }

  /** Resources the guest still holds (leaks). */
  leaks() {
    return [...this.live].map((r) => r.kind);
  }
}
