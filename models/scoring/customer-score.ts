import { z } from 'zod';
import { HealthScore } from './health.js';
import { LifecycleStage } from './lifecycle.js';
import { ReasonEffect } from './reasons.js';

/** What a scoring run says about one customer; stored as the customer's SCORE item. */
export const ValueTier = z.enum(['diamond', 'gold', 'silver', 'bronze']);
export type ValueTier = z.infer<typeof ValueTier>;

export const ScoreReason = z.object({
  feature: z.string(),
  effect: z.enum(ReasonEffect),
  text: z.string(),
  value: z.number(),
  contribution: z.number(),
});
export type ScoreReason = z.infer<typeof ScoreReason>;

export const ModelVersions = z.object({ churn: z.string(), propensity: z.string(), clv: z.string() });
export type ModelVersions = z.infer<typeof ModelVersions>;

export const CustomerScore = z.object({
  customerId: z.string().min(1),
  /** ISO time the features were computed at (events strictly before it count). */
  scoredAt: z.string(),
  /** P(no order in the churn model's horizon), calibrated. */
  churnProbability: z.number().min(0).max(1),
  /** floor(churnProbability x 100) as two digits, the audience index's sort prefix. */
  churnBand: z.string().regex(/^\d\d$/),
  /** P(an order in the propensity model's horizon, 30 days by default), calibrated. */
  purchasePropensity: z.number().min(0).max(1),
  pAlive: z.number().min(0).max(1),
  expectedPurchases90d: z.number().nonnegative(),
  expectedOrderValue: z.number().nonnegative(),
  clv12m: z.number().nonnegative(),
  tier: ValueTier,
  stage: z.enum(LifecycleStage),
  /** churnProbability >= the threshold in force for this run. */
  atRisk: z.boolean(),
  churnThreshold: z.number(),
  orders: z.number().int().nonnegative(),
  daysSinceLastOrder: z.number().nullable(),
  reasons: z.array(ScoreReason),
  /** Activity, interaction, satisfaction, complaints (models/scoring/health.ts); absent on scores written before it existed. */
  health: HealthScore.optional(),
  models: ModelVersions,
});
export type CustomerScore = z.infer<typeof CustomerScore>;
