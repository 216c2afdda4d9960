import { createHash } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../../functions/commons/clients.js';
import { normalizeSegment, normalizeSesRecord } from '../../functions/events/normalize.js';
import type { SesEventRecord } from '../../functions/events/ses-event.js';
import type { WriteRequest } from '../../functions/store/batch.js';
import { eventItem } from '../../functions/store/events.js';
import { profileWrites, registryWrite } from '../../functions/store/profiles.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { simulateCustomers } from '../simulate/population.js';
import type { SimulatedEvent, SimulationOptions } from '../simulate/types.js';

/**
 * Bulk load of a simulated population for the scale benchmark: the items the processors would
 * end with (events in the customer's partition, profile patches, the registry item on gsi1),
 * written with BatchWriteItem, 25 items a call (many customers' items in one call) and `inFlight`
 * calls at once. It skips what only the ingest path needs (identity stitching reads,
 * suppressions): every simulated event is stored under its customer, which is where stitching
 * puts it. scripts/simulate/direct.ts is the faithful (and ~80 events/s on dynalite) path; this
 * one seeds 100,000 customers in minutes.
 *
 * The simulator makes about 115 events per customer and year, most of them page views, product
 * views and the newsletter's Send/Delivery pairs. The issue's populations have about 20 events a
 * customer, so the loader keeps every order, identify, survey, ticket, complaint, bounce and
 * unsubscribe, and 1 in `thin` (default 8) of the browsing events and of the newsletter
 * messages (a kept message keeps all its events: send, delivery, open, click), chosen by a hash
 * of the event's id, the same for every run.
 */
export interface BulkLoadOptions extends SimulationOptions {
  /** Keep 1 in `thin` browsing events and newsletter messages (1 keeps everything). Default 8. */
  readonly thin?: number;
  /** BatchWriteItem calls in flight. Default 16. */
  readonly inFlight?: number;
}

const THINNED_TRACKS = new Set(['Product Viewed', 'Product Added']);
const THINNED_SES = new Set(['Send', 'Delivery', 'Open', 'Click']);

const unit = (key: string): number => createHash('sha1').update(key).digest().readUInt32BE(0) / 2 ** 32;

/** Whether the thinned population keeps the event (see bulkLoad). */
export function keepsEvent(e: SimulatedEvent, thin: number): boolean {
  if (thin <= 1) return true;
  if (e.kind === 'order') return true;
  if (e.kind === 'ses') {
    if (!THINNED_SES.has(String(e.record.eventType))) return true;
    const mail = e.record['mail'] as { messageId?: string } | undefined;
    return unit(`m:${mail?.messageId ?? ''}`) < 1 / thin;
  }
  const m = e.message as { type?: string; event?: string; messageId?: string };
  const browsing = m.type === 'page' || (m.type === 'track' && THINNED_TRACKS.has(String(m.event)));
  return !browsing || unit(`e:${m.messageId ?? ''}`) < 1 / thin;
}

function storedEvents(id: string, events: readonly SimulatedEvent[], thin: number): StoredEvent[] {
  const stored: StoredEvent[] = [];
  for (const e of events) {
    if (!keepsEvent(e, thin)) continue;
    const ctx = { receivedAt: e.at, source: 'simulate' };
    if (e.kind === 'segment') stored.push({ ...normalizeSegment(e.message, ctx), customerId: id });
    else if (e.kind === 'order') stored.push({ ...normalizeOrder(e.order, ctx), customerId: id });
    else for (const r of normalizeSesRecord(e.record as unknown as SesEventRecord, ctx)) stored.push({ ...r.event, customerId: id });
  }
  return stored;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function writeChunk(table: string, chunk: WriteRequest[]): Promise<void> {
  let pending = chunk;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await sleep(Math.random() * Math.min(2000, 25 * 2 ** attempt));
    if (attempt >= 10) throw new Error(`${pending.length} writes still unprocessed after 10 attempts`);
    const out = await dynamoClient().send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
  }
}

export async function bulkLoad(table: string, options: BulkLoadOptions): Promise<{ customers: number; events: number; items: number }> {
  const thin = options.thin ?? 8;
  const limit = options.inFlight ?? 16;
  let customers = 0;
  let events = 0;
  let items = 0;
  const inFlight = new Set<Promise<void>>();
  let buffer = new Map<string, WriteRequest>();
  let failure: unknown;
  const flush = async (): Promise<void> => {
    const chunk = [...buffer.values()];
    buffer = new Map();
    items += chunk.length;
    const job = writeChunk(table, chunk).then(
      () => void inFlight.delete(job),
      (e: unknown) => {
        failure ??= e;
        inFlight.delete(job);
      },
    );
    inFlight.add(job);
    if (inFlight.size >= limit) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  const add = async (w: WriteRequest): Promise<void> => {
    const k = 'PutRequest' in w ? w.PutRequest.Item : w.DeleteRequest.Key;
    // A batch may not hold two requests for one key (a repeated patch: the last wins, as stored).
    buffer.set(`${String(k['pk'])}\u0000${String(k['sk'])}`, w);
    if (buffer.size >= 25) await flush();
  };
  for (const c of simulateCustomers(options)) {
    const id = c.truth.customerId;
    const stored = storedEvents(id, c.events, thin);
    await add(registryWrite(id));
    for (const event of stored) {
      await add({ PutRequest: { Item: eventItem(event, 3650) } });
      const p = profileWrites(event);
      if (p.patch) await add(p.patch);
    }
    events += stored.length;
    customers++;
  }
  if (buffer.size > 0) await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { customers, events, items };
}
