import { predictProba, type TrainedModel } from '../churn-model.js';
import { binaryMetrics, calibrationTable, liftTable, precisionRecallCurve, rocCurve, type Metrics } from '../evaluate.js';
import { permutationImportance } from '../explain.js';
import type { LabelledRow, Target } from '../labels.js';
import { BaselineName, type ModelEvaluation } from './schema.js';

/**
 * The evaluation report kept with every churn / propensity version (`evaluation.json`), built
 * at registration from the holdout the registry judges the version on, so that its metrics are
 * the registry entry's, number for number.
 */

/** How many features the report ranks: enough for a chart, few enough to read. */
export const TOP_FEATURES = 15;

/** The baselines in words, for people who do not know the code names. */
export const BASELINE_LABELS: Readonly<Record<BaselineName, string>> = {
  recency: 'Recency: days since the last order',
  logisticRfm: 'Logistic regression on recency, frequency, spend and tenure',
  bgnbd: 'BG/NBD: expected purchases over the horizon',
};

/**
 * A baseline's holdout metrics, as the experiment reports them (its ScoreReport fits). They must
 * come from the same holdout rows the version is registered with.
 */
export interface BaselineMetricsInput {
  readonly metrics: Metrics;
}
export type BaselinesInput = Partial<Readonly<Record<BaselineName, BaselineMetricsInput>>>;

export interface HoldoutScores {
  readonly labels: number[];
  readonly probs: number[];
  readonly metrics: Metrics;
}

/** The model's calibrated probabilities and metrics on the holdout (computed once, shared with the entry). */
export function scoreHoldout(model: TrainedModel, holdout: readonly LabelledRow[]): HoldoutScores {
  const labels = holdout.map((r) => r.label as number);
  const probs = predictProba(model, holdout.map((r) => r.features));
  return { labels, probs, metrics: binaryMetrics(labels, probs) };
}

export interface EvaluationInput {
  readonly version: string;
  readonly target: Target;
  readonly createdAt: Date;
  readonly evalCutoff: string;
  readonly horizonDays: number;
  readonly model: TrainedModel;
  readonly holdout: readonly LabelledRow[];
  readonly scores: HoldoutScores;
  readonly baselines?: BaselinesInput;
  /** Seeds the permutation importance (the training seed: the same run gives the same report). */
  readonly seed: number;
}

export function buildEvaluation(input: EvaluationInput): ModelEvaluation {
  const { labels, probs, metrics } = input.scores;
  const importance = permutationImportance(
    input.model,
    input.holdout.map((r) => r.features),
    labels,
    { seed: input.seed },
  );
  return {
    schemaVersion: 1,
    version: input.version,
    model: input.target,
    createdAt: input.createdAt.toISOString(),
    holdout: { cutoff: input.evalCutoff, horizonDays: input.horizonDays, customers: metrics.n, positives: metrics.positives },
    metrics: { ...metrics },
    baselines: BaselineName.options.flatMap((name) => {
      const b = input.baselines?.[name];
      return b ? [{ name, label: BASELINE_LABELS[name], metrics: pickMetrics(b.metrics) }] : [];
    }),
    roc: rocCurve(labels, probs),
    pr: precisionRecallCurve(labels, probs),
    calibration: calibrationTable(labels, probs),
    lift: liftTable(labels, probs),
    featureImportance: importance.slice(0, TOP_FEATURES),
  };
}

/** Only the metric fields: a ScoreReport carries more, and the report stores exactly these. */
function pickMetrics(m: Metrics): Metrics {
  return { n: m.n, positives: m.positives, positiveRate: m.positiveRate, rocAuc: m.rocAuc, prAuc: m.prAuc, logLoss: m.logLoss, brier: m.brier };
}
