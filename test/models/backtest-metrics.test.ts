import { describe, expect, it } from 'vitest';
import { backtestMetrics, expectedCalibrationError, topDecileLift } from '../../models/backtest-metrics.js';
import { MetricInputError } from '../../models/evaluate.js';

describe('live backtest metrics (hand-checked)', () => {
  it('ECE weighs each bin by its share of rows', () => {
    // bin 0.1-0.2: two rows predicted 0.1 and 0.1, one positive -> |0.1 - 0.5| = 0.4, weight 2/4
    // bin 0.9-1.0: two rows predicted 0.9, both positive -> |0.9 - 1| = 0.1, weight 2/4
    expect(expectedCalibrationError([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9])).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.1, 12);
  });

  it('ECE is 0 for predictions equal to the observed rate of their bin', () => {
    expect(expectedCalibrationError([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBeCloseTo(0, 12);
  });

  it('top-decile lift: the highest tenth of 20 rows (2 rows, both positive) over a base rate of 0.25', () => {
    const scores = Array.from({ length: 20 }, (_, i) => 1 - i / 20);
    const labels = scores.map((_, i) => (i < 2 || i === 10 || i === 15 || i === 19 ? 1 : 0));
    // 5 positives of 20 -> base 0.25; top 2 rows both positive -> rate 1 -> lift 4
    expect(topDecileLift(labels, scores)).toBeCloseTo(4, 12);
  });

  it('top-decile lift below ten rows uses the single best row', () => {
    expect(topDecileLift([0, 1, 0, 0], [0.2, 0.9, 0.1, 0.3])).toBeCloseTo(4, 12);
    expect(topDecileLift([0, 0, 0], [0.2, 0.9, 0.1])).toBe(0);
  });

  it('AUC of a perfect ranking is 1, of a reversed one 0, undefined (null) with one class', () => {
    expect(backtestMetrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]).auc).toBe(1);
    expect(backtestMetrics([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]).auc).toBe(0);
    const one = backtestMetrics([1, 1, 1], [0.1, 0.2, 0.3]);
    expect(one.auc).toBeNull();
    expect(one).toMatchObject({ n: 3, positives: 3 });
    // ties count one half: one positive and one negative at the same score
    expect(backtestMetrics([0, 1], [0.5, 0.5]).auc).toBe(0.5);
  });

  it('rejects no rows', () => {
    expect(() => backtestMetrics([], [])).toThrow(MetricInputError);
  });
});
