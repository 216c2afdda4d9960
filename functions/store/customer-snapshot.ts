import { TABLE } from '../../kernel/settings.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import type { CustomerScore } from '../../models/scoring/customer-score.js';
import type { Item } from './batch.js';
import { itemToEvent } from './event-queries.js';
import { customerPk, EVENT_SK_PREFIX, ORDER_COPY_SK_PREFIX, PROFILE_SK, SCORE_SK, SEND_SK_PREFIX } from './keys.js';
import { toEntry, type LedgerEntry } from './ledger.js';
import { mergePatches, type CustomerProfile } from './profiles.js';
import { queryAll } from './query.js';
import { itemToScore } from './scores.js';

/**
 * What the send step checks, from one Query of the customer's partition starting at the journey's
 * entry: the sort order puts the events since entry first (`E#<time>...`), then the order copies
 * (`O#`), the profile patches (`P#`) and marker, points, the score and the send ledger (keys.ts).
 * It replaces a read per check (profile, score, ledger, events since entry, the whole event history
 * for recommendations). Events older than `since` are never read.
 */
export interface CustomerSnapshot {
  readonly profile?: CustomerProfile;
  readonly score?: CustomerScore;
  /** Every send ledger entry of the customer (frequency cap, duplicates). */
  readonly ledger: readonly LedgerEntry[];
  /** Every order event of the customer (its copy: store/events.ts orderCopyWrite), oldest key first. */
  readonly orders: readonly StoredEvent[];
  /**
   * Events whose key is their time, from `since` on (the ones placed by the byTime index, skew-
   * corrected or untimed, are not here: `eventsSince` below adds them when a check needs them).
   */
  readonly keyedEventsSince: readonly StoredEvent[];
}

export async function readCustomerSnapshot(table: string, customerId: string, since: string): Promise<CustomerSnapshot> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk >= :from',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':from': `${EVENT_SK_PREFIX}${new Date(since).toISOString()}` },
    ConsistentRead: true,
  });
  return snapshotOf(customerId, items);
}

export function snapshotOf(customerId: string, items: readonly Item[]): CustomerSnapshot {
  const patches: Item[] = [];
  const ledger: LedgerEntry[] = [];
  const orders: StoredEvent[] = [];
  const keyed: StoredEvent[] = [];
  let known = false;
  let score: CustomerScore | undefined;
  for (const item of items) {
    const sk = String(item['sk']);
    if (sk.startsWith(EVENT_SK_PREFIX)) {
      if (item[TABLE.byTimeSortKey] === undefined) keyed.push(itemToEvent(item));
    } else if (sk.startsWith(ORDER_COPY_SK_PREFIX)) orders.push(itemToEvent(item));
    else if (sk.startsWith('P#')) patches.push(item);
    else if (sk === PROFILE_SK) known = true;
    else if (sk === SCORE_SK) score = itemToScore(item);
    else if (sk.startsWith(SEND_SK_PREFIX)) ledger.push(toEntry(item));
  }
  const profile = known || patches.length > 0 ? mergePatches(customerId, patches) : undefined;
  return { ...(profile ? { profile } : {}), ...(score ? { score } : {}), ledger, orders, keyedEventsSince: keyed };
}
