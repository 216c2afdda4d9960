import type { SegmentMessage } from '../../functions/events/segment-event.js';
import { FIRST_NAMES, TIMEZONES } from './catalogue.js';
import { newsletter } from './email.js';
import { drawLatentCustomer, engagementAt, type LatentCustomer } from './model.js';
import { drawBasket, placeOrder } from './orders.js';
import { Rng } from './random.js';
import { satisfactionSignals } from './satisfaction.js';
import { DAY_MS, MINUTE_MS, Timeline } from './timeline.js';
import type { CustomerTruth, SimulatedCustomer } from './types.js';
import { browsingSession, purchaseSession, type WebIdentity } from './web.js';

/**
 * One customer's whole history over the period: sign-up (an identify, linking earlier anonymous
 * browsing for some), orders from the latent purchase process, browsing sessions whose rate
 * follows the customer's engagement, the weekly newsletter's SES records, and survey answers and
 * help-desk tickets (satisfaction.ts).
 */
export const customerIdOf = (seed: number, index: number): string => `sim${seed}-${String(index + 1).padStart(6, '0')}`;
export const emailOf = (customerId: string): string => `${customerId}@example.test`;

export interface Period {
  readonly seed: number;
  readonly days: number;
  readonly startMs: number;
}

export function simulateCustomer(period: Period, index: number): SimulatedCustomer {
  const { seed, days, startMs } = period;
  const rng = new Rng('winback-simulation', seed, index);
  const customerId = customerIdOf(seed, index);
  const email = emailOf(customerId);
  const tl = new Timeline(rng, customerId, startMs, startMs + days * DAY_MS);
  const c = drawLatentCustomer(rng, days);
  const firstName = rng.pick(FIRST_NAMES);
  const [timezone, utcOffset] = rng.weighted(TIMEZONES.map(([name, offset, weight]) => [[name, offset] as const, weight] as const));
  const preferredHour = rng.uniform(8, 22);
  const user: WebIdentity = { userId: customerId };
  const device: WebIdentity = { anonymousId: rng.uuid() };

  // Browsing before sign-up, as an anonymous visitor.
  const firstOrderMs = tl.msOfDay(c.acquiredDay);
  if (c.anonymousFirst) {
    const visits = 1 + rng.int(3);
    for (let i = 0; i < visits; i++) browsingSession(tl, firstOrderMs - Math.round(rng.uniform(0.2, 10) * DAY_MS), device, c.segment);
  }

  // Sign-up at checkout of the first order: the identify carries the anonymous id when there was
  // anonymous browsing, which is what links that history to the customer.
  const signupMs = firstOrderMs - Math.round(rng.uniform(1, 4) * MINUTE_MS);
  tl.push(signupMs, (at) => ({
    kind: 'segment',
    at,
    message: {
      type: 'identify',
      messageId: tl.nextMessageId(),
      timestamp: at,
      userId: customerId,
      ...(c.anonymousFirst && 'anonymousId' in device ? { anonymousId: device.anonymousId } : {}),
      traits: { email, firstName, timezone, consent: { marketing: c.marketingConsent } },
    } satisfies SegmentMessage,
  }));

  let orders = 0;
  c.purchaseDays.forEach((day, i) => {
    const orderMs = tl.msOfDay(day);
    const basket = drawBasket(tl, c);
    if (i === 0 && c.anonymousFirst) purchaseSession(tl, orderMs, basket.map((b) => b.product), device, user, signupMs);
    else purchaseSession(tl, orderMs, basket.map((b) => b.product), user);
    placeOrder(tl, c, email, i + 1, orderMs, basket);
    orders++;
  });

  browsing(tl, c, user, days, utcOffset, preferredHour);
  newsletter(tl, c, email, days);
  satisfactionSignals(tl, new Rng('winback-simulation-satisfaction', seed, index), c);

  const truth: CustomerTruth = {
    customerId,
    segment: c.segment,
    acquiredAt: new Date(firstOrderMs).toISOString(),
    ...(c.lapseDay < days ? { churnedAt: new Date(tl.msOfDay(c.lapseDay)).toISOString() } : {}),
    purchasesPerYear: round(c.purchaseRatePerDay * 365, 3),
    dropoutProbability: round(c.dropoutProbability, 4),
    meanOrderValue: round(c.meanOrderValue, 2),
    sessionsPerWeek: round(c.sessionsPerWeek, 3),
    openRate: round(c.openRate, 4),
    marketingConsent: c.marketingConsent,
    orders,
  };
  return { truth, events: tl.sorted() };
}

/** Visits on the customer's own days, as a Poisson count per day scaled by engagement. */
function browsing(tl: Timeline, c: LatentCustomer, user: WebIdentity, days: number, utcOffset: number, preferredHour: number): void {
  const acquiredMs = tl.msOfDay(c.acquiredDay);
  for (let day = Math.floor(c.acquiredDay); day < days; day++) {
    const n = tl.rng.poisson((c.sessionsPerWeek / 7) * engagementAt(c, day + 0.5));
    for (let i = 0; i < n; i++) {
      const localHour = (((preferredHour + tl.rng.normal(0, 2.5)) % 24) + 24) % 24;
      const ms = tl.msOfDay(day) + Math.round((localHour - utcOffset) * 3_600_000);
      if (ms > acquiredMs) browsingSession(tl, ms, user, c.segment);
    }
  }
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
