import type { CustomerScore } from '../../models/scoring/customer-score.js';

/**
 * A stored score for tests that need scored customers without training (training is not what
 * they test, and takes minutes): churn 0.8, gold, CLV 900 unless `overrides` say otherwise. The
 * band, stage and at-risk flag follow the churn probability, as scoring derives them.
 */
export function testScore(customerId: string, scoredAt: string, overrides: Partial<CustomerScore> = {}): CustomerScore {
  const churn = overrides.churnProbability ?? 0.8;
  return {
    customerId,
    scoredAt,
    churnProbability: churn,
    churnBand: String(Math.floor(churn * 100)).padStart(2, '0'),
    purchasePropensity: 0.3,
    pAlive: 0.5,
    expectedPurchases90d: 0.8,
    expectedOrderValue: 80,
    clv12m: 900,
    tier: 'gold',
    stage: churn >= 0.6 ? 'at-risk' : 'active',
    atRisk: churn >= 0.6,
    churnThreshold: 0.6,
    orders: 2,
    daysSinceLastOrder: 20,
    reasons: [],
    models: { churn: 'churn-test', propensity: 'propensity-test', clv: 'clv-test' },
    ...overrides,
  };
}
