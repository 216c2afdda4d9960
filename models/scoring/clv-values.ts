import { expectedPurchases, pAlive } from '../clv/bgnbd.js';
import { expectedAverageValue } from '../clv/gamma-gamma.js';
import type { ClvModel } from '../registry/schema.js';
import type { ClvInputs } from './clv-inputs.js';

/**
 * A customer's CLV figures from the champion CLV model. Every output is finite: the BG/NBD and
 * Gamma-Gamma functions are finite for valid parameters, and where Gamma-Gamma cannot give an
 * expected order value (q <= 1 makes the population mean infinite) the customer's own mean,
 * else the population's observed mean, is used instead.
 *
 * CLV = E[M] x sum_{k=1..12} (E[Y(k L)] - E[Y((k-1) L)]) / (1+d)^k with L one month in weeks:
 * the formula of models/clv/clv.ts customerLifetimeValue (margin 1), with the guarded E[M].
 */
export interface ClvValues {
  readonly pAlive: number;
  readonly expectedPurchases90d: number;
  readonly expectedOrderValue: number;
  readonly clv12m: number;
}

export const EXPECTED_PURCHASES_DAYS = 90;

const finiteOr = (v: number, fallback: number): number => (Number.isFinite(v) ? v : fallback);

export function expectedOrderValue(model: ClvModel, c: ClvInputs | undefined): number {
  const own = c && c.orderDays > 0 ? c.totalValue / c.orderDays : model.meanOrderValue;
  try {
    const v = expectedAverageValue(model.gammaGamma, { x: c?.x ?? 0, monetary: c?.monetary ?? 0 });
    return finiteOr(v, own);
  } catch {
    return finiteOr(own, 0);
  }
}

/** `undefined` inputs = a prospect (no order yet): alive by convention, nothing expected yet. */
export function clvValues(model: ClvModel, c: ClvInputs | undefined): ClvValues {
  const orderValue = Math.max(0, expectedOrderValue(model, c));
  if (!c) return { pAlive: 1, expectedPurchases90d: 0, expectedOrderValue: orderValue, clv12m: 0 };
  const rft = { x: c.x, t_x: c.t_x, T: c.T };
  const alive = finiteOr(pAlive(model.bgnbd, rft), 0);
  const purchases90 = finiteOr(expectedPurchases(model.bgnbd, EXPECTED_PURCHASES_DAYS / 7, rft), 0);
  const { horizonMonths, discountRatePerMonth: d, periodLengthWeeks: L } = model.clv;
  let discounted = 0;
  let previous = 0;
  for (let k = 1; k <= horizonMonths; k++) {
    const cumulative = finiteOr(expectedPurchases(model.bgnbd, k * L, rft), previous);
    discounted += (cumulative - previous) / Math.pow(1 + d, k);
    previous = cumulative;
  }
  return {
    pAlive: Math.min(1, Math.max(0, alive)),
    expectedPurchases90d: Math.max(0, purchases90),
    expectedOrderValue: orderValue,
    clv12m: Math.max(0, finiteOr(orderValue * discounted, 0)),
  };
}
