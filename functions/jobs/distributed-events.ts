import { z } from 'zod';
import { CUSTOMER_SHARDS } from '../store/keys.js';
import { ChampionVersions } from './job-events.js';

/**
 * Shapes of the distributed jobs (Step Functions Distributed Maps over an S3 manifest), written
 * against functions/jobs/distributed-definitions.ts: change them together.
 *
 *   plan-scoring    { scoredAt? }                                   -> { scoredAt, models, manifest, segments, customers }
 *   score-segments  { Items: Segment[], BatchInput: { scoredAt, models, segments } } -> counts
 *   plan-features   { asOf?, targets?, cutoff?, horizonDays? }      -> { asOf, manifest, segments, customers, features, ...training options }
 *   build-features  { Items: Segment[], BatchInput: { asOf, features, segments } } -> { customers, objects }
 *   train-models    { ..., features: { bucket, prefix } }           -> as before, on a sample drawn from the feature shards
 */
const isoDate = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO-8601 date or time' })
  .transform((s) => new Date(s).toISOString());

/** One manifest item: a range of one registry shard's customer ids. */
export const Segment = z.object({
  segment: z.number().int().nonnegative(),
  shard: z.number().int().min(0).max(CUSTOMER_SHARDS - 1),
  /** Exclusive lower bound; absent for a shard's first range. */
  after: z.string().optional(),
  /** Inclusive upper bound. */
  last: z.string().min(1),
  customers: z.number().int().positive(),
});
export type Segment = z.infer<typeof Segment>;

export const ObjectLocation = z.object({ bucket: z.string().min(1), key: z.string().min(1) });
export type ObjectLocation = z.infer<typeof ObjectLocation>;

export const FeatureLocation = z.object({ bucket: z.string().min(1), prefix: z.string().min(1) });
export type FeatureLocation = z.infer<typeof FeatureLocation>;

export const PlanScoringResult = z.object({
  scoredAt: z.string(),
  models: ChampionVersions,
  manifest: ObjectLocation,
  segments: z.number().int().nonnegative(),
  customers: z.number().int().nonnegative(),
});
export type PlanScoringResult = z.infer<typeof PlanScoringResult>;

export const ScoreSegmentsEvent = z.object({
  Items: z.array(Segment).min(1),
  BatchInput: z.object({ scoredAt: isoDate, models: ChampionVersions, segments: z.number().int().positive() }),
});
export type ScoreSegmentsEvent = z.infer<typeof ScoreSegmentsEvent>;

export const PlanFeaturesEvent = z.object({
  asOf: isoDate.optional(),
  targets: z.array(z.enum(['churn', 'propensity'])).min(1).optional(),
  cutoff: isoDate.optional(),
  horizonDays: z.number().int().min(1).max(730).optional(),
});
export type PlanFeaturesEvent = z.infer<typeof PlanFeaturesEvent>;

export const BuildFeaturesEvent = z.object({
  Items: z.array(Segment).min(1),
  BatchInput: z.object({ asOf: isoDate, features: FeatureLocation, segments: z.number().int().positive() }),
});
export type BuildFeaturesEvent = z.infer<typeof BuildFeaturesEvent>;
