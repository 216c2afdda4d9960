import { clear, h, notice } from './lib/dom.js';
import { initAuth, signOut } from './lib/auth.js';
import { getJson } from './lib/api.js';
import { session } from './lib/session.js';
import { destroyCharts, drawCharts } from './lib/charts.js';
import * as overview from './pages/overview.js';
import * as models from './pages/models.js';
import * as campaigns from './pages/campaigns.js';
import * as customers from './pages/customers.js';

/**
 * Hash router: #/<page>[/<id>][?query]. Each page module exports `title` and
 * `render({ id, query }) -> Promise<Node>`; the router swaps the page, then draws its charts.
 * <main data-page data-state> says what is shown and whether it is ready (tests wait on it).
 */
const PAGES = { overview, models, campaigns, customers };
const main = document.getElementById('page');
let generation = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?');
  const [name = '', ...rest] = path.split('/');
  const id = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return { name: PAGES[name] ? name : 'overview', id, query: Object.fromEntries(new URLSearchParams(search)) };
}

async function show() {
  const { name, id, query } = parseHash();
  const page = PAGES[name];
  const mine = ++generation;
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === name);
  destroyCharts();
  main.dataset.page = name;
  main.dataset.state = 'loading';
  clear(main).append(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const node = await page.render({ id, query });
    if (mine !== generation) return;
    clear(main).append(node);
    drawCharts();
    document.title = `${page.title}${id ? ` · ${id}` : ''} · winback console`;
    main.dataset.state = 'ready';
  } catch (err) {
    if (mine !== generation) return;
    destroyCharts();
    clear(main).append(h('h1', {}, page.title), notice(err instanceof Error ? err.message : String(err), 'error', 'page-error'));
    main.dataset.state = 'error';
  }
}

/**
 * The badge says where the console runs and what the user may do; deployed, it offers sign-out.
 * The session is also what pages read to show or hide write buttons (pause, resume).
 */

async function start() {
  try {
    await initAuth();
    Object.assign(session, await getJson('/session'));
  } catch (err) {
    clear(main).append(h('h1', {}, 'Sign-in'), notice(err instanceof Error ? err.message : String(err), 'error', 'page-error'));
    main.dataset.state = 'error';
    return;
  }
  const badge = document.querySelector('.badge');
  if (session.mode === 'cognito' && badge) {
    badge.classList.remove('local');
    badge.textContent = session.canWrite ? 'signed in · editor' : 'signed in · read-only';
    badge.title = session.canWrite ? `member of ${session.editorsGroup}: may pause and resume campaigns` : `read-only: ask an administrator to add you to ${session.editorsGroup} to pause campaigns`;
    badge.after(h('button', { class: 'link', type: 'button', testid: 'sign-out', onclick: signOut }, 'Sign out'));
  }
  window.addEventListener('hashchange', show);
  show();
}

start();
