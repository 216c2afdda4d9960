import { normalizeSegment, normalizeSesRecord, type EmailEventForRecipient } from '../../functions/events/normalize.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { SesEventRecord } from '../../functions/events/ses-event.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { applySuppressions } from '../../functions/email/feedback.js';
import { storeEvents, type StoreOptions } from '../../functions/store/events.js';
import { countEvent, emptyCounts, simulateCustomers } from './population.js';
import type { SimulationProgress, SimulationRun } from './output.js';
import type { SimulatedCustomer, SimulationOptions } from './types.js';

/**
 * Loads a simulated population straight into the store with the functions the queue processors
 * call (normalisation, storeEvents with identity stitching, SES suppressions), skipping HTTP and
 * SQS. It exists for seeding demo data fast: locally every SES record is one SNS request and one
 * queue message, so a year of a few thousand customers' email through the API takes minutes.
 * The API path (`winback simulate` without --direct) stays the one that checks the edge.
 */
export async function storeSimulation(
  options: SimulationOptions,
  store: StoreOptions,
  onProgress: SimulationProgress = () => undefined,
  concurrency = 8,
): Promise<SimulationRun> {
  const counts = emptyCounts();
  let customers = 0;
  let churned = 0;
  const inFlight = new Set<Promise<void>>();
  for (const c of simulateCustomers(options)) {
    for (const e of c.events) countEvent(counts, e);
    if (c.truth.churnedAt) churned++;
    const job = storeCustomer(c, store).then(() => {
      inFlight.delete(job);
      customers++;
      onProgress(customers, counts.total);
    });
    inFlight.add(job);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { customers, churned, counts };
}

/** One customer's stream, in time order, as the processors would store it. */
async function storeCustomer(c: SimulatedCustomer, store: StoreOptions): Promise<void> {
  const events: StoredEvent[] = [];
  const feedback: EmailEventForRecipient[] = [];
  for (const e of c.events) {
    // receivedAt is the event time, so a seeded store is as deterministic as the simulation.
    const ctx = { receivedAt: e.at, source: 'simulate' };
    if (e.kind === 'segment') events.push(normalizeSegment(e.message, ctx));
    else if (e.kind === 'order') events.push(normalizeOrder(e.order, ctx));
    else {
      for (const r of normalizeSesRecord(e.record as unknown as SesEventRecord, ctx)) {
        // Simulated mail is tagged with its customer, as campaign sends are.
        events.push({ ...r.event, customerId: r.taggedCustomerId ?? c.truth.customerId });
        feedback.push(r);
      }
    }
  }
  // storeEvents links and moves anonymous history whichever order it sees events in.
  for (let i = 0; i < events.length; i += CHUNK) await storeEvents(events.slice(i, i + CHUNK), store);
  await applySuppressions(store.table, feedback);
}

const CHUNK = 250;
