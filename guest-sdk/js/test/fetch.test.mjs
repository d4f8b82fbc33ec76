// Unit tests of fnhost's fetch (guest-sdk/js/fetch.js) and URL (url.js) against an in-memory
// wasi:http host (fake-http.mjs): `node --test guest-sdk/js/test/*.test.mjs`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { fileURLToPath } from "node:url";

import { FakeHttp, http } from "./fake-http.mjs";

const { fetch, Headers, Request, Response, errorCodeText } = await import("../fetch.js");
const guestUrl = await import("../url.js");

const API = "http://127.0.0.1:8081";
const OTHER = "https://api.example.org";

let host;

function setHost(options) {
  host = new FakeHttp(options);
  http.host = host;
  return host;
}

beforeEach(() => {
  setHost({ allowed: [API, OTHER] });
});

afterEach(() => {
  // Every resource the fetch made was dropped, children first (the fake traps otherwise).
  assert.deepEqual(host.leaks(), []);
});

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

const echo = (req) => ({
  status: 200,
  headers: [["content-type", "application/json"]],
  body: JSON.stringify(req),
});

test("GET returns status, statusText, headers, url and the text of the body", async () => {
  host.routes[`${API}/hello?name=%ED%95%9C`] = () => ({
    status: 200,
    headers: [["Content-Type", "text/plain; charset=utf-8"], ["X-Multi", "a"], ["x-multi", "b"]],
    body: "안녕, fnhost",
  });
  const r = await fetch(`${API}/hello?name=한#frag`);
  assert.ok(r instanceof Response);
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(r.statusText, "OK");
  assert.equal(r.url, `${API}/hello?name=%ED%95%9C`);
  assert.equal(r.redirected, false);
  assert.equal(r.type, "basic");
  assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(r.headers.get("X-MULTI"), "a, b");
  assert.equal(await r.text(), "안녕, fnhost");
  assert.equal(r.bodyUsed, true);
  const [req] = host.requests;
  assert.equal(req.method, "GET");
  assert.equal(req.url, `${API}/hello?name=%ED%95%9C`);
  assert.equal(req.hasBody, false, "a GET sends no body");
  assert.equal(req.headers["content-length"], undefined);
  assert.ok(host.blocks >= 1, "the response future was waited for");
});

test("json(), arrayBuffer() and bytes() read the body once", async () => {
  host.routes[`${API}/data`] = () => ({ status: 200, headers: [["content-type", "application/json"]], body: '{"a":[1,2,{"b":"ü"}]}' });
  const r = await fetch(`${API}/data`);
  assert.deepEqual(await r.json(), { a: [1, 2, { b: "ü" }] });
  const again = await rejection(r.text());
  assert.ok(again instanceof TypeError);
  assert.match(again.message, /already been read/);

  const b = await fetch(`${API}/data`);
  const buf = await b.arrayBuffer();
  assert.ok(buf instanceof ArrayBuffer);
  assert.equal(Buffer.from(buf).toString("utf8"), '{"a":[1,2,{"b":"ü"}]}');
  const c = await fetch(new URL(`${API}/data`));
  assert.deepEqual(Array.from((await c.bytes()).subarray(0, 5)), [123, 34, 97, 34, 58]);
});

test("a large body is read to its end across many reads", async () => {
  const big = "x".repeat(200_000) + "end";
  host.routes[`${API}/big`] = () => ({ status: 200, body: big });
  const r = await fetch(`${API}/big`);
  assert.equal((await r.text()).length, big.length);
});

test("POST sends a JSON string body with content-length, in writes check-write allows", async () => {
  host.routes[`POST ${API}/echo`] = echo;
  const payload = JSON.stringify({ name: "fnhost", list: Array.from({ length: 100 }, (_, i) => i) });
  const r = await fetch(`${API}/echo`, {
    method: "post",
    headers: { "Content-Type": "application/json", "X-Trace": "t-1" },
    body: payload,
  });
  const seen = await r.json();
  assert.equal(seen.method, "POST");
  assert.equal(seen.body, payload);
  assert.equal(seen.headers["content-type"], "application/json");
  assert.equal(seen.headers["content-length"], String(Buffer.byteLength(payload)));
  assert.equal(seen.headers["x-trace"], "t-1");
  assert.ok(host.fullWrites > 0, "the body was longer than one check-write permit");
});

test("bodies: string, Uint8Array view, ArrayBuffer and URLSearchParams, with their content types", async () => {
  host.routes[`POST ${API}/echo`] = echo;
  host.routes[`PUT ${API}/echo`] = echo;
  const send = async (body, method = "POST") => (await fetch(`${API}/echo`, { method, body })).json();

  const text = await send("héllo");
  assert.equal(text.body, "héllo");
  assert.equal(text.headers["content-type"], "text/plain;charset=UTF-8");
  assert.equal(text.headers["content-length"], "6");

  const bytes = new TextEncoder().encode("..abc..");
  const view = await send(bytes.subarray(2, 5), "PUT");
  assert.equal(view.method, "PUT");
  assert.equal(view.body, "abc");
  assert.equal(view.headers["content-type"], undefined);

  const ab = await send(new TextEncoder().encode("raw").buffer);
  assert.equal(ab.body, "raw");

  const form = await send(new guestUrl.URLSearchParams({ q: "a b", lang: "ko" }));
  assert.equal(form.body, "q=a+b&lang=ko");
  assert.equal(form.headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8");

  const empty = await send("");
  assert.equal(empty.body, "");
  assert.equal(empty.headers["content-length"], "0");
});

test("a Request object carries method, headers and body into fetch", async () => {
  host.routes[`PATCH ${API}/echo`] = echo;
  const req = new Request(`${API}/echo`, { method: "PATCH", body: "patch body", headers: [["X-A", "1"]] });
  assert.equal(req.method, "PATCH");
  assert.equal(req.url, `${API}/echo`);
  const seen = await (await fetch(req)).json();
  assert.equal(seen.method, "PATCH");
  assert.equal(seen.body, "patch body");
  assert.equal(seen.headers["x-a"], "1");
});

test("a host refusal rejects with TypeError `fetch failed: MESSAGE` and the message as cause", async () => {
  for (const refuseAt of ["handle", "future"]) {
    setHost({ allowed: [API], refuseAt, function: "js-fetch" });
    const e = await rejection(fetch("http://127.0.0.1:9/x"));
    assert.ok(e instanceof TypeError, refuseAt);
    const message =
      'outbound request to http://127.0.0.1:9/x denied: function "js-fetch" may not reach http://127.0.0.1:9; add "http://127.0.0.1:9" to its allowed_outbound_hosts';
    assert.equal(e.message, `fetch failed: ${message}`);
    assert.ok(e.cause instanceof Error);
    assert.equal(e.cause.message, message);
    assert.equal(host.requests.length, 0);
    assert.deepEqual(host.leaks(), []);
  }
});

test("a refused POST drops its unsent body", async () => {
  setHost({ allowed: [], refuseAt: "handle" });
  const e = await rejection(fetch(`${API}/echo`, { method: "POST", body: "x".repeat(1000) }));
  assert.match(e.message, /^fetch failed: outbound request to http:\/\/127\.0\.0\.1:8081\/echo denied/);
});

test("other error codes read as their names, with Node's codes on the cause", async () => {
  host.routes[`${API}/refused`] = () => ({ error: { tag: "connection-refused" } });
  host.routes[`${API}/dns`] = () => ({ error: { tag: "DNS-error", val: { rcode: "NXDOMAIN", infoCode: null } } });
  host.routes[`${API}/tls`] = () => ({ error: { tag: "TLS-certificate-error" } });
  host.routes[`${API}/big`] = () => ({ status: 200, body: "partial", failBody: { tag: "HTTP-response-body-size", val: 1048576 } });
  host.routes[`${API}/internal`] = () => ({ error: { tag: "internal-error", val: null } });

  let e = await rejection(fetch(`${API}/refused`));
  assert.equal(e.message, "fetch failed: connection refused");
  assert.equal(e.cause.code, "ECONNREFUSED");
  e = await rejection(fetch(`${API}/dns`));
  assert.equal(e.message, "fetch failed: DNS error (rcode NXDOMAIN)");
  assert.equal(e.cause.code, "ENOTFOUND");
  e = await rejection(fetch(`${API}/tls`));
  assert.equal(e.message, "fetch failed: TLS certificate error");
  e = await rejection(fetch(`${API}/big`));
  assert.equal(e.message, "fetch failed: HTTP response body size (limit 1048576 bytes)");
  e = await rejection(fetch(`${API}/internal`));
  assert.equal(e.message, "fetch failed: internal error");
  assert.equal(errorCodeText({ tag: "HTTP-request-URI-too-long" }), "HTTP request URI too long");
});

test("redirects are followed (at most 20), 303 turns POST into GET, and url/redirected say so", async () => {
  host.routes[`POST ${API}/start`] = () => ({ status: 303, headers: [["location", "/next?x=1"]] });
  host.routes[`${API}/next?x=1`] = () => ({ status: 302, headers: [["location", `${OTHER}/final`]] });
  host.routes[`${OTHER}/final`] = echo;
  const r = await fetch(`${API}/start`, {
    method: "POST",
    body: '{"a":1}',
    headers: { "content-type": "application/json", authorization: "Bearer secret", "x-keep": "1" },
  });
  assert.equal(r.status, 200);
  assert.equal(r.redirected, true);
  assert.equal(r.url, `${OTHER}/final`);
  const seen = await r.json();
  assert.equal(seen.method, "GET");
  assert.equal(seen.hasBody, false);
  assert.equal(seen.headers["content-type"], undefined, "body headers go with the body");
  assert.equal(seen.headers.authorization, undefined, "credentials are not sent to another origin");
  assert.equal(seen.headers["x-keep"], "1");
  assert.deepEqual(
    host.requests.map((q) => `${q.method} ${q.url}`),
    [`POST ${API}/start`, `GET ${API}/next?x=1`, `GET ${OTHER}/final`],
  );
});

test("307 and 308 keep the method and the body", async () => {
  host.routes[`PUT ${API}/a`] = () => ({ status: 307, headers: [["location", `${API}/b`]] });
  host.routes[`PUT ${API}/b`] = () => ({ status: 308, headers: [["location", `${API}/echo`]] });
  host.routes[`PUT ${API}/echo`] = echo;
  const seen = await (await fetch(`${API}/a`, { method: "PUT", body: "same body", headers: { authorization: "t" } })).json();
  assert.equal(seen.method, "PUT");
  assert.equal(seen.body, "same body");
  assert.equal(seen.headers.authorization, "t", "same origin keeps credentials");
});

test("a redirect to a host not on the list is refused by the host", async () => {
  setHost({ allowed: [API], function: "js-fetch" });
  host.routes[`${API}/go`] = () => ({ status: 302, headers: [["location", "http://10.0.0.1:8080/internal"]] });
  const e = await rejection(fetch(`${API}/go`));
  assert.ok(e instanceof TypeError);
  assert.equal(
    e.message,
    'fetch failed: outbound request to http://10.0.0.1:8080/internal denied: function "js-fetch" may not reach http://10.0.0.1:8080; add "http://10.0.0.1:8080" to its allowed_outbound_hosts',
  );
  assert.equal(host.requests.length, 1);
});

test("redirect modes: manual returns the 3xx, error rejects, and a loop ends after 20", async () => {
  host.routes[`${API}/r`] = () => ({ status: 301, headers: [["location", `${API}/r`]] });
  const manual = await fetch(`${API}/r`, { redirect: "manual" });
  assert.equal(manual.status, 301);
  assert.equal(manual.statusText, "Moved Permanently");
  assert.equal(manual.headers.get("location"), `${API}/r`);
  assert.equal(manual.redirected, false);

  const e = await rejection(fetch(`${API}/r`, { redirect: "error" }));
  assert.equal(e.message, `fetch failed: unexpected redirect to ${API}/r (redirect: "error")`);

  host.requests.length = 0;
  const loop = await rejection(fetch(`${API}/r`));
  assert.equal(loop.message, "fetch failed: redirect count exceeded");
  assert.equal(host.requests.length, 21);

  assert.throws(() => new Request(`${API}/r`, { redirect: "sometimes" }), TypeError);
});

test("HEAD and 204 responses have no body; 4xx is a response, not a rejection", async () => {
  host.routes[`HEAD ${API}/h`] = () => ({ status: 200, headers: [["content-length", "5"]], body: "" });
  host.routes[`${API}/none`] = () => ({ status: 204 });
  host.routes[`${API}/missing`] = () => ({ status: 404, body: "nope" });
  const head = await fetch(`${API}/h`, { method: "HEAD" });
  assert.equal(head.body, null);
  assert.equal(await head.text(), "");
  const none = await fetch(`${API}/none`);
  assert.equal(none.status, 204);
  assert.equal(none.statusText, "No Content");
  assert.equal(none.body, null);
  const missing = await fetch(`${API}/missing`);
  assert.equal(missing.ok, false);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "nope");
});

test("request checks: GET with a body, bad URLs, credentials in URLs, unsupported schemes", async () => {
  assert.throws(() => new Request(`${API}/x`, { body: "b" }), { name: "TypeError", message: "Request with GET/HEAD method cannot have body." });
  assert.throws(() => new Request("/relative"), { name: "TypeError", message: "Failed to parse URL from /relative" });
  assert.throws(() => new Request("http://u:p@h/"), TypeError);
  assert.throws(() => new Request(`${API}/`, { method: "CONNECT" }), TypeError);
  assert.equal(new Request(`${API}/`, { method: "delete" }).method, "DELETE");
  assert.equal(new Request(`${API}/`, { method: "purge" }).method, "purge");
  const bad = await rejection(fetch("not a url"));
  assert.ok(bad instanceof TypeError);
  const ftp = await rejection(fetch("ftp://example.org/file"));
  assert.equal(ftp.message, 'fetch failed: unsupported URL scheme "ftp" in ftp://example.org/file (fetch reaches http: and https: URLs)');
  assert.equal(host.requests.length, 0);
});

test("forbidden and hop-by-hop request headers are dropped, others sent as given", async () => {
  host.routes[`${API}/echo`] = echo;
  const seen = await (
    await fetch(`${API}/echo`, { headers: { Host: "evil.example", Connection: "close", "Transfer-Encoding": "chunked", "X-Ok": "yes" } })
  ).json();
  assert.equal(seen.headers.host, undefined);
  assert.equal(seen.headers.connection, undefined);
  assert.equal(seen.headers["transfer-encoding"], undefined);
  assert.equal(seen.headers["x-ok"], "yes");
});

test("Headers: case-insensitive, combined, sorted, set-cookie apart, validated", () => {
  const h = new Headers({ "X-B": " 2 ", "x-a": "1" });
  h.append("X-A", "3");
  h.append("Set-Cookie", "a=1");
  h.append("set-cookie", "b=2");
  assert.equal(h.get("x-a"), "1, 3");
  assert.equal(h.get("x-b"), "2");
  assert.equal(h.has("X-B"), true);
  assert.deepEqual([...h], [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-a", "1, 3"], ["x-b", "2"]]);
  assert.deepEqual(h.getSetCookie(), ["a=1", "b=2"]);
  h.set("x-a", "only");
  h.delete("X-B");
  assert.deepEqual([...h.keys()], ["set-cookie", "set-cookie", "x-a"]);
  assert.throws(() => h.append("bad name", "x"), TypeError);
  assert.throws(() => h.append("x", "a\r\nb"), TypeError);
  assert.deepEqual([...new Headers([["a", "1"], ["b", "2"]]).values()], ["1", "2"]);
  assert.deepEqual([...new Headers(h).entries()].length, 3);
});

test("response headers are immutable and keep Latin-1 bytes", async () => {
  host.routes[`${API}/latin`] = () => ({ status: 200, headers: [["x-name", "Jos\xe9"]], body: "" });
  const r = await fetch(`${API}/latin`);
  assert.equal(r.headers.get("x-name"), "Jos\xe9");
  assert.throws(() => r.headers.set("x-name", "other"), TypeError);
});

test("Response: constructor, json(), redirect(), error(), clone()", async () => {
  const r = new Response("created", { status: 201, statusText: "Created", headers: { "x-a": "1" } });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get("content-type"), "text/plain;charset=UTF-8");
  const copy = r.clone();
  assert.equal(await r.text(), "created");
  assert.equal(await copy.text(), "created");
  const j = Response.json({ ok: true }, { status: 202 });
  assert.equal(j.headers.get("content-type"), "application/json");
  assert.deepEqual(await j.json(), { ok: true });
  const red = Response.redirect("https://example.org/x", 307);
  assert.equal(red.status, 307);
  assert.equal(red.headers.get("location"), "https://example.org/x");
  assert.equal(Response.error().type, "error");
  assert.throws(() => new Response("x", { status: 99 }), RangeError);
  assert.throws(() => new Response("x", { status: 204 }), TypeError);
  assert.equal(new Response().body, null);
});

test("URL parses as Node's URL does", () => {
  const cases = [
    ["http://Example.COM:80/a/./b/../c?x=1 2#f g"],
    ["https://user:pa ss@host:8443/p"],
    ["HTTP://[::1]:8080/"],
    ["http://[2001:db8:0:0:0:0:0:1]/"],
    ["http://0x7f.1/"],
    ["http://bücher.de/ü?ü#ü"],
    ["../x?y", "http://h/a/b/c"],
    ["//other/p", "https://h/a"],
    ["?q", "http://h/a/b#f"],
    ["#z", "http://h/a?b"],
    ["", "http://h/a?b#c"],
    ["mailto:someone@example.com"],
    ["data:text/plain,hello world"],
    ["http:\\\\h\\a\\b"],
    ["http://h/%2e%2E/x/%2e"],
    ["http://h/a b'c\"d<>`{}"],
    ["https://h/?a='b'"],
    ["http://a@b@c/"],
    ["https://h:443/"],
    ["web+x://host/p?q"],
  ];
  for (const [input, base] of cases) {
    assert.equal(new guestUrl.URL(input, base).href, new URL(input, base).href, `${input} against ${base}`);
  }
  for (const bad of ["http://h:65536/", "http://exa mple.com/", "not a url", "http://1.2.3.4.5/"]) {
    assert.throws(() => new guestUrl.URL(bad), TypeError, bad);
    assert.equal(guestUrl.URL.canParse(bad), false);
  }
  const u = new guestUrl.URL("https://h/p?a=1&b=2&a=3");
  assert.equal(u.origin, "https://h");
  u.searchParams.append("c", "d e");
  u.searchParams.delete("b");
  assert.equal(u.href, "https://h/p?a=1&a=3&c=d+e");
  u.pathname = "/q r";
  u.port = "8443";
  u.hostname = "Other.org";
  u.hash = "h";
  assert.equal(u.href, "https://other.org:8443/q%20r?a=1&a=3&c=d+e#h");
  assert.equal(u.host, "other.org:8443");
  assert.equal(JSON.stringify({ u }), '{"u":"https://other.org:8443/q%20r?a=1&a=3&c=d+e#h"}');
  const p = new guestUrl.URLSearchParams("?a=b+c&d=%20e&a=2");
  assert.deepEqual(p.getAll("a"), ["b c", "2"]);
  p.sort();
  assert.equal(p.toString(), "a=b+c&a=2&d=+e");
  assert.equal(new guestUrl.URLSearchParams({ "é": "&=" }).toString(), "%C3%A9=%26%3D");
});

/** The names of a component's top-level imports (its import sections, id 10). */
function componentImports(bytes) {
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return [value, at];
      shift += 7;
    }
  };
  const names = [];
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at];
    const [size, start] = leb(at + 1);
    if (id === 10) {
      const text = bytes.toString("latin1", start, start + size);
      for (const m of text.matchAll(/[a-z-]+:[a-z-]+\/[a-z-]+@[0-9.]+/g)) {
        if (bytes[start + m.index - 1] === m[0].length) names.push(m[0]);
      }
    }
    at = start + size;
  }
  return names;
}

test("a packaged function imports wasi:http 0.2.12 as the guest world does, and no staged names", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fnhost-js-fetch-"));
  try {
    fs.mkdirSync(path.join(dir, "fn"));
    fs.writeFileSync(
      path.join(dir, "fn", "index.mjs"),
      'export const handler = async (e) => (await fetch(e.url)).status;\n',
    );
    const packageSh = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package.sh");
    const out = path.join(dir, "out.wasm");
    const r = spawnSync("bash", [packageSh, path.join(dir, "fn"), out], { encoding: "utf8", env: { ...process.env, FNHOST_OPT_DIR: "" } });
    assert.equal(r.status, 0, r.stderr);
    const imports = componentImports(fs.readFileSync(out));
    for (const name of ["wasi:http/types@0.2.12", "wasi:http/outgoing-handler@0.2.12", "wasi:io/streams@0.2.11", "wasi:io/poll@0.2.11", "wasi:io/streams@0.2.12", "fnhost:function/runtime@0.1.0"]) {
      assert.ok(imports.includes(name), `${name} in ${imports.join(" ")}`);
    }
    assert.deepEqual(imports.filter((n) => n.includes("@0.9.")), []);
    assert.equal(new Set(imports).size, imports.length, "each import once");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
