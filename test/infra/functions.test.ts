import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_RETENTION_DAYS, QUEUES } from '../../infra/settings.js';
import { synthesize, type Synthesized } from './synth.js';
import {
  actionsOf,
  arnOf,
  functionsByService,
  managedPolicyArnsOfFunction,
  onlyResource,
  resourcesOfType,
  statementsOfFunction,
} from './template-queries.js';

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** What SqsEventSource grants (queue.grantConsumeMessages). */
const SQS_CONSUME = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
const DYNAMODB_WRITER = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

/** The complete, exact IAM action list of each function's role. */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  'ingest-http': [...LOGS, 'sqs:SendMessage', ...XRAY].sort(),
  'process-events': [...DYNAMODB_WRITER, ...LOGS, ...SQS_CONSUME, ...XRAY].sort(),
  'process-email-events': [...DYNAMODB_WRITER, ...LOGS, ...SQS_CONSUME, ...XRAY].sort(),
};

describe('functions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: real bundling with the local esbuild.
    synth = synthesize();
  });

  it('are exactly the ingest and the two processors', () => {
    expect(Object.keys(functionsByService(synth.template)).sort()).toEqual(Object.keys(EXPECTED_ACTIONS).sort());
  });

  it('all run nodejs22.x on arm64 with active tracing, JSON logs to their own log group', () => {
    const fns = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Function'));
    expect(fns).toHaveLength(3);
    for (const fn of fns) {
      expect(fn.Properties?.Runtime).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties?.Handler).toBe('index.handler');
      expect(fn.Properties?.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
      expect(fn.Properties?.Environment.Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps' });
    }
  });

  it('keep their logs for one month', () => {
    const groups = Object.values(resourcesOfType(synth.template, 'AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(4); // three functions + the API access log
    for (const group of groups) expect(group.Properties?.RetentionInDays).toBe(30);
  });

  it('have the environment functions/commons/config.ts reads', () => {
    // Prepare
    const fns = functionsByService(synth.template);
    const [tableId] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    const [topicId] = onlyResource(synth.template, 'AWS::SNS::Topic');
    const queueId = (name: string) =>
      Object.entries(resourcesOfType(synth.template, 'AWS::SQS::Queue')).find(([, q]) => q.Properties?.QueueName === name)![0];
    const common = { TABLE_NAME: { Ref: tableId }, EVENT_RETENTION_DAYS: String(EVENT_RETENTION_DAYS) };
    // Assess
    expect(fns['ingest-http']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      EVENTS_QUEUE_URL: { Ref: queueId(QUEUES.events) },
      EMAIL_EVENTS_QUEUE_URL: { Ref: queueId(QUEUES.emailEvents) },
      WRITE_KEYS: expect.anything(),
      VERIFY_SNS_SIGNATURE: 'true',
      SNS_TOPIC_ARNS: { Ref: topicId },
      POWERTOOLS_SERVICE_NAME: 'ingest-http',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fns['process-events']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'process-events',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fns['process-email-events']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      VERIFY_SNS_SIGNATURE: 'true',
      SNS_TOPIC_ARNS: { Ref: topicId },
      POWERTOOLS_SERVICE_NAME: 'process-email-events',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  describe.each(Object.entries(EXPECTED_ACTIONS))('%s role', (service, expected) => {
    it('grants exactly the expected IAM actions', () => {
      // Prepare
      const [, fn] = functionsByService(synth.template)[service]!;
      // Act
      const actions = actionsOf(statementsOfFunction(synth.template, fn));
      // Assess
      expect(actions).toEqual(expected);
    });

    it('has no managed policy (not even AWSLambdaBasicExecutionRole)', () => {
      const [, fn] = functionsByService(synth.template)[service]!;
      expect(managedPolicyArnsOfFunction(synth.template, fn)).toEqual([]);
    });

    it('uses Resource "*" only for the X-Ray actions, and writes only to its own log group', () => {
      const [, fn] = functionsByService(synth.template)[service]!;
      const statements = statementsOfFunction(synth.template, fn);
      const wildcard = statements.filter((s) => s.Resource === '*');
      expect(actionsOf(wildcard)).toEqual(XRAY);
      const logs = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([{ Effect: 'Allow', Action: LOGS, Resource: arnOf(fn.Properties?.LoggingConfig.LogGroup.Ref) }]);
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    });
  });

  it('lets the ingest function send only to the events and email-events queues', () => {
    const [, fn] = functionsByService(synth.template)['ingest-http']!;
    const sqs = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('sqs:')));
    const queueId = (name: string) =>
      Object.entries(resourcesOfType(synth.template, 'AWS::SQS::Queue')).find(([, q]) => q.Properties?.QueueName === name)![0];
    expect(sqs).toHaveLength(1);
    expect(sqs[0]!.Action).toBe('sqs:SendMessage');
    expect(sqs[0]!.Resource).toEqual(
      expect.arrayContaining([arnOf(queueId(QUEUES.events)), arnOf(queueId(QUEUES.emailEvents))]),
    );
    expect(sqs[0]!.Resource).toHaveLength(2);
  });

  it('lets the processors use the table and its indexes, nothing else in DynamoDB', () => {
    const [tableId] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    for (const service of ['process-events', 'process-email-events']) {
      const [, fn] = functionsByService(synth.template)[service]!;
      const dynamo = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0]!.Resource).toEqual([arnOf(tableId), { 'Fn::Join': ['', [arnOf(tableId), '/index/*']] }]);
    }
  });

  it('are bundled as ESM with a createRequire banner and a linked source map, and load in Node', () => {
    const assetDir = synth.app.outdir;
    for (const [, fn] of Object.values(functionsByService(synth.template))) {
      // Prepare: the asset hash is the S3 key without its extension.
      const key = JSON.stringify(fn.Properties?.Code.S3Key);
      const hash = /([0-9a-f]{64})\.zip/.exec(key)?.[1];
      expect(hash).toBeDefined();
      const bundle = join(assetDir, `asset.${hash}`, 'index.mjs');
      // Assess
      expect(existsSync(bundle)).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as __winbackCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      // Act: load the bundle as Lambda would (a separate Node process, ESM), then read its export.
      const exported = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(typeof m.handler);`],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect(exported).toBe('function');
    }
  });
});
