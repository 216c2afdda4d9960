import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  brierScore,
  calibrationTable,
  CURVE_MAX_POINTS,
  liftTable,
  logLoss,
  MetricInputError,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  type RocPoint,
} from '../../models/evaluate.js';
import { fitLogistic, fitPlatt, standardise, columnStats } from '../../models/logistic.js';
import { createRng } from '../../models/random.js';

describe('metrics (hand-computed examples)', () => {
  const y = [1, 0, 1, 0];
  const s = [0.9, 0.8, 0.8, 0.1];

  it('ROC-AUC counts ties as one half', () => {
    // Pairs (pos, neg): (0.9,0.8)=1, (0.9,0.1)=1, (0.8,0.8)=0.5, (0.8,0.1)=1 -> 3.5 / 4.
    expect(rocAuc(y, s)).toBe(0.875);
    expect(rocAuc([1, 1, 0, 0], [1, 2, 3, 4])).toBe(0);
    expect(rocAuc([1, 0], [5, 5])).toBe(0.5);
    expect(rocAuc([1, 1], [1, 2])).toBe(0.5); // one class only: undefined, reported as 0.5
  });

  it('average precision steps over distinct thresholds, ties together', () => {
    // t=0.9: recall 1/2, precision 1 -> 0.5; t=0.8: recall 1, precision 2/3 -> +1/3.
    expect(averagePrecision(y, s)).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(averagePrecision([1, 0, 0], [3, 2, 1])).toBe(1);
    expect(averagePrecision([0, 0, 1], [3, 2, 1])).toBeCloseTo(1 / 3, 12);
  });

  it('log loss and Brier score', () => {
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(Number.isFinite(logLoss([1, 0], [0, 1]))).toBe(true);
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo(0.1, 12);
  });

  it('calibration table over ten equal-width bins', () => {
    const table = calibrationTable([0, 1, 1, 1], [0.05, 0.15, 0.95, 1.0]);
    expect(table).toHaveLength(10);
    expect(table[0]).toEqual({ lower: 0, upper: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(table[1]).toMatchObject({ count: 1, observedRate: 1 });
    expect(table[9]!.count).toBe(2);
    expect(table[9]!.meanPredicted).toBeCloseTo(0.975, 12);
    expect(table.slice(2, 9).every((b) => b.count === 0 && b.observedRate === 0)).toBe(true);
  });

  it('lift and cumulative gain by decile', () => {
    const labels = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0];
    const scores = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const t = liftTable(labels, scores);
    expect(t).toHaveLength(10);
    expect(t[0]).toMatchObject({ decile: 1, count: 1, positives: 1, rate: 1 });
    expect(t[0]!.lift).toBeCloseTo(1 / 0.3, 12);
    expect(t[1]!.cumulativeGain).toBeCloseTo(2 / 3, 12);
    expect(t[3]!.cumulativeGain).toBe(1);
    expect(t[9]!.cumulativeLift).toBeCloseTo(1, 12);
  });

  it('binaryMetrics ranks by scores when given, losses from probabilities', () => {
    const m = binaryMetrics(y, [0.5, 0.5, 0.5, 0.5], s);
    expect(m).toMatchObject({ n: 4, positives: 2, positiveRate: 0.5, rocAuc: 0.875 });
    expect(m.brier).toBe(0.25);
    expect(() => binaryMetrics([1], [0.5, 0.5])).toThrow(MetricInputError);
    expect(() => rocAuc([1, 0], [Number.NaN, 1])).toThrow(MetricInputError);
  });
});

describe('logistic regression and Platt scaling', () => {
  it('recovers the direction of a simple relation and stays finite on separable data', () => {
    const x = [[-2], [-1], [0], [1], [2], [-1.5], [0.5], [1.5]];
    const labels = [0, 0, 1, 1, 1, 0, 0, 1];
    const m = fitLogistic(x, labels, { l2: 1e-3 });
    expect(m.converged).toBe(true);
    expect(m.coefficients[0]).toBeGreaterThan(0);
    const p = fitPlatt([1, 2, 3, 4], [0, 0, 1, 1]); // perfectly separable
    expect(Number.isFinite(p.a) && Number.isFinite(p.b) && p.a > 0).toBe(true);
  });

  it('maps constant training columns to zero when standardising', () => {
    const stats = columnStats([
      [1, 5],
      [3, 5],
    ]);
    expect(standardise([2, 9], stats)).toEqual([0, 0]);
    expect(standardise([3, 5], stats)).toEqual([1, 0]);
  });
});

/** Trapezoid area under ROC points (in curve order). */
function trapezoid(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
  }
  return area;
}

/**
 * A noisy scorer: label ~ Bernoulli(prevalence), score = label x signal + noise, rounded to two
 * decimals so that many rows tie (the curves must take tied rows together).
 */
function noisyFixture(n: number, prevalence: number, signal: number, seed: number): { labels: number[]; scores: number[] } {
  const rng = createRng(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng() < prevalence ? 1 : 0;
    const noise = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    labels.push(y);
    scores.push(Math.round((y * signal + noise) * 100) / 100);
  }
  return { labels, scores };
}

/** Rows flagged at a threshold, counted directly (the definition the curves claim). */
function flaggedAt(labels: readonly number[], scores: readonly number[], threshold: number): { tp: number; fp: number } {
  let tp = 0;
  let fp = 0;
  scores.forEach((s, i) => {
    if (s >= threshold) {
      if (labels[i] === 1) tp++;
      else fp++;
    }
  });
  return { tp, fp };
}

describe('ROC and precision-recall curves', () => {
  it('a perfect classifier goes through (0, 1), from (0, 0) to (1, 1), also after downsampling', () => {
    for (const n of [20, 2000]) {
      const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
      const scores = labels.map((y, i) => y + i / (10 * n)); // every positive above every negative
      const roc = rocCurve(labels, scores);
      expect(roc.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
      expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
      expect(roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
      expect(roc).toContainEqual(expect.objectContaining({ fpr: 0, tpr: 1 }));
      expect(trapezoid(roc)).toBeCloseTo(1, 12);
      const pr = precisionRecallCurve(labels, scores);
      expect(pr).toContainEqual(expect.objectContaining({ recall: 1, precision: 1 }));
    }
  });

  it('the area under the returned ROC points is rocAuc: exactly in full, within 0.01 downsampled', () => {
    for (const [prevalence, signal, seed] of [
      [0.5, 1, 1],
      [0.05, 1.5, 2],
      [0.3, 0.3, 3],
    ] as const) {
      const { labels, scores } = noisyFixture(20_000, prevalence, signal, seed);
      const auc = rocAuc(labels, scores);
      expect(trapezoid(rocCurve(labels, scores, Number.MAX_SAFE_INTEGER))).toBeCloseTo(auc, 10);
      const roc = rocCurve(labels, scores);
      expect(roc.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
      expect(roc.length).toBeGreaterThan(CURVE_MAX_POINTS / 2);
      expect(Math.abs(trapezoid(roc) - auc)).toBeLessThan(0.01);
    }
  });

  it('ROC points are monotone and each point is what its threshold flags', () => {
    const { labels, scores } = noisyFixture(5000, 0.2, 1, 4);
    const nPos = labels.filter((y) => y === 1).length;
    const nNeg = labels.length - nPos;
    const roc = rocCurve(labels, scores);
    expect(roc[0]!.threshold).toBeGreaterThan(Math.max(...scores));
    expect(Number.isFinite(roc[0]!.threshold)).toBe(true);
    for (let i = 1; i < roc.length; i++) {
      expect(roc[i]!.fpr).toBeGreaterThanOrEqual(roc[i - 1]!.fpr);
      expect(roc[i]!.tpr).toBeGreaterThanOrEqual(roc[i - 1]!.tpr);
      expect(roc[i]!.threshold).toBeLessThan(roc[i - 1]!.threshold);
    }
    for (const p of roc) {
      const { tp, fp } = flaggedAt(labels, scores, p.threshold);
      expect(p.tpr).toBe(tp / nPos);
      expect(p.fpr).toBe(fp / nNeg);
    }
  });

  it('precision-recall: recall never decreases, ends at 1, and precision is what the threshold flags', () => {
    const { labels, scores } = noisyFixture(5000, 0.1, 1.2, 5);
    const nPos = labels.filter((y) => y === 1).length;
    const pr = precisionRecallCurve(labels, scores);
    expect(pr.length).toBeLessThanOrEqual(CURVE_MAX_POINTS);
    expect(pr.length).toBeGreaterThan(CURVE_MAX_POINTS / 2);
    for (let i = 1; i < pr.length; i++) {
      expect(pr[i]!.recall).toBeGreaterThanOrEqual(pr[i - 1]!.recall);
      expect(pr[i]!.threshold).toBeLessThan(pr[i - 1]!.threshold);
    }
    expect(pr.at(-1)).toMatchObject({ recall: 1, precision: nPos / labels.length, threshold: Math.min(...scores) });
    for (const p of pr) {
      const { tp, fp } = flaggedAt(labels, scores, p.threshold);
      expect(p.recall).toBe(tp / nPos);
      expect(p.precision).toBe(tp / (tp + fp));
    }
    // The PR curve of a ranking that is better at the top has higher precision at low recall.
    const better = precisionRecallCurve(labels, scores.map((s, i) => s + (labels[i] === 1 ? 2 : 0)));
    expect(better[0]!.precision).toBeGreaterThan(pr[0]!.precision);
  });

  it('handles one class, tiny inputs and bad arguments', () => {
    expect(rocCurve([0, 0, 0], [0.2, 0.5, 0.1]).map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(precisionRecallCurve([0, 0], [0.2, 0.5])).toEqual([]);
    // Ties enter together: one step from (0, 0) to (1, 1), as rocAuc counts them (0.5).
    expect(rocCurve([1, 0], [0.5, 0.5]).map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(rocCurve([1, 0, 1], [0.9, 0.1, 0.5], 2)).toHaveLength(2);
    expect(() => rocCurve([1, 0], [0.9, 0.1], 1)).toThrow(MetricInputError);
    expect(() => precisionRecallCurve([1], [0.5, 0.4])).toThrow(MetricInputError);
  });
});
