import { beforeAll, describe, expect, it } from 'vitest';
import { trainCampaignUplift } from '../../functions/jobs/campaign-uplift.js';
import { loadUplift, scoreUplift } from '../../models/registry/uplift-model.js';
import { initBackend } from '../../models/tf/backend.js';
import { campaignRawRow } from '../../models/uplift/campaign-data.js';
import { campaignRows as rows } from './campaign-rows.js';
import { useTempRegistries } from '../helpers/temp-dirs.js';

/**
 * Training from campaign rows as `winback uplift train --register` does (the rows' reading from
 * the table is tested with a real campaign in test/simulate/responses.test.ts).
 */
const registries = useTempRegistries();

describe('trainCampaignUplift', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('registers the models targeting reads; the champion ranks the customers the message moves first', async () => {
    const registry = registries();
    const data = rows(2400, 3);
    const result = await trainCampaignUplift(data, { outcome: 'converted', registry, now: new Date('2026-06-01T00:00:00Z') });
    expect(result.source).toBe('campaigns winback-a');
    expect(result.registered.map((r) => r.kind).sort()).toEqual(['class-transformation', 'two-model']);
    const index = await registry.readIndex('uplift');
    expect(index.champion).toBeDefined();
    const champion = await loadUplift(registry, index.champion!);
    expect(champion.experiment.outcome).toBe('converted');
    // Scored as targeting scores a candidate: the campaign-row columns (campaign + features).
    const fresh = rows(400, 99);
    const scores = scoreUplift(champion, fresh.map((r) => campaignRawRow(r)));
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const openers = scores.filter((_, i) => fresh[i]!.features['email_open_rate_90d'] >= 0.5);
    const others = scores.filter((_, i) => fresh[i]!.features['email_open_rate_90d'] < 0.5);
    expect(mean(openers) - mean(others)).toBeGreaterThan(0.1);
    // The held-out figures: the top 30% by predicted uplift gain more than the average effect.
    expect(result.evaluation.model.holdout.upliftAtK['0.3']).toBeGreaterThan(result.evaluation.model.holdout.ate);
  }, 120_000);

  it('the same rows register nothing new (same version)', async () => {
    const registry = registries();
    const data = rows(1200, 4);
    const now = new Date('2026-06-01T00:00:00Z');
    const first = await trainCampaignUplift(data, { outcome: 'converted', registry, now });
    const again = await trainCampaignUplift(data, { outcome: 'converted', registry, now });
    expect(again.registered.map((r) => r.version)).toEqual(first.registered.map((r) => r.version));
    expect((await registry.readIndex('uplift')).versions).toHaveLength(2);
  }, 120_000);
});
