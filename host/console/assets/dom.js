// A tiny element builder. Text only ever goes in through text nodes and attributes through
// setAttribute: never innerHTML, because function names, logs and keys come from guests.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else if (key === 'dataset') {
      for (const [dk, dv] of Object.entries(value)) el.dataset[dk] = String(dv);
    } else {
      el.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (typeof child === 'string' || typeof child === 'number') {
      el.appendChild(document.createTextNode(String(child)));
    } else el.appendChild(child);
  }
}

/**
 * `h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child)`: an HTML element.
 * Attributes with null/undefined/false are left out; `true` sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Like `h` for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A visible error message block (role=alert). */
export function errorBox(message, id) {
  return h('p', { class: 'error', role: 'alert', id }, message);
}

/** A visible empty state. */
export function emptyState(...children) {
  return h('p', { class: 'empty' }, ...children);
}

/** Sets `data-loaded` on `el`. */
export function setLoaded(el, loaded) {
  el.setAttribute('data-loaded', loaded ? 'true' : 'false');
}

/** A definition list from `[[label, value, attrs?], ...]`. */
export function facts(rows, attrs) {
  return h(
    'dl',
    { class: 'facts', ...attrs },
    rows.map(([label, value, ddAttrs]) => [h('dt', null, label), h('dd', ddAttrs || null, value)]),
  );
}
