import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../../commons/clients.js';
import type { Config } from '../../commons/config.js';
import { AuthenticationError, ConfigError, RetryableError } from '../../../kernel/errors.js';

/**
 * The keys Shopify webhooks may be signed with: WINBACK_SHOPIFY_SECRET (the local stack), else
 * the value of the SHOPIFY_SECRET_ARN secret (AWS), which the user puts there with
 * `aws secretsmanager put-secret-value`. The fetched value is kept five minutes per container, so
 * a new value takes effect within five minutes without a deployment, at one GetSecretValue per
 * container every five minutes at most.
 */
const CACHE_MS = 5 * 60_000;

let cached: { readonly arn: string; readonly values: readonly string[]; readonly at: number } | undefined;

const split = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

async function fetchSecret(arn: string): Promise<string[]> {
  try {
    const { SecretString } = await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: arn }));
    return split(SecretString ?? '');
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'DecryptionFailure') {
      throw new ConfigError(`the Shopify webhook secret ${arn} cannot be read (${name})`, { cause: error });
    }
    throw new RetryableError('could not read the Shopify webhook secret; retry the request', { cause: error });
  }
}

export async function shopifySecrets(config: Config, now: number = Date.now()): Promise<readonly string[]> {
  const values = config.WINBACK_SHOPIFY_SECRET
    ? split(config.WINBACK_SHOPIFY_SECRET)
    : config.SHOPIFY_SECRET_ARN
      ? await cachedSecret(config.SHOPIFY_SECRET_ARN, now)
      : [];
  if (values.length === 0) {
    throw new AuthenticationError(
      'Shopify webhooks are not enabled: no secret is configured (WINBACK_SHOPIFY_SECRET on the local stack, the ShopifyWebhookSecret in AWS)',
    );
  }
  return values;
}

async function cachedSecret(arn: string, now: number): Promise<readonly string[]> {
  if (cached?.arn === arn && now - cached.at < CACHE_MS) return cached.values;
  const values = await fetchSecret(arn);
  cached = { arn, values, at: now };
  return values;
}

/** For tests: forget the fetched value. */
export function resetShopifySecret(): void {
  cached = undefined;
}
