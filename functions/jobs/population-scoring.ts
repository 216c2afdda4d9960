import type { TierThresholds } from '../../models/clv/clv.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { scoreShard, type ScoreShardResult, type ScoringCounts } from './shard-scoring.js';
import { prepareScoring } from './scoring-plan.js';
import type { ChampionVersions } from './job-events.js';

/**
 * A whole scoring run in one process, the way the Step Functions state machine runs it in AWS:
 * prepare (score time + champion versions), then every shard. For the CLI and tests.
 */
export interface ScorePopulationInput {
  readonly table: string;
  readonly registry: ModelRegistry;
  readonly scoredAt: Date;
  readonly churnThreshold: number;
  readonly tierThresholds?: TierThresholds;
  /** Called after each page of each shard with customers done in the shard. */
  readonly onProgress?: (shard: number, done: number, total: number) => void;
}

export interface ScoringSummary extends ScoringCounts {
  readonly scoredAt: string;
  readonly models: ChampionVersions;
  readonly customers: number;
  readonly crossings: { readonly total: number; readonly up: number; readonly down: number; readonly threshold: number };
  readonly shards: ScoreShardResult[];
}

const add = (into: Record<string, number>, from: Record<string, number>): void => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

export async function scorePopulation(input: ScorePopulationInput): Promise<ScoringSummary> {
  const plan = await prepareScoring(input.registry, input.scoredAt);
  const scoredAt = new Date(plan.scoredAt);
  const shards: ScoreShardResult[] = [];
  for (const shard of plan.shards) {
    shards.push(
      await scoreShard({
        table: input.table,
        registry: input.registry,
        shard,
        scoredAt,
        models: plan.models,
        churnThreshold: input.churnThreshold,
        ...(input.tierThresholds ? { tierThresholds: input.tierThresholds } : {}),
        onProgress: (done, total) => input.onProgress?.(shard, done, total),
      }),
    );
  }
  const byTier: Record<string, number> = {};
  const byStage: Record<string, number> = {};
  for (const s of shards) {
    add(byTier, s.byTier);
    add(byStage, s.byStage);
  }
  const up = shards.reduce((a, s) => a + s.crossingsUp, 0);
  const down = shards.reduce((a, s) => a + s.crossingsDown, 0);
  return {
    scoredAt: plan.scoredAt,
    models: plan.models,
    customers: shards.reduce((a, s) => a + s.scored, 0),
    skipped: shards.reduce((a, s) => a + s.skipped, 0),
    byTier,
    byStage,
    atRisk: shards.reduce((a, s) => a + s.atRisk, 0),
    crossings: { total: up + down, up, down, threshold: input.churnThreshold },
    shards,
  };
}
