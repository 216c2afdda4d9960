import { FEATURE_NAMES, type FeatureVector } from '../../models/features.js';
import { createRng } from '../../models/random.js';
import type { CampaignUpliftRow } from '../../models/uplift/campaign-data.js';

/**
 * Campaign rows with a known effect. Truth: the message adds +0.25 conversion for e-mail openers
 * (open rate >= 0.5), nothing for the others.
 */
export function campaignRows(n: number, seed: number, campaignId = 'winback-a'): CampaignUpliftRow[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const features = Object.fromEntries(FEATURE_NAMES.map((f) => [f, 0])) as Record<string, number>;
    features['email_open_rate_90d'] = rng();
    features['recency_days'] = Math.floor(rng() * 200);
    const treated = rng() < 0.5;
    const p = 0.1 + (treated && features['email_open_rate_90d']! >= 0.5 ? 0.25 : 0);
    return { customerId: `c${i}`, campaignId, treated, outcome: rng() < p ? 1 : 0, features: features as FeatureVector };
  });
}
