import { z } from 'zod';

/**
 * The normalised event every source becomes before it is queued and stored: one shape for
 * web (Segment), order and email (SES) events, so features and campaigns read one log.
 * `eventId` is deterministic from the producer's ids, which is what makes every write idempotent.
 */
export const EventKind = z.enum(['track', 'identify', 'page', 'order', 'email']);
export type EventKind = z.infer<typeof EventKind>;

export const OrderStatus = z.enum(['placed', 'cancelled', 'refunded']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderLine = z.object({
  sku: z.string().min(1),
  name: z.string().optional(),
  category: z.string().optional(),
  quantity: z.number().int().positive(),
  unitPrice: z.number().nonnegative(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const StoredOrder = z.object({
  orderId: z.string().min(1),
  status: OrderStatus,
  currency: z.string().length(3),
  total: z.number(),
  discount: z.number().nonnegative().default(0),
  couponCode: z.string().optional(),
  items: z.array(OrderLine).default([]),
});
export type StoredOrder = z.infer<typeof StoredOrder>;

/** SES event types, lower-cased: send, delivery, open, click, bounce, complaint, reject, deliverydelay, renderingfailure, subscription. */
export const EmailEventType = z.enum([
  'send',
  'delivery',
  'open',
  'click',
  'bounce',
  'complaint',
  'reject',
  'deliverydelay',
  'renderingfailure',
  'subscription',
]);
export type EmailEventType = z.infer<typeof EmailEventType>;

export const StoredEmail = z.object({
  type: EmailEventType,
  /** SES mail.messageId */
  messageId: z.string(),
  /** Campaign / variant / step from the message tags winback sets when it sends. */
  campaignId: z.string().optional(),
  variant: z.string().optional(),
  bounceType: z.string().optional(),
  bounceSubType: z.string().optional(),
  complaintFeedbackType: z.string().optional(),
  link: z.string().optional(),
  /** Subscription events: topics the recipient left. */
  unsubscribedTopics: z.array(z.string()).optional(),
  unsubscribedAll: z.boolean().optional(),
});
export type StoredEmail = z.infer<typeof StoredEmail>;

export const StoredEvent = z.object({
  eventId: z.string().min(1),
  /** Resolved customer: the userId; `anon:<anonymousId>` before identification; `email:<hash>` for mail to an unknown address. */
  customerId: z.string().min(1),
  kind: EventKind,
  /**
   * track: the event name (Segment e-commerce spec: 'Product Viewed', 'Product Added', ...);
   * page: the page name or 'page'; identify: 'identify'; order: the status; email: the SES event type.
   */
  name: z.string().min(1),
  /** When it happened, ISO-8601 UTC. */
  timestamp: z.string(),
  /** When winback received it, ISO-8601 UTC. */
  receivedAt: z.string(),
  /** Source name the write key maps to ('web', 'shop', 'ses', 'import', ...). */
  source: z.string(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).default({}),
  /** identify: the traits it sets (email, firstName, timezone, consent, ...). */
  traits: z.record(z.string(), z.unknown()).optional(),
  order: StoredOrder.optional(),
  email: StoredEmail.optional(),
});
export type StoredEvent = z.infer<typeof StoredEvent>;
