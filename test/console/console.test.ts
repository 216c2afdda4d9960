import { readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/commons/clients.js';
import { listEntries } from '../../functions/store/journey-entries.js';
import { COUPON_SK, couponPk } from '../../functions/store/keys.js';
import { customerLedger } from '../../functions/store/ledger.js';
import type { CampaignReport, OutcomeMetrics } from '../../functions/journeys/outcomes.js';
import type { RegistryIndex } from '../../models/registry/schema.js';
import type { ModelShowJson } from '../../application/model-registry.js';
import type { CustomerRecord } from '../../application/customer-record.js';
import type { Overview } from '../../application/overview.js';
import { mountConsole } from '../../scripts/console/mount.js';
import { startLocalStack, type LocalStack } from '../../scripts/local/stack.js';
import { PROJECT_ROOT, winback, winbackJson } from '../helpers/cli.js';
import { DEMO_DATA } from '../helpers/demo-data.js';
import { syntheticExperiment } from '../models/uplift-fixtures.js';
import { copyDemoData } from '../helpers/fixtures-root.js';
import { chartInfo, expectChart, launchChromium, number, openConsole, screenshot, text, waitReady } from './browser.js';

/**
 * The console end to end, as a new user gets it: demo data built with the CLI (simulate, train,
 * score twice, train again: the shared demo data dir, test/helpers/demo-data.ts), two campaigns
 * run against a local stack, the console pages loaded in chromium, and every number a page shows
 * compared with the `--json` output of the CLI command backed by the same function. A page fails
 * on any console error or warning, page error, failed request or HTTP error. Screenshots:
 * test-output/console/.
 */
const [SCORE_1, SCORE_2] = DEMO_DATA.scores;
/** The score-triggered win-back (coupon) and the first-order thank-you (points), whose holdout has entrants. */
const CAMPAIGN = 'high-value-winback';
const CAMPAIGNS = [
  { id: CAMPAIGN, inEmail: 'WB20-PREVIEW' },
  { id: 'first-order-thank-you', inEmail: 'loyalty points' },
] as const;

let dataDir = '';
let stack: LocalStack;
let browser: Browser;
/** Campaign outcomes are counted up to a fixed time, so the page and the CLI count the same. */
let asOf = '';

const cliJson = <T>(...args: string[]): Promise<T> => winbackJson<T>(...args, '--data-dir', dataDir);

async function run(...args: string[]): Promise<void> {
  const r = await winback(...args, '--data-dir', dataDir);
  if (r.code !== 0) throw new Error(`winback ${args.join(' ')} exited ${r.code}: ${r.err}`);
}

beforeAll(async () => {
  browser = await launchChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), 'winback-console-'));
  await copyDemoData(dataDir);
  stack = await startLocalStack({ dataDir, port: 0, quiet: true });
  mountConsole(stack.runtime, { dataDir, tableName: stack.tableName });
  await run('campaigns', 'run', CAMPAIGN, '--at', `${SCORE_2}T00:00:01Z`);
  await run('campaigns', 'run', 'first-order-thank-you', '--at', `${SCORE_2}T00:00:01Z`, '--since', '120d');
  // An uplift model in the registry, as `uplift evaluate --register` keeps one.
  const experiment = path.join(dataDir, 'experiment.csv');
  await writeFile(experiment, syntheticExperiment(4000, 3).csv);
  await run('uplift', 'evaluate', '--csv', experiment, '--treatment-column', 'arm', '--treatment', 'Email, v1', '--control', 'None', '--outcome', 'visit', '--ignore', 'id,spend', '--register');
  asOf = new Date().toISOString();
  cli = await cliOutputs();
}, 300_000);

/** What the CLI prints for everything the pages show; read up front. */
interface CliOutputs {
  readonly overview: Overview;
  readonly modelList: { registry: string; models: RegistryIndex[] };
  readonly modelShow: Map<string, ModelShowJson>;
  readonly campaignsList: Array<{ file: string; campaign: { id: string } | null }>;
  readonly reports: Map<string, CampaignReport>;
  readonly entrant: string;
  readonly customer: CustomerRecord;
}
let cli: CliOutputs;

async function cliOutputs(): Promise<CliOutputs> {
  const modelList = await cliJson<CliOutputs['modelList']>('model', 'list');
  const versions = modelList.models.filter((m) => m.model !== 'clv').flatMap((m) => m.versions.map((v) => v.version));
  const entries = await listEntries(stack.tableName, CAMPAIGN);
  const entrant = entries.filter((e) => e.group === 'treatment' && (e.sends ?? 0) > 0).map((e) => e.customerId).sort()[0];
  if (!entrant) throw new Error(`nobody was sent ${CAMPAIGN}`);
  const jobs: Array<() => Promise<unknown>> = [
    () => cliJson('overview'),
    () => cliJson('campaigns', 'list'),
    () => cliJson('customers', 'show', entrant),
    ...CAMPAIGNS.map((c) => () => cliJson('campaigns', 'report', c.id, '--at', asOf)),
    ...versions.map((v) => () => cliJson('model', 'show', v)),
  ];
  const results: unknown[] = [];
  for (const job of jobs) results.push(await job());
  const [overview, campaignsList, customer, ...rest] = results;
  const reports = rest.slice(0, CAMPAIGNS.length) as CampaignReport[];
  const shows = rest.slice(CAMPAIGNS.length);
  return {
    overview: overview as Overview,
    modelList,
    modelShow: new Map(versions.map((v, i) => [v, shows[i] as ModelShowJson])),
    campaignsList: campaignsList as CliOutputs['campaignsList'],
    reports: new Map(CAMPAIGNS.map((c, i) => [c.id, reports[i]!])),
    entrant,
    customer: customer as CustomerRecord,
  };
}

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('overview', () => {
  it('shows the stored scores by stage, tier and churn risk, revenue at risk and the trend, as `winback overview --json`', async () => {
    const overview = cli.overview;
    const { page, problems } = await openConsole(browser, stack.apiUrl, 'overview');
    const c = overview.current;
    expect(c.customers).toBe(DEMO_DATA.customers);
    expect(await number(page, 'overview-customers')).toBe(c.customers);
    expect(await number(page, 'overview-at-risk')).toBe(c.atRisk);
    expect(await number(page, 'overview-revenue-at-risk')).toBe(c.revenueAtRisk);
    expect(await page.getByTestId('overview-scored-at').getAttribute('data-iso')).toBe(overview.scoredAt);
    for (const [stage, n] of Object.entries(c.byStage)) expect(await number(page, `stage-count-${stage}`), stage).toBe(n);
    for (const [tier, n] of Object.entries(c.byTier)) expect(await number(page, `tier-count-${tier}`), tier).toBe(n);
    for (const [i, bin] of c.churnHistogram.entries()) expect(await number(page, `churn-bin-${i}`)).toBe(bin.count);

    // Two scoring runs: the trend compares with the first one's stored aggregate.
    const t = overview.trend!;
    expect(t.since).toBe(`${SCORE_1}T00:00:00.000Z`);
    expect(overview.previousRun?.complete).toBe(true);
    expect(await page.getByTestId('overview-trend-since').getAttribute('data-iso')).toBe(t.since);
    expect(await number(page, 'overview-at-risk-delta')).toBe(t.atRisk);
    expect(await number(page, 'overview-revenue-at-risk-delta')).toBe(t.revenueAtRisk);
    for (const [stage, n] of Object.entries(t.byStage)) expect(await number(page, `stage-delta-${stage}`), stage).toBe(n);
    for (const [tier, n] of Object.entries(t.byTier)) expect(await number(page, `tier-delta-${tier}`), tier).toBe(n);
    // The latest run's stored aggregate agrees with the scores it wrote.
    expect(overview.latestRun?.figures).toEqual(c);

    const histogram = await expectChart(page, 'chart-churn-histogram');
    expect(histogram.datasets[0]!.data).toEqual(c.churnHistogram.map((b) => b.count));
    expect(histogram.datasets[1]!.data).toEqual(overview.previousRun!.figures.churnHistogram.map((b) => b.count));
    expect((await expectChart(page, 'chart-stages')).datasets[0]!.data).toEqual(Object.values(c.byStage));
    expect((await expectChart(page, 'chart-tiers')).datasets[0]!.data).toEqual(Object.values(c.byTier));
    expect(await page.getByTestId('top-risk-customer').allTextContents()).toEqual(overview.topAtRisk.map((r) => r.customerId));
    await screenshot(page, 'overview');
    expect(problems).toEqual([]);
  });
});

describe('models', () => {
  it('shows the registry as `winback model list --json`, and each churn and propensity version as `winback model show --json`', async () => {
    const list = cli.modelList;
    const trained = list.models.filter((m) => m.model === 'churn' || m.model === 'propensity');
    const versions = trained.flatMap((m) => m.versions.map((v) => v.version));
    expect(versions.length).toBeGreaterThanOrEqual(4);
    const shown = cli.modelShow;

    const { page, problems } = await openConsole(browser, stack.apiUrl, 'models');
    for (const index of list.models) {
      // A kind nothing has trained yet (uplift, in the demo) says so instead of naming a champion.
      if (index.champion === null) expect(await page.getByTestId(`model-champion-${index.model}`).count()).toBe(0);
      else expect(await text(page, `model-champion-${index.model}`)).toBe(index.champion);
    }
    for (const index of trained) {
      for (const v of index.versions) {
        expect(await page.getByTestId(`version-row-${v.version}`).count()).toBe(1);
        expect(await number(page, `version-rocauc-${v.version}`)).toBe(Number(v.metrics['rocAuc']!.toFixed(4)));
      }
    }
    await screenshot(page, 'models');

    for (const version of versions) {
      const { entry, evaluation } = shown.get(version)!;
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${stack.apiUrl}/console/#/models/${encodeURIComponent(version)}`);
      await waitReady(page);
      expect(await page.getByTestId('model-detail').getAttribute('data-version')).toBe(version);
      expect(await text(page, 'model-version')).toBe(version);
      const metrics = evaluation?.metrics ?? (entry.metrics as Record<string, number>);
      for (const key of ['rocAuc', 'prAuc', 'logLoss', 'brier'] as const) {
        expect(await number(page, `metric-${key}-model`), `${version} ${key}`).toBe(Number(metrics[key]!.toFixed(4)));
      }
      // Versions trained here have their evaluation report: baselines, curves, lift, importance.
      expect(evaluation, `${version} has an evaluation report`).not.toBeNull();
      for (const b of evaluation!.baselines) expect(await number(page, `metric-rocAuc-${b.name}`)).toBe(Number(b.metrics.rocAuc.toFixed(4)));
      expect((await expectChart(page, 'chart-roc')).datasets[0]!.data).toHaveLength(evaluation!.roc.length);
      expect((await expectChart(page, 'chart-pr')).datasets[0]!.data).toHaveLength(evaluation!.pr.length);
      expect((await expectChart(page, 'chart-calibration')).datasets[0]!.data).toHaveLength(evaluation!.calibration.filter((b) => b.count > 0).length);
      expect((await expectChart(page, 'chart-lift')).datasets[0]!.data).toEqual(evaluation!.lift.map((r) => r.lift));
      expect((await expectChart(page, 'chart-importance')).datasets[0]!.data).toEqual(evaluation!.featureImportance.map((f) => f.importance));
      await screenshot(page, `models-${entry.model}-${entry.status}-${version.slice(-6)}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('uplift models', () => {
  it('lists each uplift version with its Qini, and shows its holdout Qini and uplift curves as `winback model show --json`', async () => {
    const index = cli.modelList.models.find((m) => m.model === 'uplift')!;
    expect(index.versions.length).toBeGreaterThanOrEqual(2);
    const { page, problems } = await openConsole(browser, stack.apiUrl, 'models');
    expect(await text(page, 'model-champion-uplift')).toBe(index.champion);
    for (const v of index.versions) expect(await number(page, `version-qini-${v.version}`)).toBe(Number(v.metrics['qini']!.toFixed(3)));
    for (const v of index.versions) {
      const shown = cli.modelShow.get(v.version)!;
      expect(shown.uplift?.kind).toBeDefined();
      await page.goto(`${stack.apiUrl}/console/#/models/${encodeURIComponent(v.version)}`);
      await waitReady(page);
      expect(await page.getByTestId('uplift-detail').count()).toBe(1);
      const qini = await expectChart(page, 'chart-qini');
      expect(qini.datasets[0]!.data).toHaveLength(shown.uplift!.evaluation.curves.qini.length);
      expect(qini.datasets[1]!.data).toHaveLength(shown.uplift!.evaluation.curves.perfectQini.length);
      expect((await expectChart(page, 'chart-uplift')).datasets[0]!.data).toHaveLength(shown.uplift!.evaluation.curves.uplift.length);
      await screenshot(page, `models-uplift-${v.status}-${v.version.slice(-6)}`);
    }
    expect(problems).toEqual([]);
  });
});

const METRIC_KEYS = ['entered', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed', 'converted', 'revenue'] as const;

describe('campaigns', () => {
  it('lists the campaign files as `winback campaigns list --json`', async () => {
    const files = cli.campaignsList;
    const { page, problems } = await openConsole(browser, stack.apiUrl, 'campaigns');
    for (const f of files) expect(await page.getByTestId(`campaign-row-${f.campaign?.id ?? 'invalid'}`).count()).toBeGreaterThan(0);
    await screenshot(page, 'campaigns');
    expect(problems).toEqual([]);
  });

  it.each(CAMPAIGNS)("shows $id: funnel, treatment vs holdout and uplift as `winback campaigns report --json`, its YAML and a sandboxed preview", async ({ id, inEmail }) => {
    const report = cli.reports.get(id)!;
    expect(report.treatment.entered).toBeGreaterThan(0);
    expect(report.treatment.sent).toBeGreaterThan(0);
    const { page, problems } = await openConsole(browser, stack.apiUrl, `campaigns/${id}?at=${encodeURIComponent(asOf)}`);

    const groups: Array<[string, OutcomeMetrics]> = [
      ['treatment', report.treatment],
      ['holdout', report.holdout],
      ...report.variants.flatMap((v): Array<[string, OutcomeMetrics]> => [
        [`variant-${v.variant}-treatment`, v.treatment],
        [`variant-${v.variant}-holdout`, v.holdout],
      ]),
    ];
    for (const [name, m] of groups) {
      for (const key of METRIC_KEYS) expect(await number(page, `report-${name}-${key}`), `${name} ${key}`).toBe(m[key]);
      const rate = await text(page, `report-${name}-conversionRate`);
      expect(rate).toBe((m.conversionRate as number | null) === null ? '–' : `${(m.conversionRate * 100).toFixed(2)}%`);
    }
    // Percentage points to 2 decimals; an interval that does not exist (NaN, null in JSON) shows as a dash.
    const points = (x: number | null): string => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x * 100).toFixed(2)} pts`);
    const u = report.uplift.conversion;
    expect(await text(page, 'uplift-conversion-estimate')).toBe(points(u.estimate));
    expect(await text(page, 'uplift-conversion-lower')).toBe(points(u.lower));
    expect(await text(page, 'uplift-conversion-upper')).toBe(points(u.upper));
    const funnel = await expectChart(page, 'chart-funnel');
    expect(funnel.datasets[0]!.data).toEqual(['entered', 'sent', 'delivered', 'opened', 'clicked', 'converted'].map((k) => report.treatment[k as keyof OutcomeMetrics]));
    const intervals = [report.uplift, ...report.variants.map((v) => v.uplift)].map((x) => x.conversion);
    if (intervals.some((i) => i.lower !== null)) {
      const chart = await expectChart(page, 'chart-uplift');
      expect(chart.datasets[0]!.data).toEqual(intervals.map((i) => (i.lower === null ? null : [i.lower * 100, i.upper * 100])));
    } else {
      expect(await page.getByTestId('uplift-missing').count()).toBe(1);
    }

    // The definition exactly as written.
    expect(await page.getByTestId('campaign-yaml').textContent()).toBe(await readFile(path.join(PROJECT_ROOT, 'campaigns', `${id}.yaml`), 'utf8'));

    // The preview: rendered in a sandboxed srcdoc iframe; nothing sent, no coupon issued.
    const customerId = await text(page, 'preview-customer');
    const frame = page.getByTestId('preview-frame');
    expect(await frame.getAttribute('sandbox')).toBe('');
    await page.waitForSelector('iframe[data-loaded]', { state: 'attached' });
    const body = await page.frameLocator('[data-testid="preview-frame"]').locator('body').textContent();
    expect(body).toContain(inEmail);
    expect(await text(page, 'preview-subject')).not.toBe('');
    const coupon = await dynamoClient().send(new GetCommand({ TableName: stack.tableName, Key: { pk: couponPk('WB20-PREVIEW'), sk: COUPON_SK } }));
    expect(coupon.Item).toBeUndefined();
    const ledger = await customerLedger(stack.tableName, customerId);
    expect(ledger.some((e) => e.entryId === 'preview')).toBe(false);

    await screenshot(page, `campaign-${id}`);
    expect(problems).toEqual([]);
  });
});

describe('customer lookup', () => {
  it("shows a customer's profile, scores with reasons, timeline, messages, consent and suppression as `winback customers show --json`", async () => {
    const { entrant, customer: record } = cli;
    expect(record.messages.length).toBeGreaterThan(0);

    const { page, problems } = await openConsole(browser, stack.apiUrl, 'customers');
    // Searching, as an operator would.
    await page.getByTestId('customer-search').fill(entrant);
    await page.getByTestId('customer-search').press('Enter');
    await page.waitForFunction(
      (id) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid="customer-id"]')?.textContent === id,
      entrant,
    );
    await waitReady(page);

    const s = record.score!;
    expect(await text(page, 'customer-email')).toBe(record.profile!.email);
    expect(await text(page, 'customer-churn')).toBe(`${(s.churnProbability * 100).toFixed(1)}%`);
    expect(await text(page, 'customer-propensity')).toBe(`${(s.purchasePropensity * 100).toFixed(1)}%`);
    expect(await number(page, 'customer-clv')).toBe(Number(s.clv12m.toFixed(2)));
    expect(await text(page, 'customer-tier')).toBe(s.tier);
    expect(await text(page, 'customer-stage')).toBe(s.stage);
    for (const [i, r] of s.reasons.entries()) expect(await text(page, `customer-reason-${i}`)).toBe(r.text);
    expect(await text(page, 'customer-suppressed')).toBe(record.suppressed ? 'suppressed' : 'not suppressed');
    for (const [topic, c] of Object.entries(record.profile!.consent)) expect(await text(page, `consent-${topic}`)).toBe(c.granted ? 'granted' : 'withdrawn');
    expect(await number(page, 'customer-events-count')).toBe(record.events.length);
    expect(await number(page, 'customer-messages-count')).toBe(record.messages.length);
    expect(await page.getByTestId('message-row').count()).toBe(record.messages.length);
    const timeline = await expectChart(page, 'chart-timeline');
    expect(timeline.datasets.reduce((n, d) => n + d.data.length, 0)).toBe(record.events.length);
    await screenshot(page, 'customer');

    // An unknown id is an answer, not an error.
    await page.goto(`${stack.apiUrl}/console/#/customers/no-such-customer`);
    await waitReady(page);
    expect(await page.getByTestId('customer-not-found').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('puts customer data in the page as text: markup in a trait stays text', async () => {
    const probe = '<img src=x onerror="window.__xss=1"><b>bold</b>';
    const res = await fetch(`${stack.apiUrl}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ userId: 'xss-probe', traits: { email: 'xss-probe@example.test', firstName: probe } }),
    });
    expect(res.status).toBe(200);
    await stack.drain();
    const { page, problems } = await openConsole(browser, stack.apiUrl, 'customers/xss-probe');
    const cells = await page.getByTestId('customer-traits').locator('td').allTextContents();
    expect(cells).toContain(probe);
    expect(await page.locator('main img, main b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect((await chartInfo(page, 'chart-timeline')).datasets.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
