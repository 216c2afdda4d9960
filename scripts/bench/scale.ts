import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../../functions/commons/logger.js';
import type { DistributedMapOptions } from '../../functions/jobs/distributed-definitions.js';
import { jobModuleOf, LOCAL_JOB_BUCKET, localFeatureBuildDefinition, localScoringDefinition } from '../local/distributed-jobs.js';
import { LocalJobRunner, type TaskInvoker } from '../local/distributed-map.js';
import { startJobStack } from '../local/job-stack.js';
import { bulkLoad } from './scale-load.js';

/**
 * npm run bench:scale [-- --customers 20000,100000] [--days 365] [--workers 2] [--sample 5000] [--json]
 *
 * Does the distributed feature build, training and scoring grow linearly? For each population
 * size: a fresh dynalite bulk-loaded with a simulated population (scripts/bench/scale-load.ts),
 * then the training state machine (PlanFeatures -> BuildFeatures Distributed Map -> TrainModels)
 * and the scoring state machine (PrepareScoring -> ScoreShards Distributed Map), the ASL CDK
 * deploys, on the local runner, every task in one of `workers` long-lived worker processes (warm
 * Lambda containers), whose peak RSS the benchmark reads. The deployed Map settings (segments of
 * 1,000 customers, 5 per child execution). Training trains on at most `sample` customers (the
 * stratified sample, TRAINING_SAMPLE_CUSTOMERS); 20,000 in AWS, less here to keep a run in minutes.
 * Not a test: it prints figures (and growth ratios of the larger size over the smaller).
 */
const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000,100000' },
    days: { type: 'string', default: '365' },
    workers: { type: 'string', default: '2' },
    sample: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
const sizes = values.customers.split(',').map((s) => Number(s.trim()));
if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 100)) {
  console.error('--customers takes two sizes, e.g. 2000,10000');
  process.exit(2);
}
const workersCount = Math.max(1, Number(values.workers));
const MAP: DistributedMapOptions = { maxConcurrency: 40, maxItemsPerBatch: 5, toleratedFailurePercentage: 1 };
const say = (line: string): void => {
  if (!values.json) console.log(line);
  else process.stderr.write(`${line}\n`);
};

interface Worker {
  readonly child: ChildProcess;
  busy: boolean;
  peakKb: number;
}

class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly waiting: Array<(w: Worker) => void> = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; worker: Worker }>();
  private nextId = 0;

  static async start(n: number, env: Record<string, string>): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const entry = resolve('scripts/bench/scale-worker.ts');
    await Promise.all(
      Array.from({ length: n }, async () => {
        const child = fork(resolve('scripts/bin/run.mjs'), [entry], { env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'WARN' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        const worker: Worker = { child, busy: false, peakKb: 0 };
        await new Promise<void>((ok) => child.once('message', () => ok()));
        child.on('message', (m: { id: number; result?: unknown; error?: { name: string; message: string }; maxRssKb: number }) => {
          const p = pool.pending.get(m.id);
          if (!p) return;
          pool.pending.delete(m.id);
          worker.peakKb = Math.max(worker.peakKb, m.maxRssKb);
          pool.release(worker);
          if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
          else p.resolve(m.result);
        });
        pool.workers.push(worker);
      }),
    );
    return pool;
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else w.busy = false;
  }

  private acquire(): Promise<Worker> {
    const free = this.workers.find((w) => !w.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((ok) => this.waiting.push(ok));
  }

  readonly invoke: TaskInvoker = async (resource, event) => {
    const worker = await this.acquire();
    worker.busy = true;
    const id = this.nextId++;
    return new Promise((resolveTask, reject) => {
      this.pending.set(id, { resolve: resolveTask, reject, worker });
      worker.child.send({ id, module: jobModuleOf(resource), event });
    });
  };

  get peakRssMb(): number {
    return Math.max(...this.workers.map((w) => w.peakKb)) / 1024;
  }

  stop(): void {
    for (const w of this.workers) w.child.kill();
  }
}

interface SizeResult {
  readonly customers: number;
  readonly events: number;
  readonly loadSeconds: number;
  readonly featureSeconds: number;
  readonly trainSeconds: number;
  readonly scoreSeconds: number;
  readonly peakWorkerRssMb: number;
  readonly segments: number;
  readonly trainedOn: number;
}

async function measure(customers: number): Promise<SizeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'winback-scale-'));
  const stack = await startJobStack(dataDir);
  let pool: WorkerPool | undefined;
  try {
    say(`${customers} customers: loading (days ${values.days}) ...`);
    let t = Date.now();
    const run = await bulkLoad(stack.tableName, { customers, days: Number(values.days), seed: 7, start: '2025-01-01' });
    const loadSeconds = (Date.now() - t) / 1000;
    const events = run.events;
    say(`  loaded ${events} events in ${loadSeconds.toFixed(1)} s`);

    pool = await WorkerPool.start(workersCount, { ...stack.env, TRAINING_SAMPLE_CUSTOMERS: values.sample });
    let trainMs = 0;
    let trainedOn = 0;
    const invoke: TaskInvoker = async (resource, input, state) => {
      if (jobModuleOf(resource) !== 'train-models') return pool!.invoke(resource, input, state);
      const started = Date.now();
      const out = await pool!.invoke(resource, input, state);
      trainMs += Date.now() - started;
      return out;
    };
    const runner = new LocalJobRunner({ buckets: { [LOCAL_JOB_BUCKET]: stack.bucketDir }, invoke, maxChildConcurrency: workersCount });
    const asOf = new Date(Date.parse('2025-01-01') + Number(values.days) * 86_400_000).toISOString();
    t = Date.now();
    await runner.run(localFeatureBuildDefinition(MAP), { targets: ['churn', 'propensity'], asOf }, 'train');
    const trainingSeconds = (Date.now() - t) / 1000;
    const trainSeconds = trainMs / 1000;
    const featureSeconds = trainingSeconds - trainSeconds;
    const features = runner.mapRuns[0]!;
    trainedOn = Math.min(customers, Number(values.sample));
    say(`  feature build ${featureSeconds.toFixed(1)} s (${features.items} segments, ${features.batches} child executions), training ${trainSeconds.toFixed(1)} s`);

    t = Date.now();
    const scored = (await runner.run(localScoringDefinition(MAP), { scoredAt: asOf }, 'score')) as { customers: number; segments: number };
    const scoreSeconds = (Date.now() - t) / 1000;
    say(`  scoring ${scoreSeconds.toFixed(1)} s (${scored.segments} segments); peak worker RSS ${pool.peakRssMb.toFixed(0)} MB`);
    return { customers, events, loadSeconds, featureSeconds, trainSeconds, scoreSeconds, peakWorkerRssMb: Math.round(pool.peakRssMb), segments: scored.segments, trainedOn };
  } finally {
    pool?.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

logger.setLogLevel('WARN');
const results: SizeResult[] = [];
for (const n of sizes) results.push(await measure(n));
const [small, large] = results as [SizeResult, SizeResult];
const perCustomer = (r: SizeResult): number => (r.featureSeconds + r.trainSeconds + r.scoreSeconds) / r.customers;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const growth = {
  timePerCustomer: round(perCustomer(large) / perCustomer(small)),
  featureTimePerCustomer: round(large.featureSeconds / large.customers / (small.featureSeconds / small.customers)),
  scoreTimePerCustomer: round(large.scoreSeconds / large.customers / (small.scoreSeconds / small.customers)),
  peakWorkerRss: round(large.peakWorkerRssMb / small.peakWorkerRssMb),
};
const report = {
  sizes: results.map((r) => ({ ...r, featureSeconds: round(r.featureSeconds, 1), trainSeconds: round(r.trainSeconds, 1), scoreSeconds: round(r.scoreSeconds, 1), loadSeconds: round(r.loadSeconds, 1) })),
  growth,
  settings: { workers: workersCount, segmentCustomers: 1000, segmentsPerBatch: MAP.maxItemsPerBatch, trainingSample: Number(values.sample), days: Number(values.days) },
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  console.log('\ncustomers   events      feature s  train s  score s  peak worker RSS');
  for (const r of report.sizes) console.log(`${String(r.customers).padEnd(11)} ${String(r.events).padEnd(11)} ${String(r.featureSeconds).padEnd(10)} ${String(r.trainSeconds).padEnd(8)} ${String(r.scoreSeconds).padEnd(8)} ${r.peakWorkerRssMb} MB`);
  console.log(`growth (larger / smaller): time per customer ${growth.timePerCustomer}x (feature ${growth.featureTimePerCustomer}x, scoring ${growth.scoreTimePerCustomer}x), largest worker memory ${growth.peakWorkerRss}x`);
}
