// The console's shell: session check, login, hash router and nav. Each page module exports
// `render(ctx)` which fills `ctx.root`, calls `ctx.loaded()` when its data is on screen and may
// return `{update(route, start), cleanup()}`.

import { api, setCsrf, onUnauthorized, errorMessage } from './api.js';
import { h, errorBox } from './dom.js';
import { parseRoute, navOf } from './route.js';
import { showLogin } from './login.js';
import * as functionsPage from './page-functions.js';
import * as createPage from './page-create.js';
import * as functionPage from './page-function.js';
import * as bucketsPage from './page-buckets.js';
import * as deadLettersPage from './page-dead-letters.js';
import * as usagePage from './page-usage.js';

window.fnhostTimings = window.fnhostTimings || {};

const PAGES = {
  functions: functionsPage,
  create: createPage,
  function: functionPage,
  buckets: bucketsPage,
  bucket: bucketsPage,
  'dead-letters': deadLettersPage,
  usage: usagePage,
};

const main = document.getElementById('main');
const header = document.getElementById('shell-header');
const logoutButton = document.getElementById('logout');

let session = null;
let current = null; // {key, controller, handle}
let firstRoute = true;
let signingIn = false;

function teardown() {
  if (!current) return;
  current.controller.abort();
  if (current.handle && current.handle.cleanup) current.handle.cleanup();
  current = null;
}

function pageKey(route) {
  return route.page === 'function' ? `function:${route.name}` : null;
}

async function navigate() {
  if (signingIn || !session) return;
  // The first render is timed from the page load (navigation start), later ones from the route change.
  const start = firstRoute ? 0 : performance.now();
  firstRoute = false;
  const route = parseRoute(location.hash);
  const nav = navOf(route);
  for (const a of document.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const key = pageKey(route);
  if (current && key && current.key === key && current.handle && current.handle.update) {
    current.handle.update(route, start);
    return;
  }
  teardown();
  const controller = new AbortController();
  const root = h('div', { class: 'page' });
  main.setAttribute('data-loaded', 'false');
  main.replaceChildren(root);
  const entry = { key, controller, handle: null };
  current = entry;
  const ctx = {
    route,
    root,
    start,
    signal: controller.signal,
    session,
    /** Marks the page rendered; records `fnhostTimings[timing]` when given. */
    loaded(timing) {
      if (controller.signal.aborted) return;
      if (timing) window.fnhostTimings[timing] = performance.now() - start;
      main.setAttribute('data-loaded', 'true');
    },
    title(text) {
      document.title = text ? `${text} — fnhost` : 'fnhost console';
    },
    /** A request boot.js started for this first page (a Response promise), or null; once. */
    prefetched(what) {
      const boot = window.fnhostBoot;
      if (!boot || !boot[what] || start !== 0) return null;
      const promise = boot[what];
      boot[what] = null;
      return promise;
    },
  };
  ctx.title('');
  const page = PAGES[route.page];
  if (!page) {
    root.append(h('h1', null, 'Not found'), errorBox(`There is no page at #${route.path}.`), h('p', null, h('a', { href: '#/functions' }, 'Back to the functions')));
    ctx.loaded();
    return;
  }
  try {
    const handle = await page.render(ctx);
    if (current === entry) entry.handle = handle || null;
    else if (handle && handle.cleanup) handle.cleanup();
  } catch (err) {
    if (controller.signal.aborted) return;
    root.append(errorBox(errorMessage(err)));
    ctx.loaded();
  }
}

async function signIn() {
  signingIn = true;
  teardown();
  header.hidden = true;
  const who = await showLogin(main);
  signingIn = false;
  session = { ...(session || {}), signedIn: true, authRequired: true, accessKeyId: who.accessKeyId };
  showShell();
  navigate();
}

function showShell() {
  header.hidden = false;
  logoutButton.hidden = !session.authRequired;
  document.getElementById('session-user').textContent = session.authRequired && session.accessKeyId ? session.accessKeyId : '';
}

logoutButton.addEventListener('click', async () => {
  try {
    await api('logout', { method: 'POST' });
  } catch {
    // Signed out either way: the session may already have expired.
  }
  setCsrf(null);
  signIn();
});

onUnauthorized(() => {
  if (!signingIn) signIn();
});

async function start() {
  try {
    const boot = window.fnhostBoot;
    session = (boot && (await boot.session)) || (await api('session'));
  } catch (err) {
    main.replaceChildren(errorBox(`Cannot load the session: ${errorMessage(err)}`));
    main.setAttribute('data-loaded', 'true');
    return;
  }
  if (session.authRequired && !session.signedIn) {
    await signIn();
    return;
  }
  setCsrf(session.csrf);
  showShell();
  navigate();
}

window.addEventListener('hashchange', navigate);
start();
