import { getConfig } from '../functions/commons/config.js';
import { listAllCustomers } from '../functions/jobs/customer-events.js';
import { scorePopulation, type ScoringSummary } from '../functions/jobs/population-scoring.js';
import { listScoringRuns } from '../functions/store/scores.js';
import type { ModelRegistry } from '../models/registry/registry.js';

/**
 * Scoring everyone: every customer scored with the champion models at one time, with the churn
 * threshold and value tiers of the configuration (the scoring state machine's prepare and every
 * shard, in this process). `winback score` and `winback start` both score through here.
 */
export interface ScoreAllOptions {
  readonly registry: ModelRegistry;
  readonly scoredAt: Date;
  /** Called once with the number of customers to score. */
  readonly onStart?: (total: number) => void;
  /** Customers scored so far, over every shard. */
  readonly onProgress?: (done: number) => void;
}

export async function scoreAll(table: string, opts: ScoreAllOptions): Promise<ScoringSummary> {
  const config = getConfig();
  opts.onStart?.((await listAllCustomers(table)).length);
  const doneByShard = new Map<number, number>();
  return scorePopulation({
    table,
    registry: opts.registry,
    scoredAt: opts.scoredAt,
    churnThreshold: config.CHURN_THRESHOLD,
    ...(config.VALUE_TIER_THRESHOLDS ? { tierThresholds: config.VALUE_TIER_THRESHOLDS } : {}),
    onProgress: (shard, done) => {
      doneByShard.set(shard, done);
      opts.onProgress?.([...doneByShard.values()].reduce((a, b) => a + b, 0));
    },
  });
}

/** The time of the newest scoring run recorded, if any: what a score at an earlier time cannot replace. */
export async function newestScoringRun(table: string): Promise<string | undefined> {
  const runs = await listScoringRuns(table, { completeRuns: 1 });
  return runs.map((r) => r.scoredAt).sort().at(-1);
}
