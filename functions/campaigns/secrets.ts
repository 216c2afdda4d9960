import { createHmac } from 'node:crypto';
import { getConfig } from '../commons/config.js';
import { ConfigError } from '../commons/errors.js';

/**
 * The campaign HMAC keys, from configuration. Coupon codes use COUPON_SECRET, or a key derived
 * from UNSUBSCRIBE_SECRET with domain separation, so one secret can serve both without a code
 * ever being valid as a token signature or the other way round.
 */
export function unsubscribeSecret(): string {
  const secret = getConfig().UNSUBSCRIBE_SECRET;
  if (!secret) throw new ConfigError('UNSUBSCRIBE_SECRET is not configured (32+ characters); unsubscribe links cannot be signed or checked');
  return secret;
}

export function couponSecret(): string {
  const config = getConfig();
  if (config.COUPON_SECRET) return config.COUPON_SECRET;
  return createHmac('sha256', unsubscribeSecret()).update('winback-coupon-key-v1').digest('base64url');
}
