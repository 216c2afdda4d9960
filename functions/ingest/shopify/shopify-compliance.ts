import { sha256, normalizeEmail } from '../../../kernel/ids.js';
import type { StoredEvent } from '../../../kernel/events/stored-event.js';
import type { ComplianceRequest } from '../../store/compliance-requests.js';
import type { ShopifyCustomerRedact, ShopifyDataRequest, ShopifyShopRedact } from './shopify-payloads.js';
import {
  COMPLIANCE_EVENT_PREFIX,
  SHOPIFY_CUSTOMER_PREFIX,
  SHOPIFY_SOURCE,
  shopifyCustomerKey,
  shopifyGuestKey,
  validEmail,
  type ShopifyDelivery,
} from './shopify-ids.js';

/**
 * Shopify's mandatory compliance webhooks. winback records each as a request (see
 * functions/store/compliance-requests.ts) for the erasure feature to act on; nothing is erased or
 * exported yet. They travel the same queue as every other event (one durability path), as an
 * event the processor recognises by its id and records instead of storing.
 */
type ComplianceBody =
  | { readonly topic: 'customers/data_request'; readonly body: ShopifyDataRequest }
  | { readonly topic: 'customers/redact'; readonly body: ShopifyCustomerRedact }
  | { readonly topic: 'shop/redact'; readonly body: ShopifyShopRedact };

function requestOf(c: ComplianceBody, d: ShopifyDelivery): ComplianceRequest {
  const base = { source: SHOPIFY_SOURCE, topic: c.topic, shop: d.shop, receivedAt: d.receivedAt, webhookId: d.webhookId } as const;
  if (c.topic === 'shop/redact') return { ...base, requestKey: c.topic, orderIds: [] };
  const customer = c.body.customer;
  const email = validEmail(customer.email);
  // The request's own identity: a data request has an id; an erasure is about one customer.
  const who = customer.id ?? (email ? `email-${sha256(normalizeEmail(email)).slice(0, 24)}` : d.webhookId);
  const dataRequestId = c.topic === 'customers/data_request' ? c.body.data_request?.id : undefined;
  return {
    ...base,
    requestKey: `${c.topic}:${dataRequestId ?? who}`,
    ...(customer.id ? { shopifyCustomerId: customer.id } : {}),
    ...(email ? { email } : {}),
    orderIds: (c.topic === 'customers/redact' ? c.body.orders_to_redact : c.body.orders_requested) ?? [],
    ...(dataRequestId ? { dataRequestId } : {}),
  };
}

export function complianceEvent(c: ComplianceBody, d: ShopifyDelivery): StoredEvent {
  const request = requestOf(c, d);
  const customerId = request.shopifyCustomerId
    ? shopifyCustomerKey(d.shop, request.shopifyCustomerId)
    : request.email
      ? shopifyGuestKey(d.shop, request.email)
      : `${SHOPIFY_CUSTOMER_PREFIX}${d.shop}`;
  return {
    eventId: `${COMPLIANCE_EVENT_PREFIX}${d.shop}:${request.requestKey}`,
    customerId,
    kind: 'track',
    name: `Shopify ${c.topic}`,
    timestamp: d.receivedAt,
    receivedAt: d.receivedAt,
    source: SHOPIFY_SOURCE,
    properties: { compliance: request },
  };
}
