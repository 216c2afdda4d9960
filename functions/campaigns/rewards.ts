import { createHmac } from 'node:crypto';
import { ValidationError } from '../../kernel/errors.js';
import { insertCoupon, insertPointsEntry, markCouponRedeemed, readCoupon, type Coupon } from '../store/rewards.js';
import type { CouponReward } from './definition/schema.js';
import { CouponAlreadyRedeemedError, CouponCollisionError, CouponExpiredError, CouponNotFoundError } from './errors.js';
import { couponSecret } from './secrets.js';

/**
 * Rewards: single-use coupon codes and a loyalty points ledger.
 *
 * Coupon codes are deterministic per (campaign, customer, entry), so a retried step issues the
 * same code instead of a second one, and unguessable: 50 bits of an HMAC under a secret key,
 * in Crockford base32 (no I, L, O, U), after the campaign's prefix: `WB20-7K3QF-XM2PA`.
 * Stored as `COUPON#<code>` with a conditional write; redeemed once with a conditional update.
 */
export type { Coupon };

const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Coupons stay in the table this long after they stop being valid (reports), then TTL removes them. */
const KEEP_AFTER_EXPIRY_DAYS = 365;

function base32(bytes: Buffer, chars: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length >= chars) break;
  }
  return out;
}

/** The code for one entry (pure: same inputs and secret, same code). */
export function couponCode(prefix: string, campaignId: string, customerId: string, entryId: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(`coupon-v1\u0000${campaignId}\u0000${customerId}\u0000${entryId}`).digest();
  const body = base32(mac, 10);
  return `${prefix}-${body.slice(0, 5)}-${body.slice(5)}`;
}

/** Upper-case, and the base32 look-alikes folded (O->0, I/L->1), as a shop's coupon field should. */
export function normalizeCouponCode(code: string): string {
  const [prefix = '', ...rest] = code.trim().toUpperCase().split('-');
  return [prefix, ...rest.map((p) => p.replace(/O/g, '0').replace(/[IL]/g, '1'))].join('-');
}

export interface IssueCouponInput {
  readonly table: string;
  readonly campaignId: string;
  readonly customerId: string;
  readonly entryId: string;
  readonly reward: CouponReward;
  readonly now: Date;
  /** Default: COUPON_SECRET (or derived from UNSUBSCRIBE_SECRET). */
  readonly secret?: string;
}

/** Issues (or, on a retry, returns the already issued) coupon of one entry. */
export async function issueCoupon(input: IssueCouponInput): Promise<Coupon> {
  const code = couponCode(input.reward.prefix, input.campaignId, input.customerId, input.entryId, input.secret ?? couponSecret());
  const validUntil = new Date(input.now.getTime() + input.reward.expiresInDays * 86_400_000);
  const coupon: Coupon = {
    code,
    campaignId: input.campaignId,
    customerId: input.customerId,
    entryId: input.entryId,
    ...(input.reward.percentOff !== undefined ? { percentOff: input.reward.percentOff } : {}),
    ...(input.reward.amountOff !== undefined ? { amountOff: input.reward.amountOff } : {}),
    ...(input.reward.currency !== undefined ? { currency: input.reward.currency } : {}),
    issuedAt: input.now.toISOString(),
    validUntil: validUntil.toISOString(),
  };
  const keepUntil = new Date(validUntil.getTime() + KEEP_AFTER_EXPIRY_DAYS * 86_400_000);
  if (await insertCoupon(input.table, coupon, keepUntil)) return coupon;
  const existing = await getCoupon(input.table, code);
  if (existing && existing.campaignId === input.campaignId && existing.customerId === input.customerId && existing.entryId === input.entryId) {
    return existing;
  }
  throw new CouponCollisionError(`coupon code ${code} already belongs to another entry`);
}

export async function getCoupon(table: string, code: string): Promise<Coupon | undefined> {
  return readCoupon(table, normalizeCouponCode(code));
}

/**
 * Redeems a coupon for an order, once: a conditional update that only succeeds on an unredeemed,
 * unexpired coupon. Redeeming again for the same order returns the coupon (an order event
 * redelivered); for another order it throws CouponAlreadyRedeemedError.
 */
export async function redeemCoupon(table: string, code: string, orderId: string, now: Date = new Date()): Promise<Coupon> {
  if (!orderId) throw new ValidationError('orderId is required to redeem a coupon', 'orderId');
  const normalized = normalizeCouponCode(code);
  const redeemed = await markCouponRedeemed(table, normalized, orderId, now);
  if (redeemed) return redeemed;
  const existing = await readCoupon(table, normalized);
  if (!existing) throw new CouponNotFoundError(`no coupon ${normalized}`);
  if (existing.redeemedAt !== undefined) {
    if (existing.orderId === orderId) return existing;
    throw new CouponAlreadyRedeemedError(normalized, existing.orderId ?? 'unknown');
  }
  throw new CouponExpiredError(`coupon ${normalized} expired at ${existing.validUntil}`);
}

/* ---------------------------------- points ---------------------------------- */

export interface PointsCredit {
  readonly table: string;
  readonly customerId: string;
  /** Idempotency key, unique across campaigns (e.g. the journey's execution name + step). */
  readonly entryId: string;
  /** Points; negative for a debit (a redemption). */
  readonly amount: number;
  readonly campaignId?: string;
  readonly reason?: string;
  readonly now: Date;
}

/**
 * Credits points to the customer's ledger (`pk C#<id>`, `sk PTS#<entryId>`), once per entry:
 * `credited: false` means this entry was already credited (a retry), and nothing changed.
 */
export async function creditPoints(input: PointsCredit): Promise<{ credited: boolean }> {
  if (!Number.isInteger(input.amount) || input.amount === 0) throw new ValidationError('points amount must be a non-zero integer', 'amount');
  const credited = await insertPointsEntry(input.table, {
    customerId: input.customerId,
    entryId: input.entryId,
    amount: input.amount,
    at: input.now.toISOString(),
    ...(input.campaignId ? { campaignId: input.campaignId } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
  });
  return { credited };
}
