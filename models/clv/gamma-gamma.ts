/**
 * Gamma-Gamma model of spend per transaction, Fader, Hardie & Lee (2005), "RFM and CLV: Using
 * Iso-Value Curves for Customer Base Analysis", J. Marketing Research 42(4); the formulation of
 * Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value" (2013).
 *
 * A customer's transaction values are Gamma(p, ν); their scale ν ~ Gamma(q, γ) across customers.
 * Only the mean spend m̄ over x transactions is needed. The model assumes spend is independent
 * of purchase frequency: check that correlation before trusting it.
 */
import { InvalidParametersError, ModelInputError } from './errors.js';
import { minimize } from './optimize.js';
import { logGamma } from './special.js';

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly gamma: number;
}

export interface CustomerSpend {
  /** Number of transactions the mean is taken over (the repeat transactions, x > 0). */
  readonly x: number;
  /** Mean value of those transactions (> 0). */
  readonly monetary: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  readonly logLikelihood: number;
  readonly converged: boolean;
  /** Customers used (those with x > 0 and monetary > 0). */
  readonly customers: number;
  readonly warnings: string[];
}

export interface GammaGammaFitOptions {
  /** L2 penalty on ln p, ln q, ln γ (default 0). */
  readonly penalty?: number;
}

const LOG_BOUND = 18;

/**
 * ln f(m̄ | p, q, γ, x) = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ + m̄x).
 */
export function gammaGammaCustomerLogLikelihood(params: GammaGammaParams, c: CustomerSpend): number {
  const { p, q, gamma } = params;
  const { x, monetary: m } = c;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(gamma) +
    (px - 1) * Math.log(m) +
    px * Math.log(x) -
    (px + q) * Math.log(gamma + m * x)
  );
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, customers: readonly CustomerSpend[]): number {
  let ll = 0;
  for (const c of customers) ll += gammaGammaCustomerLogLikelihood(params, c);
  return ll;
}

/**
 * Maximum likelihood on the customers with x > 0 (the others have no repeat spend to learn
 * from and are filtered out here, so callers can pass every RFM summary).
 */
export function fitGammaGamma(customers: readonly CustomerSpend[], options: GammaGammaFitOptions = {}): GammaGammaFit {
  const penalty = options.penalty ?? 0;
  const used = customers.filter((c) => c.x > 0 && c.monetary > 0);
  for (const c of used) {
    if (!Number.isInteger(c.x) || !Number.isFinite(c.monetary)) {
      throw new ModelInputError(`need integer x and finite monetary, got x=${c.x}, monetary=${c.monetary}`);
    }
  }
  if (used.length < 2) throw new ModelInputError(`need at least 2 customers with repeat spend, got ${used.length}`);
  const meanSpend = used.reduce((s, c) => s + c.monetary, 0) / used.length;
  const objective = (theta: readonly number[]): number => {
    if (theta.some((v) => Math.abs(v) > LOG_BOUND)) return Infinity;
    const params = { p: Math.exp(theta[0]!), q: Math.exp(theta[1]!), gamma: Math.exp(theta[2]!) };
    let pen = 0;
    for (const v of theta) pen += v * v;
    return -gammaGammaLogLikelihood(params, used) + penalty * pen;
  };
  // Start at p = q = 2 (a finite-mean prior) with γ matching the sample mean: E[M] = pγ/(q−1).
  const x0 = [Math.log(2), Math.log(2), Math.log(meanSpend / 2)];
  const result = minimize(objective, x0, { step: 0.5, maxIterations: 4_000, restarts: 4 });
  const params = { p: Math.exp(result.x[0]!), q: Math.exp(result.x[1]!), gamma: Math.exp(result.x[2]!) };
  const warnings: string[] = [];
  if (!result.converged) warnings.push('optimiser did not meet its tolerances; estimates may be imprecise');
  if (result.x.some((v) => Math.abs(v) > LOG_BOUND - 1)) warnings.push('a parameter reached its bound; the fit is degenerate');
  if (params.q <= 1) warnings.push(`q = ${params.q} <= 1: the population mean spend pγ/(q−1) is infinite`);
  return {
    ...params,
    logLikelihood: gammaGammaLogLikelihood(params, used),
    converged: result.converged,
    customers: used.length,
    warnings,
  };
}

/**
 * E[M | x, m̄] = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄ = p(γ + x m̄)/(px + q − 1):
 * a weighted average of the population mean and the customer's own mean, the weight on the
 * customer's own mean growing with x. For x = 0 this is the population mean pγ/(q−1).
 */
export function expectedAverageValue(params: GammaGammaParams, c: CustomerSpend): number {
  const { p, q, gamma } = params;
  for (const [k, v] of [['p', p], ['q', q], ['gamma', gamma]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new InvalidParametersError(`Gamma-Gamma ${k} must be positive and finite, got ${v}`);
  }
  if (!Number.isInteger(c.x) || c.x < 0) throw new ModelInputError(`x must be a non-negative integer, got ${c.x}`);
  const x = c.x;
  const m = x > 0 ? c.monetary : 0;
  if (!Number.isFinite(m) || m < 0) throw new ModelInputError(`monetary must be finite and >= 0, got ${c.monetary}`);
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) {
    throw new InvalidParametersError(`expected spend is infinite: p·x + q − 1 = ${denominator} <= 0`);
  }
  return (p * (gamma + x * m)) / denominator;
}
