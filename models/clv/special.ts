/**
 * Special functions for the CLV models, written out because the project carries no numeric
 * library. Everything works in log space where magnitudes explode (gamma of large arguments,
 * likelihood terms of customers with many purchases).
 */
import { ConvergenceError, NumericalDomainError } from './errors.js';

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients): ~15 significant digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln |Γ(x)|. Lanczos for x >= 0.5, the reflection formula below (so small shape parameters,
 * which the optimiser visits, keep full precision instead of losing it in 1/x).
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity; // poles
  if (x < 0.5) {
    // Γ(x) Γ(1-x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_G + 2; i++) sum += LANCZOS_COEFFICIENTS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a+b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * ln Γ(a + n) − ln Γ(a) (log rising factorial). For small integer n a sum of logs: exact to
 * rounding even when a is huge, where the difference of two large lgamma values would cancel
 * (BG/NBD drives b towards 1e6 on degenerate data and needs lnΓ(b+x) − lnΓ(b)).
 */
export function logPochhammer(a: number, n: number): number {
  if (Number.isInteger(n) && n >= 0 && n <= 64) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(a + i);
    return s;
  }
  return logGamma(a + n) - logGamma(a);
}

/** ln(Σ exp(v)) without overflow; −∞ for an empty list or all −∞. */
export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let s = 0;
  for (const v of values) s += Math.exp(v - max);
  return max + Math.log(s);
}

/** ln(exp(a) + exp(b)), the two-term case used per customer in the BG/NBD likelihood. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** 1 / (1 + exp(−v)) without overflow for large |v|. */
export function logistic(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export interface Hyp2f1Options {
  /** Relative tolerance on the last term; default 1e-15. */
  readonly tolerance?: number;
  /** Term budget; default 200,000 (the series converges geometrically as z^n, slowly only near z = 1). */
  readonly maxTerms?: number;
}

/**
 * Gauss hypergeometric ₂F₁(a, b; c; z) for real z < 1.
 * - 0 <= z < 1: the defining power series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ.
 * - z < 0: Pfaff's transformation ₂F₁(a,b;c;z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)), which maps
 *   z into [0, 1) where the series converges (alternating series would lose digits to cancellation).
 * The series terminates exactly when a or b is a non-positive integer. Throws on z >= 1 (not
 * needed by the models; the series' value there depends on c − a − b) and when c is a
 * non-positive integer (pole).
 */
export function hyp2f1(a: number, b: number, c: number, z: number, options: Hyp2f1Options = {}): number {
  const tolerance = options.tolerance ?? 1e-15;
  const maxTerms = options.maxTerms ?? 200_000;
  if (![a, b, c, z].every(Number.isFinite)) {
    throw new NumericalDomainError(`hyp2f1: non-finite argument (a=${a}, b=${b}, c=${c}, z=${z})`);
  }
  if (c <= 0 && Number.isInteger(c)) {
    throw new NumericalDomainError(`hyp2f1: c = ${c} is a pole`);
  }
  if (z >= 1) throw new NumericalDomainError(`hyp2f1: z = ${z} >= 1 is outside the supported domain`);
  if (z < 0) {
    const w = z / (z - 1);
    return Math.pow(1 - z, -a) * hyp2f1(a, c - b, c, w, options);
  }
  if (z === 0) return 1;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    term *= ((a + n) * (b + n)) / ((c + n) * (n + 1)) * z;
    sum += term;
    if (term === 0) return sum; // terminating series (a or b a non-positive integer)
    if (!Number.isFinite(sum)) break;
    // Stop when the tail is bounded by a geometric series below tolerance. The term ratio tends
    // to z as n grows (from above or below), so max(next ratio, z) bounds the ratios that follow
    // once they are below 1; a small term alone is not enough while the terms still grow.
    const nextRatio = Math.abs(((a + n + 1) * (b + n + 1)) / ((c + n + 1) * (n + 2)) * z);
    const rho = Math.max(nextRatio, z);
    if (rho < 1 && (Math.abs(term) * rho) / (1 - rho) <= tolerance * Math.abs(sum)) return sum;
  }
  throw new ConvergenceError(
    `hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge in ${maxTerms} terms`,
  );
}
