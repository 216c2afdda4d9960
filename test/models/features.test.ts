import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_NAMES, FEATURE_VERSION, FEATURES, toModelInput } from '../../models/features.js';
import { createRng, permutation } from '../../models/random.js';
import { email, order, page, track } from './model-fixtures.js';

const C = new Date('2021-04-01T00:00:00Z');
const id = 'cust-1';

/** A customer whose every feature value is worked out by hand in the test below. */
function history() {
  return [
    order(id, 'o1', '2021-01-01T10:00:00Z', 100, {
      discount: 10,
      couponCode: 'SPRING',
      items: [{ sku: 'A', category: 'mugs', quantity: 2, unitPrice: 50 }],
    }),
    order(id, 'o2', '2021-02-01T10:00:00Z', 50, { items: [{ sku: 'B', category: 'cards', quantity: 1, unitPrice: 50 }] }),
    order(id, 'o2', '2021-02-02T10:00:00Z', 50, { status: 'cancelled' }),
    order(id, 'o3', '2021-03-02T10:00:00Z', 30, { items: [{ sku: 'A', category: 'mugs', quantity: 1, unitPrice: 30 }] }),
    order(id, 'o3', '2021-03-10T10:00:00Z', 30, { status: 'refunded' }),
    page(id, '2021-02-20T09:00:00Z'),
    page(id, '2021-03-25T10:00:00Z'),
    page(id, '2021-03-25T10:20:00Z'),
    track(id, 'Product Viewed', '2021-03-25T10:21:00Z'),
    page(id, '2021-03-25T10:45:00Z'),
    page(id, '2021-03-25T11:30:00Z'),
    track(id, 'Product Added', '2021-03-31T23:59:00Z'),
    email(id, 'bounce', 'm0', '2021-02-10T08:00:00Z', { bounceType: 'Permanent' }),
    email(id, 'send', 'm1', '2021-03-20T08:00:00Z'),
    email(id, 'open', 'm1', '2021-03-20T12:00:00Z'),
    email(id, 'open', 'm1', '2021-03-21T00:00:00Z'),
    email(id, 'click', 'm1', '2021-03-21T00:01:00Z'),
    email(id, 'send', 'm2', '2021-03-28T08:00:00Z'),
    email(id, 'subscription', 'm2', '2021-03-30T08:00:00Z', { unsubscribedTopics: ['news'], unsubscribedAll: false }),
  ];
}

/** Events at or after the cutoff: none of them may change anything. */
function future() {
  return [
    order(id, 'o4', '2021-04-01T00:00:00Z', 999),
    order(id, 'o5', '2021-05-01T00:00:00Z', 999),
    order(id, 'o1', '2021-04-02T00:00:00Z', 100, { status: 'cancelled' }),
    page(id, '2021-04-01T00:00:00Z'),
    track(id, 'Product Added', '2021-04-03T00:00:00Z'),
    email(id, 'open', 'm2', '2021-04-01T00:00:00Z'),
    email(id, 'subscription', 'm2', '2021-04-05T00:00:00Z', { unsubscribedAll: true }),
  ];
}

describe('computeFeatures', () => {
  it('computes order, web and email features by their documented definitions', () => {
    // Prepare / Act
    const f = computeFeatures(history(), C);

    // Assess: orders. Order days Jan 1, Feb 1, Mar 2; gaps 31 and 29 days.
    expect(f.recency_days).toBeCloseTo(29 + 14 / 24, 9);
    expect(f.frequency).toBe(3);
    expect(f.orders).toBe(3);
    expect(f.monetary).toBe(180 - 50 - 30);
    expect(f.avg_order_value).toBe(60);
    expect(f.tenure_days).toBeCloseTo(89 + 14 / 24, 9);
    expect(f.first_order_age_days).toBeCloseTo(89 + 14 / 24, 9);
    expect(f.has_repeat_purchase).toBe(1);
    expect(f.ipt_mean_days).toBe(30);
    expect(f.ipt_std_days).toBeCloseTo(Math.SQRT2, 12);
    expect(f.ipt_last_days).toBe(29);
    expect(f.days_overdue).toBeCloseTo(29 + 14 / 24 - 30, 9);
    expect(f.overdue_ratio).toBeCloseTo((29 + 14 / 24) / 30, 9);
    expect([f.orders_30d, f.orders_90d, f.orders_180d, f.orders_trend_90d]).toEqual([1, 3, 3, 3]);
    expect(f.spend_90d).toBe(180);
    expect(f.distinct_products).toBe(2);
    expect(f.distinct_categories).toBe(2);
    expect(f.items_per_order).toBeCloseTo(4 / 3, 12);
    expect(f.avg_item_price).toBe(45);
    expect(f.active_months).toBe(3);
    expect(f.last_order_value).toBe(30);
    expect([f.cancellations, f.refunds]).toEqual([1, 1]);
    expect(f.cancel_refund_rate).toBeCloseTo(2 / 3, 12);
    expect(f.discount_order_share).toBeCloseTo(1 / 3, 12);
    expect(f.discount_value_share).toBeCloseTo(10 / 190, 12);

    // Web: sessions start Feb 20 09:00, Mar 25 10:00 (10:20, 10:21, 10:45 within 30 min),
    // Mar 25 11:30 (45 min gap), Mar 31 23:59.
    expect([f.sessions_7d, f.sessions_30d, f.sessions_90d, f.sessions_trend_30d]).toEqual([3, 3, 4, 2]);
    expect([f.page_views_7d, f.page_views_30d, f.page_views_90d]).toEqual([4, 4, 5]);
    expect([f.product_views_7d, f.cart_adds_7d]).toEqual([1, 1]);
    expect(f.days_since_web_activity).toBeCloseTo(1 / 1440, 9);

    // Email: opens and clicks per message (m1 opened twice counts once).
    expect([f.emails_sent_7d, f.emails_sent_30d, f.emails_sent_90d]).toEqual([1, 2, 2]);
    expect([f.emails_opened_7d, f.emails_opened_30d]).toEqual([0, 1]);
    expect(f.emails_clicked_30d).toBe(1);
    expect([f.emails_bounced_30d, f.emails_bounced_90d]).toEqual([0, 1]);
    expect([f.email_unsubscribes_7d, f.email_complaints_90d]).toEqual([1, 0]);
    expect(f.email_open_rate_90d).toBe(0.5);
    expect(f.email_click_rate_90d).toBe(0.5);
    expect(f.days_since_email_open).toBe(11);
    expect(f.unsubscribed_all).toBe(0);
    expect(f.hard_bounced).toBe(1);
  });

  it('ignores every event at or after the cutoff (point-in-time correctness)', () => {
    // Prepare
    const past = history();

    // Act
    const without = computeFeatures(past, C);
    const withFuture = computeFeatures([...past, ...future()], C);

    // Assess
    expect(withFuture).toEqual(without);
  });

  it('does not depend on event order and counts a redelivered event once', () => {
    const events = history();
    const shuffled = permutation(events.length, createRng(7)).map((i) => events[i]!);
    const duplicated = [...events, ...events.slice(0, 5)];
    expect(computeFeatures(shuffled, C)).toEqual(computeFeatures(events, C));
    expect(computeFeatures(duplicated, C)).toEqual(computeFeatures(events, C));
  });

  it('gives finite values for a customer with no events, no orders or malformed amounts', () => {
    const broken = order(id, 'o9', '2021-03-01T00:00:00Z', 10);
    const nanOrder = { ...broken, order: { ...broken.order!, total: Number.NaN } };
    for (const events of [[], [page(id, '2021-03-01T00:00:00Z')], [nanOrder]]) {
      const f = computeFeatures(events, C);
      for (const name of FEATURE_NAMES) expect(Number.isFinite(f[name]), name).toBe(true);
      for (const v of toModelInput(f)) expect(Number.isFinite(v)).toBe(true);
    }
    expect(computeFeatures([], C).recency_days).toBe(0);
    // A visitor without orders: recency falls back to "as long as we have known them".
    expect(computeFeatures([page(id, '2021-03-01T00:00:00Z')], C).recency_days).toBe(31);
  });

  it('documents every feature once, in words, with a version', () => {
    expect(FEATURE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURES.length);
    for (const f of FEATURES) expect(f.description.length).toBeGreaterThan(5);
    expect(Object.keys(computeFeatures(history(), C)).sort()).toEqual([...FEATURE_NAMES].sort());
  });

  it('applies the documented transforms in toModelInput', () => {
    const f = computeFeatures(history(), C);
    const x = toModelInput(f);
    const at = (name: string) => x[FEATURE_NAMES.indexOf(name as never)]!;
    expect(at('monetary')).toBeCloseTo(Math.log1p(100), 12);
    expect(at('days_overdue')).toBeCloseTo(-Math.log1p(30 - 29 - 14 / 24), 12);
    expect(at('email_open_rate_90d')).toBe(0.5);
  });
});
