import type { AudienceFacts } from '../campaigns/definition/audience.js';
import { getProfile, type CustomerProfile } from '../store/profiles.js';
import { getScore } from '../store/scores.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';

/**
 * What audience filters and attribute branches look at, from the merged profile (traits) and the
 * latest score item (tier, lifecycle stage, churn, propensity, days since the last order, moved
 * forward to `now`). A customer never scored has no tier, stage or scores: filters on them exclude it.
 */
export interface CustomerFacts extends AudienceFacts {
  readonly customerId: string;
  readonly profile?: CustomerProfile;
  readonly score?: CustomerScore;
}

export function factsFrom(customerId: string, profile: CustomerProfile | undefined, score: CustomerScore | undefined, now: Date): CustomerFacts {
  const days =
    score && score.daysSinceLastOrder !== null
      ? score.daysSinceLastOrder + Math.max(0, (now.getTime() - Date.parse(score.scoredAt)) / 86_400_000)
      : undefined;
  return {
    customerId,
    ...(profile ? { profile } : {}),
    ...(score ? { score, tier: score.tier, stage: score.stage, churn: score.churnProbability, propensity: score.purchasePropensity } : {}),
    traits: profile?.traits ?? {},
    ...(profile?.groups ? { groups: profile.groups } : {}),
    ...(days !== undefined ? { daysSinceLastOrder: days } : {}),
    ...(score?.health ? { health: score.health.score } : {}),
  };
}

export async function customerFacts(table: string, customerId: string, now: Date): Promise<CustomerFacts> {
  const [profile, score] = await Promise.all([getProfile(table, customerId), getScore(table, customerId)]);
  return factsFrom(customerId, profile, score, now);
}

/** The object attribute conditions (`path: tier`, `path: traits.vip`) are evaluated against. */
export function attributeSubject(facts: CustomerFacts): Record<string, unknown> {
  return {
    customerId: facts.customerId,
    traits: facts.traits,
    tier: facts.tier,
    stage: facts.stage,
    churn: facts.churn,
    propensity: facts.propensity,
    daysSinceLastOrder: facts.daysSinceLastOrder,
    health: facts.health,
    satisfaction: facts.score?.health?.components.satisfaction ?? undefined,
    email: facts.profile?.email !== undefined,
  };
}
