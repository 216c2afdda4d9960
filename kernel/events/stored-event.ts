import { z } from 'zod';

/**
 * The normalised event every source becomes before it is queued and stored: one shape for
 * web (Segment), order and email (SES) events, so features and campaigns read one log.
 * `eventId` is deterministic from the producer's ids, which is what makes every write idempotent.
 */
export const EventKind = z.enum(['track', 'identify', 'page', 'group', 'alias', 'order', 'email']);
export type EventKind = z.infer<typeof EventKind>;

/**
 * The request context a Segment library sends (analytics.js fills most of it), kept so that
 * features can use it: the timezone drives quiet hours, `campaign` holds the UTM parameters of the
 * visit (utm_source -> source, utm_campaign -> name, ...). Only these fields are kept: the rest of
 * `context` (page, screen size, library) would cost storage on every event for no use (a page
 * event's own properties already hold its url, path and referrer).
 * `ip` is kept only when the sender put it there; winback never adds the caller's address.
 */
const ContextText = z.string().max(1000);
export const StoredContext = z.object({
  ip: z.string().max(64).optional(),
  userAgent: ContextText.optional(),
  locale: z.string().max(64).optional(),
  timezone: z.string().max(64).optional(),
  campaign: z.record(z.string(), ContextText).optional(),
});
export type StoredContext = z.infer<typeof StoredContext>;

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
   * page: the page or screen name, or 'page' / 'screen'; identify: 'identify'; group: 'group'; alias: 'alias';
   * order: the status; email: the SES event type.
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
  /** identify: the traits it sets (email, firstName, timezone, consent, ...); group: the group's traits. */
  traits: z.record(z.string(), z.unknown()).optional(),
  /**
   * page: 'screen' when it came from a Segment `screen` call (a view in a mobile app). Screens are
   * stored as pages so that every feature and campaign reading page views counts them too.
   */
  view: z.literal('screen').optional(),
  /** group: the account / company the customer belongs to (its traits are in `traits`). */
  groupId: z.string().optional(),
  /** alias: the identity merged into this customer (a legacy user id or an anonymous id). */
  previousId: z.string().optional(),
  /** The sender's own clock reading, kept when `timestamp` was corrected for its clock skew. */
  originalTimestamp: z.string().optional(),
  /**
   * Set when the time is the producer's own clock reading (`originalTimestamp` when corrected,
   * else `timestamp`), identical in every redelivery, so the store can key the event by it. Unset
   * when winback supplied the time (its receipt time), which a redelivery would change.
   */
  producerTime: z.literal(true).optional(),
  context: StoredContext.optional(),
  order: StoredOrder.optional(),
  email: StoredEmail.optional(),
});
export type StoredEvent = z.infer<typeof StoredEvent>;
