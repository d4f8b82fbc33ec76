// Charts as inline SVG. The scaling helpers at the top are pure (the node tests import them);
// the builders below create elements only when called.

import { s } from './dom.js';

/** A "nice" step (1, 2, 2.5 or 5 times a power of ten) for about `count` ticks up to `max`. */
export function niceStep(max, count = 4) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (raw <= m * pow) return m * pow;
  }
  return 10 * pow;
}

/**
 * The y axis for values up to `max`: `{max, step, ticks}` where `max` is rounded up to a
 * whole step and ticks run from 0 to it. An all-zero or empty series gets 0..1.
 */
export function yScale(max, count = 4, integer = false) {
  const top = max > 0 ? max : 1;
  // Counts get whole steps: no "0.25 invocations" tick.
  const step = integer ? Math.max(1, Math.ceil(niceStep(top, count))) : niceStep(top, count);
  const niceMax = Math.ceil(top / step - 1e-9) * step;
  const ticks = [];
  for (let v = 0; v <= niceMax + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { max: niceMax, step, ticks };
}

/** Maps `v` in [0, max] to [bottom, top] pixels (SVG y grows downwards). */
export function yPixel(v, max, top, bottom) {
  if (!(max > 0)) return bottom;
  return bottom - (Math.max(0, v) / max) * (bottom - top);
}

/** The largest finite number in `values` (nulls skipped), 0 when there is none. */
export function maxOf(values) {
  let m = 0;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v) && v > m) m = v;
  return m;
}

/** Per-index sums of several series (for stacked bars). */
export function stackTotals(series) {
  const n = series.reduce((len, sr) => Math.max(len, sr.length), 0);
  const totals = new Array(n).fill(0);
  for (const sr of series) sr.forEach((v, i) => (totals[i] += v || 0));
  return totals;
}

/** The polyline `points` attribute of a sparkline of `values` in a `width`×`height` box. */
export function sparklinePoints(values, width, height, pad = 1) {
  if (values.length === 0) return '';
  const max = maxOf(values);
  const dx = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = pad + i * dx;
      const y = max > 0 ? height - pad - ((v || 0) / max) * (height - 2 * pad) : height - pad;
      return `${round1(x)},${round1(y)}`;
    })
    .join(' ');
}

/** Which of `n` x positions get a label so that at most `maxLabels` show. */
export function labelEvery(n, maxLabels = 6) {
  return Math.max(1, Math.ceil(n / maxLabels));
}

function round1(v) {
  return Math.round(v * 10) / 10;
}

/** A sparkline: one <polyline>, cheap enough for a thousand rows. */
export function sparkline(values, { width = 96, height = 24, label = '' } = {}) {
  return s(
    'svg',
    {
      class: 'sparkline',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': label,
    },
    label ? s('title', null, label) : null,
    s('polyline', { points: sparklinePoints(values, width, height) }),
  );
}

const W = 560;
const H = 200;
const M = { top: 12, right: 12, bottom: 28, left: 56 };

/**
 * A chart with axes, grid lines, a legend and a hover column per point whose <title> lists
 * the values. `series`: `[{name, values}]`; `type`: "bar" (stacked when several series) or
 * "line". `labels[i]` labels point i; `format(v)` formats values; `integer` keeps the y
 * ticks whole (counts).
 */
export function chart({ metric, title, labels, series, type = 'line', format = String, integer = false }) {
  const n = labels.length;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const bottom = M.top + plotH;
  const top = type === 'bar' ? maxOf(stackTotals(series.map((sr) => sr.values))) : maxOf(series.flatMap((sr) => sr.values));
  const scale = yScale(top, 4, integer);
  const slot = n > 0 ? plotW / n : plotW;
  const xCenter = (i) => M.left + slot * (i + 0.5);

  const svg = s('svg', {
    class: 'chart',
    'data-metric': metric,
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': title,
  });
  svg.appendChild(s('title', null, title));

  // Grid and y labels.
  const grid = s('g', { class: 'grid' });
  for (const t of scale.ticks) {
    const y = round1(yPixel(t, scale.max, M.top, bottom));
    grid.appendChild(s('line', { x1: M.left, x2: W - M.right, y1: y, y2: y }));
    grid.appendChild(s('text', { x: M.left - 6, y: y + 4, class: 'y-label' }, format(t)));
  }
  svg.appendChild(grid);

  // X labels.
  const every = labelEvery(n);
  const xAxis = s('g', { class: 'x-axis' });
  xAxis.appendChild(s('line', { x1: M.left, x2: W - M.right, y1: bottom, y2: bottom }));
  for (let i = 0; i < n; i += every) {
    xAxis.appendChild(s('text', { x: round1(xCenter(i)), y: H - 8, class: 'x-label' }, labels[i]));
  }
  svg.appendChild(xAxis);

  // Data.
  const data = s('g', { class: 'data' });
  if (type === 'bar') {
    const barW = Math.max(1, slot * 0.7);
    const base = new Array(n).fill(0);
    series.forEach((sr, k) => {
      const g = s('g', { class: `series series-${k % 8}` });
      sr.values.forEach((v, i) => {
        if (!v) return;
        const y0 = yPixel(base[i], scale.max, M.top, bottom);
        const y1 = yPixel(base[i] + v, scale.max, M.top, bottom);
        base[i] += v;
        g.appendChild(
          s('rect', {
            x: round1(xCenter(i) - barW / 2),
            y: round1(y1),
            width: round1(barW),
            height: round1(Math.max(0.5, y0 - y1)),
          }),
        );
      });
      data.appendChild(g);
    });
  } else {
    series.forEach((sr, k) => {
      // Break the line at nulls (no data) instead of drawing zeros.
      let run = [];
      const g = s('g', { class: `series series-${k % 8}` });
      const flush = () => {
        if (run.length === 1) {
          const [x, y] = run[0].split(',');
          g.appendChild(s('circle', { cx: x, cy: y, r: 2 }));
        } else if (run.length > 1) g.appendChild(s('polyline', { points: run.join(' ') }));
        run = [];
      };
      sr.values.forEach((v, i) => {
        if (v === null || v === undefined) flush();
        else run.push(`${round1(xCenter(i))},${round1(yPixel(v, scale.max, M.top, bottom))}`);
      });
      flush();
      data.appendChild(g);
    });
  }
  svg.appendChild(data);

  // Hover columns with the values of every series at that point.
  const hover = s('g', { class: 'hover' });
  for (let i = 0; i < n; i++) {
    const lines = series.map((sr) => `${sr.name}: ${sr.values[i] === null || sr.values[i] === undefined ? '—' : format(sr.values[i])}`);
    hover.appendChild(
      s(
        'rect',
        { x: round1(M.left + slot * i), y: M.top, width: round1(slot), height: plotH },
        s('title', null, `${labels[i]}\n${lines.join('\n')}`),
      ),
    );
  }
  svg.appendChild(hover);
  return svg;
}

/** The legend for a chart's series (HTML, placed under the chart). */
export function legendItems(series) {
  return series.map((sr, k) => ({ name: sr.name, cls: `swatch series-${k % 8}` }));
}
