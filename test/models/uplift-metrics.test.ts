import { describe, expect, it } from 'vitest';
import {
  area,
  averageTreatmentEffect,
  perfectQiniCurve,
  qiniCoefficient,
  qiniCurve,
  upliftAtK,
  upliftAucScore,
  upliftCurve,
  UpliftMetricError,
} from '../../models/uplift/metrics.js';
import { createRng } from '../../models/random.js';

// Six rows, ranked by score as listed:   i:     0    1    2    3    4    5
const y = [1, 0, 1, 1, 0, 0]; //                  y:     1    0    1    1    0    0
const t = [1, 0, 1, 0, 1, 0]; //                  t:     T    C    T    C    T    C
const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];

describe('uplift metrics on a hand-checked case (scikit-uplift definitions)', () => {
  it('Qini curve: Y_t(n) − Y_c(n)·N_t(n)/N_c(n) at each n', () => {
    // n=1: 1 − 0 = 1; n=2: 1 − 0·1/1 = 1; n=3: 2 − 0 = 2; n=4: 2 − 1·2/2 = 1; n=5: 2 − 1·3/2 = 0.5; n=6: 2 − 1·3/3 = 1
    expect(qiniCurve(y, s, t).map((p) => [p.n, p.value])).toEqual([[0, 0], [1, 1], [2, 1], [3, 2], [4, 1], [5, 0.5], [6, 1]]);
  });

  it('perfect Qini curve ranks by y·t − y·(1−t); tied rows enter together', () => {
    // Scores 1, 0, 1, −1, 0, 0 -> {2, 0} then {5, 4, 1} then {3}:
    // n=2: 2 − 0 = 2; n=5: 2 − 0·3/2 = 2; n=6: 2 − 1·3/3 = 1
    expect(perfectQiniCurve(y, t).map((p) => [p.n, p.value])).toEqual([[0, 0], [2, 2], [5, 2], [6, 1]]);
  });

  it('Qini coefficient = (area − diagonal) / (perfect area − diagonal) = 3 / 6.5', () => {
    // Trapezoids of the curve: 0.5 + 1 + 1.5 + 1.5 + 0.75 + 0.75 = 6; diagonal to (6, 1): 3.
    // Perfect: 2 + 6 + 1.5 = 9.5. (6 − 3) / (9.5 − 3) = 0.461538...
    expect(area(qiniCurve(y, s, t))).toBeCloseTo(6, 12);
    expect(qiniCoefficient(y, s, t)).toBeCloseTo(3 / 6.5, 12);
    // The perfect ranking scores exactly 1.
    expect(qiniCoefficient(y, y.map((v, i) => (t[i] === 1 ? v : -v)), t)).toBeCloseTo(1, 12);
  });

  it('uplift curve: (Y_t/N_t − Y_c/N_c)·n', () => {
    // n=1: (1 − 0)·1; n=2: (1 − 0)·2; n=3: (1 − 0)·3; n=4: (1 − 1/2)·4 = 2; n=5: (2/3 − 1/2)·5; n=6: (2/3 − 1/3)·6 = 2
    const values = upliftCurve(y, s, t).map((p) => p.value);
    expect(values.slice(0, 5)).toEqual([0, 1, 2, 3, 2]);
    expect(values[5]).toBeCloseTo(5 / 6, 12);
    expect(values[6]).toBeCloseTo(2, 12);
    expect(upliftAucScore(y, s, t)).toBeGreaterThan(0);
  });

  it('uplift@k by group takes the top k of each arm separately; overall the top k of all rows', () => {
    // by_group k=0.5: floor(3·0.5) = 1 per arm: treated {0} mean 1, control {1} mean 0 -> 1
    expect(upliftAtK(y, s, t, 0.5)).toBe(1);
    // k=0.7: floor(2.1) = 2: treated {0, 2} mean 1, control {1, 3} mean 0.5 -> 0.5
    expect(upliftAtK(y, s, t, 0.7)).toBe(0.5);
    // overall k=0.5: rows {0, 1, 2}: treated mean 1, control mean 0 -> 1
    expect(upliftAtK(y, s, t, 0.5, 'overall')).toBe(1);
    expect(() => upliftAtK(y, s, t, 0.2)).toThrow(UpliftMetricError);
    expect(() => upliftAtK(y, s, t, 1)).toThrow(/k must be in/);
  });

  it('ATE is the difference in means with a Welch standard error', () => {
    // treated [1,1,0]: mean 2/3, s² = 1/3; control [0,1,0]: mean 1/3, s² = 1/3; se = sqrt(1/9 + 1/9)
    const r = averageTreatmentEffect(y, t);
    expect(r.ate).toBeCloseTo(1 / 3, 12);
    expect(r.se).toBeCloseTo(Math.SQRT2 / 3, 12);
    expect(r.ci[0]).toBeCloseTo(1 / 3 - 1.959964 * (Math.SQRT2 / 3), 5);
    expect(r.ci[1]).toBeCloseTo(1 / 3 + 1.959964 * (Math.SQRT2 / 3), 5);
  });

  it('a random ranking gives a Qini near 0, the true uplift ranking a clearly positive one', () => {
    const rng = createRng(7);
    const n = 20_000;
    const tt: number[] = [];
    const yy: number[] = [];
    const truth: number[] = [];
    const random: number[] = [];
    for (let i = 0; i < n; i++) {
      const u = rng(); // true uplift 0.2·u − 0.05: some rows are hurt by treatment
      const treated = rng() < 0.5 ? 1 : 0;
      const p = 0.2 + treated * (0.2 * u - 0.05);
      tt.push(treated);
      yy.push(rng() < p ? 1 : 0);
      truth.push(u);
      random.push(rng());
    }
    const q = qiniCoefficient(yy, random, tt);
    // Seeds 7-11 give random -0.013..0.004 and true ranking 0.076..0.091: the perfect curve knows
    // who responded, so even the true uplift scores far below 1 when outcomes are noisy.
    expect(Math.abs(q)).toBeLessThan(0.03);
    expect(qiniCoefficient(yy, truth, tt)).toBeGreaterThan(0.05);
    // The top 30 % by true uplift: mean uplift of u in [0.7, 1] = 0.2·0.85 − 0.05 = 0.12, above the ATE 0.05.
    expect(upliftAtK(yy, truth, tt, 0.3)).toBeGreaterThan(0.08);
    expect(() => qiniCurve(yy, random, tt.map(() => 1))).toThrow(/both treated and control/);
  });
});
