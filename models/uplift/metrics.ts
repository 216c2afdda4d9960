/**
 * Uplift evaluation metrics, following scikit-uplift (sklift/metrics/metrics.py) definition for
 * definition so that figures can be compared with it:
 *
 * - rows are ranked by predicted uplift, highest first; ties are ordered as sklift's
 *   `argsort(kind='mergesort')[::-1]` orders them (the later row first), and the curves only
 *   take points where the score changes, so tied rows enter together;
 * - Qini curve at n rows: Q(n) = Y_t(n) − Y_c(n) · N_t(n)/N_c(n) (incremental responders);
 * - uplift curve at n rows: U(n) = (Y_t(n)/N_t(n) − Y_c(n)/N_c(n)) · n;
 * - the perfect curves rank by y·t − y·(1−t) (Qini, negative effects included) and by
 *   2·[y = t] + (y or t) (uplift curve), as sklift does;
 * - Qini coefficient = (area under the Qini curve − area under the random diagonal) /
 *   (area under the perfect Qini curve − the same diagonal), areas by the trapezoid rule, so a
 *   perfect ranking scores 1 and a random one about 0 (it can be negative);
 * - uplift@k, strategy 'by_group' (default): the top k share of the treated and, separately, the
 *   top k share of the controls, each by predicted uplift, and the difference of their mean
 *   outcomes; 'overall' takes the top k share of all rows and compares the arms within it.
 *
 * Outcomes may be 0/1 or amounts: every formula above is a sum or a mean of y, so amounts work
 * unchanged (sklift checks for binary y; the perfect curves then rank by the amount).
 */
import { WinbackError } from '../../kernel/errors.js';

export class UpliftMetricError extends WinbackError {}

export interface CurvePoint {
  /** Rows targeted (ranked by predicted uplift). */
  readonly n: number;
  readonly value: number;
}

function check(y: readonly number[], score: readonly number[], t: readonly number[]): void {
  if (y.length !== score.length || y.length !== t.length) {
    throw new UpliftMetricError(`outcomes (${y.length}), scores (${score.length}) and treatment flags (${t.length}) differ in length`);
  }
  if (t.some((v) => v !== 0 && v !== 1)) throw new UpliftMetricError('treatment flags must be 0 or 1');
  const treated = t.reduce((s, v) => s + v, 0);
  if (treated === 0 || treated === t.length) throw new UpliftMetricError('need both treated and control rows');
  if (y.some((v) => !Number.isFinite(v)) || score.some((v) => !Number.isFinite(v))) throw new UpliftMetricError('outcomes and scores must be finite numbers');
}

/** Row indices by score descending; ties: higher index first (sklift's reversed stable argsort). */
export function rankByScore(score: readonly number[]): number[] {
  return score.map((_, i) => i).sort((i, j) => score[j]! - score[i]! || j - i);
}

type Accumulate = (yt: number, nt: number, yc: number, nc: number, n: number) => number;

function curve(y: readonly number[], score: readonly number[], t: readonly number[], f: Accumulate): CurvePoint[] {
  const order = rankByScore(score);
  const points: CurvePoint[] = [{ n: 0, value: 0 }];
  let yt = 0;
  let nt = 0;
  let yc = 0;
  let nc = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (t[i] === 1) {
      yt += y[i]!;
      nt++;
    } else {
      yc += y[i]!;
      nc++;
    }
    const next = order[k + 1];
    // A point only where the score changes (and at the end): tied rows enter together.
    if (next !== undefined && score[next] === score[i]) continue;
    points.push({ n: k + 1, value: f(yt, nt, yc, nc, k + 1) });
  }
  return points;
}

const qiniValue: Accumulate = (yt, nt, yc, nc) => yt - (nc === 0 ? 0 : (yc * nt) / nc);
const upliftValue: Accumulate = (yt, nt, yc, nc, n) => ((nt === 0 ? 0 : yt / nt) - (nc === 0 ? 0 : yc / nc)) * n;

export function qiniCurve(y: readonly number[], score: readonly number[], t: readonly number[]): CurvePoint[] {
  check(y, score, t);
  return curve(y, score, t, qiniValue);
}

export function perfectQiniCurve(y: readonly number[], t: readonly number[]): CurvePoint[] {
  return qiniCurve(y, y.map((v, i) => (t[i] === 1 ? v : -v)), t);
}

export function upliftCurve(y: readonly number[], score: readonly number[], t: readonly number[]): CurvePoint[] {
  check(y, score, t);
  return curve(y, score, t, upliftValue);
}

export function perfectUpliftCurve(y: readonly number[], t: readonly number[]): CurvePoint[] {
  let controlResponders = 0;
  let treatedNonResponders = 0;
  for (let i = 0; i < y.length; i++) {
    if (t[i] === 0 && y[i]! > 0) controlResponders++;
    if (t[i] === 1 && y[i] === 0) treatedNonResponders++;
  }
  const useY = controlResponders > treatedNonResponders;
  const score = y.map((v, i) => 2 * (v === t[i] ? 1 : 0) + (useY ? v : t[i]!));
  return upliftCurve(y, score, t);
}

/** Trapezoid area under a curve (sklearn.metrics.auc). */
export function area(points: readonly CurvePoint[]): number {
  let s = 0;
  for (let i = 1; i < points.length; i++) s += ((points[i]!.n - points[i - 1]!.n) * (points[i]!.value + points[i - 1]!.value)) / 2;
  return s;
}

function normalisedArea(actual: readonly CurvePoint[], perfect: readonly CurvePoint[]): number {
  const last = perfect[perfect.length - 1]!;
  const baseline = (last.n * last.value) / 2;
  const denominator = area(perfect) - baseline;
  if (denominator === 0) throw new UpliftMetricError('the perfect curve has no area above the random line (no responders?)');
  return (area(actual) - baseline) / denominator;
}

/** sklift's qini_auc_score(negative_effect=True): 1 for a perfect ranking, about 0 for a random one. */
export function qiniCoefficient(y: readonly number[], score: readonly number[], t: readonly number[]): number {
  return normalisedArea(qiniCurve(y, score, t), perfectQiniCurve(y, t));
}

/** sklift's uplift_auc_score: the uplift curve's area above the diagonal over the perfect one's. */
export function upliftAucScore(y: readonly number[], score: readonly number[], t: readonly number[]): number {
  return normalisedArea(upliftCurve(y, score, t), perfectUpliftCurve(y, t));
}

export type UpliftAtKStrategy = 'by_group' | 'overall';

/** sklift's uplift_at_k with a fractional k in (0, 1). */
export function upliftAtK(
  y: readonly number[],
  score: readonly number[],
  t: readonly number[],
  k: number,
  strategy: UpliftAtKStrategy = 'by_group',
): number {
  check(y, score, t);
  if (!(k > 0 && k < 1)) throw new UpliftMetricError(`k must be in (0, 1), got ${k}`);
  const order = rankByScore(score);
  if (strategy === 'overall') {
    const top = order.slice(0, Math.floor(y.length * k));
    return meanOf(top.filter((i) => t[i] === 1).map((i) => y[i]!)) - meanOf(top.filter((i) => t[i] === 0).map((i) => y[i]!));
  }
  const treated = order.filter((i) => t[i] === 1);
  const control = order.filter((i) => t[i] === 0);
  const topT = treated.slice(0, Math.floor(treated.length * k));
  const topC = control.slice(0, Math.floor(control.length * k));
  if (topT.length === 0 || topC.length === 0) {
    throw new UpliftMetricError(`k = ${k} leaves no treated or no control rows (treated ${treated.length}, control ${control.length})`);
  }
  return meanOf(topT.map((i) => y[i]!)) - meanOf(topC.map((i) => y[i]!));
}

function meanOf(v: readonly number[]): number {
  // sklift returns NaN for an empty arm within the top k ('overall'); so do we.
  if (v.length === 0) return NaN;
  return v.reduce((s, x) => s + x, 0) / v.length;
}

export interface AverageTreatmentEffect {
  readonly ate: number;
  /** Welch standard error sqrt(s_t²/n_t + s_c²/n_c), sample variances. */
  readonly se: number;
  /** 95 % normal interval ate ± 1.959964 se. */
  readonly ci: readonly [number, number];
  readonly treated: { readonly n: number; readonly mean: number };
  readonly control: { readonly n: number; readonly mean: number };
}

const Z_975 = 1.959963984540054;

/** Difference in means between the arms of a randomized experiment, with a Welch / normal 95 % CI. */
export function averageTreatmentEffect(y: readonly number[], t: readonly number[]): AverageTreatmentEffect {
  if (y.length !== t.length) throw new UpliftMetricError('outcomes and treatment flags differ in length');
  const arm = (flag: number): { n: number; mean: number; variance: number } => {
    const v = y.filter((_, i) => t[i] === flag);
    const n = v.length;
    if (n < 2) throw new UpliftMetricError(`need at least 2 ${flag === 1 ? 'treated' : 'control'} rows, got ${n}`);
    const mean = v.reduce((s, x) => s + x, 0) / n;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    return { n, mean, variance };
  };
  const tr = arm(1);
  const co = arm(0);
  const ate = tr.mean - co.mean;
  const se = Math.sqrt(tr.variance / tr.n + co.variance / co.n);
  return { ate, se, ci: [ate - Z_975 * se, ate + Z_975 * se], treated: { n: tr.n, mean: tr.mean }, control: { n: co.n, mean: co.mean } };
}

/** At most `max` points of a curve, evenly spaced in n, first and last kept (for storage and plots). */
export function downsampleCurve(points: readonly CurvePoint[], max = 101): CurvePoint[] {
  if (points.length <= max) return [...points];
  const out: CurvePoint[] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.round((k * (points.length - 1)) / (max - 1))]!);
  return out;
}
