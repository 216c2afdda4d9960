import { getConfig } from './commons/config.js';
import { taskHandler } from './commons/handler.js';
import { logger } from './commons/logger.js';
import { TrainModelsEvent } from './jobs/job-events.js';
import { openRegistry } from './jobs/model-registry.js';
import { trainModels, type TrainModelsResult } from './jobs/training.js';
import { drawTrainingSample, trainingSampleSize } from './jobs/distributed-jobs.js';
import { jobObjects } from './store/job-objects.js';
import { upliftCycle } from './jobs/uplift-cycle.js';

/**
 * Scheduled training (EventBridge Scheduler): trains churn and propensity models on every
 * customer's events, registers them with the champion / challenger rule, refits CLV.
 * Event `{ targets?, cutoff?, horizonDays? }` -> `{ versions, promoted, metrics }`.
 */
export type TrainModelsOutput = Pick<TrainModelsResult, 'versions' | 'promoted' | 'metrics'> & {
  readonly decisions: Record<string, { decision: string; reason: string }>;
};

export const trainModelsJob = taskHandler(TrainModelsEvent, async (input): Promise<TrainModelsOutput> => {
  const config = getConfig();
  const sample = input.features ? await drawTrainingSample(await jobObjects(), input.features, trainingSampleSize()) : undefined;
  if (sample) logger.info('training sample', { population: sample.population, sampled: sample.customerIds.length });
  const result = await trainModels({
    ...(sample ? { customerIds: sample.customerIds } : {}),
    table: config.TABLE_NAME,
    registry: await openRegistry(config.MODEL_REGISTRY_URI),
    ...(input.targets ? { targets: input.targets } : {}),
    ...(input.cutoff ? { cutoff: new Date(input.cutoff) } : {}),
    ...(input.horizonDays ? { horizonDays: input.horizonDays } : {}),
    seed: config.TRAINING_SEED,
    backtest: { minAuc: config.BACKTEST_MIN_AUC },
    now: new Date(),
    onProgress: (p) => {
      if (p.done === p.total && p.stage !== 'train' && p.stage !== 'events') logger.info('training progress', { stage: p.stage, target: p.target });
    },
  });
  const decisions: TrainModelsOutput['decisions'] = {};
  for (const r of Object.values(result.reports)) decisions[r.model] = { decision: r.registry.decision, reason: r.registry.reason };
  decisions['clv'] = { decision: result.clv.decision, reason: result.clv.reason };
  // Uplift from the campaigns' own holdouts: the champion's realised backtest, then new models.
  const uplift = await upliftCycle({ registry: await openRegistry(config.MODEL_REGISTRY_URI), table: config.TABLE_NAME, campaignsDir: config.CAMPAIGNS_DIR, now: new Date() });
  logger.info('uplift', { backtest: uplift.backtest.status, training: uplift.training.status, rows: uplift.training.rows });
  decisions['uplift'] =
    uplift.training.status === 'registered'
      ? { decision: uplift.training.registered.map((r) => r.decision).join(', '), reason: uplift.training.registered.map((r) => r.reason).join('; ') }
      : { decision: 'skipped', reason: uplift.training.reason };
  logger.info('training done', { versions: result.versions, promoted: result.promoted });
  return { versions: result.versions, promoted: result.promoted, metrics: result.metrics, decisions };
});

export const handler = trainModelsJob;
