import { describe, expect, it } from 'vitest';
import { arbitrate, cutRanking, expectedValue, ladderStep, rankCandidates, targetCount, type ScoredCandidate } from '../../models/targeting.js';

/** The targeting arithmetic (models/targeting.ts): expected value, ladder, ranking, cuts, arbitration. */
describe('targeting arithmetic', () => {
  it('expected value is P(churn) x CLV x uplift - cost, and orders customers differently from churn', () => {
    expect(expectedValue({ churn: 0.5, clv: 200, uplift: 0.1, cost: 5 })).toBeCloseTo(5, 10);
    // A sure thing (high churn, no uplift) ranks first by churn and last by expected value.
    const c = (customerId: string, churn: number, uplift: number): ScoredCandidate => ({ customerId, churn, uplift, cost: 2, expectedValue: expectedValue({ churn, clv: 100, uplift, cost: 2 }) });
    const people = [c('sure-thing', 0.9, 0), c('persuadable', 0.5, 0.3), c('lukewarm', 0.7, 0.05)];
    expect(rankCandidates(people, 'churn').map((r) => r.candidate.customerId)).toEqual(['sure-thing', 'lukewarm', 'persuadable']);
    expect(rankCandidates(people, 'expected-value').map((r) => r.candidate.customerId)).toEqual(['persuadable', 'lukewarm', 'sure-thing']);
    expect(rankCandidates(people, 'uplift').map((r) => r.key)).toEqual([0.3, 0.05, 0]);
  });

  it('the ladder picks the smallest step with a positive expected value, and none when none is', () => {
    const options = [5, 10, 15, 20].map((step) => ({ step, cost: step }));
    // Uplift grows with the discount: 0.02 at 5, 0.1 at 10, 0.14 at 15, 0.16 at 20. Value at stake 100.
    const uplift = new Map([[5, 0.02], [10, 0.1], [15, 0.14], [20, 0.16]]);
    const choice = ladderStep(options, { churn: 0.5, clv: 200 }, (o) => uplift.get(o.step)!);
    // 5: 2 - 5 < 0; 10: 10 - 10 = 0 (not positive); 15: 14 - 15 < 0; 20: 16 - 20 < 0 ... so only steps with EV > 0 count.
    expect(choice).toBeUndefined();
    const richer = ladderStep(options, { churn: 0.5, clv: 400 }, (o) => uplift.get(o.step)!);
    // Value at stake 200: 5 -> 4 - 5 < 0; 10 -> 20 - 10 = 10 > 0: the smallest positive, though 15 (28 - 15 = 13) is higher.
    expect(richer?.option.step).toBe(10);
    expect(richer?.expectedValue).toBeCloseTo(10, 10);
    // Unsorted ladders are tried in ascending order.
    expect(ladderStep([...options].reverse(), { churn: 0.5, clv: 400 }, (o) => uplift.get(o.step)!)?.option.step).toBe(10);
  });

  it('top 30% and count keep the best of the whole ranking, holdout included', () => {
    expect(targetCount({ top: 0.3 }, 10)).toBe(3);
    expect(targetCount({ top: 0.3 }, 7)).toBe(2);
    expect(targetCount({ count: 50 }, 7)).toBe(7);
    const people = Array.from({ length: 10 }, (_, i): ScoredCandidate => ({ customerId: `c${i}`, churn: i / 10, cost: 0 }));
    const cut = cutRanking(rankCandidates(people, 'churn'), { size: { top: 0.3 }, by: 'churn', budgetLeft: Infinity, isHoldout: (id) => id === 'c8' });
    expect(cut.selected.map((r) => r.candidate.customerId)).toEqual(['c9', 'c8', 'c7']);
    expect(cut.dropped.every((d) => d.why === 'below-cut')).toBe(true);
  });

  it('a top share is of the eligible audience, not of the members left to rank', () => {
    // 20 eligible, of whom only 10 could be ranked (say, no positive ladder step for the others).
    const people = Array.from({ length: 10 }, (_, i): ScoredCandidate => ({ customerId: `c${i}`, churn: i / 10, cost: 0 }));
    const ranked = rankCandidates(people, 'churn');
    const of20 = cutRanking(ranked, { size: { top: 0.3 }, by: 'churn', budgetLeft: Infinity, isHoldout: () => false, audienceSize: 20 });
    expect(of20.selected.map((r) => r.candidate.customerId)).toEqual(['c9', 'c8', 'c7', 'c6', 'c5', 'c4']);
    // Never more than can be ranked.
    expect(cutRanking(ranked, { size: { top: 0.9 }, by: 'churn', budgetLeft: Infinity, isHoldout: () => false, audienceSize: 20 }).selected).toHaveLength(10);
  });

  it('the budget cuts by rank: treated customers spend, the holdout does not, and nobody below the first misfit is kept', () => {
    const people = Array.from({ length: 6 }, (_, i): ScoredCandidate => ({ customerId: `c${i}`, churn: 1 - i / 10, cost: 10, expectedValue: 10 - i }));
    // c1 is held out; budget 25: c0 (10), c1 (holdout, 0), c2 (10) = 20; c3 would make 30 > 25: c3, c4, c5 are cut, c4 and c5 whatever their group.
    const cut = cutRanking(rankCandidates(people, 'expected-value'), { size: { top: 1 }, by: 'expected-value', budgetLeft: 25, isHoldout: (id) => id === 'c1' || id === 'c5' });
    expect(cut.selected.map((r) => r.candidate.customerId)).toEqual(['c0', 'c1', 'c2']);
    expect(cut.plannedSpend).toBe(20);
    expect(cut.dropped.map((d) => [d.candidate.customerId, d.why])).toEqual([
      ['c3', 'budget'],
      ['c4', 'budget'],
      ['c5', 'budget'],
    ]);
  });

  it('expected-value targeting drops customers whose value is not positive', () => {
    const people = [0.5, 0, -1].map((ev, i): ScoredCandidate => ({ customerId: `c${i}`, churn: 0.5, cost: 0, expectedValue: ev }));
    const cut = cutRanking(rankCandidates(people, 'expected-value'), { size: { top: 1 }, by: 'expected-value', budgetLeft: Infinity, isHoldout: () => false });
    expect(cut.selected.map((r) => r.candidate.customerId)).toEqual(['c0']);
    expect(cut.dropped.map((d) => d.why)).toEqual(['not-positive', 'not-positive']);
  });

  it('arbitration: the highest expected value wins, the second is the runner-up, ties go to the smaller id', () => {
    expect(arbitrate([{ campaignId: 'a', value: 3 }, { campaignId: 'b', value: 7 }, { campaignId: 'c', value: 5 }])).toEqual({ winner: { campaignId: 'b', value: 7 }, runnerUp: { campaignId: 'c', value: 5 } });
    expect(arbitrate([{ campaignId: 'z', value: 2 }, { campaignId: 'y', value: 2 }])?.winner.campaignId).toBe('y');
    expect(arbitrate([{ campaignId: 'solo', value: -1 }])).toEqual({ winner: { campaignId: 'solo', value: -1 } });
    expect(arbitrate([])).toBeUndefined();
  });
});
