import { describe, expect, it } from 'vitest';
import {
  couponCode,
  creditPoints,
  getCoupon,
  issueCoupon,
  normalizeCouponCode,
  redeemCoupon,
} from '../../functions/campaigns/rewards.js';
import { pointsBalance } from '../../functions/store/rewards.js';
import { CouponAlreadyRedeemedError, CouponExpiredError, CouponNotFoundError } from '../../functions/campaigns/errors.js';
import { useLocalStack } from '../helpers/stack.js';
import { TEST_SECRET, useCampaignEnvironment } from './domain-helpers.js';

useCampaignEnvironment();
const stackOf = useLocalStack();

const reward = { percentOff: 20, expiresInDays: 14, prefix: 'WB20' };
const now = new Date('2026-03-01T12:00:00Z');

describe('coupons', () => {
  it('codes are deterministic per entry, distinct across entries, and not guessable without the secret', () => {
    const a = couponCode('WB20', 'winback', 'c-1', 'e-1', TEST_SECRET);
    expect(a).toMatch(/^WB20-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(couponCode('WB20', 'winback', 'c-1', 'e-1', TEST_SECRET)).toBe(a);
    expect(couponCode('WB20', 'winback', 'c-1', 'e-2', TEST_SECRET)).not.toBe(a);
    expect(couponCode('WB20', 'winback', 'c-1', 'e-1', `${TEST_SECRET}x`)).not.toBe(a);
    const many = new Set(Array.from({ length: 5000 }, (_, i) => couponCode('WB20', 'winback', `c-${i}`, 'e', TEST_SECRET)));
    expect(many.size).toBe(5000);
    expect(normalizeCouponCode(` ${a.toLowerCase()} `)).toBe(a);
  });

  it('issuing twice for the same entry returns the same stored coupon', async () => {
    const table = stackOf().tableName;
    const first = await issueCoupon({ table, campaignId: 'winback', customerId: 'c-1', entryId: 'e-1', reward, now });
    const again = await issueCoupon({ table, campaignId: 'winback', customerId: 'c-1', entryId: 'e-1', reward, now: new Date(now.getTime() + 60_000) });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ percentOff: 20, validUntil: '2026-03-15T12:00:00.000Z' });
    expect(await getCoupon(table, first.code)).toEqual(first);
  });

  it('redeems once: the same order again is a no-op, another order is refused', async () => {
    const table = stackOf().tableName;
    const coupon = await issueCoupon({ table, campaignId: 'winback', customerId: 'c-2', entryId: 'e-1', reward, now });
    const redeemed = await redeemCoupon(table, coupon.code.toLowerCase(), 'order-1', new Date('2026-03-02T00:00:00Z'));
    expect(redeemed).toMatchObject({ code: coupon.code, orderId: 'order-1', redeemedAt: '2026-03-02T00:00:00.000Z' });
    expect(await redeemCoupon(table, coupon.code, 'order-1', new Date('2026-03-03T00:00:00Z'))).toEqual(redeemed);
    await expect(redeemCoupon(table, coupon.code, 'order-2', new Date('2026-03-03T00:00:00Z'))).rejects.toBeInstanceOf(CouponAlreadyRedeemedError);
    // concurrent redemptions by different orders: exactly one wins
    const other = await issueCoupon({ table, campaignId: 'winback', customerId: 'c-3', entryId: 'e-1', reward, now });
    const outcomes = await Promise.allSettled(['o-a', 'o-b', 'o-c', 'o-d'].map((o) => redeemCoupon(table, other.code, o, now)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof CouponAlreadyRedeemedError)).toHaveLength(3);
  });

  it('refuses expired and unknown codes', async () => {
    const table = stackOf().tableName;
    const coupon = await issueCoupon({ table, campaignId: 'winback', customerId: 'c-4', entryId: 'e-1', reward, now });
    await expect(redeemCoupon(table, coupon.code, 'o-1', new Date('2026-03-16T00:00:00Z'))).rejects.toBeInstanceOf(CouponExpiredError);
    await expect(redeemCoupon(table, 'WB20-00000-00000', 'o-1', now)).rejects.toBeInstanceOf(CouponNotFoundError);
  });
});

describe('points ledger', () => {
  it('credits once per entry and sums the balance', async () => {
    const table = stackOf().tableName;
    const credit = (entryId: string, amount: number) => creditPoints({ table, customerId: 'p-1', entryId, amount, campaignId: 'thanks', now });
    expect(await pointsBalance(table, 'p-1')).toBe(0);
    expect(await credit('thanks#e-1', 100)).toEqual({ credited: true });
    expect(await credit('thanks#e-1', 100)).toEqual({ credited: false });
    const concurrent = await Promise.all([credit('tier#e-1', 50), credit('tier#e-1', 50), credit('tier#e-1', 50)]);
    expect(concurrent.filter((c) => c.credited)).toHaveLength(1);
    await credit('redeem#o-9', -30);
    expect(await pointsBalance(table, 'p-1')).toBe(120);
    await expect(credit('bad', 1.5)).rejects.toThrow(/integer/);
  });
});
