import type { OrderLine, StoredEvent } from '../../kernel/events/stored-event.js';
import { DEFAULT_CLICK_RATE, DEFAULT_OPEN_RATE } from './response-plan.js';

/**
 * What an entrant's stored events say about how they respond, read from the same event log the
 * models read. The simulator's latent open and click rates are not stored anywhere, but they are
 * what produced the customer's newsletter opens and clicks, so the recent mail history recovers
 * them, shrunk towards the defaults when there is little of it.
 */

/** Recent delivered messages that count (engagement fades before a lapse: older mail says less). */
export const ENGAGEMENT_MESSAGES = 12;
/** Pseudo-messages of the default rate in the estimate (a customer with 2 deliveries is mostly the default). */
const PRIOR_WEIGHT = 3;

export interface Engagement {
  readonly openRate: number;
  readonly clickRate: number;
  /** Delivered messages the estimate rests on. */
  readonly messages: number;
}

/** Open and click rates from the latest delivered messages before `beforeMs`. */
export function engagementFromHistory(events: readonly StoredEvent[], beforeMs: number): Engagement {
  const delivered = new Map<string, string>();
  const opened = new Set<string>();
  const clicked = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'email' || !e.email || Date.parse(e.timestamp) >= beforeMs) continue;
    const id = e.email.messageId;
    if (e.email.type === 'delivery') delivered.set(id, e.timestamp);
    else if (e.email.type === 'open') opened.add(id);
    else if (e.email.type === 'click') clicked.add(id);
  }
  const recent = [...delivered.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1)).slice(0, ENGAGEMENT_MESSAGES).map(([id]) => id);
  // A click implies the message was opened even when the open pixel was blocked.
  const opens = recent.filter((id) => opened.has(id) || clicked.has(id)).length;
  const clicks = recent.filter((id) => clicked.has(id)).length;
  return {
    openRate: (opens + PRIOR_WEIGHT * DEFAULT_OPEN_RATE) / (recent.length + PRIOR_WEIGHT),
    clickRate: (clicks + PRIOR_WEIGHT * DEFAULT_CLICK_RATE) / (opens + PRIOR_WEIGHT),
    messages: recent.length,
  };
}

/** Lines of the placed orders before `beforeMs` (latest price per SKU, sorted by SKU) and the latest order's currency. */
export function pastOrderLines(events: readonly StoredEvent[], beforeMs: number): { lines: OrderLine[]; currency?: string } {
  const bySku = new Map<string, OrderLine>();
  let currency: string | undefined;
  // Events come in time order, so later lines overwrite earlier prices.
  for (const e of events) {
    if (e.kind !== 'order' || e.name !== 'placed' || !e.order || Date.parse(e.timestamp) >= beforeMs) continue;
    currency = e.order.currency;
    for (const line of e.order.items) bySku.set(line.sku, { ...line, quantity: 1 });
  }
  const lines = [...bySku.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  return currency !== undefined ? { lines, currency } : { lines };
}

/** Responses already stored for an entrant (an earlier run): kept as they are, never re-timed. */
export interface StoredResponses {
  /** messageId -> time of its first stored open. */
  readonly opens: ReadonlyMap<string, number>;
  readonly clicks: ReadonlySet<string>;
  readonly orders: ReadonlySet<string>;
}

export function storedResponses(events: readonly StoredEvent[]): StoredResponses {
  const opens = new Map<string, number>();
  const clicks = new Set<string>();
  const orders = new Set<string>();
  for (const e of events) {
    if (e.kind === 'order' && e.name === 'placed' && e.order) orders.add(e.order.orderId);
    if (e.kind !== 'email' || !e.email) continue;
    if (e.email.type === 'open' && !opens.has(e.email.messageId)) opens.set(e.email.messageId, Date.parse(e.timestamp));
    if (e.email.type === 'click') clicks.add(e.email.messageId);
  }
  return { opens, clicks, orders };
}
