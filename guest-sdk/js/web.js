// The web platform's network globals: `fetch` with `Headers`, `Request` and `Response` over
// wasi:http (fetch.js), and the URL Standard's `URL` and `URLSearchParams`, which QuickJS lacks
// (url.js). package.mjs bundles this module only into functions whose code names one of them:
// 1,600 lines of JavaScript in the snapshot cost every event about a third more time, which a
// function that never calls out should not pay.
import { fetch, Headers, Request, Response } from "./fetch.js";
import { URL, URLSearchParams } from "./url.js";

Object.assign(globalThis, {
  fetch,
  Headers,
  Request,
  Response,
  URL: globalThis.URL ?? URL,
  URLSearchParams: globalThis.URLSearchParams ?? URLSearchParams,
});
