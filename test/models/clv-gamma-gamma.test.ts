import { describe, expect, it } from 'vitest';
import { InvalidParametersError, ModelInputError } from '../../models/clv/errors.js';
import {
  expectedAverageValue,
  fitGammaGamma,
  gammaGammaCustomerLogLikelihood,
} from '../../models/clv/gamma-gamma.js';
import { cdnowRfm, loadCdnow } from '../../models/data/cdnow.js';

const within = (value: number, published: number, tolerance: number): boolean =>
  Math.abs(value - published) <= tolerance * Math.abs(published);

describe('Gamma-Gamma spend model', () => {
  it('reproduces p = 6.25, q = 3.74, γ = 15.44 on CDNOW (spend = mean of repeat transactions) within 2 %', () => {
    // Prepare
    const customers = cdnowRfm(loadCdnow());
    // Act
    const fit = fitGammaGamma(customers);
    // Assess
    expect(fit.customers).toBe(946); // customers with x > 0
    expect(within(fit.p, 6.25, 0.02)).toBe(true);
    expect(within(fit.q, 3.74, 0.02)).toBe(true);
    expect(within(fit.gamma, 15.44, 0.02)).toBe(true);
    expect(fit.converged).toBe(true);
    expect(fit.warnings).toEqual([]);
    // The first customer (x = 2, mean repeat spend 22.35) is shrunk towards the population mean.
    const populationMean = (fit.p * fit.gamma) / (fit.q - 1);
    const first = expectedAverageValue(fit, customers[0]!);
    expect(first).toBeGreaterThan(customers[0]!.monetary);
    expect(first).toBeLessThan(populationMean);
    expect(expectedAverageValue(fit, { x: 0, monetary: 123 })).toBeCloseTo(populationMean, 10);
  });

  it('writes E[M] as a credibility-weighted average of the population and the customer means', () => {
    const params = { p: 6, q: 4, gamma: 15 };
    const c = { x: 3, monetary: 40 };
    const w = (params.p * c.x) / (params.p * c.x + params.q - 1);
    const expected = (1 - w) * ((params.p * params.gamma) / (params.q - 1)) + w * c.monetary;
    expect(expectedAverageValue(params, c)).toBeCloseTo(expected, 10);
  });

  it('has a proper density: the likelihood of m̄ integrates to 1 over m̄', () => {
    const params = { p: 2.5, q: 3, gamma: 10 };
    let s = 0;
    const h = 0.01;
    for (let m = h / 2; m < 2000; m += h) s += Math.exp(gammaGammaCustomerLogLikelihood(params, { x: 3, monetary: m })) * h;
    expect(s).toBeCloseTo(1, 4);
  });

  it('refuses unusable input', () => {
    expect(() => fitGammaGamma([{ x: 0, monetary: 0 }])).toThrow(ModelInputError);
    expect(() => expectedAverageValue({ p: 1, q: 0.5, gamma: 1 }, { x: 0, monetary: 0 })).toThrow(InvalidParametersError);
  });
});
