import { normalizeEmail, sha256 } from '../../../kernel/ids.js';

/**
 * The ids winback derives from Shopify's own ids, so that every fact has one key however often
 * Shopify delivers it:
 *  - a Shopify customer is `shopify:<shop>:<customer id>` until the processor links it, once and
 *    for good, to the winback customer with its email (or to itself when there is none);
 *  - a guest checkout (no customer, an email) is `shopify:<shop>:guest:<hash of the email>`;
 *  - an order is `shopify:<shop>:<order id>`, and its facts are `ord:<order>:placed`,
 *    `ord:<order>:cancelled` and `ord:<order>:refunded:<refund id>`;
 *  - every fact of an order also carries the anonymous id `shopify-order:<shop>:<order id>`,
 *    which the order's own events link to its customer, so a refund (which names only its order)
 *    reaches that customer in whichever order the two arrive (the identity stitching of
 *    functions/store/events.ts).
 */
export const SHOPIFY_SOURCE = 'shopify';
export const SHOPIFY_CUSTOMER_PREFIX = 'shopify:';
/** Event ids of data-subject requests: recorded by the processor as requests, never as customer events. */
export const COMPLIANCE_EVENT_PREFIX = 'shopify-request:';

/** One webhook delivery, from its headers. */
export interface ShopifyDelivery {
  readonly topic: string;
  /** X-Shopify-Shop-Domain, lower-cased: `<shop>.myshopify.com`. */
  readonly shop: string;
  readonly webhookId: string;
  readonly receivedAt: string;
}

export const shopifyCustomerKey = (shop: string, customerId: string): string => `${SHOPIFY_CUSTOMER_PREFIX}${shop}:${customerId}`;
export const shopifyGuestKey = (shop: string, email: string): string =>
  `${SHOPIFY_CUSTOMER_PREFIX}${shop}:guest:${sha256(normalizeEmail(email)).slice(0, 24)}`;
export const shopifyOrderId = (shop: string, orderId: string): string => `shopify:${shop}:${orderId}`;
export const shopifyOrderKey = (shop: string, orderId: string): string => `shopify-order:${shop}:${orderId}`;
export const isShopifyCustomerKey = (customerId: string): boolean => customerId.startsWith(SHOPIFY_CUSTOMER_PREFIX);

/** An address worth indexing, lower-cased; anything else (blank, no @, spaces) is dropped. */
export function validEmail(value: string | null | undefined): string | undefined {
  const email = value ? normalizeEmail(value) : '';
  return /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined;
}

/** firstName / lastName, as Segment's identify traits (and winback's templates) name them. */
export function nameTraits(who: { first_name?: string | null; last_name?: string | null } | null | undefined): Record<string, string> {
  return {
    ...(who?.first_name ? { firstName: who.first_name } : {}),
    ...(who?.last_name ? { lastName: who.last_name } : {}),
  };
}
