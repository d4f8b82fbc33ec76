// The Configuration tab's grants, outbound hosts, layers and function URL of uploaded
// functions: parsing what the inputs hold and working out which Lambda calls a save makes.
// Pure functions; the node tests import this module.

/** The Lambda tags that hold an uploaded function's grants and outbound hosts. */
export const TAGS = Object.freeze({
  read: 'fnhost:objects-read',
  write: 'fnhost:objects-write',
  invoke: 'fnhost:invoke',
  outbound: 'fnhost:allowed-outbound-hosts',
});

/** The function URL auth types, and `''` for no URL. */
export const URL_AUTH = Object.freeze(['', 'NONE', 'AWS_IAM']);

/**
 * The names in `text`, separated by spaces, newlines or commas, each once, in first-seen
 * order (tag values hold them space-separated).
 */
export function splitNames(text) {
  const out = [];
  for (const word of String(text ?? '').split(/[\s,]+/)) {
    if (word && !out.includes(word)) out.push(word);
  }
  return out;
}

/** The non-blank lines of `text`, trimmed, in order (layer ARNs: the order is /opt's). */
export function splitLines(text) {
  return String(text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Whether lists `a` and `b` hold the same items in the same order. */
export function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * The tag calls that turn `tags` (ListTags' map) into `wanted` (`{tagKey: [names]}`):
 * `{set: {key: "a b"}, remove: [key]}`. A key whose names are unchanged (in any order) is
 * left alone; an empty list removes its tag; tags not in `wanted` are never touched.
 */
export function tagChanges(tags, wanted) {
  const set = {};
  const remove = [];
  const current = tags || {};
  for (const [key, names] of Object.entries(wanted)) {
    const has = Object.prototype.hasOwnProperty.call(current, key);
    if (names.length === 0) {
      if (has) remove.push(key);
    } else if (!has || !sameSet(splitNames(current[key]), names)) {
      set[key] = names.join(' ');
    }
  }
  return { set, remove };
}

/**
 * The function URL call that turns `current` (its AuthType, or null without a URL) into
 * `wanted` (`''`, `NONE` or `AWS_IAM`): `{method, json?}`, or null when nothing changes.
 */
export function urlChange(current, wanted) {
  if (!wanted) return current ? { method: 'DELETE' } : null;
  if (!current) return { method: 'POST', json: { AuthType: wanted } };
  if (current !== wanted) return { method: 'PUT', json: { AuthType: wanted } };
  return null;
}

/** The passthrough path of TagResource / ListTags on `arn`. */
export function tagsPath(arn) {
  return `lambda/2017-03-31/tags/${encodeURIComponent(arn)}`;
}

/** The passthrough path of UntagResource of `keys` on `arn`. */
export function untagPath(arn, keys) {
  return `${tagsPath(arn)}?${keys.map((k) => `tagKeys=${encodeURIComponent(k)}`).join('&')}`;
}

/** The passthrough path of the unqualified function URL of function `name`. */
export function urlPath(name) {
  return `lambda/2021-10-31/functions/${encodeURIComponent(name)}/url`;
}

/** The unqualified URL config among ListFunctionUrlConfigs' answers (its ARN has no alias). */
export function unqualifiedUrl(configs, arn) {
  return (configs || []).find((c) => c.FunctionArn === arn) || null;
}
