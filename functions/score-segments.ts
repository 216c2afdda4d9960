import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { ScoreSegmentsEvent } from './jobs/distributed-events.js';
import { scoreSegments, type ScoreSegmentsResult } from './jobs/distributed-jobs.js';
import { openRegistry } from './jobs/model-registry.js';

/**
 * One child execution of the scoring Distributed Map: a batch of segments (ItemBatcher) with the
 * run's score time and models (BatchInput) -> counts. Idempotent: a retried batch rewrites the
 * same score items and run parts.
 */
export const scoreSegmentsJob = taskHandler(ScoreSegmentsEvent, async (input): Promise<ScoreSegmentsResult> => {
  const config = getConfig();
  const result = await scoreSegments({
    table: config.TABLE_NAME,
    registry: await openRegistry(config.MODEL_REGISTRY_URI),
    segments: input.Items,
    totalSegments: input.BatchInput.segments,
    scoredAt: new Date(input.BatchInput.scoredAt),
    models: input.BatchInput.models,
    churnThreshold: config.CHURN_THRESHOLD,
    ...(config.VALUE_TIER_THRESHOLDS ? { tierThresholds: config.VALUE_TIER_THRESHOLDS } : {}),
  });
  logger.info('segments scored', { segments: result.segments, scored: result.scored, crossings: result.crossings, skipped: result.skipped });
  return result;
});

export const handler = scoreSegmentsJob;
