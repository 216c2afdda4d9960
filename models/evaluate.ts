import { WinbackError } from '../kernel/errors.js';

/**
 * Holdout metrics for binary scores. Plain functions over arrays so that the model and every
 * baseline are measured by exactly the same code. Labels are 0/1 with 1 = the positive class
 * (churned / purchased); scores are "higher = more likely positive"; probabilities are in [0, 1].
 */

export class MetricInputError extends WinbackError {}

function check(labels: readonly number[], scores: readonly number[]): void {
  if (labels.length !== scores.length) {
    throw new MetricInputError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  }
  if (labels.length === 0) throw new MetricInputError('no rows to evaluate');
  for (const s of scores) if (!Number.isFinite(s)) throw new MetricInputError('a score is not finite');
}

/**
 * ROC-AUC as the Mann-Whitney statistic with mid-ranks for ties: the probability that a random
 * positive scores above a random negative, counting ties as one half. NaN-free: 0.5 if one
 * class is missing (the AUC is undefined; 0.5 is "no information").
 */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number {
  check(labels, scores);
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = midRank;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  labels.forEach((y, i) => {
    if (y === 1) {
      nPos++;
      rankSum += ranks[i] as number;
    }
  });
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return 0.5;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * PR-AUC as average precision (the step-wise sum used by scikit-learn): sum over distinct score
 * thresholds, from high to low, of (recall gain) x (precision at that threshold). Tied scores
 * enter together, so the result does not depend on row order.
 */
export function averagePrecision(labels: readonly number[], scores: readonly number[]): number {
  check(labels, scores);
  const totalPos = labels.reduce((a, y) => a + (y === 1 ? 1 : 0), 0);
  if (totalPos === 0) return 0;
  const order = scores.map((s, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i] as number];
    let j = i;
    while (j < order.length && scores[order[j] as number] === s) {
      if (labels[order[j] as number] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / totalPos;
    const precision = tp / (tp + fp);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j;
  }
  return ap;
}

const EPS = 1e-15;

/** Mean negative log-likelihood; probabilities clipped to [1e-15, 1 - 1e-15] to stay finite. */
export function logLoss(labels: readonly number[], probs: readonly number[]): number {
  check(labels, probs);
  let sum = 0;
  labels.forEach((y, i) => {
    const p = Math.min(1 - EPS, Math.max(EPS, probs[i] as number));
    sum += y === 1 ? -Math.log(p) : -Math.log(1 - p);
  });
  return sum / labels.length;
}

export function brierScore(labels: readonly number[], probs: readonly number[]): number {
  check(labels, probs);
  let sum = 0;
  labels.forEach((y, i) => {
    sum += ((probs[i] as number) - y) ** 2;
  });
  return sum / labels.length;
}

export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability in the bin (0 when empty). */
  readonly meanPredicted: number;
  /** Observed positive rate in the bin (0 when empty). */
  readonly observedRate: number;
}

/** Reliability table over equal-width probability bins (the last bin includes 1). */
export function calibrationTable(labels: readonly number[], probs: readonly number[], bins = 10): CalibrationBin[] {
  check(labels, probs);
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  probs.forEach((p, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + p;
    sumY[b] = (sumY[b] as number) + (labels[i] as number);
  });
  return count.map((c, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: c,
    meanPredicted: c > 0 ? (sumP[b] as number) / c : 0,
    observedRate: c > 0 ? (sumY[b] as number) / c : 0,
  }));
}

export interface DecileRow {
  /** 1 = the highest-scored tenth. */
  readonly decile: number;
  readonly count: number;
  readonly positives: number;
  readonly rate: number;
  /** rate / overall positive rate. */
  readonly lift: number;
  /** Share of all positives captured in deciles 1..d. */
  readonly cumulativeGain: number;
  readonly cumulativeLift: number;
}

/**
 * Lift and cumulative gain by decile: rows sorted by score, highest first (ties keep input
 * order, so the table is deterministic), cut into ten groups whose sizes differ by at most one.
 */
export function liftTable(labels: readonly number[], scores: readonly number[], groups = 10): DecileRow[] {
  check(labels, scores);
  const n = labels.length;
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  const totalPos = labels.reduce((a, y) => a + y, 0);
  const base = totalPos / n;
  const out: DecileRow[] = [];
  let cumPos = 0;
  let cumCount = 0;
  for (let g = 0; g < groups; g++) {
    const lo = Math.floor((g * n) / groups);
    const hi = Math.floor(((g + 1) * n) / groups);
    let pos = 0;
    for (let k = lo; k < hi; k++) pos += labels[order[k] as number] as number;
    const count = hi - lo;
    cumPos += pos;
    cumCount += count;
    const rate = count > 0 ? pos / count : 0;
    out.push({
      decile: g + 1,
      count,
      positives: pos,
      rate,
      lift: base > 0 ? rate / base : 0,
      cumulativeGain: totalPos > 0 ? cumPos / totalPos : 0,
      cumulativeLift: base > 0 && cumCount > 0 ? cumPos / cumCount / base : 0,
    });
  }
  return out;
}

export interface Metrics {
  readonly n: number;
  readonly positives: number;
  readonly positiveRate: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly logLoss: number;
  readonly brier: number;
}

/**
 * The headline metrics. Ranking metrics use `scores` when given (a baseline's raw score, e.g.
 * recency, whose order is what it claims), else `probs`; losses always use `probs`.
 */
export function binaryMetrics(labels: readonly number[], probs: readonly number[], scores?: readonly number[]): Metrics {
  const positives = labels.reduce((a, y) => a + y, 0);
  const rank = scores ?? probs;
  return {
    n: labels.length,
    positives,
    positiveRate: positives / labels.length,
    rocAuc: rocAuc(labels, rank),
    prAuc: averagePrecision(labels, rank),
    logLoss: logLoss(labels, probs),
    brier: brierScore(labels, probs),
  };
}

/* ---- curves ------------------------------------------------------------------------------ */

/**
 * Curves are stored per model version and drawn by the console, so they are simplified to at
 * most this many points (100 segments) whatever the holdout size.
 */
export const CURVE_MAX_POINTS = 101;

export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
  /** Rows scoring at or above it are flagged positive. */
  readonly threshold: number;
}

export interface PrPoint {
  readonly recall: number;
  readonly precision: number;
  /** Rows scoring at or above it are flagged positive. */
  readonly threshold: number;
}

interface SweepStep {
  readonly threshold: number;
  /** Positives and negatives scoring at or above the threshold. */
  readonly tp: number;
  readonly fp: number;
}

/** Confusion counts at every distinct score, highest first; tied scores enter together. */
function sweep(labels: readonly number[], scores: readonly number[]): { steps: SweepStep[]; nPos: number; nNeg: number } {
  check(labels, scores);
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const steps: SweepStep[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i] as number] as number;
    while (i < order.length && scores[order[i] as number] === s) {
      if (labels[order[i] as number] === 1) tp++;
      else fp++;
      i++;
    }
    steps.push({ threshold: s, tp, fp });
  }
  return { steps, nPos: tp, nNeg: fp };
}

/**
 * The smallest double above x: the threshold that flags nobody. Kept finite (rather than
 * Infinity, which JSON cannot carry) so that stored curves round-trip.
 */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return new Float64Array(bits.buffer)[0] as number;
}

/**
 * At most `maxPoints` of a curve's points, first and last always kept: greedy
 * Ramer-Douglas-Peucker, which keeps adding the point farthest from the polyline kept so far.
 * Corners (a perfect classifier's (0, 1)) survive, and the area between the curve and what is
 * kept is at most the largest remaining distance times the curve's length. Deterministic: on
 * equal distances the earlier point wins.
 */
function simplify<T>(points: readonly T[], xy: (p: T) => readonly [number, number], maxPoints: number): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new MetricInputError(`a curve needs at least 2 points, got ${maxPoints}`);
  if (points.length <= maxPoints) return [...points];
  const coords = points.map(xy);
  const farthest = (from: number, to: number): { from: number; to: number; index: number; distance: number } => {
    const [ax, ay] = coords[from] as readonly [number, number];
    const [bx, by] = coords[to] as readonly [number, number];
    const length = Math.hypot(bx - ax, by - ay);
    let index = -1;
    let distance = 0;
    for (let k = from + 1; k < to; k++) {
      const [px, py] = coords[k] as readonly [number, number];
      const d = length > 0 ? Math.abs((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / length : Math.hypot(px - ax, py - ay);
      if (d > distance) {
        distance = d;
        index = k;
      }
    }
    return { from, to, index, distance };
  };
  const segments = [farthest(0, points.length - 1)];
  const kept = [0, points.length - 1];
  while (kept.length < maxPoints) {
    let best = 0;
    segments.forEach((seg, k) => {
      const top = segments[best] as (typeof segments)[number];
      if (seg.distance > top.distance || (seg.distance === top.distance && seg.index < top.index)) best = k;
    });
    const split = segments[best] as (typeof segments)[number];
    // Everything left lies on the kept polyline: the curve is already exact.
    if (split.index < 0) break;
    kept.push(split.index);
    segments.splice(best, 1, farthest(split.from, split.index), farthest(split.index, split.to));
  }
  return kept.sort((a, b) => a - b).map((k) => points[k] as T);
}

/**
 * ROC curve from (0, 0) to (1, 1), one point per distinct score before simplification (to at
 * most maxPoints). The trapezoid area under the full curve is exactly rocAuc (tied scores are one
 * diagonal step, counted as one half); under the simplified one it stays within a few
 * thousandths on realistic holdouts. With one class missing the curve is the diagonal, matching
 * rocAuc's 0.5.
 */
export function rocCurve(labels: readonly number[], scores: readonly number[], maxPoints = CURVE_MAX_POINTS): RocPoint[] {
  const { steps, nPos, nNeg } = sweep(labels, scores);
  const top = nextUp((steps[0] as SweepStep).threshold);
  const bottom = (steps[steps.length - 1] as SweepStep).threshold;
  if (nPos === 0 || nNeg === 0) {
    return [
      { fpr: 0, tpr: 0, threshold: top },
      { fpr: 1, tpr: 1, threshold: bottom },
    ];
  }
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: top }, ...steps.map((s) => ({ fpr: s.fp / nNeg, tpr: s.tp / nPos, threshold: s.threshold }))];
  return simplify(points, (p) => [p.fpr, p.tpr], maxPoints);
}

/**
 * Precision-recall curve, one point per distinct score (highest first, so recall never
 * decreases), ending at recall 1, simplified to at most maxPoints. No made-up (0, 1) anchor:
 * the first point is the highest score's. Empty when there is no positive (recall is undefined;
 * averagePrecision is 0).
 */
export function precisionRecallCurve(labels: readonly number[], scores: readonly number[], maxPoints = CURVE_MAX_POINTS): PrPoint[] {
  const { steps, nPos } = sweep(labels, scores);
  if (nPos === 0) return [];
  const points = steps.map((s) => ({ recall: s.tp / nPos, precision: s.tp / (s.tp + s.fp), threshold: s.threshold }));
  return simplify(points, (p) => [p.recall, p.precision], maxPoints);
}
