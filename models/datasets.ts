import type { OrderEvent } from '../kernel/events/order-event.js';
import { normalizeOrder } from '../kernel/events/normalize-order.js';
import type { StoredEvent } from '../kernel/events/stored-event.js';
import { CDNOW_CALIBRATION_END, cdnowOrderEvents, loadCdnow } from './data/cdnow.js';
import { loadOnlineRetail } from './data/online-retail.js';
import { groupByCustomer } from './labels.js';

/**
 * The real data sets as per-customer event logs, through the same normalisation the ingest path
 * uses (normalizeOrder), so experiments read exactly what the store would hold.
 */

/** Order events -> stored events grouped by customer. receivedAt = the order time (deterministic). */
export function ordersToEventsByCustomer(orders: readonly OrderEvent[], source = 'import'): Map<string, StoredEvent[]> {
  const events = orders.map((o) => normalizeOrder(o, { receivedAt: new Date(o.timestamp).toISOString(), source }));
  return groupByCustomer(events);
}

/** UCI Online Retail: reference churn cutoff 2011-09-10 with a 90-day horizon. */
export const ONLINE_RETAIL_EVAL_CUTOFF = new Date('2011-09-10T00:00:00Z');
export const ONLINE_RETAIL_HORIZON_DAYS = 90;

export async function onlineRetailEventsByCustomer(file?: string): Promise<Map<string, StoredEvent[]>> {
  const { orders } = await loadOnlineRetail(file);
  return ordersToEventsByCustomer(orders, 'online-retail');
}

/**
 * CDNOW: calibration ends 1997-09-30 (inclusive), so the cutoff is 1997-10-01T00:00Z; the label
 * window is weeks 40-78, 1997-10-01 .. 1998-06-30 inclusive = 273 days.
 */
export const CDNOW_EVAL_CUTOFF = new Date(Date.parse(`${CDNOW_CALIBRATION_END}T00:00:00Z`) + 86_400_000);
export const CDNOW_HORIZON_DAYS = 273;

export function cdnowEventsByCustomer(file?: string): Map<string, StoredEvent[]> {
  return ordersToEventsByCustomer(cdnowOrderEvents(loadCdnow(file)), 'cdnow');
}
