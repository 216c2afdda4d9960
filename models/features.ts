import type { StoredEvent } from '../kernel/events/stored-event.js';
import { isSatisfactionEvent } from '../kernel/events/satisfaction-event.js';
import { SATISFACTION_SPECS, satisfactionFeatures, type SatisfactionFeatureName } from './satisfaction-features.js';

/**
 * Point-in-time customer features: ONE pure function from a customer's event log and a cutoff
 * to a feature vector, used by training (at many historical cutoffs) and by scoring (at "now",
 * which the caller passes in). Only events with timestamp < cutoff count; the clock is never
 * read, so a training row built at cutoff C is exactly what the scorer would have seen at C.
 *
 * Values are kept in human units (days, counts, money) so that scoring can quote them in
 * reasons ("last ordered 120 days ago"); the per-feature `transform` (log1p for skewed counts,
 * days and money) is applied by `toModelInput`, the only path into a model.
 *
 * Bump FEATURE_VERSION whenever a definition changes: saved models record it, and a model is
 * only ever scored with the feature version it was trained on.
 */
export const FEATURE_VERSION = '1.1.0';

const DAY_MS = 86_400_000;
/** Segment's convention: a new session starts after 30 minutes without web activity. */
export const SESSION_GAP_MS = 30 * 60_000;

export const ACTIVITY_WINDOWS = [7, 30, 90] as const;
type ActivityWindow = (typeof ACTIVITY_WINDOWS)[number];

const WEB_COUNTERS = ['sessions', 'page_views', 'product_views', 'cart_adds'] as const;
const EMAIL_COUNTERS = [
  'emails_sent',
  'emails_opened',
  'emails_clicked',
  'emails_bounced',
  'email_complaints',
  'email_unsubscribes',
] as const;
type ActivityCounter = (typeof WEB_COUNTERS)[number] | (typeof EMAIL_COUNTERS)[number];

const ORDER_FEATURES = [
  'recency_days',
  'frequency',
  'orders',
  'monetary',
  'avg_order_value',
  'tenure_days',
  'first_order_age_days',
  'has_repeat_purchase',
  'ipt_mean_days',
  'ipt_std_days',
  'ipt_last_days',
  'days_overdue',
  'overdue_ratio',
  'orders_30d',
  'orders_90d',
  'orders_180d',
  'spend_90d',
  'orders_trend_90d',
  'distinct_products',
  'distinct_categories',
  'items_per_order',
  'avg_item_price',
  'active_months',
  'last_order_value',
  'cancellations',
  'refunds',
  'cancel_refund_rate',
  'discount_order_share',
  'discount_value_share',
] as const;

const OTHER_FEATURES = [
  'days_since_web_activity',
  'days_since_email_open',
  'email_open_rate_90d',
  'email_click_rate_90d',
  'unsubscribed_all',
  'hard_bounced',
] as const;

export type FeatureName =
  | (typeof ORDER_FEATURES)[number]
  | `${ActivityCounter}_${ActivityWindow}d`
  | `${ActivityCounter}_trend_30d`
  | (typeof OTHER_FEATURES)[number]
  | SatisfactionFeatureName;

/** How a raw value is turned into a model input (before standardisation). */
export type FeatureTransform = 'none' | 'log1p' | 'signedLog1p';

export interface FeatureSpec {
  readonly name: FeatureName;
  /** Plain words, used as a scoring "reason" ("Days since the last order"). */
  readonly description: string;
  readonly group: 'orders' | 'web' | 'email' | 'satisfaction';
  readonly transform: FeatureTransform;
}

/** Raw feature values in human units, keyed by feature name. Always finite. */
export type FeatureVector = Readonly<Record<FeatureName, number>>;

const COUNTER_WORDS: Record<ActivityCounter, { words: string; group: 'web' | 'email' }> = {
  sessions: { words: 'Website visits', group: 'web' },
  page_views: { words: 'Pages viewed', group: 'web' },
  product_views: { words: 'Products viewed', group: 'web' },
  cart_adds: { words: 'Products added to the cart', group: 'web' },
  emails_sent: { words: 'Emails sent to the customer', group: 'email' },
  emails_opened: { words: 'Emails opened', group: 'email' },
  emails_clicked: { words: 'Emails clicked', group: 'email' },
  emails_bounced: { words: 'Emails that bounced', group: 'email' },
  email_complaints: { words: 'Spam complaints', group: 'email' },
  email_unsubscribes: { words: 'Unsubscribes', group: 'email' },
};

/**
 * The features other than the activity windows. FEATURES puts the order ones first, then the
 * activity windows, then the rest, each in the order written here (the model input order).
 */
const STATIC_SPECS: readonly FeatureSpec[] = [
  { name: 'recency_days', description: 'Days since the last order', group: 'orders', transform: 'log1p' },
  { name: 'frequency', description: 'Number of different days the customer ordered on', group: 'orders', transform: 'log1p' },
  { name: 'orders', description: 'Number of orders placed', group: 'orders', transform: 'log1p' },
  { name: 'monetary', description: 'Total spent, after cancellations and refunds', group: 'orders', transform: 'log1p' },
  { name: 'avg_order_value', description: 'Average order value', group: 'orders', transform: 'log1p' },
  { name: 'tenure_days', description: 'Days since we first saw the customer', group: 'orders', transform: 'log1p' },
  { name: 'first_order_age_days', description: 'Days since the first order', group: 'orders', transform: 'log1p' },
  { name: 'has_repeat_purchase', description: 'Has ordered on more than one day', group: 'orders', transform: 'none' },
  { name: 'ipt_mean_days', description: 'Usual number of days between orders', group: 'orders', transform: 'log1p' },
  { name: 'ipt_std_days', description: 'How irregular the gaps between orders are (days)', group: 'orders', transform: 'log1p' },
  { name: 'ipt_last_days', description: 'Days between the last two orders', group: 'orders', transform: 'log1p' },
  { name: 'days_overdue', description: 'Days past the customer\'s usual reorder time', group: 'orders', transform: 'signedLog1p' },
  { name: 'overdue_ratio', description: 'Time since the last order compared with the usual gap between orders', group: 'orders', transform: 'log1p' },
  { name: 'orders_30d', description: 'Orders in the last 30 days', group: 'orders', transform: 'log1p' },
  { name: 'orders_90d', description: 'Orders in the last 90 days', group: 'orders', transform: 'log1p' },
  { name: 'orders_180d', description: 'Orders in the last 180 days', group: 'orders', transform: 'log1p' },
  { name: 'spend_90d', description: 'Amount spent in the last 90 days', group: 'orders', transform: 'log1p' },
  { name: 'orders_trend_90d', description: 'Orders in the last 90 days minus the 90 days before', group: 'orders', transform: 'signedLog1p' },
  { name: 'distinct_products', description: 'Number of different products bought', group: 'orders', transform: 'log1p' },
  { name: 'distinct_categories', description: 'Number of different product categories bought', group: 'orders', transform: 'log1p' },
  { name: 'items_per_order', description: 'Average number of items per order', group: 'orders', transform: 'log1p' },
  { name: 'avg_item_price', description: 'Average price per item bought', group: 'orders', transform: 'log1p' },
  { name: 'active_months', description: 'Number of different months with an order', group: 'orders', transform: 'log1p' },
  { name: 'last_order_value', description: 'Value of the last order', group: 'orders', transform: 'log1p' },
  { name: 'cancellations', description: 'Orders cancelled', group: 'orders', transform: 'log1p' },
  { name: 'refunds', description: 'Orders refunded', group: 'orders', transform: 'log1p' },
  { name: 'cancel_refund_rate', description: 'Share of orders cancelled or refunded', group: 'orders', transform: 'none' },
  { name: 'discount_order_share', description: 'Share of orders with a discount or coupon', group: 'orders', transform: 'none' },
  { name: 'discount_value_share', description: 'Discounts as a share of the amount before discounts', group: 'orders', transform: 'none' },
  { name: 'days_since_web_activity', description: 'Days since the last website visit', group: 'web', transform: 'log1p' },
  { name: 'days_since_email_open', description: 'Days since the customer last opened an email', group: 'email', transform: 'log1p' },
  { name: 'email_open_rate_90d', description: 'Share of emails opened in the last 90 days', group: 'email', transform: 'none' },
  { name: 'email_click_rate_90d', description: 'Share of emails clicked in the last 90 days', group: 'email', transform: 'none' },
  { name: 'unsubscribed_all', description: 'Has unsubscribed from all emails', group: 'email', transform: 'none' },
  { name: 'hard_bounced', description: 'Email address has hard-bounced', group: 'email', transform: 'none' },
];

function activitySpecs(): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  for (const counter of [...WEB_COUNTERS, ...EMAIL_COUNTERS]) {
    const { words, group } = COUNTER_WORDS[counter];
    for (const w of ACTIVITY_WINDOWS) {
      specs.push({ name: `${counter}_${w}d`, description: `${words} in the last ${w} days`, group, transform: 'log1p' });
    }
    specs.push({
      name: `${counter}_trend_30d`,
      description: `${words}: last 30 days minus the 30 days before`,
      group,
      transform: 'signedLog1p',
    });
  }
  return specs;
}

/** The documented, ordered feature list. Model inputs follow this order. */
export const FEATURES: readonly FeatureSpec[] = [
  ...STATIC_SPECS.filter((f) => f.group === 'orders'),
  ...activitySpecs(),
  ...STATIC_SPECS.filter((f) => f.group !== 'orders'),
  ...SATISFACTION_SPECS,
];
export const FEATURE_NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);

/* ------------------------------------------------------------------------------------------ */

interface OrderFacts {
  placedAt: number;
  total: number;
  discount: number;
  coupon: boolean;
  quantity: number;
}

/** Count of timestamps t with cutoff - fromDays*DAY <= t < cutoff - toDays*DAY. */
function countIn(times: readonly number[], cutoff: number, fromDays: number, toDays = 0): number {
  const lo = cutoff - fromDays * DAY_MS;
  const hi = cutoff - toDays * DAY_MS;
  let n = 0;
  for (const t of times) if (t >= lo && t < hi) n++;
  return n;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Never let a NaN/Infinity (from a malformed amount) reach a model. */
function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** Start times of sessions: web events sorted by time, a new session after a 30-minute gap. */
function sessionStarts(sortedWebTimes: readonly number[]): number[] {
  const starts: number[] = [];
  let last = -Infinity;
  for (const t of sortedWebTimes) {
    if (t - last > SESSION_GAP_MS) starts.push(t);
    last = t;
  }
  return starts;
}

/**
 * Features of one customer at `cutoff`. `events` may be in any order and may hold events of any
 * time; only those strictly before the cutoff are read. Duplicate eventIds (a redelivery that
 * reached the caller twice) count once.
 */
export function computeFeatures(events: readonly StoredEvent[], cutoff: Date): FeatureVector {
  const cut = cutoff.getTime();
  const seen = new Set<string>();
  const past: Array<{ e: StoredEvent; t: number }> = [];
  for (const e of events) {
    const t = Date.parse(e.timestamp);
    if (!Number.isFinite(t) || t >= cut || seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    past.push({ e, t });
  }

  const days = (t: number) => (cut - t) / DAY_MS;
  const firstSeen = past.reduce((m, p) => Math.min(m, p.t), Infinity);
  const tenure = Number.isFinite(firstSeen) ? days(firstSeen) : 0;

  // ---- orders ------------------------------------------------------------------------------
  // An order is keyed by orderId: a placed order later cancelled still counts as an order
  // placed (it happened), and the cancellation is counted and netted out of monetary value.
  const placed = new Map<string, OrderFacts>();
  const cancelled = new Map<string, number>();
  const refunded = new Map<string, number>();
  const products = new Set<string>();
  const categories = new Set<string>();
  const web: number[] = [];
  const pageViews: number[] = [];
  const productViews: number[] = [];
  const cartAdds: number[] = [];
  const email: Record<'send' | 'open' | 'click', Map<string, number>> = {
    send: new Map(),
    open: new Map(),
    click: new Map(),
  };
  const bounces: number[] = [];
  const complaints: number[] = [];
  const unsubscribes: number[] = [];
  let unsubscribedAll = 0;
  let hardBounced = 0;
  let lastOpen = -Infinity;

  for (const { e, t } of past) {
    switch (e.kind) {
      case 'order': {
        const o = e.order;
        if (!o) break;
        const amount = finite(Math.abs(o.total));
        if (o.status === 'placed') {
          const prev = placed.get(o.orderId);
          // Keep the earliest "placed" if a shop re-sent it with another timestamp.
          if (!prev || t < prev.placedAt) {
            placed.set(o.orderId, {
              placedAt: t,
              total: finite(o.total),
              discount: finite(o.discount ?? 0),
              coupon: Boolean(o.couponCode),
              quantity: (o.items ?? []).reduce((a, i) => a + i.quantity, 0),
            });
          }
          for (const item of o.items ?? []) {
            products.add(item.sku);
            if (item.category) categories.add(item.category);
          }
        } else if (o.status === 'cancelled') {
          cancelled.set(o.orderId, amount);
        } else {
          refunded.set(o.orderId, Math.max(refunded.get(o.orderId) ?? 0, amount));
        }
        break;
      }
      case 'track':
        // A survey answer or a help-desk ticket is not a visit (a survey tool or desk sends it).
        if (isSatisfactionEvent(e.name)) break;
        web.push(t);
        if (e.name === 'Product Viewed') productViews.push(t);
        else if (e.name === 'Product Added') cartAdds.push(t);
        break;
      case 'page':
        web.push(t);
        pageViews.push(t);
        break;
      case 'email': {
        const type = e.email?.type ?? e.name;
        const messageId = e.email?.messageId ?? e.eventId;
        if (type === 'open') lastOpen = Math.max(lastOpen, t);
        if (type === 'send' || type === 'open' || type === 'click') {
          // Opens and clicks are counted per message: SES reports every re-open.
          const m = email[type];
          m.set(messageId, Math.min(m.get(messageId) ?? Infinity, t));
        } else if (type === 'bounce') {
          bounces.push(t);
          if (e.email?.bounceType === 'Permanent') hardBounced = 1;
        } else if (type === 'complaint') {
          complaints.push(t);
        } else if (type === 'subscription') {
          const all = e.email?.unsubscribedAll === true;
          if (all || (e.email?.unsubscribedTopics?.length ?? 0) > 0) unsubscribes.push(t);
          if (all) unsubscribedAll = 1;
        }
        break;
      }
      default:
        break; // identify carries traits, not behaviour
    }
  }

  const orders = [...placed.values()].sort((a, b) => a.placedAt - b.placedAt);
  const orderTimes = orders.map((o) => o.placedAt);
  const orderDays = [...new Set(orderTimes.map((t) => Math.floor(t / DAY_MS)))].sort((a, b) => a - b);
  const gaps = orderDays.slice(1).map((d, i) => d - (orderDays[i] as number));
  const lastOrder = orderTimes.at(-1);
  const firstOrder = orderTimes[0];
  const recency = lastOrder === undefined ? tenure : days(lastOrder);
  const gross = orders.reduce((a, o) => a + o.total, 0);
  const cancelledValue = [...cancelled.values()].reduce((a, b) => a + b, 0);
  const refundedValue = [...refunded.values()].reduce((a, b) => a + b, 0);
  const monetary = Math.max(0, gross - cancelledValue - refundedValue);
  const n = orders.length;
  const iptMean = mean(gaps);
  const discountTotal = orders.reduce((a, o) => a + o.discount, 0);
  const totalQuantity = orders.reduce((a, o) => a + o.quantity, 0);

  const out: Record<string, number> = {
    recency_days: recency,
    frequency: orderDays.length,
    orders: n,
    monetary,
    avg_order_value: n > 0 ? Math.max(0, gross) / n : 0,
    tenure_days: tenure,
    first_order_age_days: firstOrder === undefined ? 0 : days(firstOrder),
    has_repeat_purchase: gaps.length > 0 ? 1 : 0,
    ipt_mean_days: iptMean,
    ipt_std_days: std(gaps),
    ipt_last_days: gaps.at(-1) ?? 0,
    // Only defined against a cadence; one-time buyers have no "usual" gap, so 0 (the
    // has_repeat_purchase flag tells the model which case it is in).
    days_overdue: gaps.length > 0 ? recency - iptMean : 0,
    overdue_ratio: gaps.length > 0 && iptMean > 0 ? recency / iptMean : 0,
    orders_30d: countIn(orderTimes, cut, 30),
    orders_90d: countIn(orderTimes, cut, 90),
    orders_180d: countIn(orderTimes, cut, 180),
    spend_90d: Math.max(0, orders.filter((o) => o.placedAt >= cut - 90 * DAY_MS).reduce((a, o) => a + o.total, 0)),
    orders_trend_90d: countIn(orderTimes, cut, 90) - countIn(orderTimes, cut, 180, 90),
    distinct_products: products.size,
    distinct_categories: categories.size,
    items_per_order: n > 0 ? totalQuantity / n : 0,
    // Wholesale buyers (many cheap items) behave differently from gift shoppers.
    avg_item_price: totalQuantity > 0 ? Math.max(0, gross) / totalQuantity : 0,
    active_months: new Set(orderTimes.map((t) => new Date(t).toISOString().slice(0, 7))).size,
    last_order_value: Math.max(0, orders.at(-1)?.total ?? 0),
    cancellations: cancelled.size,
    refunds: refunded.size,
    cancel_refund_rate: n > 0 ? Math.min(1, (cancelled.size + refunded.size) / n) : 0,
    discount_order_share: n > 0 ? orders.filter((o) => o.discount > 0 || o.coupon).length / n : 0,
    discount_value_share: gross + discountTotal > 0 ? Math.min(1, discountTotal / (gross + discountTotal)) : 0,
  };

  const counters: Record<ActivityCounter, readonly number[]> = {
    sessions: sessionStarts([...web].sort((a, b) => a - b)),
    page_views: pageViews,
    product_views: productViews,
    cart_adds: cartAdds,
    emails_sent: [...email.send.values()],
    emails_opened: [...email.open.values()],
    emails_clicked: [...email.click.values()],
    emails_bounced: bounces,
    email_complaints: complaints,
    email_unsubscribes: unsubscribes,
  };
  for (const [counter, times] of Object.entries(counters)) {
    for (const w of ACTIVITY_WINDOWS) out[`${counter}_${w}d`] = countIn(times, cut, w);
    out[`${counter}_trend_30d`] = countIn(times, cut, 30) - countIn(times, cut, 60, 30);
  }

  const lastWeb = web.reduce((m, t) => Math.max(m, t), -Infinity);
  const sent90 = out['emails_sent_90d'] ?? 0;
  // "Never" is reported as "at least as long as we have known them", which keeps it finite
  // and monotone in the right direction.
  out['days_since_web_activity'] = Number.isFinite(lastWeb) ? days(lastWeb) : tenure;
  out['days_since_email_open'] = Number.isFinite(lastOpen) ? days(lastOpen) : tenure;
  out['email_open_rate_90d'] = sent90 > 0 ? Math.min(1, (out['emails_opened_90d'] ?? 0) / sent90) : 0;
  out['email_click_rate_90d'] = sent90 > 0 ? Math.min(1, (out['emails_clicked_90d'] ?? 0) / sent90) : 0;
  out['unsubscribed_all'] = unsubscribedAll;
  out['hard_bounced'] = hardBounced;
  Object.assign(out, satisfactionFeatures(past, cut));

  const vector = {} as Record<FeatureName, number>;
  for (const name of FEATURE_NAMES) vector[name] = finite(out[name] ?? 0);
  return vector;
}

function applyTransform(x: number, transform: FeatureTransform): number {
  switch (transform) {
    case 'log1p':
      return Math.log1p(Math.max(0, x));
    case 'signedLog1p':
      return Math.sign(x) * Math.log1p(Math.abs(x));
    case 'none':
      return x;
  }
}

/** The model input for one feature vector: FEATURES order, each value transformed. */
export function toModelInput(features: FeatureVector): number[] {
  return FEATURES.map((f) => applyTransform(features[f.name], f.transform));
}
