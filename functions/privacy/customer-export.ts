import { getProfile, type CustomerProfile } from '../store/profiles.js';
import { customerFootprint, type Identities } from '../store/erasure.js';
import type { Item } from '../store/batch.js';

/**
 * An access request (GDPR Art. 15): everything winback holds about a customer, as stored. Items
 * are grouped by what they are, with the table's keys kept so that each fact can be traced to its
 * record; the merged profile comes first because it is what a person asks about first.
 */
export interface CustomerExport {
  readonly customerId: string;
  readonly exportedAt: string;
  readonly found: boolean;
  readonly identities: Identities;
  readonly profile?: CustomerProfile;
  readonly records: Record<string, Item[]>;
}

/** What a record is, from its keys: the groups of the export. */
export function recordKind(item: Item): string {
  const pk = String(item['pk']);
  const sk = String(item['sk']);
  if (pk.startsWith('C#')) {
    if (sk.startsWith('E#')) return item['kind'] === 'order' ? 'orders' : 'events';
    if (sk.startsWith('P#')) return 'profileChanges';
    if (sk === 'PROFILE') return 'registry';
    if (sk === 'SCORE') return 'scores';
    if (sk.startsWith('SCORECHG#')) return 'scoreHistory';
    if (sk.startsWith('SEND#')) return 'messages';
    if (sk.startsWith('PTS#')) return 'points';
    return 'other';
  }
  const prefix = pk.split('#')[0]!;
  const named: Record<string, string> = {
    ANON: 'anonymousIds',
    USERALIAS: 'mergedIds',
    ALIASLOG: 'mergedIds',
    EMAIL: 'emailIndex',
    SUPP: 'suppressions',
    EXT: 'externalIds',
    CAMPAIGN: 'journeys',
    JOURNEY: 'journeys',
    COUPON: 'coupons',
    COMPLIANCE: 'privacyRequests',
  };
  return named[prefix] ?? 'other';
}

export async function exportCustomer(table: string, customerId: string, now: Date = new Date()): Promise<CustomerExport> {
  const [footprint, profile] = await Promise.all([customerFootprint(table, customerId), getProfile(table, customerId)]);
  const records: Record<string, Item[]> = {};
  const sorted = [...footprint.items].sort((a, b) => `${String(a['pk'])}\u0000${String(a['sk'])}`.localeCompare(`${String(b['pk'])}\u0000${String(b['sk'])}`));
  for (const item of sorted) (records[recordKind(item)] ??= []).push(item);
  return {
    customerId,
    exportedAt: now.toISOString(),
    found: footprint.items.length > 0,
    identities: footprint.identities,
    ...(profile ? { profile } : {}),
    records,
  };
}
