import { beforeAll, describe, expect, it } from 'vitest';
import {
  bgnbdLogLikelihood,
  expectedPurchases,
  expectedPurchasesUnconditional,
  fitBgNbd,
  pAlive,
  type BgNbdFit,
  type BgNbdParams,
} from '../../models/clv/bgnbd.js';
import { InvalidParametersError, ModelInputError } from '../../models/clv/errors.js';
import { hyp2f1, logBeta } from '../../models/clv/special.js';
import { cdnowRfm, loadCdnow, type RfmSummary } from '../../models/data/cdnow.js';

const within = (value: number, published: number, tolerance: number): boolean =>
  Math.abs(value - published) <= tolerance * Math.abs(published);

/** Eq. 10 of the paper as printed (no Euler transformation), to check the transformed evaluation. */
function eq10(p: BgNbdParams, t: number, c: { x: number; t_x: number; T: number }): number {
  const { r, alpha, a, b } = p;
  const z = t / (alpha + c.T + t);
  const f = hyp2f1(r + c.x, b + c.x, a + b + c.x - 1, z);
  const numerator = ((a + b + c.x - 1) / (a - 1)) * (1 - Math.pow((alpha + c.T) / (alpha + c.T + t), r + c.x) * f);
  const denominator = 1 + (c.x > 0 ? (a / (b + c.x - 1)) * Math.pow((alpha + c.T) / (alpha + c.t_x), r + c.x) : 0);
  return numerator / denominator;
}

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005)', () => {
  let customers: RfmSummary[];
  let fit: BgNbdFit;
  let seconds = 0;

  beforeAll(() => {
    customers = cdnowRfm(loadCdnow());
    const t0 = performance.now();
    fit = fitBgNbd(customers);
    seconds = (performance.now() - t0) / 1000;
  });

  it('reproduces the published estimates within 0.5 %', () => {
    // Assess: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4
    expect(within(fit.r, 0.243, 0.005)).toBe(true);
    expect(within(fit.alpha, 4.414, 0.005)).toBe(true);
    expect(within(fit.a, 0.793, 0.005)).toBe(true);
    expect(within(fit.b, 2.426, 0.005)).toBe(true);
    expect(within(fit.logLikelihood, -9582.4, 0.005)).toBe(true);
    // In fact to the printed precision:
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 0);
    expect(fit).toMatchObject({ converged: true, degenerate: false, warnings: [], penalty: 0, customers: 2357 });
    expect(seconds).toBeLessThan(5);
  });

  it('predicts the holdout of the 1,411 customers without a repeat purchase: ≈ 0.23 vs 0.24 actual', () => {
    // Prepare
    const zero = customers.filter((c) => c.x === 0);
    // Act
    const predicted = zero.reduce((s, c) => s + expectedPurchases(fit, 39, c), 0) / zero.length;
    const actual = zero.reduce((s, c) => s + c.holdout, 0) / zero.length;
    // Assess
    expect(zero).toHaveLength(1411);
    expect(Math.abs(predicted - 0.23)).toBeLessThan(0.01);
    expect(Math.abs(actual - 0.24)).toBeLessThan(0.005);
  });

  it('agrees with E[Y(t) | data] computed by integrating the posterior over p (λ integrated analytically)', () => {
    // Alive at T with (λ, p): E[Y(t)] = (1 − e^(−λpt))/p. Joint with the data and the Gamma(r, α)
    // prior on λ this integrates to Γ(r+x)(α+T)^−(r+x) − Γ(r+x)(α+T+pt)^−(r+x), leaving 1-D integrals in p.
    const { r, alpha, a, b } = fit;
    const overP = (g: (p: number) => number): number => {
      // ∫ p^(a−1) g(p) dp = (1/a) ∫ g(u^(1/a)) du, midpoint rule
      const n = 50_000;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += g(Math.pow((i + 0.5) / n, 1 / a));
      return acc / n / a;
    };
    const cases = [customers[0]!, customers[1]!, customers[2]!, customers.find((c) => c.x === 7)!];
    for (const { x, t_x, T } of cases) {
      const t = 39;
      const numerator = overP(
        (p) => (Math.pow(1 - p, x + b - 1) / p) * (Math.pow(alpha + T, -(r + x)) - Math.pow(alpha + T + p * t, -(r + x))),
      );
      const evidence = overP(
        (p) =>
          Math.pow(1 - p, b - 1) *
          (Math.pow(1 - p, x) * Math.pow(alpha + T, -(r + x)) +
            (x > 0 ? p * Math.pow(1 - p, x - 1) * Math.pow(alpha + t_x, -(r + x)) : 0)),
      );
      const mine = expectedPurchases(fit, t, { x, t_x, T });
      expect(Math.abs(mine - numerator / evidence) / mine).toBeLessThan(1e-6);
    }
  });

  it('evaluates eq. 10 through Euler\'s transformation without changing its value', () => {
    for (const c of customers.slice(0, 40)) {
      for (const t of [1, 13, 39, 78]) {
        const mine = expectedPurchases(fit, t, c);
        expect(Math.abs(mine - eq10(fit, t, c))).toBeLessThan(1e-10 * Math.max(1, mine));
      }
    }
  });

  it('matches the population curve E[X(t)] computed by integrating over p ~ Beta(a, b)', () => {
    // E[X(t)] = E_p[(1 − (α/(α+pt))^r) / p]; substitute p = u^(1/a) to remove the p^(a−1) singularity.
    const { r, alpha, a, b } = fit;
    const integrand = (u: number, t: number): number => {
      if (u === 0) return (r * t) / alpha / a; // limit p → 0 of g(p)/a with g(p) = (1 − (α/(α+pt))^r)/p
      const p = Math.pow(u, 1 / a);
      return ((1 - Math.pow(alpha / (alpha + p * t), r)) / p) * Math.pow(1 - p, b - 1) / a;
    };
    for (const t of [5, 39, 78]) {
      const n = 20_000; // Simpson's rule on [0, 1]
      let s = integrand(0, t) + integrand(1, t);
      for (let i = 1; i < n; i++) s += (i % 2 === 0 ? 2 : 4) * integrand(i / n, t);
      const integral = (s / (3 * n)) / Math.exp(logBeta(a, b));
      expect(Math.abs(expectedPurchasesUnconditional(fit, t) - integral) / integral).toBeLessThan(1e-5);
    }
    // At t → 0 the rate is E[λ] = r/α (everyone starts alive).
    expect(expectedPurchasesUnconditional(fit, 1e-4) / 1e-4).toBeCloseTo(fit.r / fit.alpha, 4);
  });

  it('P(alive) is 1 without repeats and falls as the silence since the last purchase grows', () => {
    expect(pAlive(fit, { x: 0, t_x: 0, T: 30 })).toBe(1);
    const recent = pAlive(fit, { x: 4, t_x: 30, T: 32 });
    const lapsed = pAlive(fit, { x: 4, t_x: 5, T: 32 });
    expect(recent).toBeGreaterThan(lapsed);
    const direct = 1 / (1 + (fit.a / (fit.b + 3)) * Math.pow((fit.alpha + 32) / (fit.alpha + 5), fit.r + 4));
    expect(lapsed).toBeCloseTo(direct, 12);
    // A heavy buyer long gone: the odds overflow a double, the probability must not become NaN.
    expect(pAlive(fit, { x: 5000, t_x: 0.001, T: 1e6 })).toBe(0);
  });

  it('log-likelihood is consistent with the fit and handles a = 1 in the expectation', () => {
    expect(bgnbdLogLikelihood(fit, customers)).toBeCloseTo(fit.logLikelihood, 8);
    const atOne = expectedPurchases({ ...fit, a: 1 }, 39, customers[0]!);
    const near = expectedPurchases({ ...fit, a: 1.001 }, 39, customers[0]!);
    expect(Number.isFinite(atOne)).toBe(true);
    expect(Math.abs(atOne - near)).toBeLessThan(1e-3);
  });

  it('rejects impossible input with named errors', () => {
    expect(() => fitBgNbd([])).toThrow(ModelInputError);
    expect(() => fitBgNbd([{ x: 1, t_x: 5, T: 4 }])).toThrow(ModelInputError);
    expect(() => expectedPurchases({ r: 1, alpha: 1, a: -1, b: 1 }, 1, { x: 0, t_x: 0, T: 1 })).toThrow(
      InvalidParametersError,
    );
  });
});
