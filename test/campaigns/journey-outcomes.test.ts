import { describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../../functions/campaigns/definition/schema.js';
import { createEntry } from '../../functions/store/journey-entries.js';
import { campaignReport } from '../../functions/journeys/outcomes.js';
import { newcombeDifference, studentTQuantile, welchDifference, wilson } from '../../functions/journeys/statistics.js';
import { post, snsNotification, useLocalStack } from '../helpers/stack.js';

/**
 * The report from a constructed scenario, stored through the real ingest paths, against figures
 * computed by hand (and checked with scipy 1.17: stats.t.ppf, ttest_ind(equal_var=False)).
 */
describe('statistics', () => {
  it("reproduces Newcombe's published example (56/70 vs 48/80: 0.0524 to 0.3339)", () => {
    const d = newcombeDifference(56, 70, 48, 80);
    expect(d.estimate).toBeCloseTo(0.2, 10);
    expect(d.lower).toBeCloseTo(0.0524, 4);
    expect(d.upper).toBeCloseTo(0.3339, 4);
  });

  it('has Wilson intervals and t quantiles matching tables', () => {
    const w = wilson(81, 263);
    expect([w.lower, w.upper].map((x) => Number(x.toFixed(4)))).toEqual([0.2553, 0.3662]);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 4);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4);
  });

  it('gives no interval for a group under two customers (Welch is undefined there)', () => {
    const r = welchDifference({ n: 1, mean: 5, variance: 0 }, { n: 10, mean: 1, variance: 2 });
    expect(r.estimate).toBe(4);
    expect(Number.isNaN(r.lower)).toBe(true);
  });
});

describe('campaigns report (constructed scenario)', () => {
  const stack = useLocalStack();
  const campaignId = 'journey-report';
  const enteredAt = '2026-03-01T00:00:00.000Z';
  const campaign = {
    id: campaignId,
    topic: 'marketing',
    goal: { event: { kind: 'order', name: 'placed' }, attributionWindow: 7 * 86_400_000 },
  } as unknown as CampaignDefinition;

  const order = (customerId: string, orderId: string, total: number, timestamp: string, status = 'placed') =>
    post(stack(), '/v1/orders', { orderId, status, customerId, currency: 'GBP', total, items: [{ sku: 'S', quantity: 1, unitPrice: total }], timestamp });

  const sesEvent = (customerId: string, messageId: string, eventType: string, timestamp: string, extra: Record<string, unknown> = {}) =>
    post(
      stack(),
      '/v1/email-events',
      snsNotification({
        eventType,
        mail: {
          timestamp,
          messageId,
          destination: [`${customerId}@example.com`],
          tags: { campaign: [campaignId], variant: ['a'], customer: [customerId] },
        },
        ...extra,
      }),
    );

  it('counts the funnel, conversions and revenue per group, with uplift and 95% CIs', async () => {
    // Prepare: 10 treatment and 10 holdout entries on 1 March, attribution window 7 days.
    const t = Array.from({ length: 10 }, (_, i) => `rt${i + 1}`);
    const h = Array.from({ length: 10 }, (_, i) => `rh${i + 1}`);
    for (const [ids, group] of [[t, 'treatment'], [h, 'holdout']] as const) {
      for (const customerId of ids) {
        await createEntry(stack().tableName, {
          campaignId, customerId, triggerId: 'run-1', triggerType: 'manual', executionName: `x-${customerId}`,
          group, variant: 'a', enteredAt, status: 'completed',
        });
      }
    }
    const responses = await Promise.all([
      // Treatment conversions: 50 + 30 + 20 + 100 = 200 from 4 customers.
      order('rt1', 'o-1', 50, '2026-03-02T10:00:00Z'),
      order('rt2', 'o-2', 30, '2026-03-03T10:00:00Z'),
      order('rt3', 'o-3', 20, '2026-03-04T10:00:00Z'),
      order('rt4', 'o-4', 100, '2026-03-05T10:00:00Z'),
      // rt4's second order is refunded within the window: no revenue, still one converter.
      order('rt4', 'o-4b', 25, '2026-03-05T11:00:00Z'),
      order('rt4', 'o-4b', 25, '2026-03-06T11:00:00Z', 'refunded'),
      // rt5 orders after the window: not a conversion.
      order('rt5', 'o-5', 70, '2026-03-10T10:00:00Z'),
      // Holdout: one conversion of 40.
      order('rh1', 'o-h1', 40, '2026-03-02T10:00:00Z'),
      // Before entry: ignored.
      order('rh2', 'o-h2', 99, '2026-02-27T10:00:00Z'),
    ]);
    const emails = [];
    for (const id of t) {
      emails.push(sesEvent(id, `m-${id}`, 'Send', '2026-03-01T00:01:00.000Z', { send: {} }));
      emails.push(sesEvent(id, `m-${id}`, 'Delivery', '2026-03-01T00:01:01.000Z', { delivery: { timestamp: '2026-03-01T00:01:01.000Z', recipients: [`${id}@example.com`] } }));
    }
    // rt1 opens twice (one message opened) and clicks; rt2 opens; rt10 bounces.
    emails.push(sesEvent('rt1', 'm-rt1', 'Open', '2026-03-01T08:00:00.000Z', { open: { timestamp: '2026-03-01T08:00:00.000Z' } }));
    emails.push(sesEvent('rt1', 'm-rt1', 'Open', '2026-03-01T09:00:00.000Z', { open: { timestamp: '2026-03-01T09:00:00.000Z' } }));
    emails.push(sesEvent('rt1', 'm-rt1', 'Click', '2026-03-01T09:01:00.000Z', { click: { timestamp: '2026-03-01T09:01:00.000Z', link: 'https://shop.example/x' } }));
    emails.push(sesEvent('rt2', 'm-rt2', 'Open', '2026-03-02T08:00:00.000Z', { open: { timestamp: '2026-03-02T08:00:00.000Z' } }));
    emails.push(
      sesEvent('rt10', 'm-rt10', 'Bounce', '2026-03-01T00:02:00.000Z', {
        bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'rt10@example.com' }], timestamp: '2026-03-01T00:02:00.000Z' },
      }),
    );
    responses.push(...(await Promise.all(emails)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await stack().drain();

    // Act
    const report = await campaignReport(stack().tableName, campaign, new Date('2026-04-01T00:00:00Z'));

    // Assess: counts by hand.
    expect(report.treatment).toMatchObject({
      entered: 10, sent: 10, delivered: 10, opened: 2, clicked: 1, bounced: 1, complained: 0, unsubscribed: 0,
      converted: 4, revenue: 200, conversionRate: 0.4, revenuePerCustomer: 20,
    });
    expect(report.holdout).toMatchObject({ entered: 10, sent: 0, converted: 1, revenue: 40, conversionRate: 0.1, revenuePerCustomer: 4 });
    // Conversion uplift 0.40 - 0.10 = 0.30; Newcombe hybrid score 95% CI by hand from the two Wilson intervals.
    expect(report.uplift.conversion.estimate).toBeCloseTo(0.3, 10);
    expect(report.uplift.conversion.lower).toBeCloseTo(-0.082423, 5);
    expect(report.uplift.conversion.upper).toBeCloseTo(0.598832, 5);
    // Revenue per customer 20 - 4 = 16; Welch: se 11.17537, df 11.58900, t(0.975) 2.187414.
    expect(report.uplift.revenuePerCustomer.estimate).toBeCloseTo(16, 10);
    expect(report.uplift.revenuePerCustomer.degreesOfFreedom).toBeCloseTo(11.588999, 5);
    expect(report.uplift.revenuePerCustomer.lower).toBeCloseTo(-8.445158, 4);
    expect(report.uplift.revenuePerCustomer.upper).toBeCloseTo(40.445158, 4);
    expect(report.variants.map((v) => v.variant)).toEqual(['a']);
    expect(report.journeys).toEqual({ completed: 20 });
  });
});
