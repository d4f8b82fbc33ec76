// The functions list: every function with its triggers and last-24-h health, searchable and
// sortable over all rows, rendered 100 rows at a time.

import { api, errorMessage } from './api.js';
import { h, errorBox, emptyState, setLoaded } from './dom.js';
import { sparkline } from './chart.js';
import { formatCount, formatMs, formatMb, formatSeconds, relativeTime, absoluteTime } from './format.js';
import { functionHref } from './route.js';
import { filterRows, sortRows, defaultDescending } from './table.js';

const PAGE_SIZE = 100;

const COLUMNS = [
  ['name', 'Name'],
  ['runtime', 'Runtime'],
  ['triggers', 'Triggers'],
  ['memory', 'Memory'],
  ['timeout', 'Timeout'],
  ['modified', 'Last modified'],
  ['invocations', 'Invocations'],
  ['errors', 'Errors'],
  ['throttles', 'Throttles'],
  ['p95', 'p95'],
  [null, '24 h'],
];

// Kept across visits so going back to the list keeps the search and the order.
const state = { query: '', sort: 'name', dir: 'asc' };

function triggerChip(t) {
  return h('span', { class: `chip chip-${t.type}`, title: `${t.type}: ${t.detail}` }, h('b', null, t.type), ' ', t.detail);
}

function row(f, now) {
  const st = f.stats || {};
  const modifiedMs = Date.parse(f.lastModified);
  const runtime = [f.runtime, f.kind].filter(Boolean).join(' · ') || '—';
  const errorsCls = st.errors > 0 ? 'errors num bad' : 'errors num';
  const throttlesCls = st.throttles > 0 ? 'throttles num warn' : 'throttles num';
  const nameCell = h('td', { class: 'name' }, h('a', { href: functionHref(f.name) }, f.name));
  if (f.state && f.state !== 'Active') nameCell.append(' ', h('span', { class: `badge state-${f.state.toLowerCase()}` }, f.state));
  if (f.origin === 'api') nameCell.append(' ', h('span', { class: 'badge', title: 'uploaded through the API' }, 'uploaded'));
  const tr = h(
    'tr',
    { 'data-function': f.name },
    nameCell,
    h('td', { class: 'runtime' }, runtime),
    h('td', { class: 'triggers' }, (f.triggers || []).length ? f.triggers.map(triggerChip) : h('span', { class: 'muted' }, 'none')),
    h('td', { class: 'memory num' }, formatMb(f.memoryMb)),
    h('td', { class: 'timeout num' }, formatSeconds(f.timeoutS)),
    h('td', { class: 'modified' }, Number.isNaN(modifiedMs) ? '—' : h('time', { datetime: f.lastModified, title: absoluteTime(modifiedMs) }, relativeTime(modifiedMs, now))),
    h('td', { class: 'invocations num', title: String(st.invocations ?? 0) }, formatCount(st.invocations ?? 0)),
    h('td', { class: errorsCls, title: String(st.errors ?? 0) }, formatCount(st.errors ?? 0)),
    h('td', { class: throttlesCls, title: String(st.throttles ?? 0) }, formatCount(st.throttles ?? 0)),
    h('td', { class: 'p95 num' }, formatMs(st.p95Ms)),
    h('td', { class: 'sparkline' }, sparkline(st.hourly || [], { width: 80, label: `invocations per hour, last 24 h: ${(st.hourly || []).reduce((a, b) => a + b, 0)}` })),
  );
  return tr;
}

/** Renders the functions page. */
export async function render(ctx) {
  ctx.title('Functions');
  const { root } = ctx;
  const search = h('input', {
    id: 'functions-search',
    type: 'search',
    placeholder: 'Search by name, runtime or trigger',
    'aria-label': 'Search functions',
    value: state.query,
    autocomplete: 'off',
  });
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const headRow = h('tr');
  const tbody = h('tbody');
  const table = h('table', { id: 'functions-table', class: 'grid-table functions', 'data-loaded': 'false' }, h('thead', null, headRow), tbody);
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const status = h('div');
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Functions'),
      h('a', { id: 'create-function', class: 'button primary', href: '#/create' }, 'Create function'),
    ),
    h('div', { class: 'toolbar' }, search, count),
    status,
    h('div', { class: 'table-wrap' }, table),
    pager,
  );

  for (const [key, label] of COLUMNS) {
    if (!key) {
      headRow.append(h('th', { scope: 'col' }, label));
      continue;
    }
    const th = h('th', { scope: 'col', 'data-sort': key, class: ['name', 'runtime', 'triggers', 'modified'].includes(key) ? 'sortable' : 'sortable num' });
    // The whole header cell sorts; the button inside makes it reachable by keyboard (its click
    // bubbles up to the cell).
    th.append(h('button', { type: 'button', class: 'sort' }, label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' })));
    th.addEventListener('click', () => sortBy(key));
    headRow.append(th);
  }

  let all = [];
  let shown = [];
  let page = 0;

  function sortBy(key) {
    if (state.sort === key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
    else {
      state.sort = key;
      state.dir = defaultDescending(key) ? 'desc' : 'asc';
    }
    page = 0;
    apply();
  }

  function apply() {
    shown = sortRows(filterRows(all, state.query), state.sort, state.dir);
    for (const th of headRow.querySelectorAll('th[data-sort]')) {
      const on = th.dataset.sort === state.sort;
      if (on) th.setAttribute('aria-sort', state.dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
      th.querySelector('.sort-mark').textContent = on ? (state.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
    drawPage();
  }

  function drawPage() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    if (page >= pages) page = pages - 1;
    const now = Date.now();
    const frag = document.createDocumentFragment();
    for (const f of shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) frag.appendChild(row(f, now));
    if (shown.length === 0) {
      const msg = all.length === 0
        ? emptyState('No functions yet. ', h('a', { href: '#/create' }, 'Create one'), ' or add a [[function]] to fnhost.toml.')
        : emptyState(`No function matches “${state.query}”.`);
      frag.appendChild(h('tr', { class: 'empty-row' }, h('td', { colspan: COLUMNS.length }, msg)));
    }
    tbody.replaceChildren(frag);
    count.textContent = all.length === shown.length ? `${all.length} functions` : `${shown.length} of ${all.length} functions`;
    pager.replaceChildren();
    if (pages > 1) {
      pager.append(
        h('button', { type: 'button', disabled: page === 0, onclick: () => { page -= 1; drawPage(); } }, '‹ Previous'),
        h('span', null, ` ${page * PAGE_SIZE + 1}–${Math.min(shown.length, (page + 1) * PAGE_SIZE)} of ${shown.length} `),
        h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => { page += 1; drawPage(); } }, 'Next ›'),
      );
    }
  }

  search.addEventListener('input', () => {
    state.query = search.value;
    page = 0;
    apply();
  });

  try {
    let data = null;
    // On the first page load boot.js has already asked; anything but a 200 is asked again
    // here, where errors and a 401 are handled.
    const early = ctx.prefetched('overview');
    const res = early ? await early : null;
    if (res && res.ok) data = await res.json().catch(() => null);
    if (!data) data = await api('overview', { signal: ctx.signal });
    all = data.functions || [];
  } catch (err) {
    if (ctx.signal.aborted) return null;
    status.replaceChildren(errorBox(`Cannot load the functions: ${errorMessage(err)}`));
  }
  apply();
  setLoaded(table, true);
  ctx.loaded('functions');
  return null;
}
