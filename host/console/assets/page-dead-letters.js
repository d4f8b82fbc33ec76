// Dead letters: async events that failed every attempt. Inspect one, re-drive one or all.

import { api, seg, errorMessage } from './api.js';
import { h, emptyState } from './dom.js';
import { relativeTime, absoluteTime, prettyJson } from './format.js';
import { functionHref } from './route.js';
import { confirmDialog } from './dialog.js';

/** Renders the dead-letters page. */
export async function render(ctx) {
  ctx.title('Dead letters');
  const fn = ctx.route.query.get('function') || '';
  const message = h('p', { id: 'dead-letters-message', role: 'status' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { id: 'dead-letters-table', class: 'grid-table' },
    h('thead', null, h('tr', null, ['Failed', 'Function', 'Attempts', 'Error', 'Event', ''].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const redriveAll = h('button', { id: 'redrive-all', type: 'button', class: 'primary' }, 'Re-drive all');
  const detailTitle = h('h2', { id: 'dead-letter-title', hidden: true });
  const detail = h('pre', { id: 'dead-letter-detail', class: 'code', tabindex: '0', hidden: true });
  ctx.root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Dead letters'), redriveAll),
    h('p', { class: 'muted' }, fn ? `Events of ${fn} that failed every retry.` : 'Asynchronous events that failed every retry. Re-driving queues the event again.'),
    message,
    h('div', { class: 'table-wrap' }, table),
    detailTitle,
    detail,
  );

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? 'error' : 'ok';
  }

  async function inspect(id, tr) {
    for (const r of tbody.querySelectorAll('tr[aria-selected]')) r.removeAttribute('aria-selected');
    tr.setAttribute('aria-selected', 'true');
    detailTitle.hidden = false;
    detail.hidden = false;
    detailTitle.textContent = `Dead letter ${id}`;
    detail.textContent = 'Loading…';
    try {
      const d = await api(`dead-letters/${seg(String(id))}`, { signal: ctx.signal });
      const lines = [
        `Function: ${d.function}`,
        d.trigger ? `Trigger:  ${d.trigger}` : null,
        d.requestId ? `Request:  ${d.requestId}` : null,
        d.enqueuedMs ? `Queued:   ${absoluteTime(d.enqueuedMs)}` : null,
        `Failed:   ${absoluteTime(d.failedMs)} after ${d.attempts}${d.maxAttempts ? ` of ${d.maxAttempts}` : ''} attempts${d.reason ? ` (${d.reason})` : ''}`,
        `Error:    ${d.error}`,
        '',
        'Event:',
        prettyJson(d.event ?? d.eventPreview ?? ''),
      ];
      detail.textContent = lines.filter((l) => l !== null).join('\n');
    } catch (err) {
      if (!ctx.signal.aborted) detail.textContent = `Cannot load dead letter ${id}: ${errorMessage(err)}`;
    }
  }

  async function redrive(body, label) {
    try {
      const res = await api('dead-letters/redrive', { method: 'POST', json: body });
      say(`Re-drove ${res.redriven} ${res.redriven === 1 ? 'event' : 'events'}${label}.`);
      detail.hidden = true;
      detailTitle.hidden = true;
      await load();
    } catch (err) {
      say(errorMessage(err), true);
    }
  }

  async function load() {
    const res = await api(`dead-letters${fn ? `?function=${encodeURIComponent(fn)}` : ''}`, { signal: ctx.signal });
    const rows = res.deadLetters || [];
    const frag = document.createDocumentFragment();
    for (const d of rows) {
      const inspectButton = h('button', { type: 'button', class: 'link' }, 'Inspect');
      const redriveButton = h('button', { type: 'button', class: 'redrive' }, 'Re-drive');
      const tr = h(
        'tr',
        { 'data-id': String(d.id), class: 'clickable' },
        h('td', null, h('time', { datetime: new Date(d.failedMs).toISOString(), title: absoluteTime(d.failedMs) }, relativeTime(d.failedMs))),
        h('td', null, h('a', { href: functionHref(d.function) }, d.function)),
        h('td', { class: 'num' }, String(d.attempts)),
        h('td', { class: 'bad' }, d.error || ''),
        h('td', { class: 'mono preview' }, d.eventPreview || ''),
        h('td', { class: 'row-actions' }, inspectButton, ' ', redriveButton),
      );
      tr.addEventListener('click', (e) => {
        if (e.target.closest('a') || e.target === redriveButton) return;
        inspect(d.id, tr);
      });
      redriveButton.addEventListener('click', () => redrive({ ids: [d.id] }, ''));
      frag.appendChild(tr);
    }
    if (rows.length === 0) frag.appendChild(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, emptyState('No dead letters. Failed asynchronous events land here after their retries.'))));
    tbody.replaceChildren(frag);
    redriveAll.disabled = rows.length === 0;
  }

  redriveAll.addEventListener('click', async () => {
    const n = tbody.querySelectorAll('tr[data-id]').length;
    if (!(await confirmDialog(`Re-drive all ${n} dead letters${fn ? ` of ${fn}` : ''}?`, { yes: 'Re-drive all' }))) return;
    await redrive(fn ? { ids: [...tbody.querySelectorAll('tr[data-id]')].map((tr) => Number(tr.dataset.id)) } : { all: true }, '');
  });

  try {
    await load();
  } catch (err) {
    if (ctx.signal.aborted) return null;
    say(`Cannot load the dead letters: ${errorMessage(err)}`, true);
  }
  ctx.loaded();
  return null;
}
