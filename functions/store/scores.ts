import { TABLE } from '../../infra/settings.js';
import { CustomerScore } from '../../models/scoring/customer-score.js';
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
import { queryAll, queryGsi1Partition } from './profiles.js';

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
