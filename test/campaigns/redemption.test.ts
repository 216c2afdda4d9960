import { describe, expect, it } from 'vitest';
import { getCoupon, issueCoupon } from '../../functions/campaigns/rewards.js';
import { countEvents } from '../../functions/store/events.js';
import { post, useLocalStack } from '../helpers/stack.js';

/** Orders arriving through the ingest API redeem the winback coupons they carry, once. */
const stack = useLocalStack();
const SECRET = 'redemption-test-secret-0123456789abcdef';

function order(orderId: string, couponCode: string | undefined, timestamp: string, status = 'placed'): Record<string, unknown> {
  return {
    orderId,
    status,
    customerId: 'cust-redeem',
    currency: 'GBP',
    total: 80,
    discount: 20,
    ...(couponCode ? { couponCode } : {}),
    items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
    timestamp,
  };
}

async function issue(entryId: string, now: string): Promise<string> {
  const coupon = await issueCoupon({
    table: stack().tableName,
    campaignId: 'high-value-winback',
    customerId: 'cust-redeem',
    entryId,
    reward: { percentOff: 20, expiresInDays: 14, prefix: 'WB20' },
    now: new Date(now),
    secret: SECRET,
  });
  return coupon.code;
}

async function send(body: unknown): Promise<void> {
  const res = await post(stack(), '/v1/orders', body);
  expect(res.status).toBe(200);
  await stack().drain({ timeoutMs: 30_000 });
}

describe('coupon redemption from ingested orders', () => {
  it('a placed order redeems its coupon for that order; redelivery and a second order leave it so', async () => {
    const code = await issue('entry-1', '2026-03-01T00:00:00Z');
    // Lower case and without dashes, as shoppers type it: the code is normalised.
    await send(order('o-1', code.toLowerCase(), '2026-03-05T12:00:00Z'));
    const redeemed = await getCoupon(stack().tableName, code);
    expect(redeemed?.orderId).toBe('o-1');
    expect(redeemed?.redeemedAt).toBe('2026-03-05T12:00:00.000Z');

    await send(order('o-1', code, '2026-03-05T12:00:00Z'));
    await send(order('o-2', code, '2026-03-06T12:00:00Z'));
    expect((await getCoupon(stack().tableName, code))?.orderId).toBe('o-1');
    // Both orders are stored all the same: the shop took them.
    const counts = await countEvents(stack().tableName);
    expect(counts.byKind['order']).toBe(2);
  });

  it('judges expiry at the order time, and ignores codes winback never issued', async () => {
    const code = await issue('entry-2', '2026-04-01T00:00:00Z');
    await send(order('o-3', 'SHOP-SUMMER-10', '2026-04-02T00:00:00Z'));
    await send(order('o-4', code, '2026-04-20T00:00:00Z'));
    const late = await getCoupon(stack().tableName, code);
    expect(late?.redeemedAt).toBeUndefined();
    await send(order('o-5', code, '2026-04-10T00:00:00Z'));
    expect((await getCoupon(stack().tableName, code))?.orderId).toBe('o-5');
  });

  it('only placed orders redeem', async () => {
    const code = await issue('entry-3', '2026-05-01T00:00:00Z');
    await send(order('o-6', code, '2026-05-02T00:00:00Z', 'cancelled'));
    expect((await getCoupon(stack().tableName, code))?.redeemedAt).toBeUndefined();
  });
});
