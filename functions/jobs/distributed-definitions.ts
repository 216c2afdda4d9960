import { SCORING_STATES } from '../../kernel/settings.js';
import type { Asl } from '../journeys/state-machine.js';

/**
 * The ASL of the two distributed jobs, as data: CDK deploys it (infra/constructs/scoring.ts,
 * infra/constructs/feature-build.ts, with function ARN and bucket tokens) and the local runner
 * executes the same JSON (scripts/local/distributed-map.ts, which expands the S3 manifest itself:
 * aws-local-stepfunctions has no ItemReader, ItemBatcher or ResultWriter).
 *
 * Scoring:  PrepareScoring (plan: manifest of segments) -> ScoreShards (Distributed Map: items
 *           from the manifest in S3, batched, EXPRESS child executions of ScoreShard) -> Summarise
 * Training: PlanFeatures -> BuildFeatures (Distributed Map of BuildFeatureShard) -> TrainModels
 * Any error: RecordFailure -> Failed (the execution fails with the original error and cause).
 */
export const FEATURE_BUILD_STATES = {
  plan: 'PlanFeatures',
  build: 'BuildFeatures',
  buildShard: 'BuildFeatureShard',
  train: 'TrainModels',
  recordFailure: 'RecordFailure',
  failed: 'TrainingFailed',
} as const;

/** Lambda's own transient faults, retried on every task (2 s, doubling, 6 attempts, full jitter). */
export const JOB_TASK_RETRY = [
  {
    ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

export interface DistributedMapOptions {
  /** Child executions at once: Lambda concurrency and the burst of reads/writes on the table. */
  readonly maxConcurrency: number;
  /** Segments per child execution. */
  readonly maxItemsPerBatch: number;
  /** Share of child executions that may fail without failing the run (their segments keep yesterday's scores). */
  readonly toleratedFailurePercentage: number;
}

export interface DistributedJobResources {
  /** The job bucket (ResultWriter's destination; the manifests' bucket comes from the plan's output). */
  readonly bucket: string;
  readonly timeoutSeconds: number;
  readonly taskTimeoutSeconds: { readonly plan: number; readonly worker: number; readonly train?: number };
}

const task = (resource: string, timeoutSeconds: number, rest: Record<string, unknown>): Record<string, unknown> => ({
  Type: 'Task',
  Resource: resource,
  TimeoutSeconds: timeoutSeconds,
  Retry: JOB_TASK_RETRY,
  ...rest,
});

const catchAll = (next: string): Record<string, unknown>[] => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

function distributedMap(opts: {
  worker: string;
  workerState: string;
  workerTimeout: number;
  batchInput: Record<string, string>;
  bucket: string;
  resultPrefix: string;
  map: DistributedMapOptions;
  resultPath: string;
  next: string;
  recordFailure: string;
}): Record<string, unknown> {
  return {
    Type: 'Map',
    Comment: 'Items: the plan\'s manifest in S3; one EXPRESS child execution per batch of segments',
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' },
    },
    ItemBatcher: { MaxItemsPerBatch: opts.map.maxItemsPerBatch, BatchInput: opts.batchInput },
    MaxConcurrency: opts.map.maxConcurrency,
    ToleratedFailurePercentage: opts.map.toleratedFailurePercentage,
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
      StartAt: opts.workerState,
      States: { [opts.workerState]: task(opts.worker, opts.workerTimeout, { End: true }) },
    },
    ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: opts.bucket, Prefix: opts.resultPrefix } },
    ResultPath: opts.resultPath,
    Catch: catchAll(opts.recordFailure),
    Next: opts.next,
  };
}

const failureStates = (recordFailure: string, failed: string): Record<string, unknown> => ({
  // Paths that exist whichever state failed and in both engines (aws-local-stepfunctions fills
  // only Execution.Input and Execution.StartTime of the context object).
  [recordFailure]: {
    Type: 'Pass',
    Parameters: { 'error.$': '$.error', 'executionInput.$': '$$.Execution.Input', 'executionStartedAt.$': '$$.Execution.StartTime' },
    Next: failed,
  },
  [failed]: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
});

export function scoringDefinition(fns: { prepare: string; scoreShard: string }, res: DistributedJobResources, map: DistributedMapOptions): Asl {
  const S = SCORING_STATES;
  return {
    Comment: 'winback: score every customer, a Distributed Map over the segments of the customer registry',
    StartAt: S.prepare,
    TimeoutSeconds: res.timeoutSeconds,
    States: {
      [S.prepare]: task(fns.prepare, res.taskTimeoutSeconds.plan, {
        Comment: 'Output: { scoredAt, models, manifest: { bucket, key }, segments, customers }',
        Catch: catchAll(S.recordFailure),
        Next: S.scoreShards,
      }),
      [S.scoreShards]: distributedMap({
        worker: fns.scoreShard,
        workerState: S.scoreShard,
        workerTimeout: res.taskTimeoutSeconds.worker,
        batchInput: { 'scoredAt.$': '$.scoredAt', 'models.$': '$.models', 'segments.$': '$.segments' },
        bucket: res.bucket,
        resultPrefix: 'jobs/scoring-results',
        map,
        resultPath: '$.results',
        next: S.summarise,
        recordFailure: S.recordFailure,
      }),
      [S.summarise]: {
        Type: 'Pass',
        Parameters: {
          'scoredAt.$': '$.scoredAt',
          'models.$': '$.models',
          'segments.$': '$.segments',
          'customers.$': '$.customers',
          'results.$': '$.results.ResultWriterDetails',
        },
        End: true,
      },
      ...failureStates(S.recordFailure, S.failed),
    },
  };
}

export function featureBuildDefinition(fns: { plan: string; buildShard: string; train: string }, res: DistributedJobResources, map: DistributedMapOptions): Asl {
  const S = FEATURE_BUILD_STATES;
  return {
    Comment: 'winback: build feature shards with a Distributed Map, then train on them',
    StartAt: S.plan,
    TimeoutSeconds: res.timeoutSeconds,
    States: {
      [S.plan]: task(fns.plan, res.taskTimeoutSeconds.plan, {
        Comment: 'Output: { asOf, manifest, segments, customers, features: { bucket, prefix }, training options }',
        Catch: catchAll(S.recordFailure),
        Next: S.build,
      }),
      [S.build]: distributedMap({
        worker: fns.buildShard,
        workerState: S.buildShard,
        workerTimeout: res.taskTimeoutSeconds.worker,
        batchInput: { 'asOf.$': '$.asOf', 'features.$': '$.features', 'segments.$': '$.segments' },
        bucket: res.bucket,
        resultPrefix: 'jobs/feature-results',
        map,
        resultPath: '$.build',
        next: S.train,
        recordFailure: S.recordFailure,
      }),
      [S.train]: task(fns.train, res.taskTimeoutSeconds.train ?? res.taskTimeoutSeconds.worker, {
        Comment: 'The train-models event: the training options and { features } (extra fields are ignored)',
        Catch: catchAll(S.recordFailure),
        End: true,
      }),
      ...failureStates(S.recordFailure, S.failed),
    },
  };
}
