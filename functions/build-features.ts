import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { BuildFeaturesEvent } from './jobs/distributed-events.js';
import { buildFeatureShards } from './jobs/distributed-jobs.js';
import { jobObjects } from './store/job-objects.js';

/**
 * One child execution of the feature build's Distributed Map: a batch of segments -> one feature
 * shard per segment in the job bucket (per-customer aggregates, models/customer-aggregates.ts).
 */
export const buildFeaturesJob = taskHandler(BuildFeaturesEvent, async (input): Promise<{ customers: number; objects: number }> => {
  const config = getConfig();
  const result = await buildFeatureShards({
    table: config.TABLE_NAME,
    objects: await jobObjects(),
    segments: input.Items,
    asOf: new Date(input.BatchInput.asOf),
    features: input.BatchInput.features,
  });
  logger.info('feature shards built', { segments: input.Items.map((s) => s.segment), customers: result.customers });
  return result;
});

export const handler = buildFeaturesJob;
