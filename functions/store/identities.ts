import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { normalizeEmail } from '../../kernel/ids.js';
import {
  ALIAS_LOG_COUNTER_SK,
  ALIAS_LOG_PK,
  ALIAS_SK,
  customerPk,
  emailPk,
  PROFILE_SK,
  SCORE_SK,
  userAliasPk,
  ORDER_COPY_SK_PREFIX,
} from './keys.js';
import { batchWrite, type Item, type WriteRequest } from './batch.js';
import { registryWrite } from './profiles.js';
import { queryAll } from './query.js';

/**
 * Identity merges: a Segment `alias {previousId, userId}` merges the customer `previousId` (a
 * legacy user id) into `userId`. Its events (orders included) and profile patches (traits,
 * consent) move, as an anonymous id's history moves on identify (store/events.ts), and events
 * that arrive later under the previous id follow them, in any arrival order:
 *  - the merge is recorded once per previous id (USERALIAS#<previousId>; the first merge wins) and
 *    appended to the alias log, then the previous id's items are moved;
 *  - every batch of events, after it is written, reads the log's counter (one small read, not one
 *    per customer) and, when merges were logged since, the new log entries; events it wrote under
 *    a merged id are moved. Either the merge's move sees an event written before it, or that
 *    event's batch sees the merge: all reads are strongly consistent, so none is stranded.
 */

const LOG_PREFIX = 'LOG#';
/**
 * How far back a refresh re-reads the log: an entry is stamped before it is written, so it can
 * land after a later-stamped one; no processor takes longer than this between the two.
 */
const LOG_OVERLAP_MS = 15 * 60_000;
/** Chains (a -> b, then b -> c) are followed this far; a cycle stops where it would repeat. */
const MAX_HOPS = 8;

/** The merges this process knows of, refreshed from the alias log. */
class AliasDirectory {
  private version = -1;
  private latestAt = '';
  private readonly merged = new Map<string, string>();

  constructor(readonly table: string) {}

  /** Where `customerId` ended up (itself when it was never merged). */
  finalId(customerId: string): string {
    let id = customerId;
    const seen = new Set([id]);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const next = this.merged.get(id);
      if (next === undefined || seen.has(next)) break;
      seen.add(next);
      id = next;
    }
    return id;
  }

  knows(previousId: string, userId: string): boolean {
    return this.merged.get(previousId) === userId;
  }

  /** One consistent read of the counter; the log itself only when merges were logged since. */
  async refresh(): Promise<void> {
    const out = await dynamoClient().send(
      new GetCommand({ TableName: this.table, Key: { pk: ALIAS_LOG_PK, sk: ALIAS_LOG_COUNTER_SK }, ConsistentRead: true }),
    );
    const version = Number(out.Item?.['seq'] ?? 0);
    if (version === this.version) return;
    const since = this.latestAt ? new Date(Date.parse(this.latestAt) - LOG_OVERLAP_MS).toISOString() : '';
    const entries = await queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': ALIAS_LOG_PK, ':from': `${LOG_PREFIX}${since}`, ':to': `${LOG_PREFIX}~` },
      ConsistentRead: true,
    });
    for (const entry of entries) {
      this.merged.set(String(entry['previousId']), String(entry['userId']));
      if (String(entry['at']) > this.latestAt) this.latestAt = String(entry['at']);
    }
    this.version = version;
  }
}

let directory: AliasDirectory | undefined;

/** This process's directory of merges for `table` (a new table, e.g. a restarted local stack, starts afresh). */
export function aliasDirectory(table: string): AliasDirectory {
  if (directory?.table !== table) directory = new AliasDirectory(table);
  return directory;
}

export function forgetAliasDirectory(): void {
  directory = undefined;
}

export type LinkOutcome =
  | { readonly linked: true; readonly owner: string }
  | { readonly linked: false; readonly reason: 'cycle' };

/**
 * Records that `previousId` was merged into `userId` (the first merge of an id wins, as an
 * anonymous id's first identify does) and logs it, then moves what is stored under it. Safe to
 * repeat: a redelivered alias finds its record and moves nothing twice.
 */
export async function mergeIdentity(table: string, previousId: string, userId: string, at: string): Promise<LinkOutcome> {
  const dir = aliasDirectory(table);
  await dir.refresh();
  if (dir.finalId(userId) === previousId) return { linked: false, reason: 'cycle' };
  let owner = userId;
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: userAliasPk(previousId), sk: ALIAS_SK, userId, at },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await dynamoClient().send(
      new GetCommand({ TableName: table, Key: { pk: userAliasPk(previousId), sk: ALIAS_SK }, ConsistentRead: true }),
    );
    owner = String(existing.Item?.['userId'] ?? userId);
  }
  // Logged again when a first attempt stopped between the record and the log: duplicates are harmless.
  if (!dir.knows(previousId, owner)) await appendAliasLog(table, previousId, owner, at);
  await moveCustomer(table, previousId, dir.finalId(owner));
  return { linked: true, owner };
}

async function appendAliasLog(table: string, previousId: string, userId: string, at: string): Promise<void> {
  // The entry first, then the counter: a processor that sees the new counter also sees the entry.
  const stamp = new Date().toISOString();
  await dynamoClient().send(
    new PutCommand({ TableName: table, Item: { pk: ALIAS_LOG_PK, sk: `${LOG_PREFIX}${stamp}#${previousId}`, previousId, userId, at: stamp, aliasAt: at } }),
  );
  await dynamoClient().send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: ALIAS_LOG_PK, sk: ALIAS_LOG_COUNTER_SK },
      UpdateExpression: 'ADD seq :one',
      ExpressionAttributeValues: { ':one': 1 },
    }),
  );
}

/** The customer's own facts move with it; derived items (scores, crossings) are dropped and recomputed. */
const MOVED_PREFIXES = ['E#', ORDER_COPY_SK_PREFIX, 'P#'];
const isDerived = (sk: string): boolean => sk === PROFILE_SK || sk === SCORE_SK || sk.startsWith('SCORECHG#');

/**
 * Moves the events (and order copies) and profile patches of customer `fromId` to `toId`: copy first, then delete,
 * so a crash in between leaves duplicates the next run finishes, never a loss. The email index
 * follows the patches. Campaign bookkeeping (send ledger, points, journey entries) stays with the
 * old id. Returns how many items moved.
 */
export async function moveCustomer(table: string, fromId: string, toId: string): Promise<number> {
  if (fromId === toId) return 0;
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': customerPk(fromId) },
    ConsistentRead: true,
  });
  const moved = items.filter((i) => MOVED_PREFIXES.some((p) => String(i['sk']).startsWith(p)));
  const dropped = items.filter((i) => isDerived(String(i['sk'])));
  if (moved.length === 0) return 0;
  const emails = new Set<string>();
  const puts: WriteRequest[] = moved.map((item) => {
    const email = (item['traits'] as Record<string, unknown> | undefined)?.['email'];
    if (String(item['sk']).startsWith('P#') && typeof email === 'string' && email.includes('@')) emails.add(normalizeEmail(email));
    const copy: Item = { ...item, pk: customerPk(toId) };
    // Events and their order copies name their customer.
    if (String(item['sk']).startsWith('E#') || String(item['sk']).startsWith(ORDER_COPY_SK_PREFIX)) copy['customerId'] = toId;
    return { PutRequest: { Item: copy } };
  });
  puts.push(registryWrite(toId));
  for (const email of emails) puts.push({ PutRequest: { Item: { pk: emailPk(email), sk: customerPk(toId), customerId: toId } } });
  await batchWrite(table, puts);
  await batchWrite(table, [
    ...[...moved, ...dropped].map((i) => ({ DeleteRequest: { Key: { pk: String(i['pk']), sk: String(i['sk']) } } })),
    ...[...emails].map((email) => ({ DeleteRequest: { Key: { pk: emailPk(email), sk: customerPk(fromId) } } })),
  ]);
  return moved.length;
}

/**
 * After a batch is written: the customers of the batch that were merged into another (the
 * directory refreshed first), moved where they belong.
 */
export async function followMerges(table: string, customerIds: Iterable<string>): Promise<void> {
  const dir = aliasDirectory(table);
  await dir.refresh();
  for (const id of new Set(customerIds)) {
    const target = dir.finalId(id);
    if (target !== id) await moveCustomer(table, id, target);
  }
}
