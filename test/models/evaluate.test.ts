import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  brierScore,
  calibrationTable,
  liftTable,
  logLoss,
  MetricInputError,
  rocAuc,
} from '../../models/evaluate.js';
import { fitLogistic, fitPlatt, standardise, columnStats } from '../../models/logistic.js';

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
