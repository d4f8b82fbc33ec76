// Hash routes of the console. Pure: parse and build, no DOM.

/** The tabs of a function page, in display order. */
export const TABS = ['code', 'test', 'monitor', 'logs', 'configuration', 'versions'];

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/**
 * Parses a location hash ("#/functions/NAME/test") into
 * `{page, name?, tab?, query: URLSearchParams}`. Unknown paths give `{page: 'notfound', path}`.
 */
export function parseRoute(hash) {
  let rest = String(hash || '').replace(/^#/, '');
  let queryText = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    queryText = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const query = new URLSearchParams(queryText);
  const parts = rest.split('/').filter((p) => p !== '');
  const notFound = { page: 'notfound', path: rest, query };
  if (parts.length === 0) return { page: 'functions', query };
  const [head, ...tail] = parts;
  switch (head) {
    case 'functions': {
      if (tail.length === 0) return { page: 'functions', query };
      const name = decode(tail[0]);
      if (name === null || tail.length > 2) return notFound;
      const tab = tail.length === 2 ? tail[1] : 'code';
      if (!TABS.includes(tab)) return notFound;
      return { page: 'function', name, tab, query };
    }
    case 'create':
    case 'dead-letters':
    case 'usage':
      return tail.length === 0 ? { page: head, query } : notFound;
    case 'buckets': {
      if (tail.length === 0) return { page: 'buckets', query };
      const name = decode(tail[0]);
      if (name === null || tail.length > 1) return notFound;
      return { page: 'bucket', name, prefix: query.get('prefix') || '', query };
    }
    default:
      return notFound;
  }
}

/** `#/functions/NAME/TAB`. */
export function functionHref(name, tab = 'code') {
  return `#/functions/${encodeURIComponent(name)}/${tab}`;
}

/** `#/buckets/NAME?prefix=P` (no query when the prefix is empty). */
export function bucketHref(name, prefix = '') {
  const base = `#/buckets/${encodeURIComponent(name)}`;
  return prefix ? `${base}?prefix=${encodeURIComponent(prefix)}` : base;
}

/** The nav entry a route belongs to (for aria-current). */
export function navOf(route) {
  switch (route.page) {
    case 'functions':
    case 'function':
    case 'create':
      return 'functions';
    case 'buckets':
    case 'bucket':
      return 'buckets';
    default:
      return route.page;
  }
}
