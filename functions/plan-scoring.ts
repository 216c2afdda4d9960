import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { PrepareScoringEvent } from './jobs/job-events.js';
import type { PlanScoringResult } from './jobs/distributed-events.js';
import { planSegments, segmentCustomers } from './jobs/distributed-jobs.js';
import { openRegistry } from './jobs/model-registry.js';
import { prepareScoring } from './jobs/scoring-plan.js';
import { jobObjects } from './store/job-objects.js';

/**
 * First state of the distributed scoring run: fixes the score time and the champion versions,
 * and writes the manifest of customer segments that the Distributed Map reads (ItemReader).
 * `{ scoredAt? }` -> `{ scoredAt, models, manifest: { bucket, key }, segments, customers }`.
 * The manifest key is the score time's: a redelivered tick rewrites the same object.
 */
export const planScoringJob = taskHandler(PrepareScoringEvent, async (input): Promise<PlanScoringResult> => {
  const config = getConfig();
  const prepared = await prepareScoring(await openRegistry(config.MODEL_REGISTRY_URI), new Date(input.scoredAt ?? Date.now()));
  const plan = await planSegments(config.TABLE_NAME, await jobObjects(), `jobs/scoring/${prepared.scoredAt}/manifest.json`, segmentCustomers());
  logger.info('scoring planned', { scoredAt: prepared.scoredAt, models: prepared.models, segments: plan.segments, customers: plan.customers });
  return { scoredAt: prepared.scoredAt, models: prepared.models, ...plan };
});

export const handler = planScoringJob;
