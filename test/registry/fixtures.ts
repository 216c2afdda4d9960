import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { cdnowEventsByCustomer } from '../../models/datasets.js';

/**
 * A slice of the CDNOW sample as event logs (real purchase behaviour, small enough for fast
 * tests): the first `customers` customer ids in sorted order.
 */
export function cdnowSlice(customers: number): Map<string, StoredEvent[]> {
  const all = cdnowEventsByCustomer();
  const ids = [...all.keys()].sort().slice(0, customers);
  return new Map(ids.map((id) => [id, all.get(id) ?? []]));
}

export const FAST_TRAINING = { maxEpochs: 6, patience: 3, learningRate: 3e-3 } as const;
