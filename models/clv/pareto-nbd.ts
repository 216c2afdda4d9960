/**
 * Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987), with the
 * likelihood as derived by Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and Related
 * Expressions" (2005), eqs. 18-20, and checked against lifetimes' ParetoNBDFitter.
 *
 * While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and dies after an
 * exponential lifetime with rate μ ~ Gamma(s, β), in continuous time (BG/NBD's death can only
 * happen right after a purchase). Customers are summarised by (x, t_x, T) exactly as for BG/NBD.
 *
 * Numerics: the likelihood holds A₀ = F(t_x)/(max(α,β)+t_x)^(r+s+x) − F(T)/(max(α,β)+T)^(r+s+x)
 * with F(y) = ₂F₁(r+s+x, t; r+s+x+1; |α−β|/(max(α,β)+y)): a difference of two positive terms,
 * each of which over/underflows a double for heavy buyers ((α+T)^(r+s+x) with x in the
 * hundreds). It is computed in logs as l₁ + log1p(−e^(l₂−l₁)) (l₁ >= l₂ always, since the
 * first term is the larger), and the whole likelihood is a log-sum-exp of its two branches.
 * The ₂F₁ argument is in [0, 1), so its power series converges; the choice of which of α, β
 * plays "max" keeps the argument small when α and β are close, as they are on real data.
 */
import { ConvergenceError, InvalidParametersError, ModelInputError } from './errors.js';
import type { CustomerRft } from './bgnbd.js';
import { minimize } from './optimize.js';
import { hyp2f1, logAddExp, logistic, logPochhammer } from './special.js';

export interface ParetoNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly s: number;
  readonly beta: number;
}

export interface ParetoNbdFit extends ParetoNbdParams {
  readonly logLikelihood: number;
  readonly converged: boolean;
  readonly customers: number;
  readonly warnings: string[];
}

export interface ParetoNbdFitOptions {
  /** Starting point; default r = s = 1, α = β = mean T / 10. */
  readonly start?: ParetoNbdParams;
}

/** Parameters are searched in [e^-LOG_BOUND, e^LOG_BOUND] (log space), as for BG/NBD. */
const LOG_BOUND = 18;
/**
 * Term budget of ₂F₁ inside the objective. The optimiser may wander to α/β ratios where the
 * argument nears 1 and the series needs many terms; such points are far from the optimum, so
 * they are rejected (+∞) instead of paid for.
 */
const OBJECTIVE_MAX_TERMS = 20_000;

/** ln A₀ of eqs. 19-20; −∞ when t_x = T (the two terms cancel exactly). */
export function logA0(p: ParetoNbdParams, c: CustomerRft, maxTerms?: number): number {
  const { r, alpha, s, beta } = p;
  const { x, t_x, T } = c;
  const [min, max, t] = alpha < beta ? [alpha, beta, r + x] : [beta, alpha, s + 1];
  const rsx = r + s + x;
  const diff = max - min;
  const opts = maxTerms === undefined ? {} : { maxTerms };
  const f1 = hyp2f1(rsx, t, rsx + 1, diff / (max + t_x), opts);
  const f2 = hyp2f1(rsx, t, rsx + 1, diff / (max + T), opts);
  const l1 = Math.log(f1) - rsx * Math.log(max + t_x);
  const l2 = Math.log(f2) - rsx * Math.log(max + T);
  if (!(l1 > l2)) return -Infinity;
  return l1 + Math.log1p(-Math.exp(l2 - l1));
}

/** Log-likelihood of one customer (eq. 18), in log-sum-exp form. */
export function paretoNbdCustomerLogLikelihood(p: ParetoNbdParams, c: CustomerRft, maxTerms?: number): number {
  const { r, alpha, s, beta } = p;
  const { x, T } = c;
  const a1 = logPochhammer(r, x) + r * Math.log(alpha) + s * Math.log(beta);
  // Alive at T: e^{−λT} λ^x integrated over both gammas.
  const alive = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  // Died somewhere in (t_x, T].
  const died = Math.log(s) - Math.log(r + s + x) + logA0(p, c, maxTerms);
  return a1 + logAddExp(alive, died);
}

export function paretoNbdLogLikelihood(p: ParetoNbdParams, customers: readonly CustomerRft[]): number {
  let ll = 0;
  for (const c of customers) ll += paretoNbdCustomerLogLikelihood(p, c);
  return ll;
}

/** Maximum-likelihood fit (Nelder-Mead in log-parameter space, identical customers grouped). */
export function fitParetoNbd(customers: readonly CustomerRft[], options: ParetoNbdFitOptions = {}): ParetoNbdFit {
  if (customers.length === 0) throw new ModelInputError('no customers to fit');
  for (const c of customers) validateCustomer(c);
  const groups = new Map<string, { c: CustomerRft; w: number }>();
  for (const c of customers) {
    const key = `${c.x}|${c.t_x}|${c.T}`;
    const g = groups.get(key);
    if (g) g.w++;
    else groups.set(key, { c: { x: c.x, t_x: c.t_x, T: c.T }, w: 1 });
  }
  const list = [...groups.values()];
  const meanT = customers.reduce((sum, c) => sum + c.T, 0) / customers.length;
  const start = options.start ?? { r: 1, alpha: Math.max(meanT / 10, 1e-3), s: 1, beta: Math.max(meanT / 10, 1e-3) };
  const objective = (theta: readonly number[]): number => {
    if (theta.some((v) => Math.abs(v) > LOG_BOUND)) return Infinity;
    const p = fromLog(theta);
    let ll = 0;
    try {
      for (const g of list) ll += g.w * paretoNbdCustomerLogLikelihood(p, g.c, OBJECTIVE_MAX_TERMS);
    } catch (err) {
      if (err instanceof ConvergenceError) return Infinity;
      throw err;
    }
    return -ll;
  };
  const x0 = [Math.log(start.r), Math.log(start.alpha), Math.log(start.s), Math.log(start.beta)];
  const result = minimize(objective, x0, { step: 0.5, maxIterations: 4_000, restarts: 4 });
  const params = fromLog(result.x);
  const warnings: string[] = [];
  const converged = result.converged && Number.isFinite(result.fx);
  if (!converged) warnings.push('optimiser did not meet its tolerances; estimates may be imprecise');
  if (result.x.some((v) => Math.abs(v) > LOG_BOUND - 1)) {
    warnings.push('a parameter reached the search bound: the data do not identify the lifetime distribution');
  }
  return { ...params, logLikelihood: -result.fx, converged, customers: customers.length, warnings };
}

function fromLog(theta: readonly number[]): ParetoNbdParams {
  return { r: Math.exp(theta[0]!), alpha: Math.exp(theta[1]!), s: Math.exp(theta[2]!), beta: Math.exp(theta[3]!) };
}

function validateCustomer(c: CustomerRft): void {
  if (!Number.isInteger(c.x) || c.x < 0) throw new ModelInputError(`x must be a non-negative integer, got ${c.x}`);
  if (!(c.t_x >= 0) || !(c.T >= c.t_x) || !Number.isFinite(c.T)) {
    throw new ModelInputError(`need 0 <= t_x <= T (finite), got t_x=${c.t_x}, T=${c.T}`);
  }
}

function validateParams(p: ParetoNbdParams): void {
  for (const k of ['r', 'alpha', 's', 'beta'] as const) {
    const v = p[k];
    if (!Number.isFinite(v) || v <= 0) throw new InvalidParametersError(`Pareto/NBD ${k} must be positive and finite, got ${v}`);
  }
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A₀) (eq. 37), through the
 * log-odds so that heavy buyers cannot overflow.
 */
export function paretoNbdPAlive(p: ParetoNbdParams, c: CustomerRft): number {
  validateParams(p);
  validateCustomer(c);
  const { r, alpha, s, beta } = p;
  const logOddsDead =
    Math.log(s) - Math.log(r + s + c.x) + (r + c.x) * Math.log(alpha + c.T) + s * Math.log(beta + c.T) + logA0(p, c);
  return logistic(-logOddsDead);
}

/**
 * E[Y(t) | x, t_x, T] (eq. 41): P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)].
 * The bracket over (s−1) is written as −expm1((s−1)·ln q)/(s−1), which tends to −ln q at s = 1
 * instead of 0/0.
 */
export function paretoNbdExpectedPurchases(p: ParetoNbdParams, t: number, c: CustomerRft): number {
  validateParams(p);
  validateCustomer(c);
  if (!(t >= 0) || !Number.isFinite(t)) throw new ModelInputError(`horizon t must be finite and >= 0, got ${t}`);
  if (t === 0) return 0;
  const { r, alpha, s, beta } = p;
  const rate = ((r + c.x) * (beta + c.T)) / (alpha + c.T);
  return paretoNbdPAlive(p, c) * rate * lifetimeFactor(s, Math.log((beta + c.T) / (beta + c.T + t)));
}

/** E[X(t)] for a customer just acquired: r β / (α (s−1)) · [1 − (β/(β+t))^(s−1)]. */
export function paretoNbdExpectedPurchasesUnconditional(p: ParetoNbdParams, t: number): number {
  validateParams(p);
  if (!(t >= 0) || !Number.isFinite(t)) throw new ModelInputError(`horizon t must be finite and >= 0, got ${t}`);
  if (t === 0) return 0;
  return ((p.r * p.beta) / p.alpha) * lifetimeFactor(p.s, Math.log(p.beta / (p.beta + t)));
}

/** [1 − q^(s−1)] / (s−1) for ln q <= 0, continuous at s = 1 (where it is −ln q). */
function lifetimeFactor(s: number, logQ: number): number {
  const k = s - 1;
  if (Math.abs(k * logQ) < 1e-12) return -logQ;
  return -Math.expm1(k * logQ) / k;
}
