import { ConfigError } from '../../kernel/errors.js';
import { logger } from '../commons/logger.js';
import { erasedAmong } from '../store/erasure-tombstones.js';
import { loadSecrets, unsubscribeSecret } from '../campaigns/secrets.js';
import { eraseCustomer, type ErasureResult, type Identities } from '../store/erasure.js';
import { privacyKey } from '../store/privacy-hash.js';
import { eraseFromArtifacts } from './erasure-artifacts.js';
import { completeComplianceRequest, customersOfShop } from '../store/compliance-completion.js';
import type { ComplianceRequest } from '../store/compliance-requests.js';

/**
 * Erasure as the API route, the CLI and Shopify's compliance webhooks run it: the keyed-hash key
 * (derived from the unsubscribe secret, loaded from Secrets Manager in AWS), one erasure per
 * customer id, and a log line naming the customer by its keyed hash only.
 */
export async function erasureKey(): Promise<string> {
  await loadSecrets();
  return privacyKey(unsubscribeSecret());
}

export interface ErasureOutcome {
  readonly results: readonly ErasureResult[];
  /** The identities erased, for the local stack to scrub its files and inbox; never logged or answered. */
  readonly identities: readonly Identities[];
}

type ErasureListener = (outcome: ErasureOutcome) => Promise<void>;
const listeners = new Set<ErasureListener>();

/**
 * Called after every erasure in this process, with the identities erased: the local stack removes
 * its on-disk and in-memory copies (LevelDB files, the queue journal, the mail inbox), which in
 * AWS are DynamoDB's and SQS's business. Returns the function that removes the listener.
 */
export function onErasure(listener: ErasureListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function eraseCustomers(table: string, customerIds: readonly string[], opts: { now?: Date; reason: string }): Promise<ErasureOutcome> {
  const key = await erasureKey();
  const now = opts.now ?? new Date();
  const results: ErasureResult[] = [];
  const identities: Identities[] = [];
  for (const id of new Set(customerIds)) {
    const erased = await eraseCustomer(table, id, { key, now });
    results.push(erased.result);
    identities.push(erased.identities);
    logger.info('customer erased', { customer: erased.result.customerHash, reason: opts.reason, items: erased.result.deletedItems });
  }
  // The jobs' files (score snapshots, feature shards, manifests): after the table, so a job that
  // runs in between and writes them again finds the customer already gone from the table.
  const artifacts = await eraseFromArtifacts([...new Set(identities.flatMap((i) => [...i.customerIds, ...i.anonymousIds]))]);
  logger.info('erased from job files', { customers: results.length, ...artifacts });
  const outcome = { results, identities };
  for (const listener of listeners) await listener(outcome);
  return outcome;
}

/**
 * Shopify's customers/redact and shop/redact, carried out when they arrive: the customers the
 * request concerns (the linked Shopify customer and the email index; for shop/redact every
 * customer linked to the shop) are erased, then the pending record gives way to a receipt without
 * personal data. customers/data_request stays pending for the shop owner (`winback customers
 * export`). A redelivery erases again, which finds nothing.
 */
export async function carryOutComplianceRequest(
  table: string,
  request: Pick<ComplianceRequest, 'source' | 'topic' | 'shop' | 'requestKey'>,
  customerIds: readonly string[],
  now: Date = new Date(),
): Promise<ErasureOutcome | undefined> {
  if (request.topic !== 'customers/redact' && request.topic !== 'shop/redact') return undefined;
  const ids = request.topic === 'shop/redact' ? [...new Set([...customerIds, ...(await customersOfShop(table, request.shop))])] : customerIds;
  let key: string;
  try {
    key = await erasureKey();
  } catch (error) {
    // A processor deployed without the secret: the request stays pending (recorded) for the privacy API.
    if (!(error instanceof ConfigError)) throw error;
    logger.warn('compliance request left pending: no erasure key here', { topic: request.topic });
    return undefined;
  }
  const outcome = await eraseCustomers(table, ids, { now, reason: request.topic });
  await completeComplianceRequest(table, key, request, { customers: ids.length, at: now });
  return outcome;
}

/**
 * The ids among `customerIds` that were erased (tombstones), for the training job: their events
 * came back after the erasure (an old export re-imported, a restored backup) and must not train a
 * model. Where no key is configured (a function without the unsubscribe secret) nothing can be
 * matched and none is left out; the erased customers' own data is gone from the table anyway.
 */
export async function erasedCustomers(table: string, customerIds: readonly string[]): Promise<Set<string>> {
  let key: string;
  try {
    key = await erasureKey();
  } catch (error) {
    if (error instanceof ConfigError) return new Set();
    throw error;
  }
  return erasedAmong(table, key, customerIds);
}
