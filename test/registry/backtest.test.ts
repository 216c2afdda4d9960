import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../functions/jobs/backtest.js';
import { dataEnd, trainModels, type TrainModelsResult } from '../../functions/jobs/training.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { addDays, churnLabel } from '../../models/labels.js';
import { listSnapshotRuns, recordBacktest, writeScoreSnapshot } from '../../models/registry/backtest.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { RegistryIndex } from '../../models/registry/schema.js';
import { initBackend } from '../../models/tf/backend.js';
import { useTempRegistries } from '../helpers/temp-dirs.js';
import { cdnowSlice, FAST_TRAINING } from './fixtures.js';

/**
 * The live backtest: a first training run on the CDNOW slice cut at 1998-01-01, a second on the
 * whole slice (to mid-1998). The second run backtests the first run's champion on the scores it
 * would have given one horizon (90 days) before the end of the data, which is after everything the
 * first run saw: replayed from its weights when there is no scoring snapshot, read from the
 * snapshot when a scoring run left one.
 */
const full = cdnowSlice(400);
const cut = new Date('1998-01-01T00:00:00Z');
const early = new Map<string, StoredEvent[]>();
for (const [id, events] of full) {
  const before = events.filter((e) => Date.parse(e.timestamp) < cut.getTime());
  if (before.length > 0) early.set(id, before);
}
const tempRegistry = useTempRegistries();
let registry: ModelRegistry;
let first: TrainModelsResult;
let second: TrainModelsResult;

const train = (population: ReadonlyMap<string, readonly StoredEvent[]>, now: string): Promise<TrainModelsResult> =>
  trainModels({
    table: 'unused',
    registry,
    targets: ['churn'],
    horizonDays: 90,
    seed: 5,
    now: new Date(now),
    eventsByCustomer: population,
    experiment: { cutoffCount: 2, train: FAST_TRAINING },
  });

beforeAll(async () => {
  await initBackend();
  registry = tempRegistry();
  first = await train(early, '2026-01-01T00:00:00Z');
  second = await train(full, '2026-07-01T00:00:00Z');
});

describe('live backtest after a retraining', () => {
  it('the first run has nothing to backtest and says so', () => {
    expect(first.reports.churn!.backtest).toMatchObject({ status: 'skipped', version: null });
    expect(first.reports.churn!.backtestSummary).toMatch(/^backtest churn: skipped \(no previous churn champion/);
  });

  it('the second run records the first champion realised quality on its registry entry', async () => {
    const outcome = second.reports.churn!.backtest;
    expect(outcome.status).toBe('recorded');
    if (outcome.status !== 'recorded') return;
    expect(outcome.version).toBe(first.versions.churn);
    const end = dataEnd(full)!;
    expect(outcome.record).toMatchObject({ source: 'replay', horizonDays: 90, scoredAt: addDays(end, -90).toISOString() });
    expect(outcome.record.n).toBeGreaterThan(50);
    expect(Number.isFinite(outcome.record.auc)).toBe(true);
    expect(outcome.record.auc!).toBeGreaterThan(0.5);
    expect(outcome.record.ece).toBeGreaterThanOrEqual(0);
    expect(outcome.record.ece).toBeLessThanOrEqual(1);
    expect(second.reports.churn!.backtestSummary).toContain(`backtest churn ${first.versions.churn} (replay`);

    const index = RegistryIndex.parse(await registry.readIndex('churn'));
    const entry = index.versions.find((v) => v.version === first.versions.churn)!;
    expect(entry.backtests).toEqual([outcome.record]);
    expect(entry.flagged).toBeUndefined();
    // The new version has no backtest yet: its scores have not had a horizon to come true.
    expect(index.versions.find((v) => v.version === second.versions.churn)!.backtests).toBeUndefined();
  });

  it('flags a version below the threshold, and a retried backtest of the same score time replaces its record', async () => {
    const outcome = second.reports.churn!.backtest;
    if (outcome.status !== 'recorded') throw new Error('no backtest recorded');
    const flag = await recordBacktest(registry, outcome.version, outcome.record, 1.01);
    expect(flag.flagged).toBe(true);
    expect(flag.reason).toMatch(/^realised AUC 0\.\d{3} < 1\.01 on \d+ customers scored /);
    const entry = (await registry.readIndex('churn')).versions.find((v) => v.version === outcome.version)!;
    expect(entry).toMatchObject({ flagged: true, flagReason: flag.reason });
    expect(entry.backtests).toHaveLength(1);
    await recordBacktest(registry, outcome.version, outcome.record, 0.6);
    const cleared = (await registry.readIndex('churn')).versions.find((v) => v.version === outcome.version)!;
    expect(cleared.flagged).toBeUndefined();
  });

  it('prefers a scoring run snapshot of the champion, and leaves out customers not in the population (erased)', async () => {
    const champion = (await registry.readIndex('churn')).versions.find((v) => v.version === first.versions.churn)!;
    const end = dataEnd(full)!;
    const scoredAt = addDays(end, -95);
    const ids = [...full.keys()].sort().slice(0, 120);
    // Scores that rank perfectly: 0.8 for those who did churn, 0.2 for the others.
    const scores = ids.map((customerId) => ({ customerId, churnProbability: churnLabel(full.get(customerId)!, scoredAt, 90) === 1 ? 0.8 : 0.2, purchasePropensity: 0.1 }));
    scores.push({ customerId: 'erased-customer', churnProbability: 0.5, purchasePropensity: 0.5 });
    await writeScoreSnapshot(registry.store, { scoredAt: scoredAt.toISOString(), part: 0, models: { churn: champion.version, propensity: 'propensity-20260101T000000Z-000000' }, scores });
    expect((await listSnapshotRuns(registry.store)).map((r) => r.scoredAt)).toEqual([scoredAt.toISOString()]);

    const outcome = await runBacktest({ registry, target: 'churn', champion, population: full, end, now: new Date('2026-07-02T00:00:00Z'), horizonDays: 90 });
    expect(outcome.status).toBe('recorded');
    if (outcome.status !== 'recorded') return;
    expect(outcome.record).toMatchObject({ source: 'snapshot', scoredAt: scoredAt.toISOString(), n: 120, auc: 1 });
    // ECE: |0.8 - 1| and |0.2 - 0| in every row.
    expect(outcome.record.ece).toBeCloseTo(0.2, 5);
    const entry = (await registry.readIndex('churn')).versions.find((v) => v.version === champion.version)!;
    expect(entry.backtests!.map((b) => b.source)).toEqual(['snapshot', 'replay']);
  });
});
