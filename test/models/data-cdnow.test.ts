import { describe, expect, it } from 'vitest';
import { OrderEvent } from '../../kernel/events/order-event.js';
import { cdnowOrderEvents, cdnowRfm, loadCdnow, parseCdnow } from '../../models/data/cdnow.js';
import { DataFormatError } from '../../models/data/errors.js';

describe('CDNOW loader', () => {
  const transactions = loadCdnow();

  it('reads every row of the sample with the documented ranges', () => {
    // Assess
    expect(transactions).toHaveLength(6919);
    expect(new Set(transactions.map((t) => t.customerId)).size).toBe(2357);
    expect(Math.min(...transactions.map((t) => t.sampleId))).toBe(1);
    expect(Math.max(...transactions.map((t) => t.sampleId))).toBe(2357);
    const dates = transactions.map((t) => t.date).sort();
    expect(dates[0]).toBe('1997-01-01');
    expect(dates[dates.length - 1]).toBe('1998-06-30');
    expect(transactions[0]).toEqual({
      masterId: '00004',
      sampleId: 1,
      customerId: 'cdnow-1',
      date: '1997-01-01',
      cds: 2,
      value: 29.33,
    });
  });

  it('turns every transaction into a valid, uniquely identified OrderEvent', () => {
    // Act
    const orders = cdnowOrderEvents(transactions);
    // Assess
    expect(orders).toHaveLength(6919);
    for (const o of orders) expect(OrderEvent.safeParse(o).success).toBe(true);
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(6919);
    expect(orders[0]).toEqual({
      type: 'order',
      orderId: 'cdnow-00004-19970101-1',
      status: 'placed',
      customerId: 'cdnow-1',
      currency: 'USD',
      items: [{ sku: 'cd', quantity: 2, unitPrice: 14.665 }],
      total: 29.33,
      discount: 0,
      timestamp: '1997-01-01T00:00:00Z',
    });
    // Same customer, same day, two rows: the occurrence counter keeps the ids apart and stable.
    const again = cdnowOrderEvents(transactions);
    expect(again.map((o) => o.orderId)).toEqual(orders.map((o) => o.orderId));
  });

  it('summarises in the literature conventions (Hardie\'s published first rows)', () => {
    // Act
    const s = cdnowRfm(transactions);
    // Assess: 2,357 customers, 1,411 without a repeat purchase in calibration
    expect(s).toHaveLength(2357);
    expect(s.filter((c) => c.x === 0)).toHaveLength(1411);
    const first = s[0]!;
    expect(first.x).toBe(2);
    expect(first.t_x).toBeCloseTo(30.43, 2);
    expect(first.T).toBeCloseTo(38.86, 2);
    expect(first.monetary).toBeCloseTo((29.73 + 14.96) / 2, 10);
    expect(first.holdout).toBe(1);
    // Each customer's holdout purchases + calibration purchases never exceed their distinct days.
    const days = new Map<string, Set<string>>();
    for (const t of transactions) days.set(t.customerId, (days.get(t.customerId) ?? new Set()).add(t.date));
    for (const c of s) expect(c.x + 1 + c.holdout).toBe(days.get(c.customerId)!.size);
  });

  it('names the line of a malformed row', () => {
    expect(() => parseCdnow(' 00004 0001 19970101  2   29.33\n 00004 0001 1997-01-18 2 1\n')).toThrow(/line 2/);
    expect(() => parseCdnow('1 2 3\n')).toThrow(DataFormatError);
  });
});
