import type { ModelRegistry } from '../../models/registry/registry.js';
import type { PrepareScoringResult } from './job-events.js';

/**
 * First step of a scoring run: fixes the score time and the champion versions once, so every
 * segment of the run (a Step Functions Distributed Map) scores with the same models at the same
 * time even if a training run promotes a new champion meanwhile.
 */
export async function prepareScoring(registry: ModelRegistry, scoredAt: Date): Promise<PrepareScoringResult> {
  const [churn, propensity, clv] = await Promise.all([registry.champion('churn'), registry.champion('propensity'), registry.champion('clv')]);
  return { scoredAt: scoredAt.toISOString(), models: { churn, propensity, clv } };
}
