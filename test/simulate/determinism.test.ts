import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { simulateCustomers, simulatePopulation, storedKindOf, detailOf } from '../../scripts/simulate/population.js';
import { toJsonLine } from '../../scripts/simulate/output.js';
import { SimulationOptionsError } from '../../scripts/simulate/errors.js';

const hashOf = (opts: { customers: number; days: number; seed: number; start: string }): string => {
  const h = createHash('sha256');
  for (const c of simulateCustomers(opts)) {
    h.update(JSON.stringify(c.truth));
    for (const e of c.events) h.update(toJsonLine(e));
  }
  return h.digest('hex');
};

const base = { customers: 150, days: 180, start: '2025-03-01' };

describe('simulate: determinism', () => {
  it('the same seed gives the same event stream; another seed a different one', () => {
    expect(hashOf({ ...base, seed: 11 })).toBe(hashOf({ ...base, seed: 11 }));
    expect(hashOf({ ...base, seed: 11 })).not.toBe(hashOf({ ...base, seed: 12 }));
  });

  it('a customer’s history does not depend on the population size', () => {
    const small = [...simulateCustomers({ ...base, customers: 3, seed: 5 })];
    const large = [...simulateCustomers({ ...base, customers: 40, seed: 5 })];
    expect(large.slice(0, 3)).toEqual(small);
  });

  it('keeps every event inside the period and each customer’s events in time order', () => {
    const { start, end, events, customers } = simulatePopulation({ ...base, seed: 3 });
    expect(start).toBe('2025-03-01T00:00:00.000Z');
    expect(end).toBe('2025-08-28T00:00:00.000Z');
    expect(events.every((e) => e.at >= start && e.at < end)).toBe(true);
    for (const c of simulateCustomers({ ...base, customers: 20, seed: 3 })) {
      expect(c.events.map((e) => e.at)).toEqual([...c.events.map((e) => e.at)].sort());
    }
    expect(customers.every((c) => c.acquiredAt >= start && (c.churnedAt === undefined || (c.churnedAt > c.acquiredAt && c.churnedAt < end)))).toBe(true);
  });

  it('refuses options that make no sense, naming them', () => {
    expect(() => simulatePopulation({ ...base, customers: 0, seed: 1 })).toThrow(SimulationOptionsError);
    expect(() => simulatePopulation({ ...base, start: 'soon', seed: 1 })).toThrow(/start/);
  });
});

describe('simulate: plausible volumes (1,000 customers, one year)', () => {
  const { customers, events } = simulatePopulation({ customers: 1000, days: 365, seed: 2024, start: '2025-01-01' });
  const byDetail: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  for (const e of events) {
    byDetail[detailOf(e)] = (byDetail[detailOf(e)] ?? 0) + 1;
    byKind[storedKindOf(e)] = (byKind[storedKindOf(e)] ?? 0) + 1;
  }
  const n = (k: string): number => byDetail[k] ?? 0;

  it('emits every kind of event, one identify per customer', () => {
    expect(byKind['identify']).toBe(1000);
    for (const k of ['page', 'track:Product Viewed', 'track:Product Added', 'order:placed', 'order:cancelled', 'order:refunded', 'email:Send', 'email:Delivery', 'email:Open', 'email:Click', 'email:Bounce', 'email:Complaint', 'email:Subscription']) {
      expect(n(k), k).toBeGreaterThan(0);
    }
  });

  it('has shop-like rates: orders per customer, open and click rates, cancellations, churn share', () => {
    const ordersPerCustomer = n('order:placed') / 1000;
    expect(ordersPerCustomer).toBeGreaterThan(2);
    expect(ordersPerCustomer).toBeLessThan(6);
    expect(customers.reduce((s, c) => s + c.orders, 0)).toBe(n('order:placed'));
    const openRate = n('email:Open') / n('email:Delivery');
    expect(openRate).toBeGreaterThan(0.1);
    expect(openRate).toBeLessThan(0.35);
    expect(n('email:Click') / n('email:Open')).toBeGreaterThan(0.05);
    expect(n('email:Click') / n('email:Open')).toBeLessThan(0.3);
    expect(n('order:cancelled') / n('order:placed')).toBeLessThan(0.08);
    const churnShare = customers.filter((c) => c.churnedAt).length / 1000;
    expect(churnShare).toBeGreaterThan(0.25);
    expect(churnShare).toBeLessThan(0.7);
    // Consent: mostly granted, some refused; no newsletter without it.
    const consenting = customers.filter((c) => c.marketingConsent).length;
    expect(consenting).toBeGreaterThan(750);
    expect(consenting).toBeLessThan(950);
  });

  it('sends no newsletter to customers without marketing consent', () => {
    const refused = new Set(customers.filter((c) => !c.marketingConsent).map((c) => c.customerId));
    const mailed = events.filter((e) => e.kind === 'ses').map((e) => (e.kind === 'ses' ? ((e.record['mail'] as { tags: Record<string, string[]> }).tags['customer']?.[0] ?? '') : ''));
    expect(mailed.some((id) => refused.has(id))).toBe(false);
  });

  it('segments differ in value: high-value customers order more and spend more per order', () => {
    const mean = (seg: string, f: (c: (typeof customers)[number]) => number): number => {
      const xs = customers.filter((c) => c.segment === seg);
      return xs.reduce((s, c) => s + f(c), 0) / xs.length;
    };
    expect(mean('high', (c) => c.orders)).toBeGreaterThan(mean('low', (c) => c.orders));
    expect(mean('high', (c) => c.meanOrderValue)).toBeGreaterThan(2 * mean('low', (c) => c.meanOrderValue));
  });
});
