import { createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../commons/clients.js';
import { getConfig } from '../commons/config.js';
import { ConfigError } from '../../kernel/errors.js';

/**
 * The campaign HMAC keys. Coupon codes use COUPON_SECRET, or a key derived from the unsubscribe
 * key with domain separation, so one secret can serve both without a code ever being valid as a
 * token signature or the other way round.
 *
 * Where the unsubscribe key comes from:
 *  - UNSUBSCRIBE_SECRET (the local stack, tests): used as is;
 *  - else UNSUBSCRIBE_SECRET_ARN (AWS): fetched from Secrets Manager by `loadSecrets()`, which the
 *    handlers that sign or verify tokens or derive coupon codes await first. The value is kept for
 *    the life of the container: the key is never rotated (that would break every link already in
 *    an inbox), so there is nothing to refresh, and one GetSecretValue per cold start costs nothing.
 * The getters stay synchronous, so the token and coupon code paths do not change shape.
 */

const MIN_SECRET_LENGTH = 32;

/**
 * Secrets Manager answers that mean the deployment is wrong (no such secret, no permission, secret
 * scheduled for deletion, key unusable): a retry will not help, so they surface as ConfigError.
 * Anything else (throttling, network) propagates as the SDK threw it.
 */
const MISCONFIGURED = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'InvalidRequestException', 'DecryptionFailure']);

/** The fetched key, with the ARN it came from (a different ARN after resetConfig() fetches again). */
let loaded: { readonly arn: string; readonly value: string } | undefined;
/** A fetch under way, shared by concurrent callers (the local runtime can run handlers concurrently). */
let pending: { readonly arn: string; readonly value: Promise<string> } | undefined;

async function fetchSecret(arn: string): Promise<string> {
  let value: string | undefined;
  try {
    ({ SecretString: value } = await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: arn })));
  } catch (error) {
    if (error instanceof Error && MISCONFIGURED.has(error.name)) {
      throw new ConfigError(`the unsubscribe secret ${arn} cannot be read (${error.name}): unsubscribe links cannot be signed or checked`, { cause: error });
    }
    throw error;
  }
  // The value itself never goes into a message.
  if (!value) throw new ConfigError(`the unsubscribe secret ${arn} has no string value: unsubscribe links cannot be signed or checked`);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`the unsubscribe secret ${arn} is shorter than ${MIN_SECRET_LENGTH} characters: unsubscribe links cannot be signed safely`);
  }
  return value;
}

/**
 * Makes the unsubscribe key available to the synchronous getters: a no-op when UNSUBSCRIBE_SECRET
 * is set, when no ARN is configured (the getters then raise the usual ConfigError), or when the
 * key is already loaded. A failed fetch is not cached: the next invocation tries again.
 */
export async function loadSecrets(): Promise<void> {
  const config = getConfig();
  const arn = config.UNSUBSCRIBE_SECRET_ARN;
  if (config.UNSUBSCRIBE_SECRET || !arn || loaded?.arn === arn) return;
  if (pending?.arn !== arn) pending = { arn, value: fetchSecret(arn) };
  const attempt = pending;
  try {
    loaded = { arn, value: await attempt.value };
  } finally {
    if (pending === attempt) pending = undefined;
  }
}

/** For tests: forget the fetched key (the next loadSecrets() fetches again). */
export function resetSecrets(): void {
  loaded = undefined;
  pending = undefined;
}

export function unsubscribeSecret(): string {
  const config = getConfig();
  if (config.UNSUBSCRIBE_SECRET) return config.UNSUBSCRIBE_SECRET;
  if (config.UNSUBSCRIBE_SECRET_ARN) {
    if (loaded?.arn === config.UNSUBSCRIBE_SECRET_ARN) return loaded.value;
    throw new ConfigError('UNSUBSCRIBE_SECRET_ARN is set but the secret is not loaded: the handler must await loadSecrets() before signing or checking unsubscribe links');
  }
  throw new ConfigError('UNSUBSCRIBE_SECRET is not configured (32+ characters) and neither is UNSUBSCRIBE_SECRET_ARN; unsubscribe links cannot be signed or checked');
}

export function couponSecret(): string {
  const config = getConfig();
  if (config.COUPON_SECRET) return config.COUPON_SECRET;
  return createHmac('sha256', unsubscribeSecret()).update('winback-coupon-key-v1').digest('base64url');
}
