// Usage: requests, GB-seconds and the Lambda-equivalent cost per function and in total, the
// free tier and the net cost (what `fnhost usage` prints).

import { api, errorMessage } from './api.js';
import { h, errorBox, emptyState, facts, replace } from './dom.js';
import { formatCount, formatUsd, formatGbSeconds } from './format.js';
import { functionHref } from './route.js';

const RANGES = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

/** A unit price without float noise: 2.0000000000000002e-7 -> "0.0000002". */
function price(v) {
  return Number(v).toFixed(10).replace(/\.?0+$/, '');
}

/** Renders the usage page; the range is in the hash (`#/usage?since=7d`). */
export async function render(ctx) {
  ctx.title('Usage');
  const since = RANGES.some(([v]) => v === ctx.route.query.get('since')) ? ctx.route.query.get('since') : '24h';
  const select = h('select', { id: 'usage-range', 'aria-label': 'Range' }, RANGES.map(([v, label]) => h('option', { value: v }, label)));
  select.value = since;
  select.addEventListener('change', () => (location.hash = `#/usage?since=${select.value}`));
  const body = h('div');
  ctx.root.append(h('div', { class: 'page-head' }, h('h1', null, 'Usage'), h('label', { for: 'usage-range' }, 'Range'), select), body);

  let data;
  try {
    data = await api(`usage?since=${since}`, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) return null;
    body.append(errorBox(`Cannot load the usage: ${errorMessage(err)}`));
    ctx.loaded();
    return null;
  }
  const rows = (data.functions || []).slice().sort((a, b) => (b.costUsd || 0) - (a.costUsd || 0) || a.function.localeCompare(b.function));
  const maxCost = rows.reduce((m, r) => Math.max(m, r.costUsd || 0), 0);
  const tbody = h('tbody');
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const triggers = Object.entries(r.triggers || {}).map(([k, v]) => `${k} ${formatCount(v)}`).join(', ');
    const bar = h('meter', { min: 0, max: maxCost || 1, value: r.costUsd || 0, 'aria-label': `share of the cost of ${r.function}` });
    frag.appendChild(
      h(
        'tr',
        { 'data-function': r.function },
        h('td', null, h('a', { href: functionHref(r.function) }, r.function)),
        h('td', { class: 'num', title: String(r.requests) }, formatCount(r.requests)),
        h('td', { class: r.errors ? 'num bad' : 'num', title: String(r.errors ?? 0) }, formatCount(r.errors ?? 0)),
        h('td', { class: 'num', title: `${r.billedMs} ms` }, formatCount(r.billedMs)),
        h('td', { class: 'num' }, formatGbSeconds(r.gbSeconds)),
        h('td', { class: 'num', title: String(r.fuel ?? '') }, formatCount(r.fuel)),
        h('td', null, triggers || '—'),
        h('td', { class: 'num' }, formatUsd(r.costUsd), ' ', bar),
      ),
    );
  }
  if (rows.length === 0) frag.appendChild(h('tr', { class: 'empty-row' }, h('td', { colspan: 8 }, emptyState('No invocations in this range.'))));
  tbody.appendChild(frag);
  const total = data.total || {};
  const free = data.freeTier || {};
  const table = h(
    'table',
    { id: 'usage-table', class: 'grid-table' },
    h('thead', null, h('tr', null, ['Function', 'Requests', 'Errors', 'Billed ms', 'GB-seconds', 'Fuel', 'Triggers', 'Cost (USD)'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
    h(
      'tfoot',
      null,
      h(
        'tr',
        { id: 'usage-total' },
        h('th', { scope: 'row' }, 'Total'),
        h('td', { class: 'num', title: String(total.requests) }, formatCount(total.requests)),
        h('td'),
        h('td'),
        h('td', { class: 'num' }, formatGbSeconds(total.gbSeconds)),
        h('td'),
        h('td'),
        h('td', { class: 'num' }, formatUsd(total.costUsd)),
      ),
    ),
  );
  const prices = data.prices || {};
  replace(
    body,
    h('div', { class: 'table-wrap' }, table),
    h('h2', null, 'Against the free tier'),
    facts([
      ['Free tier (per month)', `${formatCount(free.requests)} requests, ${formatCount(free.gbSeconds)} GB-seconds`],
      ['Used in this range', `${formatCount(total.requests)} requests, ${formatGbSeconds(total.gbSeconds)} GB-seconds`],
      ['Lambda-equivalent cost', formatUsd(total.costUsd)],
      ['Net cost after the free tier', h('strong', { id: 'usage-net-cost' }, formatUsd(data.netCostUsd))],
    ]),
    prices.perRequestUsd !== undefined
      ? h('p', { class: 'muted' }, `Lambda's prices (x86, us-east-1): $${price(prices.perRequestUsd)} per request, $${price(prices.perGbSecondUsd)} per GB-second. The free tier is monthly and applied once to the range shown.`)
      : null,
  );
  ctx.loaded();
  return null;
}
