// Create a function from a .wasm or a zip, with upload progress and the state followed live.

import { errorMessage } from './api.js';
import { h } from './dom.js';
import { parseEnv } from './env.js';
import { functionHref } from './route.js';
import { fileProblem, sendCode, pollFunction } from './deploy.js';

const RUNTIMES = [
  ['wasm', 'WebAssembly (.wasm or zip of one)', 'handler'],
  ['python3.12', 'Python 3.12 (zip of source)', 'lambda_function.lambda_handler'],
  ['nodejs20.x', 'Node.js 20 (zip of source)', 'index.handler'],
];

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function field(label, input, hint) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('small', { class: 'muted', id: `${input.id}-hint` }, hint) : null);
}

/** Renders the create page. */
export async function render(ctx) {
  ctx.title('Create function');
  const name = h('input', { id: 'create-name', required: true, maxlength: 64, pattern: '[A-Za-z0-9_-]{1,64}', autocomplete: 'off', spellcheck: 'false' });
  const runtime = h('select', { id: 'create-runtime' }, RUNTIMES.map(([v, label]) => h('option', { value: v }, label)));
  const handler = h('input', { id: 'create-handler', value: 'handler', spellcheck: 'false' });
  const file = h('input', { id: 'create-file', type: 'file', accept: '.wasm,.zip,application/wasm,application/zip', required: true });
  const memory = h('input', { id: 'create-memory', type: 'number', min: 128, max: 10240, step: 1, value: '128' });
  const timeout = h('input', { id: 'create-timeout', type: 'number', min: 1, max: 900, step: 1, value: '3' });
  const env = h('textarea', { id: 'create-env', rows: 4, spellcheck: 'false', placeholder: 'KEY=VALUE, one per line' });
  const envErrors = h('ul', { class: 'error-list', 'aria-live': 'polite' });
  const submit = h('button', { id: 'create-submit', type: 'submit', class: 'primary' }, 'Create function');
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0 });
  const phase = h('span', { class: 'muted' });
  const stateEl = h('output', { id: 'function-state' }, '—');
  const error = h('p', { id: 'create-error', class: 'error', role: 'alert' });
  let handlerEdited = false;

  handler.addEventListener('input', () => (handlerEdited = true));
  runtime.addEventListener('change', () => {
    if (!handlerEdited) handler.value = RUNTIMES.find(([v]) => v === runtime.value)[2];
  });
  env.addEventListener('input', () => showEnvErrors());

  function showEnvErrors() {
    const { vars, errors } = parseEnv(env.value);
    envErrors.replaceChildren(...errors.map((e) => h('li', null, e.line ? `line ${e.line}: ${e.message}` : e.message)));
    return errors.length ? null : vars;
  }

  const form = h(
    'form',
    { id: 'create-form', class: 'card form', novalidate: true },
    field('Function name', name, '1–64 letters, digits, - or _'),
    field('Runtime', runtime),
    field('Handler', handler, 'wasm: any; Python: module.function; Node.js: file.export'),
    field('Code', file, 'A .wasm component or module, or a .zip (up to 50 MiB)'),
    h('div', { class: 'field-row' }, field('Memory (MB)', memory), field('Timeout (s)', timeout)),
    field('Environment variables', env),
    envErrors,
    h('div', { class: 'actions' }, submit, h('a', { href: '#/functions', class: 'button' }, 'Cancel')),
    h('div', { class: 'deploy-status' }, h('label', { for: 'upload-progress' }, 'Upload'), progress, phase, h('span', null, 'State: '), stateEl),
    error,
  );
  ctx.root.append(h('div', { class: 'page-head' }, h('h1', null, 'Create function'), h('a', { href: '#/functions' }, '← Functions')), form);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const fn = name.value.trim();
    if (!NAME.test(fn)) return fail('Enter a name of 1–64 letters, digits, - or _.', name);
    const f = file.files[0];
    const problem = fileProblem(f);
    if (problem) return fail(problem, file);
    const mem = Number(memory.value);
    if (!Number.isInteger(mem) || mem < 128 || mem > 10240) return fail('Memory must be a whole number of MB from 128 to 10240.', memory);
    const to = Number(timeout.value);
    if (!Number.isInteger(to) || to < 1 || to > 900) return fail('Timeout must be a whole number of seconds from 1 to 900.', timeout);
    const vars = showEnvErrors();
    if (!vars) return fail('Fix the environment variables first.', env);
    const rt = runtime.value;
    if (rt !== 'wasm' && !/\.zip$/i.test(f.name)) return fail(`${rt} needs a .zip of the function's source.`, file);

    submit.disabled = true;
    stateEl.textContent = 'Uploading';
    try {
      const created = await sendCode(f, {
        method: 'POST',
        path: 'functions',
        signal: ctx.signal,
        makeBody: (b64) => ({
          FunctionName: fn,
          Role: 'arn:aws:iam::000000000000:role/console',
          Runtime: rt === 'wasm' ? 'provided.al2023' : rt,
          Handler: handler.value.trim() || 'handler',
          Code: { ZipFile: b64 },
          MemorySize: mem,
          Timeout: to,
          Environment: { Variables: vars },
        }),
        onProgress: (ph, fraction) => {
          phase.textContent = ` ${ph} ${Math.round(fraction * 100)}%`;
          progress.value = ph === 'Uploading' ? Math.round(fraction * 100) : 0;
        },
      });
      progress.value = 100;
      phase.textContent = ' Uploaded';
      stateEl.textContent = created.State || 'Pending';
      const conf = created.State === 'Active' ? created : await pollFunction(fn, {
        signal: ctx.signal,
        onState: (c) => (stateEl.textContent = c.State || '?'),
        done: (c) => c.State === 'Active' || c.State === 'Failed',
      });
      if (conf.State === 'Failed') {
        error.textContent = `The function failed to deploy: ${conf.StateReason || conf.StateReasonCode || 'no reason given'}`;
        submit.disabled = false;
        return;
      }
      location.hash = functionHref(fn, 'code');
    } catch (err) {
      if (ctx.signal.aborted) return;
      stateEl.textContent = '—';
      error.textContent = errorMessage(err);
      submit.disabled = false;
    }
  });

  function fail(message, input) {
    error.textContent = message;
    if (input) input.focus();
  }

  ctx.loaded();
  name.focus();
  return null;
}
