import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/commons/clients.js';
import { logger } from '../../functions/commons/logger.js';
import { drawTrainingSample } from '../../functions/jobs/distributed-jobs.js';
import type { FeatureShard } from '../../functions/jobs/distributed-jobs.js';
import { openRegistry } from '../../functions/jobs/model-registry.js';
import { trainModels } from '../../functions/jobs/training.js';
import { storeEvents } from '../../functions/store/events.js';
import { jobObjects } from '../../functions/store/job-objects.js';
import { listScoringRuns } from '../../functions/store/scores.js';
import { SCORING_STATES } from '../../kernel/settings.js';
import { LocalJobRunner, type TaskInvoker } from '../../scripts/local/distributed-map.js';
import { inProcessInvoker, jobModuleOf, LOCAL_JOB_BUCKET, localFeatureBuildDefinition, localScoringDefinition } from '../../scripts/local/distributed-jobs.js';
import { startJobStack, type JobStack } from '../../scripts/local/job-stack.js';
import { cdnowSlice, FAST_TRAINING } from '../registry/fixtures.js';

/**
 * The distributed jobs' ASL (the definitions CDK deploys) on the local runner, which expands the
 * Distributed Map's S3 manifest itself: two hundred customers in segments of at most 6, batches of 2
 * segments per child execution, every customer scored exactly once.
 */
const CUSTOMERS = 200;
const population = cdnowSlice(CUSTOMERS);
let dataDir = '';
let stack: JobStack;

beforeAll(async () => {
  process.env['POWERTOOLS_LOG_LEVEL'] = 'WARN';
  logger.setLogLevel('WARN');
  dataDir = mkdtempSync(join(tmpdir(), 'winback-distributed-'));
  stack = await startJobStack(dataDir);
  process.env['JOB_SEGMENT_CUSTOMERS'] = '6';
  await storeEvents([...population.values()].flat(), { table: stack.tableName, retentionDays: 730 });
  await trainModels({
    table: stack.tableName,
    registry: await openRegistry(stack.registryUri),
    seed: 3,
    now: new Date('2026-11-23T10:15:00Z'),
    experiment: { cutoffCount: 2, train: FAST_TRAINING },
  });
}, 120_000);

afterAll(async () => {
  delete process.env['JOB_SEGMENT_CUSTOMERS'];
  delete process.env['POWERTOOLS_LOG_LEVEL'];
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const runner = (invoke: TaskInvoker = inProcessInvoker()) => new LocalJobRunner({ buckets: { [LOCAL_JOB_BUCKET]: stack.bucketDir }, invoke, maxChildConcurrency: 3 });

async function scoreItems(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new ScanCommand({ TableName: stack.tableName, FilterExpression: 'sk = :s', ExpressionAttributeValues: { ':s': 'SCORE' }, ExclusiveStartKey: start }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('distributed scoring on the local runner', () => {
  it('reads the segments from the manifest, batches them into child executions and scores every customer once', async () => {
    // Prepare
    const seen: string[][] = [];
    const inProcess = inProcessInvoker();
    const r = runner(async (resource, input, state) => {
      if (state === SCORING_STATES.scoreShard) seen.push((input as { Items: Array<{ shard: number; last: string }> }).Items.map((s) => `${s.shard}:${s.last}`));
      return inProcess(resource, input, state);
    });
    // Act
    const output = (await r.run(localScoringDefinition(), { scoredAt: '1998-01-01T00:00:00.000Z' }, 'score-1')) as {
      customers: number;
      segments: number;
      results: { Bucket: string; Key: string };
    };
    // Assess: 200 customers over 16 registry shards in segments of at most 6
    expect(output.customers).toBe(CUSTOMERS);
    expect(output.segments).toBeGreaterThanOrEqual(Math.ceil(CUSTOMERS / 6));
    const [mapRun] = r.mapRuns;
    expect(mapRun).toMatchObject({ state: SCORING_STATES.scoreShards, items: output.segments, batches: Math.ceil(output.segments / 2), failed: 0 });
    expect(seen.flat()).toHaveLength(output.segments);
    expect(new Set(seen.flat()).size).toBe(output.segments);
    // Every customer has one score item, and the child outputs (ResultWriter files) add up to them.
    const items = await scoreItems();
    expect(new Set(items.map((i) => i['pk'])).size).toBe(CUSTOMERS);
    expect(items).toHaveLength(CUSTOMERS);
    const children = await r.readResults(output.results);
    expect(children.every((c) => c.Status === 'SUCCEEDED')).toBe(true);
    expect(children.reduce((a, c) => a + (JSON.parse(c.Output!) as { scored: number }).scored, 0)).toBe(CUSTOMERS);
    // The run is recorded complete: every segment reported its part.
    const [run] = await listScoringRuns(stack.tableName, { completeRuns: 1 });
    expect(run).toMatchObject({ scoredAt: '1998-01-01T00:00:00.000Z', shards: output.segments, shardsReported: output.segments, complete: true });
  });

  it('fails the execution through ScoringFailed when more child executions fail than tolerated', async () => {
    const inProcess = inProcessInvoker();
    let calls = 0;
    const r = runner(async (resource, input, state) => {
      if (state === SCORING_STATES.scoreShard && calls++ === 1) throw Object.assign(new Error('model not found'), { name: 'ModelNotFoundError' });
      return inProcess(resource, input, state);
    });
    const error = await r.run(localScoringDefinition(), { scoredAt: '1998-01-02T00:00:00.000Z' }, 'score-2').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { cause?: Error }).cause).toMatchObject({ name: 'States.ExceedToleratedFailureThreshold' });
    expect(String((error as { cause?: Error }).cause?.message)).toContain('ModelNotFoundError');
    expect(r.mapRuns[0]?.failed).toBe(1);
  });
});

describe('distributed feature build on the local runner', () => {
  it('writes one feature shard per segment covering every customer once, and hands train-models their location', async () => {
    // Prepare: the training state is observed, not run (the models are trained above)
    const inProcess = inProcessInvoker();
    let trainEvent: { features?: { bucket: string; prefix: string } } | undefined;
    const r = runner(async (resource, input, state) => {
      if (jobModuleOf(resource) === 'train-models') {
        trainEvent = input as typeof trainEvent;
        return { trained: true };
      }
      return inProcess(resource, input, state);
    });
    // Act
    const output = await r.run(localFeatureBuildDefinition(), { asOf: '1998-01-01T00:00:00.000Z' }, 'features-1');
    // Assess
    expect(output).toEqual({ trained: true });
    expect(trainEvent?.features).toEqual({ bucket: LOCAL_JOB_BUCKET, prefix: 'jobs/features/1998-01-01T00:00:00.000Z/shards' });
    const objects = await jobObjects();
    const keys = await objects.list(`${trainEvent!.features!.prefix}/`);
    expect(keys).toHaveLength(r.mapRuns[0]!.items);
    const ids: string[] = [];
    for (const key of keys) ids.push(...(JSON.parse(await objects.get(key)) as FeatureShard).customers.map((c) => c.customerId));
    expect(new Set(ids).size).toBe(CUSTOMERS);
    expect(ids).toHaveLength(CUSTOMERS);
    // The training sample: everyone while the population fits; a proportional share of each stratum beyond.
    expect((await drawTrainingSample(objects, trainEvent!.features!, 1000)).customerIds).toHaveLength(CUSTOMERS);
    const sample = await drawTrainingSample(objects, trainEvent!.features!, 100);
    expect(sample.customerIds.length).toBeGreaterThan(60);
    expect(sample.customerIds.length).toBeLessThan(140);
    expect(Object.values(sample.rates).every((rate) => rate === 100 / CUSTOMERS)).toBe(true);
  });
});
