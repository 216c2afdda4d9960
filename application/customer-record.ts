import { queryCustomerEvents } from '../functions/store/events.js';
import { getProfile, type CustomerProfile } from '../functions/store/profiles.js';
import { getSuppressions, type SuppressionEntry } from '../functions/store/suppression.js';
import { getScore } from '../functions/store/scores.js';
import { customerLedger, type LedgerEntry } from '../functions/store/ledger.js';
import { customerArbitrations, type ArbitrationRecord } from '../functions/store/arbitration.js';
import type { CustomerScore } from '../models/scoring/customer-score.js';
import type { StoredEvent } from '../kernel/events/stored-event.js';

/**
 * Everything winback holds about one customer; `customers show --json` prints it and the console's
 * customer page shows it. Fields are only ever added: tests and scripts read the existing ones.
 */
export interface CustomerRecord {
  readonly customerId: string;
  readonly found: boolean;
  readonly profile: CustomerProfile | null;
  readonly score: CustomerScore | null;
  readonly suppressed: boolean;
  readonly suppressions: SuppressionEntry[];
  /** Every stored event, in time order. */
  readonly events: StoredEvent[];
  /** The campaign send ledger: every message sent, held out or failed, by campaign, step and entry. */
  readonly messages: LedgerEntry[];
  /** Campaign runs that wanted the customer but lost them to a campaign of higher expected value (the winner's messages carry the decision in their reasons). */
  readonly decisions: ArbitrationRecord[];
}

export async function customerRecord(table: string, id: string): Promise<CustomerRecord> {
  const [profile, events, score, messages, decisions] = await Promise.all([
    getProfile(table, id),
    queryCustomerEvents(table, id),
    getScore(table, id),
    customerLedger(table, id),
    customerArbitrations(table, id),
  ]);
  const suppressions = profile?.email ? await getSuppressions(table, profile.email) : [];
  return {
    customerId: id,
    found: profile !== undefined || events.length > 0,
    profile: profile ?? null,
    score: score ?? null,
    suppressed: suppressions.length > 0,
    suppressions,
    events,
    messages,
    decisions,
  };
}
