import { FEATURES, type FeatureName, type FeatureVector } from '../features.js';
import type { Contribution } from './attribution.js';

/**
 * Top reasons in a marketer's words. The reasons explain the churn score in its own direction:
 * for a customer at or above 50 % churn, the features pushing the score up ("no order for 142
 * days (usual gap 30)"); below, those holding it down ("ordered 6 days ago"). Phrases for the
 * features marketers ask about are written out; any other feature falls back to its FEATURES
 * description, the customer's value and the typical (training-average) value.
 */
export const ReasonEffect = ['raises-churn', 'lowers-churn'] as const;
export type ReasonEffect = (typeof ReasonEffect)[number];

export interface Reason {
  readonly feature: FeatureName;
  readonly effect: ReasonEffect;
  readonly text: string;
  /** The customer's value, in the feature's units. */
  readonly value: number;
  /** Change in the churn logit attributable to this feature. */
  readonly contribution: number;
}

const DESCRIPTIONS = new Map<string, string>(FEATURES.map((f) => [f.name, f.description]));

const round = (v: number): number => Math.round(v);
const days = (v: number): string => {
  const d = round(v);
  return `${d} day${d === 1 ? '' : 's'}`;
};
const count = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const money = (v: number): string => v.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (v: number): string => `${Math.round(v * 100)}%`;
const typicalCount = (v: number): string => (v >= 10 ? String(round(v)) : v.toFixed(1));

const neverSeen = (v: number, f: FeatureVector): boolean => Math.abs(v - f.tenure_days) < 1e-9;

function usualGap(f: FeatureVector): string {
  return f.has_repeat_purchase > 0 ? `usual gap ${round(f.ipt_mean_days)}` : 'only one order day so far';
}

function activity(name: string): { words: string; window: string } | undefined {
  const m = /^(.*)_(\d+)d$/.exec(name);
  if (!m || m[1]?.endsWith('_trend')) return undefined;
  const desc = DESCRIPTIONS.get(name) ?? name;
  const words = desc.replace(/ in the last \d+ days$/, '');
  return { words: words.charAt(0).toLowerCase() + words.slice(1), window: `${m[2]} days` };
}

/** One feature of one customer in words; `typical` is the model's training-average value. */
export function phraseReason(feature: FeatureName, f: FeatureVector, typical: number, effect: ReasonEffect): string {
  const v = f[feature];
  switch (feature) {
    case 'recency_days':
      return effect === 'raises-churn' ? `no order for ${days(v)} (${usualGap(f)})` : `ordered ${days(v)} ago (${usualGap(f)})`;
    case 'days_overdue':
      return v > 0
        ? `${days(v)} past the usual reorder time (usual gap ${round(f.ipt_mean_days)})`
        : `not due to reorder yet (usual gap ${round(f.ipt_mean_days)}, last order ${days(f.recency_days)} ago)`;
    case 'overdue_ratio':
      return `time since the last order is ${v.toFixed(1)}x the usual gap of ${days(f.ipt_mean_days)}`;
    case 'frequency':
      return v <= 1 ? 'has ordered on only one day' : `has ordered on ${count(v)} different days (typical ${typicalCount(typical)})`;
    case 'orders':
      return `${count(v)} order${v === 1 ? '' : 's'} placed (typical ${typicalCount(typical)})`;
    case 'has_repeat_purchase':
      return v > 0 ? 'has come back to buy again' : 'has bought only once';
    case 'monetary':
      return `spent ${money(v)} in total (typical ${money(typical)})`;
    case 'avg_order_value':
      return `average order ${money(v)} (typical ${money(typical)})`;
    case 'last_order_value':
      return `last order worth ${money(v)} (typical ${money(typical)})`;
    case 'spend_90d':
      return `spent ${money(v)} in the last 90 days (typical ${money(typical)})`;
    case 'tenure_days':
      return `known for ${days(v)}`;
    case 'first_order_age_days':
      return `first order ${days(v)} ago`;
    case 'ipt_mean_days':
      return `usually orders every ${days(v)}`;
    case 'ipt_last_days':
      return `${days(v)} between the last two orders (usual gap ${round(f.ipt_mean_days)})`;
    case 'ipt_std_days':
      return `irregular ordering: gaps vary by about ${days(v)}`;
    case 'orders_30d':
    case 'orders_90d':
    case 'orders_180d':
      return `${count(v)} order${v === 1 ? '' : 's'} in the last ${feature.slice(7, -1)} days (typical ${typicalCount(typical)})`;
    case 'orders_trend_90d':
      return v === 0
        ? 'ordering as often as in the 90 days before'
        : `${count(Math.abs(v))} ${v > 0 ? 'more' : 'fewer'} order${Math.abs(v) === 1 ? '' : 's'} in the last 90 days than in the 90 days before`;
    case 'cancellations':
      return `${count(v)} order${v === 1 ? '' : 's'} cancelled`;
    case 'refunds':
      return `${count(v)} order${v === 1 ? '' : 's'} refunded`;
    case 'cancel_refund_rate':
      return `${pct(v)} of orders cancelled or refunded`;
    case 'discount_order_share':
      return `${pct(v)} of orders used a discount or coupon`;
    case 'discount_value_share':
      return `discounts were ${pct(v)} of the amount before discounts`;
    case 'distinct_products':
      return `bought ${count(v)} different products (typical ${typicalCount(typical)})`;
    case 'distinct_categories':
      return `bought from ${count(v)} product categories (typical ${typicalCount(typical)})`;
    case 'items_per_order':
      return `${v.toFixed(1)} items per order (typical ${typical.toFixed(1)})`;
    case 'avg_item_price':
      return `average item price ${money(v)} (typical ${money(typical)})`;
    case 'active_months':
      return `ordered in ${count(v)} different months (typical ${typicalCount(typical)})`;
    // Both fall back to the tenure when there never was a visit / an open (features.ts).
    case 'days_since_web_activity':
      return neverSeen(v, f) ? `no website visit since we first saw them ${days(v)} ago` : `no website visit for ${days(v)}`;
    case 'days_since_email_open':
      return neverSeen(v, f) ? `has never opened an email (known for ${days(v)})` : `no email opened for ${days(v)}`;
    case 'email_open_rate_90d':
      return `opened ${pct(v)} of emails in the last 90 days`;
    case 'email_click_rate_90d':
      return `clicked ${pct(v)} of emails in the last 90 days`;
    case 'unsubscribed_all':
      return v > 0 ? 'has unsubscribed from all emails' : 'still subscribed to emails';
    case 'hard_bounced':
      return v > 0 ? 'email address has hard-bounced' : 'email address reachable';
    default: {
      const a = activity(feature);
      if (a) return `${a.words} in the last ${a.window}: ${count(v)} (typical ${typicalCount(typical)})`;
      const desc = DESCRIPTIONS.get(feature) ?? feature;
      if (feature.endsWith('_trend_30d')) {
        const words = desc.replace(/: last 30 days minus the 30 days before$/, '').toLowerCase();
        return v === 0 ? `${words}: steady over the last 60 days` : `${words}: ${count(Math.abs(v))} ${v > 0 ? 'more' : 'fewer'} in the last 30 days than the 30 before`;
      }
      return `${desc}: ${count(v)} (typical ${typicalCount(typical)})`;
    }
  }
}

/**
 * The `k` strongest reasons in the direction of the score: raising churn when the churn
 * probability is at least 0.5, lowering it otherwise. Contributions of 0 are never reasons.
 */
export function topReasons(
  contributions: readonly Contribution[],
  features: FeatureVector,
  typical: (feature: FeatureName) => number,
  churnProbability: number,
  k = 3,
): Reason[] {
  const effect: ReasonEffect = churnProbability >= 0.5 ? 'raises-churn' : 'lowers-churn';
  const sign = effect === 'raises-churn' ? 1 : -1;
  return contributions
    .filter((c) => sign * c.contribution > 0)
    .sort((a, b) => sign * b.contribution - sign * a.contribution || (a.feature < b.feature ? -1 : 1))
    .slice(0, k)
    .map((c) => ({
      feature: c.feature,
      effect,
      text: phraseReason(c.feature, features, typical(c.feature), effect),
      value: features[c.feature],
      contribution: c.contribution,
    }));
}
