/**
 * Confidence intervals of the campaign report (pure functions, no dependencies).
 *  - Conversion: difference of two proportions with Newcombe's hybrid score interval (method 10
 *    of Newcombe 1998, built from the two Wilson intervals): well-behaved for small counts and
 *    rates near 0, where the Wald interval collapses or overshoots. Wald is given alongside.
 *  - Revenue per customer: Welch's t interval for the difference of two means (unequal variances,
 *    Welch-Satterthwaite degrees of freedom).
 */
export const Z_95 = 1.959963984540054;

export interface Interval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/** Wilson score interval of a proportion x/n. */
export function wilson(x: number, n: number, z = Z_95): Interval {
  if (n === 0) return { estimate: NaN, lower: NaN, upper: NaN };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { estimate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval of p1 - p2. */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z = Z_95): Interval {
  if (n1 === 0 || n2 === 0) return { estimate: NaN, lower: NaN, upper: NaN };
  const a = wilson(x1, n1, z);
  const b = wilson(x2, n2, z);
  const d = a.estimate - b.estimate;
  return {
    estimate: d,
    lower: d - Math.sqrt((a.estimate - a.lower) ** 2 + (b.upper - b.estimate) ** 2),
    upper: d + Math.sqrt((a.upper - a.estimate) ** 2 + (b.estimate - b.lower) ** 2),
  };
}

/** Wald interval of p1 - p2 (shown for comparison; unreliable for small counts). */
export function waldDifference(x1: number, n1: number, x2: number, n2: number, z = Z_95): Interval {
  if (n1 === 0 || n2 === 0) return { estimate: NaN, lower: NaN, upper: NaN };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return { estimate: p1 - p2, lower: p1 - p2 - z * se, upper: p1 - p2 + z * se };
}

export interface Sample {
  readonly n: number;
  readonly mean: number;
  /** Unbiased sample variance (n - 1 denominator). */
  readonly variance: number;
}

export function describeSample(values: readonly number[]): Sample {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, variance: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, variance };
}

export interface WelchInterval extends Interval {
  readonly standardError: number;
  readonly degreesOfFreedom: number;
}

/** Welch's t interval of mean1 - mean2 at the given two-sided confidence. */
export function welchDifference(a: Sample, b: Sample, confidence = 0.95): WelchInterval {
  const d = a.mean - b.mean;
  if (a.n < 2 || b.n < 2) return { estimate: d, lower: NaN, upper: NaN, standardError: NaN, degreesOfFreedom: NaN };
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { estimate: d, lower: d, upper: d, standardError: 0, degreesOfFreedom: a.n + b.n - 2 };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { estimate: d, lower: d - t * se, upper: d + t * se, standardError: se, degreesOfFreedom: df };
}

/* ---- Student's t distribution ---- */

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9): ~15 significant digits for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let s = c[0]!;
  for (let i = 1; i < 9; i++) s += c[i]! / (xx + i);
  const t = xx + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the regularized incomplete beta (Numerical Recipes, betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df degrees of freedom (bisection on the CDF; df may be fractional). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-12) break;
  }
  return (lo + hi) / 2;
}
