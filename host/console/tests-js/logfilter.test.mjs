import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, Ring } from '../assets/logfilter.js';

const entry = (log, extra = {}) => ({ function: 's3-logger', requestId: 'abc-123', trigger: 's3', errorType: null, log, ...extra });

test('an empty filter matches everything', () => {
  assert.equal(compileFilter('')(entry('x')), true);
  assert.equal(compileFilter('   ')(entry('x')), true);
});

test('all terms must match, case-insensitively, across fields', () => {
  const f = compileFilter('REPORT abc');
  assert.equal(f(entry('REPORT RequestId: x')), true);
  assert.equal(f(entry('START RequestId: x')), false);
  assert.equal(compileFilter('파일')(entry('새 파일 업로드')), true);
  assert.equal(compileFilter('Unhandled')(entry('', { errorType: 'Unhandled' })), true);
});

test('a leading minus excludes', () => {
  const f = compileFilter('-START');
  assert.equal(f(entry('START x')), false);
  assert.equal(f(entry('END x')), true);
});

test('the ring keeps the newest entries', () => {
  const r = new Ring(3);
  let dropped = 0;
  for (let i = 0; i < 5; i++) dropped += r.push(i);
  assert.deepEqual(r.toArray(), [2, 3, 4]);
  assert.equal(dropped, 2);
  assert.equal(r.size, 3);
  r.clear();
  assert.equal(r.size, 0);
});

test('the default capacity is 1,000', () => {
  const r = new Ring();
  for (let i = 0; i < 1500; i++) r.push(i);
  assert.equal(r.size, 1000);
  assert.equal(r.toArray()[0], 500);
});
