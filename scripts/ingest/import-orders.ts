import { OrderEvent } from '../../kernel/events/order-event.js';
import { parseOrThrow } from '../../functions/events/validation.js';
import { ValidationError } from '../../kernel/errors.js';
import { ApiSender, type ApiTarget, type SendSummary, type SenderOptions } from './sender.js';

/**
 * Sends a data set's orders through the ingest API. Each order is first checked with the API's
 * own schema, so an order the API would refuse is reported by its id instead of taking the 99
 * others of its batch down with it (the API refuses a request whole); the API then validates
 * again, as it does for every client.
 *
 * No identify is sent: the data sets know customers only by an id and their orders, and the
 * store registers every customer an order names. Emails or names are never invented.
 */
export interface OrdersSummary extends SendSummary {
  readonly orders: number;
  readonly customers: number;
  readonly byStatus: Record<string, number>;
}

export async function sendOrders(
  stack: ApiTarget,
  orders: readonly OrderEvent[],
  senderOptions: SenderOptions = {},
): Promise<OrdersSummary> {
  const sender = new ApiSender(stack, senderOptions);
  const customers = new Set<string>();
  const byStatus: Record<string, number> = {};
  for (const order of orders) {
    customers.add(order.customerId);
    byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
    try {
      parseOrThrow(OrderEvent, order);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sender.reject(order.orderId, error.message);
      continue;
    }
    await sender.add({ kind: 'order', payload: order }, order.orderId);
  }
  const sent = await sender.close();
  return { ...sent, orders: orders.length, customers: customers.size, byStatus };
}
