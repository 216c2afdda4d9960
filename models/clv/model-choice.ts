/**
 * BG/NBD or Pareto/NBD: both are fitted on the calibration period and asked to forecast each
 * customer's purchases in the holdout period (the same split as `winback clv fit --cutoff`);
 * the one with the lower holdout error wins. The error is the per-customer RMSE of predicted vs
 * actual holdout transactions (MAE and the aggregate forecast are reported alongside). Without a
 * holdout (no purchases after the cutoff can be observed) the choice falls back to the
 * calibration log-likelihood, a fair comparison since both models have four parameters.
 */
import { expectedPurchases, fitBgNbd, pAlive, type BgNbdFit, type CustomerRft } from './bgnbd.js';
import { fitParetoNbd, paretoNbdExpectedPurchases, paretoNbdPAlive, type ParetoNbdFit } from './pareto-nbd.js';

export type ClvModelKind = 'bgnbd' | 'pareto-nbd';
export type ClvModelOption = ClvModelKind | 'auto';

export interface HoldoutError {
  /** Holdout length in model units. */
  readonly length: number;
  readonly customers: number;
  readonly actual: number;
  readonly predicted: number;
  readonly mae: number;
  readonly rmse: number;
}

export interface CustomerWithHoldout extends CustomerRft {
  /** Transactions in the holdout period. */
  readonly holdout: number;
}

/** A fitted model behind one interface, for forecasts and plots. */
export interface FittedClvModel {
  readonly kind: ClvModelKind;
  readonly logLikelihood: number;
  readonly expected: (t: number, c: CustomerRft) => number;
  readonly pAlive: (c: CustomerRft) => number;
}

export function bgnbdModel(fit: BgNbdFit): FittedClvModel {
  return { kind: 'bgnbd', logLikelihood: fit.logLikelihood, expected: (t, c) => expectedPurchases(fit, t, c), pAlive: (c) => pAlive(fit, c) };
}

export function paretoNbdModel(fit: ParetoNbdFit): FittedClvModel {
  return {
    kind: 'pareto-nbd',
    logLikelihood: fit.logLikelihood,
    expected: (t, c) => paretoNbdExpectedPurchases(fit, t, c),
    pAlive: (c) => paretoNbdPAlive(fit, c),
  };
}

export function holdoutError(model: FittedClvModel, customers: readonly CustomerWithHoldout[], length: number): HoldoutError {
  let actual = 0;
  let predicted = 0;
  let abs = 0;
  let sq = 0;
  for (const c of customers) {
    const p = model.expected(length, c);
    actual += c.holdout;
    predicted += p;
    abs += Math.abs(p - c.holdout);
    sq += (p - c.holdout) ** 2;
  }
  const n = Math.max(customers.length, 1);
  return { length, customers: customers.length, actual, predicted, mae: abs / n, rmse: Math.sqrt(sq / n) };
}

export interface ClvModelChoice {
  readonly chosen: ClvModelKind;
  readonly reason: string;
  readonly bgnbd: { readonly fit: BgNbdFit; readonly holdout?: HoldoutError };
  readonly paretoNbd?: { readonly fit: ParetoNbdFit; readonly holdout?: HoldoutError };
}

/**
 * Fits what `option` asks for and chooses. `holdoutLength` (model units) > 0 means the
 * customers' `holdout` counts cover that long a period after the calibration end.
 */
export function chooseClvModel(customers: readonly CustomerWithHoldout[], option: ClvModelOption, holdoutLength: number): ClvModelChoice {
  const withHoldout = holdoutLength > 0;
  // BG/NBD is always fitted: it is the model the scores are built on, and the reference.
  const bg = fitBgNbd(customers);
  const pn = option !== 'bgnbd' ? fitParetoNbd(customers) : undefined;
  const bgEntry = { fit: bg, ...(withHoldout ? { holdout: holdoutError(bgnbdModel(bg), customers, holdoutLength) } : {}) };
  const pnEntry = pn ? { fit: pn, ...(withHoldout ? { holdout: holdoutError(paretoNbdModel(pn), customers, holdoutLength) } : {}) } : undefined;
  const parts = { bgnbd: bgEntry, ...(pnEntry ? { paretoNbd: pnEntry } : {}) };
  if (option !== 'auto') return { chosen: option, reason: `--model ${option}`, ...parts };
  const b = bgEntry;
  const p = pnEntry!;
  if (b.holdout && p.holdout) {
    const chosen: ClvModelKind = p.holdout.rmse < b.holdout.rmse ? 'pareto-nbd' : 'bgnbd';
    return {
      chosen,
      reason: `lower holdout RMSE per customer over ${fmt(holdoutLength)} units: BG/NBD ${fmt(b.holdout.rmse)}, Pareto/NBD ${fmt(p.holdout.rmse)} (ties keep BG/NBD)`,
      ...parts,
    };
  }
  const chosen: ClvModelKind = p.fit.logLikelihood > b.fit.logLikelihood ? 'pareto-nbd' : 'bgnbd';
  return {
    chosen,
    reason: `no holdout after the cutoff: higher calibration log-likelihood (both have 4 parameters): BG/NBD ${b.fit.logLikelihood.toFixed(1)}, Pareto/NBD ${p.fit.logLikelihood.toFixed(1)}`,
    ...parts,
  };
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}

export interface ClvMatrix {
  /** Row i is frequency x = i. */
  readonly frequencies: number[];
  /** Column j is recency t_x = recencies[j]. */
  readonly recencies: number[];
  readonly T: number;
  readonly values: number[][];
}

/**
 * The frequency/recency matrix (expected purchases in the next `t` units) and the P(alive)
 * matrix of lifetimes' plots, for a customer observed for T units (default the longest T):
 * row x, column t_x. Cells with t_x > 0 but x = 0 cannot occur (recency is 0 without a repeat
 * purchase): the x = 0 row repeats its t_x = 0 value.
 */
export function clvMatrices(
  model: FittedClvModel,
  opts: { readonly maxFrequency: number; readonly T: number; readonly t?: number; readonly recencySteps?: number },
): { expected: ClvMatrix; alive: ClvMatrix } {
  const t = opts.t ?? 1;
  const steps = opts.recencySteps ?? Math.min(40, Math.max(1, Math.ceil(opts.T)));
  const recencies = Array.from({ length: steps + 1 }, (_, j) => (opts.T * j) / steps);
  const frequencies = Array.from({ length: opts.maxFrequency + 1 }, (_, i) => i);
  const expected: number[][] = [];
  const alive: number[][] = [];
  for (const x of frequencies) {
    const e: number[] = [];
    const a: number[] = [];
    for (const tx of recencies) {
      const c = { x, t_x: x === 0 ? 0 : tx, T: opts.T };
      e.push(model.expected(t, c));
      a.push(model.pAlive(c));
    }
    expected.push(e);
    alive.push(a);
  }
  return { expected: { frequencies, recencies, T: opts.T, values: expected }, alive: { frequencies, recencies, T: opts.T, values: alive } };
}
