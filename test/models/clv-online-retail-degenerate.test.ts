import { beforeAll, describe, expect, it } from 'vitest';
import { expectedPurchases, fitBgNbd, pAlive } from '../../models/clv/bgnbd.js';
import { customerLifetimeValue } from '../../models/clv/clv.js';
import { fitGammaGamma } from '../../models/clv/gamma-gamma.js';
import { minimize } from '../../models/clv/optimize.js';
import { logPochhammer } from '../../models/clv/special.js';
import { loadOnlineRetail } from '../../models/data/online-retail.js';
import { rfmSummary, type Purchase, type RfmSummary } from '../../models/data/rfm.js';

function nbdLogLikelihood(r: number, alpha: number, customers: readonly RfmSummary[]): number {
  let ll = 0;
  for (const c of customers) ll += logPochhammer(r, c.x) + r * Math.log(alpha) - (r + c.x) * Math.log(alpha + c.T);
  return ll;
}

describe('BG/NBD on Online Retail: degenerate MLE is detected and regularised', () => {
  let purchases: Purchase[];

  beforeAll(async () => {
    const { orders } = await loadOnlineRetail();
    // Placed orders only: a cancellation is not a purchase occasion.
    purchases = orders
      .filter((o) => o.status === 'placed')
      .map((o) => ({ customerId: o.customerId, timestamp: o.timestamp, value: o.total }));
  });

  for (const unit of ['weeks', 'days'] as const) {
    it(`flags a -> 0, b -> infinity and returns finite parameters and predictions (${unit})`, () => {
      // Prepare
      const customers: RfmSummary[] = rfmSummary(purchases, { calibrationEnd: '2011-09-10', unit, holdoutEnd: '2011-12-09' });
      expect(customers.length).toBeGreaterThan(3300); // ≈ 3,370 customers with a purchase before the cutoff
      expect(customers.length).toBeLessThan(3450);
      // Act
      const fit = fitBgNbd(customers);
      // Assess
      expect(fit.degenerate).toBe(true);
      expect(fit.warnings.join(' ')).toMatch(/degenerate/);
      expect(fit.penalty).toBeGreaterThan(0);
      for (const v of [fit.r, fit.alpha, fit.a, fit.b, fit.logLikelihood]) expect(Number.isFinite(v)).toBe(true);
      expect(fit.b / fit.a).toBeLessThan(1e4);
      const horizon = unit === 'weeks' ? 90 / 7 : 90;
      let predicted = 0;
      for (const c of customers) {
        const e = expectedPurchases(fit, horizon, c);
        const alive = pAlive(fit, c);
        expect(Number.isFinite(e) && e >= 0).toBe(true);
        expect(alive >= 0 && alive <= 1).toBe(true);
        predicted += e;
      }
      // The holdout is the Christmas peak, which a stationary model under-predicts, but not wildly.
      const actual = customers.reduce((s, c) => s + c.holdout, 0);
      expect(predicted / actual).toBeGreaterThan(0.5);
      expect(predicted / actual).toBeLessThan(1.2);
      // The penalty is light. The supremum the plain MLE chases is the dropout-free NBD (p = 0),
      // whose likelihood per customer is lnΓ(r+x) − lnΓ(r) + r ln α − (r+x) ln(α+T): the
      // regularised fit must sit just below it (within 1.5 log-likelihood units), never above.
      const nbd = minimize((th) => -nbdLogLikelihood(Math.exp(th[0]!), Math.exp(th[1]!), customers), [0, Math.log(horizon)]);
      expect(fit.logLikelihood).toBeGreaterThan(-nbd.fx - 1.5);
      expect(fit.logLikelihood).toBeLessThan(-nbd.fx + 1e-3);
    });
  }

  it('gives finite CLVs for every customer from the regularised fit', () => {
    const customers = rfmSummary(purchases, { calibrationEnd: '2011-09-10', unit: 'weeks' });
    const bgnbd = fitBgNbd(customers);
    const gammaGamma = fitGammaGamma(customers);
    for (const c of customers) {
      const v = customerLifetimeValue({ bgnbd, gammaGamma }, c, { horizon: 12, discountRatePerPeriod: 0.01, periodLength: 52 / 12 });
      expect(Number.isFinite(v) && v >= 0).toBe(true);
    }
  });
});
