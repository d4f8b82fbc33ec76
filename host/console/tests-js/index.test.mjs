import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const dir = new URL('../assets/', import.meta.url);
const html = readFileSync(new URL('index.html', dir), 'utf8');
const modules = readdirSync(dir).filter((f) => f.endsWith('.js'));

test('index.html preloads every module and loads app.js as a module', () => {
  for (const m of modules.filter((f) => f !== 'app.js' && f !== 'boot.js')) {
    assert.ok(html.includes(`<link rel="modulepreload" href="/console/assets/${m}">`), `${m} is not preloaded`);
  }
  assert.ok(html.includes('<script type="module" src="/console/assets/app.js"></script>'));
  // boot.js starts the first requests while the modules load: async, and importing nothing.
  assert.ok(html.includes('<script type="module" async src="/console/assets/boot.js"></script>'));
  assert.equal(/\bimport\b/.test(readFileSync(new URL('boot.js', dir), 'utf8')), false);
});

test('index.html has no inline script or style (the CSP allows neither)', () => {
  assert.equal(/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), false, 'an inline <script>');
  assert.equal(/\sstyle=/i.test(html), false, 'a style attribute');
  assert.equal(/<style[\s>]/i.test(html), false, 'a <style> element');
  assert.equal(/\son[a-z]+=/i.test(html), false, 'an inline event handler');
});

test('no module writes HTML strings, evaluates code or loads from elsewhere', () => {
  for (const m of modules) {
    const src = readFileSync(new URL(m, dir), 'utf8');
    for (const bad of [/\.innerHTML\s*=/, /\.outerHTML\s*=/, /insertAdjacentHTML/, /\beval\(/, /new Function\(/, /document\.write/, /https?:\/\//]) {
      assert.equal(bad.test(src.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')), false, `${m} matches ${bad}`);
    }
  }
});

test('every module imported by another one exists', () => {
  for (const m of modules) {
    const src = readFileSync(new URL(m, dir), 'utf8');
    for (const [, path] of src.matchAll(/from '\.\/([^']+)'/g)) {
      assert.ok(modules.includes(path), `${m} imports ./${path}, which is not in assets/`);
    }
  }
});
