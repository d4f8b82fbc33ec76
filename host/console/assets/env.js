// Environment variables as the create page's textarea holds them: KEY=VALUE per line.
// Pure functions; the node tests import this module.

/** Lambda's key rule: a letter, then letters, digits and underscores. */
export const ENV_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Lambda's limit on the total size of all keys and values. */
export const ENV_MAX_BYTES = 4096;

/** Why `key` is not a valid variable name, or null when it is. */
export function envKeyError(key) {
  if (key === '') return 'the name is empty';
  if (!ENV_KEY.test(key)) {
    return `\`${key}\` is not a valid name: start with a letter, then letters, digits or _`;
  }
  return null;
}

/**
 * Parses KEY=VALUE lines. Blank lines and lines starting with # are skipped; the value is
 * everything after the first `=` (it may contain `=`; surrounding whitespace of the key is
 * trimmed, the value is kept as written). Returns `{vars, errors: [{line, message}]}`.
 */
export function parseEnv(text) {
  const vars = {};
  const errors = [];
  const lines = String(text).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const eq = raw.indexOf('=');
    if (eq < 0) {
      errors.push({ line, message: 'expected KEY=VALUE' });
      return;
    }
    const key = raw.slice(0, eq).trim();
    const keyError = envKeyError(key);
    if (keyError) {
      errors.push({ line, message: keyError });
      return;
    }
    if (Object.prototype.hasOwnProperty.call(vars, key)) {
      errors.push({ line, message: `\`${key}\` is set twice` });
      return;
    }
    vars[key] = raw.slice(eq + 1);
  });
  const sizeError = envSizeError(vars);
  if (sizeError) errors.push({ line: 0, message: sizeError });
  return { vars, errors };
}

/** The 4 KB limit message, or null when the variables fit. */
export function envSizeError(vars) {
  const enc = new TextEncoder();
  let size = 0;
  for (const [k, v] of Object.entries(vars)) size += enc.encode(k).length + enc.encode(v).length;
  return size > ENV_MAX_BYTES
    ? `the variables take ${size} bytes; Lambda allows ${ENV_MAX_BYTES} in total`
    : null;
}

/**
 * Validates editor rows `[{key, value}]` (the Configuration tab). Rows with an empty key and
 * value are ignored. Returns `{vars, errors: [{row, message}]}` with 0-based row indexes.
 */
export function envFromRows(rows) {
  const vars = {};
  const errors = [];
  rows.forEach(({ key, value }, row) => {
    const k = key.trim();
    if (k === '' && value === '') return;
    const keyError = envKeyError(k);
    if (keyError) errors.push({ row, message: keyError });
    else if (Object.prototype.hasOwnProperty.call(vars, k)) {
      errors.push({ row, message: `\`${k}\` is set twice` });
    } else vars[k] = value;
  });
  const sizeError = envSizeError(vars);
  if (sizeError) errors.push({ row: -1, message: sizeError });
  return { vars, errors };
}
