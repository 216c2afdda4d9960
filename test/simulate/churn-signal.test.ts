import { describe, expect, it } from 'vitest';
import { simulateCustomers } from '../../scripts/simulate/population.js';
import type { SimulatedCustomer, SimulatedEvent } from '../../scripts/simulate/types.js';

/**
 * The point of the simulation: engagement fades before a customer lapses, so web and email
 * activity in the weeks before the lapse is lower than the same customer's earlier rate, while
 * customers who stay show no such drop. Asserted on the generated data, over a population.
 */
const DAY = 86_400_000;
const population = [...simulateCustomers({ customers: 1500, days: 365, seed: 99, start: '2025-01-01' })];

const isWeb = (e: SimulatedEvent): boolean => e.kind === 'segment' && e.message.type !== 'identify';
const isEngagedEmail = (e: SimulatedEvent): boolean => e.kind === 'ses' && (e.record.eventType === 'Open' || e.record.eventType === 'Click');

/** Events per 30 days in [from, to). */
function rate(c: SimulatedCustomer, pick: (e: SimulatedEvent) => boolean, from: number, to: number): { n: number; months: number } {
  const n = c.events.filter((e) => {
    const t = Date.parse(e.at);
    return pick(e) && t >= from && t < to;
  }).length;
  return { n, months: (to - from) / (30 * DAY) };
}

function pooledRatio(
  groups: Array<{ c: SimulatedCustomer; pivot: number }>,
  pick: (e: SimulatedEvent) => boolean,
): { late: number; early: number; ratio: number } {
  let lateN = 0, lateM = 0, earlyN = 0, earlyM = 0;
  for (const { c, pivot } of groups) {
    const acquired = Date.parse(c.truth.acquiredAt);
    const late = rate(c, pick, pivot - 30 * DAY, pivot);
    // "Earlier months": from sign-up to two months before the pivot (skipping the first week's burst).
    const early = rate(c, pick, acquired + 7 * DAY, pivot - 60 * DAY);
    lateN += late.n;
    lateM += late.months;
    earlyN += early.n;
    earlyM += early.months;
  }
  const lateRate = lateN / lateM;
  const earlyRate = earlyN / earlyM;
  return { late: lateRate, early: earlyRate, ratio: lateRate / earlyRate };
}

describe('simulate: engagement fades before customers lapse', () => {
  const longChurners = population
    .filter((c) => c.truth.churnedAt !== undefined)
    .map((c) => ({ c, pivot: Date.parse(c.truth.churnedAt!) }))
    .filter(({ c, pivot }) => pivot - Date.parse(c.truth.acquiredAt) >= 150 * DAY);
  const end = Date.parse('2026-01-01T00:00:00Z');
  const stayers = population
    .filter((c) => c.truth.churnedAt === undefined && end - Date.parse(c.truth.acquiredAt) >= 150 * DAY)
    // Stayers whose lapse lies past the end may already be fading; those who never lapse may not.
    .map((c) => ({ c, pivot: end }));

  it('has enough long-lived churners and stayers to compare', () => {
    expect(longChurners.length).toBeGreaterThan(100);
    expect(stayers.length).toBeGreaterThan(100);
  });

  it('web activity in the 30 days before the lapse is well below the churners’ earlier months', () => {
    const churn = pooledRatio(longChurners, isWeb);
    expect(churn.early).toBeGreaterThan(0);
    // About 0.2 for this seed: the fade takes most of the last month's visits.
    expect(churn.ratio).toBeLessThan(0.4);
  });

  it('email opens and clicks thin out the same way', () => {
    const churn = pooledRatio(longChurners, isEngagedEmail);
    // About 0.35 for this seed (clicks fade less than opens: they are conditional on an open).
    expect(churn.ratio).toBeLessThan(0.55);
  });

  it('customers who stay keep most of their activity over the same kind of window', () => {
    const web = pooledRatio(stayers, isWeb);
    const email = pooledRatio(stayers, isEngagedEmail);
    expect(web.ratio).toBeGreaterThan(0.8);
    expect(email.ratio).toBeGreaterThan(0.8);
  });
});
