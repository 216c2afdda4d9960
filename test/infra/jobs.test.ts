import { App, Duration, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../infra/constructs/event-store.js';
import { JobSchedule } from '../../infra/constructs/job-schedule.js';
import { ModelRegistry } from '../../infra/constructs/model-registry.js';
import { Scoring } from '../../infra/constructs/scoring.js';
import { Training } from '../../infra/constructs/training.js';
import { InfraConfigError } from '../../infra/errors.js';
import { JOB_DEAD_LETTER_QUEUES, MODEL_REGISTRY_PREFIX } from '../../kernel/settings.js';
import { TFJS_WASM_RUNTIME_DIR } from '../../infra/tfjs-wasm.js';
import { synthesizeTemplate, type Synthesized } from './synth.js';
import { actionsOf, arnOf, type CfnResource, functionsByService, resourcesOfType, statementsOfFunction, type PolicyStatement } from './template-queries.js';

function logicalId(synth: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return synth.stack.getLogicalId(construct.node.defaultChild as any);
}

function statementsOfRole(synth: Synthesized, roleId: string): PolicyStatement[] {
  return Object.values(resourcesOfType(synth.template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement as PolicyStatement[]);
}

describe('model jobs: registry, training, scoring', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // Prepare / Act: the template only; bundling is covered by functions.test.ts.
    synth = synthesizeTemplate();
  });

  describe('ModelRegistry (S3)', () => {
    it('is versioned, SSE-S3 encrypted, private, retained, and expires noncurrent versions after 90 days', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const bucket = resourcesOfType(synth.template, 'AWS::S3::Bucket')[id]!;
      expect(bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 }, ExpiredObjectDeleteMarker: true }),
            // The distributed jobs' manifests, feature shards and Map results.
            { Id: 'ExpireJobObjects', Prefix: 'jobs/', ExpirationInDays: 14, Status: 'Enabled' },
          ],
        },
      });
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
    });

    it('denies non-TLS and pre-TLS-1.2 requests', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    });

    it('sends server access logs to its log bucket, which only S3 log delivery for this bucket may write', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const logsId = logicalId(synth, synth.stack.modelRegistry.accessLogsBucket!);
      const bucket = resourcesOfType(synth.template, 'AWS::S3::Bucket')[id]!;
      expect(bucket.Properties?.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'model-registry/' });
      const logs = resourcesOfType(synth.template, 'AWS::S3::Bucket')[logsId]!;
      expect(logs.Properties?.AccessControl).toBeUndefined(); // a bucket policy, not the legacy ACL
      expect(logs.DeletionPolicy).toBe('Retain');
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logsId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: { 'Fn::Join': ['', [arnOf(logsId), '/model-registry/*']] },
              Condition: { ArnLike: { 'aws:SourceArn': arnOf(id) }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ]),
        },
      });
    });

    it('is published as MODEL_REGISTRY_URI (s3://<bucket>/models) to the three job functions, and as outputs', () => {
      const id = logicalId(synth, synth.stack.modelRegistry.bucket);
      const uri = { 'Fn::Join': ['', ['s3://', { Ref: id }, `/${MODEL_REGISTRY_PREFIX}`]] };
      const fns = functionsByService(synth.template);
      for (const service of ['train-models', 'prepare-scoring', 'score-shard']) {
        expect(fns[service]![1].Properties?.Environment.Variables.MODEL_REGISTRY_URI, service).toEqual(uri);
      }
      const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs['ModelRegistryBucketName']?.Value).toEqual({ Ref: id });
      expect(outputs['ModelRegistryUri']?.Value).toEqual(uri);
    });
  });

  describe('Training', () => {
    it('runs train-models with 3008 MB for up to 15 minutes, on the bundled TF.js wasm backend', () => {
      const [, fn] = functionsByService(synth.template)['train-models']!;
      expect(fn.Properties?.MemorySize).toBe(3008);
      expect(fn.Properties?.Timeout).toBe(900);
      expect(fn.Properties?.Environment.Variables).toMatchObject({
        TFJS_WASM_DIR: TFJS_WASM_RUNTIME_DIR,
        WINBACK_TF_BACKEND: 'wasm',
        TABLE_NAME: expect.anything(),
      });
      expect(TFJS_WASM_RUNTIME_DIR).toBe('/var/task/wasm');
    });

    it('is started weekly by EventBridge Scheduler (the feature build, then training) with a retry policy and a dead-letter queue', () => {
      const smId = logicalId(synth, synth.stack.training.stateMachine);
      const dlqId = logicalId(synth, synth.stack.training.deadLetterQueue);
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 2 ? * SUN *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { Ref: smId },
          Input: JSON.stringify({ targets: ['churn', 'propensity'], asOf: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: arnOf(dlqId) },
          RoleArn: arnOf(logicalId(synth, synth.stack.training.jobSchedule.role)),
        },
      });
      expect(resourcesOfType(synth.template, 'AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({
        QueueName: JOB_DEAD_LETTER_QUEUES.training,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    });

    it("lets the schedule's role start only the training state machine and write only to its DLQ, and only Scheduler of this account assume it", () => {
      const smId = logicalId(synth, synth.stack.training.stateMachine);
      const roleId = logicalId(synth, synth.stack.training.jobSchedule.role);
      const dlqId = logicalId(synth, synth.stack.training.deadLetterQueue);
      expect(statementsOfRole(synth, roleId)).toEqual([
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: smId } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(dlqId) },
      ]);
      const role = resourcesOfType(synth.template, 'AWS::IAM::Role')[roleId]!;
      expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
            },
          },
        },
      ]);
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain(':schedule-group/default');
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('registry and table access of the job functions', () => {
    it('reads and writes only below models/ (no delete), and lists only the registry bucket', () => {
      const bucketId = logicalId(synth, synth.stack.modelRegistry.bucket);
      const objects = { 'Fn::Join': ['', [arnOf(bucketId), `/${MODEL_REGISTRY_PREFIX}/*`]] };
      const expected: Record<string, string[]> = {
        'train-models': ['s3:GetObject', 's3:PutObject'],
        'prepare-scoring': ['s3:GetObject'],
        'score-shard': ['s3:GetObject'],
      };
      for (const [service, objectActions] of Object.entries(expected)) {
        const [, fn] = functionsByService(synth.template)[service]!;
        // The job bucket's prefix (jobs/) is covered by distributed-jobs.test.ts.
        const s3 = statementsOfFunction(synth.template, fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')) && !JSON.stringify(s.Resource).includes('/jobs/'));
        const snapshots = { 'Fn::Join': ['', [arnOf(bucketId), `/${MODEL_REGISTRY_PREFIX}/snapshots/*`]] };
        expect(s3, service).toEqual([
          { Effect: 'Allow', Action: objectActions.length === 1 ? objectActions[0] : objectActions, Resource: objects },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: arnOf(bucketId) },
          // A scoring part leaves its score snapshot for the live backtest, and writes nothing else there.
          ...(service === 'score-shard' ? [{ Effect: 'Allow', Action: 's3:PutObject', Resource: snapshots }] : []),
        ]);
      }
    });
  });

  it('outputs the registry, the training function, the state machine and both job DLQs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs['TrainingFunctionName']?.Value).toEqual({ Ref: functionsByService(synth.template)['train-models']![0] });
    expect(outputs['TrainingDeadLetterQueueUrl']?.Value).toEqual({ Ref: logicalId(synth, synth.stack.training.deadLetterQueue) });
    expect(outputs['ScoringDeadLetterQueueUrl']?.Value).toEqual({ Ref: logicalId(synth, synth.stack.scoring.deadLetterQueue) });
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ModelRegistryBucketName', 'ModelRegistryUri', 'ScoringStateMachineArn']));
  });

  describe('construct settings', () => {
    function bare(): { stack: Stack; eventStore: EventStore; registry: ModelRegistry } {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
      return { stack, eventStore: new EventStore(stack, 'Store'), registry: new ModelRegistry(stack, 'Registry') };
    }

    it('refuses a churn threshold outside (0, 1), a Distributed Map concurrency outside 1-10,000 and a failure tolerance outside 0-100', () => {
      for (const bad of [{ churnThreshold: 1 }, { churnThreshold: 0 }, { maxConcurrency: 0 }, { maxConcurrency: 10_001 }, { maxConcurrency: 2.5 }, { toleratedFailurePercentage: 101 }, { segmentsPerBatch: 0 }]) {
        const { stack, eventStore, registry } = bare();
        expect(() => new Scoring(stack, 'Scoring', { eventStore, registry, ...bad }), JSON.stringify(bad)).toThrow(InfraConfigError);
      }
    });

    it('refuses a training sample under 100 customers, and a schedule retry count outside 0-185', () => {
      const a = bare();
      expect(() => new Training(a.stack, 'Training', { eventStore: a.eventStore, registry: a.registry, sampleCustomers: 10 })).toThrow(InfraConfigError);
      const b = bare();
      expect(
        () =>
          new JobSchedule(b.stack, 'Job', {
            schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
            description: 'x',
            deadLetterQueueName: 'x',
            retryAttempts: 186,
            target: () => {
              throw new Error('not reached');
            },
          }),
      ).toThrow(InfraConfigError);
    });

    it('refuses a noncurrent-version retention that is not a whole number of days', () => {
      const { stack } = bare();
      expect(() => new ModelRegistry(stack, 'R2', { noncurrentVersionRetention: Duration.hours(12) })).toThrow(InfraConfigError);
    });
  });
});
