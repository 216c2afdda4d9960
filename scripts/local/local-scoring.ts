import { join } from 'node:path';
import { getConfig, resetConfig } from '../../functions/commons/config.js';
import { logger } from '../../functions/commons/logger.js';
import type { PlanScoringResult } from '../../functions/jobs/distributed-events.js';
import type { ScoreSegmentsResult } from '../../functions/jobs/distributed-jobs.js';
import type { ScoringCounts } from '../../functions/jobs/shard-scoring.js';
import { resetJobObjects } from '../../functions/store/job-objects.js';
import { localRegistryUri } from '../../models/registry/open-store.js';
import { inProcessInvoker, jobModuleOf, LOCAL_JOB_BUCKET, localScoringDefinition } from './distributed-jobs.js';
import { DistributedMapError, LocalJobRunner } from './distributed-map.js';

/**
 * Scoring everyone on the local stack the way AWS does it: the scoring state machine CDK deploys
 * (plan-scoring writes the manifest of customer segments, a Distributed Map hands batches of
 * segments to score-segments, functions/jobs/distributed-definitions.ts) on the local runner,
 * every task in this process. `winback score` and `winback start` score through here. The job
 * bucket is a directory of the data dir (`buckets/winback-local-jobs/`): the run's manifest and
 * the Map's result files stay there.
 */
export interface ScoringSummary extends ScoringCounts {
  readonly scoredAt: string;
  readonly models: PlanScoringResult['models'];
  readonly customers: number;
  /** Manifest items (customer segments) the run had. */
  readonly segments: number;
  readonly crossings: { readonly total: number; readonly up: number; readonly down: number; readonly threshold: number };
}

export interface ScoreEveryoneOptions {
  readonly scoredAt: Date;
  /** Called once with the number of customers the plan found. */
  readonly onStart?: (total: number) => void;
  /** Customers done so far (scored or skipped), after each batch of segments. */
  readonly onProgress?: (done: number) => void;
}

/** The directory standing in for the job bucket in a data dir. */
export const localJobBucketDir = (dataDir: string): string => join(dataDir, 'buckets', LOCAL_JOB_BUCKET);

/**
 * Points this process's job functions at the data dir: its job bucket directory and (unless
 * MODEL_REGISTRY_URI is set) its model registry, as `winback train` and `model` find it. The
 * handlers' per-batch INFO lines would mix with the command's output (`--json` on stdout), so
 * they log warnings only unless a log level is set.
 */
export function useLocalJobs(dataDir: string): string {
  const dir = localJobBucketDir(dataDir);
  if (process.env['JOB_BUCKET'] !== LOCAL_JOB_BUCKET || process.env['JOB_BUCKET_DIR'] !== dir) {
    process.env['JOB_BUCKET'] = LOCAL_JOB_BUCKET;
    process.env['JOB_BUCKET_DIR'] = dir;
    resetJobObjects();
  }
  if (!process.env['MODEL_REGISTRY_URI']) {
    process.env['MODEL_REGISTRY_URI'] = localRegistryUri(dataDir);
    resetConfig();
  }
  if (!process.env['POWERTOOLS_LOG_LEVEL'] && !process.env['AWS_LAMBDA_LOG_LEVEL']) {
    // Also for a logger created later (a handler module loaded by another module loader, as in vitest).
    process.env['POWERTOOLS_LOG_LEVEL'] = 'WARN';
    logger.setLogLevel('WARN');
  }
  return dir;
}

const add = (into: Record<string, number>, from: Record<string, number>): void => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

export async function scoreEveryone(dataDir: string, opts: ScoreEveryoneOptions): Promise<ScoringSummary> {
  const bucketDir = useLocalJobs(dataDir);
  const handlers = inProcessInvoker();
  let done = 0;
  const runner = new LocalJobRunner({
    buckets: { [LOCAL_JOB_BUCKET]: bucketDir },
    invoke: async (resource, input, state) => {
      const out = await handlers(resource, input, state);
      const module = jobModuleOf(resource);
      if (module === 'plan-scoring') opts.onStart?.((out as PlanScoringResult).customers);
      else if (module === 'score-segments') {
        const r = out as ScoreSegmentsResult;
        done += r.scored + r.skipped;
        opts.onProgress?.(done);
      }
      return out;
    },
  });
  const scoredAt = opts.scoredAt.toISOString();
  const out = (await runner.run(localScoringDefinition(), { scoredAt }, `score-${scoredAt.replace(/[^0-9A-Za-z]/g, '')}`).catch((e: unknown) => {
    // The Fail state's error and cause (e.g. NoChampionError: train first), not the engine's wrapper.
    throw (e as { cause?: unknown })?.cause instanceof Error ? (e as { cause: Error }).cause : e;
  })) as Omit<PlanScoringResult, 'manifest'> & { results: { Bucket: string; Key: string } };
  const children = await runner.readResults(out.results);
  const failed = children.filter((c) => c.Status !== 'SUCCEEDED');
  // The local definition tolerates no failure, so the run has already failed; kept for a changed setting.
  if (failed.length > 0) throw new DistributedMapError(`${failed.length} scoring batches failed; first: ${failed[0]!.Error}: ${failed[0]!.Cause}`);
  const byTier: Record<string, number> = {};
  const byStage: Record<string, number> = {};
  let customers = 0;
  let skipped = 0;
  let atRisk = 0;
  let up = 0;
  let down = 0;
  for (const child of children) {
    const r = JSON.parse(child.Output ?? '{}') as ScoreSegmentsResult;
    customers += r.scored;
    skipped += r.skipped;
    atRisk += r.atRisk;
    up += r.crossingsUp;
    down += r.crossingsDown;
    add(byTier, r.byTier);
    add(byStage, r.byStage);
  }
  return {
    scoredAt: out.scoredAt,
    models: out.models,
    customers,
    segments: out.segments,
    skipped,
    byTier,
    byStage,
    atRisk,
    crossings: { total: up + down, up, down, threshold: getConfig().CHURN_THRESHOLD },
  };
}
