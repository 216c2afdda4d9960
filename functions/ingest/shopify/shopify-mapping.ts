import type { StoredEvent } from '../../../kernel/events/stored-event.js';
import { parseOrThrow } from '../../events/validation.js';
import {
  ShopifyConsentUpdate,
  ShopifyCustomer,
  ShopifyCustomerRedact,
  ShopifyDataRequest,
  ShopifyOrder,
  ShopifyRefund,
  ShopifyShopRedact,
} from './shopify-payloads.js';
import { orderEvents, refundEvent } from './shopify-orders.js';
import { consentUpdateEvents, customerEvents } from './shopify-customers.js';
import { complianceEvent } from './shopify-compliance.js';
import type { ShopifyDelivery } from './shopify-ids.js';

/**
 * The Shopify topics winback handles, each validated with its schema (a 400 names the field)
 * and mapped to the events it implies. Topics not listed are acknowledged and ignored.
 */
type TopicMapper = (body: unknown, delivery: ShopifyDelivery) => StoredEvent[];

const orders: TopicMapper = (body, d) => orderEvents(parseOrThrow(ShopifyOrder, body), d);
const customers: TopicMapper = (body, d) => customerEvents(parseOrThrow(ShopifyCustomer, body), d);

export const SHOPIFY_TOPICS: Readonly<Record<string, TopicMapper>> = {
  'orders/create': orders,
  'orders/updated': orders,
  'orders/paid': orders,
  'orders/cancelled': orders,
  'refunds/create': (body, d) => [refundEvent(parseOrThrow(ShopifyRefund, body), d)],
  'customers/create': customers,
  'customers/update': customers,
  'customers/email_marketing_consent_update': (body, d) => consentUpdateEvents(parseOrThrow(ShopifyConsentUpdate, body), d),
  'customers/data_request': (body, d) => [complianceEvent({ topic: 'customers/data_request', body: parseOrThrow(ShopifyDataRequest, body) }, d)],
  'customers/redact': (body, d) => [complianceEvent({ topic: 'customers/redact', body: parseOrThrow(ShopifyCustomerRedact, body) }, d)],
  'shop/redact': (body, d) => [complianceEvent({ topic: 'shop/redact', body: parseOrThrow(ShopifyShopRedact, body) }, d)],
};

/** The events of one delivery, or undefined for a topic winback does not handle. */
export function mapShopifyWebhook(delivery: ShopifyDelivery, body: unknown): StoredEvent[] | undefined {
  const mapper = Object.hasOwn(SHOPIFY_TOPICS, delivery.topic) ? SHOPIFY_TOPICS[delivery.topic] : undefined;
  return mapper?.(body, delivery);
}
