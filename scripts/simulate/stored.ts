import { normalizeSegment, normalizeSesRecord } from '../../functions/events/normalize.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { SesEventRecord } from '../../functions/events/ses-event.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { simulateCustomers } from './population.js';
import type { CustomerTruth, SimulatedCustomer, SimulationOptions } from './types.js';

/**
 * Simulated events as the store would hold them, for training in process without a stack:
 * the same normalisation functions the ingest path runs, with what the store then does
 * (anonymous browsing moved to the customer its identify linked it to; SES events filed under
 * the customer the message was tagged with). receivedAt is the event time, so the result is
 * as deterministic as the simulation.
 */
export function storedEventsOf(customer: SimulatedCustomer, source = 'simulate'): StoredEvent[] {
  const customerId = customer.truth.customerId;
  const out: StoredEvent[] = [];
  for (const e of customer.events) {
    const ctx = { receivedAt: e.at, source };
    if (e.kind === 'segment') {
      // Every anonymous id in a customer's stream is their own device, linked at sign-up.
      out.push({ ...normalizeSegment(e.message, ctx), customerId, userId: customerId });
    } else if (e.kind === 'order') {
      out.push(normalizeOrder(e.order, ctx));
    } else {
      for (const r of normalizeSesRecord(e.record as unknown as SesEventRecord, ctx)) out.push({ ...r.event, customerId });
    }
  }
  return out;
}

export interface StoredPopulation {
  readonly customers: CustomerTruth[];
  readonly eventsByCustomer: Map<string, StoredEvent[]>;
}

/** The whole population as per-customer stored event logs (the shape models/ reads). */
export function simulateStoredPopulation(options: SimulationOptions, source = 'simulate'): StoredPopulation {
  const customers: CustomerTruth[] = [];
  const eventsByCustomer = new Map<string, StoredEvent[]>();
  for (const c of simulateCustomers(options)) {
    customers.push(c.truth);
    eventsByCustomer.set(c.truth.customerId, storedEventsOf(c, source));
  }
  return { customers, eventsByCustomer };
}
