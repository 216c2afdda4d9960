import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../kernel/settings.js';
import { CustomerScore, ModelVersions, ValueTier } from '../../models/scoring/customer-score.js';
import { LifecycleStage } from '../../models/scoring/lifecycle.js';
import { dynamoClient } from '../commons/clients.js';
import { detectCrossing, type Crossing } from '../../models/scoring/crossings.js';
import { batchGet, batchWrite, type Item, type WriteRequest } from './batch.js';
import {
  audienceSk,
  crossingSk,
  crossingsDayPk,
  customerPk,
  SCORE_SK,
  scoreChangeSk,
  tierAudiencePk,
} from './keys.js';
import { queryAll, queryGsi1Partition } from './query.js';

/**
 * Scores in the table (README "Storage design"):
 *
 *   C#<id> / SCORE                 the current score; gsi1: TIER#<tier> / <band 00-99>#<id>
 *                                  (an audience: one tier, a range of churn bands, one Query)
 *   C#<id> / SCORECHG#<scoredAt>   a churn-threshold crossing; gsi1: CROSS#<yyyy-mm-dd> / <scoredAt>#<id>
 *                                  (the day's crossings, for campaign triggers)
 *
 * Idempotent by key: a SCORE item carries its scoredAt and the score it replaced, so a retried
 * run with the same scoredAt recomputes the same crossings from the same previous score and
 * overwrites the same SCORECHG keys. Crossings are written before the scores, so a crash between
 * the two leaves the old SCORE in place and the retry finds the same crossings again. A run older
 * than a customer's stored score never overwrites it.
 */

export interface WriteScoresResult {
  readonly written: number;
  /** Customers whose stored score is newer than this run (left alone). */
  readonly skippedCustomers: string[];
  readonly crossings: Crossing[];
}

const SCORE_ATTRS = new Set(Object.keys(CustomerScore.shape));

function scoreItem(score: CustomerScore, previous: { scoredAt: string; churnProbability: number } | undefined): Item {
  return {
    ...score,
    pk: customerPk(score.customerId),
    sk: SCORE_SK,
    [TABLE.gsi1PartitionKey]: tierAudiencePk(score.tier),
    [TABLE.gsi1SortKey]: audienceSk(score.churnBand, score.customerId),
    ...(previous ? { previousScoredAt: previous.scoredAt, previousChurnProbability: previous.churnProbability } : {}),
  };
}

function crossingItem(c: Crossing, score: CustomerScore): Item {
  return {
    pk: customerPk(c.customerId),
    sk: scoreChangeSk(c.current.scoredAt),
    customerId: c.customerId,
    direction: c.direction,
    threshold: c.threshold,
    previousScoredAt: c.previous.scoredAt,
    previousChurnProbability: c.previous.churnProbability,
    scoredAt: c.current.scoredAt,
    churnProbability: c.current.churnProbability,
    tier: score.tier,
    stage: score.stage,
    models: score.models,
    [TABLE.gsi1PartitionKey]: crossingsDayPk(c.current.scoredAt.slice(0, 10)),
    [TABLE.gsi1SortKey]: crossingSk(c.current.scoredAt, c.customerId),
  };
}

export function itemToScore(item: Item): CustomerScore {
  const score: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (SCORE_ATTRS.has(k)) score[k] = v;
  return CustomerScore.parse(score);
}

/** The score a new run compares with: the stored one, or the one it replaced if the stored one is this run's. */
function previousOf(item: Item | undefined, scoredAt: string): { scoredAt: string; churnProbability: number } | 'newer' | undefined {
  if (!item) return undefined;
  const storedAt = String(item['scoredAt']);
  if (storedAt > scoredAt) return 'newer';
  if (storedAt < scoredAt) return { scoredAt: storedAt, churnProbability: Number(item['churnProbability']) };
  const prevAt = item['previousScoredAt'];
  return typeof prevAt === 'string' ? { scoredAt: prevAt, churnProbability: Number(item['previousChurnProbability']) } : undefined;
}

export async function writeScores(table: string, scores: readonly CustomerScore[], churnThreshold: number): Promise<WriteScoresResult> {
  if (scores.length === 0) return { written: 0, skippedCustomers: [], crossings: [] };
  const stored = await batchGet(table, scores.map((s) => ({ pk: customerPk(s.customerId), sk: SCORE_SK })));
  const byCustomer = new Map(stored.map((i) => [String(i['customerId']), i]));
  const crossingWrites: WriteRequest[] = [];
  const scoreWrites: WriteRequest[] = [];
  const crossings: Crossing[] = [];
  const skippedCustomers: string[] = [];
  for (const score of scores) {
    const previous = previousOf(byCustomer.get(score.customerId), score.scoredAt);
    if (previous === 'newer') {
      skippedCustomers.push(score.customerId);
      continue;
    }
    const crossing = detectCrossing(score.customerId, previous, { scoredAt: score.scoredAt, churnProbability: score.churnProbability }, churnThreshold);
    if (crossing) {
      crossings.push(crossing);
      crossingWrites.push({ PutRequest: { Item: crossingItem(crossing, score) } });
    }
    scoreWrites.push({ PutRequest: { Item: scoreItem(score, previous) } });
  }
  await batchWrite(table, crossingWrites);
  await batchWrite(table, scoreWrites);
  return { written: scoreWrites.length, skippedCustomers, crossings };
}

export async function getScore(table: string, customerId: string): Promise<CustomerScore | undefined> {
  const [item] = await batchGet(table, [{ pk: customerPk(customerId), sk: SCORE_SK }]);
  return item ? itemToScore(item) : undefined;
}

export interface AudienceQuery {
  readonly tier: CustomerScore['tier'];
  /** Inclusive churn bands, '00'..'99' (default all). */
  readonly minBand?: string;
  readonly maxBand?: string;
}

/** Customers of one tier within a churn band range, highest band first (one Query on gsi1). */
export async function queryAudience(table: string, q: AudienceQuery): Promise<CustomerScore[]> {
  const items = await queryAll({
    TableName: table,
    IndexName: TABLE.gsi1,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ExpressionAttributeNames: { '#pk': TABLE.gsi1PartitionKey, '#sk': TABLE.gsi1SortKey },
    ExpressionAttributeValues: {
      ':pk': tierAudiencePk(q.tier),
      ':lo': `${q.minBand ?? '00'}#`,
      // '~' sorts after every character of a customer id.
      ':hi': `${q.maxBand ?? '99'}#~`,
    },
    ScanIndexForward: false,
  });
  return items.map(itemToScore);
}

export interface CrossingRecord {
  readonly customerId: string;
  readonly direction: 'up' | 'down';
  readonly threshold: number;
  readonly scoredAt: string;
  readonly churnProbability: number;
  readonly previousScoredAt: string;
  readonly previousChurnProbability: number;
  readonly tier: string;
  readonly stage: string;
}

/** Every crossing found by runs scored on a UTC day (`YYYY-MM-DD`), in time order. */
export async function queryCrossings(table: string, day: string): Promise<CrossingRecord[]> {
  const items = await queryGsi1Partition(table, crossingsDayPk(day));
  return items.map((i) => ({
    customerId: String(i['customerId']),
    direction: i['direction'] === 'up' ? 'up' : 'down',
    threshold: Number(i['threshold']),
    scoredAt: String(i['scoredAt']),
    churnProbability: Number(i['churnProbability']),
    previousScoredAt: String(i['previousScoredAt']),
    previousChurnProbability: Number(i['previousChurnProbability']),
    tier: String(i['tier']),
    stage: String(i['stage']),
  }));
}

/** A customer's crossing records scored between two instants (inclusive), oldest first. */
export async function customerCrossingsBetween(table: string, customerId: string, from: string, to: string): Promise<Array<{ churnProbability: number; previousChurnProbability: number }>> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':a': scoreChangeSk(from), ':b': scoreChangeSk(to) },
  });
  return items.map((h) => ({ churnProbability: Number(h['churnProbability']), previousChurnProbability: Number(h['previousChurnProbability']) }));
}

/* ---- scoring-run aggregates (the console's "since the last scoring" trend) ---------------- */

/**
 * What one scoring run said about the population, small enough to keep one per run: counts by
 * tier and stage, a churn-probability histogram, at-risk count, CLV and revenue at risk
 * (sum of clv12m x churnProbability). Every field is a count or a sum, so aggregates of disjoint
 * sets of customers add up: a shard's is the sum over its customers, a run's the sum over shards.
 */
export interface ScoreAggregate {
  readonly customers: number;
  readonly byTier: Record<ValueTier, number>;
  readonly byStage: Record<LifecycleStage, number>;
  /** CHURN_HISTOGRAM_BINS equal-width bins of churn probability; the last one includes 1. */
  readonly churnHistogram: number[];
  /** Customers at or above the churn threshold of the run that scored them. */
  readonly atRisk: number;
  readonly churnProbabilitySum: number;
  readonly clvTotal: number;
  readonly revenueAtRisk: number;
}

export const CHURN_HISTOGRAM_BINS = 20;
const TIERS = ValueTier.options;

export function emptyAggregate(): ScoreAggregate {
  return {
    customers: 0,
    byTier: Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<ValueTier, number>,
    byStage: Object.fromEntries(LifecycleStage.map((s) => [s, 0])) as Record<LifecycleStage, number>,
    churnHistogram: new Array<number>(CHURN_HISTOGRAM_BINS).fill(0),
    atRisk: 0,
    churnProbabilitySum: 0,
    clvTotal: 0,
    revenueAtRisk: 0,
  };
}

export function churnHistogramBin(probability: number): number {
  return Math.min(CHURN_HISTOGRAM_BINS - 1, Math.max(0, Math.floor(probability * CHURN_HISTOGRAM_BINS)));
}

/** The aggregate of `scores`, in their order (the same input order gives the same float sums). */
export function aggregateScores(scores: Iterable<CustomerScore>): ScoreAggregate {
  const a = emptyAggregate();
  const byTier = { ...a.byTier };
  const byStage = { ...a.byStage };
  const histogram = [...a.churnHistogram];
  let customers = 0;
  let atRisk = 0;
  let churn = 0;
  let clv = 0;
  let risk = 0;
  for (const s of scores) {
    customers++;
    byTier[s.tier]++;
    byStage[s.stage]++;
    histogram[churnHistogramBin(s.churnProbability)]!++;
    if (s.atRisk) atRisk++;
    churn += s.churnProbability;
    clv += s.clv12m;
    risk += s.clv12m * s.churnProbability;
  }
  return { customers, byTier, byStage, churnHistogram: histogram, atRisk, churnProbabilitySum: churn, clvTotal: clv, revenueAtRisk: risk };
}

export function mergeAggregates(parts: Iterable<ScoreAggregate>): ScoreAggregate {
  const out = emptyAggregate() as { -readonly [K in keyof ScoreAggregate]: ScoreAggregate[K] };
  for (const p of parts) {
    out.customers += p.customers;
    for (const t of TIERS) out.byTier[t] += p.byTier[t] ?? 0;
    for (const s of LifecycleStage) out.byStage[s] += p.byStage[s] ?? 0;
    p.churnHistogram.forEach((n, i) => {
      if (i < CHURN_HISTOGRAM_BINS) out.churnHistogram[i]! += n;
    });
    out.atRisk += p.atRisk;
    out.churnProbabilitySum += p.churnProbabilitySum;
    out.clvTotal += p.clvTotal;
    out.revenueAtRisk += p.revenueAtRisk;
  }
  return out;
}

/**
 * Storage: one item per (run, shard), `SCORERUN` / `<scoredAt>#<shard>`, written by the shard
 * when it has scored all its customers. In AWS a run's shards are parallel iterations of a Step
 * Functions Map, so a single per-run item would need a read-modify-write (or a counter that a
 * retried shard would add twice); per-shard items are plain idempotent puts (a retried shard
 * overwrites its own item) and a run is the sum of its shards on read. A run is complete when
 * all of its shards have reported; an in-progress or failed run is visible as incomplete.
 *
 * A shard's aggregate counts every customer the run scored, including those whose stored score
 * is newer than the run (skipped, not overwritten): it is what the run saw at its score time,
 * so re-running an old run rewrites the same aggregate instead of a partial one.
 */
export const SCORING_RUNS_PK = 'SCORERUN';
export const scoringRunShardSk = (scoredAt: string, shard: number): string => `${scoredAt}#${String(shard).padStart(2, '0')}`;

export interface ScoringRunShard {
  readonly scoredAt: string;
  readonly shard: number;
  /** Shards of the run (the plan's count), for completeness. */
  readonly shards: number;
  readonly models: ModelVersions;
  readonly churnThreshold: number;
  readonly writtenAt: string;
  readonly aggregate: ScoreAggregate;
}

export interface ScoringRun {
  readonly scoredAt: string;
  readonly models: ModelVersions;
  readonly churnThreshold: number;
  readonly shards: number;
  readonly shardsReported: number;
  readonly complete: boolean;
  readonly aggregate: ScoreAggregate;
}

export async function putScoringRunShard(table: string, part: ScoringRunShard): Promise<void> {
  await batchWrite(table, [{ PutRequest: { Item: { pk: SCORING_RUNS_PK, sk: scoringRunShardSk(part.scoredAt, part.shard), ...part } } }]);
}

function toRunShard(item: Item): ScoringRunShard {
  return {
    scoredAt: String(item['scoredAt']),
    shard: Number(item['shard']),
    shards: Number(item['shards']),
    models: ModelVersions.parse(item['models']),
    churnThreshold: Number(item['churnThreshold']),
    writtenAt: String(item['writtenAt']),
    aggregate: mergeAggregates([item['aggregate'] as ScoreAggregate]),
  };
}

/** Shard items summed into runs. */
export function runsFromShards(parts: readonly ScoringRunShard[]): ScoringRun[] {
  const byRun = new Map<string, ScoringRunShard[]>();
  for (const p of parts) byRun.set(p.scoredAt, [...(byRun.get(p.scoredAt) ?? []), p]);
  return [...byRun.entries()]
    .sort((a, b) => (a[0] < b[0] ? 1 : -1))
    .map(([scoredAt, shardParts]) => {
      const sorted = [...shardParts].sort((a, b) => a.shard - b.shard);
      const first = sorted[0]!;
      const shardsReported = new Set(sorted.map((p) => p.shard)).size;
      return {
        scoredAt,
        models: first.models,
        churnThreshold: first.churnThreshold,
        shards: first.shards,
        shardsReported,
        complete: shardsReported >= first.shards,
        aggregate: mergeAggregates(sorted.map((p) => p.aggregate)),
      };
    });
}

/**
 * Scoring runs, newest first: every run newer than the `completeRuns`-th newest complete one,
 * and that one (so incomplete runs in between are visible). Reads the partition newest first,
 * page by page, stopping as soon as that many complete runs are known.
 */
export async function listScoringRuns(table: string, opts: { completeRuns?: number } = {}): Promise<ScoringRun[]> {
  const wanted = opts.completeRuns ?? 2;
  const parts: ScoringRunShard[] = [];
  let start: Record<string, unknown> | undefined;
  for (;;) {
    const out = await dynamoClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': SCORING_RUNS_PK },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }),
    );
    parts.push(...((out.Items ?? []) as Item[]).map(toRunShard));
    start = out.LastEvaluatedKey;
    const runs = runsFromShards(parts);
    // The oldest run read so far may continue on the next page: only runs before it are final.
    const settled = start ? runs.slice(0, -1) : runs;
    const complete = settled.filter((r) => r.complete);
    if (!start || complete.length >= wanted) {
      const last = complete[wanted - 1];
      return last ? settled.filter((r) => r.scoredAt >= last.scoredAt) : settled;
    }
  }
}

/** Every stored score (the current one of each customer), through the tier partitions of the audience index. */
export async function listAllScores(table: string): Promise<CustomerScore[]> {
  const tiers = await Promise.all(TIERS.map((tier) => queryAudience(table, { tier })));
  return tiers.flat();
}
