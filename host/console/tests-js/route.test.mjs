import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, functionHref, bucketHref, navOf } from '../assets/route.js';

test('empty hash is the functions list', () => {
  assert.equal(parseRoute('').page, 'functions');
  assert.equal(parseRoute('#/').page, 'functions');
  assert.equal(parseRoute('#/functions').page, 'functions');
});

test('function routes carry the decoded name and the tab', () => {
  const r = parseRoute('#/functions/s3-logger/test');
  assert.equal(r.page, 'function');
  assert.equal(r.name, 's3-logger');
  assert.equal(r.tab, 'test');
  assert.equal(parseRoute('#/functions/hello').tab, 'code');
  assert.equal(parseRoute('#/functions/a%2Fb%20c/logs').name, 'a/b c');
  assert.equal(parseRoute('#/functions/x/nope').page, 'notfound');
  assert.equal(parseRoute('#/functions/%E0%A4%A/code').page, 'notfound');
});

test('hrefs round-trip through the parser', () => {
  for (const name of ['hello', 'a b', 'ünï', 'x?y#z']) {
    const r = parseRoute(functionHref(name, 'monitor'));
    assert.equal(r.name, name);
    assert.equal(r.tab, 'monitor');
  }
  const b = parseRoute(bucketHref('uploads', 'img/2024 a/'));
  assert.equal(b.page, 'bucket');
  assert.equal(b.name, 'uploads');
  assert.equal(b.prefix, 'img/2024 a/');
  assert.equal(bucketHref('uploads'), '#/buckets/uploads');
});

test('other pages and the nav they belong to', () => {
  assert.equal(parseRoute('#/create').page, 'create');
  assert.equal(parseRoute('#/dead-letters').page, 'dead-letters');
  assert.equal(parseRoute('#/usage?since=7d').query.get('since'), '7d');
  assert.equal(parseRoute('#/buckets').page, 'buckets');
  assert.equal(parseRoute('#/elsewhere').page, 'notfound');
  assert.equal(parseRoute('#/create/extra').page, 'notfound');
  assert.equal(navOf(parseRoute('#/functions/x/logs')), 'functions');
  assert.equal(navOf(parseRoute('#/buckets/b')), 'buckets');
  assert.equal(navOf(parseRoute('#/usage')), 'usage');
});
