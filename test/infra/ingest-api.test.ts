import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeKeysFromContext } from '../../infra/write-keys.js';
import { synthesize, synthesizeTemplate, type Synthesized } from './synth.js';
import { arnOf, functionsByService, ingestApiId, ingestApiResource, resourcesOfType } from './template-queries.js';

const EXPECTED_ROUTE_KEYS = [
  '$default',
  'GET /healthz',
  'POST /v1/batch',
  'POST /v1/email-events',
  'POST /v1/identify',
  'POST /v1/orders',
  'POST /v1/page',
  'POST /v1/track',
  'POST /webhooks/shopify',
];

describe('IngestApi', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeTemplate();
  });

  it('routes the Segment, order, SNS and Shopify paths, /healthz and $default, all to the ingest Lambda', () => {
    // Prepare: the unsubscribe pages have an integration of their own (test/infra/unsubscribe.test.ts).
    const [ingestId] = functionsByService(synth.template)['ingest-http']!;
    const [integrationId, integration] = Object.entries(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Integration')).find(
      ([, i]) => JSON.stringify(i.Properties?.IntegrationUri) === JSON.stringify(arnOf(ingestId)),
    )!;
    const target = { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] };
    // Act
    const routes = Object.values(resourcesOfType(synth.template, 'AWS::ApiGatewayV2::Route')).filter(
      (r) => JSON.stringify(r.Properties?.ApiId) === JSON.stringify({ Ref: ingestApiId(synth.template) }),
    );
    // Assess
    const toIngest = routes.filter((r) => JSON.stringify(r.Properties?.Target) === JSON.stringify(target));
    expect(toIngest.map((r) => r.Properties?.RouteKey).sort()).toEqual(EXPECTED_ROUTE_KEYS);
    for (const route of routes.filter((r) => !toIngest.includes(r))) {
      // Other functions' routes: the unsubscribe pages, and the privacy API (test/infra/privacy-api.test.ts).
      expect(route.Properties?.RouteKey).toMatch(/^(GET|POST) \/(unsubscribe|preferences)$|^POST \/v1\/erasure(\/export)?$/);
    }
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: arnOf(ingestId),
      PayloadFormatVersion: '2.0',
    });
  });

  it('lets API Gateway invoke the ingest Lambda once per route, scoped to that route', () => {
    const [ingestId] = functionsByService(synth.template)['ingest-http']!;
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties?.FunctionName) === JSON.stringify(arnOf(ingestId)),
    );
    expect(permissions).toHaveLength(EXPECTED_ROUTE_KEYS.length);
    for (const p of permissions) {
      expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    }
  });

  it('logs access to a log group, without personal data, and throttles the stage', () => {
    const [logGroupId] = Object.entries(resourcesOfType(synth.template, 'AWS::Logs::LogGroup')).find(([id]) =>
      id.startsWith('IngestApiAccessLogs'),
    )!;
    const [, stage] = ingestApiResource(synth.template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: { DestinationArn: arnOf(logGroupId) },
    });
    const format = JSON.parse(stage.Properties?.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/sourceIp|userAgent/);
  });

  it('answers CORS preflights for browsers without allowing credentials', () => {
    const [, api] = ingestApiResource(synth.template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties?.CorsConfiguration).toMatchObject({
      AllowCredentials: false,
      AllowOrigins: ['*'],
      AllowMethods: ['GET', 'POST', 'OPTIONS'],
    });
  });

  it('allows the headers analytics.js sends (Authorization, X-Retry-Count) and lets pages read Retry-After', () => {
    const [, api] = ingestApiResource(synth.template, 'AWS::ApiGatewayV2::Api');
    const cors = api.Properties?.CorsConfiguration as { AllowHeaders: string[]; ExposeHeaders: string[]; MaxAge: number };
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-retry-count']));
    expect(cors.ExposeHeaders).toEqual(['retry-after']);
    expect(cors.MaxAge).toBe(3600);
    const [, ingest] = functionsByService(synth.template)['ingest-http']!;
    expect(ingest.Properties?.Environment.Variables.WRITE_KEY_ORIGINS).toBeUndefined();
  });

  it('gives the ingest Lambda the per-write-key origins when they are configured', () => {
    const origins = { wk_shop_frontend_0001: ['https://shop.example.com'] };
    const configured = synthesize({ bundling: false, props: { writeKeyOrigins: origins } });
    const [, ingest] = functionsByService(configured.template)['ingest-http']!;
    expect(JSON.parse(ingest.Properties?.Environment.Variables.WRITE_KEY_ORIGINS as string)).toEqual(origins);
  });

  it('outputs the API URL, configuration set, table, queue URLs and the derived default write key', () => {
    // The ingestion outputs (the model jobs' and campaigns' are asserted by their own tests).
    expect(Object.keys(synth.template.toJSON().Outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'ConfigurationSetName',
        'DefaultWriteKey',
        'EmailEventsDeadLetterQueueUrl',
        'EmailEventsQueueUrl',
        'EmailEventsTopicArn',
        'EventsDeadLetterQueueUrl',
        'EventsQueueUrl',
        'TableName',
      ]),
    );
  });

  it('derives the default write key from the stack id and gives the same key to the Lambda', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const uuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };
    expect(outputs.DefaultWriteKey!.Value).toEqual({ 'Fn::Join': ['', ['wk_', uuid]] });
    const [, ingest] = functionsByService(synth.template)['ingest-http']!;
    expect(ingest.Properties?.Environment.Variables.WRITE_KEYS).toEqual({ 'Fn::Join': ['', ['{"wk_', uuid, '":"web"}']] });
  });
});

describe('write keys from the CDK context', () => {
  it('are passed to the Lambda as JSON, and no default key is made', () => {
    // Prepare
    const writeKeys = { wk_shop_frontend_0001: 'web', wk_backend_orders_0001: 'orders' };
    // Act: the context value as `cdk -c writeKeys=...` passes it (a string).
    const synth = synthesize({ bundling: false, context: { writeKeys: JSON.stringify(writeKeys) } });
    // Assess
    const [, ingest] = functionsByService(synth.template)['ingest-http']!;
    expect(JSON.parse(ingest.Properties?.Environment.Variables.WRITE_KEYS as string)).toEqual(writeKeys);
    expect(synth.template.toJSON().Outputs.DefaultWriteKey).toBeUndefined();
  });

  it('accept an object (cdk.json) and reject malformed values at synth time', () => {
    const read = (value: unknown) => () => writeKeysFromContext(new App({ context: { writeKeys: value } }));
    expect(read({ wk_12345678: 'web' })()).toEqual({ wk_12345678: 'web' });
    expect(read(undefined)()).toBeUndefined();
    expect(read('{not json')).toThrow(/not valid JSON/);
    expect(read(['wk_12345678'])).toThrow(/must be a JSON object/);
    expect(read({})).toThrow(/is empty/);
    expect(read({ short: 'web' })).toThrow(/shorter than 8/);
    expect(read({ wk_12345678: '' })).toThrow(/non-empty string/);
  });
});
