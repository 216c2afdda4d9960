import type { StoredEvent } from '../kernel/events/stored-event.js';

/**
 * Per-customer aggregates as of a time: what the distributed feature build writes to its feature
 * shards (one row per customer), small enough that a whole population's rows fit where its
 * events would not. Counts and sums by 30-day bucket back from `asOf` (bucket 0 = the last 30
 * days), the order and email summaries, and the stratum the training sample is drawn by.
 * Separate from models/features.ts (the models' own feature rows, computed at training cutoffs).
 */
export const AGGREGATE_BUCKETS = 12;
const BUCKET_DAYS = 30;
const DAY_MS = 86_400_000;

export interface CustomerAggregates {
  readonly customerId: string;
  readonly events: number;
  /** Events per 30-day bucket, newest first. */
  readonly eventsByBucket: number[];
  readonly orders: number;
  readonly revenue: number;
  /** Revenue per 30-day bucket, newest first. */
  readonly revenueByBucket: number[];
  readonly emailsSent: number;
  readonly emailsOpened: number;
  readonly emailsClicked: number;
  readonly firstEventAt?: string;
  readonly lastEventAt?: string;
  readonly lastOrderAt?: string;
  readonly stratum: string;
}

export function customerAggregates(customerId: string, events: readonly StoredEvent[], asOf: Date): CustomerAggregates {
  const end = asOf.getTime();
  const eventsByBucket = new Array<number>(AGGREGATE_BUCKETS).fill(0);
  const revenueByBucket = new Array<number>(AGGREGATE_BUCKETS).fill(0);
  let count = 0;
  let orders = 0;
  let revenue = 0;
  let sent = 0;
  let opened = 0;
  let clicked = 0;
  let first: string | undefined;
  let last: string | undefined;
  let lastOrder: string | undefined;
  for (const e of events) {
    const t = Date.parse(e.timestamp);
    if (!Number.isFinite(t) || t >= end) continue;
    count++;
    if (first === undefined || e.timestamp < first) first = e.timestamp;
    if (last === undefined || e.timestamp > last) last = e.timestamp;
    const bucket = Math.floor((end - t) / (BUCKET_DAYS * DAY_MS));
    if (bucket < AGGREGATE_BUCKETS) eventsByBucket[bucket]!++;
    if (e.kind === 'order' && e.order?.status === 'placed') {
      orders++;
      revenue += e.order.total;
      if (bucket < AGGREGATE_BUCKETS) revenueByBucket[bucket]! += e.order.total;
      if (lastOrder === undefined || e.timestamp > lastOrder) lastOrder = e.timestamp;
    }
    if (e.kind === 'email') {
      if (e.email?.type === 'send') sent++;
      else if (e.email?.type === 'open') opened++;
      else if (e.email?.type === 'click') clicked++;
    }
  }
  return {
    customerId,
    events: count,
    eventsByBucket,
    orders,
    revenue: Math.round(revenue * 100) / 100,
    revenueByBucket: revenueByBucket.map((r) => Math.round(r * 100) / 100),
    emailsSent: sent,
    emailsOpened: opened,
    emailsClicked: clicked,
    ...(first ? { firstEventAt: first } : {}),
    ...(last ? { lastEventAt: last } : {}),
    ...(lastOrder ? { lastOrderAt: lastOrder } : {}),
    stratum: stratumOf(orders, last ? (end - Date.parse(last)) / DAY_MS : undefined),
  };
}

/**
 * Strata of the training sample: order frequency (0, 1, 2-4, 5+) by recency of the last event
 * (within 30, 90, 365 days, older or never). Churn and propensity labels depend mostly on these
 * two, so a proportional sample over them keeps the label mix of the population.
 */
export function stratumOf(orders: number, daysSinceLast: number | undefined): string {
  const f = orders === 0 ? 'f0' : orders === 1 ? 'f1' : orders <= 4 ? 'f2' : 'f5';
  const r = daysSinceLast === undefined ? 'rn' : daysSinceLast <= 30 ? 'r30' : daysSinceLast <= 90 ? 'r90' : daysSinceLast <= 365 ? 'r365' : 'rold';
  return `${f}.${r}`;
}
