import type { OrderEvent } from '../../kernel/events/order-event.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { createRng } from '../../models/random.js';

/** Small, deterministic event logs for model tests (no real data, no clock). */

export const DAY = 86_400_000;
export const iso = (ms: number): string => new Date(ms).toISOString();

export function order(
  customerId: string,
  orderId: string,
  at: string,
  total: number,
  extra: Partial<OrderEvent> = {},
): StoredEvent {
  const o: OrderEvent = {
    orderId,
    status: 'placed',
    customerId,
    currency: 'GBP',
    total,
    discount: 0,
    items: [{ sku: `sku-${orderId}`, quantity: 1, unitPrice: total }],
    timestamp: at,
    ...extra,
  };
  return normalizeOrder(o, { receivedAt: at, source: 'test' });
}

let seq = 0;
export function track(customerId: string, name: string, at: string): StoredEvent {
  return { eventId: `seg:t${++seq}`, customerId, kind: 'track', name, timestamp: at, receivedAt: at, source: 'web', properties: {} };
}

export function page(customerId: string, at: string): StoredEvent {
  return { eventId: `seg:p${++seq}`, customerId, kind: 'page', name: 'page', timestamp: at, receivedAt: at, source: 'web', properties: {} };
}

export function email(
  customerId: string,
  type: NonNullable<StoredEvent['email']>['type'],
  messageId: string,
  at: string,
  extra: Partial<NonNullable<StoredEvent['email']>> = {},
): StoredEvent {
  return {
    eventId: `ses:${messageId}:${type}:${++seq}`,
    customerId,
    kind: 'email',
    name: type,
    timestamp: at,
    receivedAt: at,
    source: 'ses',
    properties: {},
    email: { type, messageId, ...extra },
  };
}

/**
 * A population with a latent purchase rate and a latent dropout time: customers buy as a Poisson
 * process until they drop out, and visit the site / open emails more while active, so both
 * order and engagement features carry signal. Days are counted from `start`.
 */
export function simulatePopulation(options: { customers: number; days: number; seed: number; start?: string }): Map<string, StoredEvent[]> {
  const rng = createRng(options.seed);
  const start = Date.parse(options.start ?? '2020-01-01T00:00:00Z');
  const out = new Map<string, StoredEvent[]>();
  for (let c = 0; c < options.customers; c++) {
    const id = `c${c}`;
    const events: StoredEvent[] = [];
    const rate = 0.005 + 0.06 * rng() ** 2; // orders per day while active
    const first = Math.floor(rng() * options.days * 0.6);
    const dropout = first + Math.floor(-Math.log(1 - rng()) * 200);
    let k = 0;
    for (let d = first; d < Math.min(dropout, options.days); d++) {
      const at = start + d * DAY + Math.floor(rng() * 20) * 3_600_000;
      if (d === first || rng() < rate) events.push(order(id, `${id}-o${k++}`, iso(at), Math.round(20 + 80 * rng())));
      if (rng() < rate * 3) {
        events.push(page(id, iso(at - 600_000)));
        events.push(track(id, 'Product Viewed', iso(at - 300_000)));
      }
      if (d % 14 === 0) {
        const m = `${id}-m${d}`;
        events.push(email(id, 'send', m, iso(start + d * DAY)));
        if (rng() < 0.5) events.push(email(id, 'open', m, iso(start + d * DAY + 3_600_000)));
      }
    }
    // After dropout the customer still receives (and ignores) emails.
    for (let d = Math.max(dropout, first); d < options.days; d += 14) {
      events.push(email(id, 'send', `${id}-m${d}`, iso(start + d * DAY)));
    }
    out.set(id, events);
  }
  return out;
}
