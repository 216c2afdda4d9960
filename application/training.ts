import { getConfig } from '../functions/commons/config.js';
import { trainModels, type TargetReport, type TrainModelsInput, type TrainModelsResult } from '../functions/jobs/training.js';

/**
 * Training by hand: churn and propensity against the baselines on a time holdout, registered
 * with the champion / challenger rule, and the CLV refit (functions/jobs/training.ts), with the
 * configured seed unless one is given. `winback train` and `winback start` both train through
 * here; the outcome below is what a summary says about one run.
 */
export type TrainOptions = Omit<TrainModelsInput, 'seed' | 'eventsByCustomer' | 'experiment'> & { readonly seed?: number };

export function trainAndRegister(opts: TrainOptions): Promise<TrainModelsResult> {
  const config = getConfig();
  return trainModels({ ...opts, seed: opts.seed ?? config.TRAINING_SEED, backtest: { minAuc: config.BACKTEST_MIN_AUC, ...opts.backtest } });
}

export interface ModelOutcome {
  readonly model: 'churn' | 'propensity';
  /** The champion after this run, and its ROC-AUC on this run's holdout. */
  readonly champion: string | null;
  readonly championRocAuc?: number;
  /** The version trained in this run and what the registry decided. */
  readonly trained: string;
  readonly trainedRocAuc: number;
  readonly decision: string;
  readonly bestBaseline: { readonly name: string; readonly rocAuc: number };
  readonly beatsAllBaselines: boolean;
}

export interface TrainingOutcome {
  readonly churn?: ModelOutcome;
  readonly propensity?: ModelOutcome;
  readonly clv: { readonly version: string; readonly fit: 'ok' | 'degenerate'; readonly decision: string; readonly customers: number };
}

export function modelOutcome(r: TargetReport): ModelOutcome {
  const [bestName, best] = Object.entries(r.baselines).reduce((a, b) => (b[1].rocAuc > a[1].rocAuc ? b : a));
  const promoted = r.registry.decision === 'promoted';
  const championRocAuc = promoted ? r.metrics.rocAuc : r.registry.championMetrics?.rocAuc;
  return {
    model: r.model,
    champion: promoted ? r.version : r.registry.champion,
    ...(championRocAuc !== undefined ? { championRocAuc } : {}),
    trained: r.version,
    trainedRocAuc: r.metrics.rocAuc,
    decision: r.registry.decision,
    bestBaseline: { name: bestName, rocAuc: best.rocAuc },
    beatsAllBaselines: r.beatsAllBaselines,
  };
}

export function trainingOutcome(result: TrainModelsResult): TrainingOutcome {
  return {
    ...(result.reports.churn ? { churn: modelOutcome(result.reports.churn) } : {}),
    ...(result.reports.propensity ? { propensity: modelOutcome(result.reports.propensity) } : {}),
    clv: { version: result.clv.version, fit: result.clv.bgnbd.degenerate ? 'degenerate' : 'ok', decision: result.clv.decision, customers: result.clv.customers },
  };
}
