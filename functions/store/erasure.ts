import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { emailCustomerId, normalizeEmail } from '../../kernel/ids.js';
import { batchWrite, type Item, type WriteRequest } from './batch.js';
import { aliasPk, customerPk, emailPk, suppressionPk, userAliasPk } from './keys.js';
import { queryAll } from './query.js';
import { hashedSuppressionWrites } from './suppression-hashes.js';
import { tombstoneWrites } from './erasure-tombstones.js';
import { privacyHash } from './privacy-hash.js';

/**
 * Erasure (GDPR Art. 17, PIPL Art. 47, Shopify customers/redact) and access (GDPR Art. 15) over
 * the single table. What winback holds about a customer is found in two steps:
 *  1. the customer's partition (events, orders, profile patches, scores and crossings, the send
 *     ledger, points), which names the identities stitched into it: anonymous ids, user ids merged
 *     by an alias, email addresses;
 *  2. one Scan for everything keyed elsewhere that points at those identities: the anonymous-id
 *     and user-id alias records and the alias log, the email index, Shopify id links, journey
 *     entries, active-journey locks, tier sightings and local executions of every campaign,
 *     coupons, compliance requests.
 * A Scan reads the whole table, which is the price of a key design made for the write and
 * audience paths; erasure requests are rare (a handful a day), and ids are erased in chunks so a
 * shop/redact over many customers reads the table once per chunk, not once per customer.
 */
const IDS_PER_SCAN = 20;
const SCAN_SEGMENTS = 4;

export interface Identities {
  /** Customer ids: the one asked for, merged user ids, `anon:` and `email:` ids. */
  readonly customerIds: readonly string[];
  readonly anonymousIds: readonly string[];
  readonly emails: readonly string[];
}

export interface Footprint {
  readonly identities: Identities;
  /** Every item that holds data of the customer, each once (pk, sk). */
  readonly items: readonly Item[];
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

function collectEmails(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 6) return;
  if (typeof value === 'string') {
    if (EMAIL_SHAPE.test(value.trim())) into.add(normalizeEmail(value));
  } else if (Array.isArray(value)) {
    for (const v of value) collectEmails(v, into, depth + 1);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectEmails(v, into, depth + 1);
  }
}

async function partitionOf(table: string, customerId: string): Promise<Item[]> {
  return queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': customerPk(customerId) },
    ConsistentRead: true,
  });
}

/** The customer's partitions and the identities they name, followed until nothing new turns up. */
async function ownItems(table: string, customerId: string): Promise<{ identities: Identities; items: Item[] }> {
  const ids = new Set([customerId]);
  const anonymous = new Set<string>();
  const emails = new Set<string>();
  const items: Item[] = [];
  const visited = new Set<string>();
  for (let round = 0; round < 4; round++) {
    const next = [...ids].filter((id) => !visited.has(id));
    if (next.length === 0) break;
    for (const id of next) {
      visited.add(id);
      for (const item of await partitionOf(table, id)) {
        items.push(item);
        if (typeof item['anonymousId'] === 'string') anonymous.add(item['anonymousId']);
        if (typeof item['previousId'] === 'string') ids.add(item['previousId']);
        collectEmails(item['traits'], emails);
        collectEmails(item['email'], emails);
      }
    }
    for (const a of anonymous) ids.add(`anon:${a}`);
    for (const e of emails) ids.add(emailCustomerId(e));
  }
  return { identities: { customerIds: [...ids], anonymousIds: [...anonymous], emails: [...emails] }, items };
}

/** One filtered, parallel Scan for the items keyed elsewhere that point at these identities. */
async function scanReferences(table: string, identities: Identities, ids: readonly string[]): Promise<Item[]> {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = { '#pk': 'pk', '#sk': 'sk' };
  const idRefs = ids.map((id, i) => {
    values[`:id${i}`] = id;
    values[`:ex${i}`] = `${id}#`;
    values[`:en${i}`] = `ENTRY#${id}#`;
    values[`:ac${i}`] = `ACTIVE#${id}`;
    values[`:ts${i}`] = `TIERSEEN#${id}`;
    return i;
  });
  const keyed = [
    ...ids.map((id) => customerPk(id)),
    ...ids.map((id) => userAliasPk(id)),
    ...identities.anonymousIds.map((a) => aliasPk(a)),
    ...identities.emails.flatMap((e) => [emailPk(e), suppressionPk(e)]),
  ];
  keyed.forEach((k, i) => (values[`:k${i}`] = k));
  const idList = idRefs.map((i) => `:id${i}`).join(', ');
  const clauses = [
    `customerId IN (${idList})`,
    `userId IN (${idList})`,
    `previousId IN (${idList})`,
    ...idRefs.flatMap((i) => [
      `contains(customerIds, :id${i})`,
      `begins_with(#sk, :ex${i})`,
      `begins_with(#sk, :en${i})`,
      `#sk = :ac${i}`,
      `#sk = :ts${i}`,
    ]),
  ];
  // IN takes at most 100 operands.
  for (let i = 0; i < keyed.length; i += 100) {
    clauses.push(`#pk IN (${keyed.slice(i, i + 100).map((_, j) => `:k${i + j}`).join(', ')})`);
  }
  const segments = await Promise.all(
    Array.from({ length: SCAN_SEGMENTS }, async (_, segment) => {
      const found: Item[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await dynamoClient().send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: SCAN_SEGMENTS,
            FilterExpression: clauses.join(' OR '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        found.push(...((out.Items ?? []) as Item[]));
        start = out.LastEvaluatedKey;
      } while (start);
      return found;
    }),
  );
  return segments.flat();
}

/** Everything winback holds about `customerId`, for erasure and for an access request. */
export async function customerFootprint(table: string, customerId: string): Promise<Footprint> {
  const own = await ownItems(table, customerId);
  const byKey = new Map<string, Item>();
  for (const item of own.items) byKey.set(`${String(item['pk'])}\u0000${String(item['sk'])}`, item);
  const ids = own.identities.customerIds;
  for (let i = 0; i < ids.length; i += IDS_PER_SCAN) {
    for (const item of await scanReferences(table, own.identities, ids.slice(i, i + IDS_PER_SCAN))) {
      byKey.set(`${String(item['pk'])}\u0000${String(item['sk'])}`, item);
    }
  }
  return { identities: own.identities, items: [...byKey.values()] };
}

export interface ErasureResult {
  /** Keyed hash of the customer id: what logs and reports name instead of the id. */
  readonly customerHash: string;
  /** Items deleted (0 when nothing was held: erasing twice is fine). */
  readonly deletedItems: number;
  readonly identities: { readonly customerIds: number; readonly anonymousIds: number; readonly emails: number };
  /** Suppression entries kept as a keyed hash of the address. */
  readonly hashedSuppressions: number;
}

/**
 * Erases the customer: the suppression entries of its addresses are rewritten under a keyed hash
 * of the address (so the address stays suppressed), a tombstone (keyed hash of each id) is written
 * for the training job, then every item of the footprint is deleted. Writes come before deletes,
 * so a crash in between leaves the data to the next attempt, never an unsuppressed address; every
 * step is idempotent.
 */
export async function eraseCustomer(table: string, customerId: string, opts: { key: string; now: Date }): Promise<{ result: ErasureResult; identities: Identities }> {
  const footprint = await customerFootprint(table, customerId);
  const { identities } = footprint;
  const suppressionItems = footprint.items.filter((i) => String(i['pk']).startsWith('SUPP#'));
  const puts: WriteRequest[] = [
    ...hashedSuppressionWrites(opts.key, suppressionItems),
    ...tombstoneWrites(opts.key, identities.customerIds, opts.now),
  ];
  await batchWrite(table, puts);
  await batchWrite(
    table,
    footprint.items.map((i) => ({ DeleteRequest: { Key: { pk: String(i['pk']), sk: String(i['sk']) } } })),
  );
  return {
    identities,
    result: {
      customerHash: privacyHash(opts.key, 'customer', customerId).slice(0, 16),
      deletedItems: footprint.items.length,
      identities: { customerIds: identities.customerIds.length, anonymousIds: identities.anonymousIds.length, emails: identities.emails.length },
      hashedSuppressions: suppressionItems.length,
    },
  };
}
