import { createHmac } from 'node:crypto';
import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { couponSecret, loadSecrets, resetSecrets, unsubscribeSecret } from '../../functions/campaigns/secrets.js';
import { signToken } from '../../functions/campaigns/tokens.js';
import { resetClients, setClients } from '../../functions/commons/clients.js';
import { resetConfig } from '../../functions/commons/config.js';
import { ConfigError } from '../../kernel/errors.js';
import { unsubscribeHttp } from '../../functions/unsubscribe-http.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:winback-unsubscribe-AbCdEf';
const SECRET = 'sm-unsubscribe-secret-0123456789abcdef0123456789abcdef0123456789';

type Answer = Partial<GetSecretValueCommandOutput> | Error;

/**
 * There is no Secrets Manager emulator on the local stack, so the ARN path is tested against a
 * real SecretsManagerClient whose middleware stack answers GetSecretValue itself: the client's
 * own `send` (command, middleware, output shape) runs, only the network call is replaced by a
 * canned answer or error (fault injection, as test/campaigns/domain-send.test.ts does for SES).
 */
function cannedSecretsManager(answers: Answer[]): { calls: string[] } {
  const calls: string[] = [];
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    () => async (args) => {
      calls.push(String((args.input as { SecretId?: string }).SecretId));
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...answer }, response: {} };
    },
    { step: 'initialize', name: 'cannedGetSecretValue' },
  );
  setClients({ secretsManager: client });
  return { calls };
}

const ENV_KEYS = ['TABLE_NAME', 'UNSUBSCRIBE_SECRET', 'UNSUBSCRIBE_SECRET_ARN', 'COUPON_SECRET'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function useEnvironment(env: Partial<Record<(typeof ENV_KEYS)[number], string>>): void {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, { TABLE_NAME: 'winback-test' }, env);
  resetConfig();
}

const configErrorOf = async (fn: () => unknown): Promise<ConfigError> => {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

beforeEach(() => resetSecrets());
afterEach(() => {
  resetSecrets();
  resetClients();
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  resetConfig();
});

describe('the unsubscribe secret from Secrets Manager (UNSUBSCRIBE_SECRET_ARN)', () => {
  it('is fetched once per container: one GetSecretValue for any number of loads and getter uses', async () => {
    // Prepare
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: ARN });
    const sm = cannedSecretsManager([{ SecretString: SECRET }]);
    // Act: concurrent loads share one fetch; later loads find it cached.
    await Promise.all([loadSecrets(), loadSecrets(), loadSecrets()]);
    for (let i = 0; i < 5; i++) await loadSecrets();
    const values = Array.from({ length: 10 }, () => unsubscribeSecret());
    // Assess
    expect(sm.calls).toEqual([ARN]);
    expect(new Set(values)).toEqual(new Set([SECRET]));
    expect(couponSecret()).toBe(createHmac('sha256', SECRET).update('winback-coupon-key-v1').digest('base64url'));
  });

  it('verifies tokens in the unsubscribe handler, which loads the key before the first check', async () => {
    // Prepare
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: ARN });
    const sm = cannedSecretsManager([{ SecretString: SECRET }]);
    const claims = { customerId: 'c-1', email: 'ada@example.com', topic: 'marketing', exp: Date.now() / 1000 + 3600 };
    const get = (token: string) =>
      ({ rawPath: '/unsubscribe', queryStringParameters: { token }, requestContext: { http: { method: 'GET' } } }) as unknown as APIGatewayProxyEventV2;
    // Act: GET only confirms (no table access), so no DynamoDB is needed.
    const good = await unsubscribeHttp(get(signToken(claims, { secret: SECRET })));
    const forged = await unsubscribeHttp(get(signToken(claims, { secret: `${SECRET}-other` })));
    // Assess
    expect(good.statusCode).toBe(200);
    expect(good.body).toContain('a***@example.com');
    expect(forged.statusCode).toBe(403);
    expect(sm.calls).toEqual([ARN]);
  });

  it('is not fetched when UNSUBSCRIBE_SECRET is set (the local stack)', async () => {
    useEnvironment({ UNSUBSCRIBE_SECRET: 'env-unsubscribe-secret-0123456789abcdef', UNSUBSCRIBE_SECRET_ARN: ARN });
    const sm = cannedSecretsManager([{ SecretString: SECRET }]);
    await loadSecrets();
    expect(unsubscribeSecret()).toBe('env-unsubscribe-secret-0123456789abcdef');
    expect(sm.calls).toEqual([]);
  });

  it('raises ConfigError with a clear message for an empty, short or missing secret, and for a getter used before loading', async () => {
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: ARN });
    expect((await configErrorOf(() => unsubscribeSecret())).message).toMatch(/UNSUBSCRIBE_SECRET_ARN is set but the secret is not loaded: the handler must await loadSecrets\(\)/);

    cannedSecretsManager([{ SecretString: '' }]);
    expect((await configErrorOf(() => loadSecrets())).message).toBe(
      `the unsubscribe secret ${ARN} has no string value: unsubscribe links cannot be signed or checked`,
    );
    cannedSecretsManager([{ SecretBinary: new Uint8Array([1, 2, 3]) }]);
    expect((await configErrorOf(() => loadSecrets())).message).toMatch(/has no string value/);
    cannedSecretsManager([{ SecretString: 'too-short' }]);
    const short = await configErrorOf(() => loadSecrets());
    expect(short.message).toMatch(/is shorter than 32 characters/);
    expect(short.message).not.toContain('too-short');
    cannedSecretsManager([new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} })]);
    const missing = await configErrorOf(() => loadSecrets());
    expect(missing.message).toBe(`the unsubscribe secret ${ARN} cannot be read (ResourceNotFoundException): unsubscribe links cannot be signed or checked`);
    expect(missing.cause).toBeInstanceOf(ResourceNotFoundException);
    // Nothing failed was cached: the getter still says "not loaded".
    expect((await configErrorOf(() => unsubscribeSecret())).message).toMatch(/not loaded/);

    useEnvironment({});
    expect((await configErrorOf(() => unsubscribeSecret())).message).toMatch(/UNSUBSCRIBE_SECRET is not configured .* neither is UNSUBSCRIBE_SECRET_ARN/);
  });

  it('lets a server fault through as the SDK threw it (not cached): the next load fetches again', async () => {
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: ARN });
    const sm = cannedSecretsManager([new InternalServiceError({ message: 'An error occurred on the server side.', $metadata: {} }), { SecretString: SECRET }]);
    await expect(loadSecrets()).rejects.toBeInstanceOf(InternalServiceError);
    await loadSecrets();
    expect(unsubscribeSecret()).toBe(SECRET);
    expect(sm.calls).toEqual([ARN, ARN]);
  });

  it('rejects an UNSUBSCRIBE_SECRET_ARN that is not a Secrets Manager ARN', async () => {
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: 'winback-unsubscribe' });
    expect((await configErrorOf(() => loadSecrets())).message).toMatch(/UNSUBSCRIBE_SECRET_ARN must be a Secrets Manager secret ARN/);
  });

  it('sends a GetSecretValue for the configured ARN', async () => {
    // The command the fake answers is the SDK's own: its input names the secret by ARN, no version stage pinned.
    useEnvironment({ UNSUBSCRIBE_SECRET_ARN: ARN });
    let seen: unknown;
    const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        seen = { command: context.commandName, input: args.input };
        return { output: { $metadata: {}, SecretString: SECRET }, response: {} };
      },
      { step: 'initialize', name: 'cannedGetSecretValue' },
    );
    setClients({ secretsManager: client });
    await loadSecrets();
    expect(seen).toEqual({ command: GetSecretValueCommand.name, input: { SecretId: ARN } });
  });
});
