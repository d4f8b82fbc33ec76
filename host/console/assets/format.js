// Formatting helpers shared by every page. Pure functions: no DOM access, so the node tests
// import this module directly.

const DASH = '—';

/** Groups thousands with commas: 1234567 -> "1,234,567". */
export function groupThousands(n) {
  const [whole, frac] = String(n).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * Exact below 10,000 ("1,234"), then shortened: 12345 -> "12k", 1234567 -> "1.2M";
 * null/undefined -> "—".
 */
export function formatCount(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (abs < 10000) return sign + groupThousands(Math.round(abs));
  const units = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const v = abs / size;
      // 1.2k but 12k and 123k: one decimal only below 10.
      let text = v < 10 ? (Math.floor(v * 10) / 10).toFixed(1) : String(Math.floor(v));
      if (text.endsWith('.0')) text = text.slice(0, -2);
      return sign + text + suffix;
    }
  }
  return sign + String(Math.round(abs));
}

/** Milliseconds with two decimals: 12.345 -> "12.35 ms". */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return DASH;
  return `${Number(ms).toFixed(2)} ms`;
}

/** Bytes in binary units: 1536 -> "1.5 KiB". */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return DASH;
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let unit = 'B';
  for (const u of units) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}

/** "128 MB"; null -> "—". */
export function formatMb(mb) {
  if (mb === null || mb === undefined) return DASH;
  return `${mb} MB`;
}

/** Seconds: 3 -> "3 s", 900 -> "15 min". */
export function formatSeconds(s) {
  if (s === null || s === undefined) return DASH;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** US dollars; small Lambda costs keep six decimals so they do not all read $0.00. */
export function formatUsd(usd) {
  if (usd === null || usd === undefined || Number.isNaN(usd)) return DASH;
  if (usd === 0) return '$0.00';
  const abs = Math.abs(usd);
  const text = abs >= 0.01 ? abs.toFixed(2) : abs.toFixed(6);
  return (usd < 0 ? '-$' : '$') + text;
}

/** GB-seconds with three decimals. */
export function formatGbSeconds(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  return v.toFixed(3);
}

/** Parses an ISO string or a number of milliseconds; null when it is neither. */
export function toMs(t) {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return t;
  // Lambda's LastModified is "2024-01-02T03:04:05.000+0000": make the offset ISO 8601.
  const fixed = String(t).replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? null : ms;
}

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago", "in 5 min"; `now` defaults to Date.now(). */
export function relativeTime(t, now = Date.now()) {
  const ms = toMs(t);
  if (ms === null) return DASH;
  const diff = now - ms;
  const future = diff < 0;
  const s = Math.abs(diff) / 1000;
  if (s < 5) return 'just now';
  let text;
  if (s < 60) text = `${Math.floor(s)} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h`;
  else if (s < 86400 * 60) text = `${Math.floor(s / 86400)} d`;
  else return absoluteTime(ms).slice(0, 10);
  return future ? `in ${text}` : `${text} ago`;
}

/** "2026-11-30 15:32:37 UTC" (for title attributes and tables). */
export function absoluteTime(t) {
  const ms = toMs(t);
  if (ms === null) return DASH;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Short clock label for chart axes: "15:32" or, with `withDay`, "11-30 15:00". */
export function clockLabel(ms, withDay = false) {
  const iso = new Date(ms).toISOString();
  const hm = iso.slice(11, 16);
  return withDay ? `${iso.slice(5, 10)} ${hm}` : hm;
}

/** Pretty-prints JSON text; returns the text unchanged when it is not JSON. */
export function prettyJson(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
