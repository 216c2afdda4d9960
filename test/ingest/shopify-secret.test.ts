import { InternalServiceError, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { resetClients, setClients } from '../../functions/commons/clients.js';
import { Config } from '../../functions/commons/config.js';
import { resetShopifySecret, shopifySecrets } from '../../functions/ingest/shopify/shopify-secret.js';
import { AuthenticationError, ConfigError, RetryableError } from '../../kernel/errors.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:winback-shopify-AbCdEf';
const config = (env: Record<string, string>): Config => Config.parse({ TABLE_NAME: 'winback-test', ...env });

/**
 * No Secrets Manager emulator runs locally: a real client answers GetSecretValue from a list
 * (a value, or an error to throw) in its own middleware, so only the network call is replaced.
 */
function secretsManagerAnswering(...answers: Array<string | Error>): string[] {
  const asked: string[] = [];
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    () => async (args) => {
      asked.push(String((args.input as { SecretId?: string }).SecretId));
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return { output: { $metadata: {}, SecretString: next }, response: {} };
    },
    { step: 'initialize', name: 'answerGetSecretValue' },
  );
  setClients({ secretsManager: client });
  return asked;
}

afterEach(() => {
  resetShopifySecret();
  resetClients();
});

describe('the Shopify webhook key', () => {
  it('comes from WINBACK_SHOPIFY_SECRET on the local stack (comma-separated keys allowed), without Secrets Manager', async () => {
    const asked = secretsManagerAnswering('unused');
    expect(await shopifySecrets(config({ WINBACK_SHOPIFY_SECRET: 'shpss_one, shpss_two', SHOPIFY_SECRET_ARN: ARN }))).toEqual(['shpss_one', 'shpss_two']);
    expect(asked).toEqual([]);
  });

  it('comes from the SHOPIFY_SECRET_ARN secret in AWS, fetched at most once per five minutes per container', async () => {
    // Prepare
    const asked = secretsManagerAnswering('shpss_first', 'shpss_put_later');
    const t0 = Date.parse('2026-05-01T12:00:00Z');
    // Act
    const first = await shopifySecrets(config({ SHOPIFY_SECRET_ARN: ARN }), t0);
    const cached = await shopifySecrets(config({ SHOPIFY_SECRET_ARN: ARN }), t0 + 4 * 60_000);
    const refreshed = await shopifySecrets(config({ SHOPIFY_SECRET_ARN: ARN }), t0 + 5 * 60_000);
    // Assess
    expect([first, cached, refreshed]).toEqual([['shpss_first'], ['shpss_first'], ['shpss_put_later']]);
    expect(asked).toEqual([ARN, ARN]);
  });

  it('answers 401 (AuthenticationError) when no key is configured, so unsigned traffic is never accepted', async () => {
    await expect(shopifySecrets(config({}))).rejects.toThrow(AuthenticationError);
    await expect(shopifySecrets(config({}))).rejects.toThrow(/WINBACK_SHOPIFY_SECRET/);
  });

  it('reports a missing secret as a configuration error and a failed read as retryable', async () => {
    secretsManagerAnswering(new ResourceNotFoundException({ message: 'gone', $metadata: {} }), new InternalServiceError({ message: 'try again', $metadata: {} }));
    await expect(shopifySecrets(config({ SHOPIFY_SECRET_ARN: ARN }))).rejects.toThrow(ConfigError);
    await expect(shopifySecrets(config({ SHOPIFY_SECRET_ARN: ARN }))).rejects.toThrow(RetryableError);
  });
});
