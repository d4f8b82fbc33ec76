// Configuration tab: memory, timeout, ephemeral storage, reserved concurrency, env vars, the
// function URL, grants, layers and allowed outbound hosts (editable for uploaded functions), and
// the read-only settings; manifest functions show theirs read-only and point at their fnhost.toml line.

import { api, lambda, seg, errorMessage } from './api.js';
import { h, facts } from './dom.js';
import { envFromRows } from './env.js';
import {
  TAGS, splitNames, splitLines, sameList, tagChanges, urlChange, tagsPath, untagPath, urlPath, unqualifiedUrl,
} from './settings.js';

function listOrNone(items, render = (x) => x) {
  if (!items || items.length === 0) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'mono-list' }, items.map((x) => h('li', null, render(x))));
}

function envRow(key, value, readOnly) {
  const k = h('input', { class: 'env-key', value: key, 'aria-label': 'Name', spellcheck: 'false', disabled: readOnly });
  const v = h('input', { class: 'env-value', type: 'password', value, 'aria-label': `Value of ${key || 'new variable'}`, spellcheck: 'false', autocomplete: 'off', disabled: readOnly });
  const reveal = h('button', { type: 'button', class: 'reveal', 'aria-pressed': 'false' }, 'Show');
  reveal.addEventListener('click', () => {
    const show = v.type === 'password';
    v.type = show ? 'text' : 'password';
    reveal.textContent = show ? 'Hide' : 'Show';
    reveal.setAttribute('aria-pressed', String(show));
  });
  const tr = h('tr', null, h('td', null, k), h('td', null, v), h('td', null, reveal));
  if (!readOnly) {
    const remove = h('button', { type: 'button', class: 'remove', 'aria-label': `Remove ${key || 'variable'}` }, 'Remove');
    remove.addEventListener('click', () => tr.remove());
    tr.lastChild.append(' ', remove);
  }
  return tr;
}

function sameVars(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

function textField(id, label, value, hint, multiline) {
  const input = multiline
    ? h('textarea', { id, class: 'code', rows: 3, spellcheck: 'false', autocomplete: 'off' })
    : h('input', { id, type: 'text', spellcheck: 'false', autocomplete: 'off' });
  input.value = value;
  return [input, h('div', { class: 'field' }, h('label', { for: id }, label), input, h('small', { class: 'muted' }, hint))];
}

/** What a save of an uploaded function compares with: its tags, ARN and function URL. */
async function uploadedState(name, signal) {
  const fn = await api(`lambda/2015-03-31/functions/${seg(name)}`, { signal });
  const arn = fn.Configuration.FunctionArn;
  let url = null;
  let urlError = null;
  try {
    const list = await api(`lambda/2021-10-31/functions/${seg(name)}/urls`, { signal });
    url = unqualifiedUrl(list.FunctionUrlConfigs, arn);
  } catch (err) {
    urlError = errorMessage(err);
  }
  return { arn, tags: fn.Tags || {}, url, urlError };
}

function numberField(id, label, value, min, max, readOnly, hint) {
  const input = h('input', { id, type: 'number', min, max, step: 1, value: value === null || value === undefined ? '' : String(value), disabled: readOnly, required: true });
  return [input, h('div', { class: 'field' }, h('label', { for: id }, label), input, h('small', { class: 'muted' }, hint))];
}

/** Renders the Configuration tab. */
export async function renderTab(t) {
  const d = t.detail;
  const readOnly = d.origin !== 'api';
  const { panel } = t;
  // Uploads: the exact tag values (the detail shows the parsed outbound entries) and the URL.
  let up = readOnly ? null : await uploadedState(t.name, t.signal);
  if (t.signal.aborted) return null;
  const [memory, memoryField] = numberField('config-memory', 'Memory (MB)', d.memoryMb, 128, 10240, readOnly, '128–10240');
  const [timeout, timeoutField] = numberField('config-timeout', 'Timeout (s)', d.timeoutS, 1, 900, readOnly, '1–900');
  const [ephemeral, ephemeralField] = numberField('config-ephemeral', 'Ephemeral storage (MB)', d.ephemeralMb ?? 512, 512, 10240, readOnly, '512–10240, /tmp');
  const [reserved, reservedField] = numberField('config-reserved', 'Reserved concurrency', d.reservedConcurrency, 0, 10000, readOnly, 'empty: unreserved; 0 stops every invocation');
  reserved.required = false;
  const envBody = h('tbody');
  for (const [k, v] of Object.entries(d.env || {}).sort(([a], [b]) => a.localeCompare(b))) envBody.append(envRow(k, v, readOnly));
  const envTable = h('table', { id: 'config-env', class: 'grid-table env' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))), envBody);
  const noEnv = h('p', { class: 'muted' }, 'No environment variables.');
  // The table shows once it has a row; removing the last row shows the empty state again.
  const syncEmpty = () => {
    const empty = envBody.childElementCount === 0;
    noEnv.hidden = !empty;
    envTable.hidden = empty;
  };
  new MutationObserver(syncEmpty).observe(envBody, { childList: true });
  syncEmpty();
  const add = h('button', { id: 'config-env-add', type: 'button', disabled: readOnly }, 'Add variable');
  add.addEventListener('click', () => {
    const tr = envRow('', '', false);
    envBody.append(tr);
    tr.querySelector('.env-key').focus();
  });
  // Uploads' function URL, grants, outbound hosts and layers.
  let extra = [];
  let urlSelect = null;
  let urlCurrent = null;
  let grantInputs = null;
  let outbound = null;
  let layers = null;
  if (!readOnly) {
    urlSelect = h(
      'select',
      { id: 'config-url', disabled: up.urlError !== null },
      h('option', { value: '' }, 'No function URL'),
      h('option', { value: 'NONE' }, 'Function URL, auth type NONE (public)'),
      h('option', { value: 'AWS_IAM' }, 'Function URL, auth type AWS_IAM (SigV4-signed)'),
    );
    urlCurrent = h('p', { id: 'config-url-current', class: 'mono' });
    const [read, readField] = textField('config-grants-read', 'Reads buckets', splitNames(up.tags[TAGS.read]).join(' '), 'bucket names, separated by spaces');
    const [write, writeField] = textField('config-grants-write', 'Writes buckets', splitNames(up.tags[TAGS.write]).join(' '), 'bucket names, separated by spaces');
    const [invoke, invokeField] = textField('config-grants-invoke', 'Invokes functions', splitNames(up.tags[TAGS.invoke]).join(' '), 'function names, separated by spaces');
    grantInputs = { read, write, invoke };
    let outboundField;
    [outbound, outboundField] = textField('config-outbound', 'Allowed outbound hosts', splitNames(up.tags[TAGS.outbound]).join('\n'), 'scheme://host[:port] as in the manifest\'s allowed_outbound_hosts, one per line or separated by spaces; empty: none', true);
    let layersField;
    [layers, layersField] = textField('config-layers', 'Layer version ARNs', (d.layers || []).map((l) => l.arn).join('\n'), 'one layer version ARN per line, in /opt order; empty: none', true);
    extra = [
      h('h2', null, 'Function URL'),
      h('div', { class: 'field' }, h('label', { for: 'config-url' }, 'Trigger'), urlSelect, h('small', { class: 'muted' }, up.urlError ? `Function URLs are unavailable: ${up.urlError}` : 'a Lambda function URL: an HTTP endpoint that invokes the function')),
      urlCurrent,
      h('h2', null, 'Permissions'),
      h('div', { class: 'field-row' }, readField, writeField, invokeField),
      h('h2', null, 'Network'),
      outboundField,
      h('h2', null, 'Layers'),
      layersField,
    ];
  }
  // `keepChoice`: after a failed save the select keeps what the user chose.
  const showUrl = (keepChoice = false) => {
    if (!urlSelect) return;
    if (!keepChoice) urlSelect.value = up.url ? up.url.AuthType : '';
    urlCurrent.textContent = up.url ? up.url.FunctionUrl : 'No function URL.';
  };
  showUrl();
  const save = h('button', { id: 'config-save', type: 'submit', class: 'primary', disabled: readOnly }, 'Save');
  const message = h('p', { id: 'config-message', role: 'status' });
  const form = h('form', { id: 'config-form', class: 'form', novalidate: true });

  if (readOnly) {
    const where = d.manifest ? `Defined in fnhost.toml line ${d.manifest.line} — edit it there` : 'Defined in fnhost.toml — edit it there';
    form.append(h('p', { id: 'config-readonly', class: 'notice' }, where, d.manifest ? h('span', { class: 'muted' }, ` (${d.manifest.path})`) : null));
  }
  form.append(
    h('h2', null, 'General'),
    h('div', { class: 'field-row' }, memoryField, timeoutField, ephemeralField, reservedField),
    h('h2', null, 'Environment variables'),
    noEnv,
    envTable,
    h('div', { class: 'actions' }, add),
    ...extra,
    h('div', { class: 'actions' }, save),
    message,
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (readOnly) return;
    message.className = 'error';
    const mem = Number(memory.value);
    const to = Number(timeout.value);
    const eph = Number(ephemeral.value);
    if (!Number.isInteger(mem) || mem < 128 || mem > 10240) return fail('Memory must be a whole number of MB from 128 to 10240.', memory);
    if (!Number.isInteger(to) || to < 1 || to > 900) return fail('Timeout must be a whole number of seconds from 1 to 900.', timeout);
    if (!Number.isInteger(eph) || eph < 512 || eph > 10240) return fail('Ephemeral storage must be a whole number of MB from 512 to 10240.', ephemeral);
    const res = reserved.value.trim() === '' ? null : Number(reserved.value);
    if (res !== null && (!Number.isInteger(res) || res < 0)) return fail('Reserved concurrency must be empty or a whole number from 0.', reserved);
    const rows = [...envBody.querySelectorAll('tr')].map((tr) => ({ key: tr.querySelector('.env-key').value, value: tr.querySelector('.env-value').value }));
    const { vars, errors } = envFromRows(rows);
    if (errors.length) {
      const first = errors[0];
      const input = first.row >= 0 ? envBody.querySelectorAll('tr')[first.row].querySelector('.env-key') : null;
      return fail(first.row >= 0 ? `Variable ${first.row + 1}: ${first.message}` : first.message, input);
    }
    // Send only what changed, as the AWS console does.
    const cur = t.detail;
    const body = {};
    if (mem !== cur.memoryMb) body.MemorySize = mem;
    if (to !== cur.timeoutS) body.Timeout = to;
    if (eph !== (cur.ephemeralMb ?? 512)) body.EphemeralStorage = { Size: eph };
    if (!sameVars(vars, cur.env || {})) body.Environment = { Variables: vars };
    const wantedLayers = splitLines(layers.value);
    if (!sameList(wantedLayers, (cur.layers || []).map((l) => l.arn))) body.Layers = wantedLayers;
    const curReserved = cur.reservedConcurrency ?? null;
    const tags = tagChanges(up.tags, {
      [TAGS.read]: splitNames(grantInputs.read.value),
      [TAGS.write]: splitNames(grantInputs.write.value),
      [TAGS.invoke]: splitNames(grantInputs.invoke.value),
      [TAGS.outbound]: splitNames(outbound.value),
    });
    const tagging = Object.keys(tags.set).length > 0;
    const untagging = tags.remove.length > 0;
    const url = urlSelect.disabled ? null : urlChange(up.url ? up.url.AuthType : null, urlSelect.value);
    if (Object.keys(body).length === 0 && res === curReserved && !tagging && !untagging && !url) {
      message.className = '';
      message.textContent = 'Nothing changed.';
      return;
    }
    save.disabled = true;
    message.className = '';
    message.textContent = 'Saving…';
    // Each change is its own Lambda call, in this order; the first failure stops the save and
    // is shown, and the tab then shows what the function has (the earlier calls took effect).
    let failure = null;
    try {
      if (Object.keys(body).length > 0) {
        await lambda(`functions/${seg(t.name)}/configuration`, { method: 'PUT', json: body });
      }
      // Reserved concurrency is its own Lambda operation (PutFunctionConcurrency).
      if (res !== curReserved) {
        const path = `lambda/2017-10-31/functions/${seg(t.name)}/concurrency`;
        if (res === null) await api(path, { method: 'DELETE' });
        else await api(path, { method: 'PUT', json: { ReservedConcurrentExecutions: res } });
      }
      // Grants and outbound hosts are tags; the next invocation runs with them.
      if (tagging) await api(tagsPath(up.arn), { method: 'POST', json: { Tags: tags.set } });
      if (untagging) await api(untagPath(up.arn, tags.remove), { method: 'DELETE' });
      if (url) await api(urlPath(t.name), url);
    } catch (err) {
      failure = err;
    }
    try {
      await t.refresh();
      up = await uploadedState(t.name, t.signal);
      if (t.signal.aborted) return;
      showUrl(failure !== null);
      other.replaceWith((other = otherSettings(t.detail)));
    } catch (err) {
      failure = failure || err;
    }
    save.disabled = false;
    if (failure) {
      message.className = 'error';
      message.textContent = errorMessage(failure);
      return;
    }
    const done = [`${mem} MB`, `${to} s`, `${eph} MB of /tmp`, `${Object.keys(vars).length} variables`, res === null ? 'unreserved' : `${res} reserved`];
    if (body.Layers) done.push(`${wantedLayers.length} layers`);
    if (tagging || untagging) done.push('grants and outbound hosts updated');
    if (url) done.push(up.url ? `function URL ${up.url.AuthType}` : 'no function URL');
    message.className = 'ok';
    message.textContent = `Saved: ${done.join(', ')}.`;
  });

  function fail(text, input) {
    message.className = 'error';
    message.textContent = text;
    if (input) input.focus();
  }

  // The settings as the host applies them (refreshed after a save).
  function otherSettings(detail) {
    const g = detail.grants || {};
    return h(
      'section',
      { class: 'readonly-settings' },
      h('h2', null, readOnly ? 'Other settings' : 'Current settings'),
      facts([
        ['Fuel per invocation', detail.fuel === null || detail.fuel === undefined ? 'unlimited' : String(detail.fuel)],
        ['Triggers', listOrNone(detail.triggers, (tr) => [h('b', null, tr.type), ' ', tr.detail])],
        ['Reads buckets', listOrNone(g.read)],
        ['Writes buckets', listOrNone(g.write)],
        ['Invokes functions', listOrNone(g.invoke)],
        ['Layers', listOrNone(detail.layers, (l) => `${l.arn}${l.codeSize ? ` (${l.codeSize} bytes)` : ''}`)],
        ['Allowed outbound hosts', listOrNone(detail.allowedOutboundHosts)],
      ], { id: 'config-other' }),
    );
  }
  let other = otherSettings(d);
  panel.append(form, other);
  t.loaded();
  return null;
}
