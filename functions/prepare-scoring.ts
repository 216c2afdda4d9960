import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { PrepareScoringEvent, type PrepareScoringResult } from './jobs/job-events.js';
import { openRegistry } from './jobs/model-registry.js';
import { prepareScoring } from './jobs/scoring-plan.js';

/**
 * First state of the scoring state machine (scheduled): fixes the score time and the champion
 * versions for the whole run. `{ scoredAt? }` -> `{ scoredAt, shards, models }`; the Map state
 * then runs score-shard once per shard with `{ shard, scoredAt, models }`.
 */
export const prepareScoringJob = taskHandler(PrepareScoringEvent, async (input): Promise<PrepareScoringResult> => {
  const config = getConfig();
  const plan = await prepareScoring(await openRegistry(config.MODEL_REGISTRY_URI), new Date(input.scoredAt ?? Date.now()));
  logger.info('scoring prepared', { scoredAt: plan.scoredAt, models: plan.models, shards: plan.shards.length });
  return plan;
});

export const handler = prepareScoringJob;
