import { performance } from 'node:perf_hooks';
import { openRegistryFor } from '../../application/model-registry.js';
import { mountConsole } from '../console/mount.js';
import { applyCampaignEnvironment, localJourneyRunner } from '../local/journeys.js';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import type { LocalStepFunctions } from '../local/stepfunctions.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { defaultStart } from '../simulate/population.js';
import { loadDemo, runCycle, score, train, type CycleReport, type LoadReport, type PipelineContext } from './pipeline.js';
import { noProgress, type Progress } from './progress.js';
import { LocalScheduler } from './scheduler.js';
import { SCHEDULER_POLL_MS } from './settings.js';
import { clearLoading, readClock, readLoading, readMarker, resumeAt, writeClock, writeLoading, writeMarker, type DemoMarker } from './state.js';
import type { ChampionInfo, StartSummary } from './summary.js';
import { sweepTriggers, type SweepWindow } from './sweep.js';
import { LOCAL_SCHEDULES, type JobName } from './virtual-clock.js';

/**
 * `winback start`: the embedded stack, the demo population on first run, one cycle (train,
 * score, campaigns), then (without --once) the CDK schedules on the accelerated virtual clock.
 *
 * What "now" means: every job runs at an instant of the virtual clock. On a fresh data dir the
 * clock starts at the wall clock (the demo data ends today); it then runs `clockSpeed` times
 * faster while serving and is saved in clock.json, so a restart resumes where it stopped (never
 * behind the wall clock). Scoring at a virtual tick sees every event before it, so the demo
 * population ages: customers lapse, cross the churn threshold and enter win-back journeys.
 */
export interface StartOptions {
  readonly dataDir: string;
  /** Default: 4000 / WINBACK_PORT when serving; a free port with --once (nothing to serve). */
  readonly port?: number;
  readonly once: boolean;
  readonly population: { readonly customers: number; readonly days: number; readonly seed: number };
  /** Virtual seconds per wall second; 0 = no schedules. */
  readonly clockSpeed: number;
  readonly campaignsDir: string;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
  readonly progress: Progress;
}

export interface StartedPipeline {
  readonly summary: StartSummary;
  readonly stack: LocalStack;
  readonly registry: ModelRegistry;
  /** The virtual instant the start-up work ran at; the serving clock starts there. */
  readonly at: Date;
}

const round = (s: number): number => Math.round(s * 10) / 10;

/**
 * Boots the stack and does the start-up work. The stack is left running for the caller (serve,
 * or stop after --once); on failure it is stopped and the error (a PipelineStepError naming the
 * step) propagates.
 */
export async function runStartPipeline(opts: StartOptions): Promise<StartedPipeline> {
  const t0 = performance.now();
  const port = opts.port ?? (opts.once ? 0 : undefined);
  opts.log(`starting the local stack on ${opts.dataDir}`);
  const stack = await startLocalStack({ dataDir: opts.dataDir, ...(port !== undefined ? { port } : {}), log: (line) => opts.log(`[winback] ${line}`) });
  mountConsole(stack.runtime, { dataDir: stack.dataDir, tableName: stack.tableName, campaignsDir: opts.campaignsDir });
  try {
    const registry = await openRegistryFor(stack.dataDir);
    const ctx: PipelineContext = { stack, registry, campaignsDir: opts.campaignsDir, log: opts.log, progress: opts.progress };
    const timings: Record<string, number> = { stack: round((performance.now() - t0) / 1000) };
    const at = resumeAt(await readClock(stack.dataDir), new Date());
    let marker = await readMarker(stack.dataDir);
    const firstRun = marker === undefined;
    let load: LoadReport | undefined;
    if (!marker) {
      const interrupted = await readLoading(stack.dataDir);
      const params = interrupted ?? { version: 1 as const, startedAt: new Date().toISOString(), ...opts.population, start: defaultStart(opts.population.days, new Date()) };
      if (!interrupted) await writeLoading(stack.dataDir, params);
      load = await loadDemo(ctx, { customers: params.customers, days: params.days, seed: params.seed, start: params.start, resume: interrupted !== undefined });
      timings['load'] = load.seconds;
      marker = markerFor(load);
      // Written before the cycle: a failed cycle must not make the next start reload the population.
      await writeMarker(stack.dataDir, marker);
      await clearLoading(stack.dataDir);
    }
    let cycle: CycleReport | undefined;
    if (firstRun || opts.once || !marker.cycledAt) {
      if (!firstRun && !opts.once) opts.log('the previous start did not finish its first cycle: running it now');
      cycle = await runCycle(ctx, at, { fresh: load?.source === 'simulated', seed: opts.population.seed });
      timings['train'] = cycle.train.seconds;
      timings['score'] = cycle.score.seconds;
      timings['campaigns'] = cycle.campaigns.seconds;
      if (cycle.responses) timings['responses'] = cycle.responses.seconds;
      marker = { ...marker, cycledAt: new Date().toISOString() };
      await writeMarker(stack.dataDir, marker);
    }
    await writeClock(stack.dataDir, at, opts.clockSpeed);
    timings['total'] = round((performance.now() - t0) / 1000);
    const summary = buildSummary({ opts, stack, at, firstRun, marker, timings, ...(load ? { load } : {}), ...(cycle ? { cycle } : { champions: await champions(registry) }) });
    return { summary, stack, registry, at };
  } catch (err) {
    await stack.stop({ drainTimeoutMs: 2000 }).catch(() => undefined);
    throw err;
  }
}

function markerFor(load: LoadReport): DemoMarker {
  return {
    version: 1,
    loadedAt: new Date().toISOString(),
    source: load.source,
    customers: load.customers,
    ...(load.days !== undefined ? { days: load.days } : {}),
    ...(load.seed !== undefined ? { seed: load.seed } : {}),
    ...(load.start !== undefined ? { start: load.start } : {}),
    ...(load.end !== undefined ? { end: load.end } : {}),
    ...(load.events ? { events: load.events } : {}),
    seconds: load.seconds,
  };
}

/** The champions as the registry has them (a start that trains nothing still says what scores with). */
async function champions(registry: ModelRegistry): Promise<ChampionInfo[]> {
  const out: ChampionInfo[] = [];
  for (const index of await registry.list()) {
    const entry = index.versions.find((v) => v.version === index.champion);
    const rocAuc = entry?.metrics['rocAuc'];
    out.push({ model: index.model, champion: index.champion, ...(rocAuc !== undefined ? { rocAuc } : {}) });
  }
  return out;
}

function buildSummary(p: {
  opts: StartOptions;
  stack: LocalStack;
  at: Date;
  firstRun: boolean;
  marker: DemoMarker;
  timings: Record<string, number>;
  load?: LoadReport;
  cycle?: CycleReport;
  champions?: ChampionInfo[];
}): StartSummary {
  const { cycle } = p;
  const problems: string[] = [];
  for (const c of cycle?.campaigns.campaigns ?? []) {
    if (c.failedExecutions) problems.push(`campaign ${c.id}: ${c.failedExecutions} execution(s) failed (winback campaigns report ${c.id})`);
  }
  return {
    mode: p.opts.once ? 'once' : 'serve',
    firstRun: p.firstRun,
    at: p.at.toISOString(),
    load: p.load ? { status: p.load.source === 'simulated' ? 'loaded' : 'existing', ...p.load } : { status: 'skipped', marker: p.marker },
    models: cycle ? { status: 'trained', ...cycle.train } : { status: 'not run', champions: p.champions ?? [] },
    scoring: cycle ? { status: 'scored', ...cycle.score } : { status: 'not run' },
    campaigns: cycle ? { status: 'run', ...cycle.campaigns } : { status: 'not run' },
    ...(cycle?.responses ? { responses: cycle.responses } : {}),
    timings: p.timings,
    urls: { api: p.stack.apiUrl, inbox: p.stack.inboxUrl, console: `${p.stack.apiUrl}/console`, dataDir: p.stack.dataDir },
    writeKey: p.stack.writeKey,
    clock: { speed: p.opts.clockSpeed, schedules: LOCAL_SCHEDULES.map((s) => ({ job: s.job, schedule: s.label })) },
    problems,
  };
}

/* ---- serving ---- */

export interface Serving {
  readonly scheduler?: LocalScheduler;
  /** Stops the schedules (waits up to `waitMs` for a running job), the journeys runner and the stack. */
  stop(opts?: { waitMs?: number }): Promise<void>;
}

/**
 * Keeps the stack serving and runs the schedules on the virtual clock from `started.at`. Jobs run
 * at their tick (EventBridge's scheduled time): training registers with that time, scoring
 * scores at it, the sweep evaluates triggers at it. Journeys the sweep starts run on the journey
 * clock at scale 1 / clockSpeed, so a campaign's 3-day wait lasts 3 virtual days.
 */
export async function serve(started: StartedPipeline, opts: StartOptions): Promise<Serving> {
  const { stack, registry } = started;
  const speed = opts.clockSpeed;
  let runner: LocalStepFunctions | undefined;
  let scheduler: LocalScheduler | undefined;
  if (speed > 0) {
    await applyCampaignEnvironment(stack, opts.campaignsDir);
    runner = await localJourneyRunner(stack, { timeScale: Math.min(1, 1 / speed) });
    const journeys = runner;
    // Serving jobs log through the scheduler's lines only: no bars, no step chatter between them.
    const ctx: PipelineContext = { stack, registry, campaignsDir: opts.campaignsDir, log: () => undefined, progress: noProgress };
    let window: SweepWindow = { virtualSince: started.at, wallSince: new Date() };
    const run = async (job: JobName, tick: Date): Promise<string | undefined> => {
      switch (job) {
        case 'train': {
          const r = await train(ctx, tick);
          const m = [r.churn, r.propensity].flatMap((l) => (l ? [`${l.model} ${l.decision} (ROC-AUC ${l.trainedRocAuc.toFixed(3)})`] : []));
          return `${m.join(', ')}; clv fit ${r.clv.fit}`;
        }
        case 'score': {
          const r = await score(ctx, tick);
          return `${r.customers} customers, at risk ${r.atRisk} (churn >= ${r.crossings.threshold}), crossings up ${r.crossings.up} / down ${r.crossings.down}${r.skipped ? `, ${r.skipped} skipped` : ''}`;
        }
        case 'sweep': {
          const wallNow = new Date();
          const r = await sweepTriggers({ table: stack.tableName, campaignsDir: opts.campaignsDir, starter: journeys, at: tick, window });
          window = { virtualSince: tick, wallSince: wallNow };
          const started = Object.entries(r.started).map(([id, n]) => `${id} ${n}`);
          return started.length ? `journeys started: ${started.join(', ')}` : undefined;
        }
      }
    };
    const clock = { wallStart: Date.now(), virtualStart: started.at.getTime(), speed };
    let lastSaved = 0;
    scheduler = new LocalScheduler({
      clock,
      schedules: LOCAL_SCHEDULES,
      run,
      log: opts.log,
      pollMs: SCHEDULER_POLL_MS,
      onAdvance: (virtualNow) => {
        if (Date.now() - lastSaved < 5000) return;
        lastSaved = Date.now();
        writeClock(stack.dataDir, virtualNow, speed).catch((err: unknown) => opts.log(`could not save the clock: ${String(err)}`));
      },
    });
    scheduler.start();
  }
  let stopping: Promise<void> | undefined;
  return {
    ...(scheduler ? { scheduler } : {}),
    stop: ({ waitMs = 10_000 } = {}) => {
      stopping ??= (async () => {
        if (scheduler) {
          if (scheduler.busy) opts.log(`waiting up to ${waitMs / 1000} s for the running ${scheduler.busy} job`);
          await scheduler.stop(waitMs);
          await writeClock(stack.dataDir, scheduler.virtualNow, speed).catch(() => undefined);
        }
        // Journeys still waiting are abandoned: their entries stay active (a local demo, not AWS).
        runner?.abort();
        await stack.stop();
      })();
      return stopping;
    },
  };
}
