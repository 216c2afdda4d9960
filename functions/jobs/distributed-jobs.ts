import { createHash } from 'node:crypto';
import { customerAggregates, type CustomerAggregates } from '../../models/customer-aggregates.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import type { TierThresholds } from '../../models/clv/clv.js';
import { liveSettings } from '../commons/config.js';
import { customerIdPages, customerIdsInRange } from '../store/customer-ranges.js';
import type { JobObjects } from '../store/job-objects.js';
import { CUSTOMER_SHARDS } from '../store/keys.js';
import { loadEventsByCustomer } from './customer-events.js';
import type { ChampionVersions } from './job-events.js';
import type { FeatureLocation, ObjectLocation, Segment } from './distributed-events.js';
import { scoreCustomerIds, type ScoreShardResult } from './shard-scoring.js';

/**
 * The distributed jobs' work, independent of Lambda: cutting the population into segments (a
 * manifest in the job bucket, the items of a Distributed Map), scoring a batch of segments, and
 * building a batch of feature shards. Each worker holds one page of customers' events at a time.
 */

/** Customers per segment (manifest item): JOB_SEGMENT_CUSTOMERS, else DEFAULT_SEGMENT_CUSTOMERS. */
export const segmentCustomers = (): number => liveSettings().JOB_SEGMENT_CUSTOMERS;

export interface SegmentPlan {
  readonly manifest: ObjectLocation;
  readonly segments: number;
  readonly customers: number;
}

/**
 * Pages through every registry shard (keys only, shards in parallel) and writes the manifest:
 * a JSON array of ranges of at most `perSegment` customers. The planner holds the ranges (about
 * 100 bytes per segment: 1 MB for 10 M customers at 1,000 a segment), never the ids.
 */
export async function planSegments(table: string, objects: JobObjects, key: string, perSegment: number): Promise<SegmentPlan> {
  const byShard = await Promise.all(
    Array.from({ length: CUSTOMER_SHARDS }, async (_, shard) => {
      const ranges: Array<Omit<Segment, 'segment'>> = [];
      let after: string | undefined;
      let pending: string[] = [];
      const cut = (ids: string[]): void => {
        const last = ids[ids.length - 1]!;
        ranges.push({ shard, ...(after === undefined ? {} : { after }), last, customers: ids.length });
        after = last;
      };
      for await (const page of customerIdPages(table, shard)) {
        pending = pending.concat(page);
        while (pending.length >= perSegment) {
          cut(pending.slice(0, perSegment));
          pending = pending.slice(perSegment);
        }
      }
      if (pending.length > 0) cut(pending);
      return ranges;
    }),
  );
  const items: Segment[] = byShard.flat().map((r, segment) => ({ segment, ...r }));
  await objects.put(key, JSON.stringify(items));
  return { manifest: { bucket: objects.bucket, key }, segments: items.length, customers: items.reduce((a, s) => a + s.customers, 0) };
}

export interface ScoreSegmentsInput {
  readonly table: string;
  readonly registry: ModelRegistry;
  readonly segments: readonly Segment[];
  readonly totalSegments: number;
  readonly scoredAt: Date;
  readonly models: ChampionVersions;
  readonly churnThreshold: number;
  readonly tierThresholds?: TierThresholds;
}

export type ScoreSegmentsResult = Omit<ScoreShardResult, 'shard'> & { readonly segments: number[] };

/** Scores each segment of a batch; each records its own part of the run (idempotent on a retried batch). */
export async function scoreSegments(input: ScoreSegmentsInput): Promise<ScoreSegmentsResult> {
  const total = { scored: 0, crossings: 0, crossingsUp: 0, crossingsDown: 0, skipped: 0, atRisk: 0, byTier: {} as Record<string, number>, byStage: {} as Record<string, number> };
  for (const s of input.segments) {
    const ids = await customerIdsInRange(input.table, s.shard, s.after, s.last);
    const r = await scoreCustomerIds(
      {
        table: input.table,
        registry: input.registry,
        scoredAt: input.scoredAt,
        models: input.models,
        churnThreshold: input.churnThreshold,
        ...(input.tierThresholds ? { tierThresholds: input.tierThresholds } : {}),
      },
      ids,
      { part: s.segment, parts: input.totalSegments },
    );
    total.scored += r.scored;
    total.crossings += r.crossings;
    total.crossingsUp += r.crossingsUp;
    total.crossingsDown += r.crossingsDown;
    total.skipped += r.skipped;
    total.atRisk += r.atRisk;
    for (const [k, v] of Object.entries(r.byTier)) total.byTier[k] = (total.byTier[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.byStage)) total.byStage[k] = (total.byStage[k] ?? 0) + v;
  }
  return { ...total, segments: input.segments.map((s) => s.segment) };
}

/** A feature shard: the aggregates of one segment's customers. */
export interface FeatureShard {
  readonly segment: number;
  readonly asOf: string;
  readonly strata: Record<string, number>;
  readonly customers: CustomerAggregates[];
}

export const featureShardKey = (prefix: string, segment: number): string => `${prefix}/segment-${String(segment).padStart(6, '0')}.json`;

export interface BuildFeaturesInput {
  readonly table: string;
  readonly objects: JobObjects;
  readonly segments: readonly Segment[];
  readonly asOf: Date;
  readonly features: FeatureLocation;
  /** Customers whose events are read at once. */
  readonly pageSize?: number;
}

/** Writes one feature shard per segment (keyed by segment: a retried batch overwrites its own objects). */
export async function buildFeatureShards(input: BuildFeaturesInput): Promise<{ customers: number; objects: number }> {
  const pageSize = input.pageSize ?? 200;
  const to = input.asOf.toISOString();
  let customers = 0;
  for (const s of input.segments) {
    const ids = await customerIdsInRange(input.table, s.shard, s.after, s.last);
    const rows: CustomerAggregates[] = [];
    const strata: Record<string, number> = {};
    for (let start = 0; start < ids.length; start += pageSize) {
      const events = await loadEventsByCustomer(input.table, ids.slice(start, start + pageSize), { to });
      for (const [id, list] of events) {
        const row = customerAggregates(id, list, input.asOf);
        strata[row.stratum] = (strata[row.stratum] ?? 0) + 1;
        rows.push(row);
      }
    }
    const shard: FeatureShard = { segment: s.segment, asOf: to, strata, customers: rows };
    await input.objects.put(featureShardKey(input.features.prefix, s.segment), JSON.stringify(shard));
    customers += rows.length;
  }
  return { customers, objects: input.segments.length };
}

/** Customers trained on at most: TRAINING_SAMPLE_CUSTOMERS, else DEFAULT_TRAINING_SAMPLE. */
export const trainingSampleSize = (): number => liveSettings().TRAINING_SAMPLE_CUSTOMERS;

/** A customer's place in [0, 1): the same for every run, so successive samples overlap. */
const unitHash = (id: string): number => createHash('sha1').update(id).digest().readUInt32BE(0) / 2 ** 32;

export interface TrainingSample {
  readonly population: number;
  readonly customerIds: string[];
  /** Fraction of each stratum kept (1 when the population fits). */
  readonly rates: Record<string, number>;
}

/**
 * The training population from the feature shards: everyone when it fits (`maxCustomers`),
 * otherwise a proportional stratified sample (the same fraction of every stratum, chosen by a
 * hash of the customer id). Two passes over the shards, one at a time: the stratum counts from
 * each shard's header, then the ids below each stratum's rate. Holds only the sample's ids.
 */
export async function drawTrainingSample(objects: JobObjects, features: FeatureLocation, maxCustomers: number): Promise<TrainingSample> {
  const keys = await objects.list(`${features.prefix}/`);
  const counts: Record<string, number> = {};
  for (const key of keys) {
    const shard = JSON.parse(await objects.get(key)) as FeatureShard;
    for (const [k, v] of Object.entries(shard.strata)) counts[k] = (counts[k] ?? 0) + v;
  }
  const population = Object.values(counts).reduce((a, b) => a + b, 0);
  const fraction = population <= maxCustomers ? 1 : maxCustomers / population;
  const rates = Object.fromEntries(Object.keys(counts).map((k) => [k, fraction]));
  const customerIds: string[] = [];
  for (const key of keys) {
    const shard = JSON.parse(await objects.get(key)) as FeatureShard;
    for (const c of shard.customers) if (fraction === 1 || unitHash(c.customerId) < (rates[c.stratum] ?? 0)) customerIds.push(c.customerId);
  }
  return { population, customerIds: customerIds.sort(), rates };
}
