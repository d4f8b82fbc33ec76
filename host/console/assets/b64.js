// Base64 of large files (up to 50 MB) in chunks, yielding to the event loop between chunks so
// the page stays responsive and can show progress. Pure (no DOM); the node tests import it.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) CODES[i] = ALPHABET.charCodeAt(i);
const PAD = 61; // '='

/** Default chunk: 3 MiB of input (a multiple of 3, so chunks concatenate without padding). */
export const DEFAULT_CHUNK = 3 * 1024 * 1024;

/**
 * Encodes `bytes[start, end)` into `out` at `at` (ASCII codes); `end - start` must be a
 * multiple of 3 unless `end` is the end of the input. Returns the next output index.
 */
export function encodeInto(bytes, start, end, out, at) {
  let o = at;
  let i = start;
  const whole = end - ((end - start) % 3);
  for (; i < whole; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = CODES[n >>> 18];
    out[o++] = CODES[(n >>> 12) & 63];
    out[o++] = CODES[(n >>> 6) & 63];
    out[o++] = CODES[n & 63];
  }
  const left = end - i;
  if (left === 1) {
    const n = bytes[i] << 16;
    out[o++] = CODES[n >>> 18];
    out[o++] = CODES[(n >>> 12) & 63];
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (left === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out[o++] = CODES[n >>> 18];
    out[o++] = CODES[(n >>> 12) & 63];
    out[o++] = CODES[(n >>> 6) & 63];
    out[o++] = PAD;
  }
  return o;
}

/** The chunk boundaries `[start, end)` for `length` bytes, each chunk a multiple of 3. */
export function chunkRanges(length, chunkBytes = DEFAULT_CHUNK) {
  const size = Math.max(3, chunkBytes - (chunkBytes % 3));
  const ranges = [];
  for (let start = 0; start < length; start += size) {
    ranges.push([start, Math.min(length, start + size)]);
  }
  return ranges;
}

/**
 * Base64 of `bytes` (Uint8Array or ArrayBuffer). Calls `onProgress(doneBytes, totalBytes)`
 * after each chunk and yields to the event loop in between. Resolves to the string.
 */
export async function base64Encode(bytes, { chunkBytes = DEFAULT_CHUNK, onProgress } = {}) {
  const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const out = new Uint8Array(Math.ceil(input.length / 3) * 4);
  let at = 0;
  const ranges = chunkRanges(input.length, chunkBytes);
  for (const [start, end] of ranges) {
    at = encodeInto(input, start, end, out, at);
    if (onProgress) onProgress(end, input.length);
    if (ranges.length > 1) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // ASCII only, so latin1 decoding is exact.
  return new TextDecoder('latin1').decode(out);
}
