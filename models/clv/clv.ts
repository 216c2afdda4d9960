/**
 * Customer lifetime value from BG/NBD (how many purchases) × Gamma-Gamma (how much each), and
 * value tiers for targeting.
 */
import { expectedPurchases, type BgNbdParams, type CustomerRft } from './bgnbd.js';
import { ModelInputError } from './errors.js';
import { expectedAverageValue, type GammaGammaParams } from './gamma-gamma.js';

export interface ClvModels {
  readonly bgnbd: BgNbdParams;
  readonly gammaGamma: GammaGammaParams;
}

export interface ClvCustomer extends CustomerRft {
  /** Mean value of the repeat transactions (ignored when x = 0). */
  readonly monetary: number;
}

export interface ClvOptions {
  /** Number of periods to sum over (a positive integer), e.g. 12 months. */
  readonly horizon: number;
  /** Discount rate per period, e.g. 0.01 per month (≈ 12.7 % a year). */
  readonly discountRatePerPeriod: number;
  /** Length of one period in the models' time unit, e.g. 52/12 ≈ 4.345 for months when fitted in weeks. */
  readonly periodLength: number;
  /** Profit margin applied to spend; default 1 (CLV in revenue). */
  readonly margin?: number;
}

/**
 * CLV = Σ_{k=1..H} margin · E[M] · (E[Y(kL)] − E[Y((k−1)L)]) / (1+d)^k, with E[Y] BG/NBD's
 * conditional expectation and E[M] Gamma-Gamma's expected average order value. Each period's
 * purchases are discounted at the period's end (the convention of the lifetimes package, whose
 * documented CDNOW figures the tests reproduce).
 */
export function customerLifetimeValue(models: ClvModels, customer: ClvCustomer, options: ClvOptions): number {
  const { horizon, discountRatePerPeriod: d, periodLength } = options;
  const margin = options.margin ?? 1;
  if (!Number.isInteger(horizon) || horizon < 1) throw new ModelInputError(`horizon must be a positive integer, got ${horizon}`);
  if (!(d > -1) || !Number.isFinite(d)) throw new ModelInputError(`discountRatePerPeriod must be > -1, got ${d}`);
  if (!(periodLength > 0) || !Number.isFinite(periodLength)) throw new ModelInputError(`periodLength must be > 0, got ${periodLength}`);
  if (!Number.isFinite(margin)) throw new ModelInputError(`margin must be finite, got ${margin}`);

  const orderValue = expectedAverageValue(models.gammaGamma, { x: customer.x, monetary: customer.monetary });
  let value = 0;
  let previous = 0;
  for (let k = 1; k <= horizon; k++) {
    const cumulative = expectedPurchases(models.bgnbd, k * periodLength, customer);
    value += (margin * orderValue * (cumulative - previous)) / Math.pow(1 + d, k);
    previous = cumulative;
  }
  return value;
}

export type ValueTier = 'diamond' | 'gold' | 'silver' | 'bronze';

/** Minimum CLV of each tier (inclusive); below `silver` is bronze. Must be diamond >= gold >= silver. */
export interface TierThresholds {
  readonly diamond: number;
  readonly gold: number;
  readonly silver: number;
}

/** Quantiles of the CLV distribution at which each tier starts. */
export interface TierQuantiles {
  readonly diamond: number;
  readonly gold: number;
  readonly silver: number;
}

/**
 * Defaults: top 5 % diamond, next 15 % gold, next 30 % silver, bottom half bronze. Value is
 * concentrated (in CDNOW the top 5 % hold about a third of predicted value), so the top tier is
 * kept small enough for white-glove treatment, and "bronze" is most of the base.
 */
export const DEFAULT_TIER_QUANTILES: TierQuantiles = { diamond: 0.95, gold: 0.8, silver: 0.5 };

/** The tier of one CLV given absolute thresholds (ties go to the higher tier). */
export function valueTier(clv: number, thresholds: TierThresholds): ValueTier {
  checkThresholds(thresholds);
  if (Number.isNaN(clv)) throw new ModelInputError('clv is NaN');
  if (clv >= thresholds.diamond) return 'diamond';
  if (clv >= thresholds.gold) return 'gold';
  if (clv >= thresholds.silver) return 'silver';
  return 'bronze';
}

/**
 * Absolute thresholds from quantiles of a population of CLVs (linear interpolation between
 * order statistics, R's type 7). Many customers can share one CLV (all one-time buyers of the
 * same age do), and ties go up, so a tier can hold more than its nominal share.
 */
export function tierThresholdsFromQuantiles(
  clvs: readonly number[],
  quantiles: TierQuantiles = DEFAULT_TIER_QUANTILES,
): TierThresholds {
  if (clvs.length === 0) throw new ModelInputError('no CLVs to take quantiles of');
  if (clvs.some((v) => !Number.isFinite(v))) throw new ModelInputError('CLVs must be finite');
  for (const q of [quantiles.diamond, quantiles.gold, quantiles.silver]) {
    if (!(q >= 0 && q <= 1)) throw new ModelInputError(`quantiles must be in [0, 1], got ${q}`);
  }
  const sorted = [...clvs].sort((p, q) => p - q);
  const thresholds = {
    diamond: quantile(sorted, quantiles.diamond),
    gold: quantile(sorted, quantiles.gold),
    silver: quantile(sorted, quantiles.silver),
  };
  checkThresholds(thresholds);
  return thresholds;
}

/** Tiers for a whole population: absolute thresholds, or quantiles of these very CLVs. */
export function valueTiers(
  clvs: readonly number[],
  spec: { readonly absolute: TierThresholds } | { readonly quantiles?: TierQuantiles } = {},
): ValueTier[] {
  const thresholds = 'absolute' in spec ? spec.absolute : tierThresholdsFromQuantiles(clvs, spec.quantiles);
  return clvs.map((v) => valueTier(v, thresholds));
}

function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function checkThresholds(t: TierThresholds): void {
  if (![t.diamond, t.gold, t.silver].every((v) => !Number.isNaN(v))) throw new ModelInputError('thresholds must be numbers');
  if (!(t.diamond >= t.gold && t.gold >= t.silver)) {
    throw new ModelInputError(`thresholds must satisfy diamond >= gold >= silver, got ${t.diamond}, ${t.gold}, ${t.silver}`);
  }
}
