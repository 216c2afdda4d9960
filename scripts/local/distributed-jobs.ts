import type { Context } from 'aws-lambda';
import { featureBuildDefinition, scoringDefinition, type DistributedMapOptions } from '../../functions/jobs/distributed-definitions.js';
import type { Asl } from '../../functions/journeys/state-machine.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.js';
import { DistributedMapError, type TaskInvoker } from './distributed-map.js';
import { createLambdaContext } from './lambda-context.js';

/**
 * The distributed jobs' definitions with local function ARNs, and the handler module each ARN
 * names, for the local runner (scripts/local/distributed-map.ts): the ASL is the one CDK deploys,
 * built by the same functions with the local names in place of the deployed ones.
 */
export const LOCAL_JOB_FUNCTIONS = {
  'winback-plan-scoring': 'plan-scoring',
  'winback-score-segments': 'score-segments',
  'winback-plan-features': 'plan-features',
  'winback-build-features': 'build-features',
  'winback-train-models': 'train-models',
} as const;
export type LocalJobFunction = keyof typeof LOCAL_JOB_FUNCTIONS;

export const localJobArn = (fn: LocalJobFunction): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${fn}`;

/** The bucket name the local stack uses (its directory is JOB_BUCKET_DIR). */
export const LOCAL_JOB_BUCKET = 'winback-local-jobs';

/** Local defaults: small segments and batches so that a few hundred customers still fan out. */
export const LOCAL_MAP_OPTIONS: DistributedMapOptions = { maxConcurrency: 8, maxItemsPerBatch: 2, toleratedFailurePercentage: 0 };

const resources = (bucket: string) => ({ bucket, timeoutSeconds: 7200, taskTimeoutSeconds: { plan: 900, worker: 900, train: 900 } });

export function localScoringDefinition(map: DistributedMapOptions = LOCAL_MAP_OPTIONS, bucket = LOCAL_JOB_BUCKET): Asl {
  return scoringDefinition({ prepare: localJobArn('winback-plan-scoring'), scoreShard: localJobArn('winback-score-segments') }, resources(bucket), map);
}

export function localFeatureBuildDefinition(map: DistributedMapOptions = LOCAL_MAP_OPTIONS, bucket = LOCAL_JOB_BUCKET): Asl {
  return featureBuildDefinition(
    { plan: localJobArn('winback-plan-features'), buildShard: localJobArn('winback-build-features'), train: localJobArn('winback-train-models') },
    resources(bucket),
    map,
  );
}

/** The handler module (functions/<name>.ts) an ARN of the local runner names. */
export function jobModuleOf(resource: string): string {
  const name = resource.split(':').at(-1) as LocalJobFunction;
  const module = LOCAL_JOB_FUNCTIONS[name];
  if (!module) throw new DistributedMapError(`no local job function for ${resource}`);
  return module;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Runs each task's handler in this process (the local stack, tests). */
export function inProcessInvoker(): TaskInvoker {
  const handlers = new Map<string, Promise<Handler>>();
  return async (resource, input) => {
    const module = jobModuleOf(resource);
    let h = handlers.get(module);
    if (!h) {
      h = import(`../../functions/${module}.ts`).then((m: { handler: Handler }) => m.handler);
      handlers.set(module, h);
    }
    return (await h)(JSON.parse(JSON.stringify(input ?? null)), createLambdaContext({ functionName: resource.split(':').at(-1)!, timeoutSeconds: 900 }));
  };
}
