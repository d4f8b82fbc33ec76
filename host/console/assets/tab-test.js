// Test tab: saved test events (created from templates), run one, show the result and its log.

import { api, seg, errorMessage } from './api.js';
import { h, setLoaded } from './dom.js';
import { formatMs, formatCount, prettyJson } from './format.js';
import { confirmDialog } from './dialog.js';

const EVENT_NAME = /^[A-Za-z0-9_.-]{1,25}$/;

/** Whether `text` is JSON; returns the parse error message otherwise. */
function jsonProblem(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return err.message;
  }
}

/** Renders the Test tab. */
export async function renderTab(t) {
  const { panel, name } = t;
  const base = `functions/${seg(name)}`;
  const [eventsRes, templatesRes] = await Promise.all([
    api(`${base}/test-events`, { signal: t.signal }),
    api('event-templates', { signal: t.signal }),
  ]);
  let events = eventsRes.events || [];
  const templates = templatesRes.templates || [];

  const select = h('select', { id: 'test-event-select', 'aria-label': 'Saved event' });
  const template = h('select', { id: 'test-template', 'aria-label': 'Template' }, h('option', { value: '' }, 'Template…'), templates.map((tp) => h('option', { value: tp.id }, tp.name)));
  const eventName = h('input', { id: 'test-event-name', maxlength: 25, pattern: '[A-Za-z0-9_.\\-]{1,25}', spellcheck: 'false', placeholder: 'MyEvent' });
  const body = h('textarea', { id: 'test-event-body', rows: 14, spellcheck: 'false', class: 'code' });
  const save = h('button', { id: 'test-save', type: 'button' }, 'Save');
  const del = h('button', { id: 'test-delete', type: 'button', class: 'danger' }, 'Delete');
  const run = h('button', { id: 'test-run', type: 'button', class: 'primary' }, 'Test');
  const message = h('p', { id: 'test-message', role: 'status' });
  const result = h('section', { id: 'test-result', 'data-loaded': 'false', 'aria-live': 'polite', class: 'result', hidden: true });

  function fillSelect(selected) {
    select.replaceChildren(h('option', { value: '' }, '— New event —'), ...events.map((ev) => h('option', { value: ev.name }, ev.name)));
    select.value = selected || '';
    del.disabled = !select.value;
  }

  function showEvent(evName) {
    const ev = events.find((e) => e.name === evName);
    if (ev) {
      eventName.value = ev.name;
      body.value = prettyJson(ev.event);
    }
    del.disabled = !ev;
  }

  function applyTemplate(id) {
    const tp = templates.find((x) => x.id === id);
    if (!tp) return;
    body.value = JSON.stringify(tp.event, null, 2);
    if (!select.value && !eventName.value) eventName.value = tp.id.replace(/[^A-Za-z0-9_.-]/g, '-');
  }

  select.addEventListener('change', () => {
    if (select.value) showEvent(select.value);
    else {
      eventName.value = '';
      body.value = '{}';
      del.disabled = true;
    }
  });
  template.addEventListener('change', () => {
    applyTemplate(template.value);
    template.value = '';
  });

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? 'error' : 'ok';
  }

  save.addEventListener('click', async () => {
    const n = eventName.value.trim();
    if (!EVENT_NAME.test(n)) return say('Name the event with 1–25 letters, digits, ., - or _.', true);
    const problem = jsonProblem(body.value);
    if (problem) return say(`The event is not valid JSON: ${problem}`, true);
    save.disabled = true;
    try {
      const saved = await api(`${base}/test-events/${seg(n)}`, { method: 'PUT', json: { event: body.value } });
      events = events.filter((e) => e.name !== n).concat([saved && saved.name ? saved : { name: n, event: body.value }]);
      events.sort((a, b) => a.name.localeCompare(b.name));
      fillSelect(n);
      say(`Saved ${n}.`);
    } catch (err) {
      say(errorMessage(err), true);
    } finally {
      save.disabled = false;
    }
  });

  del.addEventListener('click', async () => {
    const n = select.value;
    if (!n || !(await confirmDialog(`Delete the test event ${n}?`))) return;
    try {
      await api(`${base}/test-events/${seg(n)}`, { method: 'DELETE' });
      events = events.filter((e) => e.name !== n);
      fillSelect('');
      eventName.value = '';
      say(`Deleted ${n}.`);
    } catch (err) {
      say(errorMessage(err), true);
    }
  });

  run.addEventListener('click', async () => {
    const problem = jsonProblem(body.value);
    if (problem) return say(`The event is not valid JSON: ${problem}`, true);
    say('');
    run.disabled = true;
    result.hidden = false;
    setLoaded(result, false);
    result.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
    try {
      const res = await api(`${base}/test`, { method: 'POST', body: body.value, contentType: 'application/json', signal: t.signal });
      showResult(res);
    } catch (err) {
      if (t.signal.aborted) return;
      result.replaceChildren(h('p', { id: 'test-status', class: 'error', role: 'alert' }, `Could not run the test: ${errorMessage(err)}`));
    } finally {
      run.disabled = false;
      setLoaded(result, true);
    }
  });

  function showResult(res) {
    const r = res.report || {};
    const failed = Boolean(res.functionError);
    const status = h(
      'p',
      { id: 'test-status', class: failed ? 'status bad' : 'status good' },
      failed ? `Failed: ${res.functionError}` : 'Succeeded',
      h('span', { class: 'muted' }, ` — status ${res.statusCode}, request ${res.requestId}`),
    );
    const field = (key, label, value) => [h('dt', null, label), h('dd', { 'data-field': key }, value)];
    const report = h(
      'dl',
      { id: 'test-report', class: 'facts report' },
      field('duration', 'Duration', formatMs(r.durationMs)),
      field('billed', 'Billed duration', r.billedMs === null || r.billedMs === undefined ? '—' : `${r.billedMs} ms`),
      field('memory', 'Memory size', r.memoryMb === null || r.memoryMb === undefined ? '—' : `${r.memoryMb} MB`),
      field('maxMemory', 'Max memory used', r.maxMemoryUsedMb === null || r.maxMemoryUsedMb === undefined ? '—' : `${r.maxMemoryUsedMb} MB`),
      field('fuel', 'Fuel', r.fuel === null || r.fuel === undefined ? '—' : h('span', { title: String(r.fuel) }, formatCount(r.fuel))),
      r.initMs !== null && r.initMs !== undefined ? field('init', 'Init duration', formatMs(r.initMs)) : null,
    );
    result.replaceChildren(
      h('h3', null, 'Execution result'),
      status,
      report,
      h('h4', null, 'Response'),
      h('pre', { id: 'test-response', class: 'code', tabindex: '0' }, prettyJson(res.payload ?? '')),
      h('h4', null, 'Log'),
      h('pre', { id: 'test-log', class: 'code log', tabindex: '0' }, res.log || ''),
    );
  }

  panel.append(
    h('h2', null, 'Test event'),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'test-event-select' }, 'Saved events'),
      select,
      h('label', { for: 'test-template' }, 'From template'),
      template,
    ),
    h('div', { class: 'field' }, h('label', { for: 'test-event-name' }, 'Event name'), eventName),
    h('div', { class: 'field' }, h('label', { for: 'test-event-body' }, 'Event JSON'), body),
    h('div', { class: 'actions' }, run, save, del),
    message,
    result,
  );

  if (events.length) {
    fillSelect(events[0].name);
    showEvent(events[0].name);
  } else {
    fillSelect('');
    const first = templates.find((x) => x.id === 'blank') || templates[0];
    body.value = first ? JSON.stringify(first.event, null, 2) : '{}';
  }
  t.loaded();
  return null;
}
