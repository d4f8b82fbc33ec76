// Requests to the console API. Mutating requests carry the CSRF token; a 401 hands control to
// the login form; errors of both shapes (the console's and Lambda's) become ApiError.
// Only the request functions touch browser APIs, so the node tests can import parseError.

/** The console API's base path. */
export const BASE = '/console/api/';

/** The Lambda API passthrough's base path. */
export const LAMBDA = 'lambda/2015-03-31/';

let csrfToken = null;
let unauthorized = () => {};

/** Sets the CSRF token sent on POST/PUT/DELETE. */
export function setCsrf(token) {
  csrfToken = token;
}

/** Sets what happens on a 401 (the app shows the login form). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** An error answer of the console or the Lambda API. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Builds an ApiError from a response: `{"error":{"code","message"}}` (console endpoints),
 * Lambda's `{"Type"|"__type", "message"|"Message"}` with `X-Amzn-ErrorType`, or plain text.
 */
export function parseError(status, bodyText, errorTypeHeader) {
  let body = null;
  try {
    body = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  const headerType = errorTypeHeader ? String(errorTypeHeader).split(':')[0] : null;
  if (body && typeof body === 'object') {
    if (body.error && typeof body.error === 'object') {
      return new ApiError(status, body.error.code || headerType || `HTTP${status}`, body.error.message || `HTTP ${status}`);
    }
    const code = headerType || body.Type || body.__type || body.code || `HTTP${status}`;
    const message = body.message || body.Message || body.errorMessage;
    if (message || headerType || body.Type || body.__type) {
      return new ApiError(status, String(code).split('#').pop(), message || String(code));
    }
  }
  const text = (bodyText || '').trim();
  return new ApiError(status, headerType || `HTTP${status}`, text ? text.slice(0, 500) : `HTTP ${status}`);
}

/** A readable one-line message for any thrown value. */
export function errorMessage(err) {
  if (err instanceof ApiError) {
    return err.code && !err.code.startsWith('HTTP') ? `${err.code}: ${err.message}` : err.message;
  }
  if (err && err.name === 'AbortError') return 'cancelled';
  if (err instanceof TypeError) return `cannot reach fnhost (${err.message})`;
  return String(err && err.message ? err.message : err);
}

function isMutating(method) {
  return method !== 'GET' && method !== 'HEAD';
}

/**
 * Calls `BASE + path`. Options: `method`, `json` (sent as JSON), `body` + `contentType`,
 * `headers`, `signal`, `raw` (resolve to the Response). JSON answers are parsed, 204 is null,
 * other answers are text.
 */
export async function api(path, { method = 'GET', json, body, contentType, headers = {}, signal, raw = false } = {}) {
  const h = { ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    h['Content-Type'] = 'application/json';
  } else if (contentType) h['Content-Type'] = contentType;
  if (isMutating(method) && csrfToken) h['X-Fnhost-Csrf'] = csrfToken;
  const res = await fetch(BASE + path, { method, headers: h, body: payload, credentials: 'same-origin', signal });
  if (res.status === 401 && path !== 'login') unauthorized();
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw parseError(res.status, text, res.headers.get('X-Amzn-ErrorType'));
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

/** Calls the Lambda API passthrough: `lambda('functions/f')`. */
export function lambda(path, options) {
  return api(LAMBDA + path, options);
}

/**
 * Sends `body` with XMLHttpRequest so upload progress can be shown:
 * `onProgress(loaded, total)`. Resolves to the parsed JSON answer (or null).
 */
export function upload(path, { method = 'PUT', body, contentType, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, BASE + path);
    xhr.withCredentials = true;
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    if (csrfToken) xhr.setRequestHeader('X-Fnhost-Csrf', csrfToken);
    if (onProgress) {
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    }
    xhr.onload = () => {
      if (xhr.status === 401) unauthorized();
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(parseError(xhr.status, xhr.responseText, xhr.getResponseHeader('X-Amzn-ErrorType')));
        return;
      }
      const text = xhr.responseText;
      if (!text) return resolve(null);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    };
    xhr.onerror = () => reject(new TypeError('the upload failed (connection closed)'));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** `encodeURIComponent` for one path segment. */
export const seg = encodeURIComponent;
