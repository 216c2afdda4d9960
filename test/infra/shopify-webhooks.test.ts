import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { functionsByService, resourcesOfType, statementsOfFunction } from './template-queries.js';

/** The Shopify webhook key in AWS: a secret the user fills, readable by the ingest function only. */
describe('Shopify webhooks in the stack', () => {
  let synth: Synthesized;
  let secretId: string;
  beforeAll(() => {
    synth = synthesizeTemplate();
    secretId = synth.stack.getLogicalId(synth.stack.ingestApi.shopifySecret.secret.node.defaultChild as CfnElement);
  });

  it('routes POST /webhooks/shopify to the ingest function', () => {
    const routes = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties?.RouteKey);
    expect(routes).toContain('POST /webhooks/shopify');
  });

  it('keeps the key in a Secrets Manager secret with a random placeholder, deleted with the stack, never rotated by AWS', () => {
    const secret = resourcesOfType(synth.template, 'AWS::SecretsManager::Secret')[secretId]!;
    expect(secret.Properties?.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.Properties?.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Delete');
    expect(JSON.stringify(resourcesOfType(synth.template, 'AWS::SecretsManager::RotationSchedule'))).not.toContain(secretId);
  });

  it('lets only the ingest function read it (GetSecretValue on that secret, nothing more), and names it in SHOPIFY_SECRET_ARN there only', () => {
    // Act: every statement of every function that touches the secret.
    const fns = functionsByService(synth.template);
    const readers = Object.entries(fns).flatMap(([service, [, fn]]) =>
      statementsOfFunction(synth.template, fn)
        .filter((s) => JSON.stringify(s.Resource).includes(secretId))
        .map((s) => ({ service, action: s.Action, resource: s.Resource })),
    );
    // Assess
    expect(readers).toEqual([{ service: 'ingest-http', action: 'secretsmanager:GetSecretValue', resource: { Ref: secretId } }]);
    for (const [service, [, fn]] of Object.entries(fns)) {
      const variables = fn.Properties?.Environment.Variables as Record<string, unknown>;
      expect(variables.SHOPIFY_SECRET_ARN, service).toEqual(service === 'ingest-http' ? { Ref: secretId } : undefined);
      expect(variables.WINBACK_SHOPIFY_SECRET, service).toBeUndefined();
    }
  });

  it('outputs the webhook URL and the secret to put the key in', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(outputs.ShopifyWebhookSecretArn!.Value).toEqual({ Ref: secretId });
    expect(outputs.ShopifyWebhookSecretArn!.Description).toContain('aws secretsmanager put-secret-value');
    expect(JSON.stringify(outputs.ShopifyWebhookUrl!.Value)).toContain('webhooks/shopify');
  });
});
