import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { cdnowEventsByCustomer } from '../../models/datasets.js';
import type { ModelProvenance } from '../../models/model-io.js';

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

/** The provenance a model trained on the CDNOW slice records (90-day horizon, 1997 training window). */
export function cdnowProvenance(p: { trainCutoffs: readonly Date[]; evalCutoff: Date; seed: number; metrics?: Record<string, number> }): ModelProvenance {
  return {
    trainCutoffs: p.trainCutoffs.map((c) => c.toISOString()),
    evalCutoff: p.evalCutoff.toISOString(),
    horizonDays: 90,
    trainHorizonDays: 90,
    trainingWindow: { from: '1997-01-01T00:00:00.000Z', to: '1997-09-29T00:00:00.000Z' },
    metrics: p.metrics ?? {},
    backend: 'test',
    seed: p.seed,
  };
}
