import { describe, expect, it } from 'vitest';
import { ConvergenceError, NumericalDomainError } from '../../models/clv/errors.js';
import { minimize } from '../../models/clv/optimize.js';
import {
  hyp2f1,
  logAddExp,
  logBeta,
  logGamma,
  logistic,
  logPochhammer,
  logSumExp,
} from '../../models/clv/special.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe('special functions', () => {
  it('logGamma matches known values across small, negative and large arguments', () => {
    expect(rel(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-13);
    expect(rel(logGamma(10), Math.log(362_880))).toBeLessThan(1e-13);
    expect(rel(logGamma(100), 359.1342053695754)).toBeLessThan(1e-13);
    expect(rel(logGamma(1e-3), 6.907178885383853)).toBeLessThan(1e-12);
    expect(rel(logGamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)))).toBeLessThan(1e-13);
    expect(logGamma(0)).toBe(Infinity);
    // lnΓ(x+1) − lnΓ(x) = ln x at a large argument (where b goes in degenerate BG/NBD fits)
    expect(Math.abs(logGamma(1e6 + 1) - logGamma(1e6) - Math.log(1e6))).toBeLessThan(1e-6);
  });

  it('logBeta and logPochhammer agree with their definitions', () => {
    expect(rel(logBeta(2, 3), Math.log(1 / 12))).toBeLessThan(1e-13);
    expect(rel(logPochhammer(2.5, 3), Math.log(2.5 * 3.5 * 4.5))).toBeLessThan(1e-14);
    expect(rel(logPochhammer(0.3, 100), logGamma(100.3) - logGamma(0.3))).toBeLessThan(1e-12);
    expect(logPochhammer(1e7, 2)).toBeCloseTo(Math.log(1e7) + Math.log(1e7 + 1), 12);
  });

  it('log-sum-exp and logistic do not overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logAddExp(-1e4, -1e4 + Math.log(3))).toBeCloseTo(-1e4 + Math.log(4), 9);
    expect(logistic(-1000)).toBe(0);
    expect(logistic(1000)).toBe(1);
    expect(logistic(0)).toBe(0.5);
  });

  it('hyp2f1 matches closed forms on both sides of zero and terminates for negative-integer a', () => {
    const z = 0.7;
    expect(rel(hyp2f1(1, 1, 2, z), -Math.log(1 - z) / z)).toBeLessThan(1e-13);
    expect(rel(hyp2f1(1, 1, 2, -3), Math.log(4) / 3)).toBeLessThan(1e-13);
    expect(rel(hyp2f1(2.5, 1.7, 1.7, 0.9), Math.pow(0.1, -2.5))).toBeLessThan(1e-12);
    expect(rel(hyp2f1(0.5, 0.5, 1.5, 0.25), Math.asin(0.5) / 0.5)).toBeLessThan(1e-13);
    const [b, c, w] = [3.2, 1.3, 0.4];
    expect(rel(hyp2f1(-2, b, c, w), 1 - (2 * b * w) / c + (b * (b + 1) * w * w) / (c * (c + 1)))).toBeLessThan(1e-14);
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(NumericalDomainError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(NumericalDomainError);
    expect(() => hyp2f1(1, 1, 2, 0.999999, { maxTerms: 10 })).toThrow(ConvergenceError);
  });
});

describe('minimize (Nelder–Mead with restarts)', () => {
  it('finds the Rosenbrock minimum, deterministically', () => {
    // Prepare
    const rosenbrock = (v: readonly number[]): number => 100 * (v[1]! - v[0]! ** 2) ** 2 + (1 - v[0]!) ** 2;
    // Act
    const a = minimize(rosenbrock, [-1.2, 1]);
    const b = minimize(rosenbrock, [-1.2, 1]);
    // Assess
    expect(a.converged).toBe(true);
    expect(a.x[0]).toBeCloseTo(1, 5);
    expect(a.x[1]).toBeCloseTo(1, 5);
    expect(b).toEqual(a);
  });

  it('respects a wall expressed as +Infinity (or NaN) and reaches the boundary', () => {
    const f = (v: readonly number[]): number => (v[0]! > 2 ? Infinity : v[0]! < -5 ? NaN : (v[0]! - 3) ** 2 + v[1]! ** 2);
    const r = minimize(f, [0, 1]);
    expect(r.x[0]).toBeLessThanOrEqual(2);
    expect(r.x[0]).toBeGreaterThan(1.999);
    expect(Number.isFinite(r.fx)).toBe(true);
  });
});
