import { ScanCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';
import { StoredEvent } from '../../kernel/events/stored-event.js';
import { anonymousCustomerId, toUtc } from '../../kernel/ids.js';
import {
  customerPk,
  timedEventSk,
  untimedEventSk,
  eventTsk,
  aliasPk,
  ALIAS_SK,
  PROFILE_SK,
  orderCopySk,
} from './keys.js';
import { batchWrite, batchGet, type Item, type WriteRequest } from './batch.js';
import { profileWrites, registryWrite } from './profiles.js';
import { queryAll } from './query.js';
import { aliasDirectory, followMerges, forgetAliasDirectory, mergeIdentity } from './identities.js';
import { logger } from '../commons/logger.js';

export interface StoreOptions {
  readonly table: string;
  /** Days to keep events; sets the TTL attribute (DynamoDB expires them in AWS). */
  readonly retentionDays: number;
}

/**
 * Keys of immutable items (customer registry, email index) this process has already written.
 * Their puts are idempotent, so skipping a repeat is safe, and it keeps the write cost near one
 * item per event on warm containers.
 */
const writtenOnce = new Set<string>();
const MAX_WRITTEN_ONCE = 200_000;
/** For a process that points at a fresh table (local stack restart or reset). */
export function forgetWrittenItems(): void {
  writtenOnce.clear();
  forgetAliasDirectory();
}
const itemKey = (r: WriteRequest): string => ('PutRequest' in r ? `${r.PutRequest.Item['pk']}|${r.PutRequest.Item['sk']}` : '');

const ANON_PREFIX = 'anon:';

/**
 * An event's keys. Keyed by the producer's own time when it has one (the same in every
 * redelivery), so that the partition's sort order is the customer's timeline; it carries `tsk`
 * (and so an entry in the byTime index) only when its place in time is not its key: its time was
 * corrected for the sender's clock skew (the correction changes between redeliveries, the key
 * must not), or winback supplied the time.
 */
function eventKeys(event: StoredEvent): { sk: string; tsk?: string } {
  if (event.producerTime) {
    const keyTime = toUtc(event.originalTimestamp ?? event.timestamp);
    const sk = timedEventSk(keyTime, event.eventId);
    return keyTime === toUtc(event.timestamp) ? { sk } : { sk, tsk: eventTsk(event.timestamp, event.eventId) };
  }
  return { sk: untimedEventSk(event.eventId), tsk: eventTsk(event.timestamp, event.eventId) };
}

/**
 * The order copy of an order event (keys.ts ORDER_COPY_SK_PREFIX): the send step's order summary
 * (recommendations, conversion on an order goal) without reading the event history. A keyed put:
 * a redelivery rewrites the same item. Order events only, so other events cost nothing more.
 */
export function orderCopyWrite(event: StoredEvent, retentionDays: number): WriteRequest | undefined {
  if (event.kind !== 'order' || !event.order) return undefined;
  const { tsk: _placed, ...item } = eventItem(event, retentionDays);
  return { PutRequest: { Item: { ...item, sk: orderCopySk(event.eventId) } } };
}

/** The item an event is stored as (exported for the ingest benchmark's raw ceiling). */
export function eventItem(event: StoredEvent, retentionDays: number): Item {
  const expiresAt = Math.floor(Date.parse(event.timestamp) / 1000) + retentionDays * 86_400;
  // The flag is in the key (a timed sort key), not repeated in every item.
  const { producerTime: _inKey, ...fields } = event;
  const { sk, tsk } = eventKeys(event);
  return {
    ...fields,
    pk: customerPk(event.customerId),
    sk,
    ...(tsk ? { tsk } : {}),
    [TABLE.ttlAttribute]: expiresAt,
  };
}

interface Alias {
  readonly userId: string;
  readonly migrated: boolean;
}

async function readAliases(table: string, anonymousIds: Iterable<string>): Promise<Map<string, Alias>> {
  const ids = [...new Set(anonymousIds)];
  if (ids.length === 0) return new Map();
  const items = await batchGet(table, ids.map((id) => ({ pk: aliasPk(id), sk: ALIAS_SK })));
  return new Map(
    items.map((i) => [String(i['pk']).slice('ANON#'.length), { userId: String(i['userId']), migrated: i['migrated'] === true }]),
  );
}

/**
 * Moves everything stored under an anonymous id to the user it was identified as:
 * copy first, then delete, so a crash in between leaves duplicates that the next run
 * (or the next event's check) finishes, never a loss.
 */
export async function migrateAnonymous(table: string, anonymousId: string, userId: string): Promise<number> {
  const fromPk = customerPk(anonymousCustomerId(anonymousId));
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': fromPk },
    ConsistentRead: true,
  });
  const puts: WriteRequest[] = [];
  for (const item of items) {
    if (item['sk'] === PROFILE_SK) continue;
    puts.push({ PutRequest: { Item: { ...item, pk: customerPk(userId), customerId: userId, userId } } });
  }
  puts.push(registryWrite(userId));
  await batchWrite(table, puts);
  await batchWrite(
    table,
    items.map((i) => ({ DeleteRequest: { Key: { pk: String(i['pk']), sk: String(i['sk']) } } })),
  );
  return items.length;
}

/** Links an anonymous id to a user once; the first identification wins (Segment's alias semantics). */
async function linkAlias(table: string, anonymousId: string, userId: string): Promise<string> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: aliasPk(anonymousId), sk: ALIAS_SK, userId, migrated: false },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return userId;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await readAliases(table, [anonymousId]);
    return existing.get(anonymousId)?.userId ?? userId;
  }
}

async function markMigrated(table: string, anonymousId: string): Promise<void> {
  await dynamoClient().send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: aliasPk(anonymousId), sk: ALIAS_SK },
      UpdateExpression: 'SET migrated = :t',
      ExpressionAttributeValues: { ':t': true },
    }),
  );
}

/**
 * Stores normalised events idempotently, with identity stitching:
 *  1. anonymous events whose anonymousId is already linked go straight to the user;
 *  2. events carrying both ids link the anonymousId (first link wins) and move its history;
 *  3. after writing, anonymous events are checked again, so an identify processed concurrently
 *     elsewhere cannot strand them (either its move sees them, or this check sees its link);
 *  4. `alias` events merge their previous id into their user (store/identities.ts), and events
 *     written under a merged id are moved to where it was merged (known merges before writing,
 *     merges logged meanwhile after).
 * All writes are keyed puts (BatchWriteItem); re-running with the same events converges.
 */
export async function storeEvents(events: readonly StoredEvent[], options: StoreOptions): Promise<void> {
  if (events.length === 0) return;
  const { table, retentionDays } = options;

  const anonIds = new Set<string>();
  for (const e of events) if (e.anonymousId !== undefined) anonIds.add(e.anonymousId);
  const aliases = await readAliases(table, anonIds);
  const merges = aliasDirectory(table);

  const resolved = events.map((e) => {
    let customerId = e.customerId;
    if (e.userId === undefined && e.anonymousId !== undefined) customerId = aliases.get(e.anonymousId)?.userId ?? customerId;
    customerId = merges.finalId(customerId);
    return customerId === e.customerId ? e : { ...e, customerId };
  });

  // Links to create or finish: every (anonymousId -> userId) pair seen in this batch.
  const links = new Map<string, string>();
  for (const e of resolved) {
    if (e.userId !== undefined && e.anonymousId !== undefined && !links.has(e.anonymousId)) links.set(e.anonymousId, e.customerId);
  }
  for (const e of resolved) {
    if (e.kind === 'alias' && e.previousId !== undefined) {
      links.set(e.previousId, links.get(e.previousId) ?? e.customerId);
      await mergeAlias(table, e.previousId, e.customerId, e.timestamp);
    }
  }
  for (const [anonymousId, userId] of links) {
    const alias = aliases.get(anonymousId);
    if (alias?.migrated) continue;
    const owner = alias?.userId ?? (await linkAlias(table, anonymousId, userId));
    await migrateAnonymous(table, anonymousId, owner);
    await markMigrated(table, anonymousId);
    aliases.set(anonymousId, { userId: owner, migrated: true });
  }

  const writes: WriteRequest[] = [];
  const immutable = new Map<string, WriteRequest>();
  const once = (r: WriteRequest): void => {
    const key = itemKey(r);
    if (!writtenOnce.has(key)) immutable.set(key, r);
  };
  for (const e of resolved) {
    writes.push({ PutRequest: { Item: eventItem(e, retentionDays) } });
    const orderCopy = orderCopyWrite(e, retentionDays);
    if (orderCopy) writes.push(orderCopy);
    const { patch, emailIndex } = profileWrites(e);
    // Every patch is written, repeats included: skipping a repeat safely needs a consistent read
    // per customer after the events and a re-check by every writer (a skipped repeat can be lost to
    // an older change written concurrently), which cost more ingest throughput than the write it saves.
    if (patch) writes.push(patch);
    if (emailIndex) once(emailIndex);
    once(registryWrite(e.customerId));
  }
  await batchWrite(table, [...writes, ...immutable.values()]);
  if (writtenOnce.size > MAX_WRITTEN_ONCE) writtenOnce.clear();
  for (const key of immutable.keys()) writtenOnce.add(key);

  const written = new Set(resolved.filter((e) => !e.customerId.startsWith(ANON_PREFIX)).map((e) => e.customerId));
  const stillAnonymous = resolved.filter((e) => e.customerId.startsWith(ANON_PREFIX) && e.anonymousId !== undefined);
  if (stillAnonymous.length > 0) {
    const late = await readAliases(table, stillAnonymous.map((e) => e.anonymousId as string));
    for (const [anonymousId, alias] of late) {
      await migrateAnonymous(table, anonymousId, alias.userId);
      written.add(alias.userId);
    }
  }
  await followMerges(table, written);
}

/**
 * An alias's previous id may be a former user id or an anonymous id (analytics.js sends whichever
 * the visitor had): it is merged as a user id, and linked as an anonymous id by the caller.
 */
async function mergeAlias(table: string, previousId: string, userId: string, at: string): Promise<void> {
  const outcome = await mergeIdentity(table, previousId, userId, at);
  // Ids are pseudonymous keys, not personal data, but the log needs neither: the outcome is enough.
  if (!outcome.linked) logger.warn('alias ignored: it would merge a customer into itself', { reason: outcome.reason });
}

export { itemToEvent, queryCustomerEvents, customerEventKeys, type TimeRange } from './event-queries.js';

export interface EventCounts {
  readonly total: number;
  readonly byKind: Record<string, number>;
  readonly customers: number;
}

/** Counts stored events by kind (a full scan: an operator's command, not a hot path). */
export async function countEvents(table: string): Promise<EventCounts> {
  const byKind: Record<string, number> = {};
  let total = 0;
  let customers = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'sk, kind',
        FilterExpression: 'begins_with(sk, :e) OR sk = :p',
        ExpressionAttributeValues: { ':e': 'E#', ':p': PROFILE_SK },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) {
      if (item['sk'] === PROFILE_SK) {
        customers++;
        continue;
      }
      total++;
      const kind = String(item['kind']);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { total, byKind, customers };
}
