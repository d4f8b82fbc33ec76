// WHATWG `URL` and `URLSearchParams` for QuickJS, which has neither (runtime.js installs them on
// globalThis; fetch.js parses with them).
//
// The URL Standard's parser for what functions meet: special schemes (http, https, ws, wss, ftp,
// file) with their default ports, backslashes and dot segments, userinfo, IPv4 in every notation
// the standard accepts, IPv6 (compressed on output), internationalized domain names (lower-cased
// and Punycode-encoded; no UTS #46 mapping beyond that), percent-encoding of each component with
// the standard's sets, relative references against a base, and opaque paths (`mailto:`, `data:`).
// Setters re-parse what they are given as the standard's state overrides do, in simplified form.

const SPECIAL = { "ftp:": 21, "file:": null, "http:": 80, "https:": 443, "ws:": 80, "wss:": 443 };

function isSpecial(protocol) {
  return Object.prototype.hasOwnProperty.call(SPECIAL, protocol);
}

// Percent-encode sets (code points at or above 0x7f are always encoded).
const C0 = (c) => c < 0x20 || c > 0x7e;
const FRAGMENT = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const QUERY = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const SPECIAL_QUERY = (c) => QUERY(c) || c === 0x27;
const PATH = (c) => QUERY(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
const USERINFO = (c) =>
  PATH(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5d) || c === 0x7c;
const FORM = (c) => !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2a || c === 0x2d || c === 0x2e || c === 0x5f);

const HEX = "0123456789ABCDEF";

/** UTF-8 bytes of a string, lone surrogates as U+FFFD. */
export function utf8(text) {
  const out = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** UTF-8 decoding with U+FFFD for malformed sequences. */
export function utf8Decode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let need = 0;
    let c = 0;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      c = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      c = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      c = b & 0x07;
    } else {
      s += "\ufffd";
      i++;
      continue;
    }
    let j = 1;
    for (; j <= need; j++) {
      const n = bytes[i + j];
      if (n === undefined || (n & 0xc0) !== 0x80) break;
      c = (c << 6) | (n & 0x3f);
    }
    if (j <= need || (need === 2 && c < 0x800) || (need === 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) {
      s += "\ufffd";
      i += Math.max(1, j);
      continue;
    }
    s += String.fromCodePoint(c);
    i += need + 1;
  }
  return s;
}

function percentEncode(text, set, spaceAsPlus = false) {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (spaceAsPlus && c === 0x20) out += "+";
    else if (c < 0x80 && !set(c)) out += ch;
    else for (const b of utf8(ch)) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

function percentDecodeBytes(text) {
  const bytes = utf8(text);
  const out = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16));
      i += 2;
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

function isHex(b) {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

// ---------------------------------------------------------------------------------------------
// Hosts.

function parseIPv4Number(part) {
  if (part === "") return NaN;
  let radix = 10;
  if (/^0[xX]/.test(part)) {
    part = part.slice(2);
    radix = 16;
  } else if (part.length > 1 && part[0] === "0") {
    part = part.slice(1);
    radix = 8;
  }
  if (part === "") return 0;
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  return valid.test(part) ? parseInt(part, radix) : NaN;
}

/** The IPv4 address of `host` (a number), null when it is not one, or throws when malformed. */
function parseIPv4(host) {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  const last = parts[parts.length - 1];
  // Only a host whose last label is numeric is an IPv4 address (the "ends in a number" check).
  if (!(/^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last))) return null;
  if (parts.length > 4) throw new TypeError("Invalid URL");
  const numbers = parts.map(parseIPv4Number);
  if (numbers.some((n) => Number.isNaN(n))) throw new TypeError("Invalid URL");
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i] > 255) throw new TypeError("Invalid URL");
  if (numbers[numbers.length - 1] >= 256 ** (5 - numbers.length)) throw new TypeError("Invalid URL");
  let ipv4 = numbers[numbers.length - 1];
  for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
  return ipv4;
}

function serializeIPv4(n) {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

function parseIPv6(input) {
  const pieces = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0;
  let compress = null;
  let i = 0;
  const at = (k) => input[k];
  if (at(i) === ":") {
    if (at(i + 1) !== ":") throw new TypeError("Invalid URL");
    i += 2;
    compress = ++piece;
  }
  while (i < input.length) {
    if (piece === 8) throw new TypeError("Invalid URL");
    if (at(i) === ":") {
      if (compress !== null) throw new TypeError("Invalid URL");
      i++;
      compress = ++piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && i < input.length && /[0-9a-fA-F]/.test(at(i))) {
      value = value * 16 + parseInt(at(i), 16);
      i++;
      length++;
    }
    if (at(i) === ".") {
      if (length === 0 || piece > 6) throw new TypeError("Invalid URL");
      i -= length;
      const v4 = input.slice(i).split(".");
      if (v4.length !== 4 || v4.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
        throw new TypeError("Invalid URL");
      }
      pieces[piece++] = Number(v4[0]) * 256 + Number(v4[1]);
      pieces[piece++] = Number(v4[2]) * 256 + Number(v4[3]);
      i = input.length;
      break;
    }
    if (at(i) === ":") {
      i++;
      if (i >= input.length) throw new TypeError("Invalid URL");
    } else if (i < input.length) throw new TypeError("Invalid URL");
    pieces[piece++] = value;
  }
  if (compress !== null) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = pieces[compress + swaps - 1];
      pieces[compress + swaps - 1] = pieces[piece];
      pieces[piece] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) throw new TypeError("Invalid URL");
  return pieces;
}

function serializeIPv6(pieces) {
  // Compress the first longest run of two or more zero pieces.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (pieces[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && pieces[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = "";
  let ignore0 = false;
  for (let i = 0; i < 8; i++) {
    if (ignore0 && pieces[i] === 0) continue;
    ignore0 = false;
    if (best === i) {
      out += i === 0 ? "::" : ":";
      ignore0 = true;
      continue;
    }
    out += pieces[i].toString(16);
    if (i !== 7) out += ":";
  }
  return `[${out}]`;
}

// Punycode (RFC 3492) for labels with non-ASCII characters.
function punycode(label) {
  const base = 36;
  const cps = Array.from(label, (ch) => ch.codePointAt(0));
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join("");
  const basic = out.length;
  let handled = basic;
  if (basic > 0) out += "-";
  let n = 128;
  let delta = 0;
  let bias = 72;
  const digit = (d) => String.fromCharCode(d < 26 ? d + 97 : d + 22);
  const adapt = (d, count, first) => {
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / count);
    let k = 0;
    while (d > 455) {
      d = Math.floor(d / 35);
      k += base;
    }
    return k + Math.floor((36 * d) / (d + 38));
  };
  while (handled < cps.length) {
    const m = Math.min(...cps.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = base; ; k += base) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (base - t)));
          q = Math.floor((q - t) / (base - t));
        }
        out += digit(q);
        bias = adapt(delta, handled + 1, handled === basic);
        delta = 0;
        handled++;
      }
    }
    delta++;
    n++;
  }
  return `xn--${out}`;
}

const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\0-\x1f%\x7f #/:<>?@[\\\]^|]/;

function parseHost(input, special) {
  if (input.startsWith("[")) {
    if (!input.endsWith("]")) throw new TypeError("Invalid URL");
    return serializeIPv6(parseIPv6(input.slice(1, -1)));
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(input)) throw new TypeError("Invalid URL");
    return percentEncode(input, C0);
  }
  const domain = utf8Decode(percentDecodeBytes(input));
  const ascii = domain
    .toLowerCase()
    .split(/[.\u3002\uff0e\uff61]/)
    .map((label) => (/[^\0-\x7f]/.test(label) ? punycode(label.normalize ? label.normalize("NFC") : label) : label))
    .join(".");
  if (ascii === "" || FORBIDDEN_DOMAIN.test(ascii)) throw new TypeError("Invalid URL");
  const ipv4 = parseIPv4(ascii);
  return ipv4 === null ? ascii : serializeIPv4(ipv4);
}

// ---------------------------------------------------------------------------------------------
// The parser: a URL record { protocol, username, password, host (null or string), port (null or
// number), path (array, or a string for an opaque path), query (null or string), fragment }.

function shorten(path, protocol) {
  if (protocol === "file:" && path.length === 1 && /^[A-Za-z]:$/.test(path[0])) return;
  path.pop();
}

const SINGLE_DOT = /^(\.|%2e)$/i;
const DOUBLE_DOT = /^(\.|%2e)(\.|%2e)$/i;

function parsePath(text, record, special) {
  const segments = special ? text.split(/[/\\]/) : text.split("/");
  // A path that starts with a slash has an empty first segment.
  if (segments[0] === "") segments.shift();
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    if (DOUBLE_DOT.test(seg)) {
      shorten(record.path, record.protocol);
      if (last) record.path.push("");
    } else if (SINGLE_DOT.test(seg)) {
      if (last) record.path.push("");
    } else {
      record.path.push(percentEncode(seg, PATH));
    }
  }
}

function parseAuthority(text, record) {
  const at = text.lastIndexOf("@");
  if (at >= 0) {
    const info = text.slice(0, at);
    const colon = info.indexOf(":");
    record.username = percentEncode(colon >= 0 ? info.slice(0, colon) : info, USERINFO);
    record.password = colon >= 0 ? percentEncode(info.slice(colon + 1), USERINFO) : "";
    text = text.slice(at + 1);
  }
  let hostText = text;
  let portText = null;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(text);
  if (m) {
    hostText = m[1];
    portText = m[2] ?? null;
  }
  const special = isSpecial(record.protocol);
  if (hostText === "") {
    if (special && record.protocol !== "file:") throw new TypeError("Invalid URL");
    if (at >= 0 || portText !== null) throw new TypeError("Invalid URL");
    record.host = "";
  } else {
    record.host = parseHost(hostText, special);
  }
  if (record.protocol === "file:" && record.host === "localhost") record.host = "";
  record.port = null;
  if (portText !== null && portText !== "") {
    if (!/^[0-9]+$/.test(portText)) throw new TypeError("Invalid URL");
    const port = Number(portText);
    if (port > 65535) throw new TypeError("Invalid URL");
    record.port = port === SPECIAL[record.protocol] ? null : port;
  }
}

function emptyRecord(protocol) {
  return { protocol, username: "", password: "", host: null, port: null, path: [], query: null, fragment: null };
}

function splitTail(rest, record, special) {
  let fragment = null;
  let query = null;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  record.query = query === null ? null : percentEncode(query, special ? SPECIAL_QUERY : QUERY);
  record.fragment = fragment === null ? null : percentEncode(fragment, FRAGMENT);
  return rest;
}

/** Parse `input` against the base record `base` (or null); throws TypeError("Invalid URL"). */
function parse(input, base) {
  input = String(input)
    .replace(/^[\0-\x20]+|[\0-\x20]+$/g, "")
    .replace(/[\t\n\r]/g, "");
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input);
  if (scheme) {
    const protocol = `${scheme[1].toLowerCase()}:`;
    let rest = input.slice(scheme[0].length);
    const special = isSpecial(protocol);
    if (special && base && base.protocol === protocol && !/^[/\\]/.test(rest) && protocol !== "file:") {
      // "http:foo" against an http base is relative.
      return parseRelative(rest, base);
    }
    const record = emptyRecord(protocol);
    if (special) {
      rest = splitTail(rest, record, true);
      if (protocol === "file:") {
        const m = /^[/\\]{2}([^/\\]*)(.*)$/s.exec(rest);
        if (m) {
          parseAuthority(m[1], record);
          rest = m[2];
        } else record.host = "";
      } else {
        const m = /^[/\\]*([^/\\]*)(.*)$/s.exec(rest);
        parseAuthority(m[1], record);
        rest = m[2];
      }
      parsePath(rest, record, true);
      if (record.path.length === 0) record.path.push("");
      return record;
    }
    rest = splitTail(rest, record, false);
    if (rest.startsWith("//")) {
      const m = /^\/\/([^/]*)(.*)$/s.exec(rest);
      parseAuthority(m[1], record);
      parsePath(m[2], record, false);
    } else if (rest.startsWith("/")) {
      parsePath(rest, record, false);
    } else {
      record.path = percentEncode(rest, C0);
    }
    return record;
  }
  if (!base) throw new TypeError("Invalid URL");
  if (typeof base.path === "string" && !input.startsWith("#")) throw new TypeError("Invalid URL");
  return parseRelative(input, base);
}

function parseRelative(input, base) {
  const special = isSpecial(base.protocol);
  if ((special ? /^[/\\]{2}/ : /^\/\//).test(input)) return parse(`${base.protocol}${input}`, null);
  const record = { ...base, path: typeof base.path === "string" ? base.path : base.path.slice() };
  const tail = emptyRecord(base.protocol);
  const rest = splitTail(input, tail, special);
  record.fragment = tail.fragment;
  if (rest === "") {
    if (tail.query !== null) record.query = tail.query;
    return record;
  }
  record.query = tail.query;
  const absolute = rest.startsWith("/") || (special && rest.startsWith("\\"));
  if (absolute) record.path = [];
  else shorten(record.path, record.protocol);
  parsePath(absolute ? rest : `/${rest}`, record, special);
  if (record.path.length === 0 && special) record.path.push("");
  return record;
}

function serializeHost(record) {
  return record.port === null ? record.host : `${record.host}:${record.port}`;
}

function serializePath(record) {
  if (typeof record.path === "string") return record.path;
  const path = `/${record.path.join("/")}`;
  // "web+demo:/.//p": a path starting with an empty segment needs "/." without a host.
  return record.host === null && record.path.length > 1 && record.path[0] === "" ? `/.${path}` : path;
}

function serialize(record, excludeFragment = false) {
  let out = record.protocol;
  if (record.host !== null) {
    out += "//";
    if (record.username !== "" || record.password !== "") {
      out += record.username;
      if (record.password !== "") out += `:${record.password}`;
      out += "@";
    }
    out += serializeHost(record);
  }
  out += serializePath(record);
  if (record.query !== null) out += `?${record.query}`;
  if (!excludeFragment && record.fragment !== null) out += `#${record.fragment}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// URLSearchParams.

function parseForm(text) {
  const list = [];
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : "";
    list.push([formDecode(name), formDecode(value)]);
  }
  return list;
}

function formDecode(text) {
  return utf8Decode(percentDecodeBytes(text.replace(/\+/g, " ")));
}

function toUSV(value) {
  return String(value).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

export class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = "") {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map((p) => p.slice());
    } else if (init !== null && typeof init === "object") {
      if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          this.#list.push([toUSV(p[0]), toUSV(p[1])]);
        }
      } else {
        for (const key of Object.keys(init)) this.#list.push([toUSV(key), toUSV(init[key])]);
      }
    } else {
      const text = toUSV(init);
      this.#list = parseForm(text.startsWith("?") ? text.slice(1) : text);
    }
  }

  static _attach(params, url, query) {
    params.#url = url;
    params.#list = query ? parseForm(query) : [];
  }

  #update() {
    if (!this.#url) return;
    const text = this.toString();
    this.#url._setQuery(text === "" ? null : text);
  }

  get size() {
    return this.#list.length;
  }

  append(name, value) {
    this.#list.push([toUSV(name), toUSV(value)]);
    this.#update();
  }

  delete(name, value) {
    name = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    this.#list = this.#list.filter(([n, x]) => !(n === name && (v === undefined || x === v)));
    this.#update();
  }

  get(name) {
    name = toUSV(name);
    const found = this.#list.find(([n]) => n === name);
    return found ? found[1] : null;
  }

  getAll(name) {
    name = toUSV(name);
    return this.#list.filter(([n]) => n === name).map(([, v]) => v);
  }

  has(name, value) {
    name = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    return this.#list.some(([n, x]) => n === name && (v === undefined || x === v));
  }

  set(name, value) {
    name = toUSV(name);
    value = toUSV(value);
    const i = this.#list.findIndex(([n]) => n === name);
    if (i < 0) this.#list.push([name, value]);
    else {
      this.#list[i][1] = value;
      this.#list = this.#list.filter(([n], j) => j <= i || n !== name);
    }
    this.#update();
  }

  sort() {
    // Stable, by UTF-16 code units of the names.
    this.#list = this.#list
      .map((p, i) => [p, i])
      .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
      .map(([p]) => p);
    this.#update();
  }

  forEach(callback, thisArg) {
    for (const [n, v] of this.#list.slice()) callback.call(thisArg, v, n, this);
  }

  *entries() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i].slice();
  }

  *keys() {
    for (const [n] of this.entries()) yield n;
  }

  *values() {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  toString() {
    return this.#list.map(([n, v]) => `${percentEncode(n, FORM, true)}=${percentEncode(v, FORM, true)}`).join("&");
  }

  get [Symbol.toStringTag]() {
    return "URLSearchParams";
  }
}

// ---------------------------------------------------------------------------------------------
// URL.

export class URL {
  #r;
  #params;

  constructor(url, base) {
    let baseRecord = null;
    if (base !== undefined) baseRecord = parse(base instanceof URL ? base.href : String(base), null);
    this.#r = parse(url instanceof URL ? url.href : String(url), baseRecord);
    this.#params = new URLSearchParams();
    URLSearchParams._attach(this.#params, this, this.#r.query);
  }

  static canParse(url, base) {
    try {
      new URL(url, base);
      return true;
    } catch {
      return false;
    }
  }

  static parse(url, base) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  _setQuery(query) {
    this.#r.query = query;
  }

  get href() {
    return serialize(this.#r);
  }

  set href(value) {
    this.#r = parse(String(value), null);
    URLSearchParams._attach(this.#params, this, this.#r.query);
  }

  get origin() {
    const r = this.#r;
    if (r.protocol === "blob:" && typeof r.path === "string") {
      try {
        return new URL(r.path).origin;
      } catch {
        return "null";
      }
    }
    if (!isSpecial(r.protocol) || r.protocol === "file:") return "null";
    return `${r.protocol}//${serializeHost(r)}`;
  }

  get protocol() {
    return this.#r.protocol;
  }

  set protocol(value) {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*)/.exec(String(value));
    if (!m) return;
    const protocol = `${m[1].toLowerCase()}:`;
    if (isSpecial(protocol) !== isSpecial(this.#r.protocol)) return;
    if (protocol === "file:" && (this.#r.username || this.#r.password || this.#r.port !== null)) return;
    this.#r.protocol = protocol;
    if (this.#r.port === SPECIAL[protocol]) this.#r.port = null;
  }

  get username() {
    return this.#r.username;
  }

  set username(value) {
    if (this.#r.host === null || this.#r.host === "" || this.#r.protocol === "file:") return;
    this.#r.username = percentEncode(String(value), USERINFO);
  }

  get password() {
    return this.#r.password;
  }

  set password(value) {
    if (this.#r.host === null || this.#r.host === "" || this.#r.protocol === "file:") return;
    this.#r.password = percentEncode(String(value), USERINFO);
  }

  get host() {
    return this.#r.host === null ? "" : serializeHost(this.#r);
  }

  set host(value) {
    if (typeof this.#r.path === "string") return;
    const copy = { ...this.#r };
    try {
      const text = String(value).split(/[/\\?#]/)[0];
      if (text === "" && isSpecial(copy.protocol)) return;
      const port = copy.port;
      parseAuthority(text.replace(/^.*@/, ""), copy);
      if (!/:[0-9]/.test(text.replace(/^\[[^\]]*\]/, ""))) copy.port = port;
      copy.username = this.#r.username;
      copy.password = this.#r.password;
      this.#r = copy;
    } catch {
      // Invalid hosts leave the URL unchanged, as in browsers.
    }
  }

  get hostname() {
    return this.#r.host ?? "";
  }

  set hostname(value) {
    if (typeof this.#r.path === "string") return;
    const text = String(value).split(/[/\\?#:]/)[0];
    if (text === "" && isSpecial(this.#r.protocol)) return;
    try {
      this.#r.host = parseHost(text, isSpecial(this.#r.protocol));
    } catch {
      // unchanged
    }
  }

  get port() {
    return this.#r.port === null ? "" : String(this.#r.port);
  }

  set port(value) {
    if (this.#r.host === null || this.#r.host === "" || this.#r.protocol === "file:") return;
    const text = String(value);
    if (text === "") {
      this.#r.port = null;
      return;
    }
    const m = /^[0-9]+/.exec(text);
    if (!m || Number(m[0]) > 65535) return;
    const port = Number(m[0]);
    this.#r.port = port === SPECIAL[this.#r.protocol] ? null : port;
  }

  get pathname() {
    return serializePath(this.#r);
  }

  set pathname(value) {
    if (typeof this.#r.path === "string") return;
    this.#r.path = [];
    const text = String(value);
    const special = isSpecial(this.#r.protocol);
    parsePath(text.startsWith("/") || (special && text.startsWith("\\")) ? text : `/${text}`, this.#r, special);
    if (special && this.#r.path.length === 0) this.#r.path.push("");
  }

  get search() {
    return this.#r.query === null || this.#r.query === "" ? "" : `?${this.#r.query}`;
  }

  set search(value) {
    const text = String(value).replace(/^\?/, "");
    this.#r.query = text === "" && String(value) === "" ? null : percentEncode(text, isSpecial(this.#r.protocol) ? SPECIAL_QUERY : QUERY);
    URLSearchParams._attach(this.#params, this, this.#r.query);
  }

  get searchParams() {
    return this.#params;
  }

  get hash() {
    return this.#r.fragment === null || this.#r.fragment === "" ? "" : `#${this.#r.fragment}`;
  }

  set hash(value) {
    const text = String(value);
    this.#r.fragment = text === "" ? null : percentEncode(text.replace(/^#/, ""), FRAGMENT);
  }

  toString() {
    return this.href;
  }

  toJSON() {
    return this.href;
  }

  get [Symbol.toStringTag]() {
    return "URL";
  }
}
