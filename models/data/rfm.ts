/**
 * Frequency / recency / monetary summaries in the conventions of the customer-base-analysis
 * literature (Fader, Hardie & Lee 2005), which BG/NBD and Gamma-Gamma are fitted on:
 * - purchases on the same calendar day (UTC) by the same customer are one transaction (values summed);
 * - x = number of distinct purchase days in calibration − 1 (repeat transactions);
 * - t_x = (last − first purchase day) in units; T = (calibration end − first purchase day) in units,
 *   where the calibration end is the last calendar day of calibration: for CDNOW, 1997-09-30,
 *   giving T = 38.86 weeks for a customer whose first purchase was on 1997-01-01. This is the
 *   figure in Hardie's published CDNOW summary and the one that reproduces the paper's
 *   estimates (LL −9582.4); measuring to the end of 09-30 (T = 39.0) does not. Purchases on
 *   the end day itself are inside calibration ("inclusive").
 * - monetary = mean value of the repeat transactions (the first day excluded), the quantity the
 *   Gamma-Gamma model conditions on; 0 when x = 0.
 */
import { DataFormatError } from './errors.js';

export interface Purchase {
  readonly customerId: string;
  /** ISO-8601 instant; only its UTC calendar day matters. */
  readonly timestamp: string;
  readonly value: number;
}

export type TimeUnit = 'days' | 'weeks';

export interface RfmOptions {
  /** Last day of calibration, `YYYY-MM-DD`, inclusive. */
  readonly calibrationEnd: string;
  readonly unit: TimeUnit;
  /** Last day of the holdout, `YYYY-MM-DD`, inclusive; when given, holdout counts are filled in. */
  readonly holdoutEnd?: string;
}

export interface RfmSummary {
  readonly customerId: string;
  /** Repeat transactions in calibration. */
  readonly x: number;
  /** Time of the last calibration transaction, from the first, in units. */
  readonly t_x: number;
  /** Length of observation from the first transaction to the calibration end, in units. */
  readonly T: number;
  /** Mean value of the repeat transactions (0 when x = 0). */
  readonly monetary: number;
  /** First purchase day, `YYYY-MM-DD`. */
  readonly firstPurchase: string;
  /** Transactions (distinct days) in the holdout, (calibrationEnd, holdoutEnd]; 0 without holdoutEnd. */
  readonly holdout: number;
  /** Value of those holdout transactions. */
  readonly holdoutValue: number;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 (UTC) of an ISO instant or `YYYY-MM-DD` date. */
export function dayNumber(isoDateOrInstant: string): number {
  const ms = Date.parse(isoDateOrInstant.length === 10 ? `${isoDateOrInstant}T00:00:00Z` : isoDateOrInstant);
  if (!Number.isFinite(ms)) throw new DataFormatError(`not an ISO date: ${isoDateOrInstant}`);
  return Math.floor(ms / DAY_MS);
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * One summary per customer with at least one purchase on or before the calibration end, in order
 * of the customer's first appearance in `purchases` (deterministic for a given input).
 */
export function rfmSummary(purchases: Iterable<Purchase>, options: RfmOptions): RfmSummary[] {
  const endDay = dayNumber(options.calibrationEnd);
  const holdoutEndDay = options.holdoutEnd === undefined ? undefined : dayNumber(options.holdoutEnd);
  if (holdoutEndDay !== undefined && holdoutEndDay <= endDay) {
    throw new DataFormatError(`holdoutEnd ${options.holdoutEnd} must be after calibrationEnd ${options.calibrationEnd}`);
  }
  const unitDays = options.unit === 'weeks' ? 7 : 1;

  // customer -> day -> summed value
  const byCustomer = new Map<string, Map<number, number>>();
  for (const p of purchases) {
    if (!Number.isFinite(p.value)) throw new DataFormatError(`non-finite value for customer ${p.customerId}`);
    const day = dayNumber(p.timestamp);
    let days = byCustomer.get(p.customerId);
    if (days === undefined) {
      days = new Map();
      byCustomer.set(p.customerId, days);
    }
    days.set(day, (days.get(day) ?? 0) + p.value);
  }

  const out: RfmSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    const calibration: Array<[number, number]> = [];
    let holdout = 0;
    let holdoutValue = 0;
    for (const [day, value] of days) {
      if (day <= endDay) calibration.push([day, value]);
      else if (holdoutEndDay !== undefined && day <= holdoutEndDay) {
        holdout++;
        holdoutValue += value;
      }
    }
    if (calibration.length === 0) continue; // first purchase after calibration: not yet a customer
    calibration.sort((p, q) => p[0] - q[0]);
    const first = calibration[0]!;
    const last = calibration[calibration.length - 1]!;
    const x = calibration.length - 1;
    let repeatValue = 0;
    for (let i = 1; i < calibration.length; i++) repeatValue += calibration[i]![1];
    out.push({
      customerId,
      x,
      t_x: (last[0] - first[0]) / unitDays,
      T: (endDay - first[0]) / unitDays,
      monetary: x > 0 ? repeatValue / x : 0,
      firstPurchase: isoDay(first[0]),
      holdout,
      holdoutValue,
    });
  }
  return out;
}
