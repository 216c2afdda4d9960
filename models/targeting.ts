/**
 * Targeting arithmetic, pure: the expected value of contacting a customer, the discount ladder,
 * the ranking and cut of an audience, the budget cut, and the arbitration between campaigns that
 * want the same customer. No storage, no clock: the campaign code (functions/campaigns/) feeds
 * scores in and stores the decisions.
 */

export type TargetingBy = 'churn' | 'uplift' | 'expected-value';

/** What one incentive (a ladder step, or a campaign's fixed reward) costs and how it is expressed. */
export interface IncentiveOption {
  /** The ladder step as written (5 = 5 GBP off, or 5 % off): also the uplift model's `incentive` context. */
  readonly step: number;
  /** Its cost in the budget's currency (a percentage is costed on the customer's expected order value). */
  readonly cost: number;
}

/**
 * Expected incremental value of contacting one customer: P(churn) x CLV x uplift - incentive cost.
 * Uplift is the change the message makes to the probability of keeping the customer, so
 * P(churn) x CLV is the value at stake and uplift the share of it the message wins back.
 */
export function expectedValue(input: { readonly churn: number; readonly clv: number; readonly uplift: number; readonly cost: number }): number {
  return input.churn * input.clv * input.uplift - input.cost;
}

export interface LadderChoice {
  readonly option: IncentiveOption;
  readonly uplift: number;
  readonly expectedValue: number;
}

/**
 * The smallest ladder step with a positive expected value, or undefined when none has one.
 * Steps are tried in ascending order; `upliftAt` gives the uplift with that step's incentive (a
 * model that knows the incentive gains uplift with bigger steps; one that does not gives the same
 * uplift for all, and the smallest step, the cheapest, wins whenever any does).
 */
export function ladderStep(
  options: readonly IncentiveOption[],
  value: { readonly churn: number; readonly clv: number },
  upliftAt: (option: IncentiveOption) => number,
): LadderChoice | undefined {
  for (const option of [...options].sort((a, b) => a.step - b.step)) {
    const uplift = upliftAt(option);
    const ev = expectedValue({ ...value, uplift, cost: option.cost });
    if (ev > 0) return { option, uplift, expectedValue: ev };
  }
  return undefined;
}

/** One scored candidate of a campaign. */
export interface ScoredCandidate {
  readonly customerId: string;
  readonly churn: number;
  /** Absent when no uplift model is used (targeting by churn without one). */
  readonly uplift?: number;
  /** Absent when no uplift is known. */
  readonly expectedValue?: number;
  /** Incentive cost committed if this customer is treated (0 without incentives). */
  readonly cost: number;
}

/** The number the ranking sorts on, larger first. */
export function rankingKey(c: ScoredCandidate, by: TargetingBy): number {
  if (by === 'churn') return c.churn;
  const v = by === 'uplift' ? c.uplift : c.expectedValue;
  if (v === undefined) throw new RangeError(`candidate ${c.customerId} has no ${by} score`);
  return v;
}

/** Larger key first; equal keys by customer id, so every run, page and campaign agrees on the order. */
export function compareRanked(a: { key: number; customerId: string }, b: { key: number; customerId: string }): number {
  if (a.key !== b.key) return b.key - a.key;
  return a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;
}

export type TargetingSize = { readonly top: number } | { readonly count: number };

/** How many of n ranked candidates a `top` share or a `count` keeps (a share rounds to the nearest). */
export function targetCount(size: TargetingSize, n: number): number {
  if ('count' in size) return Math.min(n, size.count);
  return Math.min(n, Math.round(size.top * n));
}

export interface RankedCandidate<C extends ScoredCandidate = ScoredCandidate> {
  readonly candidate: C;
  readonly key: number;
  /** 1-based position in the ranking of the whole eligible audience (holdout included). */
  readonly rank: number;
}

export function rankCandidates<C extends ScoredCandidate>(candidates: readonly C[], by: TargetingBy): RankedCandidate<C>[] {
  return candidates
    .map((candidate) => ({ candidate, key: rankingKey(candidate, by), customerId: candidate.customerId }))
    .sort(compareRanked)
    .map(({ candidate, key }, i) => ({ candidate, key, rank: i + 1 }));
}

export type CutReason = 'below-cut' | 'not-positive' | 'budget';

export interface CutResult<C extends ScoredCandidate = ScoredCandidate> {
  readonly selected: RankedCandidate<C>[];
  readonly dropped: Array<RankedCandidate<C> & { readonly why: CutReason }>;
  /** Incentive cost of the selected treatment customers. */
  readonly plannedSpend: number;
}

/**
 * The targeted slice: the first `size` of the ranking, then (expected-value targeting) only the
 * positive ones, then the budget. The holdout was drawn before: `isHoldout` is the sticky
 * assignment of every candidate, targeted or not, and a holdout customer costs nothing but
 * stays in the slice, so that within the slice treated and held-out customers remain a
 * randomized comparison.
 *
 * The budget cut is a cut by rank, not a skip: walking down the ranking, the first treatment
 * customer whose incentive no longer fits ends the slice for everyone below it, holdout included.
 * Skipping only the treated customers who do not fit would keep their held-out twins and bias
 * the comparison; a rank cut depends on the groups of the customers above, never on one's own.
 */
export function cutRanking<C extends ScoredCandidate>(
  ranked: readonly RankedCandidate<C>[],
  opts: {
    readonly size: TargetingSize;
    readonly by: TargetingBy;
    readonly budgetLeft: number;
    readonly isHoldout: (customerId: string) => boolean;
    /**
     * What a `top` share is of: the eligible audience, including members that could not be ranked
     * (not scored yet, no positive ladder step, won by another campaign). Default: the ranking.
     */
    readonly audienceSize?: number;
  },
): CutResult<C> {
  const n = Math.min(ranked.length, targetCount(opts.size, opts.audienceSize ?? ranked.length));
  const selected: RankedCandidate<C>[] = [];
  const dropped: Array<RankedCandidate<C> & { why: CutReason }> = [];
  let spend = 0;
  let budgetHit = false;
  for (const r of ranked) {
    if (r.rank > n) {
      dropped.push({ ...r, why: 'below-cut' });
      continue;
    }
    if (opts.by === 'expected-value' && !(r.key > 0)) {
      dropped.push({ ...r, why: 'not-positive' });
      continue;
    }
    const cost = opts.isHoldout(r.candidate.customerId) ? 0 : r.candidate.cost;
    if (budgetHit || spend + cost > opts.budgetLeft + 1e-9) {
      budgetHit = true;
      dropped.push({ ...r, why: 'budget' });
      continue;
    }
    spend += cost;
    selected.push(r);
  }
  return { selected, dropped, plannedSpend: spend };
}

/** One campaign's bid for a customer in arbitration. */
export interface Bid {
  readonly campaignId: string;
  /** Expected incremental value of this campaign for this customer. */
  readonly value: number;
}

export interface Arbitration {
  readonly winner: Bid;
  readonly runnerUp?: Bid;
}

/**
 * The campaign with the highest expected incremental value wins; a tie goes to the smaller
 * campaign id, so every campaign computing the same bids reaches the same decision without
 * talking to the others. Undefined when nobody bids.
 */
export function arbitrate(bids: readonly Bid[]): Arbitration | undefined {
  const sorted = [...bids].sort((a, b) => (a.value !== b.value ? b.value - a.value : a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0));
  const [winner, runnerUp] = sorted;
  if (!winner) return undefined;
  return { winner, ...(runnerUp ? { runnerUp } : {}) };
}

/** Currency amounts as integer minor units (hundredths), so budget sums never drift. */
export const toMinorUnits = (amount: number): number => Math.round(amount * 100);
