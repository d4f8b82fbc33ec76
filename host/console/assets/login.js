// The sign-in form, shown when credentials are configured and there is no session.

import { api, setCsrf, errorMessage } from './api.js';
import { h } from './dom.js';

/**
 * Replaces `main` with the login form; resolves once the user has signed in (the CSRF token is
 * set by then).
 */
export function showLogin(main) {
  return new Promise((resolve) => {
    const key = h('input', { id: 'login-key', name: 'accessKeyId', autocomplete: 'username', required: true, spellcheck: 'false' });
    const secret = h('input', { id: 'login-secret', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
    const error = h('p', { id: 'login-error', class: 'error', role: 'alert' });
    const submit = h('button', { id: 'login-submit', type: 'submit', class: 'primary' }, 'Sign in');
    const form = h(
      'form',
      { id: 'login', class: 'login card', novalidate: true },
      h('h1', null, 'Sign in to fnhost'),
      h('p', { class: 'muted' }, 'Use an access key of this host (fnhost.toml [auth] or FNHOST_ACCESS_KEY_ID).'),
      h('label', { for: 'login-key' }, 'Access key id'),
      key,
      h('label', { for: 'login-secret' }, 'Secret access key'),
      secret,
      submit,
      error,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      if (!key.value || !secret.value) {
        error.textContent = 'Enter the access key id and the secret access key.';
        return;
      }
      submit.disabled = true;
      try {
        const res = await api('login', { method: 'POST', json: { accessKeyId: key.value.trim(), secretAccessKey: secret.value } });
        setCsrf(res.csrf);
        secret.value = '';
        resolve({ accessKeyId: key.value.trim() });
      } catch (err) {
        error.textContent = err.status === 401 ? 'Wrong access key id or secret access key.' : errorMessage(err);
        secret.select();
      } finally {
        submit.disabled = false;
      }
    });
    main.replaceChildren(form);
    main.setAttribute('data-loaded', 'true');
    key.focus();
  });
}
