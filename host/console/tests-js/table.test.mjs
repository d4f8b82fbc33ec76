import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterRows, sortRows, defaultDescending } from '../assets/table.js';

const rows = [
  { name: 'hello', runtime: null, kind: 'handler', triggers: [{ type: 'http', detail: 'GET /hello' }], memoryMb: 128, timeoutS: 3, lastModified: '2026-11-30T10:00:00Z', stats: { invocations: 5, errors: 0, throttles: 0, p95Ms: 1.5 } },
  { name: 's3-logger', runtime: 'python3.12', kind: 'handler', triggers: [{ type: 's3', detail: 'uploads ObjectCreated' }], memoryMb: 256, timeoutS: 10, lastModified: '2026-11-30T12:00:00Z', stats: { invocations: 50, errors: 2, throttles: 1, p95Ms: null } },
  { name: 'Zeta', runtime: 'nodejs20.x', kind: 'handler', triggers: [], memoryMb: 512, timeoutS: 3, lastModified: '2026-11-29T12:00:00Z', stats: { invocations: 0, errors: 0, throttles: 0, p95Ms: 9 } },
];

test('search matches name, runtime and trigger detail, all terms', () => {
  assert.deepEqual(filterRows(rows, 'LOGGER').map((r) => r.name), ['s3-logger']);
  assert.deepEqual(filterRows(rows, 'python').map((r) => r.name), ['s3-logger']);
  assert.deepEqual(filterRows(rows, 'get /hello').map((r) => r.name), ['hello']);
  assert.deepEqual(filterRows(rows, 'handler s3').map((r) => r.name), ['s3-logger']);
  assert.equal(filterRows(rows, '').length, 3);
  assert.equal(filterRows(rows, 'nothing-like-this').length, 0);
});

test('sorting by name, numbers and dates', () => {
  // Code-point order, as Python's sorted() and `sort` with LC_ALL=C.
  assert.deepEqual(sortRows(rows, 'name').map((r) => r.name), ['Zeta', 'hello', 's3-logger']);
  assert.deepEqual(sortRows(rows, 'name', 'desc').map((r) => r.name), ['s3-logger', 'hello', 'Zeta']);
  assert.deepEqual(sortRows(rows, 'memory', 'desc').map((r) => r.name), ['Zeta', 's3-logger', 'hello']);
  assert.deepEqual(sortRows(rows, 'modified', 'desc').map((r) => r.name), ['s3-logger', 'hello', 'Zeta']);
  assert.deepEqual(sortRows(rows, 'invocations', 'asc').map((r) => r.name), ['Zeta', 'hello', 's3-logger']);
  // Ties keep name order.
  assert.deepEqual(sortRows(rows, 'timeout', 'asc').map((r) => r.name), ['Zeta', 'hello', 's3-logger']);
});

test('null p95 sorts last in both directions', () => {
  assert.equal(sortRows(rows, 'p95', 'asc').at(-1).name, 's3-logger');
  assert.equal(sortRows(rows, 'p95', 'desc').at(-1).name, 's3-logger');
  assert.equal(sortRows(rows, 'p95', 'desc')[0].name, 'Zeta');
});

test('sorting does not mutate the input', () => {
  const copy = rows.slice();
  sortRows(rows, 'memory', 'desc');
  assert.deepEqual(rows, copy);
  assert.equal(defaultDescending('name'), false);
  assert.equal(defaultDescending('errors'), true);
});

test('sorting 1,000 rows by a date', () => {
  const many = Array.from({ length: 1000 }, (_, i) => ({ ...rows[i % 3], name: `f${String(i).padStart(4, '0')}`, lastModified: new Date(1e12 + ((i * 7919) % 1000) * 1000).toISOString() }));
  const sorted = sortRows(many, 'modified', 'asc');
  for (let i = 1; i < sorted.length; i++) assert.ok(Date.parse(sorted[i - 1].lastModified) <= Date.parse(sorted[i].lastModified));
});
