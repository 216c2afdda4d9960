import { z } from 'zod';

/**
 * The targeting, budget and incentive-ladder blocks of a campaign definition (the YAML reference):
 *
 *   targeting: { by: expected-value, top: 0.3 }        # or count: 500; by: churn | uplift | expected-value
 *   budget: { amount: 500, currency: GBP, period: month }
 *   incentive: { ladder: [5, 10, 15, 20], unit: amount, currency: GBP, expiresInDays: 14, prefix: WBL }
 */
const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "GBP"');

export const Targeting = z
  .strictObject({
    by: z.enum(['churn', 'uplift', 'expected-value'], { error: 'targeting.by must be churn, uplift or expected-value' }),
    /** Share of the eligible audience (holdout included) to keep, best first: 0 < top <= 1. */
    top: z.number().gt(0, 'top is a share of the audience: above 0, at most 1').max(1, 'top is a share of the audience: above 0, at most 1').optional(),
    /** Number of customers to keep, best first. */
    count: z.number().int().positive().optional(),
  })
  .refine((t) => (t.top === undefined) !== (t.count === undefined), { message: 'targeting needs exactly one of top (a share) or count' });
export type Targeting = z.infer<typeof Targeting>;

export const BudgetPeriod = z.enum(['day', 'week', 'month']);
export type BudgetPeriod = z.infer<typeof BudgetPeriod>;

export const Budget = z.strictObject({
  /** The most incentives (coupon values, points at `pointValue`) the campaign commits per period. */
  amount: z.number().positive(),
  currency: Currency,
  /** Calendar periods in UTC; a week starts on Monday. */
  period: BudgetPeriod.default('month'),
  /** What one loyalty point costs in `currency` (points rewards count against the budget at this rate). */
  pointValue: z.number().nonnegative().default(0.01),
});
export type Budget = z.infer<typeof Budget>;

export const Incentive = z
  .strictObject({
    /** Coupon sizes to choose from, ascending: each recipient gets the smallest with a positive expected value. */
    ladder: z.array(z.number().positive()).min(1, 'a ladder needs at least one step').max(20),
    /** amount: currency off (needs currency); percent: percent off, costed on the customer's expected order value. */
    unit: z.enum(['amount', 'percent']).default('amount'),
    currency: Currency.optional(),
    expiresInDays: z.number().int().positive().max(366),
    prefix: z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be 2-12 upper-case letters or digits'),
  })
  .superRefine((i, ctx) => {
    if (i.ladder.some((s, k) => k > 0 && s <= i.ladder[k - 1]!)) ctx.addIssue({ code: 'custom', path: ['ladder'], message: 'ladder steps must be strictly ascending, e.g. [5, 10, 15, 20]' });
    if (i.unit === 'amount' && i.currency === undefined) ctx.addIssue({ code: 'custom', path: ['currency'], message: 'an amount ladder needs a currency' });
    if (i.unit === 'percent' && i.ladder.some((s) => s > 100)) ctx.addIssue({ code: 'custom', path: ['ladder'], message: 'percent steps must be at most 100' });
  });
export type Incentive = z.infer<typeof Incentive>;

/** The checks across blocks, run by the campaign schema's superRefine. */
export function targetingIssues(c: {
  readonly trigger: { readonly type: string };
  readonly transactional: boolean;
  readonly targeting?: Targeting;
  readonly budget?: Budget;
  readonly incentive?: Incentive;
  readonly rewards?: { readonly coupon?: { readonly currency?: string | undefined } | undefined } | undefined;
}): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const needsRanking = c.targeting !== undefined || c.budget !== undefined || c.incentive !== undefined;
  // A top share or count and a budget cut by rank need the whole audience at once: a schedule run.
  if (needsRanking && c.trigger.type !== 'schedule') {
    const block = c.targeting ? 'targeting' : c.budget ? 'budget' : 'incentive';
    issues.push({ path: [block], message: `${block} ranks the whole audience of a run, so it needs a schedule trigger (this one is ${c.trigger.type})` });
  }
  if (needsRanking && c.transactional) issues.push({ path: ['transactional'], message: 'transactional mail is not targeted, budgeted or arbitrated' });
  if ((c.budget || c.incentive) && !c.targeting) {
    issues.push({ path: [c.budget ? 'budget' : 'incentive'], message: 'a budget or an incentive ladder needs a targeting block (it spends down the ranking)' });
  }
  if (c.incentive && c.rewards?.coupon) issues.push({ path: ['incentive'], message: 'use either incentive (a ladder) or rewards.coupon (a fixed coupon), not both' });
  const couponCurrency = c.incentive?.unit === 'amount' ? c.incentive.currency : c.rewards?.coupon?.currency;
  if (c.budget && couponCurrency && couponCurrency !== c.budget.currency) {
    issues.push({ path: ['budget', 'currency'], message: `the budget is in ${c.budget.currency} but coupons are in ${couponCurrency}` });
  }
  return issues;
}
