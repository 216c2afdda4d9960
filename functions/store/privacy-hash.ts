import { createHmac } from 'node:crypto';

/**
 * Keyed hashes of personal identifiers (customer ids, email addresses) for what winback keeps after
 * an erasure: the suppression list, erasure tombstones, logs. A keyed hash (HMAC), not a plain
 * one: an address or a user id is guessable, and a plain SHA-256 of a guessed value would confirm
 * it. The key is derived from the deployment's unsubscribe secret with domain separation (see
 * functions/campaigns/secrets.ts), so there is no further secret to provision; the caller passes it.
 */
export const PRIVACY_HASH_DOMAIN = 'winback-privacy-hash-v1';

export function privacyKey(unsubscribeSecret: string): string {
  return createHmac('sha256', unsubscribeSecret).update(PRIVACY_HASH_DOMAIN).digest('base64url');
}

/** `kind` keeps an email's hash from ever equalling a customer id's hash. */
export function privacyHash(key: string, kind: 'customer' | 'email' | 'request', value: string): string {
  return createHmac('sha256', key).update(`${kind}\u0000${value}`).digest('base64url');
}
