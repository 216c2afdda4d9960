import { enc, getJson, postJson } from '../lib/api.js';
import { session } from '../lib/session.js';
import { barConfig, chartBox, COLORS } from '../lib/charts.js';
import { h, kpi, link, notice, section, table } from '../lib/dom.js';
import { dateTime, int, money, pct } from '../lib/format.js';

export const title = 'Campaigns';

const FUNNEL = [
  ['entered', 'entered'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['opened', 'opened'],
  ['clicked', 'clicked'],
  ['converted', 'converted'],
];
const COLUMNS = ['entered', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed', 'converted', 'revenue', 'conversionRate', 'revenuePerCustomer'];
const HEADINGS = { conversionRate: 'conv. rate', revenuePerCustomer: 'revenue / customer', unsubscribed: 'unsub.', complained: 'compl.' };

export async function render({ id, query }) {
  return id ? detail(id, query) : list();
}

function describeTrigger(t) {
  switch (t.type) {
    case 'score':
      return `${t.model} score ${t.direction === 'up' ? 'rises to' : 'falls to'} ${t.threshold}`;
    case 'event':
      return `event ${t.event.kind} ${t.event.name}`;
    case 'schedule':
      return `schedule ${t.cron}${t.timezone ? ` (${t.timezone})` : ' (UTC)'}`;
    case 'tier-upgrade':
      return `tier upgrade${t.to ? ` to ${t.to}` : ''}`;
    case 'first-order':
      return 'first order';
    default:
      return t.type;
  }
}

async function list() {
  const items = await getJson('/campaigns');
  return h(
    'div',
    { class: 'page' },
    h('h1', {}, 'Campaigns'),
    h('p', { class: 'subtitle' }, 'Campaigns are YAML files in the campaigns directory; pick one for its funnel, uplift, definition and an email preview.'),
    section(
      `${items.length} campaign file${items.length === 1 ? '' : 's'}`,
      table(
        [
          { label: 'campaign', value: (r) => (r.campaign ? link(`#/campaigns/${enc(r.campaign.id)}`, r.campaign.name) : h('span', { class: 'tag bad' }, 'invalid')) },
          { label: 'id', value: (r) => (r.campaign ? h('code', {}, r.campaign.id) : r.file.split('/').pop()) },
          { label: 'status', value: (r) => (r.campaign ? h('span', { class: `tag status-${r.campaign.status}` }, r.campaign.status) : '–') },
          { label: 'trigger', value: (r) => (r.campaign ? describeTrigger(r.campaign.trigger) : '–') },
          { label: 'holdout', class: 'num', value: (r) => (r.campaign ? pct(r.campaign.holdout, 0) : '–') },
          { label: 'variants', value: (r) => (r.campaign ? r.campaign.variants.map((v) => v.id).join(', ') : '–') },
        ],
        items,
        { rowTestid: (r) => `campaign-row-${r.campaign?.id ?? 'invalid'}` },
      ),
    ),
  );
}

async function detail(id, query) {
  const source = await getJson(`/campaigns/${enc(id)}`);
  const c = source.campaign;
  const page = h('div', { class: 'page' }, h('p', { class: 'crumbs' }, link('#/campaigns', 'Campaigns'), ' / ', id));
  if (!c) {
    page.append(
      h('h1', {}, id),
      notice(`This file does not validate (${source.errors.length} problem${source.errors.length === 1 ? '' : 's'}): winback campaigns validate.`, 'error'),
      h('ul', {}, source.errors.map((e) => h('li', {}, `${e.line ? `line ${e.line}: ` : ''}${e.path}: ${e.message}`))),
      definition(source),
    );
    return page;
  }
  const [report, pause, preview] = await Promise.all([
    getJson(`/campaigns/${enc(id)}/report`, { at: query.at }),
    getJson(`/campaigns/${enc(id)}/pause`),
    getJson(`/campaigns/${enc(id)}/preview`, { customer: query.customer, step: query.step }).catch((err) => ({ error: err.message })),
  ]);
  page.append(
    h('h1', {}, c.name, ' ', h('span', { class: `tag status-${c.status}` }, c.status), pause.paused ? [' ', h('span', { class: 'tag status-paused', testid: 'paused-switch' }, 'paused from the console')] : null),
    pauseSwitch(id, pause),
    h('p', { class: 'subtitle' }, c.description ?? '', c.description ? ' · ' : '', `trigger: ${describeTrigger(c.trigger)} · topic ${c.topic} · holdout ${pct(c.holdout, 0)}`),
    outcomes(report),
    h('div', { class: 'grid two' }, definition(source), previewCard(id, c, preview)),
  );
  return page;
}

/**
 * The console's pause switch (POST /campaigns/<id>/pause or /resume): shown to those who may
 * write (locally everyone; deployed, the editors' group). The page reloads to show the new state.
 */
function pauseSwitch(id, pause) {
  if (!session.canWrite) return null;
  const paused = pause?.paused === true;
  const button = h('button', {
    type: 'button',
    testid: paused ? 'resume-campaign' : 'pause-campaign',
    onclick: async () => {
      button.disabled = true;
      try {
        await postJson(`/campaigns/${enc(id)}/${paused ? 'resume' : 'pause'}`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (err) {
        button.disabled = false;
        button.after(notice(err.message, 'error'));
      }
    },
  }, paused ? 'Resume campaign' : 'Pause campaign');
  return h('p', { class: 'actions' }, button);
}

function metricCell(m, key) {
  const v = m[key];
  if (key === 'conversionRate') return pct(v, 2);
  if (key === 'revenue' || key === 'revenuePerCustomer') return money(v);
  return int(v);
}

function outcomes(r) {
  const u = r.uplift;
  const conv = u.conversion;
  const rev = u.revenuePerCustomer;
  const windowDays = Math.round(r.attributionWindowMs / 86_400_000);
  const groups = [
    { name: 'treatment', label: 'treatment', m: r.treatment },
    { name: 'holdout', label: 'holdout', m: r.holdout },
    ...r.variants.flatMap((v) => [
      { name: `variant-${v.variant}-treatment`, label: `variant ${v.variant}`, m: v.treatment, sub: true },
      { name: `variant-${v.variant}-holdout`, label: `holdout ${v.variant}`, m: v.holdout, sub: true },
    ]),
  ];
  const funnel = barConfig(
    FUNNEL.map(([, label]) => label),
    [
      { label: 'treatment', data: FUNNEL.map(([k]) => r.treatment[k]), color: COLORS.primary },
      { label: 'holdout (nothing sent)', data: FUNNEL.map(([k]) => r.holdout[k]), color: COLORS.previous },
    ],
    { valueTitle: 'customers · messages' },
  );
  // Each interval is a floating bar [lower, upper] with the estimate as a point on it.
  const intervals = [{ label: 'all variants', u: u }, ...r.variants.map((v) => ({ label: `variant ${v.variant}`, u: v.uplift }))];
  const ci = barConfig(
    intervals.map((i) => i.label),
    [
      {
        label: '95% interval',
        data: intervals.map((i) => (Number.isFinite(i.u.conversion.lower) ? [i.u.conversion.lower * 100, i.u.conversion.upper * 100] : null)),
        color: COLORS.primarySoft,
        extra: { borderColor: COLORS.primary, borderWidth: 1, borderSkipped: false, barPercentage: 0.45, order: 2 },
      },
      {
        label: 'estimate',
        data: intervals.map((i) => (Number.isFinite(i.u.conversion.estimate) ? i.u.conversion.estimate * 100 : null)),
        color: COLORS.risk,
        extra: { type: 'line', showLine: false, pointRadius: 6, pointStyle: 'rectRot', order: 1 },
      },
    ],
    { horizontal: true, valueTitle: 'conversion uplift, percentage points (treatment − holdout)', legend: true },
  );
  ci.options.scales.x.beginAtZero = false;
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'kpis' },
      kpi({ label: 'Entered (treatment + holdout)', value: int(r.treatment.entered + r.holdout.entered), testid: 'report-entered-total' }),
      kpi({ label: 'Conversion, treatment', value: pct(r.treatment.conversionRate, 2), testid: 'report-treatment-conversion', hint: `holdout ${pct(r.holdout.conversionRate, 2)}` }),
      kpi({
        label: 'Conversion uplift',
        value: pctPoints(conv.estimate),
        testid: 'uplift-conversion-estimate',
        hint: h('span', {}, '95% CI ', h('span', { testid: 'uplift-conversion-lower' }, pctPoints(conv.lower)), ' to ', h('span', { testid: 'uplift-conversion-upper' }, pctPoints(conv.upper))),
      }),
      kpi({
        label: 'Revenue per customer uplift',
        value: money(rev.estimate),
        testid: 'uplift-revenue-estimate',
        hint: h('span', {}, '95% CI ', h('span', { testid: 'uplift-revenue-lower' }, money(rev.lower)), ' to ', h('span', { testid: 'uplift-revenue-upper' }, money(rev.upper))),
      }),
    ),
    h(
      'div',
      { class: 'grid two' },
      section('Funnel', h('p', { class: 'muted' }, `Entered and converted count customers, sent to clicked count messages. Everyone who entered counts from entry (intent to treat); attribution window ${windowDays} days. Outcomes as of ${dateTime(r.asOf)}.`), chartBox('chart-funnel', funnel, { label: 'Campaign funnel' })),
      section(
        'Uplift with 95% confidence intervals',
        h('p', { class: 'muted' }, 'Conversion rate difference, Newcombe hybrid score interval; an interval across 0 is not a demonstrated effect.'),
        intervals.some((i) => Number.isFinite(i.u.conversion.lower))
          ? chartBox('chart-uplift', ci, { label: 'Conversion uplift with 95% intervals', height: 80 + intervals.length * 50 })
          : notice('No interval yet: it needs entrants in both treatment and holdout.', 'info', 'uplift-missing'),
      ),
    ),
    section(
      'Treatment vs holdout, per variant',
      table(
        [
          { label: 'group', value: (g) => (g.sub ? h('span', { class: 'sub' }, g.label) : h('strong', {}, g.label)) },
          ...COLUMNS.map((k) => ({ label: HEADINGS[k] ?? k, class: 'num', value: (g) => metricCell(g.m, k), testid: (g) => `report-${g.name}-${k}` })),
        ],
        groups,
        { class: 'compact', testid: 'report-table' },
      ),
      h(
        'p',
        { class: 'muted' },
        `Journeys: ${Object.entries(r.journeys).map(([k, v]) => `${k} ${v}`).join(', ') || 'none yet'}`,
        Object.keys(r.exitReasons).length ? ` · exits: ${Object.entries(r.exitReasons).map(([k, v]) => `${k} ${v}`).join(', ')}` : '',
      ),
    ),
  );
}

/** 0.0123 -> "+1.23 pts" */
function pctPoints(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  const v = x * 100;
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(2)} pts`;
}

function definition(source) {
  return section('Definition', h('p', { class: 'muted' }, 'As written in ', h('code', {}, source.file.split('/').slice(-2).join('/'))), h('pre', { class: 'yaml', testid: 'campaign-yaml' }, source.yaml));
}

function previewCard(id, c, p) {
  const card = section('Email preview');
  if (p.error) {
    card.append(notice(`No preview: ${p.error}`, 'info', 'preview-missing'));
    return card;
  }
  const sendSteps = c.steps.filter((s) => 'send' in s).map((s) => s.id);
  // The email is rendered into a sandboxed iframe: no scripts, no same origin, no forms.
  const frame = h('iframe', { class: 'email', sandbox: '', title: `Email preview: ${p.subject}`, testid: 'preview-frame', referrerpolicy: 'no-referrer' });
  frame.addEventListener('load', () => frame.setAttribute('data-loaded', 'true'), { once: true });
  frame.srcdoc = p.html;
  card.append(
    h('p', { class: 'muted' }, 'Rendered as ', h('code', {}, 'winback campaigns preview'), ' renders it: nothing is sent, no coupon issued, no points credited.'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Customer'),
      h('dd', {}, link(`#/customers/${enc(p.customerId)}`, p.customerId, { testid: 'preview-customer' }), p.sampleCustomer ? ' (sample)' : ''),
      h('dt', {}, 'Step'),
      h('dd', {}, sendSteps.map((s, i) => [i ? ' · ' : '', s === p.stepId ? h('strong', {}, s) : link(`#/campaigns/${enc(id)}?${new URLSearchParams({ step: s, customer: p.customerId })}`, s)])),
      h('dt', {}, 'Variant'),
      h('dd', {}, `${p.variant} (${p.group === 'holdout' ? 'holdout: this customer would get nothing' : 'treatment'}), template ${p.template}`),
      h('dt', {}, 'Subject'),
      h('dd', { testid: 'preview-subject' }, p.subject),
      h('dt', {}, 'Preheader'),
      h('dd', {}, p.preheader || '–'),
    ),
    frame,
  );
  return card;
}
