import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { disposeModel, type TrainOptions } from '../../models/churn-model.js';
import type { Metrics } from '../../models/evaluate.js';
import { runExperiment, type ComparisonRow } from '../../models/experiment.js';
import {
  addDays,
  buildTrainingSet,
  DEFAULT_CHURN_HORIZON_DAYS,
  DEFAULT_PROPENSITY_HORIZON_DAYS,
  type Target,
} from '../../models/labels.js';
import { fitClvModel } from '../../models/registry/clv-model.js';
import type { ModelRegistry, RegistrationResult } from '../../models/registry/registry.js';
import type { BaselineName } from '../../models/baselines.js';
import { WinbackError } from '../../kernel/errors.js';
import { listAllCustomers, loadEventsByCustomer } from './customer-events.js';
import { erasedCustomers } from '../privacy/erasure-service.js';
import { describeBacktest, runBacktest, type BacktestOutcome } from './backtest.js';

/**
 * The training job: every customer's events from the table, one experiment per target
 * (rolling training cutoffs, time holdout, baselines: models/experiment.ts), each model
 * registered with the champion / challenger rule, and the CLV models refitted and registered.
 */
export class NoTrainingDataError extends WinbackError {}

export type TrainingStage = 'customers' | 'events' | 'features' | 'train' | 'baselines' | 'evaluate' | 'register' | 'clv';

export interface TrainingProgress {
  readonly stage: TrainingStage;
  readonly target?: Target;
  readonly done: number;
  readonly total: number;
  readonly detail?: string;
}

export interface TrainModelsInput {
  readonly table: string;
  readonly registry: ModelRegistry;
  readonly targets?: readonly Target[];
  /** Evaluation cutoff; default per target: the day after the last event minus its horizon. */
  readonly cutoff?: Date;
  /** Horizon for every target trained; default 90 days (churn), 30 days (propensity). */
  readonly horizonDays?: number;
  readonly seed: number;
  /** Registration time (version ids, history). */
  readonly now: Date;
  /** The customers to train on (a sample drawn from the feature shards); default: every customer. */
  readonly customerIds?: readonly string[];
  /** Already loaded events (tests, benchmarks); default: read from the table. */
  readonly eventsByCustomer?: ReadonlyMap<string, readonly StoredEvent[]>;
  /** Overrides of the experiment (tests use fewer cutoffs and epochs). */
  readonly experiment?: {
    readonly cutoffCount?: number;
    readonly cutoffStepDays?: number;
    readonly train?: Partial<Omit<TrainOptions, 'seed' | 'onEpoch'>>;
  };
  readonly onProgress?: (p: TrainingProgress) => void;
  /** Live backtest of the previous champion (functions/jobs/backtest.ts): flag below this realised AUC (default 0.6). */
  readonly backtest?: { readonly minAuc?: number; readonly toleranceDays?: number };
}

export interface TargetReport {
  readonly model: Target;
  readonly version: string;
  readonly evalCutoff: string;
  readonly horizonDays: number;
  readonly trainCutoffs: string[];
  readonly metrics: Metrics;
  readonly baselines: Record<BaselineName, Metrics>;
  readonly comparison: ComparisonRow[];
  readonly beatsAllBaselines: boolean;
  readonly registry: {
    readonly decision: RegistrationResult['decision'];
    readonly reason: string;
    readonly champion: string | null;
    readonly championMetrics?: Metrics;
  };
  readonly data: { readonly trainRows: number; readonly holdoutRows: number; readonly holdoutPositiveRate: number; readonly customers: number; readonly events: number };
  readonly backend: string;
  readonly timings: { readonly trainMs: number; readonly totalMs: number };
  readonly warnings: string[];
  /** The previous champion's live backtest (recorded on its registry entry), or why there was none. */
  readonly backtest: BacktestOutcome;
  /** The backtest as one summary line. */
  readonly backtestSummary: string;
}

export interface ClvReport {
  readonly version: string;
  readonly decision: RegistrationResult['decision'];
  readonly reason: string;
  readonly asOf: string;
  readonly customers: number;
  readonly bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; degenerate: boolean };
  readonly gammaGamma: { p: number; q: number; gamma: number };
  readonly tierThresholds: { diamond: number; gold: number; silver: number };
  readonly warnings: string[];
}

export interface TrainModelsResult {
  readonly versions: { churn?: string; propensity?: string; clv: string };
  /** Versions that became champion in this run. */
  readonly promoted: string[];
  readonly metrics: { churn?: Metrics; propensity?: Metrics };
  readonly reports: { churn?: TargetReport; propensity?: TargetReport };
  readonly clv: ClvReport;
}

const DAY_MS = 86_400_000;

export const defaultHorizon = (target: Target): number =>
  target === 'churn' ? DEFAULT_CHURN_HORIZON_DAYS : DEFAULT_PROPENSITY_HORIZON_DAYS;

/** Midnight (UTC) after the last event: the end of the data. */
export function dataEnd(eventsByCustomer: ReadonlyMap<string, readonly StoredEvent[]>): Date | undefined {
  let last = -Infinity;
  for (const events of eventsByCustomer.values()) {
    for (const e of events) {
      const t = Date.parse(e.timestamp);
      if (Number.isFinite(t) && t > last) last = t;
    }
  }
  return Number.isFinite(last) ? new Date((Math.floor(last / DAY_MS) + 1) * DAY_MS) : undefined;
}

async function loadPopulation(input: TrainModelsInput): Promise<ReadonlyMap<string, readonly StoredEvent[]>> {
  if (input.eventsByCustomer) return input.eventsByCustomer;
  const progress = input.onProgress ?? (() => undefined);
  progress({ stage: 'customers', done: 0, total: 1 });
  const listed = input.customerIds ?? (await listAllCustomers(input.table));
  // Erased customers (tombstones) never train a model, even if their events came back.
  const erased = await erasedCustomers(input.table, listed);
  const ids = erased.size > 0 ? listed.filter((id) => !erased.has(id)) : listed;
  progress({ stage: 'customers', done: 1, total: 1, detail: `${ids.length} customers${erased.size > 0 ? ` (${erased.size} erased left out)` : ''}` });
  return loadEventsByCustomer(input.table, ids, { onProgress: (done, total) => progress({ stage: 'events', done, total }) });
}

export async function trainModels(input: TrainModelsInput): Promise<TrainModelsResult> {
  const progress = input.onProgress ?? (() => undefined);
  const targets: Target[] = [...new Set<Target>(input.targets ?? ['churn', 'propensity'])];
  const population = await loadPopulation(input);
  const end = dataEnd(population);
  if (!end) throw new NoTrainingDataError('no events in the table: ingest or import some first');

  const versions: { churn?: string; propensity?: string; clv?: string } = {};
  const metrics: TrainModelsResult['metrics'] = {};
  const reports: TrainModelsResult['reports'] = {};
  const promoted: string[] = [];
  for (const target of targets) {
    const horizonDays = input.horizonDays ?? defaultHorizon(target);
    const evalCutoff = input.cutoff ?? addDays(end, -horizonDays);
    const maxEpochs = input.experiment?.train?.maxEpochs ?? 80;
    // Before this run registers anything: the champion whose earlier scores are backtested.
    const before = await input.registry.readIndex(target);
    const previousChampion = before.versions.find((v) => v.version === before.champion);
    const result = await runExperiment({
      eventsByCustomer: population,
      evalCutoff,
      horizonDays,
      target,
      seed: input.seed,
      ...(input.experiment?.cutoffCount !== undefined ? { cutoffCount: input.experiment.cutoffCount } : {}),
      ...(input.experiment?.cutoffStepDays !== undefined ? { cutoffStepDays: input.experiment.cutoffStepDays } : {}),
      train: {
        ...input.experiment?.train,
        onEpoch: (epoch) => progress({ stage: 'train', target, done: epoch, total: maxEpochs }),
      },
      onProgress: (stage, detail) => progress({ stage, target, done: 0, total: 1, detail }),
    });
    try {
      progress({ stage: 'register', target, done: 0, total: 1 });
      const holdout = buildTrainingSet(population, [evalCutoff], horizonDays, { target });
      const registration = await input.registry.registerTrained({
        model: result.model,
        provenance: result.provenance,
        holdout,
        createdAt: input.now,
        // Measured on the same holdout rows: kept in the version's evaluation report.
        baselines: result.baselines,
      });
      if (registration.decision === 'promoted') promoted.push(registration.version);
      const backtest = await runBacktest({
        registry: input.registry,
        target,
        champion: previousChampion,
        population,
        end,
        now: input.now,
        horizonDays,
        ...(input.backtest?.minAuc !== undefined ? { minAuc: input.backtest.minAuc } : {}),
        ...(input.backtest?.toleranceDays !== undefined ? { toleranceDays: input.backtest.toleranceDays } : {}),
      });
      versions[target] = registration.version;
      metrics[target] = result.metrics;
      reports[target] = {
        model: target,
        version: registration.version,
        evalCutoff: result.evalCutoff,
        horizonDays,
        trainCutoffs: result.trainCutoffs,
        metrics: result.metrics,
        baselines: {
          recency: result.baselines.recency.metrics,
          logisticRfm: result.baselines.logisticRfm.metrics,
          bgnbd: result.baselines.bgnbd.metrics,
        },
        comparison: result.comparison,
        beatsAllBaselines: result.beatsAllBaselines,
        registry: {
          decision: registration.decision,
          reason: registration.reason,
          champion: registration.champion,
          ...(registration.championMetrics ? { championMetrics: registration.championMetrics } : {}),
        },
        data: {
          trainRows: result.data.trainRows,
          holdoutRows: result.data.holdoutRows,
          holdoutPositiveRate: result.data.holdoutPositiveRate,
          customers: result.data.customers,
          events: result.data.events,
        },
        backend: result.backend.name,
        timings: { trainMs: result.timings.trainMs, totalMs: result.timings.totalMs },
        warnings: result.warnings,
        backtest,
        backtestSummary: describeBacktest(target, backtest),
      };
      progress({ stage: 'register', target, done: 1, total: 1, detail: registration.decision });
    } finally {
      disposeModel(result.model);
    }
  }

  progress({ stage: 'clv', done: 0, total: 1 });
  const clv = fitClvModel(population, end);
  const clvRegistration = await input.registry.registerClv({ clv, createdAt: input.now });
  if (clvRegistration.decision === 'promoted') promoted.push(clvRegistration.version);
  progress({ stage: 'clv', done: 1, total: 1 });
  return {
    versions: { ...versions, clv: clvRegistration.version },
    promoted,
    metrics,
    reports,
    clv: {
      version: clvRegistration.version,
      decision: clvRegistration.decision,
      reason: clvRegistration.reason,
      asOf: clv.asOf,
      customers: clv.customers,
      bgnbd: { r: clv.bgnbd.r, alpha: clv.bgnbd.alpha, a: clv.bgnbd.a, b: clv.bgnbd.b, logLikelihood: clv.bgnbd.logLikelihood, degenerate: clv.bgnbd.degenerate },
      gammaGamma: { p: clv.gammaGamma.p, q: clv.gammaGamma.q, gamma: clv.gammaGamma.gamma },
      tierThresholds: clv.tierThresholds,
      warnings: clv.warnings,
    },
  };
}
