// The live tail's client-side filter and bounded buffer. Pure; the node tests import it.

/** How many live entries the Logs tab keeps (the newest). */
export const LIVE_LIMIT = 1000;

/**
 * Compiles a filter query: whitespace-separated terms, all of which must occur
 * (case-insensitive) in the entry's log, function, request id, trigger or error type;
 * a term starting with `-` must not occur. An empty query matches everything.
 */
export function compileFilter(query) {
  const terms = String(query || '')
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '' && t !== '-');
  const want = terms.filter((t) => !t.startsWith('-'));
  const reject = terms.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  if (want.length === 0 && reject.length === 0) return () => true;
  return (entry) => {
    const hay = entryText(entry).toLowerCase();
    return want.every((t) => hay.includes(t)) && !reject.some((t) => hay.includes(t));
  };
}

function entryText(e) {
  return [e.function, e.requestId, e.trigger, e.errorType, e.log]
    .filter((x) => x !== null && x !== undefined)
    .join('\n');
}

/** A first-in-first-out buffer that keeps the newest `capacity` items. */
export class Ring {
  constructor(capacity = LIVE_LIMIT) {
    this.capacity = capacity;
    this.items = [];
  }

  /** Adds an item; returns how many old items were dropped (0 or 1). */
  push(item) {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.splice(0, this.items.length - this.capacity);
      return 1;
    }
    return 0;
  }

  /** The items, oldest first. */
  toArray() {
    return this.items.slice();
  }

  get size() {
    return this.items.length;
  }

  clear() {
    this.items = [];
  }
}
