import { describe, expect, it } from 'vitest';
import { OrderEvent } from '../../kernel/events/order-event.js';
import { DataFormatError } from '../../models/data/errors.js';
import {
  loadOnlineRetail,
  ordersFromOnlineRetailRecords,
  parseInvoiceDate,
  type OnlineRetailResult,
} from '../../models/data/online-retail.js';
import { parseCsv } from '../../models/data/csv.js';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

describe('Online Retail loader (real file)', () => {
  let result: OnlineRetailResult;
  let seconds = 0;

  it('stream-parses the 541,909 rows in a few seconds with the documented raw figures', async () => {
    // Act
    const t0 = performance.now();
    result = await loadOnlineRetail();
    seconds = (performance.now() - t0) / 1000;
    // Assess
    expect(result.rows).toBe(541_909);
    expect(result.rawInvoices).toBe(25_900);
    expect(result.rawCustomers).toBe(4_372);
    expect(seconds).toBeLessThan(8);
  });

  it('skips and counts rows by reason, and the counts add up', () => {
    // Assess (figures checked independently with a Python csv pass over the same file)
    expect(result.skipped.missingCustomerId).toBe(135_080);
    expect(result.skipped.nonProductCode).toBe(1_920);
    expect(result.skipped.nonPositivePrice).toBe(33);
    expect(result.skipped.nonStandardInvoice).toBe(0);
    expect(result.skipped.nonPositiveQuantity).toBe(0);
    const kept = result.orders.reduce((s, o) => s + o.items.length, 0);
    const skipped = Object.values(result.skipped).reduce((s, v) => s + v, 0);
    expect(kept + skipped).toBe(result.rows);
  });

  it('produces one valid OrderEvent per invoice with kept rows', () => {
    // Assess
    for (const o of result.orders) {
      const parsed = OrderEvent.safeParse(o);
      expect(parsed.success, o.orderId).toBe(true);
    }
    expect(result.orders).toHaveLength(21_785);
    expect(new Set(result.orders.map((o) => o.orderId)).size).toBe(result.orders.length);
    expect(new Set(result.orders.map((o) => o.customerId)).size).toBe(4_362);
    const cancelled = result.orders.filter((o) => o.status === 'cancelled');
    expect(cancelled).toHaveLength(3_383);
    for (const o of cancelled) {
      expect(o.orderId.startsWith('or-C')).toBe(true);
      expect(o.total).toBeGreaterThan(0);
    }
    for (const o of result.orders) {
      expect(o.currency).toBe('GBP');
      expect(o.customerId).toMatch(/^or-\d+$/);
      const sum = o.items.reduce((s, i) => s + i.quantity * i.unitPrice, 0);
      expect(Math.abs(sum - o.total)).toBeLessThan(1e-3);
    }
    const first = result.orders[0]!;
    expect(first).toMatchObject({
      orderId: 'or-536365',
      customerId: 'or-17850',
      status: 'placed',
      timestamp: '2010-12-01T08:26:00Z',
      properties: { country: 'United Kingdom' },
    });
    expect(first.items[0]).toEqual({ sku: '85123A', name: 'WHITE HANGING HEART T-LIGHT HOLDER', quantity: 6, unitPrice: 2.55 });
  });
});

describe('Online Retail grouping rules (small fixture)', () => {
  it('groups by invoice, makes cancellations positive, takes the earliest time, skips and counts', () => {
    // Prepare
    const csv = [
      HEADER,
      '536365,85123A,"HEART, WHITE",6,12/1/2010 8:26,2.55,17850.0,United Kingdom',
      '536365,71053,WHITE METAL LANTERN,2,12/1/2010 8:25,3.39,17850.0,United Kingdom',
      '536365,POST,POSTAGE,1,12/1/2010 8:26,18,17850.0,United Kingdom',
      'C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527.0,United Kingdom',
      'C536380,22556,PLASTERS,-12,12/1/2010 9:41,1.65,14527.0,United Kingdom',
      '536414,22139,,56,12/1/2010 11:52,0,,United Kingdom',
      '536415,22139,RETRO,5,12/1/2010 11:52,0,13000.0,United Kingdom',
      '536416,22139,RETRO,-5,12/1/2010 11:52,1,13000.0,United Kingdom',
      'A563185,B,Adjust bad debt,1,8/12/2011 14:50,11062.06,13001.0,United Kingdom',
      '536417,gift_0001_40,Voucher,1,12/1/2010 11:52,34.04,13002.0,United Kingdom',
    ].join('\n');
    // Act
    const r = ordersFromOnlineRetailRecords(parseCsv(csv));
    // Assess
    expect(r.rows).toBe(10);
    expect(r.skipped).toEqual({
      missingCustomerId: 1,
      nonStandardInvoice: 1,
      nonProductCode: 3,
      nonPositivePrice: 1,
      nonPositiveQuantity: 1,
      nonNegativeQuantityCancellation: 0,
    });
    expect(r.orders).toHaveLength(2);
    const [placed, cancelled] = r.orders as [OrderEvent, OrderEvent];
    expect(placed).toMatchObject({
      orderId: 'or-536365',
      customerId: 'or-17850',
      status: 'placed',
      total: 22.08,
      timestamp: '2010-12-01T08:25:00Z',
    });
    expect(placed.items.map((i) => i.name)).toEqual(['HEART, WHITE', 'WHITE METAL LANTERN']);
    expect(cancelled).toMatchObject({ orderId: 'or-C536380', status: 'cancelled', total: 19.8 });
    expect(cancelled.items[0]).toMatchObject({ quantity: 12, unitPrice: 1.65 });
  });

  it('reads both date spellings as UTC and rejects impossible ones', () => {
    expect(parseInvoiceDate('12/1/2010 8:26')).toBe('2010-12-01T08:26:00Z');
    expect(parseInvoiceDate('2011-06-09 13:05:00')).toBe('2011-06-09T13:05:00Z');
    expect(() => parseInvoiceDate('2/30/2011 8:00')).toThrow(DataFormatError);
    expect(() => ordersFromOnlineRetailRecords([['x']])).toThrow(/header/);
  });
});
