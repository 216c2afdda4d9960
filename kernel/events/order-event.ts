import { z } from 'zod';
import { OrderLine, OrderStatus } from './stored-event.js';

/**
 * An order event as the shop sends it to `POST /v1/orders` (or a line of `winback ingest`).
 * The idempotency key is (orderId, status): a redelivered "placed" converges to one record,
 * while "placed" then "refunded" are two facts about the same order.
 */
export const OrderEvent = z.object({
  type: z.literal('order').optional(),
  orderId: z.string().min(1).max(200),
  status: OrderStatus,
  customerId: z.string().min(1).max(200),
  email: z.email().max(320).optional(),
  items: z.array(OrderLine).max(1000).default([]),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "GBP"'),
  total: z.number().finite(),
  discount: z.number().finite().nonnegative().default(0),
  couponCode: z.string().max(100).optional(),
  timestamp: z.iso.datetime({ offset: true }),
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type OrderEvent = z.infer<typeof OrderEvent>;

/** `POST /v1/orders` takes one order or `{ "batch": [orders...] }`. */
export const OrderBatch = z.object({ batch: z.array(OrderEvent).min(1).max(500) });
export type OrderBatch = z.infer<typeof OrderBatch>;
