import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { PlanFeaturesEvent, type FeatureLocation, type ObjectLocation } from './jobs/distributed-events.js';
import { planSegments, segmentCustomers } from './jobs/distributed-jobs.js';
import { jobObjects } from './store/job-objects.js';

/**
 * First state of the training run: the manifest of customer segments for the feature build's
 * Distributed Map, and where its feature shards go. Training options pass through to the
 * train-models state. Keys derive from `asOf` (the tick's time): a redelivered tick rewrites them.
 */
export interface PlanFeaturesResult extends Omit<PlanFeaturesEvent, 'asOf'> {
  readonly asOf: string;
  readonly manifest: ObjectLocation;
  readonly segments: number;
  readonly customers: number;
  readonly features: FeatureLocation;
}

export const planFeaturesJob = taskHandler(PlanFeaturesEvent, async (input): Promise<PlanFeaturesResult> => {
  const config = getConfig();
  const asOf = input.asOf ?? new Date().toISOString();
  const objects = await jobObjects();
  const plan = await planSegments(config.TABLE_NAME, objects, `jobs/features/${asOf}/manifest.json`, segmentCustomers());
  logger.info('feature build planned', { asOf, segments: plan.segments, customers: plan.customers });
  return { ...input, asOf, ...plan, features: { bucket: objects.bucket, prefix: `jobs/features/${asOf}/shards` } };
});

export const handler = planFeaturesJob;
