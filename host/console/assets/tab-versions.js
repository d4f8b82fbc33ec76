// Versions tab: published versions and aliases; publish a version and create aliases for
// uploaded functions.

import { lambda, seg, errorMessage } from './api.js';
import { h, emptyState } from './dom.js';
import { formatMb, relativeTime, absoluteTime, toMs } from './format.js';

const ALIAS = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;

/** Fetches every page of a Lambda list call (`key` is the array's field). */
async function listAll(path, key, signal) {
  const items = [];
  let marker = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await lambda(`${path}${sep}MaxItems=50${marker ? `&Marker=${encodeURIComponent(marker)}` : ''}`, { signal });
    items.push(...(res[key] || []));
    marker = res.NextMarker;
    if (!marker) break;
  }
  return items;
}

function when(t) {
  const ms = toMs(t);
  return ms === null ? '—' : h('time', { datetime: new Date(ms).toISOString(), title: absoluteTime(ms) }, relativeTime(ms));
}

/** Renders the Versions tab. */
export async function renderTab(t) {
  const { panel, name } = t;
  const editable = t.detail.origin === 'api';
  const base = `functions/${seg(name)}`;
  const versionsBody = h('tbody');
  const aliasesBody = h('tbody');
  const message = h('p', { id: 'versions-message', role: 'status' });
  const versionSelect = h('select', { id: 'alias-version', 'aria-label': 'Version' });

  async function load() {
    const [versions, aliases] = await Promise.all([
      listAll(`${base}/versions`, 'Versions', t.signal),
      listAll(`${base}/aliases`, 'Aliases', t.signal).catch((err) => {
        if (err.name === 'AbortError') throw err;
        message.className = 'error';
        message.textContent = `Aliases: ${errorMessage(err)}`;
        return [];
      }),
    ]);
    versionsBody.replaceChildren(
      ...versions.map((v) => h(
        'tr',
        { 'data-version': v.Version },
        h('td', null, v.Version),
        h('td', null, v.Description || ''),
        h('td', null, h('code', { title: v.CodeSha256 || '' }, (v.CodeSha256 || '').slice(0, 12))),
        h('td', { class: 'num' }, formatMb(v.MemorySize)),
        h('td', null, when(v.LastModified)),
      )),
    );
    if (versions.length === 0) versionsBody.append(h('tr', null, h('td', { colspan: 5 }, emptyState('No versions.'))));
    aliasesBody.replaceChildren(
      ...aliases.map((a) => {
        const weights = a.RoutingConfig && a.RoutingConfig.AdditionalVersionWeights;
        const extra = weights ? Object.entries(weights).map(([v, w]) => `${v}: ${Math.round(w * 100)}%`).join(', ') : '';
        return h('tr', { 'data-alias': a.Name }, h('td', null, a.Name), h('td', null, a.FunctionVersion), h('td', null, extra || '—'), h('td', null, a.Description || ''));
      }),
    );
    if (aliases.length === 0) aliasesBody.append(h('tr', null, h('td', { colspan: 4 }, emptyState('No aliases.'))));
    versionSelect.replaceChildren(...versions.map((v) => h('option', { value: v.Version }, v.Version)));
    // New aliases point at the newest published version by default.
    if (versions.length) versionSelect.value = versions[versions.length - 1].Version;
  }

  const head = (cols) => h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c))));
  panel.append(
    h('h2', null, 'Versions'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'versions-table', class: 'grid-table' }, head(['Version', 'Description', 'Code SHA-256', 'Memory', 'Published']), versionsBody)),
  );
  if (editable) {
    const description = h('input', { id: 'publish-description', placeholder: 'Description (optional)', maxlength: 256 });
    const publish = h('button', { id: 'publish-version', type: 'button', class: 'primary' }, 'Publish new version');
    publish.addEventListener('click', async () => {
      publish.disabled = true;
      try {
        const v = await lambda(`${base}/versions`, { method: 'POST', json: description.value ? { Description: description.value } : {} });
        message.className = 'ok';
        message.textContent = `Published version ${v.Version}.`;
        description.value = '';
        await load();
      } catch (err) {
        message.className = 'error';
        message.textContent = errorMessage(err);
      } finally {
        publish.disabled = false;
      }
    });
    panel.append(h('div', { class: 'toolbar' }, description, publish));
  }
  panel.append(
    h('h2', null, 'Aliases'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'aliases-table', class: 'grid-table' }, head(['Alias', 'Version', 'Weights', 'Description']), aliasesBody)),
  );
  if (editable) {
    const aliasName = h('input', { id: 'alias-name', placeholder: 'live', maxlength: 128, 'aria-label': 'Alias name', spellcheck: 'false' });
    const create = h('button', { id: 'alias-create', type: 'button' }, 'Create alias');
    create.addEventListener('click', async () => {
      const n = aliasName.value.trim();
      if (!ALIAS.test(n)) {
        message.className = 'error';
        message.textContent = 'An alias name is 1–128 letters, digits, - or _, and not all digits.';
        aliasName.focus();
        return;
      }
      create.disabled = true;
      try {
        await lambda(`${base}/aliases`, { method: 'POST', json: { Name: n, FunctionVersion: versionSelect.value } });
        message.className = 'ok';
        message.textContent = `Alias ${n} → ${versionSelect.value}.`;
        aliasName.value = '';
        await load();
      } catch (err) {
        message.className = 'error';
        message.textContent = errorMessage(err);
      } finally {
        create.disabled = false;
      }
    });
    panel.append(h('div', { class: 'toolbar' }, aliasName, h('label', { for: 'alias-version' }, 'points at'), versionSelect, create));
  } else {
    panel.append(h('p', { class: 'muted' }, 'Versions and aliases of manifest functions are published with `fnhost deploy` (auto_publish_alias in fnhost.toml).'));
  }
  panel.append(message);
  try {
    await load();
  } catch (err) {
    if (err.name === 'AbortError') return null;
    message.className = 'error';
    message.textContent = `Cannot load the versions: ${errorMessage(err)}`;
  }
  t.loaded();
  return null;
}
