import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseError, errorMessage, ApiError } from '../assets/api.js';

test('console error shape', () => {
  const e = parseError(404, '{"error":{"code":"NotFound","message":"no function `x`"}}', null);
  assert.ok(e instanceof ApiError);
  assert.equal(e.status, 404);
  assert.equal(e.code, 'NotFound');
  assert.equal(e.message, 'no function `x`');
  assert.equal(errorMessage(e), 'NotFound: no function `x`');
});

test('Lambda error shape with the header', () => {
  const e = parseError(409, '{"Type":"User","message":"The function is currently in the following state: Pending"}', 'ResourceConflictException:http://internal.amazon.com/coral/com.amazonaws.lambda/');
  assert.equal(e.code, 'ResourceConflictException');
  assert.match(e.message, /Pending/);
  const m = parseError(400, '{"__type":"com.amazon#InvalidParameterValueException","Message":"bad memory"}', null);
  assert.equal(m.code, 'InvalidParameterValueException');
  assert.equal(m.message, 'bad memory');
});

test('plain text and empty bodies', () => {
  assert.equal(parseError(502, 'Bad Gateway', null).message, 'Bad Gateway');
  const e = parseError(500, '', null);
  assert.equal(e.code, 'HTTP500');
  assert.equal(errorMessage(e), 'HTTP 500');
  assert.equal(parseError(413, 'x'.repeat(2000), null).message.length, 500);
});
