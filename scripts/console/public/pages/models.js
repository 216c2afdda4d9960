import { enc, getJson } from '../lib/api.js';
import { barConfig, chartBox, COLORS, xyConfig } from '../lib/charts.js';
import { h, link, notice, section, table } from '../lib/dom.js';
import { date, dateTime, fixed, int, pct } from '../lib/format.js';

export const title = 'Models';

const METRICS = [
  { key: 'rocAuc', label: 'ROC-AUC', higherIsBetter: true },
  { key: 'prAuc', label: 'PR-AUC (average precision)', higherIsBetter: true },
  { key: 'logLoss', label: 'Log loss', higherIsBetter: false },
  { key: 'brier', label: 'Brier score', higherIsBetter: false },
];

const SHORT_BASELINE = { recency: 'Recency', logisticRfm: 'Logistic RFM', bgnbd: 'BG/NBD' };

const STATUS_TEXT = { champion: 'live (champion)', challenger: 'challenger', retired: 'retired', 'rolled-back': 'rolled back' };

/**
 * The registry (`winback model list --json`) and one version in detail (`winback model show
 * <version> --json`): curves, calibration, lift, metrics next to the baselines, feature importance.
 * Without a version in the URL, the churn champion.
 */
export async function render({ id }) {
  const list = await getJson('/models');
  const byName = Object.fromEntries(list.models.map((m) => [m.model, m]));
  const version = id ?? byName.churn?.champion ?? byName.propensity?.champion ?? null;
  const page = h('div', { class: 'page' }, h('h1', {}, 'Models'), h('p', { class: 'subtitle' }, 'Registry ', h('code', {}, list.registry)));
  if (version) page.append(await versionDetail(version, byName));
  else page.append(notice('No model is registered yet: run winback train.', 'info', 'models-empty'));
  page.append(h('h2', { class: 'page-section' }, 'Registered versions'));
  for (const index of list.models) page.append(registryCard(index, version));
  return page;
}

function headline(v) {
  const m = v.metrics;
  if (v.model === 'clv') return `r ${fixed(m.r, 3)} · α ${fixed(m.alpha, 2)} · a ${fixed(m.a, 3)} · b ${fixed(m.b, 2)}${m.degenerate ? ' (degenerate)' : ''}`;
  return null;
}

function registryCard(index, selected) {
  const versions = [...index.versions].reverse();
  const trained = index.model !== 'clv';
  const uplift = index.model === 'uplift';
  return section(
    `${index.model} — ${versions.length} version${versions.length === 1 ? '' : 's'}`,
    h('p', { class: 'muted' }, 'Live: ', index.champion ? h('code', { testid: `model-champion-${index.model}` }, index.champion) : 'none yet'),
    versions.length === 0
      ? null
      : table(
          [
            {
              label: 'version',
              value: (v) => (v.version === selected ? h('strong', {}, v.version) : link(`#/models/${enc(v.version)}`, v.version)),
            },
            { label: 'status', value: (v) => h('span', { class: `tag status-${v.status}` }, STATUS_TEXT[v.status] ?? v.status), testid: (v) => `version-status-${v.version}` },
            { label: 'trained', value: (v) => dateTime(v.createdAt) },
            ...(uplift
              ? [
                  { label: 'Qini', class: 'num', value: (v) => fixed(v.metrics.qini, 3), testid: (v) => `version-qini-${v.version}` },
                  { label: 'uplift@30%', class: 'num', value: (v) => fixed(v.metrics.upliftAt30, 4) },
                  { label: 'holdout ATE', class: 'num', value: (v) => fixed(v.metrics.ate, 4) },
                  { label: 'realised Qini', class: 'num', value: (v) => upliftBacktestCell(v), testid: (v) => `version-realised-qini-${v.version}` },
                ]
              : trained
              ? [
                  { label: 'ROC-AUC', class: 'num', value: (v) => fixed(v.metrics.rocAuc), testid: (v) => `version-rocauc-${v.version}` },
                  { label: 'PR-AUC', class: 'num', value: (v) => fixed(v.metrics.prAuc), testid: (v) => `version-prauc-${v.version}` },
                  { label: 'holdout', value: (v) => (v.evalCutoff ? `${date(v.evalCutoff)} + ${v.horizonDays} d` : '–') },
                  { label: 'realised AUC', class: 'num', value: (v) => backtestCell(v), testid: (v) => `version-backtest-${v.version}` },
                ]
              : [{ label: 'fit', value: (v) => headline(v) }]),
            { label: 'why', class: 'reason', value: (v) => v.reason },
          ],
          versions,
          { rowTestid: (v) => `version-row-${v.version}`, class: 'versions' },
        ),
  );
}

async function versionDetail(version, byName) {
  const { entry, evaluation, uplift } = await getJson(`/models/${enc(version)}`);
  const others = ['churn', 'propensity']
    .map((m) => byName[m]?.champion)
    .filter((v) => v && v !== version)
    .map((v) => link(`#/models/${enc(v)}`, `${v.split('-')[0]} champion`));
  const status = entry.status === 'champion' ? h('span', { class: 'tag live' }, 'live') : h('span', { class: `tag status-${entry.status}` }, STATUS_TEXT[entry.status] ?? entry.status);
  const card = h(
    'section',
    { class: 'card detail', testid: 'model-detail', 'data-version': entry.version },
    h('h2', {}, h('code', { testid: 'model-version' }, entry.version), ' ', status),
    others.length ? h('p', { class: 'muted' }, 'Also see: ', others.flatMap((a, i) => (i ? [' · ', a] : [a]))) : null,
    facts(entry, evaluation),
  );
  if (uplift) {
    card.append(upliftDetail(entry, uplift));
    return card;
  }
  if (entry.model === 'clv') {
    card.append(
      notice('CLV (BG/NBD + Gamma-Gamma) has no labels to evaluate on: these are its fitted parameters.', 'info'),
      table([{ label: 'parameter', value: ([k]) => k }, { label: 'value', class: 'num', value: ([, v]) => fixed(v, 4) }], Object.entries(entry.metrics), { class: 'compact' }),
    );
    return card;
  }
  card.append(metricsTable(entry, evaluation));
  if (entry.backtests?.length || entry.flagged) card.append(backtestSection(entry));
  if (!evaluation) {
    card.append(
      notice(
        'No evaluation report is stored for this version (it was registered before per-version reports existed), so there are no curves to draw. Retrain to get one; the metrics above are the registry’s.',
        'info',
        'evaluation-missing',
      ),
    );
    return card;
  }
  card.append(curves(evaluation));
  return card;
}

function facts(entry, evaluation) {
  const rows = [
    ['Model', entry.model],
    ['Trained', dateTime(entry.createdAt)],
    ['Status', `${STATUS_TEXT[entry.status] ?? entry.status} — ${entry.reason}`],
    entry.trainingWindow ? ['Training window', `${date(entry.trainingWindow.from)} – ${date(entry.trainingWindow.to)}`] : null,
    entry.evalCutoff ? ['Holdout', `from ${date(entry.evalCutoff)}, ${entry.horizonDays}-day horizon`] : null,
    evaluation ? ['Holdout customers', `${int(evaluation.holdout.customers)} (${int(evaluation.holdout.positives)} positive, ${pct(evaluation.holdout.positives / evaluation.holdout.customers)})`] : null,
    entry.comparedWith ? ['Champion on the same holdout', `${entry.comparedWith.version}: ${entry.model === 'uplift' ? `Qini ${fixed(entry.comparedWith.qini, 3)}` : `ROC-AUC ${fixed(entry.comparedWith.rocAuc)}`}${entry.comparedWith.error ? ` (${entry.comparedWith.error})` : ''}`] : null,
    entry.featureVersion ? ['Features', entry.featureVersion] : null,
    entry.backend ? ['Backend', entry.backend] : null,
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function metricsTable(entry, evaluation) {
  const model = evaluation?.metrics ?? entry.metrics;
  const baselines = evaluation?.baselines ?? [];
  const columns = [
    { label: 'this model', metrics: model, key: 'model' },
    ...baselines.map((b) => ({ label: h('span', { title: b.label }, SHORT_BASELINE[b.name] ?? b.name), metrics: b.metrics, key: b.name })),
  ];
  const best = (m) => {
    const values = columns.map((c) => c.metrics[m.key]).filter((x) => typeof x === 'number');
    return m.higherIsBetter ? Math.max(...values) : Math.min(...values);
  };
  return h(
    'div',
    { class: 'metrics' },
    h('h3', {}, baselines.length ? 'Holdout metrics, next to the baselines' : 'Holdout metrics'),
    table(
      [
        { label: 'metric', value: (m) => m.label },
        ...columns.map((c) => ({
          label: c.label,
          class: 'num',
          value: (m) => {
            const v = c.metrics[m.key];
            const text = fixed(v);
            return columns.length > 1 && v === best(m) ? h('strong', { class: 'best' }, text) : text;
          },
          testid: (m) => `metric-${m.key}-${c.key}`,
        })),
      ],
      METRICS,
      { class: 'compact', testid: 'metrics-table' },
    ),
    baselines.length
      ? h('p', { class: 'muted small' }, `Baselines on the same holdout: ${baselines.map((b) => b.label).join('; ')}. Best in each row in green.`)
      : null,
  );
}

function curves(ev) {
  const positiveRate = ev.holdout.customers ? ev.holdout.positives / ev.holdout.customers : ev.metrics.positiveRate;
  const diagonal = { label: 'random', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }], color: COLORS.diagonal, dashed: true, width: 1 };
  const percent = (v) => `${Math.round(v * 100)}%`;
  const roc = xyConfig(
    [{ label: `model (AUC ${fixed(ev.metrics.rocAuc, 3)})`, points: ev.roc.map((p) => ({ x: p.fpr, y: p.tpr })), color: COLORS.primary, area: true, fill: COLORS.primarySoft }, diagonal],
    { xTitle: 'false positive rate', yTitle: 'true positive rate' },
  );
  const pr = xyConfig(
    [
      { label: `model (AP ${fixed(ev.metrics.prAuc, 3)})`, points: ev.pr.map((p) => ({ x: p.recall, y: p.precision })), color: COLORS.violet },
      { label: `positive rate ${pct(positiveRate)}`, points: [{ x: 0, y: positiveRate }, { x: 1, y: positiveRate }], color: COLORS.diagonal, dashed: true, width: 1 },
    ],
    { xTitle: 'recall', yTitle: 'precision' },
  );
  const bins = ev.calibration.filter((b) => b.count > 0);
  const calibration = xyConfig(
    [
      { label: 'observed rate per bin', points: bins.map((b) => ({ x: b.meanPredicted, y: b.observedRate, n: b.count })), color: COLORS.amber, pointRadius: 5 },
      { ...diagonal, label: 'perfectly calibrated' },
    ],
    { xTitle: 'mean predicted probability', yTitle: 'observed positive rate', xTick: percent, yTick: percent },
  );
  const lift = barConfig(
    ev.lift.map((r) => String(r.decile)),
    [
      { label: 'lift (rate ÷ overall rate)', data: ev.lift.map((r) => r.lift), color: COLORS.primary, extra: { order: 2 } },
      { label: 'baseline (no model)', data: ev.lift.map(() => 1), color: COLORS.diagonal, extra: { type: 'line', borderDash: [6, 4], pointRadius: 0, borderWidth: 1, order: 1 } },
    ],
    { categoryTitle: 'decile (1 = highest scores)', valueTitle: 'lift', legend: true },
  );
  const top = ev.featureImportance.slice(0, 15);
  const importance = barConfig(
    top.map((f) => f.description || f.feature),
    [{ label: 'ROC-AUC lost when shuffled', data: top.map((f) => f.importance), color: COLORS.good }],
    { horizontal: true, valueTitle: 'ROC-AUC drop', legend: false },
  );
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'grid two' },
      h('figure', {}, h('figcaption', {}, 'ROC curve'), chartBox('chart-roc', roc, { label: 'ROC curve' })),
      h('figure', {}, h('figcaption', {}, 'Precision–recall curve'), chartBox('chart-pr', pr, { label: 'Precision-recall curve' })),
      h('figure', {}, h('figcaption', {}, 'Calibration'), chartBox('chart-calibration', calibration, { label: 'Calibration plot' })),
      h('figure', {}, h('figcaption', {}, 'Lift by decile'), chartBox('chart-lift', lift, { label: 'Lift by decile' })),
    ),
    h(
      'figure',
      {},
      h('figcaption', {}, 'Feature importance (permutation: holdout ROC-AUC lost when the feature is shuffled)'),
      chartBox('chart-importance', importance, { label: 'Feature importance', height: Math.max(220, top.length * 26 + 60) }),
    ),
    h(
      'details',
      {},
      h('summary', {}, 'Lift table'),
      table(
        [
          { label: 'decile', value: (r) => r.decile },
          { label: 'customers', class: 'num', value: (r) => int(r.count) },
          { label: 'positives', class: 'num', value: (r) => int(r.positives) },
          { label: 'rate', class: 'num', value: (r) => pct(r.rate) },
          { label: 'lift', class: 'num', value: (r) => fixed(r.lift, 2), testid: (r) => `lift-${r.decile}` },
          { label: 'cumulative gain', class: 'num', value: (r) => pct(r.cumulativeGain) },
        ],
        ev.lift,
        { class: 'compact' },
      ),
    ),
  );
}

/**
 * An uplift version: what it learnt from and its held-out Qini and uplift curves (winback uplift
 * evaluate / train --register). Qini: incremental responders by customers targeted, against random
 * targeting (the straight line) and the perfect ranking; uplift curve: incremental outcome.
 */
function upliftDetail(entry, uplift) {
  const ev = uplift.evaluation;
  const m = entry.metrics;
  const pts = (curve) => curve.map((p) => ({ x: p.n, y: p.value }));
  const last = ev.curves.qini.at(-1) ?? { n: 1, value: 0 };
  const xMax = last.n || 1;
  const values = [...ev.curves.qini, ...ev.curves.perfectQini, ...ev.curves.uplift].map((p) => p.value);
  const yMin = Math.min(0, ...values);
  const yMax = Math.max(1e-9, ...values);
  const random = { label: 'random targeting', points: [{ x: 0, y: 0 }, { x: last.n, y: last.value }], color: COLORS.diagonal, dashed: true, width: 1 };
  const qini = xyConfig(
    [
      { label: `${uplift.kind} (Qini ${fixed(m.qini, 3)})`, points: pts(ev.curves.qini), color: COLORS.primary },
      { label: 'perfect ranking', points: pts(ev.curves.perfectQini), color: COLORS.good, dashed: true, width: 1 },
      random,
    ],
    { xTitle: 'customers targeted (holdout, highest predicted uplift first)', yTitle: 'incremental responders', xMax, yMin, yMax },
  );
  const curve = xyConfig(
    [{ label: `${uplift.kind} uplift curve`, points: pts(ev.curves.uplift), color: COLORS.violet }, random],
    { xTitle: 'customers targeted', yTitle: 'incremental outcome', xMax, yMin, yMax },
  );
  return h(
    'div',
    { testid: 'uplift-detail' },
    table(
      [{ label: 'fact', value: ([k]) => k }, { label: 'value', class: 'num', value: ([, v]) => v }],
      [
        ['Learnt from', `${uplift.experiment.source} (${int(uplift.experiment.rows)} rows, outcome ${uplift.experiment.outcome})`],
        ['Model', `${uplift.kind}, ${uplift.hiddenUnits.length ? `hidden layer ${uplift.hiddenUnits.join('x')}` : 'no hidden layer'}`],
        ['Holdout', `${int(m.n)} rows (${pct(ev.holdoutFraction)} of each arm), seed ${ev.seed}`],
        ['Holdout ATE (random targeting gains this at every k)', fixed(m.ate, 4)],
        ['uplift@10% / 20% / 30% / 50%', [m.upliftAt10, m.upliftAt20, m.upliftAt30, m.upliftAt50].map((v) => fixed(v, 4)).join(' / ')],
        ['Qini coefficient (1 perfect, 0 random)', fixed(m.qini, 3)],
      ],
      { class: 'compact' },
    ),
    h(
      'div',
      { class: 'grid two' },
      h('figure', {}, h('figcaption', {}, 'Qini curve (holdout)'), chartBox('chart-qini', qini, { label: 'Qini curve' })),
      h('figure', {}, h('figcaption', {}, 'Uplift curve (holdout)'), chartBox('chart-uplift', curve, { label: 'Uplift curve' })),
    ),
  );
}

/** An uplift version's latest realised Qini (later campaign entries), and the trend when there are several. */
function upliftBacktestCell(v) {
  const all = v.upliftBacktests ?? [];
  const last = all.at(-1);
  if (!last) return '–';
  const trend = all.length > 1 ? ` (${all.map((b) => fixed(b.qini, 3)).join(' → ')})` : '';
  return h('span', { class: v.flagged ? 'tag status-rolled-back' : '', title: v.flagReason ?? `${last.n} entries of ${last.campaigns.join(', ')}` }, `${fixed(last.qini, 3)}${trend}${v.flagged ? ' flagged' : ''}`);
}

/** The latest live backtest's AUC, marked when the version is flagged. */
function backtestCell(v) {
  const last = v.backtests?.at(-1);
  const auc = last ? (last.auc === null ? 'n/a' : fixed(last.auc, 3)) : '–';
  return v.flagged ? h('span', { class: 'tag status-rolled-back', title: v.flagReason ?? '' }, `${auc} flagged`) : auc;
}

/** The version's live backtests (its scores of one horizon ago against what happened), oldest first, as a trend. */
function backtestSection(entry) {
  const records = entry.backtests ?? [];
  const labels = records.map((b) => date(b.scoredAt));
  const trend = barConfig(
    labels,
    [
      { label: 'realised AUC', data: records.map((b) => b.auc), color: COLORS.primary, extra: { type: 'line', pointRadius: 4 } },
      { label: 'ECE (calibration error)', data: records.map((b) => b.ece), color: COLORS.amber, extra: { type: 'line', pointRadius: 4 } },
    ],
    { categoryTitle: 'scores given on', valueTitle: 'AUC / ECE', legend: true },
  );
  return h(
    'div',
    { testid: 'backtests' },
    h('h3', {}, 'Live backtest (realised quality)'),
    entry.flagged ? notice(`Flagged: ${entry.flagReason ?? 'realised quality below the threshold'}`, 'error', 'backtest-flag') : null,
    records.length > 1 ? chartBox('chart-backtest', trend, { label: 'Live backtest trend', height: 220 }) : null,
    table(
      [
        { label: 'scored', value: (b) => `${date(b.scoredAt)} + ${b.horizonDays} d` },
        { label: 'compared', value: (b) => dateTime(b.at) },
        { label: 'scores from', value: (b) => b.source },
        { label: 'customers', class: 'num', value: (b) => int(b.n) },
        { label: 'AUC', class: 'num', value: (b) => (b.auc === null ? 'n/a' : fixed(b.auc, 3)), testid: (b) => `backtest-auc-${b.scoredAt}` },
        { label: 'top-decile lift', class: 'num', value: (b) => fixed(b.topDecileLift, 2) },
        { label: 'ECE', class: 'num', value: (b) => fixed(b.ece, 3) },
      ],
      records,
      { class: 'compact' },
    ),
  );
}
