import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { base64Encode, chunkRanges } from '../assets/b64.js';

test('matches Buffer for every tail length and odd chunk sizes', async () => {
  for (const len of [0, 1, 2, 3, 4, 5, 6, 7, 100, 1001]) {
    const bytes = new Uint8Array(randomBytes(len));
    const want = Buffer.from(bytes).toString('base64');
    for (const chunk of [3, 4, 7, 64, 1 << 20]) {
      assert.equal(await base64Encode(bytes, { chunkBytes: chunk }), want, `len ${len} chunk ${chunk}`);
    }
  }
});

test('chunks are multiples of three and cover the input', () => {
  const ranges = chunkRanges(10, 4);
  assert.deepEqual(ranges, [[0, 3], [3, 6], [6, 9], [9, 10]]);
  assert.deepEqual(chunkRanges(0, 4), []);
});

test('progress is reported per chunk up to the total', async () => {
  const bytes = new Uint8Array(randomBytes(10_000));
  const seen = [];
  const out = await base64Encode(bytes.buffer, { chunkBytes: 3000, onProgress: (done, total) => seen.push([done, total]) });
  assert.equal(out, Buffer.from(bytes).toString('base64'));
  assert.deepEqual(seen.map(([d]) => d), [3000, 6000, 9000, 10_000]);
  assert.ok(seen.every(([, t]) => t === 10_000));
});

test('a 50 MiB file encodes correctly', async () => {
  const bytes = new Uint8Array(50 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 4099) bytes[i] = i & 255;
  const out = await base64Encode(bytes);
  assert.equal(out.length, Math.ceil(bytes.length / 3) * 4);
  assert.equal(out, Buffer.from(bytes).toString('base64'));
});
