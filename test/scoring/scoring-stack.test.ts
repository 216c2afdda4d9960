import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/commons/clients.js';
import { logger } from '../../functions/commons/logger.js';
import { resetConfig } from '../../functions/commons/config.js';
import { ValidationError } from '../../kernel/errors.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { openRegistry } from '../../functions/jobs/model-registry.js';
import { trainModels, type TrainModelsResult } from '../../functions/jobs/training.js';
import { scoreSegmentsJob } from '../../functions/score-segments.js';
import { trainModelsJob } from '../../functions/train-models.js';
import { storeEvents } from '../../functions/store/events.js';
import { getScore, itemToScore, queryAudience, queryCrossings } from '../../functions/store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { CLOCK_FILE, writeClock } from '../../scripts/demo/state.js';
import { scoreEveryone, type ScoringSummary } from '../../scripts/local/local-scoring.js';
import { winback } from '../helpers/cli.js';
import { useLocalStack } from '../helpers/stack.js';
import { cdnowSlice, FAST_TRAINING } from '../registry/fixtures.js';
import { customerHash, listSnapshotRuns, readScoreSnapshots } from '../../models/registry/backtest.js';

/**
 * Scoring end to end on the embedded stack: a CDNOW slice stored as order events, models trained
 * by the training job (reading customers from gsi1 and events from the table), then scoring runs
 * through the scoring state machine on the local runner (plan-scoring, the Distributed Map over its
 * manifest, score-segments), as `winback score` runs them.
 */
const stack = useLocalStack();
const population = cdnowSlice(160);
const PROSPECT = 'prospect-1';
const T1 = '1997-10-01T00:00:00.000Z';
const T2 = '1998-03-01T00:00:00.000Z';
const THRESHOLD = 0.6;
let registryDir = '';
let trained: TrainModelsResult;

const scoreRun = (scoredAt: string): Promise<ScoringSummary> => scoreEveryone(stack().dataDir, { scoredAt: new Date(scoredAt) });

async function storedScores(): Promise<CustomerScore[]> {
  const out = await dynamoClient().send(
    new ScanCommand({ TableName: stack().tableName, FilterExpression: 'sk = :s', ExpressionAttributeValues: { ':s': 'SCORE' } }),
  );
  return (out.Items ?? []).map(itemToScore);
}

async function storedScoreItems(): Promise<Array<Record<string, unknown>>> {
  const out = await dynamoClient().send(
    new ScanCommand({ TableName: stack().tableName, FilterExpression: 'sk = :s', ExpressionAttributeValues: { ':s': 'SCORE' } }),
  );
  return out.Items ?? [];
}

function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) for (const v of value) numbersIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) numbersIn(v, out);
  return out;
}

beforeAll(async () => {
  logger.setLogLevel('WARN');
  // Prepare: the slice's orders plus one visitor who never ordered, stored as the processor would.
  const events: StoredEvent[] = [...population.values()].flat();
  events.push({
    eventId: 'seg:prospect-page',
    customerId: PROSPECT,
    userId: PROSPECT,
    kind: 'page',
    name: 'page',
    timestamp: '1997-06-01T10:00:00.000Z',
    receivedAt: '1997-06-01T10:00:00.000Z',
    source: 'web',
    properties: {},
  });
  await storeEvents(events, { table: stack().tableName, retentionDays: 730 });
  registryDir = mkdtempSync(join(tmpdir(), 'winback-scoring-registry-'));
  process.env['MODEL_REGISTRY_URI'] = `file://${registryDir}`;
  process.env['CHURN_THRESHOLD'] = String(THRESHOLD);
  resetConfig();
  trained = await trainModels({
    table: stack().tableName,
    registry: await openRegistry(`file://${registryDir}`),
    seed: 3,
    now: new Date('2026-11-23T10:15:00Z'),
    experiment: { cutoffCount: 3, train: FAST_TRAINING },
  });
});

afterAll(() => {
  delete process.env['MODEL_REGISTRY_URI'];
  delete process.env['CHURN_THRESHOLD'];
  resetConfig();
  rmSync(registryDir, { recursive: true, force: true });
});

describe('training job', () => {
  it('trains both targets from the table, registers them and the CLV fit as champions', () => {
    expect(Object.keys(trained.metrics).sort()).toEqual(['churn', 'propensity']);
    expect(trained.promoted.sort()).toEqual([trained.versions.churn, trained.versions.clv, trained.versions.propensity].sort());
    expect(trained.reports.churn?.data.customers).toBe(population.size + 1);
    for (const target of ['churn', 'propensity'] as const) {
      const r = trained.reports[target]!;
      expect(Object.keys(r.baselines).sort()).toEqual(['bgnbd', 'logisticRfm', 'recency']);
      expect(r.metrics.rocAuc).toBeGreaterThan(0.5);
      expect(r.registry.decision).toBe('promoted');
    }
    // Default cutoff: midnight after the last event, minus the target's horizon.
    const last = Math.max(...[...population.values()].flat().map((e) => Date.parse(e.timestamp)));
    const end = (Math.floor(last / 86_400_000) + 1) * 86_400_000;
    expect(trained.reports.churn?.evalCutoff).toBe(new Date(end - 90 * 86_400_000).toISOString());
    expect(trained.reports.propensity?.evalCutoff).toBe(new Date(end - 30 * 86_400_000).toISOString());
    expect(trained.clv.asOf).toBe(new Date(end).toISOString());
  });

  it('answers a bad event with a ValidationError naming the field', async () => {
    await expect(trainModelsJob({ horizonDays: -3 })).rejects.toMatchObject({ name: 'ValidationError', field: 'horizonDays' });
    await expect(
      scoreSegmentsJob({ Items: [{ segment: 0, shard: 16, last: 'c1', customers: 1 }], BatchInput: { scoredAt: T1, models: { churn: 'a', propensity: 'b', clv: 'c' }, segments: 1 } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('scoring', () => {
  let first: ScoringSummary;
  let second: ScoringSummary;
  let afterFirst: CustomerScore[];

  beforeAll(async () => {
    first = await scoreRun(T1);
    afterFirst = await storedScores();
    second = await scoreRun(T2);
  });

  it('plans with the champion versions and a segment per registry shard (each holds fewer customers than a segment)', () => {
    expect(first).toMatchObject({
      scoredAt: T1,
      segments: 16,
      models: { churn: trained.versions.churn, propensity: trained.versions.propensity, clv: trained.versions.clv },
    });
  });

  it('leaves one score snapshot per run in the registry for the live backtest, keyed by customer id hash', async () => {
    const store = (await openRegistry(`file://${registryDir}`)).store;
    const runs = await listSnapshotRuns(store);
    expect(runs.map((r) => r.scoredAt)).toEqual([T1, T2]);
    const parts = await readScoreSnapshots(store, runs[1]!.keys);
    expect(parts.map((p) => p.part)).toEqual(Array.from({ length: second.segments }, (_, i) => i));
    const byHash = new Map(parts.flatMap((p) => Object.entries(p.scores)));
    const scores = await storedScores();
    expect(byHash.size).toBe(scores.length);
    for (const s of scores) {
      const [churn, propensity] = byHash.get(customerHash(s.customerId))!;
      expect(churn).toBeCloseTo(s.churnProbability, 4);
      expect(propensity).toBeCloseTo(s.purchasePropensity, 4);
    }
    expect(parts.every((p) => p.models.churn === second.models.churn)).toBe(true);
    // Hashes only: no customer id in the files.
    expect(JSON.stringify(parts)).not.toContain(PROSPECT);
  });

  it('gives every customer a finite score, a tier, a stage and reasons, stamped with versions and time', async () => {
    const scores = await storedScores();
    expect(scores).toHaveLength(population.size + 1);
    expect(first.customers).toBe(population.size + 1);
    for (const s of scores) {
      expect(s.scoredAt).toBe(T2);
      expect(s.models).toEqual(second.models);
      expect(['diamond', 'gold', 'silver', 'bronze']).toContain(s.tier);
      expect(s.reasons.length).toBeGreaterThan(0);
      expect(s.reasons.length).toBeLessThanOrEqual(3);
      for (const r of s.reasons) expect(r.text.length).toBeGreaterThan(5);
    }
    for (const item of await storedScoreItems()) for (const n of numbersIn(item)) expect(Number.isFinite(n)).toBe(true);
    const prospect = await getScore(stack().tableName, PROSPECT);
    expect(prospect).toMatchObject({ stage: 'prospect', orders: 0, clv12m: 0, daysSinceLastOrder: null });
    // Stages follow the documented rules at T2 (5 months after the last first purchase of the cohort).
    for (const s of scores.filter((x) => x.orders > 0)) {
      const days = s.daysSinceLastOrder ?? 0;
      if (days > 365 || s.pAlive < 0.1) expect(s.stage).toBe('churned');
      else if (days > 180) expect(s.stage).toBe('lapsed');
      else if (s.churnProbability >= THRESHOLD) expect(['at-risk', 'new']).toContain(s.stage);
    }
    expect(new Set(scores.map((s) => s.stage)).size).toBeGreaterThan(1);
  });

  it('finds each tier through the audience index, and a churn band range within it', async () => {
    const scores = await storedScores();
    for (const tier of ['diamond', 'gold', 'silver', 'bronze'] as const) {
      const expected = scores.filter((s) => s.tier === tier).map((s) => s.customerId).sort();
      const audience = await queryAudience(stack().tableName, { tier });
      expect(audience.map((s) => s.customerId).sort()).toEqual(expected);
      const risky = await queryAudience(stack().tableName, { tier, minBand: '60' });
      expect(risky.map((s) => s.customerId).sort()).toEqual(
        scores.filter((s) => s.tier === tier && s.churnProbability >= 0.6).map((s) => s.customerId).sort(),
      );
      expect(risky.every((s, i) => i === 0 || s.churnBand <= risky[i - 1]!.churnBand)).toBe(true);
    }
    expect(scores.some((s) => s.tier !== 'bronze')).toBe(true);
  });

  it('writes a crossing record exactly for the customers whose churn score crossed the threshold', async () => {
    const before = new Map(afterFirst.map((s) => [s.customerId, s.churnProbability]));
    const now = await storedScores();
    const expected = now
      .filter((s) => (before.get(s.customerId)! >= THRESHOLD) !== (s.churnProbability >= THRESHOLD))
      .map((s) => `${s.customerId}:${s.churnProbability >= THRESHOLD ? 'up' : 'down'}`)
      .sort();
    const crossings = await queryCrossings(stack().tableName, T2.slice(0, 10));
    expect(expected.length).toBeGreaterThan(0);
    expect(crossings.map((c) => `${c.customerId}:${c.direction}`).sort()).toEqual(expected);
    expect(second.crossings.total).toBe(expected.length);
    expect(first.crossings.total).toBe(0);
    for (const c of crossings) {
      expect(c.previousScoredAt).toBe(T1);
      expect(c.previousChurnProbability).toBe(before.get(c.customerId));
    }
  });

  it('is idempotent: a retried shard converges, an older run never overwrites a newer score', async () => {
    const crossingsBefore = await queryCrossings(stack().tableName, T2.slice(0, 10));
    const retried = await scoreRun(T2);
    const crossingsAfter = await queryCrossings(stack().tableName, T2.slice(0, 10));
    expect(crossingsAfter).toEqual(crossingsBefore);
    expect(retried.crossings.total).toBe(crossingsBefore.length);
    const late = await scoreRun(T1);
    expect(late.skipped).toBe(population.size + 1);
    expect((await storedScores()).every((s) => s.scoredAt === T2)).toBe(true);
  });

  it('`winback score --json` scores everyone against the running stack and summarises tiers, stages and crossings', async () => {
    const { code, out } = await winback('score', '--at', '1998-06-01', '--json', '--data-dir', stack().dataDir);
    expect(code).toBe(0);
    const summary = JSON.parse(out) as { customers: number; byTier: Record<string, number>; byStage: Record<string, number>; crossings: { total: number; up: number; down: number }; models: unknown };
    const scores = await storedScores();
    expect(summary.customers).toBe(population.size + 1);
    expect(summary.models).toEqual(second.models);
    expect(Object.values(summary.byTier).reduce((a, b) => a + b, 0)).toBe(population.size + 1);
    const byStage: Record<string, number> = {};
    for (const s of scores) byStage[s.stage] = (byStage[s.stage] ?? 0) + 1;
    expect(summary.byStage).toEqual(byStage);
    expect(summary.crossings.total).toBe((await queryCrossings(stack().tableName, '1998-06-01')).length);
    expect(summary.crossings.up + summary.crossings.down).toBe(summary.crossings.total);
  });

  it('`winback score` at a time older than the stored scores says so, names the newest run and the --at that rescores, exits 1', async () => {
    const r = await winback('score', '--at', '1998-05-01', '--data-dir', stack().dataDir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('0 customers scored at 1998-05-01');
    expect(r.err).toContain(`${population.size + 1} customer(s) not rescored`);
    expect(r.err).toContain('winback score --at 1998-06-01T00:00:00.000Z');
    expect((await storedScores()).every((s) => s.scoredAt === '1998-06-01T00:00:00.000Z')).toBe(true);
  });

  it('`winback score` without --at scores at the virtual clock `winback start` saved, when it is ahead of the wall clock', async () => {
    const virtualNow = new Date(Date.now() + 30 * 86_400_000);
    await writeClock(stack().dataDir, virtualNow, 1440);
    try {
      const r = await winback('score', '--json', '--data-dir', stack().dataDir);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.out) as { scoredAt: string; customers: number })).toMatchObject({ scoredAt: virtualNow.toISOString(), customers: population.size + 1 });
      expect(r.err).toContain(`time: ${virtualNow.toISOString()}, the virtual clock`);
    } finally {
      await rm(join(stack().dataDir, CLOCK_FILE), { force: true });
    }
  });
});
