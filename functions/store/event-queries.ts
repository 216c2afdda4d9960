import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { customerPk, TIMED_EVENTS_FROM, TIMED_EVENTS_TO } from './keys.js';
import type { Item } from './batch.js';
import { queryAll } from './query.js';

/** Reading a customer's events by time (the keys are described in store/keys.ts and README "Storage design"). */

const KEY_ATTRS = new Set(['pk', 'sk', 'tsk', TABLE.ttlAttribute, TABLE.gsi1PartitionKey, TABLE.gsi1SortKey]);

/** A timed event key: `E#` then an ISO time (a digit); untimed ones are `E#!...`, older ones `E#<eventId>`. */
const TIMED_KEY = /^E#\d/;

export function itemToEvent(item: Item): StoredEvent {
  const event: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRS.has(k)) event[k] = v;
  if (TIMED_KEY.test(String(item['sk']))) event['producerTime'] = true;
  return event as StoredEvent;
}

export interface TimeRange {
  /** Inclusive ISO lower bound. */
  readonly from?: string;
  /** Exclusive ISO upper bound. */
  readonly to?: string;
  readonly limit?: number;
  readonly newestFirst?: boolean;
}

/** A customer's events in time order: from the table's sort order, and the byTime index for the few placed by `tsk`. */
export function queryCustomerEvents(table: string, customerId: string, range: TimeRange = {}): Promise<StoredEvent[]> {
  return queryEvents(table, customerId, range, false);
}

/** Every key of a customer's events (whatever their form), e.g. to delete them all. */
export async function customerEventKeys(table: string, customerId: string): Promise<Array<{ pk: string; sk: string }>> {
  const items = await queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
    ExpressionAttributeValues: { ':pk': customerPk(customerId), ':e': 'E#' },
    ProjectionExpression: 'pk, sk',
    ConsistentRead: true,
  });
  return items.map((i) => ({ pk: String(i['pk']), sk: String(i['sk']) }));
}

/** Query pages until `limit` items pass `keep` (all pages without a limit). */
async function queryKept(
  input: ConstructorParameters<typeof QueryCommand>[0],
  keep: (item: Item) => boolean,
  limit?: number,
): Promise<Item[]> {
  const kept: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamoClient().send(new QueryCommand({ ...input, ...(limit ? { Limit: limit } : {}), ExclusiveStartKey: start }));
    for (const item of (out.Items ?? []) as Item[]) if (keep(item)) kept.push(item);
    start = out.LastEvaluatedKey;
  } while (start && !(limit && kept.length >= limit));
  return kept;
}

const eventOrder = (i: Item): string => `${String(i['timestamp'])}#${String(i['eventId'])}`;

export async function queryEvents(table: string, customerId: string, range: TimeRange, consistent: boolean): Promise<StoredEvent[]> {
  // Bounds in the stored form (toISOString), or '2026-01-01T00:00:00Z' would sort after '...00.000Z'.
  const from = range.from ? new Date(range.from).toISOString() : undefined;
  const to = range.to ? new Date(range.to).toISOString() : undefined;
  const common = { TableName: table, ScanIndexForward: !range.newestFirst, ConsistentRead: consistent };
  const [keyed, placed] = await Promise.all([
    // Events whose key is their time; those carrying `tsk` are placed by the index instead.
    queryKept(
      {
        ...common,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': customerPk(customerId),
          ':from': from ? `E#${from}` : TIMED_EVENTS_FROM,
          // '#' sorts below every character of an event id, so `E#<to>#` excludes events at exactly `to`.
          ':to': to ? `E#${to}#` : TIMED_EVENTS_TO,
        },
      },
      (item) => item[TABLE.byTimeSortKey] === undefined,
      range.limit,
    ),
    queryKept(
      {
        ...common,
        IndexName: TABLE.byTimeIndex,
        KeyConditionExpression: 'pk = :pk AND tsk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': customerPk(customerId), ':from': from ?? '0', ':to': to ? `${to}#` : '~' },
      },
      () => true,
      range.limit,
    ),
  ]);
  let items = keyed;
  if (placed.length > 0) {
    items = [...keyed, ...placed].sort((a, b) => (eventOrder(a) < eventOrder(b) ? -1 : 1));
    if (range.newestFirst) items.reverse();
  }
  const events = items.map(itemToEvent);
  return range.limit ? events.slice(0, range.limit) : events;
}

