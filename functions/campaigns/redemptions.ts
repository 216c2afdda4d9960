import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { logger } from '../commons/logger.js';
import { CouponAlreadyRedeemedError, CouponExpiredError, CouponNotFoundError } from './errors.js';
import { redeemCoupon } from './rewards.js';

/**
 * Redeems the winback coupons that placed orders carry. The shop has already accepted the code at
 * checkout; winback records the redemption (single use, attributed to the order) so campaigns can
 * report it. Codes winback never issued (the shop's own promotions) are counted and left alone;
 * a code reused on a second order or used after expiry is counted and logged, never fatal: the
 * order itself is stored either way. Redeeming again for the same order is a no-op, so queue
 * redeliveries converge.
 */
export type RedemptionOutcome = 'redeemed' | 'not-issued' | 'already-redeemed' | 'expired';

export async function redeemOrderCoupons(table: string, events: readonly StoredEvent[]): Promise<Partial<Record<RedemptionOutcome, number>>> {
  const outcomes: Partial<Record<RedemptionOutcome, number>> = {};
  const tally = (o: RedemptionOutcome): void => {
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  };
  for (const e of events) {
    const order = e.order;
    if (e.kind !== 'order' || !order || order.status !== 'placed' || !order.couponCode) continue;
    try {
      // Validity is judged at the order's time, not at processing time: a queue delay must not expire it.
      await redeemCoupon(table, order.couponCode, order.orderId, new Date(e.timestamp));
      tally('redeemed');
    } catch (error) {
      if (error instanceof CouponNotFoundError) tally('not-issued');
      else if (error instanceof CouponAlreadyRedeemedError) {
        tally('already-redeemed');
        logger.warn('coupon already redeemed by another order', { orderId: order.orderId, firstOrderId: error.redeemedBy });
      } else if (error instanceof CouponExpiredError) {
        tally('expired');
        logger.warn('expired coupon used', { orderId: order.orderId });
      } else throw error;
    }
  }
  return outcomes;
}
