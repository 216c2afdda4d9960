/**
 * Lifecycle stages, decided in this order (the first rule that matches wins):
 *
 *   prospect  no order yet
 *   new       first order less than 30 days before the score time
 *   churned   no order for more than 365 days, or BG/NBD P(alive) below 0.1
 *   lapsed    no order for more than 180 days
 *   at-risk   churn probability at or above the churn threshold (CHURN_THRESHOLD, default 0.6)
 *   active    everyone else
 *
 * "new" comes before the risk rules on purpose: most first-time buyers have a high churn score
 * (most never come back), and a welcome journey, not a win-back, is what they need.
 */
export const LifecycleStage = ['prospect', 'new', 'active', 'at-risk', 'lapsed', 'churned'] as const;
export type LifecycleStage = (typeof LifecycleStage)[number];

export interface LifecycleRules {
  readonly newCustomerDays: number;
  readonly lapsedAfterDays: number;
  readonly churnedAfterDays: number;
  readonly churnedBelowPAlive: number;
  readonly churnThreshold: number;
}

export const DEFAULT_LIFECYCLE_RULES: Omit<LifecycleRules, 'churnThreshold'> = {
  newCustomerDays: 30,
  lapsedAfterDays: 180,
  churnedAfterDays: 365,
  churnedBelowPAlive: 0.1,
};

export interface LifecycleInput {
  /** Orders placed before the score time. */
  readonly orders: number;
  readonly daysSinceFirstOrder: number;
  readonly daysSinceLastOrder: number;
  readonly pAlive: number;
  readonly churnProbability: number;
}

export function lifecycleStage(c: LifecycleInput, rules: LifecycleRules): LifecycleStage {
  if (c.orders <= 0) return 'prospect';
  if (c.daysSinceFirstOrder < rules.newCustomerDays) return 'new';
  if (c.daysSinceLastOrder > rules.churnedAfterDays || c.pAlive < rules.churnedBelowPAlive) return 'churned';
  if (c.daysSinceLastOrder > rules.lapsedAfterDays) return 'lapsed';
  if (c.churnProbability >= rules.churnThreshold) return 'at-risk';
  return 'active';
}
