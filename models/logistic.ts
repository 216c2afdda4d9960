import { WinbackError } from '../kernel/errors.js';

/**
 * A small, exact logistic regression in plain JS (Newton-Raphson / IRLS with an L2 penalty on
 * the coefficients, not the intercept). Used for the RFM baseline and for Platt scaling: both
 * have a handful of inputs, where Newton converges in a few steps to the unique optimum, so the
 * result is deterministic and needs no learning rate or seed.
 */

export class LogisticFitError extends WinbackError {}

export interface LogisticModel {
  readonly intercept: number;
  readonly coefficients: readonly number[];
  readonly iterations: number;
  readonly converged: boolean;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Solve A x = b for a small symmetric positive definite A (Gaussian elimination, partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number)) pivot = r;
    }
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const p = (m[col] as number[])[col] as number;
    if (Math.abs(p) < 1e-12) throw new LogisticFitError('singular Hessian in logistic regression');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = m[r] as number[];
      const f = (row[col] as number) / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - f * ((m[col] as number[])[c] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

export interface LogisticOptions {
  /** L2 penalty on coefficients (not the intercept), in units of the summed log-likelihood. */
  readonly l2?: number;
  /** Per-row weights (class weights); default 1. */
  readonly weights?: readonly number[];
  readonly maxIterations?: number;
}

/** Fit P(y=1|x) = sigmoid(b0 + b.x) by penalised maximum likelihood. */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: LogisticOptions = {}): LogisticModel {
  const n = x.length;
  if (n === 0 || n !== y.length) throw new LogisticFitError(`need matching non-empty x and y (got ${n} and ${y.length})`);
  const d = (x[0] as readonly number[]).length;
  const l2 = options.l2 ?? 1e-4;
  const maxIter = options.maxIterations ?? 50;
  const beta = new Array<number>(d + 1).fill(0); // [intercept, ...coefficients]
  let converged = false;
  let iter = 0;
  for (; iter < maxIter && !converged; iter++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const row = x[i] as readonly number[];
      const w = options.weights?.[i] ?? 1;
      let z = beta[0] as number;
      for (let j = 0; j < d; j++) z += (beta[j + 1] as number) * (row[j] as number);
      const p = sigmoid(z);
      const r = w * ((y[i] as number) - p);
      const s = w * Math.max(p * (1 - p), 1e-10);
      for (let j = 0; j <= d; j++) {
        const xj = j === 0 ? 1 : (row[j - 1] as number);
        grad[j] = (grad[j] as number) + r * xj;
        const hj = hess[j] as number[];
        for (let k = 0; k <= j; k++) {
          const xk = k === 0 ? 1 : (row[k - 1] as number);
          hj[k] = (hj[k] as number) + s * xj * xk;
        }
      }
    }
    for (let j = 0; j <= d; j++) {
      for (let k = 0; k < j; k++) (hess[k] as number[])[j] = (hess[j] as number[])[k] as number;
      if (j > 0) {
        grad[j] = (grad[j] as number) - l2 * (beta[j] as number);
        (hess[j] as number[])[j] = ((hess[j] as number[])[j] as number) + l2;
      }
    }
    // A tiny ridge on the intercept keeps a separable 1-D problem (Platt on a perfect ranker) finite.
    (hess[0] as number[])[0] = ((hess[0] as number[])[0] as number) + 1e-9;
    const step = solve(hess, grad);
    let maxStep = 0;
    for (let j = 0; j <= d; j++) {
      beta[j] = (beta[j] as number) + (step[j] as number);
      maxStep = Math.max(maxStep, Math.abs(step[j] as number));
    }
    if (!beta.every(Number.isFinite)) throw new LogisticFitError('logistic regression diverged');
    converged = maxStep < 1e-8;
  }
  return { intercept: beta[0] as number, coefficients: beta.slice(1), iterations: iter, converged };
}

export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  let z = model.intercept;
  model.coefficients.forEach((b, j) => {
    z += b * (row[j] as number);
  });
  return sigmoid(z);
}

/** Platt scaling: p = sigmoid(a * score + b), fitted on held-out scores and labels. */
export interface PlattCalibration {
  readonly method: 'platt';
  readonly a: number;
  readonly b: number;
}

export function fitPlatt(scores: readonly number[], labels: readonly number[]): PlattCalibration {
  const m = fitLogistic(
    scores.map((s) => [s]),
    labels,
    { l2: 1e-6 },
  );
  return { method: 'platt', a: m.coefficients[0] as number, b: m.intercept };
}

export function applyPlatt(c: PlattCalibration, score: number): number {
  return sigmoid(c.a * score + c.b);
}

/** Mean and standard deviation per column; zero-variance columns get std 0 (see `standardise`). */
export interface ColumnStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export function columnStats(x: readonly (readonly number[])[]): ColumnStats {
  const d = (x[0] ?? []).length;
  const mean = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / Math.max(1, x.length);
  for (const row of x) for (let j = 0; j < d; j++) sq[j] = (sq[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  const std = sq.map((s) => Math.sqrt(s / Math.max(1, x.length)));
  return { mean, std };
}

/**
 * Standardise one row with training statistics. A column that was constant in training carries
 * no information the model could have learned, so it is mapped to 0 rather than divided by ~0:
 * a new data source appearing at scoring time cannot then push untrained weights around.
 * Values are clipped to +-8 standard deviations for the same reason (an extreme customer should
 * not produce an extreme logit from a linear extrapolation).
 */
export function standardise(row: readonly number[], stats: ColumnStats): number[] {
  return row.map((v, j) => {
    const s = stats.std[j] as number;
    if (!(s > 1e-9)) return 0;
    const z = (v - (stats.mean[j] as number)) / s;
    return Math.max(-8, Math.min(8, z));
  });
}
