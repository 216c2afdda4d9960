import { describe, expect, it } from 'vitest';
import { cdnowOrderEvents, loadCdnow } from '../../models/data/cdnow.js';
import { normalizeOrder } from '../../kernel/events/normalize-order.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { fitClvReport, purchasesFrom } from '../../scripts/cli/clv.js';

describe('winback clv fit on CDNOW, from stored order events', () => {
  it('reproduces the published BG/NBD estimates within 0.5% and the Gamma-Gamma ones within 1%', async () => {
    // Prepare: the orders as the store holds them after `winback import cdnow`
    const orders = cdnowOrderEvents(await loadCdnow());
    const byCustomer = new Map<string, StoredEvent[]>();
    for (const o of orders) {
      const e = normalizeOrder(o, { receivedAt: '2026-01-01T00:00:00.000Z', source: 'import' });
      byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
    }
    // Act
    const report = fitClvReport(purchasesFrom(byCustomer), '1997-09-30', 'weeks');
    // Assess
    const within = (value: number, published: number, tolerance: number) =>
      expect(Math.abs(value - published) / Math.abs(published)).toBeLessThan(tolerance);
    expect(report.customers).toBe(2357);
    within(report.bgnbd.r, 0.243, 0.005);
    within(report.bgnbd.alpha, 4.414, 0.005);
    within(report.bgnbd.a, 0.793, 0.005);
    within(report.bgnbd.b, 2.426, 0.005);
    within(report.bgnbd.logLikelihood, -9582.4, 0.005);
    expect(report.bgnbd.degenerate).toBe(false);
    within(report.gammaGamma.p, 6.25, 0.01);
    within(report.gammaGamma.q, 3.74, 0.01);
    within(report.gammaGamma.gamma, 15.44, 0.01);
  });

  it('ignores cancelled orders and counts same-day purchases once', () => {
    const e = (id: string, ts: string, name: 'placed' | 'cancelled', total: number): StoredEvent => ({
      eventId: id, customerId: 'c', kind: 'order', name, timestamp: ts, receivedAt: ts, source: 't', properties: {},
      order: { orderId: id, status: name, currency: 'USD', total, discount: 0, items: [] },
    });
    const purchases = purchasesFrom(new Map([['c', [e('1', '1997-01-01T10:00:00Z', 'placed', 10), e('2', '1997-01-01T12:00:00Z', 'placed', 5), e('3', '1997-02-01T00:00:00Z', 'cancelled', 99)]]]));
    expect(purchases.map((p) => p.value)).toEqual([10, 5]);
  });
});
