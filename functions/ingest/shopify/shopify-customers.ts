import { toUtc } from '../../../kernel/ids.js';
import type { StoredEvent } from '../../../kernel/events/stored-event.js';
import type { EmailMarketingConsent, ShopifyConsentUpdate, ShopifyCustomer } from './shopify-payloads.js';
import { nameTraits, SHOPIFY_SOURCE, shopifyCustomerKey, validEmail, type ShopifyDelivery } from './shopify-ids.js';

/**
 * Shopify customers -> identify events: the traits (email, firstName, lastName) as of the
 * customer's updated_at, and the email-marketing consent as of its consent_updated_at.
 *
 * Consent: Shopify's email_marketing_consent covers all marketing email, so it maps to winback's
 * consent topic '*' (functions/campaigns/eligibility.ts): `subscribed` grants it, `unsubscribed`
 * withdraws it. `not_subscribed` (never asked), `pending` (double opt-in not confirmed yet),
 * `invalid` and `redacted` are no explicit choice and change nothing, so CONSENT_MODE decides. The
 * choice is timed at consent_updated_at, not at the webhook, so an older Shopify state cannot
 * override a newer unsubscribe made in a winback email.
 */
const CONSENT_BY_STATE: Readonly<Record<string, boolean>> = { subscribed: true, unsubscribed: false };

function identify(d: ShopifyDelivery, customerId: string, eventId: string, at: string, traits: Record<string, unknown>, shopify: Record<string, unknown>): StoredEvent {
  return {
    eventId,
    customerId,
    userId: customerId,
    kind: 'identify',
    name: 'identify',
    timestamp: toUtc(at),
    receivedAt: d.receivedAt,
    source: SHOPIFY_SOURCE,
    properties: { shopify: { shop: d.shop, ...shopify } },
    traits,
  };
}

/** Without Shopify timestamps (its test payloads send null), the webhook id keys the fact. */
const factKey = (at: string | null | undefined, d: ShopifyDelivery): string => (at ? toUtc(at) : d.webhookId);

export function consentEvent(
  d: ShopifyDelivery,
  shopifyCustomerId: string,
  email: string | undefined,
  consent: EmailMarketingConsent | null | undefined,
  fallbackAt?: string | null,
): StoredEvent | undefined {
  const state = consent?.state.toLowerCase();
  if (!state || !Object.hasOwn(CONSENT_BY_STATE, state)) return undefined;
  const at = consent?.consent_updated_at ?? fallbackAt;
  const customerId = shopifyCustomerKey(d.shop, shopifyCustomerId);
  return identify(
    d,
    customerId,
    `shopify:${d.shop}:consent:${shopifyCustomerId}:${factKey(at, d)}:${state}`,
    at ?? d.receivedAt,
    { ...(email ? { email } : {}), consent: { '*': CONSENT_BY_STATE[state] } },
    { customerId: shopifyCustomerId, emailMarketingConsent: state, ...(consent?.opt_in_level ? { optInLevel: consent.opt_in_level } : {}) },
  );
}

/** customers/create and customers/update. */
export function customerEvents(customer: ShopifyCustomer, d: ShopifyDelivery): StoredEvent[] {
  const email = validEmail(customer.email);
  const traits = { ...(email ? { email } : {}), ...nameTraits(customer) };
  const at = customer.updated_at ?? customer.created_at;
  const events: StoredEvent[] = [];
  if (Object.keys(traits).length > 0) {
    const customerId = shopifyCustomerKey(d.shop, customer.id);
    events.push(identify(d, customerId, `shopify:${d.shop}:customer:${customer.id}:${factKey(at, d)}`, at ?? d.receivedAt, traits, { customerId: customer.id }));
  }
  const consent = consentEvent(d, customer.id, email, customer.email_marketing_consent, at);
  if (consent) events.push(consent);
  return events;
}

/** customers/email_marketing_consent_update (API 2025-01 and later). */
export function consentUpdateEvents(update: ShopifyConsentUpdate, d: ShopifyDelivery): StoredEvent[] {
  const event = consentEvent(d, update.customer_id, validEmail(update.email_address), update.email_marketing_consent);
  return event ? [event] : [];
}
