import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNSUBSCRIBE_ROUTES } from '../../functions/campaigns/unsubscribe-routes.js';
import { EventStore } from '../../infra/constructs/event-store.js';
import { IngestApi } from '../../infra/constructs/ingest-api.js';
import { UNSUBSCRIBE_PAGE_ROUTES, UNSUBSCRIBE_THROTTLE, UnsubscribePages } from '../../infra/constructs/unsubscribe-pages.js';
import { UnsubscribeSecret } from '../../infra/constructs/unsubscribe-secret.js';
import { synthesize, synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, arnOf, functionsByService, ingestApiId, ingestApiResource, resourcesOfType, statementsOfFunction, type CfnResource } from './template-queries.js';

/** The unsubscribe key (the stack has a second secret: the Shopify webhook key, test/infra/shopify-webhooks.test.ts). */
const unsubscribeSecretOf = (synth: Synthesized): [string, CfnResource] => {
  const id = synth.stack.getLogicalId(synth.stack.unsubscribeSecret.secret.node.defaultChild as CfnElement);
  return [id, resourcesOfType(synth.template, 'AWS::SecretsManager::Secret')[id]!];
};

const PAGE_ROUTE_KEYS = ['GET /preferences', 'GET /unsubscribe', 'POST /preferences', 'POST /unsubscribe'];
/** The functions that sign or verify unsubscribe tokens or derive coupon codes or the privacy key (they import functions/campaigns/secrets.ts; the console API for its email preview; erasure and the processor, which carries out Shopify's redacts; training, which matches the erased ids' keyed tombstones). */
const SECRET_READERS = ['campaign-journey', 'console-api', 'erasure-http', 'process-events', 'train-models', 'unsubscribe-http'];

describe('unsubscribe pages and their key', () => {
  let synth: Synthesized;
  let fns: ReturnType<typeof functionsByService>;
  let routes: Record<string, CfnResource>;
  beforeAll(() => {
    synth = synthesizeTemplate();
    fns = functionsByService(synth.template);
    routes = Object.fromEntries(
      Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route')).map((r) => [r.Properties?.RouteKey as string, r]),
    );
  });

  it('serves exactly the paths the handler answers (the local stack routes the same ones)', () => {
    expect([...new Set(UNSUBSCRIBE_PAGE_ROUTES.map((r) => r.path))].sort()).toEqual([...UNSUBSCRIBE_ROUTES].sort());
    expect(UNSUBSCRIBE_PAGE_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(PAGE_ROUTE_KEYS);
  });

  it('routes GET/POST /unsubscribe and /preferences to the unsubscribe function, with no authorizer', () => {
    // Prepare
    const [unsubscribeId] = fns['unsubscribe-http']!;
    const integrations = resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Integration');
    const [integrationId, integration] = Object.entries(integrations).find(
      ([, i]) => JSON.stringify(i.Properties?.IntegrationUri) === JSON.stringify(arnOf(unsubscribeId)),
    )!;
    // Assess
    expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    for (const key of PAGE_ROUTE_KEYS) {
      const route = routes[key];
      expect(route, key).toBeDefined();
      expect(route!.Properties?.Target, key).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
      // RFC 8058 one-click: no login, no cookies; the signed token is the credential.
      expect(route!.Properties?.AuthorizationType, key).toBe('NONE');
      expect(route!.Properties?.AuthorizerId, key).toBeUndefined();
    }
    // The ingest API has no authorizer (the console's API has the Cognito one: console-auth.test.ts).
    const ingestApi = { Ref: ingestApiId(synth.template) };
    expect(Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Authorizer')).filter((a) => JSON.stringify(a.Properties?.ApiId) === JSON.stringify(ingestApi))).toEqual([]);
  });

  it('lets API Gateway invoke the unsubscribe function once per page route, scoped to its path', () => {
    const [unsubscribeId] = fns['unsubscribe-http']!;
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties?.FunctionName) === JSON.stringify(arnOf(unsubscribeId)),
    );
    expect(permissions).toHaveLength(PAGE_ROUTE_KEYS.length);
    for (const p of permissions) {
      expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      expect(JSON.stringify(p.Properties?.SourceArn)).toMatch(/\/\*\/\*\/(unsubscribe|preferences)"/);
    }
  });

  it('throttles the page routes on their own, below the stage, after the routes exist', () => {
    const stageResource = Object.entries(synth.template.toJSON().Resources as Record<string, CfnResource & { DependsOn?: string[] }>).find(
      ([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage',
    )!;
    const [, stage] = stageResource;
    const expected = { ThrottlingRateLimit: UNSUBSCRIBE_THROTTLE.rateLimit, ThrottlingBurstLimit: UNSUBSCRIBE_THROTTLE.burstLimit };
    expect(stage.Properties?.RouteSettings).toEqual(Object.fromEntries(PAGE_ROUTE_KEYS.map((k) => [k, expected])));
    expect(UNSUBSCRIBE_THROTTLE.rateLimit).toBeLessThan(stage.Properties?.DefaultRouteSettings.ThrottlingRateLimit as number);
    // Route settings naming a route that does not exist yet fail the deployment.
    const routeIds = Object.entries(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route'))
      .filter(([, r]) => PAGE_ROUTE_KEYS.includes(r.Properties?.RouteKey as string))
      .map(([id]) => id);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('generates the key in Secrets Manager: 64 characters, no punctuation, kept when the stack goes', () => {
    const [, secret] = unsubscribeSecretOf(synth);
    expect(secret.Properties?.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.Properties?.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(resourcesOfType(synth.template, 'AWS::SecretsManager::RotationSchedule')).toEqual({});
  });

  it('lets only the send and unsubscribe functions read the key: GetSecretValue on that secret, nothing more', () => {
    // Prepare
    const [secretId] = unsubscribeSecretOf(synth);
    const shopifySecretId = synth.stack.getLogicalId(synth.stack.ingestApi.shopifySecret.secret.node.defaultChild as CfnElement);
    const roleOf = (service: string) => (fns[service]![1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    // Act: every statement of every policy in the template that mentions Secrets Manager or the secret.
    const policies = [
      ...Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy')).map((p) => ({
        roles: (p.Properties?.Roles as Array<{ Ref: string }>).map((r) => r.Ref),
        statements: p.Properties?.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      })),
      ...Object.entries(resourcesOfType(synth.template, 'AWS::IAM::Role')).map(([id, r]) => ({
        roles: [id],
        statements: ((r.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }>).flatMap(
          (p) => p.PolicyDocument.Statement,
        ),
      })),
    ];
    const readers = policies.flatMap((p) =>
      p.statements
        .filter((s) => JSON.stringify(s).includes('secretsmanager') || JSON.stringify(s.Resource).includes(secretId))
        .filter((s) => JSON.stringify(s.Resource) !== JSON.stringify({ Ref: shopifySecretId }))
        .flatMap((s) => p.roles.map((role) => ({ role, action: s.Action, resource: s.Resource }))),
    );
    // Assess
    expect(readers.map((r) => r.role).sort()).toEqual(SECRET_READERS.map(roleOf).sort());
    for (const r of readers) expect(r).toMatchObject({ action: 'secretsmanager:GetSecretValue', resource: { Ref: secretId } });
    for (const service of SECRET_READERS) {
      expect(actionsOf(statementsOfFunction(synth.template, fns[service]![1])).filter((a) => a.startsWith('secretsmanager:'))).toEqual([
        'secretsmanager:GetSecretValue',
      ]);
    }
    // No resource policy opens it to anyone else either.
    expect(resourcesOfType(synth.template, 'AWS::SecretsManager::ResourcePolicy')).toEqual({});
  });

  it('gives UNSUBSCRIBE_SECRET_ARN to exactly those functions, and no function the key itself', () => {
    const [secretId] = unsubscribeSecretOf(synth);
    for (const [service, [, fn]] of Object.entries(fns)) {
      const variables = fn.Properties?.Environment.Variables as Record<string, unknown>;
      if (SECRET_READERS.includes(service)) expect(variables.UNSUBSCRIBE_SECRET_ARN, service).toEqual({ Ref: secretId });
      else expect(variables.UNSUBSCRIBE_SECRET_ARN, service).toBeUndefined();
      expect(variables.UNSUBSCRIBE_SECRET, service).toBeUndefined();
      expect(variables.COUPON_SECRET, service).toBeUndefined();
    }
  });

  it('points the links in campaign mail at the deployed API (PUBLIC_BASE_URL of the journey function, which sends)', () => {
    const [apiId] = ingestApiResource(synth.template, 'AWS::ApiGatewayV2::Api');
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = fns['campaign-journey']![1].Properties?.Environment.Variables.PUBLIC_BASE_URL;
    expect(url).toEqual({ 'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/']] });
    expect(url).toEqual(outputs.ApiUrl!.Value);
  });

  it('takes the page throttle from the stack props, and refuses a non-positive one', () => {
    const custom = synthesize({ bundling: false, props: { unsubscribeThrottle: { rateLimit: 5, burstLimit: 10 } } });
    const [, stage] = ingestApiResource(custom.template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties?.RouteSettings['POST /unsubscribe']).toEqual({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });

    // Without bundling: the check runs before any asset would be needed.
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');
    const eventStore = new EventStore(stack, 'EventStore');
    const api = new IngestApi(stack, 'Api', {
      eventStore,
      emailEventsQueue: new sqs.Queue(stack, 'EmailEvents'),
      emailTopic: new sns.Topic(stack, 'Topic'),
      writeKeysJson: '{}',
    });
    const secret = new UnsubscribeSecret(stack, 'Secret');
    expect(() => new UnsubscribePages(stack, 'Pages', { eventStore, api, secret, throttle: { rateLimit: 0, burstLimit: 10 } })).toThrow(
      /Bad\/Api: Unsubscribe: throttle rateLimit must be a positive number, got 0/,
    );
  });
});
