import type { Rng } from './random.js';
import type { ValueSegment } from './types.js';

/**
 * The latent churn process, in the spirit of the BG/NBD story (Fader, Hardie & Lee 2005):
 * while alive, a customer buys as a Poisson process with their own rate (gamma-distributed
 * across customers); after each purchase, including the first (the MBG/NBD variant), they drop
 * out with their own probability (beta-distributed). Dropout is not instantaneous: after that
 * last purchase the customer's engagement (web visits, product views, cart adds, email opens and
 * clicks) fades over a few weeks (30 to 75 days) until they have lapsed (`churnedAt`), after
 * which only a trickle remains. The fade is what makes web and email signals carry information
 * beyond recency and frequency: at a cutoff between the last order and the lapse, a fading
 * customer and a merely slow buyer have the same recency but behave differently online.
 *
 * Units: days, measured from the start of the simulated period.
 */

export interface SegmentProfile {
  readonly share: number;
  /** Mean days between purchases while alive. */
  readonly purchaseGapDays: number;
  /** Mean dropout probability after a purchase. */
  readonly dropout: number;
  readonly orderValue: number;
  readonly sessionsPerWeek: number;
  readonly openRate: number;
  /** Probability of a click given an open. */
  readonly clickRate: number;
}

export const SEGMENTS: Readonly<Record<ValueSegment, SegmentProfile>> = {
  high: { share: 0.12, purchaseGapDays: 25, dropout: 0.06, orderValue: 110, sessionsPerWeek: 1.2, openRate: 0.45, clickRate: 0.25 },
  medium: { share: 0.33, purchaseGapDays: 50, dropout: 0.15, orderValue: 60, sessionsPerWeek: 0.6, openRate: 0.3, clickRate: 0.18 },
  low: { share: 0.55, purchaseGapDays: 100, dropout: 0.35, orderValue: 35, sessionsPerWeek: 0.3, openRate: 0.18, clickRate: 0.12 },
};

/** Engagement of a customer who has lapsed, relative to their engaged self. */
export const LAPSED_ENGAGEMENT = 0.06;
/** New customers arrive uniformly over this leading share of the period (everyone is observed a while). */
export const ACQUISITION_SHARE = 0.7;
export const MARKETING_CONSENT_RATE = 0.85;
/** Addresses that hard-bounce on the first newsletter. */
export const BAD_ADDRESS_RATE = 0.01;
/** Customers who browse anonymously before they sign up (then linked by their identify). */
export const ANONYMOUS_FIRST_RATE = 0.4;

export interface LatentCustomer {
  readonly segment: ValueSegment;
  /** Days from the period start. */
  readonly acquiredDay: number;
  readonly purchaseRatePerDay: number;
  readonly dropoutProbability: number;
  readonly meanOrderValue: number;
  readonly sessionsPerWeek: number;
  readonly openRate: number;
  readonly clickRate: number;
  readonly marketingConsent: boolean;
  readonly badAddress: boolean;
  readonly anonymousFirst: boolean;
  /** Purchase times (days), the first at acquisition, all before the period end. */
  readonly purchaseDays: readonly number[];
  /** When the customer has lapsed (days; may lie beyond the period end), or Infinity. */
  readonly lapseDay: number;
  /** Days over which engagement fades before the lapse (from the last purchase). */
  readonly fadeDays: number;
}

export function drawSegment(rng: Rng): ValueSegment {
  return rng.weighted((Object.keys(SEGMENTS) as ValueSegment[]).map((s) => [s, SEGMENTS[s].share] as const));
}

export function drawLatentCustomer(rng: Rng, days: number): LatentCustomer {
  const segment = drawSegment(rng);
  const profile = SEGMENTS[segment];
  // Heterogeneity within a segment: gamma-mixed rates (the "NBD" part), beta-mixed dropout (the "BG" part).
  const rateFactor = rng.gammaMean(1, 2);
  const purchaseRatePerDay = rateFactor / profile.purchaseGapDays;
  const dropoutProbability = rng.betaMean(profile.dropout, 8);
  const meanOrderValue = rng.gammaMean(profile.orderValue, 4);
  // Frequent buyers browse more: engagement tied (loosely) to the purchase rate.
  const sessionsPerWeek = rng.gammaMean(profile.sessionsPerWeek, 2.5) * Math.sqrt(rateFactor);
  const openRate = rng.betaMean(profile.openRate, 6);
  const clickRate = rng.betaMean(profile.clickRate, 6);
  const acquiredDay = rng.uniform(0, ACQUISITION_SHARE * days);

  const fadeDays = rng.uniform(30, 75);
  const purchaseDays = [acquiredDay];
  let lapseDay = Infinity;
  let t = acquiredDay;
  for (;;) {
    if (rng.bernoulli(dropoutProbability)) {
      // This was the last purchase: engagement fades from here and the customer has lapsed fadeDays later.
      lapseDay = t + fadeDays;
      break;
    }
    t += rng.exponential(1 / purchaseRatePerDay);
    if (t >= days) break;
    purchaseDays.push(t);
  }
  return {
    segment,
    acquiredDay,
    purchaseRatePerDay,
    dropoutProbability,
    meanOrderValue,
    sessionsPerWeek,
    openRate,
    clickRate,
    marketingConsent: rng.bernoulli(MARKETING_CONSENT_RATE),
    badAddress: rng.bernoulli(BAD_ADDRESS_RATE),
    anonymousFirst: rng.bernoulli(ANONYMOUS_FIRST_RATE),
    purchaseDays,
    lapseDay,
    fadeDays,
  };
}

/**
 * Engagement at day t relative to the customer's engaged level: 1 until the fade starts, then
 * falling linearly to LAPSED_ENGAGEMENT at the lapse, and staying there (a lapsed customer still
 * opens the odd newsletter or visits once in a while).
 */
export function engagementAt(c: Pick<LatentCustomer, 'lapseDay' | 'fadeDays'>, t: number): number {
  if (t >= c.lapseDay) return LAPSED_ENGAGEMENT;
  const untilLapse = c.lapseDay - t;
  if (untilLapse >= c.fadeDays) return 1;
  return LAPSED_ENGAGEMENT + (1 - LAPSED_ENGAGEMENT) * (untilLapse / c.fadeDays);
}
