import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aggregateScores,
  CHURN_HISTOGRAM_BINS,
  churnHistogramBin,
  mergeAggregates,
  runsFromShards,
  type ScoringRunShard,
} from '../../functions/store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { figuresOf, trendOf } from '../../application/overview.js';
import { consoleHandler } from '../../scripts/console/mount.js';
import type { ConsoleResponse } from '../../application/console/responses.js';

/**
 * The console without a browser: the scoring-run aggregates (additive, so per-shard parts sum to
 * the run), and the handler's static files and API answers that need no table.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'winback-console-server-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function score(i: number, over: Partial<CustomerScore> = {}): CustomerScore {
  const churnProbability = (i % 100) / 100;
  return {
    customerId: `c-${String(i).padStart(4, '0')}`,
    scoredAt: '2025-08-29T00:00:00.000Z',
    churnProbability,
    churnBand: String(Math.floor(churnProbability * 100)).padStart(2, '0'),
    purchasePropensity: 0.2,
    pAlive: 0.8,
    expectedPurchases90d: 1,
    expectedOrderValue: 50,
    clv12m: 10 + (i % 7) * 13.37,
    tier: (['diamond', 'gold', 'silver', 'bronze'] as const)[i % 4]!,
    stage: (['new', 'active', 'at-risk', 'lapsed'] as const)[i % 4]!,
    atRisk: churnProbability >= 0.6,
    churnThreshold: 0.6,
    orders: 2,
    daysSinceLastOrder: 12,
    reasons: [],
    models: { churn: 'churn-x', propensity: 'propensity-x', clv: 'clv-x' },
    ...over,
  };
}

describe('scoring-run aggregates', () => {
  const scores = Array.from({ length: 250 }, (_, i) => score(i));

  it('counts tiers, stages, the churn histogram, at-risk customers and revenue at risk', () => {
    const a = aggregateScores(scores);
    expect(a.customers).toBe(250);
    expect(Object.values(a.byTier).reduce((x, y) => x + y, 0)).toBe(250);
    expect(a.byStage.prospect).toBe(0);
    expect(a.churnHistogram).toHaveLength(CHURN_HISTOGRAM_BINS);
    expect(a.churnHistogram.reduce((x, y) => x + y, 0)).toBe(250);
    expect(a.atRisk).toBe(scores.filter((s) => s.churnProbability >= 0.6).length);
    expect(a.revenueAtRisk).toBeCloseTo(scores.reduce((x, s) => x + s.clv12m * s.churnProbability, 0), 9);
    expect([0, 0.049, 0.05, 0.999, 1].map(churnHistogramBin)).toEqual([0, 0, 1, 19, 19]);
  });

  it('adds up: shard parts summed on read equal the aggregate of the whole run', () => {
    const whole = aggregateScores(scores);
    const parts = [0, 1, 2].map((k) => aggregateScores(scores.filter((_, i) => i % 3 === k)));
    const merged = mergeAggregates(parts);
    expect({ ...merged, revenueAtRisk: 0, clvTotal: 0, churnProbabilitySum: 0 }).toEqual({ ...whole, revenueAtRisk: 0, clvTotal: 0, churnProbabilitySum: 0 });
    expect(figuresOf(merged)).toEqual(figuresOf(whole));
  });

  it('makes a run of its shards, complete once every shard reported, newest first', () => {
    const part = (scoredAt: string, shard: number, shards = 3): ScoringRunShard => ({
      scoredAt,
      shard,
      shards,
      models: { churn: 'churn-x', propensity: 'propensity-x', clv: 'clv-x' },
      churnThreshold: 0.6,
      writtenAt: scoredAt,
      aggregate: aggregateScores(scores.filter((_, i) => i % shards === shard)),
    });
    const runs = runsFromShards([part('2025-07-30T00:00:00.000Z', 0), part('2025-08-29T00:00:00.000Z', 1), part('2025-07-30T00:00:00.000Z', 2), part('2025-07-30T00:00:00.000Z', 1)]);
    expect(runs.map((r) => [r.scoredAt, r.shardsReported, r.complete])).toEqual([
      ['2025-08-29T00:00:00.000Z', 1, false],
      ['2025-07-30T00:00:00.000Z', 3, true],
    ]);
    expect(runs[1]!.aggregate.customers).toBe(250);
    expect(runs[0]!.aggregate.customers).toBe(scores.filter((_, i) => i % 3 === 1).length);
  });

  it('computes the trend as now minus the previous run', () => {
    const before = aggregateScores(scores.slice(0, 200));
    const now = figuresOf(aggregateScores(scores));
    const t = trendOf(now, { scoredAt: 'then', models: { churn: 'a', propensity: 'b', clv: 'c' }, churnThreshold: 0.6, complete: true, shards: 16, shardsReported: 16, figures: figuresOf(before) });
    expect(t.customers).toBe(50);
    expect(t.since).toBe('then');
    expect(Object.values(t.byTier).reduce((x, y) => x + y, 0)).toBe(50);
    expect(t.revenueAtRisk).toBeCloseTo(now.revenueAtRisk - figuresOf(before).revenueAtRisk, 2);
  });
});

describe('console handler', () => {
  const handler = consoleHandler({ dataDir, campaignsDir: path.join(ROOT, 'campaigns'), tableName: 'unused' });
  const get = async (rawPath: string, method = 'GET'): Promise<ConsoleResponse & { text: string }> => {
    const event = { rawPath, requestContext: { http: { method } }, headers: {} } as unknown as APIGatewayProxyEventV2;
    const res = (await handler(event, {} as Context)) as ConsoleResponse;
    const body = res.body ?? '';
    return { ...res, text: res.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body };
  };

  it('serves the page, its modules and Chart.js as files, with a content security policy on the page', async () => {
    for (const p of ['/console', '/console/']) {
      const page = await get(p);
      expect(page.statusCode).toBe(200);
      expect(page.headers?.['content-type']).toMatch(/^text\/html/);
      expect(String(page.headers?.['content-security-policy'])).toContain("script-src 'self'");
      expect(page.text).toContain('/console/vendor/chart.umd.min.js');
    }
    const app = await get('/console/app.js');
    expect(app.headers?.['content-type']).toMatch(/^text\/javascript/);
    expect(app.text).toBe(await readFile(path.join(ROOT, 'scripts/console/public/app.js'), 'utf8'));
    const chart = await get('/console/vendor/chart.umd.min.js');
    expect(chart.statusCode).toBe(200);
    expect(chart.text).toContain('Chart');
    expect((await get('/console/favicon.svg')).headers?.['content-type']).toBe('image/svg+xml');
  });

  it('serves nothing outside its public directory, and only reads', async () => {
    for (const p of ['/console/../package.json', '/console/%2e%2e/%2e%2e/package.json', '/console/..%2f..%2fmount.ts', '/console/pages', '/console/vendor/chart.js', '/console/nope.js']) {
      expect((await get(p)).statusCode, p).toBe(404);
    }
    expect((await get('/console/api/overview', 'POST')).statusCode).toBe(405);
  });

  it('answers the API routes that need no table: campaigns from the directory, models from the registry', async () => {
    const list = JSON.parse((await get('/console/api/campaigns')).text) as Array<{ valid: boolean; campaign: { id: string } | null }>;
    expect(list.map((c) => c.campaign?.id)).toContain('high-value-winback');
    const source = JSON.parse((await get('/console/api/campaigns/high-value-winback')).text) as { yaml: string; campaign: { id: string }; errors: unknown[] };
    expect(source.yaml).toBe(await readFile(path.join(ROOT, 'campaigns/high-value-winback.yaml'), 'utf8'));
    expect(source.errors).toEqual([]);
    expect((await get('/console/api/campaigns/no-such-campaign')).statusCode).toBe(404);
    expect((await get('/console/api/campaigns/..%2fpackage')).statusCode).toBe(404);
    const models = JSON.parse((await get('/console/api/models')).text) as { registry: string; models: Array<{ model: string; champion: null }> };
    expect(models.models.map((m) => [m.model, m.champion])).toEqual([
      ['churn', null],
      ['propensity', null],
      ['clv', null],
      ['uplift', null],
    ]);
    expect((await get('/console/api/models/not-a-version')).statusCode).toBe(404);
    expect((await get('/console/api/nothing-here')).statusCode).toBe(404);
  });
});
