import { toUtc, type NormalizeContext } from '../ids.js';
import type { OrderEvent } from './order-event.js';
import type { StoredEvent } from './stored-event.js';

/** An order as the shop sends it -> the stored fact; keyed by (orderId, status), so redeliveries converge. */
export function normalizeOrder(order: OrderEvent, ctx: NormalizeContext): StoredEvent {
  return {
    eventId: `ord:${order.orderId}:${order.status}`,
    customerId: order.customerId,
    userId: order.customerId,
    kind: 'order',
    name: order.status,
    timestamp: toUtc(order.timestamp),
    receivedAt: ctx.receivedAt,
    source: ctx.source,
    properties: order.properties ?? {},
    ...(order.email ? { traits: { email: order.email } } : {}),
    order: {
      orderId: order.orderId,
      status: order.status,
      currency: order.currency,
      total: order.total,
      discount: order.discount,
      ...(order.couponCode ? { couponCode: order.couponCode } : {}),
      items: order.items,
    },
  };
}
