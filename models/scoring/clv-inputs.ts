import type { StoredEvent } from '../../kernel/events/stored-event.js';
import type { ClvCustomer } from '../clv/clv.js';
import { rfmSummary, type Purchase } from '../data/rfm.js';

/**
 * BG/NBD / Gamma-Gamma inputs of customers at an as-of time, from their event logs, in the
 * literature's conventions (models/data/rfm.ts) and in weeks: placed orders strictly before
 * `asOf`, one transaction per UTC day, calibration ending on the last day before `asOf`.
 * The same function feeds the CLV fit (training) and CLV scoring, so they cannot disagree.
 */
export interface ClvInputs extends ClvCustomer {
  /** Distinct order days before asOf (x + 1). */
  readonly orderDays: number;
  /** Value of all those order days. */
  readonly totalValue: number;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of the last whole day before `asOf` (the calibration end). */
export function calibrationEndBefore(asOf: Date): string {
  return new Date(Math.floor((asOf.getTime() - 1) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function clvInputsAt(customers: Iterable<readonly [string, readonly StoredEvent[]]>, asOf: Date): Map<string, ClvInputs> {
  const cut = asOf.getTime();
  const purchases: Purchase[] = [];
  const seen = new Set<string>();
  for (const [customerId, events] of customers) {
    for (const e of events) {
      if (e.kind !== 'order' || e.order?.status !== 'placed') continue;
      const t = Date.parse(e.timestamp);
      if (!(t < cut) || !Number.isFinite(e.order.total) || seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      purchases.push({ customerId, timestamp: e.timestamp, value: Math.max(0, e.order.total) });
    }
  }
  const out = new Map<string, ClvInputs>();
  if (purchases.length === 0) return out;
  const totals = new Map<string, number>();
  for (const p of purchases) totals.set(p.customerId, (totals.get(p.customerId) ?? 0) + p.value);
  for (const s of rfmSummary(purchases, { calibrationEnd: calibrationEndBefore(asOf), unit: 'weeks' })) {
    out.set(s.customerId, {
      x: s.x,
      t_x: s.t_x,
      T: s.T,
      monetary: s.monetary,
      orderDays: s.x + 1,
      totalValue: totals.get(s.customerId) ?? 0,
    });
  }
  return out;
}
