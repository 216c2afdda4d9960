import { createHash } from 'node:crypto';
import type { OrderLine } from '../../kernel/events/stored-event.js';
import { CATALOGUE } from './catalogue.js';
import { Rng } from './random.js';

/**
 * What one campaign entrant does after entering (pure: the store is read and written elsewhere,
 * in responses.ts). Every decision comes from generators seeded with (seed, campaign, customer,
 * entry[, step]), so the same seed and ledger give the same opens, clicks and orders whatever
 * order entrants are processed in, and an order id derived from the same key makes a re-run
 * overwrite its own order instead of adding one.
 *
 * Behaviour is laid out in campaign time (tau: 0 at entry, the attribution window at its end) and
 * mapped onto the real clock by the share of the window that has already elapsed: when the
 * campaign ran on the wall clock moments ago (journeys compressed by a time scale), a window's
 * worth of responses lands between the entry and now; once the window is over, at their natural
 * times. Nothing is ever placed after now.
 */

/** Opens when the customer's mail history is too short to say (about the simulator's medium segment). */
export const DEFAULT_OPEN_RATE = 0.35;
/** Clicks given an open, likewise. */
export const DEFAULT_CLICK_RATE = 0.2;
/** 30-day purchase probability for an entrant without a stored score. */
export const DEFAULT_PROPENSITY = 0.1;
/** The propensity model's horizon: probabilities are rescaled from it to the attribution window. */
export const PROPENSITY_HORIZON_MS = 30 * 86_400_000;
/** No simulated entrant is certain to buy, however large the effect. */
export const MAX_CONVERSION = 0.95;
/** Natural delay between delivery and open (campaign time); as the newsletter simulation's. */
const OPEN_DELAY_MEAN_MS = 6 * 3_600_000;
const CLICK_DELAY_MIN_MS = 10_000;
const CLICK_DELAY_MEAN_MS = 90_000;
/** Share of basket lines taken from what the customer bought before (repeat purchases). */
const REPEAT_LINE_SHARE = 0.7;
const CATALOGUE_CURRENCY = 'GBP';

export interface SentMessage {
  readonly messageId: string;
  readonly stepId: string;
  readonly sentAtMs: number;
}

export interface EntrantCoupon {
  readonly code: string;
  readonly percentOff?: number;
  readonly amountOff?: number;
  readonly currency?: string;
  readonly validUntilMs: number;
  /** The order that already redeemed it, if any (only that order may carry it again). */
  readonly redeemedBy?: string;
}

export interface EntrantFacts {
  readonly campaignId: string;
  readonly customerId: string;
  /** The journey's execution name: the ledger's and the coupon's entry id. */
  readonly entryId: string;
  readonly group: 'treatment' | 'holdout';
  readonly enteredAtMs: number;
  /** Treatment messages SES accepted (ledger status sent, with a messageId), by send time. */
  readonly messages: readonly SentMessage[];
  /** The stored 30-day purchase propensity, if the customer has a score. */
  readonly propensity?: number;
  readonly openRate: number;
  readonly clickRate: number;
  /** Lines of the customer's earlier placed orders (latest price per SKU), and their currency. */
  readonly pastLines: readonly OrderLine[];
  readonly currency?: string;
  readonly coupon?: EntrantCoupon;
}

export interface PlanSettings {
  readonly seed: number;
  /** Relative effect of being treated on the conversion probability: 0.5 = +50 %. */
  readonly effect: number;
  readonly windowMs: number;
  readonly nowMs: number;
}

export interface PlannedOpen {
  readonly messageId: string;
  readonly stepId: string;
  readonly sentAtMs: number;
  readonly openAtMs: number;
  readonly clickAtMs?: number;
}

export interface PlannedOrder {
  readonly orderId: string;
  readonly atMs: number;
  readonly items: readonly OrderLine[];
  readonly currency: string;
  readonly discount: number;
  readonly total: number;
  readonly couponCode?: string;
}

export interface EntrantPlan {
  /** The conversion probability this entrant was given (the true uplift is built from these). */
  readonly probability: number;
  readonly treated: boolean;
  /** Treatment messages sent within the window on the real clock (the ones that can be opened). */
  readonly messages: number;
  readonly opens: readonly PlannedOpen[];
  readonly order?: PlannedOrder;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** A 30-day probability as the probability of the same process within `windowMs`. */
export function probabilityWithin(p30: number, windowMs: number): number {
  const p = Math.min(Math.max(p30, 0), 1);
  if (p >= 1) return 1;
  return 1 - Math.pow(1 - p, windowMs / PROPENSITY_HORIZON_MS);
}

/**
 * The entrant's conversion probability. Only a treatment entrant who was actually sent something
 * gets the effect: one who left the journey before any send (no consent, suppressed) is still
 * counted in the treatment group by the report (intent to treat) but had nothing to react to.
 */
export function conversionProbability(f: Pick<EntrantFacts, 'group' | 'messages' | 'propensity'>, s: Pick<PlanSettings, 'effect' | 'windowMs'>): number {
  const base = probabilityWithin(f.propensity ?? DEFAULT_PROPENSITY, s.windowMs);
  const treated = f.group === 'treatment' && f.messages.length > 0;
  return Math.min(MAX_CONVERSION, Math.max(0, base * (treated ? 1 + s.effect : 1)));
}

/** What every simulated response order of a campaign's id starts with (no shop order does). */
export const responseOrderPrefix = (campaignId: string): string => `sim-${campaignId}-`;

/** Producer-keyed order id: the same (campaign, customer, entry, seed) always names the same order. */
export function responseOrderId(campaignId: string, customerId: string, entryId: string, seed: number): string {
  const hash = createHash('sha256').update(JSON.stringify(['campaign-response', campaignId, customerId, entryId, seed])).digest('hex').slice(0, 20);
  return `${responseOrderPrefix(campaignId)}${hash}`;
}

/** Maps campaign time onto the real clock; see the module comment. */
export interface ResponseClock {
  /** Real ms of campaign time tau. */
  toReal(tau: number): number;
  /** Campaign time of a real ms (inverse of toReal), clamped to the window. */
  toTau(ms: number): number;
  /** Last real ms a response may take: the window's end or now, whichever is first. */
  readonly horizonMs: number;
}

export function responseClock(enteredAtMs: number, windowMs: number, nowMs: number): ResponseClock {
  const horizonMs = Math.min(enteredAtMs + windowMs, nowMs);
  const scale = Math.max(0, horizonMs - enteredAtMs) / windowMs;
  return {
    horizonMs,
    toReal: (tau) => Math.min(horizonMs, Math.round(enteredAtMs + tau * scale)),
    toTau: (ms) => (scale > 0 ? Math.min(windowMs, Math.max(0, (ms - enteredAtMs) / scale)) : windowMs),
  };
}

/** The entrant's opens, clicks and order, or nothing when the window has not started on the real clock. */
export function planEntrant(f: EntrantFacts, s: PlanSettings): EntrantPlan {
  const probability = conversionProbability(f, s);
  const treated = f.group === 'treatment' && f.messages.length > 0;
  const clock = responseClock(f.enteredAtMs, s.windowMs, s.nowMs);
  // A message sent after the horizon is outside the report's window (or not yet sent on this clock).
  const messages = f.group === 'treatment' ? f.messages.filter((m) => m.sentAtMs <= clock.horizonMs) : [];
  if (clock.horizonMs <= f.enteredAtMs) return { probability, treated, messages: 0, opens: [] };
  const key = [s.seed, f.campaignId, f.customerId, f.entryId];

  const opens: PlannedOpen[] = [];
  for (const m of messages) {
    // Keyed by the step, not SES's message id: the same journey re-run on a fresh store opens the same way.
    const rng = new Rng('response-mail', ...key, m.stepId);
    if (!rng.bernoulli(f.openRate)) continue;
    const openTau = clock.toTau(m.sentAtMs) + rng.exponential(OPEN_DELAY_MEAN_MS);
    const openAtMs = Math.min(clock.horizonMs, Math.max(m.sentAtMs + 1, clock.toReal(openTau)));
    let clickAtMs: number | undefined;
    if (rng.bernoulli(f.clickRate)) {
      const clickTau = clock.toTau(openAtMs) + CLICK_DELAY_MIN_MS + rng.exponential(CLICK_DELAY_MEAN_MS);
      clickAtMs = Math.min(clock.horizonMs, Math.max(openAtMs + 1, clock.toReal(clickTau)));
    }
    opens.push({ messageId: m.messageId, stepId: m.stepId, sentAtMs: m.sentAtMs, openAtMs, ...(clickAtMs !== undefined ? { clickAtMs } : {}) });
  }

  // One uniform per entrant decides conversion in both groups, so effect 0 reproduces the baseline draw for draw.
  const rng = new Rng('response-order', ...key);
  if (!(rng.next() < probability)) return { probability, treated, messages: messages.length, opens };
  const firstSend = treated ? messages[0]?.sentAtMs : undefined;
  const fromTau = firstSend !== undefined ? clock.toTau(firstSend) : 0;
  const lowestMs = firstSend !== undefined ? firstSend + 1 : f.enteredAtMs;
  const atMs = Math.min(clock.horizonMs, Math.max(lowestMs, clock.toReal(rng.uniform(fromTau, s.windowMs))));
  const orderId = responseOrderId(f.campaignId, f.customerId, f.entryId, s.seed);
  const { items, currency } = drawBasket(rng, f);
  const subtotal = round2(items.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0));
  const coupon = treated ? usableCoupon(f.coupon, orderId, atMs, currency) : undefined;
  const discount = coupon ? couponDiscount(coupon, subtotal) : 0;
  return {
    probability,
    treated,
    messages: messages.length,
    opens,
    order: { orderId, atMs, items, currency, discount, total: round2(subtotal - discount), ...(coupon ? { couponCode: coupon.code } : {}) },
  };
}

/** A coupon the order can carry: valid at the order's time, unused (or used by this very order), in its currency. */
function usableCoupon(c: EntrantCoupon | undefined, orderId: string, atMs: number, currency: string): EntrantCoupon | undefined {
  if (!c || atMs > c.validUntilMs) return undefined;
  if (c.redeemedBy !== undefined && c.redeemedBy !== orderId) return undefined;
  if (c.amountOff !== undefined && c.currency !== currency) return undefined;
  return c;
}

function couponDiscount(c: EntrantCoupon, subtotal: number): number {
  if (c.percentOff !== undefined) return round2((subtotal * c.percentOff) / 100);
  return round2(Math.min(c.amountOff ?? 0, subtotal));
}

/** One to four distinct lines, mostly things they bought before; the catalogue fills in (or serves first-timers). */
function drawBasket(rng: Rng, f: EntrantFacts): { items: OrderLine[]; currency: string } {
  const currency = f.currency ?? CATALOGUE_CURRENCY;
  // Catalogue prices are in GBP: a shop in another currency only repeats its own lines.
  const catalogue = currency === CATALOGUE_CURRENCY;
  const lines = Math.min(4, 1 + rng.poisson(0.6));
  const basket = new Map<string, OrderLine>();
  for (let i = 0; i < lines; i++) {
    const fromHistory = f.pastLines.length > 0 && (!catalogue || rng.bernoulli(REPEAT_LINE_SHARE));
    let line: OrderLine;
    if (fromHistory) {
      line = rng.pick(f.pastLines);
    } else if (catalogue) {
      const p = rng.pick(CATALOGUE);
      line = { sku: p.sku, name: p.name, category: p.category, quantity: 1, unitPrice: p.price };
    } else break;
    const quantity = rng.bernoulli(0.2) ? 2 : 1;
    const existing = basket.get(line.sku);
    basket.set(line.sku, { ...line, quantity: (existing?.quantity ?? 0) + quantity });
  }
  return { items: [...basket.values()], currency };
}
