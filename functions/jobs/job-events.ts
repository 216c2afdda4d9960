import { z } from 'zod';

/**
 * Input and output shapes shared by the job Lambdas (the distributed jobs' own are in
 * distributed-events.ts). The CDK stack is written against exactly these: change them together.
 *
 *   train-models     { targets?, cutoff?, horizonDays?, features? } -> { versions, promoted, metrics }
 *   plan-scoring     { scoredAt? }                                    -> prepareScoring's { scoredAt, models } + the manifest
 */
const isoDate = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO-8601 date or time' })
  .transform((s) => new Date(s).toISOString());

export const TrainModelsEvent = z.object({
  targets: z.array(z.enum(['churn', 'propensity'])).min(1).optional(),
  /** Evaluation cutoff (start of the holdout); default: the day after the last event minus the horizon. */
  cutoff: isoDate.optional(),
  /** Label horizon in days; default 90 for churn, 30 for propensity. */
  horizonDays: z.number().int().min(1).max(730).optional(),
  /** Feature shards of the distributed feature build: train on a sample drawn from them (functions/jobs/distributed-jobs.ts). */
  features: z.object({ bucket: z.string().min(1), prefix: z.string().min(1) }).optional(),
});
export type TrainModelsEvent = z.infer<typeof TrainModelsEvent>;

export const ChampionVersions = z.object({
  churn: z.string().min(1),
  propensity: z.string().min(1),
  clv: z.string().min(1),
});
export type ChampionVersions = z.infer<typeof ChampionVersions>;

export const PrepareScoringEvent = z.object({ scoredAt: isoDate.optional() });
export type PrepareScoringEvent = z.infer<typeof PrepareScoringEvent>;

export const PrepareScoringResult = z.object({
  scoredAt: z.string(),
  models: ChampionVersions,
});
export type PrepareScoringResult = z.infer<typeof PrepareScoringResult>;
