import { performance } from 'node:perf_hooks';
import { validateCampaigns } from '../../functions/campaigns/definition/load.js';
import { campaignRunLine, runCampaign, type CampaignRunLine } from '../../application/campaign-run.js';
import { trainAndRegister, trainingOutcome, type TrainingOutcome } from '../../application/training.js';
import { getConfig } from '../../functions/commons/config.js';
import { listAllCustomers } from '../../functions/jobs/customer-events.js';
import type { ModelRegistry } from '../../models/registry/registry.js';
import { campaignStack, CLI_TIME_SCALE } from '../local/journeys.js';
import { scoreEveryone } from '../local/local-scoring.js';
import type { StackHandle } from '../local/stack.js';
import { storeSimulation } from '../simulate/direct.js';
import { campaignsWithLedger, simulateResponses, type CampaignResponses } from '../simulate/responses.js';
import { resolvePeriod } from '../simulate/population.js';
import { PipelineStepError } from './errors.js';
import type { Progress } from './progress.js';
import { CYCLE_TRIGGER_LOOKBACK_MS } from './settings.js';

/**
 * The steps of `winback start`, each the code of the matching CLI command: load (simulate
 * --direct), train, score, campaigns run. Every step reports what the summary prints and its
 * seconds; a failure is a PipelineStepError naming the step.
 */
export interface PipelineContext {
  readonly stack: StackHandle;
  readonly registry: ModelRegistry;
  readonly campaignsDir: string;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
  readonly progress: Progress;
}

const seconds = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100;

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PipelineStepError) throw err;
    throw new PipelineStepError(name, err);
  }
}

/* ---- load ---- */

export interface LoadReport {
  /** 'simulated': the demo population was loaded; 'existing': the store already had customers. */
  readonly source: 'simulated' | 'existing';
  readonly customers: number;
  readonly days?: number;
  readonly seed?: number;
  readonly start?: string;
  readonly end?: string;
  /** Customers whose latent lapse falls within the period (the simulation's ground truth). */
  readonly churned?: number;
  readonly events?: { readonly total: number; readonly byKind: Record<string, number> };
  readonly seconds: number;
}

export interface LoadOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  /** First day of the period (YYYY-MM-DD); `defaultStart(days, now)` ends it today. */
  readonly start: string;
  /** Resuming an interrupted load: the customers in the store are ours, load regardless. */
  readonly resume?: boolean;
}

/**
 * Loads the demo population straight into the store (storeSimulation: the processors' functions
 * without HTTP and SQS), unless the store already has customers: a data dir filled by
 * `winback import` or `simulate` is the user's, and gets no demo population on top (a resumed
 * load skips that check: the customers are from the interrupted load).
 */
export function loadDemo(ctx: PipelineContext, opts: LoadOptions): Promise<LoadReport> {
  return step('load', async () => {
    const t0 = performance.now();
    const existing = opts.resume ? 0 : (await listAllCustomers(ctx.stack.tableName)).length;
    if (existing > 0) {
      ctx.log(`load: the store already has ${existing.toLocaleString('en-US')} customers; no demo population loaded`);
      return { source: 'existing', customers: existing, seconds: seconds(t0) };
    }
    const options = { customers: opts.customers, days: opts.days, seed: opts.seed, start: opts.start };
    const period = resolvePeriod(options);
    if (opts.resume) ctx.log('load: resuming the load a previous start did not finish (same population; storing is idempotent)');
    ctx.log(`load: simulating ${opts.customers.toLocaleString('en-US')} customers over ${opts.days} days (${period.start.slice(0, 10)} .. ${period.end.slice(0, 10)}, seed ${opts.seed}) into the store`);
    const bar = ctx.progress.bar('load', opts.customers, 'customers');
    const run = await storeSimulation(options, { table: ctx.stack.tableName, retentionDays: getConfig().EVENT_RETENTION_DAYS }, (done) => bar.update(done)).finally(() =>
      bar.stop(),
    );
    return {
      source: 'simulated',
      customers: run.customers,
      days: opts.days,
      seed: opts.seed,
      start: period.start,
      end: period.end,
      churned: run.churned,
      events: { total: run.counts.total, byKind: { ...run.counts.byKind } },
      seconds: seconds(t0),
    };
  });
}

/* ---- train ---- */

export type TrainReport = TrainingOutcome & { readonly seconds: number };

/** `winback train`: churn and propensity against the baselines, registered; CLV refitted. */
export function train(ctx: PipelineContext, now: Date): Promise<TrainReport> {
  return step('train', async () => {
    const t0 = performance.now();
    ctx.log('train: churn and propensity models vs the baselines on a time holdout, then the CLV refit');
    let bar: ReturnType<Progress['bar']> | undefined;
    let stage = '';
    try {
      const result = await trainAndRegister({
        table: ctx.stack.tableName,
        registry: ctx.registry,
        now,
        onProgress: (p) => {
          const label = p.target ? `train ${p.target} ${p.stage}` : `train ${p.stage}`;
          if (label !== stage) {
            bar?.stop();
            stage = label;
            bar = ctx.progress.bar(label, p.total, p.stage === 'train' ? 'epochs' : '');
          }
          bar?.update(p.done);
        },
      });
      return { ...trainingOutcome(result), seconds: seconds(t0) };
    } finally {
      bar?.stop();
    }
  });
}

/* ---- score ---- */

export interface ScoreReport {
  readonly scoredAt: string;
  readonly customers: number;
  readonly skipped: number;
  readonly byTier: Record<string, number>;
  readonly byStage: Record<string, number>;
  /** Churn probability at or above the threshold: "at risk" as the overview and a customer's record mean it. */
  readonly atRisk: number;
  /** Customers in the lifecycle stage `at-risk` (at risk, and not new, lapsed or churned). */
  readonly atRiskStage: number;
  readonly crossings: { readonly up: number; readonly down: number; readonly threshold: number };
  readonly models: { readonly churn: string; readonly propensity: string; readonly clv: string };
  readonly seconds: number;
}

/** `winback score --at <at>`: every customer with the champions. */
export function score(ctx: PipelineContext, at: Date): Promise<ScoreReport> {
  return step('score', async () => {
    const t0 = performance.now();
    ctx.log(`score: every customer with the champions at ${at.toISOString()}`);
    let bar: ReturnType<Progress['bar']> | undefined;
    try {
      // The scoring state machine's Distributed Map on the local runner, as `winback score` runs it.
      const s = await scoreEveryone(ctx.stack.dataDir, {
        scoredAt: at,
        onStart: (total) => (bar = ctx.progress.bar('score', total, 'customers')),
        onProgress: (done) => bar?.update(done),
      });
      return {
        scoredAt: s.scoredAt,
        customers: s.customers,
        skipped: s.skipped,
        byTier: s.byTier,
        byStage: s.byStage,
        atRisk: s.atRisk,
        atRiskStage: s.byStage['at-risk'] ?? 0,
        crossings: { up: s.crossings.up, down: s.crossings.down, threshold: s.crossings.threshold },
        models: { churn: s.models.churn, propensity: s.models.propensity, clv: s.models.clv },
        seconds: seconds(t0),
      };
    } finally {
      bar?.stop();
    }
  });
}

/* ---- campaigns ---- */

export interface CampaignsReport {
  readonly campaigns: CampaignRunLine[];
  /** Files that did not validate: not run (as the trigger sweep skips them). */
  readonly invalid: string[];
  readonly seconds: number;
}

/**
 * `winback campaigns run <id>` for every active campaign of the directory, in file order, at
 * `at`, looking back 30 days, with the CLI's journey time scale (a 3-day wait takes 2.6 s).
 */
export function runCampaigns(ctx: PipelineContext, at: Date, timeScale: number = CLI_TIME_SCALE): Promise<CampaignsReport> {
  return step('campaigns', async () => {
    const t0 = performance.now();
    const files = await validateCampaigns(ctx.campaignsDir);
    const invalid = files.filter((f) => !f.campaign).map((f) => f.file);
    for (const file of invalid) ctx.log(`campaigns: ${file} does not validate; skipped (winback campaigns validate)`);
    const active = files.flatMap((f) => (f.campaign?.status === 'active' ? [f.campaign] : []));
    const lines: CampaignRunLine[] = [];
    for (const campaign of active) {
      const c0 = performance.now();
      ctx.log(`campaigns: ${campaign.id} (${campaign.trigger.type} trigger)`);
      const result = await step(`campaign ${campaign.id}`, () =>
        runCampaign(campaignStack(ctx.stack), campaign, { at, sinceMs: CYCLE_TRIGGER_LOOKBACK_MS, timeScale, campaignsDir: ctx.campaignsDir, log: (l) => ctx.log(`  ${l}`) }),
      );
      lines.push(campaignRunLine(campaign, result, seconds(c0)));
    }
    return { campaigns: lines, invalid, seconds: seconds(t0) };
  });
}

/* ---- responses ---- */

export interface ResponsesReport {
  readonly effect: number;
  readonly campaigns: ReadonlyArray<Pick<CampaignResponses, 'campaignId' | 'opened' | 'clicked' | 'orders' | 'trueUplift'>>;
  readonly seconds: number;
}

/**
 * `winback simulate --responses`: the demo's recipients open, click and order (through the API),
 * so the campaign reports and the console show a funnel and a measured uplift, not zeros.
 */
export function simulateCampaignResponses(ctx: PipelineContext, seed: number): Promise<ResponsesReport> {
  return step('responses', async () => {
    const t0 = performance.now();
    const valid = (await validateCampaigns(ctx.campaignsDir)).flatMap((r) => (r.campaign ? [r.campaign] : []));
    const campaigns = await campaignsWithLedger(ctx.stack.tableName, valid);
    ctx.log(`responses: simulated opens, clicks and orders of ${campaigns.length} campaign(s)' entrants (effect +${DEMO_EFFECT * 100}%)`);
    const r = await simulateResponses(ctx.stack, { campaigns, seed, effect: DEMO_EFFECT });
    return {
      effect: DEMO_EFFECT,
      campaigns: r.campaigns.map((c) => ({ campaignId: c.campaignId, opened: c.opened, clicked: c.clicked, orders: c.orders, trueUplift: c.trueUplift })),
      seconds: seconds(t0),
    };
  });
}

/** The demo's simulated treatment effect on conversion (relative), the CLI's default. */
const DEMO_EFFECT = 0.5;

/* ---- one cycle ---- */

export interface CycleReport {
  readonly at: string;
  readonly train: TrainReport;
  readonly score: ScoreReport;
  readonly campaigns: CampaignsReport;
  readonly responses?: ResponsesReport;
}

/**
 * Train, score, run the campaigns: what the schedules do over a day, once, at `at`. On a freshly
 * loaded demo population, everyone is first scored a week earlier: a first score is never a
 * threshold crossing, so without an earlier one the score-triggered win-back would have nobody
 * to enter. Then the recipients' responses are simulated.
 */
export async function runCycle(ctx: PipelineContext, at: Date, opts: { fresh?: boolean; seed?: number } = {}): Promise<CycleReport> {
  const trained = await train(ctx, at);
  if (opts.fresh) await score(ctx, new Date(at.getTime() - BASELINE_SCORE_AGE_MS));
  const scored = await score(ctx, at);
  const campaigns = await runCampaigns(ctx, at);
  const responses = opts.fresh ? await simulateCampaignResponses(ctx, opts.seed ?? 1) : undefined;
  return { at: at.toISOString(), train: trained, score: scored, campaigns, ...(responses ? { responses } : {}) };
}

const BASELINE_SCORE_AGE_MS = 7 * 86_400_000;
