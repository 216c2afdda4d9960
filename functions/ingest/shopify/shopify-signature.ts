import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../../../kernel/errors.js';

/**
 * Shopify's webhook signature (shopify.dev, "Verify webhooks"): X-Shopify-Hmac-Sha256 is the
 * base64 HMAC-SHA256 of the raw body bytes, keyed with the app's client secret. Computed over the
 * bytes as received (a re-serialised JSON would differ) and compared in constant time.
 */
const digest = (body: Buffer | string, secret: string): Buffer => createHmac('sha256', secret).update(body).digest();

/** The X-Shopify-Hmac-Sha256 value Shopify sends for `body` (tests and tools sign with it). */
export const shopifyHmac = (body: Buffer | string, secret: string): string => digest(body, secret).toString('base64');

const DIGEST_BYTES = 32;

export function verifyShopifyHmac(body: Buffer, signature: string | undefined, secrets: readonly string[]): void {
  if (!signature) throw new AuthenticationError('missing X-Shopify-Hmac-Sha256 header: the request is not signed by Shopify');
  const given = Buffer.from(signature.trim(), 'base64');
  let valid = false;
  for (const secret of secrets) {
    const expected = digest(body, secret);
    // Every secret is tried (no early exit), so the time taken says nothing about which matched.
    if (given.length === DIGEST_BYTES && timingSafeEqual(given, expected)) valid = true;
  }
  if (!valid) throw new AuthenticationError('X-Shopify-Hmac-Sha256 does not match the body: wrong secret, or the body was altered');
}
