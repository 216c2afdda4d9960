import type { WriteRequest } from './batch.js';
import { ERASED_PK } from './privacy-keys.js';
import { privacyHash } from './privacy-hash.js';
import { queryAll } from './query.js';

/**
 * Erasure tombstones: the keyed hash of every erased customer id, with the time of the erasure.
 * Nothing about the person is readable from them; they let the training job leave out a customer
 * whose events come back after the erasure (an old export re-imported, a replayed backup) and let
 * an operator answer "was this id erased, and when" when handed the id again.
 */
export function tombstoneWrites(key: string, customerIds: readonly string[], now: Date): WriteRequest[] {
  return customerIds.map((id) => ({
    PutRequest: { Item: { pk: ERASED_PK, sk: privacyHash(key, 'customer', id), erasedAt: now.toISOString() } },
  }));
}

/** The hashes of every erased customer id. */
export async function erasedCustomerHashes(table: string): Promise<Set<string>> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': ERASED_PK },
    ProjectionExpression: 'sk',
  });
  return new Set(items.map((i) => String(i['sk'])));
}

/** The ids among `customerIds` that were erased (their events came back since). */
export async function erasedAmong(table: string, key: string, customerIds: readonly string[]): Promise<Set<string>> {
  const hashes = await erasedCustomerHashes(table);
  if (hashes.size === 0) return new Set();
  return new Set(customerIds.filter((id) => hashes.has(privacyHash(key, 'customer', id))));
}
