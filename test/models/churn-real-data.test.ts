import { describe, expect, it } from 'vitest';
import {
  CDNOW_EVAL_CUTOFF,
  CDNOW_HORIZON_DAYS,
  cdnowEventsByCustomer,
  ONLINE_RETAIL_EVAL_CUTOFF,
  ONLINE_RETAIL_HORIZON_DAYS,
  onlineRetailEventsByCustomer,
} from '../../models/datasets.js';
import { formatComparison, runExperiment } from '../../models/experiment.js';

/**
 * The real-data checks of issue 3 (data from ../shared/data, never copied into the repo).
 * Reproduce the printed tables with `npx tsx models/reproduce.ts online-retail|cdnow`.
 */
describe('churn model on real data', () => {
  it('Online Retail, cutoff 2011-09-10, 90 days: the TF.js model beats every baseline on ROC-AUC', async () => {
    // Prepare
    const events = await onlineRetailEventsByCustomer();

    // Act
    const r = await runExperiment({
      eventsByCustomer: events,
      evalCutoff: ONLINE_RETAIL_EVAL_CUTOFF,
      horizonDays: ONLINE_RETAIL_HORIZON_DAYS,
      target: 'churn',
      seed: 42,
    });
    console.log(`Online Retail (${r.backend.name}, train ${r.timings.trainMs} ms)\n${formatComparison(r.comparison)}`);

    // Assess: the reference population (~3,370 customers, ~43% churn) and the split.
    expect(r.data.holdoutRows).toBeGreaterThan(3300);
    expect(r.data.holdoutRows).toBeLessThan(3450);
    expect(r.data.holdoutPositiveRate).toBeGreaterThan(0.4);
    expect(r.data.holdoutPositiveRate).toBeLessThan(0.46);
    for (const c of r.trainCutoffs) expect(Date.parse(c) + 90 * 86_400_000).toBeLessThanOrEqual(ONLINE_RETAIL_EVAL_CUTOFF.getTime());
    // Baselines in the published ranges.
    expect(r.baselines.recency.metrics.rocAuc).toBeGreaterThan(0.65);
    expect(r.baselines.logisticRfm.metrics.rocAuc).toBeGreaterThan(0.7);
    // BG/NBD degenerates here: flagged, never NaN.
    expect(r.baselines.bgnbd.details?.['degenerate']).toBe(true);
    expect(Number.isFinite(r.baselines.bgnbd.metrics.logLoss)).toBe(true);
    // The claim.
    for (const b of Object.values(r.baselines)) expect(r.metrics.rocAuc).toBeGreaterThan(b.metrics.rocAuc);
    expect(r.beatsAllBaselines).toBe(true);
    expect(r.metrics.logLoss).toBeLessThan(Math.min(...Object.values(r.baselines).map((b) => b.metrics.logLoss)));
    r.model.network.dispose();
  }, 120_000);

  it('CDNOW, calibration to 1997-09-30, label = a purchase in weeks 40-78: reports the same table', async () => {
    const r = await runExperiment({
      eventsByCustomer: cdnowEventsByCustomer(),
      evalCutoff: CDNOW_EVAL_CUTOFF,
      horizonDays: CDNOW_HORIZON_DAYS,
      target: 'churn',
      seed: 42,
    });
    console.log(`CDNOW (${r.backend.name}, train ${r.timings.trainMs} ms)\n${formatComparison(r.comparison)}`);

    expect(r.data.holdoutRows).toBe(2357);
    // Fader, Hardie & Lee: 1,411 of 2,357 made no repeat purchase in calibration; churn here is "no purchase in the holdout".
    expect(r.data.holdoutPositiveRate).toBeGreaterThan(0.6);
    expect(r.trainHorizonDays).toBeLessThan(CDNOW_HORIZON_DAYS);
    for (const c of r.comparison) {
      expect(c.rocAuc).toBeGreaterThan(0.7);
      expect(Number.isFinite(c.logLoss) && Number.isFinite(c.brier)).toBe(true);
    }
    r.model.network.dispose();
  }, 120_000);
});
