// One function: a header with its state and tabs as in Lambda's console. Each tab lives in its
// own module and is rendered when it is shown; leaving a tab cleans it up (the Logs tab closes
// its EventSource).

import { api, lambda, seg, errorMessage } from './api.js';
import { h, errorBox } from './dom.js';
import { TABS, functionHref } from './route.js';
import { confirmDialog } from './dialog.js';
import * as codeTab from './tab-code.js';
import * as testTab from './tab-test.js';
import * as monitorTab from './tab-monitor.js';
import * as logsTab from './tab-logs.js';
import * as configTab from './tab-config.js';
import * as versionsTab from './tab-versions.js';

/** Tabs that render from the function's details (the others only need its name). */
const NEEDS_DETAIL = new Set(['code', 'configuration', 'versions']);

const TAB_MODULES = {
  code: [codeTab, 'Code'],
  test: [testTab, 'Test'],
  monitor: [monitorTab, 'Monitor'],
  logs: [logsTab, 'Logs'],
  configuration: [configTab, 'Configuration'],
  versions: [versionsTab, 'Versions'],
};

/** Renders the function page; tab changes of the same function go through `update`. */
export async function render(ctx) {
  const { name } = ctx.route;
  ctx.title(name);
  const main = document.getElementById('main');
  const stateEl = h('span', { id: 'function-state', class: 'badge' }, '…');
  const originEl = h('span', { class: 'muted' });
  const headActions = h('div', { class: 'actions' });
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Function' });
  const panels = {};
  const buttons = {};
  for (const tab of TABS) {
    const [, label] = TAB_MODULES[tab];
    const button = h('button', {
      type: 'button',
      role: 'tab',
      id: `tabbtn-${tab}`,
      'data-tab': tab,
      'aria-controls': `tab-${tab}`,
      'aria-selected': 'false',
      tabindex: '-1',
    }, label);
    button.addEventListener('click', () => go(tab));
    button.addEventListener('keydown', (e) => onTabKey(e, tab));
    buttons[tab] = button;
    tablist.append(button);
    panels[tab] = h('section', { id: `tab-${tab}`, role: 'tabpanel', 'aria-labelledby': `tabbtn-${tab}`, class: 'tab-panel', hidden: true, tabindex: '0' });
  }
  ctx.root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/functions' }, 'Functions'), ' / ', name),
    h('div', { class: 'page-head fn-head' }, h('h1', { id: 'function-title' }, name), stateEl, originEl, headActions),
    tablist,
    ...TABS.map((t) => panels[t]),
  );

  let detail = null;
  let activeTab = null;
  let tabController = null;
  let tabCleanup = null;

  function go(tab) {
    location.hash = functionHref(name, tab);
  }

  function onTabKey(e, tab) {
    const i = TABS.indexOf(tab);
    let next = null;
    if (e.key === 'ArrowRight') next = TABS[(i + 1) % TABS.length];
    else if (e.key === 'ArrowLeft') next = TABS[(i - 1 + TABS.length) % TABS.length];
    else if (e.key === 'Home') next = TABS[0];
    else if (e.key === 'End') next = TABS[TABS.length - 1];
    if (!next) return;
    e.preventDefault();
    buttons[next].focus();
    go(next);
  }

  function showHeader() {
    stateEl.textContent = detail.state || '?';
    stateEl.className = `badge state-${String(detail.state || '').toLowerCase()}`;
    if (detail.stateReason && detail.state !== 'Active') stateEl.title = detail.stateReason;
    originEl.textContent = detail.origin === 'manifest'
      ? `from ${detail.manifest ? `${detail.manifest.path} line ${detail.manifest.line}` : 'fnhost.toml'}`
      : 'uploaded through the API';
    headActions.replaceChildren();
    if (detail.origin === 'api') {
      headActions.append(h('button', { type: 'button', class: 'danger', id: 'function-delete', onclick: deleteFunction }, 'Delete function'));
    }
  }

  async function deleteFunction() {
    if (!(await confirmDialog(`Delete function ${name}? Its versions, aliases and test events go with it.`))) return;
    try {
      await lambda(`functions/${seg(name)}`, { method: 'DELETE' });
      location.hash = '#/functions';
    } catch (err) {
      headActions.append(errorBox(errorMessage(err)));
    }
  }

  async function refresh() {
    detail = await api(`functions/${seg(name)}`);
    showHeader();
    return detail;
  }

  function showTab(tab, start) {
    if (tabController) tabController.abort();
    if (tabCleanup) tabCleanup();
    tabCleanup = null;
    tabController = new AbortController();
    const signal = tabController.signal;
    activeTab = tab;
    for (const t of TABS) {
      const on = t === tab;
      buttons[t].setAttribute('aria-selected', on ? 'true' : 'false');
      buttons[t].tabIndex = on ? 0 : -1;
      panels[t].hidden = !on;
      if (!on) panels[t].replaceChildren();
    }
    const panel = panels[tab];
    panel.replaceChildren();
    main.setAttribute('data-loaded', 'false');
    const [mod] = TAB_MODULES[tab];
    const t = {
      panel,
      name,
      get detail() {
        return detail;
      },
      signal,
      start,
      refresh,
      loaded(timing) {
        if (signal.aborted) return;
        if (timing) window.fnhostTimings[timing] = performance.now() - t.start;
        main.setAttribute('data-loaded', 'true');
      },
    };
    Promise.resolve()
      .then(() => mod.renderTab(t))
      .then((cleanup) => {
        if (signal.aborted) {
          if (cleanup) cleanup();
        } else tabCleanup = cleanup || null;
      })
      .catch((err) => {
        if (signal.aborted) return;
        panel.append(errorBox(errorMessage(err)));
        t.loaded();
      });
  }

  // Leaving the page ends the tab too (closes the Logs tab's EventSource), even while the
  // function's details are still loading.
  ctx.signal.addEventListener('abort', () => {
    if (tabController) tabController.abort();
    if (tabCleanup) tabCleanup();
    tabCleanup = null;
  });

  // Tabs that do not need the details load in parallel with them.
  const pending = api(`functions/${seg(name)}`, { signal: ctx.signal });
  const early = !NEEDS_DETAIL.has(ctx.route.tab);
  if (early) showTab(ctx.route.tab, ctx.start);
  try {
    detail = await pending;
  } catch (err) {
    if (ctx.signal.aborted) return null;
    if (tabController) tabController.abort();
    if (tabCleanup) tabCleanup();
    tabCleanup = null;
    for (const tab of TABS) panels[tab].hidden = true;
    tablist.hidden = true;
    stateEl.textContent = 'unknown';
    ctx.root.append(errorBox(err.status === 404 ? `There is no function named ${name}.` : `Cannot load ${name}: ${errorMessage(err)}`));
    ctx.loaded();
    return null;
  }
  if (ctx.signal.aborted) return null;
  showHeader();
  if (!early) showTab(ctx.route.tab, ctx.start);

  return {
    update(route, start) {
      if (route.tab !== activeTab) showTab(route.tab, start);
    },
    cleanup() {
      if (tabController) tabController.abort();
      if (tabCleanup) tabCleanup();
      tabCleanup = null;
    },
  };
}
