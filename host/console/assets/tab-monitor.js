// Monitor tab: charts of the function's metrics over 1 h / 24 h / 7 d, drawn from the store.

import { api, seg } from './api.js';
import { h, setLoaded, emptyState } from './dom.js';
import { chart, legendItems } from './chart.js';
import { formatCount, clockLabel } from './format.js';

const RANGES = ['1h', '24h', '7d'];
let lastRange = '24h';

function msShort(v) {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s`;
  return `${Number(v.toFixed(2))} ms`;
}

function ageShort(v) {
  if (v >= 60000) return `${(v / 60000).toFixed(1)} min`;
  return msShort(v);
}

function panelOf(title, svg, series) {
  const legend = series && series.length > 1
    ? h('ul', { class: 'legend' }, legendItems(series).map((it) => h('li', null, h('span', { class: it.cls, 'aria-hidden': 'true' }), it.name)))
    : null;
  return h('figure', { class: 'chart-card' }, h('figcaption', null, title), svg, legend);
}

/** Builds the charts of a metrics answer. */
export function buildCharts(data) {
  const points = data.points || [];
  const withDay = data.range === '7d';
  const labels = points.map((p) => clockLabel(p.t, withDay));
  const errorTypes = [...new Set(points.flatMap((p) => Object.keys(p.errors || {})))].sort();
  const errorSeries = errorTypes.length
    ? errorTypes.map((type) => ({ name: type, values: points.map((p) => (p.errors && p.errors[type]) || 0) }))
    : [{ name: 'errors', values: points.map(() => 0) }];
  const specs = [
    ['invocations', 'Invocations', 'bar', [{ name: 'invocations', values: points.map((p) => p.invocations || 0) }], formatCount],
    ['errors', 'Errors by type', 'bar', errorSeries, formatCount],
    ['throttles', 'Throttles', 'bar', [{ name: 'throttles', values: points.map((p) => p.throttles || 0) }], formatCount],
    ['duration', 'Duration p50 / p95 / p99', 'line', [
      { name: 'p50', values: points.map((p) => p.p50Ms ?? null) },
      { name: 'p95', values: points.map((p) => p.p95Ms ?? null) },
      { name: 'p99', values: points.map((p) => p.p99Ms ?? null) },
    ], msShort],
    ['concurrency', 'Concurrent executions (max)', 'line', [{ name: 'concurrency', values: points.map((p) => p.maxConcurrency ?? 0) }], formatCount],
    ['queue', 'Async queue depth', 'line', [{ name: 'queue depth', values: points.map((p) => p.queueDepth ?? 0) }], formatCount],
    ['queue-age', 'Oldest queued event age', 'line', [{ name: 'age', values: points.map((p) => p.queueAgeMs ?? null) }], ageShort],
  ];
  return specs.map(([metric, title, type, series, format]) =>
    panelOf(title, chart({ metric, title, labels, series, type, format, integer: format === formatCount }), series));
}

/** Renders the Monitor tab. */
export async function renderTab(t) {
  const { panel } = t;
  const buttons = RANGES.map((r) => h('button', { type: 'button', 'data-range': r, 'aria-pressed': String(r === lastRange) }, r));
  const grid = h('div', { class: 'charts' });
  const summary = h('p', { class: 'muted', id: 'monitor-summary' });
  panel.append(h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Range' }, h('span', null, 'Range'), buttons), summary, grid);
  let controller = null;

  async function load(range, start) {
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    t.signal.addEventListener('abort', () => controller.abort(), { once: true });
    lastRange = range;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
    setLoaded(panel, false);
    const data = await api(`functions/${seg(t.name)}/metrics?range=${range}`, { signal });
    if (signal.aborted) return;
    const points = data.points || [];
    const total = points.reduce((a, p) => a + (p.invocations || 0), 0);
    summary.textContent = `${formatCount(total)} invocations in the last ${range}, ${points.length} points of ${Math.round((data.stepMs || 0) / 60000)} min (times in UTC).`;
    grid.replaceChildren(...buildCharts(data));
    if (total === 0) grid.prepend(emptyState(`No invocations in the last ${range}; the charts are empty.`));
    setLoaded(panel, true);
    window.fnhostTimings.monitor = performance.now() - start;
    t.loaded();
  }

  for (const b of buttons) {
    b.addEventListener('click', () => {
      load(b.dataset.range, performance.now()).catch((err) => showError(err));
    });
  }

  function showError(err) {
    if (err.name === 'AbortError') return;
    grid.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Cannot load the metrics: ${err.message}`));
    setLoaded(panel, true);
    t.loaded();
  }

  try {
    await load(lastRange, t.start);
  } catch (err) {
    showError(err);
  }
  return null;
}
