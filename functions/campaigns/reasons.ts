import { z } from 'zod';

/**
 * Why a targeted campaign picked a customer, carried in the journey input and kept on every
 * ledger entry of the entry (holdout included): the scores, the uplift, the expected value, the
 * coupon step and the arbitration between campaigns. Numbers and campaign ids only: no personal data.
 */
export const Bid = z.object({ campaignId: z.string(), value: z.number() });
export type Bid = z.infer<typeof Bid>;

export const SendReasons = z.object({
  by: z.enum(['churn', 'uplift', 'expected-value']),
  /** 1-based rank in the run's eligible audience (holdout included), after arbitration. */
  rank: z.number().int().positive(),
  churn: z.number(),
  clv: z.number(),
  uplift: z.number().optional(),
  expectedValue: z.number().optional(),
  /** Incentive cost committed for a treated customer (coupon value + points), budget currency. */
  cost: z.number(),
  /** The coupon chosen from the ladder. */
  incentive: z.object({ step: z.number(), unit: z.enum(['amount', 'percent']), currency: z.string().optional() }).optional(),
  /** The uplift model version the uplift came from. */
  upliftModel: z.string().optional(),
  /** Campaigns that wanted the same customer: the winner (this campaign) and the runner-up. */
  decision: z.object({ winner: Bid, runnerUp: Bid.optional() }).optional(),
});
export type SendReasons = z.infer<typeof SendReasons>;
