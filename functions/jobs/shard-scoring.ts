import { disposeModel, type TrainedModel } from '../../models/churn-model.js';
import type { TierThresholds } from '../../models/clv/clv.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import type { ClvModel } from '../../models/registry/schema.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { scoreCustomers, type ScoringModels } from '../../models/scoring/score-customers.js';
import { initBackend } from '../../models/tf/backend.js';
import { WinbackError } from '../../kernel/errors.js';
import { aggregateScores, mergeAggregates, putScoringRunShard, writeScores, type ScoreAggregate } from '../store/scores.js';
import { loadEventsByCustomer } from './customer-events.js';
import { writeScoreSnapshot } from '../../models/registry/backtest.js';
import type { ChampionVersions } from './job-events.js';

/**
 * Scores a list of customers (a segment of the scoring Distributed Map): reads their events up
 * to the score time in pages, scores each page with the given model versions and writes the
 * scores and crossings, then the segment's part of the run's aggregate (functions/store/scores.ts:
 * summed over parts on read, so parallel child executions never write the same item). Models are
 * cached per process, so a warm Lambda loads each version once.
 */
export class ModelMismatchError extends WinbackError {}

export interface ScoreShardInput {
  readonly table: string;
  readonly registry: ModelRegistry;
  readonly shard: number;
  readonly scoredAt: Date;
  readonly models: ChampionVersions;
  readonly churnThreshold: number;
  readonly tierThresholds?: TierThresholds;
  /** Customers per page (events read, scored and written together). */
  readonly pageSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What a scoring run counts, for a shard and for the whole population alike. */
export interface ScoringCounts {
  /** Customers whose stored score is newer than this run. */
  readonly skipped: number;
  readonly byTier: Record<string, number>;
  readonly byStage: Record<string, number>;
  /** Customers scored at or above the churn threshold (the score's `atRisk`, as the overview and a customer's record mean it; the stage `at-risk` is narrower). */
  readonly atRisk: number;
}

export interface ScoreShardResult extends ScoringCounts {
  readonly shard: number;
  readonly scored: number;
  readonly crossings: number;
  readonly crossingsUp: number;
  readonly crossingsDown: number;
}

const trained = new Map<'churn' | 'propensity', { version: string; model: Promise<TrainedModel> }>();
const clvModels = new Map<string, Promise<ClvModel>>();

/** The TF.js model of a version, cached; a new version of the same model replaces (and frees) the old one. */
function cachedTrained(registry: ModelRegistry, name: 'churn' | 'propensity', version: string): Promise<TrainedModel> {
  const hit = trained.get(name);
  if (hit?.version === version) return hit.model;
  const model = registry.loadTrained(version).then((l) => {
    if (l.model.target !== name) throw new ModelMismatchError(`${version} is a ${l.model.target} model, not ${name}`);
    return l.model;
  });
  trained.set(name, { version, model });
  model.catch(() => trained.get(name)?.model === model && trained.delete(name));
  hit?.model.then(disposeModel, () => undefined);
  return model;
}

function cachedClv(registry: ModelRegistry, version: string): Promise<ClvModel> {
  let m = clvModels.get(version);
  if (!m) {
    if (clvModels.size > 4) clvModels.clear();
    m = registry.loadClv(version);
    clvModels.set(version, m);
    m.catch(() => clvModels.delete(version));
  }
  return m;
}

export async function loadScoringModels(registry: ModelRegistry, versions: ChampionVersions): Promise<ScoringModels> {
  await initBackend();
  const [churn, propensity, clv] = await Promise.all([
    cachedTrained(registry, 'churn', versions.churn),
    cachedTrained(registry, 'propensity', versions.propensity),
    cachedClv(registry, versions.clv),
  ]);
  return { churn, propensity, clv, versions };
}

const count = (into: Record<string, number>, key: string): void => {
  into[key] = (into[key] ?? 0) + 1;
};

export type CustomerIdsScoringInput = Omit<ScoreShardInput, 'shard'>;

/**
 * Scores the given customers page by page and records them as part `part` of `parts` of the
 * run's aggregate: a segment of the distributed run (functions/jobs/distributed-jobs.ts, as many
 * parts as the manifest has segments).
 */
export async function scoreCustomerIds(
  input: CustomerIdsScoringInput,
  ids: readonly string[],
  run: { readonly part: number; readonly parts: number },
): Promise<Omit<ScoreShardResult, 'shard'>> {
  const models = await loadScoringModels(input.registry, input.models);
  const pageSize = input.pageSize ?? 200;
  const to = input.scoredAt.toISOString();
  const byTier: Record<string, number> = {};
  const byStage: Record<string, number> = {};
  let scored = 0;
  let skipped = 0;
  let up = 0;
  let down = 0;
  let atRisk = 0;
  const pageAggregates: ScoreAggregate[] = [];
  const snapshot: Array<Pick<CustomerScore, 'customerId' | 'churnProbability' | 'purchasePropensity'>> = [];
  for (let start = 0; start < ids.length; start += pageSize) {
    const page = ids.slice(start, start + pageSize);
    const events = await loadEventsByCustomer(input.table, page, { to });
    const scores: CustomerScore[] = scoreCustomers([...events.entries()], input.scoredAt, models, {
      churnThreshold: input.churnThreshold,
      ...(input.tierThresholds ? { tierThresholds: input.tierThresholds } : {}),
    });
    const written = await writeScores(input.table, scores, input.churnThreshold);
    const skippedIds = new Set(written.skippedCustomers);
    scored += written.written;
    skipped += skippedIds.size;
    for (const c of written.crossings) {
      if (c.direction === 'up') up++;
      else down++;
    }
    pageAggregates.push(aggregateScores(scores));
    for (const s of scores) snapshot.push({ customerId: s.customerId, churnProbability: s.churnProbability, purchasePropensity: s.purchasePropensity });
    for (const s of scores) {
      if (skippedIds.has(s.customerId)) continue;
      count(byTier, s.tier);
      count(byStage, s.stage);
      if (s.atRisk) atRisk++;
    }
    input.onProgress?.(Math.min(start + pageSize, ids.length), ids.length);
  }
  // The live backtest's input one horizon from now (functions/jobs/backtest.ts): the table keeps only current scores.
  await writeScoreSnapshot(input.registry.store, { scoredAt: to, part: run.part, models: { churn: input.models.churn, propensity: input.models.propensity }, scores: snapshot });
  // Last, so a run counts a shard as reported only once its scores are all written.
  await putScoringRunShard(input.table, {
    scoredAt: to,
    shard: run.part,
    shards: run.parts,
    models: input.models,
    churnThreshold: input.churnThreshold,
    writtenAt: new Date().toISOString(),
    aggregate: mergeAggregates(pageAggregates),
  });
  return { scored, crossings: up + down, crossingsUp: up, crossingsDown: down, skipped, byTier, byStage, atRisk };
}
