// Searching and sorting the functions list. Pure; the node tests import it.

/** Text a search matches against: name, runtime, kind, state, origin and trigger details. */
export function searchText(row) {
  const triggers = (row.triggers || []).map((t) => `${t.type} ${t.detail}`).join(' ');
  return [row.name, row.runtime, row.kind, row.state, row.origin, triggers]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/** Rows whose search text contains every whitespace-separated term of `query`. */
export function filterRows(rows, query, textOf = searchText) {
  const terms = String(query || '').toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rows;
  return rows.filter((r) => {
    const text = textOf(r);
    return terms.every((t) => text.includes(t));
  });
}

const KEYS = {
  name: (r) => r.name,
  runtime: (r) => r.runtime || r.kind || '',
  triggers: (r) => (r.triggers || []).length,
  memory: (r) => r.memoryMb,
  timeout: (r) => r.timeoutS,
  modified: (r) => Date.parse(r.lastModified) || 0,
  invocations: (r) => r.stats?.invocations ?? 0,
  errors: (r) => r.stats?.errors ?? 0,
  throttles: (r) => r.stats?.throttles ?? 0,
  p95: (r) => r.stats?.p95Ms ?? null,
};

/** Whether a column sorts descending on its first click (numbers: biggest first). */
export function defaultDescending(key) {
  return !['name', 'runtime'].includes(key);
}

/** Code-point order: deterministic, the same in every locale (and as `sort` in other tools). */
export function compareText(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A sorted copy of `rows` by `key` ("asc" or "desc"). Nulls sort last in both directions;
 * ties fall back to the name so the order is stable.
 */
export function sortRows(rows, key, dir = 'asc') {
  const get = KEYS[key] || KEYS.name;
  const sign = dir === 'desc' ? -1 : 1;
  return rows.slice().sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    const an = va === null || va === undefined;
    const bn = vb === null || vb === undefined;
    if (an !== bn) return an ? 1 : -1;
    let c = 0;
    if (!an) c = typeof va === 'string' ? compareText(va, vb) : va - vb;
    if (c === 0) return compareText(a.name, b.name);
    return sign * c;
  });
}
