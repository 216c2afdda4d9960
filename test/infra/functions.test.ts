import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleSizes, LAMBDA_UNZIPPED_LIMIT_BYTES, LAMBDA_ZIPPED_LIMIT_BYTES } from '../../infra/bundle-sizes.js';
import { EVENT_RETENTION_DAYS, QUEUES, TFJS_WASM_BUNDLE_DIR } from '../../kernel/settings.js';
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

/** Training reads every customer's events; a scoring shard also writes score items (EventStore grants). */
const DYNAMODB_EVENT_READER = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const DYNAMODB_SCORE_WRITER = [...DYNAMODB_EVENT_READER, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'];
/** ModelRegistry grants: objects below models/, ListBucket on the bucket (404 rather than 403 on a missing key). */
const REGISTRY_READ = ['s3:GetObject', 's3:ListBucket'];
const REGISTRY_WRITE = [...REGISTRY_READ, 's3:PutObject'];
/** The unsubscribe pages: profile and suppression Queries, the event batch write, suppress, lift a suppression. */
const DYNAMODB_UNSUBSCRIBE = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'];
/** Erasure in the model bucket (ModelRegistry.grantErasure): rewrite score snapshots and job objects, delete job objects. */
const ERASURE_S3 = ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'];
/** The unsubscribe / coupon HMAC key (UnsubscribeSecret), for the functions that sign, verify or derive with it. */
const READ_TOKEN_SECRET = ['secretsmanager:GetSecretValue'];

/** The complete, exact IAM action list of each function's role. */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  // secretsmanager:GetSecretValue: the Shopify webhook key (test/infra/shopify-webhooks.test.ts).
  // dynamodb:PutItem/DeleteItem: the SNS MessageIds it accepted (replays of a signed notification are dropped).
  'ingest-http': ['dynamodb:DeleteItem', 'dynamodb:PutItem', ...LOGS, 'secretsmanager:GetSecretValue', 'sqs:SendMessage', ...XRAY].sort(),
  // sqs:SendMessage: an event DynamoDB refuses is parked alone in the events DLQ. Scan and the
  // token key: it carries out Shopify's customers/redact and shop/redact (erasure, privacy-api.test.ts).
  'process-events': [...new Set([...DYNAMODB_WRITER, 'dynamodb:Scan', ...LOGS, ...ERASURE_S3, ...READ_TOKEN_SECRET, ...SQS_CONSUME, 'sqs:SendMessage', ...XRAY])].sort(),
  // The privacy API (issue 12): collects a customer's records (Query, one filtered Scan), deletes
  // them, rewrites suppressions under a keyed hash derived from the token key.
  'erasure-http': [...new Set([...DYNAMODB_WRITER, 'dynamodb:Scan', ...LOGS, ...ERASURE_S3, ...READ_TOKEN_SECRET, ...XRAY])].sort(),
  'process-email-events': [...DYNAMODB_WRITER, ...LOGS, ...SQS_CONSUME, ...XRAY].sort(),
  // Training runs as a task of the training state machine (no asynchronous invocation, no DLQ):
  // it reads the feature shards and the table, and writes the registry.
  // The token key: erased customers' tombstones are keyed hashes (functions/privacy/erasure-service.ts).
  'train-models': [...DYNAMODB_EVENT_READER, ...LOGS, ...REGISTRY_WRITE, ...READ_TOKEN_SECRET, ...XRAY].sort(),
  // plan-scoring: pages the customer registry (Query on gsi1) and writes the segment manifest.
  'prepare-scoring': [...DYNAMODB_EVENT_READER, ...LOGS, ...REGISTRY_WRITE, ...XRAY].sort(),
  // score-segments: also writes its score snapshot under models/snapshots/ (the live backtest).
  'score-shard': [...DYNAMODB_SCORE_WRITER, ...LOGS, ...REGISTRY_WRITE, ...XRAY].sort(),
  // The feature build (Distributed Map): the planner pages the registry, each child reads its
  // customers' events; both write only job objects (manifest, feature shards).
  'plan-features': [...DYNAMODB_EVENT_READER, ...LOGS, 's3:PutObject', ...XRAY].sort(),
  'build-features': [...DYNAMODB_EVENT_READER, ...LOGS, 's3:PutObject', ...XRAY].sort(),
  // Campaigns: the journey records entries and outcomes, checks, claims the ledger and calls SES
  // (signing links with the token key); fan-out and triggers start journeys.
  'campaign-journey': [...DYNAMODB_WRITER, ...LOGS, ...READ_TOKEN_SECRET, 'ses:SendEmail', ...XRAY].sort(),
  // The fan-out also reads the registry: targeting scores candidates with the uplift champion.
  'campaign-fanout': [...DYNAMODB_WRITER, ...LOGS, ...REGISTRY_READ, 'states:StartExecution', ...XRAY].sort(),
  'campaign-triggers': [...DYNAMODB_WRITER, ...LOGS, 'states:StartExecution', ...XRAY].sort(),
  // The public unsubscribe and preference pages: exactly what they do to the table, and the token key.
  'unsubscribe-http': [...DYNAMODB_UNSUBSCRIBE, ...LOGS, ...READ_TOKEN_SECRET, ...XRAY].sort(),
  // The console API (issue 12): reads like the CLI (table, registry; the preview signs links with
  // the token key), and writes only the pause switch (PutItem on CAMPAIGN# partitions, console-auth.test.ts).
  'console-api': [...DYNAMODB_EVENT_READER, 'dynamodb:PutItem', ...LOGS, ...REGISTRY_READ, ...READ_TOKEN_SECRET, ...XRAY].sort(),
};

describe('functions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: real bundling with the local esbuild.
    synth = synthesize();
  });

  it('are exactly the functions listed in EXPECTED_ACTIONS', () => {
    expect(Object.keys(functionsByService(synth.template)).sort()).toEqual(Object.keys(EXPECTED_ACTIONS).sort());
  });

  it('all run nodejs22.x on arm64 with active tracing, JSON logs to their own log group', () => {
    // Ours carry a service name; the one other function is CDK's own BucketDeployment provider
    // (the console's static files), whose runtime CDK picks.
    const all = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Function'));
    const fns = all.filter((fn) => fn.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined);
    expect(all.length - fns.length).toBe(1);
    expect(fns).toHaveLength(Object.keys(EXPECTED_ACTIONS).length);
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
    const functions = Object.keys(resourcesOfType(synth.template, 'AWS::Lambda::Function')).length;
    // State machines may share an execution log group: count the distinct destinations.
    const stateMachineGroups = new Set(
      Object.values(resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine')).flatMap((sm) =>
        (sm.Properties?.LoggingConfiguration?.Destinations ?? []).map((d: any) => JSON.stringify(d.CloudWatchLogsLogGroup.LogGroupArn)),
      ),
    );
    expect(groups).toHaveLength(functions + 1 + stateMachineGroups.size); // one per function, the API access log, the state machines'
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
      SHOPIFY_SECRET_ARN: { Ref: synth.stack.getLogicalId(synth.stack.ingestApi.shopifySecret.secret.node.defaultChild as CfnElement) },
      POWERTOOLS_SERVICE_NAME: 'ingest-http',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fns['process-events']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      EVENTS_DLQ_URL: { Ref: queueId(QUEUES.eventsDlq) },
      // The erasure key's secret: it carries out Shopify's redacts.
      UNSUBSCRIBE_SECRET_ARN: { Ref: synth.stack.getLogicalId(synth.stack.unsubscribeSecret.secret.node.defaultChild as CfnElement) },
      // And where the score snapshots and the jobs' objects are, which erasure also reaches.
      MODEL_REGISTRY_URI: { 'Fn::Join': ['', ['s3://', { Ref: synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any) }, '/models']] },
      JOB_BUCKET: { Ref: synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any) },
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
    const registryUri = { 'Fn::Join': ['', ['s3://', { Ref: synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any) }, '/models']] };
    const tfjs = { TFJS_WASM_DIR: '/var/task/wasm', WINBACK_TF_BACKEND: 'wasm' };
    const registryBucket = { Ref: synth.stack.getLogicalId(synth.stack.modelRegistry.bucket.node.defaultChild as any) };
    const jobs = { JOB_BUCKET: registryBucket, JOB_SEGMENT_CUSTOMERS: '1000' };
    expect(fns['train-models']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      CAMPAIGNS_DIR: 'campaigns',
      MODEL_REGISTRY_URI: registryUri,
      ...jobs,
      TRAINING_SAMPLE_CUSTOMERS: '20000',
      ...tfjs,
      UNSUBSCRIBE_SECRET_ARN: { Ref: synth.stack.getLogicalId(synth.stack.unsubscribeSecret.secret.node.defaultChild as CfnElement) },
      POWERTOOLS_SERVICE_NAME: 'train-models',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fns['prepare-scoring']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      MODEL_REGISTRY_URI: registryUri,
      CHURN_THRESHOLD: '0.6',
      ...jobs,
      POWERTOOLS_SERVICE_NAME: 'prepare-scoring',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fns['score-shard']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      MODEL_REGISTRY_URI: registryUri,
      CHURN_THRESHOLD: '0.6',
      ...jobs,
      ...tfjs,
      POWERTOOLS_SERVICE_NAME: 'score-shard',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const secretId = synth.stack.getLogicalId(synth.stack.unsubscribeSecret.secret.node.defaultChild as CfnElement);
    expect(fns['unsubscribe-http']![1].Properties?.Environment.Variables).toEqual({
      ...common,
      UNSUBSCRIBE_SECRET_ARN: { Ref: secretId },
      POWERTOOLS_SERVICE_NAME: 'unsubscribe-http',
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

  it('lets the events processor send only to its dead-letter queue (refused events, parked alone)', () => {
    const [, fn] = functionsByService(synth.template)['process-events']!;
    const send = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).includes('sqs:SendMessage'));
    const queueId = (name: string) =>
      Object.entries(resourcesOfType(synth.template, 'AWS::SQS::Queue')).find(([, q]) => q.Properties?.QueueName === name)![0];
    expect(send).toEqual([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queueId(QUEUES.eventsDlq)) }]);
  });

  it('lets the processors use the table and its indexes, nothing else in DynamoDB', () => {
    const [tableId] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    for (const service of ['process-events', 'process-email-events']) {
      const [, fn] = functionsByService(synth.template)[service]!;
      const dynamo = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      // One statement, or two for the events processor (its erasure grant, privacy-api.test.ts): both on the table and its indexes.
      expect(dynamo.length).toBe(service === 'process-events' ? 2 : 1);
      for (const s of dynamo) expect(s.Resource).toEqual([arnOf(tableId), { 'Fn::Join': ['', [arnOf(tableId), '/index/*']] }]);
    }
  });

  it('lets the unsubscribe function use the table itself (no index), nothing else in DynamoDB', () => {
    const [tableId] = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    const [, fn] = functionsByService(synth.template)['unsubscribe-http']!;
    const dynamo = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([{ Effect: 'Allow', Action: DYNAMODB_UNSUBSCRIBE, Resource: arnOf(tableId) }]);
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

  it('ship the TF.js wasm binaries with the TF.js jobs and the fan-out (uplift scoring) only, and fit Lambda\'s package limits with a wide margin', () => {
    // Act: the sizes `node scripts/bin/run.mjs infra/bundle-sizes.ts` reports.
    const sizes = Object.fromEntries(bundleSizes(synth.app.outdir).map((s) => [s.service, s]));
    const wasm = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm'];
    // Assess
    for (const [service, size] of Object.entries(sizes)) {
      const dir = join(size.assetDir, TFJS_WASM_BUNDLE_DIR);
      if (service === 'train-models' || service === 'score-shard' || service === 'campaign-fanout') expect(readdirSync(dir).sort(), service).toEqual(wasm);
      else expect(existsSync(dir), service).toBe(false);
      // A tenth of the limits: crossing that means a dependency to look at, long before a failed deploy.
      expect(size.zippedBytes, service).toBeLessThan(LAMBDA_ZIPPED_LIMIT_BYTES / 10);
      expect(size.unzippedBytes, service).toBeLessThan(LAMBDA_UNZIPPED_LIMIT_BYTES / 10);
    }
  });
});
