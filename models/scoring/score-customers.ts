import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { churnBand } from '../../kernel/churn-band.js';
import { predictProba, type TrainedModel } from '../churn-model.js';
import { valueTier, type TierThresholds } from '../clv/clv.js';
import { computeFeatures, type FeatureName } from '../features.js';
import type { ClvModel } from '../registry/schema.js';
import { featureContributions, typicalValue } from './attribution.js';
import { clvInputsAt } from './clv-inputs.js';
import { clvValues } from './clv-values.js';
import type { CustomerScore, ModelVersions } from './customer-score.js';
import { healthScore } from './health.js';
import { DEFAULT_LIFECYCLE_RULES, lifecycleStage, type LifecycleRules } from './lifecycle.js';
import { topReasons } from './reasons.js';

/**
 * Scores a batch of customers at `scoredAt` with the champion models. Pure: the caller passes
 * the events (any time range: only those before `scoredAt` are read), the models and the time.
 * Features come from the same computeFeatures the models were trained with (no skew).
 *
 * Prospects (no order before scoredAt) get the models' scores too (finite, but the models were
 * trained on customers with an order, so treat them as weak), P(alive) 1, no expected purchases
 * and a CLV of 0; their stage says what they are.
 */
export interface ScoringModels {
  readonly churn: TrainedModel;
  readonly propensity: TrainedModel;
  readonly clv: ClvModel;
  readonly versions: ModelVersions;
}

export interface ScoringOptions {
  readonly churnThreshold: number;
  /** Absolute tier thresholds; default those stored with the CLV model (population quantiles). */
  readonly tierThresholds?: TierThresholds;
  readonly lifecycle?: Partial<Omit<LifecycleRules, 'churnThreshold'>>;
  readonly reasons?: number;
}

const clamp01 = (p: number): number => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0.5);

export function scoreCustomers(
  customers: ReadonlyArray<readonly [string, readonly StoredEvent[]]>,
  scoredAt: Date,
  models: ScoringModels,
  options: ScoringOptions,
): CustomerScore[] {
  if (customers.length === 0) return [];
  const at = scoredAt.toISOString();
  const features = customers.map(([, events]) => computeFeatures(events, scoredAt));
  const churn = predictProba(models.churn, features).map(clamp01);
  const propensity = predictProba(models.propensity, features).map(clamp01);
  const contributions = featureContributions(models.churn, features);
  const typicalCache = new Map<FeatureName, number>();
  const typical = (name: FeatureName): number => {
    let v = typicalCache.get(name);
    if (v === undefined) typicalCache.set(name, (v = typicalValue(models.churn, name)));
    return v;
  };
  const clvInputs = clvInputsAt(customers, scoredAt);
  const thresholds = options.tierThresholds ?? models.clv.tierThresholds;
  const rules: LifecycleRules = { ...DEFAULT_LIFECYCLE_RULES, ...options.lifecycle, churnThreshold: options.churnThreshold };

  return customers.map(([customerId], i) => {
    const f = features[i]!;
    const p = churn[i]!;
    const inputs = clvInputs.get(customerId);
    const clv = clvValues(models.clv, inputs);
    const orders = f.orders;
    return {
      customerId,
      scoredAt: at,
      churnProbability: p,
      churnBand: churnBand(p),
      purchasePropensity: propensity[i]!,
      pAlive: clv.pAlive,
      expectedPurchases90d: clv.expectedPurchases90d,
      expectedOrderValue: clv.expectedOrderValue,
      clv12m: clv.clv12m,
      tier: valueTier(clv.clv12m, thresholds),
      stage: lifecycleStage(
        {
          orders,
          daysSinceFirstOrder: f.first_order_age_days,
          daysSinceLastOrder: f.recency_days,
          pAlive: clv.pAlive,
          churnProbability: p,
        },
        rules,
      ),
      atRisk: p >= options.churnThreshold,
      churnThreshold: options.churnThreshold,
      orders,
      daysSinceLastOrder: orders > 0 ? Math.round(f.recency_days * 100) / 100 : null,
      reasons: topReasons(contributions[i] ?? [], f, typical, p, options.reasons ?? 3),
      health: healthScore(f),
      models: models.versions,
    };
  });
}
