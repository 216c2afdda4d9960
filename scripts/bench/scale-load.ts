import { normalizeSegment, normalizeSesRecord } from '../../functions/events/normalize.js';
import type { SesEventRecord } from '../../functions/events/ses-event.js';
import { batchWrite, type WriteRequest } from '../../functions/store/batch.js';
import { eventItem } from '../../functions/store/events.js';
import { profileWrites, registryWrite } from '../../functions/store/profiles.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { simulateCustomers } from '../simulate/population.js';
import type { SimulationOptions } from '../simulate/types.js';

/**
 * Bulk load of a simulated population for the scale benchmark: the items the processors would
 * end with (events in the customer's partition, profile patches, the registry item on gsi1),
 * written with BatchWriteItem, many customers in flight. It skips what only the ingest path needs
 * (identity stitching reads, suppressions): every simulated event is stored under its customer,
 * which is where stitching puts it. scripts/simulate/direct.ts is the faithful (and ~80 events/s
 * on dynalite) path; this one exists to seed 100,000 customers in minutes.
 */
export async function bulkLoad(table: string, options: SimulationOptions, concurrency = 32): Promise<{ customers: number; events: number }> {
  let customers = 0;
  let events = 0;
  const inFlight = new Set<Promise<void>>();
  for (const c of simulateCustomers(options)) {
    const id = c.truth.customerId;
    const stored: StoredEvent[] = [];
    for (const e of c.events) {
      const ctx = { receivedAt: e.at, source: 'simulate' };
      if (e.kind === 'segment') stored.push(normalizeSegment(e.message, ctx));
      else if (e.kind === 'order') stored.push(normalizeOrder(e.order, ctx));
      else for (const r of normalizeSesRecord(e.record as unknown as SesEventRecord, ctx)) stored.push({ ...r.event, customerId: id });
    }
    const writes: WriteRequest[] = [registryWrite(id)];
    for (const e of stored) {
      const event = { ...e, customerId: id };
      writes.push({ PutRequest: { Item: eventItem(event, 3650) } });
      const p = profileWrites(event);
      if (p.patch) writes.push(p.patch);
    }
    events += stored.length;
    const job = batchWrite(table, writes).then(() => {
      inFlight.delete(job);
      customers++;
    });
    inFlight.add(job);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { customers, events };
}
