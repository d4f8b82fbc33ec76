// Logs tab: a live tail over server-sent events (client-side filter and pause, the newest
// 1,000 entries kept) and a paged table of past invocations that opens the full log.

import { api, seg, errorMessage } from './api.js';
import { h, emptyState } from './dom.js';
import { formatMs, relativeTime, absoluteTime } from './format.js';
import { compileFilter, Ring, LIVE_LIMIT } from './logfilter.js';

function entryEl(e) {
  const when = e.startedMs ? h('time', { datetime: new Date(e.startedMs).toISOString(), title: absoluteTime(e.startedMs) }, absoluteTime(e.startedMs).slice(11, 19)) : null;
  return h(
    'article',
    { class: e.errorType ? 'log-entry failed' : 'log-entry', 'data-request-id': e.requestId || '' },
    h(
      'header',
      null,
      when,
      ' ',
      h('code', null, e.requestId || ''),
      ' ',
      e.trigger ? h('span', { class: 'chip' }, e.trigger) : null,
      ' ',
      h('span', null, formatMs(e.durationMs)),
      e.errorType ? h('span', { class: 'badge state-failed' }, e.errorType) : null,
    ),
    h('pre', { class: 'log' }, e.log || ''),
  );
}

/** Renders the Logs tab; the returned cleanup closes the EventSource. */
export async function renderTab(t) {
  const { panel, name } = t;
  const ring = new Ring(LIVE_LIMIT);
  let paused = false;
  let pending = 0;
  let match = compileFilter('');

  const filter = h('input', { id: 'live-filter', type: 'search', placeholder: 'Filter: words to match, -word to exclude', 'aria-label': 'Filter the live log', autocomplete: 'off' });
  const pause = h('button', { id: 'live-pause', type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const clear = h('button', { type: 'button', id: 'live-clear' }, 'Clear');
  const status = h('span', { class: 'muted', id: 'live-status', 'aria-live': 'polite', 'data-conn': 'connecting…' }, 'connecting…');
  const live = h('div', { id: 'live-log', class: 'live-log', tabindex: '0', 'aria-label': 'Live log', role: 'log' });
  const liveEmpty = emptyState('Waiting for invocations… run a test or trigger the function.');
  live.append(liveEmpty);

  function atBottom() {
    return live.scrollHeight - live.scrollTop - live.clientHeight < 24;
  }

  function redraw() {
    const frag = document.createDocumentFragment();
    for (const e of ring.toArray()) if (match(e)) frag.appendChild(entryEl(e));
    live.replaceChildren(frag);
    if (!live.firstChild) live.append(ring.size ? emptyState('No entry matches the filter.') : liveEmpty);
    live.scrollTop = live.scrollHeight;
    updateStatus();
  }

  function updateStatus(text) {
    if (text) status.dataset.conn = text;
    const conn = status.dataset.conn || '';
    status.textContent = `${conn}${paused && pending ? ` — ${pending} new while paused` : ''} — ${ring.size} kept`;
  }

  function onEntry(e) {
    ring.push(e);
    if (paused) {
      pending += 1;
      updateStatus();
      return;
    }
    if (!match(e)) return updateStatus();
    const stick = atBottom();
    if (live.firstChild && !live.firstChild.classList.contains('log-entry')) live.replaceChildren();
    live.appendChild(entryEl(e));
    while (live.childElementCount > LIVE_LIMIT) live.firstChild.remove();
    if (stick) live.scrollTop = live.scrollHeight;
    updateStatus();
  }

  filter.addEventListener('input', () => {
    match = compileFilter(filter.value);
    redraw();
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      pending = 0;
      redraw();
    } else updateStatus();
  });
  clear.addEventListener('click', () => {
    ring.clear();
    pending = 0;
    redraw();
  });

  const es = new EventSource(`/console/api/logs/stream?function=${encodeURIComponent(name)}`);
  es.addEventListener('open', () => updateStatus('live'));
  es.addEventListener('error', () => updateStatus(es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…'));
  // The host tells a follower that fell behind how many entries it skipped.
  es.addEventListener('missed', (ev) => {
    const n = Number(ev.data) || 0;
    onEntry({ function: name, requestId: '', trigger: null, durationMs: null, errorType: null, startedMs: Date.now(), log: `(${n} log entries were skipped: the tail fell behind)` });
  });
  es.addEventListener('invocation', (ev) => {
    try {
      onEntry(JSON.parse(ev.data));
    } catch {
      // A malformed event is dropped; the stream goes on.
    }
  });

  // Past invocations.
  const tbody = h('tbody');
  const table = h(
    'table',
    { id: 'invocations-table', class: 'grid-table' },
    h('thead', null, h('tr', null, ['Time', 'Request id', 'Version', 'Trigger', 'Duration', 'Billed', 'Memory', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const more = h('button', { id: 'invocations-more', type: 'button', hidden: true }, 'Older invocations');
  const logTitle = h('h3', { id: 'invocation-log-title' });
  const logPre = h('pre', { id: 'invocation-log', class: 'code log', tabindex: '0', hidden: true });
  const tableMessage = h('div');
  let next = null;

  async function openLog(requestId, tr) {
    for (const r of tbody.querySelectorAll('tr[aria-selected]')) r.removeAttribute('aria-selected');
    tr.setAttribute('aria-selected', 'true');
    logTitle.textContent = `Log of ${requestId}`;
    logPre.hidden = false;
    logPre.textContent = 'Loading…';
    try {
      const inv = await api(`invocations/${seg(requestId)}`, { signal: t.signal });
      logPre.textContent = inv.log || '(empty log)';
      logPre.focus();
    } catch (err) {
      if (!t.signal.aborted) logPre.textContent = `Cannot load the log: ${errorMessage(err)}`;
    }
  }

  function rowOf(inv) {
    const open = h('button', { type: 'button', class: 'link mono' }, inv.requestId);
    const tr = h(
      'tr',
      { 'data-request-id': inv.requestId, class: 'clickable' },
      h('td', null, h('time', { datetime: new Date(inv.startedMs).toISOString(), title: absoluteTime(inv.startedMs) }, relativeTime(inv.startedMs))),
      h('td', null, open),
      h('td', null, inv.version || '$LATEST'),
      h('td', null, inv.trigger || '—'),
      h('td', { class: 'num' }, formatMs(inv.durationMs)),
      h('td', { class: 'num' }, inv.billedMs === null || inv.billedMs === undefined ? '—' : `${inv.billedMs} ms`),
      h('td', { class: 'num' }, `${inv.maxMemoryUsedMb ?? '—'} / ${inv.memoryMb ?? '—'} MB`),
      h('td', { class: inv.errorType ? 'bad' : 'good' }, inv.errorType || 'ok'),
    );
    tr.addEventListener('click', () => openLog(inv.requestId, tr));
    return tr;
  }

  async function loadPage() {
    more.disabled = true;
    const q = next ? `&before=${encodeURIComponent(next)}` : '';
    try {
      const res = await api(`functions/${seg(name)}/invocations?limit=50${q}`, { signal: t.signal });
      const frag = document.createDocumentFragment();
      for (const inv of res.invocations || []) frag.appendChild(rowOf(inv));
      tbody.appendChild(frag);
      next = res.next ?? null;
      more.hidden = next === null;
      if (!tbody.firstChild) tableMessage.replaceChildren(emptyState('No invocations recorded yet.'));
    } catch (err) {
      if (!t.signal.aborted) tableMessage.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Cannot load the invocations: ${errorMessage(err)}`));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', loadPage);

  panel.append(
    h('h2', null, 'Live tail'),
    h('div', { class: 'toolbar' }, filter, pause, clear, status),
    live,
    h('h2', null, 'Recent invocations'),
    tableMessage,
    h('div', { class: 'table-wrap' }, table),
    more,
    logTitle,
    logPre,
  );
  await loadPage();
  t.loaded();
  return () => es.close();
}
