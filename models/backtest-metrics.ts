import { calibrationTable, liftTable, MetricInputError, rocAuc } from './evaluate.js';

/**
 * Realised prediction quality of scores given one horizon ago (the live backtest): ROC-AUC,
 * lift of the top-scored tenth, and expected calibration error over ten equal-width bins.
 * Pure functions of (labels, probabilities); the orchestration is functions/jobs/backtest.ts.
 */

export interface BacktestMetrics {
  readonly n: number;
  readonly positives: number;
  /** null when only one class occurred (the AUC is undefined, and JSON has no NaN). */
  readonly auc: number | null;
  readonly topDecileLift: number;
  readonly ece: number;
}

/**
 * Expected calibration error: sum over bins of (bin share of rows) x |mean predicted - observed
 * rate|, with the same equal-width bins as the evaluation report's calibration table.
 */
export function expectedCalibrationError(labels: readonly number[], probs: readonly number[], bins = 10): number {
  if (labels.length === 0) throw new MetricInputError('ECE of no rows');
  const n = labels.length;
  return calibrationTable(labels, probs, bins).reduce((acc, b) => acc + (b.count / n) * Math.abs(b.meanPredicted - b.observedRate), 0);
}

/** Positive rate of the highest-scored tenth (ceil, at least one row) over the overall rate; 0 when there are no positives. */
export function topDecileLift(labels: readonly number[], scores: readonly number[]): number {
  if (labels.length === 0) throw new MetricInputError('lift of no rows');
  // liftTable cuts floor(n/10) rows for the first decile, which is empty below ten rows.
  if (labels.length >= 10) return liftTable(labels, scores)[0]?.lift ?? 0;
  const base = labels.reduce((a, y) => a + y, 0) / labels.length;
  if (base === 0) return 0;
  const top = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)[0] as number;
  return (labels[top] as number) / base;
}

export function backtestMetrics(labels: readonly number[], probs: readonly number[]): BacktestMetrics {
  const positives = labels.reduce((a, y) => a + y, 0);
  const bothClasses = positives > 0 && positives < labels.length;
  return {
    n: labels.length,
    positives,
    auc: bothClasses ? rocAuc(labels, probs) : null,
    topDecileLift: topDecileLift(labels, probs),
    ece: expectedCalibrationError(labels, probs),
  };
}
