import { clear, h, notice } from './lib/dom.js';
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

window.addEventListener('hashchange', show);
show();
