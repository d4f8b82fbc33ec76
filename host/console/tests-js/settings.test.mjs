import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TAGS, splitNames, splitLines, sameList, tagChanges, urlChange, tagsPath, untagPath, urlPath, unqualifiedUrl,
} from '../assets/settings.js';

test('names split on spaces, newlines and commas, each once', () => {
  assert.deepEqual(splitNames(' uploads  logs\nthumbs,uploads\r\n'), ['uploads', 'logs', 'thumbs']);
  assert.deepEqual(splitNames(''), []);
  assert.deepEqual(splitNames(undefined), []);
  assert.deepEqual(splitNames('https://api.example.com\nhttp://127.0.0.1:*'), ['https://api.example.com', 'http://127.0.0.1:*']);
});

test('layer lines keep their order and drop blanks', () => {
  assert.deepEqual(splitLines(' arn:b:2 \n\n arn:a:1\r\n'), ['arn:b:2', 'arn:a:1']);
  assert.deepEqual(splitLines('  \n'), []);
  assert.equal(sameList(['a', 'b'], ['a', 'b']), true);
  assert.equal(sameList(['a', 'b'], ['b', 'a']), false);
  assert.equal(sameList([], ['a']), false);
});

test('tag changes set what changed and remove what was emptied', () => {
  const tags = { [TAGS.read]: 'a b', [TAGS.invoke]: 'f', other: 'kept' };
  const wanted = { [TAGS.read]: ['b', 'a'], [TAGS.write]: ['uploads'], [TAGS.invoke]: [], [TAGS.outbound]: [] };
  assert.deepEqual(tagChanges(tags, wanted), { set: { [TAGS.write]: 'uploads' }, remove: [TAGS.invoke] });
  assert.deepEqual(tagChanges({}, { [TAGS.read]: [] }), { set: {}, remove: [] });
  assert.deepEqual(tagChanges({ [TAGS.outbound]: 'https://x.example' }, { [TAGS.outbound]: ['https://x.example', 'https://y.example'] }),
    { set: { [TAGS.outbound]: 'https://x.example https://y.example' }, remove: [] });
});

test('url changes create, update, delete or nothing', () => {
  assert.equal(urlChange(null, ''), null);
  assert.equal(urlChange('NONE', 'NONE'), null);
  assert.deepEqual(urlChange(null, 'NONE'), { method: 'POST', json: { AuthType: 'NONE' } });
  assert.deepEqual(urlChange('NONE', 'AWS_IAM'), { method: 'PUT', json: { AuthType: 'AWS_IAM' } });
  assert.deepEqual(urlChange('AWS_IAM', ''), { method: 'DELETE' });
});

test('paths encode the ARN as one segment and repeat tagKeys', () => {
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:f';
  assert.equal(tagsPath(arn), 'lambda/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af');
  assert.equal(untagPath(arn, ['fnhost:invoke', 'a b']), `${tagsPath(arn)}?tagKeys=fnhost%3Ainvoke&tagKeys=a%20b`);
  assert.equal(urlPath('a/b'), 'lambda/2021-10-31/functions/a%2Fb/url');
  const own = { FunctionArn: arn, AuthType: 'NONE' };
  assert.equal(unqualifiedUrl([{ FunctionArn: `${arn}:live` }, own], arn), own);
  assert.equal(unqualifiedUrl([], arn), null);
  assert.equal(unqualifiedUrl(undefined, arn), null);
});
