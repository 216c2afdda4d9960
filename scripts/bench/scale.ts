import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../../functions/commons/logger.js';
import type { DistributedMapOptions } from '../../functions/jobs/distributed-definitions.js';
import { jobModuleOf, LOCAL_JOB_BUCKET, localFeatureBuildDefinition, localScoringDefinition } from '../local/distributed-jobs.js';
import { LocalJobRunner, type TaskInvoker } from '../local/distributed-map.js';
import { startJobStack } from '../local/job-stack.js';
import { bulkLoad } from './scale-load.js';

/**
 * npm run bench:scale [-- --customers 20000,100000] [--days 365] [--workers 2] [--sample 5000]
 *                     [--thin 8] [--in-flight 6] [--json]
 *
 * Does the distributed feature build, training and scoring grow linearly? For each population
 * size: a fresh in-memory dynalite in a process of its own (scale-dynalite.ts), bulk-loaded with a
 * simulated population of about 20 events a customer (scale-load.ts: parallel BatchWriteItem,
 * `--thin`), then the training state machine (PlanFeatures -> BuildFeatures Distributed Map ->
 * TrainModels) and the scoring state machine (PrepareScoring -> ScoreShards Distributed Map), the
 * ASL CDK deploys, on the local runner with the deployed Map settings (segments of 1,000
 * customers, 5 per child execution). Every task runs in a long-lived worker process (a warm Lambda
 * container): the feature build's and scoring's each in a pool of `workers`, training alone; the
 * benchmark reads each worker's peak RSS. Training trains on at most `sample` customers (the
 * stratified sample, TRAINING_SAMPLE_CUSTOMERS: 20,000 in AWS, less here to keep a run short),
 * evaluated on that sample's holdout. Not a test: it prints figures and the growth ratios of the
 * larger size over the smaller. SCALE_WORKER_EXEC_ARGV passes node flags to the workers
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000,100000' },
    days: { type: 'string', default: '365' },
    workers: { type: 'string', default: '2' },
    sample: { type: 'string', default: '5000' },
    thin: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '6' },
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
        const child = fork(resolve('scripts/bin/run.mjs'), [entry], { execArgv: process.env['SCALE_WORKER_EXEC_ARGV']?.split(' ') ?? [], env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'WARN' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
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
    for (const w of this.workers) w.child.disconnect();
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
  /** Peak RSS of the largest worker of each role. */
  readonly workerRssMb: Record<Role, number>;
  /** The emulator's own process (not a worker: AWS's DynamoDB). */
  readonly dynaliteRssMb: number;
  readonly segments: number;
  readonly trainedOn: number;
  /** 1-minute load average of the machine when the size started and when it ended (other work shares it). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

interface DynamoProcess {
  readonly endpoint: string;
  rssMb(): Promise<number>;
  stop(): void;
}

/** dynalite in a process of its own (scripts/bench/scale-dynalite.ts), its heap sized for millions of items. */
async function startDynamo(): Promise<DynamoProcess> {
  const child = fork(resolve('scripts/bin/run.mjs'), [resolve('scripts/bench/scale-dynalite.ts')], {
    execArgv: ['--max-old-space-size=16384'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((ok, fail) => {
    child.once('message', (m: { port: number }) => ok(m.port));
    child.once('exit', (code) => fail(new Error(`dynalite exited (${code})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    rssMb: () =>
      new Promise((ok) => {
        child.once('message', (m: { rssMb: number }) => ok(m.rssMb));
        child.send('rss');
      }),
    stop: () => void child.kill(),
  };
}

type Role = 'features' | 'training' | 'scoring';
/** Which worker processes run a task: the feature build's and scoring's each in their own pool, training alone (its own Lambda). */
const roleOf = (module: string): Role => (module === 'train-models' ? 'training' : module.includes('scor') ? 'scoring' : 'features');

async function measure(customers: number): Promise<SizeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'winback-scale-'));
  const dynamo = await startDynamo();
  const stack = await startJobStack(dataDir, { endpoint: dynamo.endpoint });
  const pools = new Map<Role, WorkerPool>();
  const peaks: Record<Role, number> = { features: 0, training: 0, scoring: 0 };
  const poolFor = async (role: Role): Promise<WorkerPool> => {
    let pool = pools.get(role);
    if (!pool) {
      pool = await WorkerPool.start(role === 'training' ? 1 : workersCount, { ...stack.env, TRAINING_SAMPLE_CUSTOMERS: values.sample });
      pools.set(role, pool);
    }
    return pool;
  };
  const retire = (role: Role): void => {
    const pool = pools.get(role);
    if (!pool) return;
    peaks[role] = Math.round(pool.peakRssMb);
    pool.stop();
    pools.delete(role);
  };
  const loadAtStart = Math.round(loadavg()[0]! * 10) / 10;
  try {
    say(`${customers} customers: loading (days ${values.days}, 1 in ${values.thin} browsing events and newsletters kept) ...`);
    let t = Date.now();
    const run = await bulkLoad(stack.tableName, { customers, days: Number(values.days), seed: 7, start: '2025-01-01', thin: Number(values.thin), inFlight: Number(values['in-flight']) });
    const loadSeconds = (Date.now() - t) / 1000;
    const events = run.events;
    say(`  loaded ${events} events (${run.items} items, ${Math.round(run.items / loadSeconds)} items/s) in ${loadSeconds.toFixed(1)} s; dynalite RSS ${await dynamo.rssMb()} MB`);

    let trainMs = 0;
    const invoke: TaskInvoker = async (resource, input, state) => {
      const role = roleOf(jobModuleOf(resource));
      const pool = await poolFor(role);
      if (role !== 'training') return pool.invoke(resource, input, state);
      retire('features');
      const started = Date.now();
      const out = await pool.invoke(resource, input, state);
      trainMs += Date.now() - started;
      return out;
    };
    const runner = new LocalJobRunner({ buckets: { [LOCAL_JOB_BUCKET]: stack.bucketDir }, invoke, maxChildConcurrency: workersCount });
    const asOf = new Date(Date.parse('2025-01-01') + Number(values.days) * 86_400_000).toISOString();
    t = Date.now();
    await runner.run(localFeatureBuildDefinition(MAP), { targets: ['churn', 'propensity'], asOf }, 'train');
    const trainingSeconds = (Date.now() - t) / 1000;
    retire('training');
    const trainSeconds = trainMs / 1000;
    const featureSeconds = trainingSeconds - trainSeconds;
    const features = runner.mapRuns[0]!;
    const trainedOn = Math.min(customers, Number(values.sample));
    say(`  feature build ${featureSeconds.toFixed(1)} s (${features.items} segments, ${features.batches} child executions; worker peak ${peaks.features} MB), training ${trainSeconds.toFixed(1)} s (on ${trainedOn}; peak ${peaks.training} MB)`);

    t = Date.now();
    const scored = (await runner.run(localScoringDefinition(MAP), { scoredAt: asOf }, 'score')) as { customers: number; segments: number };
    const scoreSeconds = (Date.now() - t) / 1000;
    retire('scoring');
    const dynaliteRssMb = await dynamo.rssMb();
    const peakWorkerRssMb = Math.max(peaks.features, peaks.training, peaks.scoring);
    say(`  scoring ${scoreSeconds.toFixed(1)} s (${scored.segments} segments; worker peak ${peaks.scoring} MB); largest worker ${peakWorkerRssMb} MB; dynalite ${dynaliteRssMb} MB`);
    return { customers, events, loadSeconds, featureSeconds, trainSeconds, scoreSeconds, peakWorkerRssMb, workerRssMb: { ...peaks }, dynaliteRssMb, segments: scored.segments, trainedOn, loadAverage: { start: loadAtStart, end: Math.round(loadavg()[0]! * 10) / 10 } };
  } finally {
    for (const role of [...pools.keys()]) retire(role);
    await stack.stop();
    dynamo.stop();
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
