import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { ScoreShardEvent } from './jobs/job-events.js';
import { openRegistry } from './jobs/model-registry.js';
import { scoreShard, type ScoreShardResult } from './jobs/shard-scoring.js';

/**
 * One iteration of the scoring Map: `{ shard, scoredAt, models }` -> `{ shard, scored, crossings }`
 * (plus counts by tier and stage). Idempotent: a retried shard rewrites the same items.
 */
export const scoreShardJob = taskHandler(ScoreShardEvent, async (input): Promise<ScoreShardResult> => {
  const config = getConfig();
  const result = await scoreShard({
    table: config.TABLE_NAME,
    registry: await openRegistry(config.MODEL_REGISTRY_URI),
    shard: input.shard,
    scoredAt: new Date(input.scoredAt),
    models: input.models,
    churnThreshold: config.CHURN_THRESHOLD,
    ...(config.VALUE_TIER_THRESHOLDS ? { tierThresholds: config.VALUE_TIER_THRESHOLDS } : {}),
  });
  logger.info('shard scored', { shard: result.shard, scored: result.scored, crossings: result.crossings, skipped: result.skipped });
  return result;
});

export const handler = scoreShardJob;
