import { openRegistry } from '../../functions/jobs/model-registry.js';
import { registerUplift, UpliftModelRecord } from '../../models/registry/uplift-model.js';
import { testScore } from '../helpers/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';

/**
 * Fixtures of the targeting tests: a population of scored customers and an uplift model whose
 * predictions are known in closed form, registered as the registry's uplift champion.
 *
 * The model is a linear transformed-outcome network (no hidden layer, squared loss, scale 1), so
 * uplift = 0.2 x purchasePropensity + CAMPAIGN[campaign] + INCENTIVE[incentive]: the tests can
 * recompute every expected value and ladder choice the code makes from it.
 */
export const CAMPAIGN_UPLIFT: Readonly<Record<string, number>> = { 'ev-offer': 0, rival: 0.03 };
export const INCENTIVE_UPLIFT: Readonly<Record<string, number>> = { '5': 0, '10': 0.05, '15': 0.07, '20': 0.08 };
export const PROPENSITY_WEIGHT = 0.2;

export function knownUplift(propensity: number, campaign: string, incentive?: number): number {
  return PROPENSITY_WEIGHT * propensity + (CAMPAIGN_UPLIFT[campaign] ?? 0) + (incentive === undefined ? 0 : (INCENTIVE_UPLIFT[String(incentive)] ?? 0));
}

export function linearUpliftRecord(): UpliftModelRecord {
  const campaigns = Object.keys(CAMPAIGN_UPLIFT);
  const incentives = Object.keys(INCENTIVE_UPLIFT);
  const kernel = [PROPENSITY_WEIGHT, ...campaigns.map((c) => CAMPAIGN_UPLIFT[c]!), ...incentives.map((i) => INCENTIVE_UPLIFT[i]!)];
  return UpliftModelRecord.parse({
    schemaVersion: 1,
    kind: 'transformed-outcome',
    experiment: { source: 'targeting-test', treatmentColumn: 'arm', treatment: 'sent', control: 'holdout', outcome: 'converted', outcomeType: 'amount', rows: 0 },
    encoder: {
      columns: [
        { name: 'purchasePropensity', kind: 'numeric', mean: 0, sd: 1 },
        { name: 'campaign', kind: 'categorical', levels: campaigns },
        { name: 'incentive', kind: 'categorical', levels: incentives },
      ],
      inputs: ['purchasePropensity', ...campaigns.map((c) => `campaign=${c}`), ...incentives.map((i) => `incentive=${i}`)],
    },
    model: {
      kind: 'transformed-outcome',
      treatedShare: 0.5,
      nets: [{ loss: 'squared', hiddenUnits: [], inputDim: kernel.length, scale: 1, weights: [{ shape: [kernel.length, 1], values: kernel }, { shape: [1], values: [0] }] }],
    },
    evaluation: {
      holdoutFraction: 0.5,
      seed: 1,
      selectionQini: 0,
      holdout: { n: 0, ate: 0, upliftAtK: { '0.1': 0, '0.2': 0, '0.3': 0, '0.5': 0 }, qini: 0, upliftAuc: 0 },
      curves: { qini: [], perfectQini: [], uplift: [] },
    },
    dataHash: 'targeting-test',
  });
}

export async function registerLinearUplift(registryUri: string): Promise<string> {
  const registry = await openRegistry(registryUri);
  const r = await registerUplift(registry, { record: linearUpliftRecord(), holdout: { raw: [], t: [], y: [], outcome: 'converted' }, createdAt: new Date('2026-11-01T00:00:00Z') });
  return r.version;
}

/** n gold customers with distinct churn and propensity, CLV 100..400, expected order 50. */
export function population(n: number, scoredAt: string): CustomerScore[] {
  return Array.from({ length: n }, (_, i) => {
    const churn = 0.01 + (0.98 * ((i * 7919) % n)) / n;
    return testScore(`t-${String(i).padStart(4, '0')}`, scoredAt, {
      churnProbability: churn,
      purchasePropensity: ((i * 131) % n) / n,
      expectedOrderValue: 50,
      clv12m: 100 + (i % 7) * 50,
    });
  });
}
