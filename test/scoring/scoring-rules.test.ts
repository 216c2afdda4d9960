import { describe, expect, it } from 'vitest';
import { customerLifetimeValue } from '../../models/clv/clv.js';
import { computeFeatures, type FeatureVector } from '../../models/features.js';
import type { ClvModel } from '../../models/registry/schema.js';
import type { ClvInputs } from '../../models/scoring/clv-inputs.js';
import { clvValues } from '../../models/scoring/clv-values.js';
import { detectCrossing } from '../../models/scoring/crossings.js';
import { DEFAULT_LIFECYCLE_RULES, lifecycleStage } from '../../models/scoring/lifecycle.js';
import { phraseReason, topReasons } from '../../models/scoring/reasons.js';
import { audienceSk } from '../../functions/store/keys.js';
import { churnBand } from '../../kernel/churn-band.js';

const rules = { ...DEFAULT_LIFECYCLE_RULES, churnThreshold: 0.6 };
const base = { orders: 3, daysSinceFirstOrder: 400, daysSinceLastOrder: 20, pAlive: 0.9, churnProbability: 0.2 };

describe('lifecycle stage', () => {
  it.each([
    ['prospect', { orders: 0 }],
    ['new', { daysSinceFirstOrder: 29.9, daysSinceLastOrder: 2, churnProbability: 0.95 }],
    ['churned', { daysSinceLastOrder: 365.5 }],
    ['churned', { pAlive: 0.09 }],
    ['lapsed', { daysSinceLastOrder: 181, churnProbability: 0.99 }],
    ['at-risk', { churnProbability: 0.6 }],
    ['active', { churnProbability: 0.59 }],
    ['active', { daysSinceLastOrder: 180 }],
  ] as const)('is %s for %j', (stage, patch) => {
    expect(lifecycleStage({ ...base, ...patch }, rules)).toBe(stage);
  });
});

describe('churn bands and audience keys', () => {
  it('floors to two digits, clamps and sorts by band', () => {
    expect([0, 0.004, 0.6, 0.6049, 0.999, 1].map(churnBand)).toEqual(['00', '00', '60', '60', '99', '99']);
    expect(churnBand(Number.NaN)).toBe('00');
    expect([audienceSk('60', 'z'), audienceSk('07', 'a'), audienceSk('99', 'b')].sort()).toEqual(['07#a', '60#z', '99#b']);
  });
});

describe('crossings', () => {
  const prev = { scoredAt: '2026-01-01T00:00:00.000Z', churnProbability: 0.55 };
  it('fires up and down across the threshold, never on a first score or an equal side', () => {
    expect(detectCrossing('c', prev, { scoredAt: '2026-01-02T00:00:00.000Z', churnProbability: 0.6 }, 0.6)?.direction).toBe('up');
    expect(detectCrossing('c', { ...prev, churnProbability: 0.7 }, { scoredAt: '2026-01-02T00:00:00.000Z', churnProbability: 0.3 }, 0.6)?.direction).toBe('down');
    expect(detectCrossing('c', prev, { scoredAt: '2026-01-02T00:00:00.000Z', churnProbability: 0.59 }, 0.6)).toBeUndefined();
    expect(detectCrossing('c', undefined, { scoredAt: '2026-01-02T00:00:00.000Z', churnProbability: 0.9 }, 0.6)).toBeUndefined();
    // An older run never produces a crossing against a newer stored score.
    expect(detectCrossing('c', prev, { scoredAt: '2025-12-31T00:00:00.000Z', churnProbability: 0.9 }, 0.6)).toBeUndefined();
  });
});

function features(patch: Partial<Record<keyof FeatureVector, number>>): FeatureVector {
  return { ...computeFeatures([], new Date('2026-01-01T00:00:00Z')), ...patch } as FeatureVector;
}

describe('reasons', () => {
  it('phrases recency against the usual gap, in the direction of the score', () => {
    const f = features({ recency_days: 142.4, ipt_mean_days: 30.2, has_repeat_purchase: 1 });
    expect(phraseReason('recency_days', f, 40, 'raises-churn')).toBe('no order for 142 days (usual gap 30)');
    expect(phraseReason('recency_days', features({ recency_days: 6 }), 40, 'lowers-churn')).toBe('ordered 6 days ago (only one order day so far)');
    expect(phraseReason('days_since_email_open', features({ days_since_email_open: 155, tenure_days: 155 }), 0, 'raises-churn')).toBe(
      'has never opened an email (known for 155 days)',
    );
    expect(phraseReason('days_since_email_open', features({ days_since_email_open: 12, tenure_days: 155 }), 0, 'raises-churn')).toBe('no email opened for 12 days');
    expect(phraseReason('sessions_30d', features({ sessions_30d: 0 }), 2.14, 'raises-churn')).toBe('website visits in the last 30 days: 0 (typical 2.1)');
    expect(phraseReason('emails_opened_trend_30d', features({ emails_opened_trend_30d: -3 }), 0, 'raises-churn')).toBe(
      'emails opened: 3 fewer in the last 30 days than the 30 before',
    );
  });

  it('picks the strongest contributions pushing the score its way', () => {
    const f = features({ recency_days: 200, orders: 1, monetary: 20 });
    const contributions = [
      { feature: 'recency_days' as const, contribution: 1.5 },
      { feature: 'orders' as const, contribution: 0.4 },
      { feature: 'monetary' as const, contribution: -0.8 },
      { feature: 'tenure_days' as const, contribution: 0.9 },
      { feature: 'frequency' as const, contribution: 0.1 },
    ];
    const high = topReasons(contributions, f, () => 1, 0.8);
    expect(high.map((r) => r.feature)).toEqual(['recency_days', 'tenure_days', 'orders']);
    expect(high.every((r) => r.effect === 'raises-churn')).toBe(true);
    const low = topReasons(contributions, f, () => 1, 0.2);
    expect(low.map((r) => r.feature)).toEqual(['monetary']);
    expect(low[0]?.text).toBe('spent 20.00 in total (typical 1.00)');
  });
});

const clvModel = (patch: Partial<ClvModel> = {}): ClvModel => ({
  schemaVersion: 1,
  asOf: '1997-10-01T00:00:00.000Z',
  unit: 'weeks',
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4, penalty: 0, degenerate: false, converged: true },
  gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44, logLikelihood: 0, penalty: 0, customers: 946 },
  clv: { horizonMonths: 12, discountRatePerMonth: 0.01, periodLengthWeeks: 52 / 12 },
  meanOrderValue: 35,
  tierQuantiles: { diamond: 0.95, gold: 0.8, silver: 0.5 },
  tierThresholds: { diamond: 100, gold: 50, silver: 10 },
  customers: 2357,
  dataHash: 'x',
  warnings: [],
  ...patch,
});

describe('CLV values', () => {
  const customer: ClvInputs = { x: 2, t_x: 30.43, T: 38.86, monetary: 22.35, orderDays: 3, totalValue: 60 };

  it('equals models/clv customerLifetimeValue for healthy parameters', () => {
    const m = clvModel();
    const v = clvValues(m, customer);
    const reference = customerLifetimeValue({ bgnbd: m.bgnbd, gammaGamma: m.gammaGamma }, customer, {
      horizon: 12,
      discountRatePerPeriod: 0.01,
      periodLength: 52 / 12,
    });
    expect(v.clv12m).toBeCloseTo(reference, 9);
    expect(v.pAlive).toBeGreaterThan(0);
    expect(v.pAlive).toBeLessThanOrEqual(1);
    expect(v.expectedPurchases90d).toBeGreaterThan(0);
  });

  it('stays finite on a degenerate BG/NBD and an infinite-mean Gamma-Gamma, and for prospects', () => {
    const degenerate = clvModel({
      bgnbd: { r: 0.7, alpha: 9.4, a: 1e-7, b: 6e7, logLikelihood: -1, penalty: 0.1, degenerate: true, converged: true },
      gammaGamma: { p: 2, q: 0.8, gamma: 10, logLikelihood: 0, penalty: 0, customers: 10 },
    });
    for (const c of [customer, { ...customer, x: 0, t_x: 0, monetary: 0, orderDays: 1, totalValue: 12 }, undefined]) {
      const v = clvValues(degenerate, c);
      for (const n of Object.values(v)) expect(Number.isFinite(n)).toBe(true);
    }
    // q <= 1 and x = 0: Gamma-Gamma's mean p*gamma/(q-1) is infinite; the customer's own mean stands in.
    expect(clvValues(degenerate, { ...customer, x: 0, t_x: 0, monetary: 0, orderDays: 1, totalValue: 12 }).expectedOrderValue).toBe(12);
    expect(clvValues(degenerate, undefined).expectedOrderValue).toBe(35);
    expect(clvValues(clvModel(), undefined)).toMatchObject({ pAlive: 1, expectedPurchases90d: 0, clv12m: 0 });
  });
});
