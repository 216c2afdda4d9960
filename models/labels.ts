import type { StoredEvent } from '../kernel/events/stored-event.js';
import { WinbackError } from '../kernel/errors.js';
import { computeFeatures, type FeatureVector } from './features.js';

/**
 * Point-in-time labels and training sets.
 *
 * - churn at cutoff C, horizon H: the customer places no order in [C, C + H days).
 * - purchase propensity at C: the customer places an order in [C, C + 30 days).
 *
 * Only "placed" orders count as purchases; a cancellation is not a sign of life we want to
 * predict. A training set is made of rows from several rolling cutoffs; each row's features see
 * only events before its cutoff, and each label window must end at or before the evaluation
 * cutoff, so nothing the holdout is scored on was seen during training (a time split).
 */

export type Target = 'churn' | 'propensity';

export const DEFAULT_CHURN_HORIZON_DAYS = 90;
export const DEFAULT_PROPENSITY_HORIZON_DAYS = 30;

const DAY_MS = 86_400_000;

export type EventsByCustomer = ReadonlyMap<string, readonly StoredEvent[]>;

/** A label window of a training cutoff reaches past the evaluation cutoff. */
export class LabelLeakageError extends WinbackError {
  constructor(
    readonly cutoff: string,
    readonly labelWindowEnd: string,
    readonly evalCutoff: string,
  ) {
    super(`training cutoff ${cutoff} has a label window ending ${labelWindowEnd}, after the evaluation cutoff ${evalCutoff}`);
  }
}

export interface LabelledRow {
  readonly customerId: string;
  /** ISO-8601 cutoff the features were computed at. */
  readonly cutoff: string;
  readonly features: FeatureVector;
  /** 1 = the positive class of the target (churned / purchased). */
  readonly label: 0 | 1;
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

function isPlacedOrder(e: StoredEvent): boolean {
  return e.kind === 'order' && (e.order?.status ?? e.name) === 'placed';
}

/** True if the customer placed an order in [from, from + days). */
export function hasPlacedOrderIn(events: readonly StoredEvent[], from: Date, days: number): boolean {
  const lo = from.getTime();
  const hi = lo + days * DAY_MS;
  return events.some((e) => {
    if (!isPlacedOrder(e)) return false;
    const t = Date.parse(e.timestamp);
    return t >= lo && t < hi;
  });
}

/** Customers are only scored for churn once they have ordered: "churn" needs a purchase to lose. */
export function hasOrderBefore(events: readonly StoredEvent[], cutoff: Date): boolean {
  const c = cutoff.getTime();
  return events.some((e) => isPlacedOrder(e) && Date.parse(e.timestamp) < c);
}

export function churnLabel(events: readonly StoredEvent[], cutoff: Date, horizonDays = DEFAULT_CHURN_HORIZON_DAYS): 0 | 1 {
  return hasPlacedOrderIn(events, cutoff, horizonDays) ? 0 : 1;
}

export function propensityLabel(
  events: readonly StoredEvent[],
  cutoff: Date,
  horizonDays = DEFAULT_PROPENSITY_HORIZON_DAYS,
): 0 | 1 {
  return hasPlacedOrderIn(events, cutoff, horizonDays) ? 1 : 0;
}

export function label(target: Target, events: readonly StoredEvent[], cutoff: Date, horizonDays: number): 0 | 1 {
  return target === 'churn' ? churnLabel(events, cutoff, horizonDays) : propensityLabel(events, cutoff, horizonDays);
}

export interface BuildOptions {
  readonly target?: Target;
  /** If given, every cutoff's label window must end at or before it (else LabelLeakageError). */
  readonly evalCutoff?: Date;
}

/**
 * Rows for every (customer with an order before the cutoff) x cutoff, sorted by cutoff then
 * customer id so that the set (and its hash) does not depend on map insertion order.
 */
export function buildTrainingSet(
  eventsByCustomer: EventsByCustomer,
  cutoffs: readonly Date[],
  horizonDays: number,
  options: BuildOptions = {},
): LabelledRow[] {
  const target = options.target ?? 'churn';
  const sortedCutoffs = [...cutoffs].sort((a, b) => a.getTime() - b.getTime());
  if (options.evalCutoff) {
    for (const c of sortedCutoffs) {
      const end = addDays(c, horizonDays);
      if (end.getTime() > options.evalCutoff.getTime()) {
        throw new LabelLeakageError(c.toISOString(), end.toISOString(), options.evalCutoff.toISOString());
      }
    }
  }
  const customers = [...eventsByCustomer.keys()].sort();
  const rows: LabelledRow[] = [];
  for (const cutoff of sortedCutoffs) {
    for (const customerId of customers) {
      const events = eventsByCustomer.get(customerId) ?? [];
      if (!hasOrderBefore(events, cutoff)) continue;
      rows.push({
        customerId,
        cutoff: cutoff.toISOString(),
        features: computeFeatures(events, cutoff),
        label: label(target, events, cutoff, horizonDays),
      });
    }
  }
  return rows;
}

/**
 * Rolling training cutoffs for an evaluation cutoff: the latest is evalCutoff - horizon (its
 * label window ends exactly at the evaluation cutoff), then every `stepDays` earlier, keeping
 * only cutoffs at least `minHistoryDays` after `dataStart` so every row has some history.
 */
export function rollingCutoffs(options: {
  evalCutoff: Date;
  horizonDays: number;
  dataStart: Date;
  count: number;
  stepDays: number;
  minHistoryDays: number;
}): Date[] {
  const out: Date[] = [];
  const earliest = options.dataStart.getTime() + options.minHistoryDays * DAY_MS;
  for (let k = 0; k < options.count; k++) {
    const c = addDays(options.evalCutoff, -options.horizonDays - k * options.stepDays);
    if (c.getTime() < earliest) break;
    out.push(c);
  }
  return out.reverse();
}

/** Group a flat event list by customer (events keep their order). */
export function groupByCustomer(events: Iterable<StoredEvent>): Map<string, StoredEvent[]> {
  const m = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = m.get(e.customerId);
    if (list) list.push(e);
    else m.set(e.customerId, [e]);
  }
  return m;
}
