/**
 * The simulated population of `npm run bench:targeting`: customers whose response to a message
 * and to a coupon is known (the ground truth the policies are judged on) and differs from their
 * churn risk, and what winback can observe of them (a score item and profile traits).
 *
 * Four kinds of customer, in the proportions of SEGMENTS (never observed directly):
 *   sure things      low churn (3-30 %); the message and coupons change almost nothing
 *   persuadables     middling to high churn (30-85 %); the message adds 4-16 points of P(order),
 *                    a coupon up to 15 more
 *   lost causes      the highest churn (60-98 %); nearly nothing brings them back
 *   do-not-disturbs  churn 20-70 %; being contacted *raises* their churn by 3-12 points (a coupon
 *                    softens it a little)
 * So the response is linked to churn risk (persuadables are at risk) but is not it: the riskiest
 * customers are mostly lost causes. A coupon of `s` (GBP) adds couponGain·(1 − e^(−s/8)): smaller
 * steps buy most of a coupon's effect, larger ones little more.
 *
 * True uplift of a contact with coupon s: P(order | sent, s) − P(order | not sent), with
 * P(order | not sent) = 1 − churn and P(order | sent, s) clamped to [0, 1]. A conversion is worth
 * `value` (the customer's next 12 months of orders if kept).
 *
 * What winback sees (noisy, and the segment only through its signs): the churn model's score (the
 * true churn through logit noise of sd 0.6), CLV (the value with 25 % noise), expected order
 * value, orders, days since the last order, propensity and P(alive) (functions of churn, noisy),
 * and traits: e-mail opens in 90 days (many for sure things, more for the more persuadable, few for
 * lost causes and do-not-disturbs), past coupon redemptions (more for the coupon-sensitive),
 * topics unsubscribed from (more for do-not-disturbs) and the acquisition channel (weakly related).
 */
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import { createRng } from '../../models/random.js';

export type Segment = 'sure-thing' | 'persuadable' | 'lost-cause' | 'do-not-disturb';

export const SEGMENTS: ReadonlyArray<{ readonly segment: Segment; readonly share: number }> = [
  { segment: 'sure-thing', share: 0.25 },
  { segment: 'persuadable', share: 0.3 },
  { segment: 'lost-cause', share: 0.3 },
  { segment: 'do-not-disturb', share: 0.15 },
];

/** Coupon effect scale (GBP): a coupon of s buys 1 − e^(−s/COUPON_SCALE) of the customer's coupon gain. */
export const COUPON_SCALE = 8;

export interface SimCustomer {
  readonly customerId: string;
  readonly segment: Segment;
  /** True P(no order in the window) when not contacted. */
  readonly churn: number;
  /** True effect of the message alone on P(order) (negative for do-not-disturbs). */
  readonly message: number;
  /** True extra effect of a large coupon on P(order). */
  readonly couponGain: number;
  /** Revenue of a conversion (the customer's next 12 months if kept), GBP. */
  readonly value: number;
  /** What winback's scoring would have stored. */
  readonly score: CustomerScore;
  /** Profile traits. */
  readonly traits: Record<string, string | number | boolean>;
}

/** True uplift of contacting `c` with a coupon of `step` GBP (0: the message alone). */
export function trueUplift(c: SimCustomer, step: number): number {
  const base = 1 - c.churn;
  const sent = Math.min(1, Math.max(0, base + c.message + c.couponGain * (1 - Math.exp(-step / COUPON_SCALE))));
  return sent - base;
}

/** Draws whether `c` orders in the window (sent with coupon `step`, or not sent when step is undefined). */
export function drawOutcome(c: SimCustomer, step: number | undefined, rng: () => number): number {
  const p = 1 - c.churn + (step === undefined ? 0 : trueUplift(c, step));
  return rng() < p ? 1 : 0;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function normal(rng: () => number): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function poisson(lambda: number, rng: () => number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rng)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

const uniform = (rng: () => number, lo: number, hi: number): number => lo + (hi - lo) * rng();

function segmentOf(u: number): Segment {
  let acc = 0;
  for (const s of SEGMENTS) {
    acc += s.share;
    if (u < acc) return s.segment;
  }
  return SEGMENTS[SEGMENTS.length - 1]!.segment;
}

/** Latent response by segment: [churn range], [message effect range], [coupon gain range]. */
const RESPONSE: Record<Segment, { churn: [number, number]; message: [number, number]; coupon: [number, number] }> = {
  'sure-thing': { churn: [0.03, 0.3], message: [0, 0.02], coupon: [0, 0.03] },
  persuadable: { churn: [0.3, 0.85], message: [0.04, 0.16], coupon: [0.02, 0.15] },
  'lost-cause': { churn: [0.6, 0.98], message: [0, 0.02], coupon: [0, 0.03] },
  'do-not-disturb': { churn: [0.2, 0.7], message: [-0.12, -0.03], coupon: [0, 0.04] },
};

const CHANNELS = ['organic', 'paid-social', 'referral', 'marketplace'] as const;

/**
 * `n` customers drawn from `seed`; ids are `<prefix>-<i>` (a second draw with another prefix and
 * seed is a fresh population from the same distribution).
 */
export function simulatePopulation(n: number, seed: number, prefix: string, scoredAt: string): SimCustomer[] {
  const rng = createRng(seed);
  const out: SimCustomer[] = [];
  for (let i = 0; i < n; i++) {
    const segment = segmentOf(rng());
    const r = RESPONSE[segment];
    const churn = uniform(rng, ...r.churn);
    const message = uniform(rng, ...r.message);
    const couponGain = uniform(rng, ...r.coupon);
    const orderValue = 45 * Math.exp(0.35 * normal(rng));
    const ordersPerYear = 4 * Math.exp(0.6 * normal(rng));
    const value = orderValue * ordersPerYear;

    const churnScore = clamp(sigmoid(logit(churn) + 0.6 * normal(rng)), 0.001, 0.999);
    const clv = value * Math.exp(0.25 * normal(rng));
    const pAlive = clamp(1 - 0.7 * churn + 0.1 * normal(rng), 0.01, 0.99);
    const tenureYears = uniform(rng, 0.5, 4);
    const lambdaOpens = segment === 'sure-thing' ? 5 : segment === 'persuadable' ? 2 + 40 * message : segment === 'lost-cause' ? 0.5 : 1;
    const score: CustomerScore = {
      customerId: `${prefix}-${String(i).padStart(6, '0')}`,
      scoredAt,
      churnProbability: churnScore,
      churnBand: String(Math.min(99, Math.floor(churnScore * 100))).padStart(2, '0'),
      purchasePropensity: clamp(0.6 * sigmoid(-logit(churn) + 0.6 * normal(rng)), 0, 1),
      pAlive,
      expectedPurchases90d: (ordersPerYear / 4) * pAlive,
      expectedOrderValue: orderValue * Math.exp(0.15 * normal(rng)),
      clv12m: clv,
      tier: clv >= 400 ? 'diamond' : clv >= 200 ? 'gold' : clv >= 100 ? 'silver' : 'bronze',
      stage: churnScore >= 0.6 ? 'at-risk' : 'active',
      atRisk: churnScore >= 0.6,
      churnThreshold: 0.6,
      orders: 1 + poisson(ordersPerYear * tenureYears, rng),
      daysSinceLastOrder: Math.round(-Math.log(1 - rng()) * (365 / ordersPerYear) * (0.5 + 2 * churn)),
      reasons: [],
      models: { churn: 'bench-churn', propensity: 'bench-propensity', clv: 'bench-clv' },
    };
    const marketplaceShare = segment === 'lost-cause' || segment === 'do-not-disturb' ? 0.4 : 0.15;
    const channel = rng() < marketplaceShare ? 'marketplace' : CHANNELS[Math.floor(rng() * 3)]!;
    out.push({
      customerId: score.customerId,
      segment,
      churn,
      message,
      couponGain,
      value,
      score,
      traits: {
        emailOpens90d: poisson(lambdaOpens, rng),
        couponRedemptions: poisson(20 * couponGain, rng),
        topicsUnsubscribed: poisson(segment === 'do-not-disturb' ? 1.2 : 0.2, rng),
        channel,
      },
    });
  }
  return out;
}
