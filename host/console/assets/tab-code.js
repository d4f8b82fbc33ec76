// Code tab: what is deployed, the function's files and their source, and new code for
// uploaded functions.

import { api, seg, errorMessage } from './api.js';
import { h, facts, errorBox, emptyState } from './dom.js';
import { formatBytes, relativeTime, absoluteTime } from './format.js';
import { fileProblem, sendCode, pollFunction } from './deploy.js';

/** Renders the Code tab into `t.panel`. */
export function renderTab(t) {
  const d = t.detail;
  const { panel } = t;
  const lastMs = Date.parse(d.lastModified);
  panel.append(
    h('h2', null, 'Deployed code'),
    facts([
      ['SHA-256', h('code', { id: 'code-sha256' }, d.sha256 || '—')],
      ['Size', h('span', { id: 'code-size', title: `${d.codeSize ?? '?'} bytes` }, formatBytes(d.codeSize))],
      ['Kind', h('span', { id: 'code-kind' }, [d.kind, d.world].filter(Boolean).join(' · ') || '—')],
      ['Runtime', d.runtime || '—'],
      ['Handler', d.handler || '—'],
      ['Last modified', Number.isNaN(lastMs) ? '—' : h('time', { datetime: d.lastModified, title: absoluteTime(lastMs) }, relativeTime(lastMs))],
    ]),
  );

  const imports = d.imports || [];
  panel.append(
    h('h3', null, `Imports (${imports.length})`),
    imports.length ? h('ul', { id: 'code-imports', class: 'mono-list' }, imports.map((i) => h('li', null, i))) : h('ul', { id: 'code-imports', class: 'mono-list' }, h('li', { class: 'muted' }, 'none')),
  );
  if ((d.exports || []).length) {
    panel.append(h('h3', null, `Exports (${d.exports.length})`), h('ul', { class: 'mono-list' }, d.exports.map((i) => h('li', null, i))));
  }

  // Files and source.
  const files = d.files || [];
  const source = h('pre', { id: 'code-source', class: 'code', tabindex: '0' });
  const sourceTitle = h('h3', { class: 'source-title' });
  const fileList = h('ul', { id: 'code-files', class: 'file-list' });
  if (files.length === 0) fileList.append(h('li', { class: 'muted' }, 'fnhost keeps no source files for this function (a prebuilt component).'));
  for (const f of files) {
    const button = h('button', { type: 'button', class: 'link', 'data-path': f.path }, f.path);
    button.addEventListener('click', () => open(f.path, button));
    fileList.append(h('li', null, button, ' ', h('span', { class: 'muted' }, formatBytes(f.size))));
  }
  panel.append(h('h3', null, `Files (${files.length})`), h('div', { class: 'files' }, fileList, h('div', { class: 'source' }, sourceTitle, source)));

  async function open(path, button) {
    for (const b of fileList.querySelectorAll('button[aria-current]')) b.removeAttribute('aria-current');
    button.setAttribute('aria-current', 'true');
    sourceTitle.textContent = path;
    source.textContent = 'Loading…';
    try {
      const text = await api(`functions/${seg(t.name)}/source?path=${encodeURIComponent(path)}`, { signal: t.signal });
      source.textContent = typeof text === 'string' ? text : JSON.stringify(text, null, 2);
    } catch (err) {
      if (t.signal.aborted) return;
      source.textContent = err.status === 415 ? `${path} is a binary file.` : err.status === 404 ? `${path} is not there any more.` : errorMessage(err);
    }
  }

  // New code.
  if (d.origin === 'api') {
    const input = h('input', { id: 'code-upload', type: 'file', accept: '.wasm,.zip' });
    const submit = h('button', { id: 'code-upload-submit', type: 'button', class: 'primary' }, 'Upload new code');
    const progress = h('progress', { max: 100, value: 0, id: 'code-upload-progress' });
    const message = h('p', { id: 'code-upload-message', role: 'status' });
    submit.addEventListener('click', async () => {
      const f = input.files[0];
      const problem = fileProblem(f);
      message.className = '';
      if (problem) {
        message.className = 'error';
        message.textContent = problem;
        return;
      }
      submit.disabled = true;
      try {
        await sendCode(f, {
          method: 'PUT',
          path: `functions/${seg(t.name)}/code`,
          signal: t.signal,
          makeBody: (b64) => ({ ZipFile: b64 }),
          onProgress: (ph, fraction) => {
            message.textContent = `${ph} ${Math.round(fraction * 100)}%`;
            progress.value = ph === 'Uploading' ? Math.round(fraction * 100) : 0;
          },
        });
        progress.value = 100;
        const conf = await pollFunction(t.name, {
          signal: t.signal,
          onState: (c) => (message.textContent = `Update: ${c.LastUpdateStatus || c.State}`),
          done: (c) => c.LastUpdateStatus !== 'InProgress' && c.State !== 'Pending',
        });
        await t.refresh();
        if (conf.LastUpdateStatus === 'Failed' || conf.State === 'Failed') {
          message.className = 'error';
          message.textContent = `The update failed: ${conf.LastUpdateStatusReason || conf.StateReason || 'no reason given'}; the previous code keeps running.`;
        } else {
          // Show the new sha256 and files.
          panel.replaceChildren();
          renderTab(t);
          const done = panel.querySelector('#code-upload-message');
          if (done) done.textContent = `Deployed ${f.name}.`;
        }
      } catch (err) {
        if (t.signal.aborted) return;
        message.className = 'error';
        message.textContent = errorMessage(err);
      } finally {
        submit.disabled = false;
      }
    });
    panel.append(h('h2', null, 'Upload new code'), h('div', { class: 'toolbar' }, h('label', { for: 'code-upload' }, '.wasm or .zip'), input, submit, progress), message);
  } else {
    panel.append(h('p', { class: 'muted' }, `This function's code comes from ${d.manifest ? `${d.manifest.path} line ${d.manifest.line}` : 'fnhost.toml'}; fnhost reloads it when the file changes.`));
  }
  if (d.state === 'Failed' && d.stateReason) panel.prepend(errorBox(`Failed: ${d.stateReason}`));
  if (files.length === 0 && imports.length === 0 && !d.sha256) panel.append(emptyState('No code details are available.'));
  t.loaded();
  return null;
}
