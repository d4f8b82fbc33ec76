import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceStep, yScale, yPixel, maxOf, stackTotals, sparklinePoints, labelEvery } from '../assets/chart.js';

test('nice steps are 1, 2, 2.5 or 5 times a power of ten', () => {
  assert.equal(niceStep(100, 4), 25);
  assert.equal(niceStep(7, 4), 2);
  assert.equal(niceStep(0.3, 4), 0.1);
  assert.equal(niceStep(0, 4), 1);
});

test('the y scale covers the maximum with whole steps from zero', () => {
  const s = yScale(93);
  assert.ok(s.max >= 93);
  assert.equal(s.ticks[0], 0);
  assert.equal(s.ticks[s.ticks.length - 1], s.max);
  assert.deepEqual(yScale(100).ticks, [0, 25, 50, 75, 100]);
  assert.deepEqual(yScale(0).ticks, [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(yScale(0.3).ticks, [0, 0.1, 0.2, 0.3]);
});

test('counts get whole steps', () => {
  assert.deepEqual(yScale(0, 4, true).ticks, [0, 1]);
  assert.deepEqual(yScale(1, 4, true).ticks, [0, 1]);
  assert.deepEqual(yScale(3, 4, true).ticks, [0, 1, 2, 3]);
  assert.deepEqual(yScale(7, 4, true).ticks, [0, 2, 4, 6, 8]);
  assert.deepEqual(yScale(1000, 4, true).ticks, [0, 250, 500, 750, 1000]);
});

test('pixels map zero to the bottom and the maximum to the top', () => {
  assert.equal(yPixel(0, 100, 10, 110), 110);
  assert.equal(yPixel(100, 100, 10, 110), 10);
  assert.equal(yPixel(50, 100, 10, 110), 60);
  assert.equal(yPixel(-5, 100, 10, 110), 110);
  assert.equal(yPixel(5, 0, 10, 110), 110);
});

test('max skips nulls and stacks sum per index', () => {
  assert.equal(maxOf([null, 3, undefined, 7, NaN]), 7);
  assert.equal(maxOf([]), 0);
  assert.deepEqual(stackTotals([[1, 2], [3, null, 4]]), [4, 2, 4]);
});

test('sparkline points span the box', () => {
  assert.equal(sparklinePoints([0, 10], 100, 20, 0), '0,20 100,0');
  assert.equal(sparklinePoints([0, 0, 0], 10, 10, 1), '1,9 5,9 9,9');
  assert.equal(sparklinePoints([], 10, 10), '');
  assert.equal(sparklinePoints([5], 10, 10, 1), '1,1');
});

test('x labels thin out', () => {
  assert.equal(labelEvery(60), 10);
  assert.equal(labelEvery(24), 4);
  assert.equal(labelEvery(168), 28);
  assert.equal(labelEvery(3), 1);
});
