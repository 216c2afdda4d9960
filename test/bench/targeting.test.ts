import { describe, expect, it } from 'vitest';
import { runTargetingBench, TOP } from '../../scripts/bench/targeting-run.js';
import { simulatePopulation, trueUplift } from '../../scripts/bench/targeting-population.js';

/**
 * bench:targeting at a tiny size: the shape of its report and the budget invariant. The ratios
 * between policies are what the benchmark measures at full size, not asserted here.
 */
describe('bench:targeting (scripts/bench/targeting-run.ts)', () => {
  it('reports every policy with its sends, ground-truth gains and a spend within its budget', async () => {
    // A budget of 4 GBP per customer of the slice: the fixed 10 GBP coupons of churn and uplift
    // targeting do not all fit, so the budget cut (by rank) is exercised.
    const r = await runTargetingBench({ customers: 400, trainCustomers: 1200, seed: 3, budgetPerSlot: 4 });
    const slice = Math.round(TOP * r.customers);
    expect(r.policies.map((p) => p.by)).toEqual(['churn', 'uplift', 'expected-value']);
    for (const p of r.policies) {
      expect(Object.keys(p)).toEqual(
        expect.arrayContaining(['name', 'by', 'sends', 'incrementalConversions', 'incrementalRevenue', 'incentiveCost', 'netIncrementalRevenue', 'spend', 'budget']),
      );
      // The budget item (committed through the conditional write) never exceeds the cap, and
      // holds exactly the coupons of the customers sent.
      expect(p.spend).toBeLessThanOrEqual(p.budget);
      expect(p.spend).toBeCloseTo(p.incentiveCost, 2);
      expect(p.spend).toBeCloseTo(p.plannedSpend, 2);
      expect(p.netIncrementalRevenue).toBeCloseTo(p.incrementalRevenue - p.incentiveCost, -1);
      // The slice is the top share of the audience, holdout included.
      expect(p.budget).toBe(4 * slice);
      expect(p.sends + p.holdout).toBeLessThanOrEqual(slice);
      expect(Object.values(p.segments).reduce((a, b) => a + b, 0)).toBe(p.sends);
    }
    // Churn and uplift targeting carry the same fixed coupon: the budget stops both at the same
    // number of sends, the first treated customer whose coupon no longer fits ending the slice.
    const [churn, uplift] = r.policies;
    for (const p of [churn!, uplift!]) {
      expect(p.sends).toBe(Math.floor(p.budget / 10));
      expect(p.sends + p.holdout).toBeLessThan(slice);
      expect(p.coupons).toEqual({ '10': p.sends });
    }
    expect(r.policies.map((p) => p.by)).toContain(r.bestNetRevenue);
    expect(JSON.parse(JSON.stringify(r)).model.champion).toMatch(/^uplift-/);
  });

  it('simulates heterogeneous response: do-not-disturbs lose from contact, persuadables gain, lost causes barely move', () => {
    const people = simulatePopulation(4000, 7, 'x', '2026-12-01T00:00:00.000Z');
    const mean = (seg: string): number => {
      const s = people.filter((c) => c.segment === seg);
      return s.reduce((acc, c) => acc + trueUplift(c, 0), 0) / s.length;
    };
    expect(mean('do-not-disturb')).toBeLessThan(0);
    expect(mean('persuadable')).toBeGreaterThan(0.05);
    expect(Math.abs(mean('lost-cause'))).toBeLessThan(0.02);
    // The riskiest decile is mostly lost causes: churn risk is not the response.
    const riskiest = [...people].sort((a, b) => b.churn - a.churn).slice(0, 400);
    expect(riskiest.filter((c) => c.segment === 'lost-cause').length).toBeGreaterThan(200);
    // A bigger coupon never buys less.
    for (const c of people.slice(0, 200)) expect(trueUplift(c, 20)).toBeGreaterThanOrEqual(trueUplift(c, 5));
  });
});
