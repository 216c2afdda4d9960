import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { mapLimited } from '../commons/concurrency.js';
import { queryCustomerEvents } from '../store/events.js';
import { CUSTOMER_SHARDS, customersShardPk } from '../store/keys.js';
import { queryGsi1Partition } from '../store/query.js';

/**
 * Reading the population for the jobs: customer ids from the registry items on gsi1
 * (`CUSTOMERS#00`..`15`), then each customer's events from the byTime index.
 */
export async function listShardCustomers(table: string, shard: number): Promise<string[]> {
  const items = await queryGsi1Partition(table, customersShardPk(shard));
  return items.map((i) => String(i['customerId'])).sort();
}

export async function listAllCustomers(table: string): Promise<string[]> {
  const shards = await Promise.all(Array.from({ length: CUSTOMER_SHARDS }, (_, s) => listShardCustomers(table, s)));
  return shards.flat().sort();
}

export interface LoadEventsOptions {
  /** Exclusive upper bound (the score time); default all events. */
  readonly to?: string;
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Events of each customer, in time order, a few queries in flight. */
export async function loadEventsByCustomer(
  table: string,
  customerIds: readonly string[],
  options: LoadEventsOptions = {},
): Promise<Map<string, StoredEvent[]>> {
  let done = 0;
  const events = await mapLimited(customerIds, options.concurrency ?? 16, async (id) => {
    const found = await queryCustomerEvents(table, id, options.to ? { to: options.to } : {});
    options.onProgress?.(++done, customerIds.length);
    return found;
  });
  // In id order, whatever order the queries finished in.
  return new Map(customerIds.map((id, i) => [id, events[i] ?? []]));
}
