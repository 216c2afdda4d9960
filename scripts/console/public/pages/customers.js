import { enc, getJson } from '../lib/api.js';
import { chartBox, COLORS } from '../lib/charts.js';
import { h, kpi, link, notice, section, table } from '../lib/dom.js';
import { date, dateTime, fixed, int, money, pct } from '../lib/format.js';

export const title = 'Customers';

const EVENTS_SHOWN = 50;
/** Timeline lanes, bottom to top. */
const LANES = [
  { name: 'web', kinds: ['page', 'track'], color: COLORS.primary },
  { name: 'email', kinds: ['email'], color: COLORS.amber },
  { name: 'order', kinds: ['order'], color: COLORS.good },
  { name: 'profile', kinds: ['identify'], color: COLORS.violet },
];

/** Same record as `winback customers show <id> --json`. Shows personal data: for operators, on the local stack. */
export async function render({ id }) {
  const page = h('div', { class: 'page' }, h('h1', {}, 'Customers'), searchForm(id));
  if (!id) {
    page.append(await suggestions());
    return page;
  }
  const r = await getJson(`/customers/${enc(id)}`);
  if (!r.found) {
    page.append(notice(`No customer with id “${id}”. Ids are case-sensitive.`, 'info', 'customer-not-found'));
    return page;
  }
  page.append(header(r), h('div', { class: 'grid two' }, scoreCard(r.score), h('div', {}, profileCard(r), consentCard(r))), timelineCard(r.events), messagesCard(r.messages), ...[decisionsCard(r.decisions)].filter(Boolean), eventsCard(r.events));
  return page;
}

function searchForm(id) {
  const input = h('input', { type: 'search', name: 'customer', placeholder: 'customer id, e.g. sim3-000077', value: id ?? '', testid: 'customer-search', 'aria-label': 'Customer id', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'search', role: 'search' }, input, h('button', { type: 'submit' }, 'Look up'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value) location.hash = `#/customers/${enc(value)}`;
  });
  return form;
}

async function suggestions() {
  const o = await getJson('/overview');
  if (!o.topAtRisk?.length) return notice('Search by customer id. (No scores yet, so no suggestions.)', 'info');
  return section(
    'Most revenue at risk',
    h('p', { class: 'muted' }, 'Or pick one of the customers with the most revenue at risk:'),
    h('ul', { class: 'chips' }, o.topAtRisk.map((c) => h('li', {}, link(`#/customers/${enc(c.customerId)}`, c.customerId, { testid: 'customer-suggestion' })))),
  );
}

function header(r) {
  const s = r.score;
  return h(
    'div',
    { class: 'customer-head' },
    h('h2', { class: 'customer-id', testid: 'customer-id' }, r.customerId),
    s ? h('span', { class: `tag tier-${s.tier}`, testid: 'customer-tier' }, s.tier) : null,
    s ? h('span', { class: `tag stage-${s.stage}`, testid: 'customer-stage' }, s.stage) : null,
    h('span', { class: `tag ${r.suppressed ? 'bad' : 'good'}`, testid: 'customer-suppressed' }, r.suppressed ? 'suppressed' : 'not suppressed'),
  );
}

function scoreCard(s) {
  if (!s) return section('Scores', notice('Not scored yet (winback score).', 'info', 'customer-unscored'));
  return section(
    'Scores',
    h(
      'div',
      { class: 'kpis small' },
      kpi({ label: 'Churn probability', value: pct(s.churnProbability), testid: 'customer-churn', hint: s.atRisk ? `at risk (≥ ${pct(s.churnThreshold, 0)})` : `below ${pct(s.churnThreshold, 0)}` }),
      kpi({ label: 'Purchase propensity', value: pct(s.purchasePropensity), testid: 'customer-propensity' }),
      kpi({ label: 'P(alive)', value: pct(s.pAlive), testid: 'customer-palive' }),
      kpi({ label: 'CLV, 12 months', value: money(s.clv12m), testid: 'customer-clv' }),
      s.health ? kpi({ label: 'Health', value: `${s.health.score}/100`, testid: 'customer-health', hint: healthHint(s.health) }) : null,
    ),
    h('h3', {}, s.churnProbability >= 0.5 ? 'Why the churn risk is high' : 'Why the churn risk is low'),
    h('ol', { class: 'reasons' }, s.reasons.map((r, i) => h('li', { testid: `customer-reason-${i}`, class: r.effect }, r.text))),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Orders'),
      h('dd', {}, `${int(s.orders)}${s.daysSinceLastOrder !== null ? `, last ${int(s.daysSinceLastOrder)} days before scoring` : ''}`),
      h('dt', {}, 'Expected'),
      h('dd', {}, `${fixed(s.expectedPurchases90d, 2)} orders in 90 days, ${money(s.expectedOrderValue)} per order`),
      h('dt', {}, 'Scored'),
      h('dd', { testid: 'customer-scored-at' }, dateTime(s.scoredAt)),
      h('dt', {}, 'Models'),
      h('dd', {}, [s.models.churn, s.models.propensity, s.models.clv].map((v, i) => [i ? ', ' : '', link(`#/models/${enc(v)}`, v)])),
    ),
  );
}

/** The health score's four components (models/scoring/health.ts); satisfaction is unknown until a survey answer. */
function healthHint(hs) {
  const c = hs.components;
  return `${hs.band}: activity ${c.activity}, interaction ${c.interaction}, satisfaction ${c.satisfaction ?? 'no answer'}, complaints ${c.complaints}`;
}

const traitValue = (v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

function profileCard(r) {
  const p = r.profile;
  if (!p) return section('Profile', notice('Only anonymous events: no identify yet.', 'info'));
  const traits = Object.entries(p.traits ?? {}).filter(([k]) => k !== 'consent');
  return section(
    'Profile',
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Email'),
      h('dd', { testid: 'customer-email' }, p.email ?? '–'),
      h('dt', {}, 'Timezone'),
      h('dd', {}, p.timezone ?? '–'),
      h('dt', {}, 'Updated'),
      h('dd', {}, dateTime(p.updatedAt)),
    ),
    traits.length ? table([{ label: 'trait', value: ([k]) => k }, { label: 'value', value: ([, v]) => traitValue(v) }], traits, { class: 'compact', testid: 'customer-traits' }) : null,
  );
}

function consentCard(r) {
  const consent = Object.entries(r.profile?.consent ?? {});
  return section(
    'Consent and suppression',
    consent.length
      ? table(
          [
            { label: 'topic', value: ([t]) => (t === '*' ? 'all marketing' : t) },
            { label: 'consent', value: ([, c]) => h('span', { class: `tag ${c.granted ? 'good' : 'bad'}` }, c.granted ? 'granted' : 'withdrawn'), testid: ([t]) => `consent-${t}` },
            { label: 'since', value: ([, c]) => dateTime(c.at) },
            { label: 'source', value: ([, c]) => c.source },
          ],
          consent,
          { class: 'compact' },
        )
      : h('p', { class: 'muted' }, 'No consent recorded (soft opt-in applies unless the customer opted out).'),
    r.suppressions.length
      ? table(
          [
            { label: 'suppressed because', value: (s) => s.reason },
            { label: 'since', value: (s) => dateTime(s.at) },
          ],
          r.suppressions,
          { class: 'compact', testid: 'customer-suppressions' },
        )
      : h('p', { class: 'muted' }, 'The address is not on the suppression list.'),
  );
}

function laneOf(e) {
  return LANES.findIndex((l) => l.kinds.includes(e.kind));
}

function timelineCard(events) {
  const datasets = LANES.map((lane, y) => ({
    label: lane.name,
    // A small fixed vertical spread, so that events close in time stay distinguishable.
    data: events.filter((e) => laneOf(e) === y).map((e, i) => ({ x: Date.parse(e.timestamp), y: y + (((i * 7) % 9) - 4) * 0.04 })),
    backgroundColor: lane.color,
    borderColor: lane.color,
    pointRadius: lane.name === 'order' ? 5 : 3,
  })).filter((d) => d.data.length > 0);
  const times = events.map((e) => Date.parse(e.timestamp));
  const config = {
    type: 'scatter',
    data: { datasets },
    options: {
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label} · ${dateTime(new Date(ctx.parsed.x).toISOString())}` } },
      },
      scales: {
        x: { type: 'linear', min: Math.min(...times), max: Math.max(...times), ticks: { maxTicksLimit: 8, callback: (v) => date(new Date(v).toISOString()) } },
        y: { type: 'linear', min: -0.6, max: LANES.length - 0.4, afterBuildTicks: (axis) => (axis.ticks = LANES.map((_, i) => ({ value: i }))), ticks: { callback: (v) => LANES[v]?.name ?? '' }, grid: { display: false } },
      },
    },
  };
  return section(
    'Timeline',
    h('p', { class: 'muted' }, `${int(events.length)} events: web (page views, product and cart events), email (SES events), orders, profile updates.`),
    events.length ? chartBox('chart-timeline', config, { label: 'Timeline of the customer’s events', height: 240 }) : notice('No events.', 'info'),
  );
}

function messagesCard(messages) {
  return section(
    h('span', {}, 'Messages received (', h('span', { testid: 'customer-messages-count' }, int(messages.length)), ')'),
    messages.length
      ? table(
          [
            { label: 'when', value: (m) => dateTime(m.sentAt ?? m.createdAt) },
            { label: 'campaign', value: (m) => link(`#/campaigns/${enc(m.campaignId)}`, m.campaignId) },
            { label: 'step', value: (m) => m.stepId },
            { label: 'variant', value: (m) => m.variant },
            { label: 'group', value: (m) => m.group },
            { label: 'status', value: (m) => h('span', { class: `tag ledger-${m.status}` }, m.status) },
            { label: 'template', value: (m) => m.template ?? '–' },
            { label: 'why (targeting)', class: 'reason', value: (m) => (m.reasons ? reasonsText(m.reasons) : '–'), testid: () => 'message-reasons' },
          ],
          messages,
          { class: 'compact', rowTestid: () => 'message-row' },
        )
      : h('p', { class: 'muted' }, 'No campaign messages: none sent, none held out.'),
  );
}

/** A targeted message's reason codes in one line, as `winback customers show` prints them. */
function reasonsText(r) {
  const parts = [`by ${r.by}`, `rank ${r.rank}`, `churn ${fixed(r.churn, 2)}`, `CLV ${fixed(r.clv, 2)}`];
  if (r.uplift !== undefined) parts.push(`uplift ${fixed(r.uplift, 3)}`);
  if (r.expectedValue !== undefined) parts.push(`EV ${fixed(r.expectedValue, 2)}`);
  if (r.incentive) parts.push(`coupon ${r.incentive.step}${r.incentive.unit === 'percent' ? '%' : ` ${r.incentive.currency ?? ''}`.trimEnd()}`);
  if (r.decision?.runnerUp) parts.push(`won over ${r.decision.runnerUp.campaignId} (${fixed(r.decision.runnerUp.value, 2)})`);
  return parts.join(', ');
}

/** Runs that wanted this customer and lost it to a campaign with a higher expected value. */
function decisionsCard(decisions) {
  if (!decisions?.length) return null;
  return section(
    h('span', {}, 'Lost to another campaign (', h('span', { testid: 'customer-decisions-count' }, int(decisions.length)), ')'),
    table(
      [
        { label: 'when', value: (d) => dateTime(d.at) },
        { label: 'campaign (run)', value: (d) => h('span', {}, link(`#/campaigns/${enc(d.campaignId)}`, d.campaignId), ` (${d.runId})`) },
        { label: 'its expected value', class: 'num', value: (d) => fixed(d.value, 2) },
        { label: 'won by', value: (d) => h('span', {}, link(`#/campaigns/${enc(d.winner.campaignId)}`, d.winner.campaignId), ` (${fixed(d.winner.value, 2)})`) },
        { label: 'runner-up', value: (d) => (d.runnerUp ? `${d.runnerUp.campaignId} (${fixed(d.runnerUp.value, 2)})` : '–') },
      ],
      decisions,
      { class: 'compact', rowTestid: () => 'decision-row' },
    ),
  );
}

function describe(e) {
  switch (e.kind) {
    case 'order':
      return `${e.order?.orderId ?? ''} ${e.name}: ${e.order?.currency ?? ''} ${money(e.order?.total)} (${e.order?.items?.length ?? 0} lines)${e.order?.couponCode ? `, coupon ${e.order.couponCode}` : ''}`;
    case 'email':
      return `${e.name}${e.email?.campaignId ? ` · ${e.email.campaignId}` : ''}${e.email?.bounceType ? ` (${e.email.bounceType})` : ''}`;
    case 'identify':
      return `identify: ${Object.keys(e.traits ?? {}).join(', ') || 'no traits'}`;
    case 'page':
      return `${e.name}${e.properties?.path ? ` ${e.properties.path}` : ''}`;
    default:
      if (e.name === 'Survey Responded') return `${e.name}: ${e.properties?.scale} ${e.properties?.score}`;
      if (/^(Ticket Opened|Ticket Resolved|Complaint Filed)$/.test(e.name)) {
        return `${e.name}${['ticketId', 'category', 'severity'].map((k) => e.properties?.[k]).filter((v) => v !== undefined).map((v) => ` · ${v}`).join('')}`;
      }
      return `${e.name}${e.properties?.sku ? ` ${e.properties.sku}` : ''}`;
  }
}

function eventsCard(events) {
  const newestFirst = [...events].reverse();
  const body = h('div', {});
  const draw = (all) => {
    body.replaceChildren(
      table(
        [
          { label: 'time', value: (e) => dateTime(e.timestamp) },
          { label: 'kind', value: (e) => h('span', { class: `tag kind-${e.kind}` }, e.kind) },
          { label: 'what', value: describe },
        ],
        all ? newestFirst : newestFirst.slice(0, EVENTS_SHOWN),
        { class: 'compact events', testid: 'customer-events' },
      ),
      !all && events.length > EVENTS_SHOWN ? h('button', { type: 'button', class: 'more', onclick: () => draw(true) }, `Show all ${int(events.length)} events`) : null,
    );
  };
  draw(false);
  return section(h('span', {}, 'Events, newest first (', h('span', { testid: 'customer-events-count' }, int(events.length)), ')'), body);
}
