import type { StoredEvent } from '../../../kernel/events/stored-event.js';
import { ComplianceRequest, recordComplianceRequest } from '../../store/compliance-requests.js';
import { carryOutComplianceRequest } from '../../privacy/erasure-service.js';
import { linkExternalId, readExternalLinks } from '../../store/external-ids.js';
import { customersByEmail } from '../../store/profiles.js';
import { parseOrThrow } from '../../events/validation.js';
import { COMPLIANCE_EVENT_PREFIX, isShopifyCustomerKey } from './shopify-ids.js';

/**
 * The processor's side of the Shopify webhooks (the ingest function cannot read the table):
 *  - each Shopify customer (`shopify:<shop>:<id>`) is attached to the winback customer with its
 *    email, found in the email index, else kept as a customer of its own; the choice is recorded
 *    once (functions/store/external-ids.ts), so redeliveries and later facts converge on it;
 *  - data-subject requests are recorded as requests (functions/store/compliance-requests.ts),
 *    never stored as a customer's events.
 * A batch without Shopify events costs nothing here.
 */
export const isComplianceEvent = (e: StoredEvent): boolean => e.eventId.startsWith(COMPLIANCE_EVENT_PREFIX);

/**
 * Of the customers an address belongs to: an id the shop's own site gave (a plain userId) before
 * another Shopify customer; never an anonymous visitor (`anon:`, it may still be identified) or a
 * pseudonymous address (`email:`). The email index answers in id order, so the choice is stable.
 */
export function preferredCustomer(candidates: readonly string[], self: string): string | undefined {
  const eligible = candidates.filter((c) => c !== self && !c.startsWith('anon:') && !c.startsWith('email:'));
  return eligible.find((c) => !isShopifyCustomerKey(c)) ?? eligible[0];
}

const emailOf = (e: StoredEvent): string | undefined => (typeof e.traits?.['email'] === 'string' ? (e.traits['email'] as string) : undefined);

async function resolveCustomers(table: string, events: readonly StoredEvent[]): Promise<Map<string, string>> {
  const keys = [...new Set(events.map((e) => e.customerId).filter(isShopifyCustomerKey))];
  const owners = await readExternalLinks(table, keys);
  for (const key of keys) {
    if (owners.has(key)) continue;
    const email = events.filter((e) => e.customerId === key).map(emailOf).find(Boolean);
    const found = email ? await customersByEmail(table, email) : [];
    owners.set(key, await linkExternalId(table, key, preferredCustomer(found, key) ?? key));
  }
  return owners;
}

async function recordRequest(table: string, event: StoredEvent): Promise<void> {
  const request = parseOrThrow(ComplianceRequest, event.properties['compliance'], 'properties.compliance');
  const linked = isShopifyCustomerKey(event.customerId) ? (await readExternalLinks(table, [event.customerId])).get(event.customerId) : undefined;
  const byEmail = request.email ? await customersByEmail(table, request.email) : [];
  const customerIds = [...new Set([...(linked ? [linked] : []), ...byEmail])];
  await recordComplianceRequest(table, request, customerIds);
  await carryOutComplianceRequest(table, request, customerIds);
}

/** The events to store, with Shopify customers resolved; compliance requests recorded and left out. */
export async function prepareShopifyEvents(table: string, events: StoredEvent[]): Promise<StoredEvent[]> {
  if (!events.some((e) => isShopifyCustomerKey(e.customerId) || isComplianceEvent(e))) return events;
  const requests = events.filter(isComplianceEvent);
  const facts = events.filter((e) => !isComplianceEvent(e));
  for (const request of requests) await recordRequest(table, request);
  const owners = await resolveCustomers(table, facts);
  return facts.map((e) => {
    const owner = owners.get(e.customerId);
    return owner && owner !== e.customerId ? { ...e, customerId: owner, userId: owner } : e;
  });
}
