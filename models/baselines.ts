import { expectedPurchases, fitBgNbd, type BgNbdFit, type CustomerRft } from './clv/bgnbd.js';
import { rfmSummary } from './data/rfm.js';
import type { EventsByCustomer, LabelledRow, Target } from './labels.js';
import { applyPlatt, columnStats, fitLogistic, fitPlatt, predictLogistic, standardise, type LogisticModel, type PlattCalibration } from './logistic.js';

/**
 * The simple models every churn / propensity model must beat on the same time split. Each
 * baseline turns a row into a score (higher = more likely positive) using only what was known at
 * the row's cutoff, learns anything it needs from training rows only, and gets probabilities by
 * Platt scaling on the training rows (so log loss and Brier are comparable with the model's).
 *
 * (a) recency: days since the last order (or its negative for propensity). No fitting at all.
 * (b) logisticRfm: logistic regression on log recency, log frequency, log monetary, tenure and
 *     log average order value, standardised with training statistics, L2-penalised.
 * (c) bgnbd: BG/NBD fitted on the purchase history before each cutoff (it needs no labels),
 *     scored by expected purchases over the horizon, negated for churn.
 */

export type BaselineName = 'recency' | 'logisticRfm' | 'bgnbd';

export interface BaselineScores {
  readonly name: BaselineName;
  readonly description: string;
  /** Holdout scores, higher = more likely the positive class. */
  readonly scores: number[];
  /** Holdout probabilities (Platt-scaled on training rows). */
  readonly probs: number[];
  readonly calibration: PlattCalibration;
  /** Fitted parameters worth reporting (coefficients, BG/NBD parameters). */
  readonly details: Record<string, unknown>;
  readonly warnings: string[];
}

const sign = (target: Target): number => (target === 'churn' ? 1 : -1);

function plattFromTraining(trainScores: readonly number[], train: readonly LabelledRow[]): PlattCalibration {
  return fitPlatt(trainScores, train.map((r) => r.label));
}

/** (a) Recency alone. The score is log1p(days) so that Platt scaling fits well; the order is that of recency. */
export function recencyBaseline(train: readonly LabelledRow[], holdout: readonly LabelledRow[], target: Target): BaselineScores {
  const score = (r: LabelledRow) => sign(target) * Math.log1p(r.features.recency_days);
  const calibration = plattFromTraining(train.map(score), train);
  const scores = holdout.map(score);
  return {
    name: 'recency',
    description: target === 'churn' ? 'days since the last order' : 'minus days since the last order',
    scores,
    probs: scores.map((s) => applyPlatt(calibration, s)),
    calibration,
    details: {},
    warnings: [],
  };
}

export const RFM_INPUTS = ['log recency', 'log frequency', 'log monetary', 'tenure (days)', 'log average order value'] as const;

function rfmInputs(r: LabelledRow): number[] {
  const f = r.features;
  return [
    Math.log1p(f.recency_days),
    Math.log1p(f.frequency),
    Math.log1p(f.monetary),
    f.tenure_days,
    // AOV is heavily right-skewed (a few wholesale orders); the log keeps them from dominating.
    Math.log1p(f.avg_order_value),
  ];
}

/** (b) Logistic regression on RFM + tenure + AOV. */
export function logisticRfmBaseline(
  train: readonly LabelledRow[],
  holdout: readonly LabelledRow[],
  options: { l2?: number } = {},
): BaselineScores {
  const xTrain = train.map(rfmInputs);
  const stats = columnStats(xTrain);
  const model: LogisticModel = fitLogistic(
    xTrain.map((x) => standardise(x, stats)),
    train.map((r) => r.label),
    { l2: options.l2 ?? 1 },
  );
  // Already a probability model fitted by maximum likelihood on the training rows; its own
  // output is its calibration (identity Platt).
  const probs = holdout.map((r) => predictLogistic(model, standardise(rfmInputs(r), stats)));
  return {
    name: 'logisticRfm',
    description: `logistic regression on ${RFM_INPUTS.join(', ')} (standardised, L2)`,
    scores: probs,
    probs,
    calibration: { method: 'platt', a: 1, b: 0 },
    details: { inputs: RFM_INPUTS, intercept: model.intercept, coefficients: model.coefficients, standardisation: stats },
    warnings: model.converged ? [] : ['logistic regression did not converge'],
  };
}

const DAY_MS = 86_400_000;
const WEEK_DAYS = 7;

/** BG/NBD inputs (weeks, literature conventions) of every customer with a purchase before `cutoff`. */
export function rftAtCutoff(eventsByCustomer: EventsByCustomer, cutoff: Date): Map<string, CustomerRft> {
  const cut = cutoff.getTime();
  const purchases: Array<{ customerId: string; timestamp: string; value: number }> = [];
  for (const [customerId, events] of eventsByCustomer) {
    for (const e of events) {
      if (e.kind !== 'order' || e.order?.status !== 'placed') continue;
      if (!(Date.parse(e.timestamp) < cut)) continue;
      purchases.push({ customerId, timestamp: e.timestamp, value: e.order.total });
    }
  }
  const out = new Map<string, CustomerRft>();
  if (purchases.length === 0) return out;
  // The calibration period is the days strictly before the cutoff: its last day is the one
  // containing cutoff - 1 ms (the cutoff is midnight in every use; purchases are filtered above anyway).
  const calibrationEnd = new Date(Math.floor((cut - 1) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  for (const s of rfmSummary(purchases, { calibrationEnd, unit: 'weeks' })) {
    out.set(s.customerId, { x: s.x, t_x: s.t_x, T: s.T });
  }
  return out;
}

/** (c) BG/NBD expected purchases over the horizon, one fit per cutoff on data before it. */
export function bgnbdBaseline(
  eventsByCustomer: EventsByCustomer,
  train: readonly LabelledRow[],
  holdout: readonly LabelledRow[],
  horizonDays: number,
  target: Target,
): BaselineScores {
  const fits = new Map<string, { fit: BgNbdFit; rft: Map<string, CustomerRft> }>();
  const warnings: string[] = [];
  const fitAt = (cutoff: string) => {
    let f = fits.get(cutoff);
    if (!f) {
      const rft = fitInputsAt(eventsByCustomer, cutoff);
      const fit = fitBgNbd([...rft.values()]);
      for (const w of fit.warnings) warnings.push(`${cutoff.slice(0, 10)}: ${w}`);
      f = { fit, rft };
      fits.set(cutoff, f);
    }
    return f;
  };
  const score = (r: LabelledRow): number => {
    const { fit, rft } = fitAt(r.cutoff);
    const c = rft.get(r.customerId) ?? { x: 0, t_x: 0, T: 0 };
    const e = expectedPurchases(fit, horizonDays / WEEK_DAYS, c);
    // log1p keeps the Platt fit well-conditioned; the ranking is that of expected purchases.
    return -sign(target) * Math.log1p(Number.isFinite(e) ? e : 0);
  };
  const calibration = plattFromTraining(train.map(score), train);
  const scores = holdout.map(score);
  const evalCutoff = holdout[0]?.cutoff;
  const evalFit = evalCutoff ? fits.get(evalCutoff)?.fit : undefined;
  return {
    name: 'bgnbd',
    description: `BG/NBD expected purchases in the next ${horizonDays} days${target === 'churn' ? ' (negated)' : ''}`,
    scores,
    probs: scores.map((s) => applyPlatt(calibration, s)),
    calibration,
    details: evalFit
      ? { r: evalFit.r, alpha: evalFit.alpha, a: evalFit.a, b: evalFit.b, logLikelihood: evalFit.logLikelihood, degenerate: evalFit.degenerate, penalty: evalFit.penalty, unit: 'weeks' }
      : {},
    warnings,
  };
}

function fitInputsAt(eventsByCustomer: EventsByCustomer, cutoffIso: string): Map<string, CustomerRft> {
  return rftAtCutoff(eventsByCustomer, new Date(cutoffIso));
}
