// Buckets: the list, and one bucket browsed by prefix ("folders" from `prefixes`) with upload
// (which fires the bucket's triggers), download and delete.

import { api, upload, seg, errorMessage, BASE } from './api.js';
import { h, errorBox, emptyState } from './dom.js';
import { formatBytes, relativeTime, absoluteTime } from './format.js';
import { bucketHref, functionHref } from './route.js';
import { confirmDialog } from './dialog.js';

function triggerText(tr) {
  const filters = [tr.prefix ? `prefix ${tr.prefix}` : null, tr.suffix ? `suffix ${tr.suffix}` : null].filter(Boolean).join(', ');
  return `${(tr.events || []).join(', ')}${filters ? ` (${filters})` : ''}`;
}

/** Renders the bucket list or one bucket. */
export async function render(ctx) {
  return ctx.route.page === 'bucket' ? renderBucket(ctx) : renderList(ctx);
}

async function renderList(ctx) {
  ctx.title('Buckets');
  const list = h('ul', { id: 'buckets-list', class: 'cards' });
  ctx.root.append(h('div', { class: 'page-head' }, h('h1', null, 'Buckets')), list);
  try {
    const { buckets } = await api('buckets', { signal: ctx.signal });
    for (const b of buckets || []) {
      list.append(
        h(
          'li',
          { class: 'card' },
          h('a', { href: bucketHref(b.name), 'data-bucket': b.name, class: 'title' }, b.name),
          h('div', { class: 'muted mono' }, b.path || ''),
          (b.triggers || []).length
            ? h('ul', { class: 'plain' }, b.triggers.map((tr) => h('li', null, 'runs ', h('a', { href: functionHref(tr.function) }, tr.function), ` on ${triggerText(tr)}`)))
            : h('div', { class: 'muted' }, 'no triggers'),
        ),
      );
    }
    if (!list.firstChild) list.replaceWith(h('div', { id: 'buckets-list' }, emptyState('No buckets. Add a [[bucket]] to fnhost.toml.')));
  } catch (err) {
    if (ctx.signal.aborted) return null;
    ctx.root.append(errorBox(`Cannot load the buckets: ${errorMessage(err)}`));
  }
  ctx.loaded();
  return null;
}

function objectUrl(bucket, key) {
  return `${BASE}buckets/${seg(bucket)}/objects/${encodeURIComponent(key)}`;
}

async function renderBucket(ctx) {
  const { name, prefix } = ctx.route;
  ctx.title(`${name}/${prefix}`);
  const prefixInput = h('input', { id: 'objects-prefix', value: prefix, 'aria-label': 'Prefix', spellcheck: 'false', placeholder: 'prefix/' });
  const prefixForm = h('form', { class: 'toolbar', role: 'search' }, h('label', { for: 'objects-prefix' }, 'Prefix'), prefixInput, h('button', { type: 'submit' }, 'Go'));
  prefixForm.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = bucketHref(name, prefixInput.value);
  });
  const tbody = h('tbody');
  const table = h(
    'table',
    { id: 'objects-table', class: 'grid-table' },
    h('thead', null, h('tr', null, ['Key', 'Size', 'Last modified', 'ETag', ''].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const more = h('button', { type: 'button', id: 'objects-more', hidden: true }, 'More objects');
  const message = h('p', { id: 'object-message', role: 'status' });
  const fileInput = h('input', { id: 'object-upload', type: 'file' });
  const uploadButton = h('button', { id: 'object-upload-submit', type: 'button', class: 'primary' }, 'Upload');
  const progress = h('progress', { id: 'object-upload-progress', max: 100, value: 0 });
  const triggersEl = h('div', { class: 'muted' });

  // Breadcrumb: bucket / a/ / b/
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/buckets' }, 'Buckets'), ' / ', h('a', { href: bucketHref(name) }, name));
  let acc = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += `${part}/`;
    crumbs.append(' / ', h('a', { href: bucketHref(name, acc) }, part));
  }

  ctx.root.append(
    crumbs,
    h('div', { class: 'page-head' }, h('h1', null, name)),
    triggersEl,
    prefixForm,
    h('div', { class: 'toolbar upload' }, h('label', { for: 'object-upload' }, `Upload to ${prefix || '(root)'}`), fileInput, uploadButton, progress),
    message,
    h('div', { class: 'table-wrap' }, table),
    more,
  );

  let next = null;

  function objectRow(o) {
    const del = h('button', { type: 'button', class: 'delete danger', 'aria-label': `Delete ${o.key}` }, 'Delete');
    const tr = h(
      'tr',
      { 'data-key': o.key },
      h('td', { class: 'mono' }, o.key.startsWith(prefix) ? o.key.slice(prefix.length) : o.key),
      h('td', { class: 'num', title: `${o.size} bytes` }, formatBytes(o.size)),
      h('td', null, h('time', { datetime: new Date(o.lastModifiedMs).toISOString(), title: absoluteTime(o.lastModifiedMs) }, relativeTime(o.lastModifiedMs))),
      h('td', { class: 'mono muted' }, (o.etag || '').replace(/"/g, '').slice(0, 12)),
      h('td', { class: 'row-actions' }, h('a', { class: 'download button', href: objectUrl(name, o.key), download: o.key.split('/').pop() }, 'Download'), ' ', del),
    );
    del.addEventListener('click', async () => {
      if (!(await confirmDialog(`Delete ${o.key} from ${name}?`))) return;
      try {
        await api(`buckets/${seg(name)}/objects/${encodeURIComponent(o.key)}`, { method: 'DELETE' });
        tr.remove();
        say(`Deleted ${o.key}.`);
      } catch (err) {
        say(errorMessage(err), true);
      }
    });
    return tr;
  }

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? 'error' : 'ok';
  }

  async function load(reset) {
    if (reset) {
      next = null;
      tbody.replaceChildren();
    }
    const q = new URLSearchParams({ prefix, delimiter: '/', limit: '200' });
    if (next) q.set('after', next);
    const res = await api(`buckets/${seg(name)}/objects?${q}`, { signal: ctx.signal });
    const frag = document.createDocumentFragment();
    if (!next) {
      for (const p of res.prefixes || []) {
        frag.appendChild(h('tr', { class: 'folder', 'data-prefix': p }, h('td', { colspan: 5 }, h('a', { href: bucketHref(name, p) }, '📁 ', p.slice(prefix.length)))));
      }
    }
    for (const o of res.objects || []) frag.appendChild(objectRow(o));
    tbody.appendChild(frag);
    next = res.next ?? null;
    more.hidden = next === null;
    if (!tbody.firstChild) tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 5 }, emptyState(prefix ? `Nothing under ${prefix}.` : 'This bucket is empty. Upload a file.'))));
  }

  more.addEventListener('click', () => load(false).catch((err) => say(errorMessage(err), true)));

  uploadButton.addEventListener('click', async () => {
    const f = fileInput.files[0];
    if (!f) return say('Choose a file first.', true);
    const key = prefix + f.name;
    uploadButton.disabled = true;
    progress.value = 0;
    say(`Uploading ${key}…`);
    try {
      const res = await upload(`buckets/${seg(name)}/objects/${encodeURIComponent(key)}`, {
        method: 'PUT',
        body: f,
        contentType: 'application/octet-stream',
        signal: ctx.signal,
        onProgress: (loaded, total) => (progress.value = total ? Math.round((loaded / total) * 100) : 0),
      });
      progress.value = 100;
      say(`Uploaded ${key} (${formatBytes(res && res.size !== undefined ? res.size : f.size)}).`);
      fileInput.value = '';
      await load(true);
    } catch (err) {
      if (!ctx.signal.aborted) say(`Upload failed: ${errorMessage(err)}`, true);
    } finally {
      uploadButton.disabled = false;
    }
  });

  try {
    const [{ buckets }] = await Promise.all([api('buckets', { signal: ctx.signal }), load(true)]);
    const b = (buckets || []).find((x) => x.name === name);
    if (!b) triggersEl.replaceWith(errorBox(`There is no bucket named ${name}.`));
    else if ((b.triggers || []).length) {
      triggersEl.append('Uploading here runs: ', ...b.triggers.flatMap((tr, i) => [i ? '; ' : '', h('a', { href: functionHref(tr.function, 'logs') }, tr.function), ` on ${triggerText(tr)}`]));
    } else triggersEl.textContent = 'No function runs on this bucket.';
  } catch (err) {
    if (ctx.signal.aborted) return null;
    say(`Cannot list ${name}: ${errorMessage(err)}`, true);
  }
  ctx.loaded();
  return null;
}
