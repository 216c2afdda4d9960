import { enc, getJson } from '../lib/api.js';
import { barConfig, chartBox, COLORS } from '../lib/charts.js';
import { h, kpi, link, notice, section, table } from '../lib/dom.js';
import { dateTime, int, money, pct, points, signed } from '../lib/format.js';

export const title = 'Overview';

const STAGES = ['prospect', 'new', 'active', 'at-risk', 'lapsed', 'churned'];
const TIERS = ['diamond', 'gold', 'silver', 'bronze'];

/** Same figures as `winback overview --json`: stored scores now, against the previous scoring run. */
export async function render() {
  const o = await getJson('/overview');
  const page = h('div', { class: 'page' }, h('h1', {}, 'Overview'));
  if (!o.scoredAt) {
    page.append(notice('No scores yet: train and score first (winback train, then winback score).', 'info', 'overview-empty'));
    return page;
  }
  const c = o.current;
  const t = o.trend;
  const prev = o.previousRun?.figures;
  page.append(
    h(
      'p',
      { class: 'subtitle' },
      'Scored ',
      h('strong', { testid: 'overview-scored-at', 'data-iso': o.scoredAt }, dateTime(o.scoredAt)),
      t
        ? [' · change since the scoring run of ', h('strong', { testid: 'overview-trend-since', 'data-iso': t.since }, dateTime(t.since))]
        : ' · no earlier complete scoring run recorded, so no trend yet',
      Object.keys(o.scoreTimes).length > 1 ? ` · scores come from ${Object.keys(o.scoreTimes).length} runs` : null,
    ),
    h(
      'div',
      { class: 'kpis' },
      kpi({ label: 'Customers scored', value: int(c.customers), testid: 'overview-customers', delta: t ? signed(t.customers) : null, deltaTestid: 'overview-customers-delta' }),
      kpi({
        label: `At risk (churn ≥ ${pct(o.churnThreshold, 0)})`,
        value: int(c.atRisk),
        testid: 'overview-at-risk',
        delta: t ? signed(t.atRisk) : null,
        deltaTestid: 'overview-at-risk-delta',
        deltaGood: t ? t.atRisk <= 0 : undefined,
      }),
      kpi({
        label: 'Revenue at risk (12-month CLV × churn)',
        value: money(c.revenueAtRisk),
        testid: 'overview-revenue-at-risk',
        delta: t ? signed(t.revenueAtRisk, money) : null,
        deltaTestid: 'overview-revenue-at-risk-delta',
        deltaGood: t ? t.revenueAtRisk <= 0 : undefined,
        hint: `of ${money(c.clvTotal)} total CLV`,
      }),
      kpi({
        label: 'Mean churn probability',
        value: pct(c.meanChurnProbability),
        testid: 'overview-mean-churn',
        delta: t && t.meanChurnProbability !== null ? points(t.meanChurnProbability) : null,
        deltaGood: t ? t.meanChurnProbability <= 0 : undefined,
      }),
    ),
  );

  const prevLabel = o.previousRun ? `previous run (${dateTime(o.previousRun.scoredAt)})` : null;
  const compare = (labels, now, before, color) => [
    { label: `now (${dateTime(o.scoredAt)})`, data: now, color },
    ...(before ? [{ label: prevLabel, data: before, color: COLORS.previous }] : []),
  ];
  const countTable = (keys, now, delta, kind) =>
    table(
      [
        { label: kind, value: (k) => k },
        { label: 'customers', class: 'num', value: (k) => int(now[k]), testid: (k) => `${kind}-count-${k}` },
        ...(delta ? [{ label: 'change', class: 'num', value: (k) => signed(delta[k]), testid: (k) => `${kind}-delta-${k}` }] : []),
      ],
      keys,
      { class: 'compact' },
    );

  page.append(
    h(
      'div',
      { class: 'grid two' },
      section(
        'Customers by lifecycle stage',
        chartBox('chart-stages', barConfig(STAGES, compare(STAGES, STAGES.map((s) => c.byStage[s]), prev && STAGES.map((s) => prev.byStage[s]), COLORS.primary), { valueTitle: 'customers' }), {
          label: 'Customers by lifecycle stage',
        }),
        countTable(STAGES, c.byStage, t?.byStage, 'stage'),
      ),
      section(
        'Customers by value tier',
        chartBox('chart-tiers', barConfig(TIERS, compare(TIERS, TIERS.map((s) => c.byTier[s]), prev && TIERS.map((s) => prev.byTier[s]), COLORS.violet), { valueTitle: 'customers' }), {
          label: 'Customers by value tier',
        }),
        countTable(TIERS, c.byTier, t?.byTier, 'tier'),
      ),
    ),
  );

  const bins = c.churnHistogram;
  const labels = bins.map((b) => `${Math.round(b.lower * 100)}–${Math.round(b.upper * 100)}%`);
  const threshold = o.churnThreshold ?? 1;
  const histogram = barConfig(
    labels,
    [
      {
        label: `now (${dateTime(o.scoredAt)}); red: at risk`,
        data: bins.map((b) => b.count),
        color: bins.map((b) => (b.lower >= threshold - 1e-9 ? COLORS.risk : COLORS.primary)),
        extra: { categoryPercentage: 1, barPercentage: 0.92, order: 2 },
      },
      ...(prev
        ? [{ label: prevLabel, data: prev.churnHistogram.map((b) => b.count), color: COLORS.previous, extra: { type: 'line', borderColor: '#475569', borderDash: [5, 4], pointRadius: 2, order: 1 } }]
        : []),
    ],
    { categoryTitle: 'churn probability', valueTitle: 'customers', legend: true },
  );
  page.append(
    section(
      'Churn risk distribution',
      h('p', { class: 'muted' }, `Bars in red are at or above the churn threshold (${pct(o.churnThreshold, 0)}).`),
      chartBox('chart-churn-histogram', histogram, { label: 'Histogram of churn probability', height: 300 }),
      h(
        'details',
        {},
        h('summary', {}, 'Histogram as a table'),
        table(
          [
            { label: 'churn probability', value: (_, i) => labels[i] },
            { label: 'customers', class: 'num', value: (b) => int(b.count), testid: (_, i) => `churn-bin-${i}` },
            ...(prev ? [{ label: 'previous run', class: 'num', value: (_, i) => int(prev.churnHistogram[i]?.count) }] : []),
          ],
          bins,
          { class: 'compact' },
        ),
      ),
    ),
  );

  page.append(
    section(
      'Most revenue at risk',
      table(
        [
          { label: 'customer', value: (r) => link(`#/customers/${enc(r.customerId)}`, r.customerId), testid: () => 'top-risk-customer' },
          { label: 'tier', value: (r) => h('span', { class: `tag tier-${r.tier}` }, r.tier) },
          { label: 'stage', value: (r) => h('span', { class: `tag stage-${r.stage}` }, r.stage) },
          { label: 'churn', class: 'num', value: (r) => pct(r.churnProbability) },
          { label: 'CLV 12m', class: 'num', value: (r) => money(r.clv12m) },
          { label: 'at risk', class: 'num', value: (r) => money(r.revenueAtRisk) },
        ],
        o.topAtRisk,
        { testid: 'top-at-risk' },
      ),
    ),
  );
  return page;
}
