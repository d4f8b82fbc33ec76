// Sending code (a .zip or .wasm) through the Lambda passthrough with progress, and following
// the function's state until it settles.

import { lambda, upload, seg, LAMBDA } from './api.js';
import { base64Encode } from './b64.js';

/** Lambda's limit for a zip sent in the request. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Why `file` cannot be uploaded, or null. */
export function fileProblem(file) {
  if (!file) return 'Choose a .wasm or .zip file.';
  if (!/\.(wasm|zip)$/i.test(file.name)) return `\`${file.name}\` is neither a .wasm nor a .zip file.`;
  if (file.size > MAX_UPLOAD_BYTES) return `\`${file.name}\` is ${(file.size / 1048576).toFixed(1)} MiB; the limit is 50 MiB.`;
  if (file.size === 0) return `\`${file.name}\` is empty.`;
  return null;
}

/**
 * Reads `file`, base64-encodes it in chunks and sends `makeBody(base64)` as JSON with
 * `method` to the passthrough `path`. `onProgress(phase, fraction)` reports "Reading",
 * "Encoding" and "Uploading".
 */
export async function sendCode(file, { method, path, makeBody, onProgress, signal }) {
  onProgress('Reading', 0);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (signal && signal.aborted) throw new DOMException('cancelled', 'AbortError');
  const b64 = await base64Encode(bytes, { onProgress: (done, total) => onProgress('Encoding', total ? done / total : 1) });
  const body = JSON.stringify(makeBody(b64));
  onProgress('Uploading', 0);
  return upload(LAMBDA + path, {
    method,
    body,
    contentType: 'application/json',
    signal,
    onProgress: (loaded, total) => onProgress('Uploading', total ? loaded / total : 0),
  });
}

/**
 * Polls GetFunction every 500 ms until `done(configuration)` is true; `onState(configuration)`
 * sees every answer. Resolves to the last configuration. Stops when `signal` aborts.
 */
export async function pollFunction(name, { done, onState, signal, intervalMs = 500 }) {
  for (;;) {
    const res = await lambda(`functions/${seg(name)}`, { signal });
    const conf = res.Configuration || {};
    onState(conf);
    if (done(conf)) return conf;
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, intervalMs);
      if (signal) signal.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('cancelled', 'AbortError')); }, { once: true });
    });
  }
}
