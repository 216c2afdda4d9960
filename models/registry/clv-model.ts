import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { bgnbdEstimates, fitBgNbd } from '../clv/bgnbd.js';
import { DEFAULT_TIER_QUANTILES, tierThresholdsFromQuantiles, type TierQuantiles } from '../clv/clv.js';
import { fitGammaGamma, type GammaGammaFit } from '../clv/gamma-gamma.js';
import { clvInputsAt } from '../scoring/clv-inputs.js';
import { clvValues } from '../scoring/clv-values.js';
import { ClvFitError } from './errors.js';
import type { ClvModel } from './schema.js';

/**
 * Fits the CLV registry entry: BG/NBD (which flags and regularises degenerate fits) and
 * Gamma-Gamma on every customer's purchases before `asOf`, then the tier thresholds as
 * quantiles of the fitted population's 12-month CLV. Pure: `asOf` is passed in.
 */
export interface ClvFitOptions {
  readonly tierQuantiles?: TierQuantiles;
  readonly horizonMonths?: number;
  /** Monthly discount rate (default 0.01, about 12.7 % a year). */
  readonly discountRatePerMonth?: number;
}

const WEEKS_PER_MONTH = 52 / 12;

function fitSpend(spend: Array<{ x: number; monetary: number }>, warnings: string[]): GammaGammaFit & { penalty: number } {
  // q <= 1 means an infinite population mean spend: refit with a growing penalty until finite.
  for (const penalty of [0, 0.1, 1, 10]) {
    const fit = fitGammaGamma(spend, { penalty });
    if (fit.q > 1) {
      if (penalty > 0) warnings.push(`Gamma-Gamma refitted with penalty ${penalty} so that q > 1 (finite mean spend)`);
      warnings.push(...fit.warnings);
      return { ...fit, penalty };
    }
  }
  throw new ClvFitError('Gamma-Gamma gives an infinite mean spend (q <= 1) even with a penalty');
}

export function fitClvModel(
  eventsByCustomer: ReadonlyMap<string, readonly StoredEvent[]>,
  asOf: Date,
  options: ClvFitOptions = {},
): ClvModel {
  const inputs = clvInputsAt(eventsByCustomer, asOf);
  if (inputs.size < 2) throw new ClvFitError(`need at least 2 customers with an order before ${asOf.toISOString()}, got ${inputs.size}`);
  const customers = [...inputs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const warnings: string[] = [];
  const bg = fitBgNbd(customers.map(([, c]) => ({ x: c.x, t_x: c.t_x, T: c.T })));
  warnings.push(...bg.warnings);
  let gg: GammaGammaFit & { penalty: number };
  try {
    gg = fitSpend(customers.map(([, c]) => ({ x: c.x, monetary: c.monetary })), warnings);
  } catch (err) {
    if (err instanceof ClvFitError) throw err;
    throw new ClvFitError(`cannot fit Gamma-Gamma: ${(err as Error).message}`, { cause: err });
  }
  let totalValue = 0;
  let orderDays = 0;
  for (const [, c] of customers) {
    totalValue += c.totalValue;
    orderDays += c.orderDays;
  }
  const tierQuantiles = options.tierQuantiles ?? DEFAULT_TIER_QUANTILES;
  const hash = createHash('sha256');
  for (const [id, c] of customers) hash.update(`${id}|${c.x}|${c.t_x}|${c.T}|${c.monetary}\n`);

  const model: ClvModel = {
    schemaVersion: 1,
    asOf: asOf.toISOString(),
    unit: 'weeks',
    bgnbd: {
      ...bgnbdEstimates(bg),
      penalty: bg.penalty,
      degenerate: bg.degenerate,
      converged: bg.converged,
    },
    gammaGamma: { p: gg.p, q: gg.q, gamma: gg.gamma, logLikelihood: gg.logLikelihood, penalty: gg.penalty, customers: gg.customers },
    clv: {
      horizonMonths: options.horizonMonths ?? 12,
      discountRatePerMonth: options.discountRatePerMonth ?? 0.01,
      periodLengthWeeks: WEEKS_PER_MONTH,
    },
    meanOrderValue: orderDays > 0 ? totalValue / orderDays : 0,
    tierQuantiles,
    // Placeholder until the population's CLVs are known (they need the fitted model itself).
    tierThresholds: { diamond: 0, gold: 0, silver: 0 },
    customers: customers.length,
    dataHash: hash.digest('hex'),
    warnings,
  };
  const clvs = customers.map(([, c]) => clvValues(model, c).clv12m);
  return { ...model, tierThresholds: tierThresholdsFromQuantiles(clvs, tierQuantiles) };
}
