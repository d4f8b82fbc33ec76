import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnv, envFromRows, envKeyError } from '../assets/env.js';

test('KEY=VALUE lines, comments and blanks', () => {
  const { vars, errors } = parseEnv('A=1\n\n# note\nB = two words \nURL=https://x/?a=b=c\r\nEMPTY=');
  assert.deepEqual(errors, []);
  assert.deepEqual(vars, { A: '1', B: ' two words ', URL: 'https://x/?a=b=c', EMPTY: '' });
});

test('errors name the line', () => {
  const { errors } = parseEnv('A=1\nnovalue\n1X=2\nA=3\n=x');
  assert.deepEqual(errors.map((e) => e.line), [2, 3, 4, 5]);
  assert.match(errors[0].message, /KEY=VALUE/);
  assert.match(errors[1].message, /`1X`/);
  assert.match(errors[2].message, /twice/);
  assert.match(errors[3].message, /empty/);
});

test('the 4 KB total is enforced', () => {
  const { errors } = parseEnv(`BIG=${'x'.repeat(5000)}`);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].line, 0);
  assert.match(errors[0].message, /4096/);
});

test('key rule follows Lambda', () => {
  assert.equal(envKeyError('A_1'), null);
  assert.notEqual(envKeyError('_A'), null);
  assert.notEqual(envKeyError('A-B'), null);
});

test('editor rows skip blank rows and report row indexes', () => {
  const { vars, errors } = envFromRows([
    { key: 'A', value: '1' },
    { key: '', value: '' },
    { key: 'A', value: '2' },
    { key: 'b c', value: '3' },
  ]);
  assert.deepEqual(vars, { A: '1' });
  assert.deepEqual(errors.map((e) => e.row), [2, 3]);
});
