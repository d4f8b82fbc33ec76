import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCount, formatMs, formatBytes, formatUsd, formatSeconds, relativeTime, absoluteTime, toMs, prettyJson, clockLabel,
} from '../assets/format.js';

test('counts are exact below 10,000 and shortened above', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1,000');
  assert.equal(formatCount(9999), '9,999');
  assert.equal(formatCount(12345), '12k');
  assert.equal(formatCount(123456), '123k');
  assert.equal(formatCount(1234567), '1.2M');
  assert.equal(formatCount(3e9), '3G');
  assert.equal(formatCount(-1500), '-1,500');
  assert.equal(formatCount(-15000), '-15k');
  assert.equal(formatCount(null), '—');
});

test('milliseconds keep two decimals', () => {
  assert.equal(formatMs(12.345), '12.35 ms');
  assert.equal(formatMs(0), '0.00 ms');
  assert.equal(formatMs(undefined), '—');
});

test('bytes use binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MiB');
});

test('small costs keep six decimals', () => {
  assert.equal(formatUsd(0), '$0.00');
  assert.equal(formatUsd(0.0000166667), '$0.000017');
  assert.equal(formatUsd(1.5), '$1.50');
});

test('seconds become minutes when whole', () => {
  assert.equal(formatSeconds(3), '3 s');
  assert.equal(formatSeconds(900), '15 min');
  assert.equal(formatSeconds(90), '90 s');
});

test('relative times in the past and the future', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  assert.equal(relativeTime(now - 2000, now), 'just now');
  assert.equal(relativeTime(now - 30_000, now), '30 s ago');
  assert.equal(relativeTime(now - 5 * 60_000, now), '5 min ago');
  assert.equal(relativeTime(now - 3 * 3_600_000, now), '3 h ago');
  assert.equal(relativeTime(now - 4 * 86_400_000, now), '4 d ago');
  assert.equal(relativeTime(now + 10 * 60_000, now), 'in 10 min');
  assert.equal(relativeTime('2026-11-30T11:00:00.000+0000', now), '1 h ago');
  assert.equal(relativeTime(null, now), '—');
});

test('absolute times are UTC and Lambda timestamps parse', () => {
  assert.equal(absoluteTime(Date.parse('2026-11-30T15:32:37.123Z')), '2026-11-30 15:32:37 UTC');
  assert.equal(toMs('2024-01-02T03:04:05.000+0000'), Date.parse('2024-01-02T03:04:05Z'));
  assert.equal(toMs('not a date'), null);
  assert.equal(clockLabel(Date.parse('2026-11-30T15:32:37Z')), '15:32');
  assert.equal(clockLabel(Date.parse('2026-11-30T15:32:37Z'), true), '11-30 15:32');
});

test('JSON is pretty-printed and other text left alone', () => {
  assert.equal(prettyJson('{"a":1}'), '{\n  "a": 1\n}');
  assert.equal(prettyJson('hello'), 'hello');
});
