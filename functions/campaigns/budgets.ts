import { toMinorUnits, type IncentiveOption } from '../../models/targeting.js';
import { getBudget, reserveBudget, type BudgetReservation } from '../store/budgets.js';
import type { BudgetPeriod } from './definition/targeting.js';
import type { CampaignDefinition, CouponReward } from './definition/schema.js';
import type { SendReasons } from './reasons.js';

/**
 * Incentive budgets: what a recipient's incentive costs, which budget period a time falls in, and
 * the exactly-once commitment of a treated recipient's incentive (functions/store/budgets.ts).
 *
 * What counts: the coupon's value (an amount off at face value; a percent off at that share of
 * the customer's expected order value) plus points at the budget's `pointValue`. A coupon is
 * counted when the journey is started, at its full value, whether or not it is later redeemed
 * or even sent (a send skipped at send time keeps its commitment): the budget is a cap on what
 * the campaign may give away, so it errs on the side of spending less.
 */
export function budgetPeriod(period: BudgetPeriod, at: Date): string {
  const day = at.toISOString().slice(0, 10);
  if (period === 'day') return day;
  if (period === 'month') return day.slice(0, 7);
  // The Monday of the week (UTC).
  const monday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - ((at.getUTCDay() + 6) % 7)));
  return `week-${monday.toISOString().slice(0, 10)}`;
}

const pointsCost = (campaign: CampaignDefinition): number => (campaign.rewards?.points?.amount ?? 0) * (campaign.budget?.pointValue ?? 0.01);

/**
 * The incentives a recipient may be given, with their costs: one per ladder step, ascending, or
 * the campaign's fixed coupon, or none (points alone, or nothing). Points are added to every option.
 */
export function incentiveOptions(campaign: CampaignDefinition, expectedOrderValue: number): IncentiveOption[] {
  const points = pointsCost(campaign);
  const couponCost = (value: number, unit: 'amount' | 'percent'): number => (unit === 'amount' ? value : (value / 100) * expectedOrderValue);
  if (campaign.incentive) {
    const unit = campaign.incentive.unit;
    return campaign.incentive.ladder.map((step) => ({ step, cost: couponCost(step, unit) + points }));
  }
  const coupon = campaign.rewards?.coupon;
  if (coupon?.amountOff !== undefined) return [{ step: coupon.amountOff, cost: coupon.amountOff + points }];
  if (coupon?.percentOff !== undefined) return [{ step: coupon.percentOff, cost: couponCost(coupon.percentOff, 'percent') + points }];
  return points > 0 ? [{ step: 0, cost: points }] : [];
}

/** What is left of the campaign's budget in the period containing `now` (Infinity without a budget). */
export async function budgetLeft(table: string, campaign: CampaignDefinition, now: Date): Promise<number> {
  if (!campaign.budget) return Infinity;
  const state = await getBudget(table, campaign.id, budgetPeriod(campaign.budget.period, now));
  return Math.max(0, toMinorUnits(campaign.budget.amount) - state.spentMinor) / 100;
}

/**
 * Commits a treated recipient's incentive against the budget, once per commitment id (the
 * journey's execution name, so a retried page or a duplicated start counts it once).
 */
export async function commitIncentive(
  table: string,
  campaign: CampaignDefinition,
  input: { readonly commitmentId: string; readonly cost: number; readonly now: Date },
): Promise<BudgetReservation> {
  if (!campaign.budget) return { reserved: true, duplicate: false, spentMinor: 0 };
  return reserveBudget(table, {
    campaignId: campaign.id,
    period: budgetPeriod(campaign.budget.period, input.now),
    commitmentId: input.commitmentId,
    amountMinor: toMinorUnits(input.cost),
    capMinor: toMinorUnits(campaign.budget.amount),
    now: input.now,
  });
}

/**
 * The coupon a ladder campaign issues to a recipient: the step its targeting plan chose (carried
 * in the journey's reasons). Undefined without a ladder or a chosen step (then rewards.coupon, if any).
 */
export function ladderCoupon(campaign: CampaignDefinition, reasons: SendReasons | undefined): CouponReward | undefined {
  const ladder = campaign.incentive;
  const step = reasons?.incentive?.step;
  if (!ladder || step === undefined) return undefined;
  const value = ladder.unit === 'amount' ? { amountOff: step, currency: ladder.currency! } : { percentOff: step };
  return { ...value, expiresInDays: ladder.expiresInDays, prefix: ladder.prefix };
}
